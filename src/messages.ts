/**
 * Server messages in the user's language: each carries a stable `code` and
 * its `params` next to the English `text` (openapi.yaml `MessageCode`,
 * jupyterlab_smcost/messages.py `CODES`); a code this frontend does not know
 * shows the server's text. AWS errors likewise, by `error.code`.
 */
import type { Format } from './format';
import { IEnvironment, IIdle, IMessage } from './tokens';

type Params = Record<string, unknown> | undefined;

/** The rules' fixed margins (jupyterlab_smcost/recommend.py: 1 - HEADROOM, BURSTABLE_BASELINE). */
const HEADROOM = 0.3;
const BURSTABLE_BASELINE = 0.2;

function str(params: Params, name: string): string {
  const v = params?.[name];
  return v === undefined || v === null ? '' : String(v);
}

function num(params: Params, name: string): number {
  return Number(params?.[name] ?? NaN);
}

/** What moved the idle clock, translated when it is one the server names. */
function activitySource(fmt: Format, source: string): string {
  const trans = fmt.trans;
  switch (source) {
    case 'server start':
      return trans.__('server start');
    case 'kernel':
      return trans.__('kernel');
    case 'terminal':
      return trans.__('terminal');
    case 'API request':
      return trans.__('API request');
    case 'keep-alive':
      return trans.__('keep-alive');
    case 'browser connection':
      return trans.__('browser connection');
    case 'background work':
      return trans.__('background work');
    case 'idle clean-up':
      return trans.__('idle clean-up');
    default:
      return source;
  }
}

/** "CPU p95 9% of 16 vCPUs, memory p95 6.0 GiB of 64 GiB" */
function usage(fmt: Format, p: Params): string {
  const trans = fmt.trans;
  return trans.__(
    'CPU p95 %1 of %2 vCPUs, memory p95 %3 of %4',
    fmt.percent(num(p, 'cpu_p95')),
    fmt.number(num(p, 'cpu_count')),
    fmt.gib(num(p, 'mem_p95_gib')),
    fmt.gib(num(p, 'mem_total_gib'))
  );
}

function shortOf(fmt: Format, p: Params): string {
  const trans = fmt.trans;
  switch (str(p, 'short')) {
    case 'cpu':
      return trans.__('CPU');
    case 'memory':
      return trans.__('memory');
    default:
      return trans.__('CPU and memory');
  }
}

function backgroundWork(fmt: Format, m: IMessage, starting: boolean): string {
  const trans = fmt.trans;
  const p = m.params;
  const cpus = num(p, 'cpus');
  const load =
    cpus < 1.5
      ? trans.__('%1 of a CPU', fmt.percent(cpus))
      : trans.__('%1 CPUs', fmt.number(cpus, 1, 1));
  const what =
    num(p, 'kernel') === 1
      ? trans.__('kernel %1', str(p, 'command'))
      : str(p, 'command');
  const others = num(p, 'others');
  const who =
    others > 0
      ? trans._n(
          '%2 (pid %3) and %1 other process',
          '%2 (pid %3) and %1 other processes',
          others,
          what,
          str(p, 'pid')
        )
      : trans.__('%1 (pid %2)', what, str(p, 'pid'));
  const took = fmt.duration(num(p, 'seconds'));
  return starting
    ? trans.__('background work starting: %1, %2, for %3', who, load, took)
    : trans.__('background work: %1, %2, for %3', who, load, took);
}

function backgroundGpu(fmt: Format, m: IMessage, starting: boolean): string {
  const trans = fmt.trans;
  const p = m.params;
  const gpu = str(p, 'gpu');
  const load = fmt.percent(num(p, 'load'));
  const took = fmt.duration(num(p, 'seconds'));
  const users = str(p, 'users');
  if (users) {
    return starting
      ? trans.__(
          'background work starting: GPU %1 at %2, for %3, by %4',
          gpu,
          load,
          took,
          users
        )
      : trans.__(
          'background work: GPU %1 at %2, for %3, by %4',
          gpu,
          load,
          took,
          users
        );
  }
  return starting
    ? trans.__(
        'background work starting: GPU %1 at %2, for %3',
        gpu,
        load,
        took
      )
    : trans.__('background work: GPU %1 at %2, for %3', gpu, load, took);
}

/** "2 of its 4 A10G GPUs in use (p95 1.6), the fullest holding at most 9.5 GiB of 24 GiB" */
function gpusInUse(fmt: Format, p: Params): string {
  const trans = fmt.trans;
  return trans._n(
    '%2 of its %1 %3 GPU in use (p95 %4), the fullest holding at most %5 of %6',
    '%2 of its %1 %3 GPUs in use (p95 %4), the fullest holding at most %5 of %6',
    num(p, 'gpu_count'),
    fmt.number(num(p, 'gpus_needed')),
    str(p, 'gpu_model'),
    fmt.number(num(p, 'gpus_in_use_p95'), 1, 1),
    fmt.gib(num(p, 'peak_gpu_memory_gib')),
    fmt.gib(num(p, 'gpu_memory_gib'))
  );
}

/** The offload rule's reason (jupyterlab_smcost/jobs/offload.py). */
function offload(fmt: Format, p: Params): string {
  const trans = fmt.trans;
  const currency = str(p, 'currency');
  const cur = str(p, 'current');
  const ran = fmt.duration(num(p, 'seconds'));
  const spent = fmt.money(num(p, 'spent'), currency);
  const rate = fmt.rate(num(p, 'per_hour'), currency);
  const spot = fmt.percent(num(p, 'spot'));
  const training = p?.training_per_hour;
  const head =
    training === undefined
      ? trans.__(
          '%1 kept %2 busy for %3 (%4 at %5); as a SageMaker job on %2 it bills the same hours on demand, up to %6 less on Spot',
          str(p, 'command'),
          cur,
          ran,
          spent,
          rate,
          spot
        )
      : trans.__(
          '%1 kept %2 busy for %3 (%4 at %5); as a SageMaker job on %2 it bills the same hours on demand (%6 Training), up to %7 less on Spot',
          str(p, 'command'),
          cur,
          ran,
          spent,
          rate,
          fmt.rate(num(p, 'training_per_hour'), currency),
          spot
        );
  const target = str(p, 'target');
  if (!target) {
    return head;
  }
  return trans.__(
    '%1, and this notebook could run on %2 (%3) meanwhile',
    head,
    target,
    p?.target_per_hour === undefined
      ? trans.__('price unknown')
      : fmt.rate(num(p, 'target_per_hour'), currency)
  );
}

function recommendation(fmt: Format, m: IMessage): string | null {
  const trans = fmt.trans;
  const p = m.params;
  const cur = str(p, 'current');
  const type = str(p, 'type');
  const vcpu = fmt.number(num(p, 'vcpu'));
  const mem = fmt.gib(num(p, 'memory_gib'));
  const headroom = fmt.percent(HEADROOM);
  switch (m.code) {
    case 'rec.short_no_larger':
      return trans.__(
        '%1 is short of %2 (%3) but no known type offers more with headroom',
        cur,
        shortOf(fmt, p),
        usage(fmt, p)
      );
    case 'rec.gpu_idle_no_cheaper':
      return trans._n(
        '%2: its GPU stayed under %3 use (p95 %4), but no cheaper CPU type fits (%5)',
        '%2: its %1 GPUs stayed under %3 use (p95 %4), but no cheaper CPU type fits (%5)',
        num(p, 'gpu_count'),
        cur,
        fmt.percent(num(p, 'gpu_idle')),
        fmt.percent(num(p, 'gpu_p95')),
        usage(fmt, p)
      );
    case 'rec.fits':
      return num(p, 'gpu_unmeasured') === 1
        ? trans.__(
            '%1 fits this use (%2): no cheaper type has %3 headroom; GPU use is not measured (no NVML), so only types with the same GPUs count',
            cur,
            usage(fmt, p),
            headroom
          )
        : trans.__(
            '%1 fits this use (%2): no cheaper type has %3 headroom',
            cur,
            usage(fmt, p),
            headroom
          );
    case 'rec.under_provisioned':
      return trans.__(
        '%1 is short of %2: %3; %4 has %5 vCPUs and %6, enough with %7 headroom',
        cur,
        shortOf(fmt, p),
        usage(fmt, p),
        type,
        vcpu,
        mem,
        headroom
      );
    case 'rec.gpu_idle':
      return trans._n(
        '%2: its GPU stayed under %3 use (p95 %4) over the last %5; %6; %7 (%8 vCPUs, %9, no GPU) fits with %10 headroom',
        '%2: its %1 GPUs stayed under %3 use (p95 %4) over the last %5; %6; %7 (%8 vCPUs, %9, no GPU) fits with %10 headroom',
        num(p, 'gpu_count'),
        cur,
        fmt.percent(num(p, 'gpu_idle')),
        fmt.percent(num(p, 'gpu_p95')),
        fmt.duration(num(p, 'minutes') * 60),
        usage(fmt, p),
        type,
        vcpu,
        mem,
        headroom
      );
    case 'rec.fewer_gpus':
      return trans.__(
        '%1: %2; %3; %4 has %5 %6 (%7 each) and %8 vCPUs, %9: enough with %10 headroom',
        cur,
        gpusInUse(fmt, p),
        usage(fmt, p),
        type,
        fmt.number(num(p, 'new_gpu_count')),
        str(p, 'gpu_model'),
        fmt.gib(num(p, 'new_gpu_memory_gib')),
        vcpu,
        mem,
        headroom
      );
    case 'rec.smaller_gpu':
      return trans.__(
        '%1: %2, the busiest at %3 (p95); %4; %5 has %6 %7 (%8 each), enough with %9 headroom: a slower GPU, fine while the work is not GPU-bound, as measured',
        cur,
        gpusInUse(fmt, p),
        fmt.percent(num(p, 'gpu_p95')),
        usage(fmt, p),
        type,
        fmt.number(num(p, 'new_gpu_count')),
        str(p, 'new_gpu_model'),
        fmt.gib(num(p, 'new_gpu_memory_gib')),
        headroom
      );
    case 'rec.offload':
      return offload(fmt, p);
    case 'rec.over_provisioned': {
      const model = str(p, 'gpu_model');
      const burstable = num(p, 'burstable') === 1;
      const head = model
        ? trans.__(
            '%1 is larger than needed: %2; %3 (%4 vCPUs, %5) fits with %7 headroom and keeps the %6 GPUs',
            cur,
            usage(fmt, p),
            type,
            vcpu,
            mem,
            model,
            headroom
          )
        : trans.__(
            '%1 is larger than needed: %2; %3 (%4 vCPUs, %5) fits with %6 headroom',
            cur,
            usage(fmt, p),
            type,
            vcpu,
            mem,
            headroom
          );
      return burstable
        ? trans.__(
            '%1; burstable: fine while average CPU stays under %2 of its vCPUs',
            head,
            fmt.percent(BURSTABLE_BASELINE)
          )
        : head;
    }
    default:
      return null;
  }
}

/** One server message as a sentence in the UI language. */
export function messageText(fmt: Format, m: IMessage): string {
  const trans = fmt.trans;
  const p = m.params;
  switch (m.code) {
    case 'text':
      return m.text;
    case 'idle.shutting_down':
      return trans.__('shutting down');
    case 'idle.off':
      return trans.__('idle shutdown is off');
    case 'idle.off_by_admin':
      return trans.__('the administrator turned idle shutdown off');
    case 'idle.quiet':
      return trans.__('no activity for %1', fmt.duration(num(p, 'seconds')));
    case 'idle.last_activity':
      return trans.__(
        'last activity: %1',
        activitySource(fmt, str(p, 'source'))
      );
    case 'busy.kernel':
      return trans.__('kernel busy: %1', str(p, 'name'));
    case 'busy.kernel_starting':
      return trans.__('kernel starting');
    case 'busy.terminal':
      return trans.__(
        'terminal %1 running: %2',
        str(p, 'name'),
        str(p, 'command')
      );
    case 'busy.background':
      return backgroundWork(fmt, m, false);
    case 'busy.background_starting':
      return backgroundWork(fmt, m, true);
    case 'busy.background_gpu':
      return backgroundGpu(fmt, m, false);
    case 'busy.background_gpu_starting':
      return backgroundGpu(fmt, m, true);
    case 'busy.switch':
      return trans.__('switching to %1', str(p, 'type'));
    case 'rec.collecting':
      return trans.__(
        'collecting usage: %1 of %2 samples needed (about %3 min more)',
        fmt.number(num(p, 'samples')),
        fmt.number(num(p, 'needed')),
        fmt.number(num(p, 'minutes'))
      );
    case 'rec.type_unknown':
      return trans.__('the instance type is not known yet');
    case 'rec.no_specs':
      return trans.__(
        'no vCPU/memory specs are known for %1: nothing to compare',
        str(p, 'type')
      );
    case 'rec.no_measurements':
      return trans.__('no CPU or memory measurements in the window');
    case 'rec.price_unknown':
      return trans.__(
        'the price of %1 is unknown: cannot tell what is cheaper',
        str(p, 'type')
      );
    case 'rec.sampling_off':
      return trans.__('usage sampling is off (set by the administrator)');
    case 'rec.not_measurable':
      return trans.__(
        'the kernels run on other instances than this server: their use cannot be measured from here'
      );
    case 'env.local':
      return trans.__('not on SageMaker: priced as %1', str(p, 'type'));
    case 'env.local_no_switch':
      return trans.__(
        'Not on SageMaker: there is no instance to switch. Set SmCostApp.instance_type to price this server as another type.'
      );
    case 'env.notebook_instance':
      return trans.__('notebook instance %1', str(p, 'name'));
    case 'env.studio_space':
      return trans.__(
        'Studio space %1 (%2)',
        str(p, 'space'),
        str(p, 'app_type')
      );
    case 'env.studio_classic_space':
      return trans.__(
        'Studio Classic, space %1: the sum of its running KernelGateway apps',
        str(p, 'space')
      );
    case 'env.studio_classic_user':
      return trans.__(
        'Studio Classic, user %1: the sum of its running KernelGateway apps',
        str(p, 'user')
      );
    case 'jobs.local':
      return localJobs(fmt);
    case 'rec.several_apps':
      return trans.__(
        '%1 apps are billed (%2): no single type',
        fmt.number(num(p, 'count')),
        str(p, 'types')
      );
    default:
      return recommendation(fmt, m) ?? m.text;
  }
}

function localJobs(fmt: Format): string {
  const trans = fmt.trans;
  return trans.__(
    'Not on SageMaker: there is no AWS role or image to run a training job with. Open this notebook in SageMaker Studio or on a notebook instance, or set SmCostApp.job_role_arn (with AWS credentials) to run jobs from here.'
  );
}

/** The environment's label, translated (older servers: as sent). */
export function environmentLabel(
  fmt: Format,
  env: IEnvironment
): string | null {
  return env.label_message
    ? messageText(fmt, env.label_message)
    : (env.label ?? null);
}

/** Why switching is off here, translated (older servers: as sent). */
export function switchUnavailable(
  fmt: Format,
  env: IEnvironment
): string | null {
  return env.switch_unavailable_message
    ? messageText(fmt, env.switch_unavailable_message)
    : (env.switch_unavailable_reason ?? null);
}

/** The idle state's reasons, translated (older servers: as sent). */
export function idleReasons(fmt: Format, idle: IIdle): string[] {
  return idle.messages?.length
    ? idle.messages.map(m => messageText(fmt, m))
    : idle.reasons;
}

/** The params each error's sentence needs (openapi.yaml `Error.code`). */
const ERROR_PARAMS: Record<string, string[]> = {
  aws_access_denied: ['action', 'detail'],
  aws_pass_role: ['action', 'detail'],
  aws_throttled: ['action'],
  aws_quota: ['action', 'detail'],
  aws_rejected: ['action', 'detail'],
  aws_timeout: ['action'],
  aws_unreachable: ['action', 'detail'],
  aws_error: ['action', 'detail'],
  aws_no_credentials: ['action'],
  aws_no_region: ['action'],
  switch_in_progress: ['type'],
  invalid_instance_type: ['type', 'kind'],
  instance_type_not_allowed: ['type', 'allowed'],
  job_not_found: ['name'],
  job_ended: ['name'],
  path_outside_root: ['path'],
  path_missing: ['path'],
  invalid_path: ['path'],
  not_stoppable: ['name']
};

/**
 * A server error (openapi.yaml `Error.code`: AWS failures, and the switch and
 * shutdown refusals a user meets) in the UI language, or null for another
 * code (the caller shows the server's message).
 */
export function serverErrorText(
  fmt: Format,
  code: string,
  params: Params
): string | null {
  const trans = fmt.trans;
  if (
    code === 'aws_access_denied' &&
    params?.permission !== undefined &&
    params?.name !== undefined
  ) {
    // a Studio app of the "still running elsewhere" list the role may not stop
    return trans.__(
      'the role may not stop %1: it needs %2',
      str(params, 'name'),
      str(params, 'permission')
    );
  }
  // a body without the params its sentence needs (an older server): its own message
  const needs = ERROR_PARAMS[code];
  if (needs && !needs.every(n => params?.[n] !== undefined)) {
    return null;
  }
  const action = str(params, 'action');
  const op = str(params, 'operation') || trans.__('the request');
  const detail = str(params, 'detail');
  // `action` is the server's English words for what it was doing
  const during = (s: string, withAction: string) => (action ? withAction : s);
  switch (code) {
    case 'aws_access_denied':
      return during(
        trans.__(
          'AWS denied %1: %2. The role needs permission for this action (see the IAM page of the documentation).',
          op,
          detail
        ),
        trans.__(
          'AWS denied %1 while trying to %2: %3. The role needs permission for this action (see the IAM page of the documentation).',
          op,
          action,
          detail
        )
      );
    case 'aws_pass_role':
      return during(
        trans.__(
          "AWS denied %1: this server's role may not pass the execution role to SageMaker (%2). Allow iam:PassRole on that role for sagemaker.amazonaws.com (see the IAM page of the documentation).",
          op,
          detail
        ),
        trans.__(
          "AWS denied %1 while trying to %2: this server's role may not pass the execution role to SageMaker (%3). Allow iam:PassRole on that role for sagemaker.amazonaws.com (see the IAM page of the documentation).",
          op,
          action,
          detail
        )
      );
    case 'aws_throttled':
      return during(
        trans.__('AWS throttled %1; it will be retried later.', op),
        trans.__(
          'AWS throttled %1 while trying to %2; it will be retried later.',
          op,
          action
        )
      );
    case 'aws_quota':
      return during(
        trans.__(
          'AWS quota reached: %1. Ask for a quota increase in Service Quotas or pick another instance type.',
          detail
        ),
        trans.__(
          'AWS quota reached while trying to %1: %2. Ask for a quota increase in Service Quotas or pick another instance type.',
          action,
          detail
        )
      );
    case 'aws_rejected':
      return during(
        trans.__('AWS rejected %1: %2', op, detail),
        trans.__('AWS rejected %1 while trying to %2: %3', op, action, detail)
      );
    case 'aws_timeout':
      return during(
        trans.__(
          'AWS did not answer in time; the call gives up after a bounded number of attempts, try again later.'
        ),
        trans.__(
          'AWS did not answer in time while trying to %1; the call gives up after a bounded number of attempts, try again later.',
          action
        )
      );
    case 'aws_no_credentials':
      return trans.__(
        'No AWS credentials were found. Attach a role to the instance or configure credentials (environment, ~/.aws, or an instance profile).'
      );
    case 'aws_no_region':
      return trans.__('No AWS region is configured (set AWS_REGION).');
    case 'aws_unreachable':
      return trans.__('Could not reach the AWS endpoint: %1', detail);
    case 'aws_error':
      return trans.__(
        'AWS error %1 in %2: %3',
        str(params, 'aws_code'),
        op,
        detail
      );
    case 'internal_error':
      return trans.__('internal error: see the server log');
    case 'switch_in_progress':
      return trans.__(
        'a switch to %1 is already in progress',
        str(params, 'type')
      );
    case 'invalid_instance_type':
      return trans.__(
        '%1 is not an instance type this environment (%2) accepts',
        str(params, 'type'),
        str(params, 'kind')
      );
    case 'instance_type_not_allowed':
      return trans.__(
        '%1 is not allowed here; allowed: %2',
        str(params, 'type'),
        str(params, 'allowed')
      );
    case 'shutting_down':
      return trans.__('a shutdown is in progress');
    case 'already_shutting_down':
      return trans.__('a shutdown is already in progress');
    case 'shutdown_unavailable':
      return trans.__('this environment cannot be shut down from here');
    case 'jobs_unavailable':
      if (str(params, 'where') === 'local') {
        return localJobs(fmt);
      }
      if (str(params, 'missing') === 'role') {
        return trans.__(
          'no execution role is known for jobs here: set SmCostApp.job_role_arn'
        );
      }
      if (str(params, 'missing') === 'image') {
        return trans.__(
          'no SageMaker Distribution image is published for %1: set SmCostApp.job_image to an ECR image URI',
          str(params, 'region')
        );
      }
      return null;
    case 'job_not_found':
      return trans.__('no job %1 was started from here', str(params, 'name'));
    case 'job_ended':
      return trans.__('job %1 has already ended', str(params, 'name'));
    case 'path_outside_root':
      return trans.__('%1 is outside the server root', str(params, 'path'));
    case 'path_missing':
      return trans.__(
        '%1 does not exist under the server root',
        str(params, 'path')
      );
    case 'invalid_path':
      return trans.__(
        '%1 must be a notebook (.ipynb) or a Python script (.py)',
        str(params, 'path')
      );
    case 'not_stoppable':
      return trans.__('%1 cannot be stopped from here', str(params, 'name'));
    default:
      return null;
  }
}

/** A switch step's name (openapi.yaml `Switch.steps[].name`), translated. */
export function stepName(fmt: Format, name: string): string {
  const trans = fmt.trans;
  switch (name) {
    case 'describe':
      return trans.__('check the current type');
    case 'find_app':
      return trans.__('find the KernelGateway app');
    case 'stop':
      return trans.__('stop the notebook instance');
    case 'update':
      return trans.__('change its instance type');
    case 'start':
      return trans.__('start it again');
    case 'stop_update_start':
      return trans.__('stop, change type, start');
    case 'delete_app':
      return trans.__('delete the app');
    case 'delete_old_app':
      return trans.__('delete the old app');
    case 'update_space':
      return trans.__("set the space's default type");
    case 'create_app':
      return trans.__('create the app on the new type');
    case 'delete_update_create':
      return trans.__('delete, set the type, create again');
    case 'wait_in_service':
      return trans.__('wait until it is InService');
    case 'invoke_switcher':
      return trans.__('hand over to the switcher function');
    case 'rollback':
      return trans.__('go back to the previous type');
    default:
      return name;
  }
}
