/**
 * The recommendation rules' reasons (jupyterlab_smcost/recommend.py,
 * recommend_gpu.py, jobs/offload.py) in the user's language, from their params.
 */
import type { Format } from './format';
import { num, Params, str } from './params';
import { IMessage } from './tokens';

/** The rules' fixed margins (jupyterlab_smcost/recommend.py: 1 - HEADROOM, BURSTABLE_BASELINE). */
const HEADROOM = 0.3;
const BURSTABLE_BASELINE = 0.2;

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

/** A recommendation rule's reason (openapi.yaml `MessageCode` rec.*), or null for another code. */
export function recommendation(fmt: Format, m: IMessage): string | null {
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
