/**
 * Server replies for the jest tests, typed by the contract (src/api.ts, from
 * openapi.yaml): a fixture the server could not send does not compile.
 */
import {
  IBilled,
  ICost,
  IEnvironment,
  IHistory,
  IIdle,
  IIdleSettings,
  IInstance,
  IPrice,
  IRecommendation,
  IRecommendations,
  ISpendDay,
  IStatus,
  ISwitchStatus,
  IUsagePoint
} from '../tokens';

export const T0 = Date.parse('2026-11-26T12:00:00Z');

/** A price quote: ml.t3.medium's bundled price in us-east-1, unless told. */
export function makeQuote(quote: Partial<IPrice> = {}): IPrice {
  return {
    per_hour: 0.05,
    currency: 'USD',
    source: 'bundled',
    as_of: '2026-09-24',
    detail: 'AWS pricing page',
    fix: null,
    region: 'us-east-1',
    component: 'Studio-JupyterLab',
    instance_type: 'ml.t3.medium',
    parts: null,
    ...quote
  };
}

export interface IStatusOptions {
  idle?: Partial<IIdle>;
  environment?: Partial<IEnvironment>;
  instance?: Partial<IInstance>;
  price?: Partial<IPrice>;
  cost?: Partial<ICost>;
  /** The server's clock (ms) when it answered. */
  serverTime?: number;
  configErrors?: string[];
}

/** GET smcost/status: local, ml.t3.medium, active, an hour to go. */
export function makeStatus(options: IStatusOptions = {}): IStatus {
  const serverTime = options.serverTime ?? T0;
  return {
    environment: {
      kind: 'local',
      region: 'us-east-1',
      resource: null,
      can_shutdown: true,
      can_switch: false,
      switch_unavailable_reason: 'not on SageMaker',
      label: 'not on SageMaker: priced as ml.t3.medium',
      ...options.environment
    },
    instance: {
      type: 'ml.t3.medium',
      types: ['ml.t3.medium'],
      vcpu: 2,
      memory_gib: 4,
      gpu_count: 0,
      gpu_model: null,
      ...options.instance
    },
    price: makeQuote(options.price),
    cost: {
      started_at: new Date(T0).toISOString(),
      since_start: 0,
      projected_per_day: 1.2,
      projected_per_month: 36.5,
      currency: 'USD',
      basis: 'history',
      ...options.cost
    },
    idle: {
      enabled: true,
      timeout_s: 3600,
      idle_s: 0,
      remaining_s: 3600,
      deadline: new Date(serverTime + 3600_000).toISOString(),
      state: 'active',
      reasons: ['last activity: server start'],
      warning_s: 300,
      ...options.idle
    },
    server_time: new Date(serverTime).toISOString(),
    config_errors: options.configErrors ?? []
  };
}

export function makeRecommendation(
  rec: Partial<IRecommendation> = {}
): IRecommendation {
  return {
    type: 'ml.t3.large',
    rule: 'gpu_idle',
    reason: 'GPU unused for 24 h',
    price: makeQuote({ per_hour: 0.1, instance_type: 'ml.t3.large' }),
    savings_per_month: 584,
    currency: 'USD',
    confidence: 'high',
    ...rec
  };
}

/** GET smcost/recommendations with these items. */
export function makeRecommendations(
  items: IRecommendation[] = [makeRecommendation()]
): IRecommendations {
  return {
    window_s: 86400,
    samples: 2880,
    utilization: { cpu_p50: 0.02, cpu_p95: 0.05, mem_p95: 0.2, gpu_p95: 0 },
    items,
    reason: items.length ? null : 'not enough samples yet'
  };
}

/** GET/POST smcost/switch. */
export function makeSwitch(sw: Partial<ISwitchStatus> = {}): ISwitchStatus {
  return {
    id: 'a1b2',
    state: 'running',
    target: 'ml.t3.large',
    steps: [],
    error: null,
    manual_step: null,
    ...sw
  };
}

/** GET smcost/idle: the defaults, bounded below at a minute. */
export function makeIdleSettings(): IIdleSettings {
  return {
    enabled: true,
    timeout_s: 3600,
    ignore_connections: true,
    count_terminals: true,
    count_background: true,
    warning_s: 300,
    bounds: { min_timeout_s: 60, max_timeout_s: null }
  };
}

export interface IHistoryOptions {
  /** The server's clock (ms) when it answered. */
  until?: number;
  /** Usage points, oldest first (`t` in UNIX seconds), each completed below. */
  usage?: Array<Partial<IUsagePoint> & { t: number }>;
  step?: number;
  since?: number;
  instanceType?: string | null;
  days?: ISpendDay[];
  monthToDate?: number;
  billed?: IBilled | null;
}

/** One usage point: 6 samples on ml.t3.medium at 10% CPU, 25% memory, no GPU. */
export function makeUsagePoint(
  p: Partial<IUsagePoint> & { t: number }
): IUsagePoint {
  return {
    instance_type: 'ml.t3.medium',
    samples: 6,
    cpu_count: 2,
    cpu_mean: 0.1,
    cpu_max: 0.2,
    mem_total_gib: 4,
    mem_mean: 0.25,
    mem_max: 0.3,
    mem_max_gib: 1.2,
    gpu_count: 0,
    gpu_mean: null,
    gpu_max: null,
    gpu_mem_max_gib: null,
    gpu_mem_total_gib: null,
    ...p
  };
}

/** One day of spend at ml.t3.medium's bundled price. */
export function makeSpendDay(date: string, hours: number): ISpendDay {
  const amount = Math.round(hours * 0.05 * 10000) / 10000;
  return {
    date,
    amount,
    hours,
    unpriced_hours: 0,
    prices: hours
      ? [
          {
            price: makeQuote({ detail: 'the price in force while it ran' }),
            hours,
            amount
          }
        ]
      : []
  };
}

/** GET smcost/history: the last hour at 60 s steps, by default empty. */
export function makeHistory(options: IHistoryOptions = {}): IHistory {
  const until = options.until ?? T0;
  const step = options.step ?? 60;
  const since = options.since ?? until - 3600_000;
  const days = options.days ?? [makeSpendDay('2026-11-26', 1)];
  return {
    enabled: true,
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    step_s: step,
    window_s: 3600,
    instance_type:
      options.instanceType === undefined
        ? 'ml.t3.medium'
        : options.instanceType,
    thresholds: {
      cpu_saturated: 0.9,
      mem_saturated: 0.9,
      gpu_idle: 0.05,
      headroom: 0.7
    },
    kept_since: new Date(since).toISOString(),
    usage: (options.usage ?? []).map(makeUsagePoint),
    spend: {
      currency: 'USD',
      days,
      month_to_date: {
        month: '2026-11',
        amount: options.monthToDate ?? days.reduce((s, d) => s + d.amount, 0),
        hours: days.reduce((s, d) => s + d.hours, 0),
        unpriced_hours: 0,
        prices: []
      }
    },
    billed: options.billed ?? null
  };
}
