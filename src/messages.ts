/**
 * Server messages in the user's language: each carries a stable `code` and
 * its `params` next to the English `text` (openapi.yaml `MessageCode`,
 * jupyterlab_smcost/messages.py `CODES`); a code this frontend does not know
 * shows the server's text. AWS errors likewise, by `error.code`.
 */
import type { Format } from './format';
import { num, str } from './params';
import { recommendation } from './recommendationText';
import { switchText } from './switchText';
import { IEnvironment, IIdle, IMessage } from './tokens';

import { localJobs } from './errorText';

export { serverErrorText } from './errorText';
export { stepName } from './switchText';

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
      return switchText(fmt, m) ?? recommendation(fmt, m) ?? m.text;
  }
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
