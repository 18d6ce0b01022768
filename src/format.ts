/**
 * Pure formatting and clock helpers (no DOM, no JupyterLab): unit-tested in
 * src/__tests__/format.spec.ts.
 */
import {
  IdleState,
  IIdle,
  IInstance,
  PriceSource,
  SwitchState
} from './tokens';

const DASH = '\u2014';

/**
 * US dollars, readable at every scale: `$1,234`, `$12.50`, `$0.05`, `$0.046`,
 * `<$0.01`; `—` when unknown.
 */
export function formatMoney(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) {
    return DASH;
  }
  const sign = usd < 0 ? '-' : '';
  const v = Math.abs(usd);
  if (v === 0) {
    return '$0.00';
  }
  if (v >= 1000) {
    return `${sign}$${Math.round(v).toLocaleString('en-US')}`;
  }
  if (v >= 1) {
    return `${sign}$${v.toFixed(2)}`;
  }
  if (v >= 0.01) {
    // two decimals, or three when they matter ($0.046/h)
    const three = v.toFixed(3);
    return `${sign}$${three.endsWith('0') ? v.toFixed(2) : three}`;
  }
  return `${sign === '-' ? '>-' : '<'}$0.01`;
}

/** `$0.05/h` */
export function formatRate(usdPerHour: number | null | undefined): string {
  return usdPerHour === null || usdPerHour === undefined
    ? 'price unknown'
    : `${formatMoney(usdPerHour)}/h`;
}

/**
 * A short duration for sentences and the status bar: `45s`, `42m`, `1h 05m`,
 * `2d 3h`. Negative durations read as `0s`; null as `—`.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return DASH;
  }
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m`;
  }
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return `${h}h ${String(m).padStart(2, '0')}m`;
  }
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  return `${d}d ${h}h`;
}

/** A ticking clock: `4:07`, `59:59`, `1:02:03`; negative -> `0:00`; null -> `—`. */
export function formatCountdown(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return DASH;
  }
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Words for a screen reader, at minute granularity: "about 42 minutes". */
export function formatSpokenDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return 'no deadline';
  }
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) {
    return 'less than a minute';
  }
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) {
    return `about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  }
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `about ${h} hour${h === 1 ? '' : 's'}${m ? ` ${m} minute${m === 1 ? '' : 's'}` : ''}`;
}

/** Parse an ISO date; null for null/invalid. */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) {
    return null;
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/**
 * Server clock minus browser clock, in ms, from one status reply.
 *
 * `sentAt`/`receivedAt` are the browser times around the request; the server
 * stamped `serverTime` somewhere in between, so the midpoint is the best
 * estimate of the browser time at that moment.
 */
export function clockSkew(
  serverTime: string | null | undefined,
  sentAt: number,
  receivedAt: number
): number {
  const server = parseTime(serverTime);
  if (server === null) {
    return 0;
  }
  return server - (sentAt + receivedAt) / 2;
}

/**
 * Seconds left until `deadline` at browser time `now`, correcting for the
 * skew between the two clocks (server = browser + skewMs). May be negative
 * (the deadline passed); null when there is no deadline.
 */
export function remainingSeconds(
  deadline: string | null | undefined,
  now: number,
  skewMs: number
): number | null {
  const d = parseTime(deadline);
  if (d === null) {
    return null;
  }
  return (d - (now + skewMs)) / 1000;
}

/** Instance specs in one line: `2 vCPU · 4 GiB · 1 × NVIDIA T4 (16 GiB)`. */
export function formatSpecs(instance: IInstance | null | undefined): string {
  if (!instance) {
    return '';
  }
  const parts: string[] = [];
  if (instance.vcpu !== null && instance.vcpu !== undefined) {
    parts.push(`${instance.vcpu} vCPU`);
  }
  if (instance.memory_gib !== null && instance.memory_gib !== undefined) {
    parts.push(`${formatNumber(instance.memory_gib)} GiB`);
  }
  if (instance.gpu_count) {
    let gpu = `${instance.gpu_count} \u00d7 ${instance.gpu_model ?? 'GPU'}`;
    if (instance.gpu_memory_gib) {
      gpu += ` (${formatNumber(instance.gpu_memory_gib)} GiB)`;
    }
    parts.push(gpu);
  }
  return parts.length ? parts.join(' \u00b7 ') : 'specs unknown';
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 10) / 10);
}

/** Plain words for a price source. */
export function describeSource(source: PriceSource | string): string {
  switch (source) {
    case 'live':
      return 'live AWS Price List';
    case 'bundled':
      return 'price snapshot bundled with the extension';
    case 'estimated':
      return 'estimate from close known prices';
    case 'not_billed':
      return 'nothing billed is running';
    default:
      return 'no price known for this type';
  }
}

/**
 * What a price badge says on hover and to a screen reader: the source, its date and where
 * the figure comes from (an estimate says what it was made from).
 */
export function describePrice(price: {
  source: PriceSource | string;
  as_of?: string | null;
  detail?: string | null;
}): string {
  const dated = price.as_of ? `${price.source}, ${price.as_of}` : price.source;
  const label = dated.charAt(0).toUpperCase() + dated.slice(1);
  return `${label}: ${price.detail || describeSource(price.source)}`;
}

/** Whether the idle countdown runs: active or idle, with a deadline. */
export function countsDown(idle: IIdle): boolean {
  return (
    (idle.state === 'active' || idle.state === 'idle') && idle.deadline !== null
  );
}

/** Plain words for an idle state. */
export function describeState(state: IdleState | string): string {
  switch (state) {
    case 'active':
      return 'Active';
    case 'idle':
      return 'Idle';
    case 'busy':
      return 'Busy: idle shutdown waits';
    case 'disabled':
      return 'Idle shutdown is off';
    case 'shutting_down':
      return 'Shutting down';
    case 'error':
      return 'Error';
    default:
      return String(state);
  }
}

/** Words for each switch state; typed by the contract, so none can be missing. */
const SWITCH_WORDS: Record<SwitchState, string> = {
  pending: 'starting',
  running: 'in progress',
  waiting_external:
    'handed to the switcher function: this server stops, changes type and starts again',
  manual: 'one step is left for you (below)',
  succeeded: 'done',
  failed: 'failed (the error is below)'
};

/** Plain words for a switch's state. */
export function describeSwitchState(state: SwitchState | string): string {
  return (SWITCH_WORDS as Record<string, string>)[state] ?? String(state);
}

/** The panel's banner over the administrator's configuration errors. */
export const CONFIG_ERRORS_NOTICE =
  "The administrator's smcost configuration has errors; idle shutdown and " +
  'switching are off until it is fixed.';

/**
 * The status bar text: `ml.t3.medium · $0.05/h · idle stop in 42m`, or
 * `... · busy`, `... · stopping`, `... · off`, `... · config error`.
 */
export function statusBarText(
  type: string | null,
  usdPerHour: number | null,
  state: IdleState | string | null,
  remaining: number | null,
  configError = false
): string {
  const parts = [type ?? 'unknown type', formatRate(usdPerHour)];
  if (configError) {
    parts.push('config error');
    return parts.join(' \u00b7 ');
  }
  switch (state) {
    case 'busy':
      parts.push('busy');
      break;
    case 'shutting_down':
      parts.push('stopping');
      break;
    case 'disabled':
      parts.push('off');
      break;
    case 'error':
      parts.push('idle stop: error');
      break;
    case null:
      break;
    default:
      parts.push(
        remaining === null
          ? 'idle stop: no deadline'
          : `idle stop in ${formatDuration(remaining)}`
      );
  }
  return parts.join(' \u00b7 ');
}

/** Local clock time of an ISO instant, e.g. `18:03`; `—` when null. */
export function formatClock(iso: string | null | undefined): string {
  const t = parseTime(iso);
  if (t === null) {
    return DASH;
  }
  return new Date(t).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit'
  });
}

/** What an idle shutdown does in this environment, in plain words. */
export function describeShutdown(kind: string | null | undefined): string {
  switch (kind) {
    case 'local':
      return 'this Jupyter server will stop';
    case 'notebook-instance':
      return 'this notebook instance will stop';
    case 'studio-space':
      return 'this app will be deleted (the files in your space stay)';
    case 'studio-classic':
      return 'idle kernels and KernelGateway apps will shut down';
    default:
      return 'this server will stop';
  }
}
