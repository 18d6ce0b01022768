/**
 * Shared identifiers and the shapes of the server's REST API (DESIGN.md §5).
 */

/** The id of the main plugin; also the settings key in schema/plugin.json. */
export const PLUGIN_ID = 'jupyterlab-smcost:plugin';

/** The id of the sidebar panel widget. */
export const PANEL_ID = 'jupyterlab-smcost-panel';

/** The id of the status bar item. */
export const STATUS_ITEM_ID = 'jupyterlab-smcost:status';

/** Palette category of our commands. */
export const CATEGORY = 'SageMaker cost';

/** Command ids. */
export namespace CommandIDs {
  export const open = 'smcost:open-panel';
  export const keepRunning = 'smcost:keep-running';
  export const shutdown = 'smcost:shutdown-now';
}

export type PriceSource = 'live' | 'bundled' | 'estimated' | 'unknown';

export type IdleState =
  'active' | 'idle' | 'busy' | 'disabled' | 'shutting_down' | 'error';

export interface IEnvironment {
  kind: string;
  region: string | null;
  resource: string | null;
  can_shutdown: boolean;
  can_switch: boolean;
  switch_unavailable_reason?: string | null;
  label?: string | null;
}

export interface IInstance {
  type: string | null;
  types?: string[];
  vcpu: number | null;
  memory_gib: number | null;
  gpu_count: number | null;
  gpu_model: string | null;
  gpu_memory_gib?: number | null;
}

export interface IPrice {
  usd_per_hour: number | null;
  component: string | null;
  source: PriceSource;
  as_of: string | null;
  detail?: string | null;
}

export interface ICost {
  started_at: string | null;
  since_start_usd: number | null;
  projected_usd_per_day: number | null;
  projected_usd_per_month: number | null;
}

export interface IIdle {
  enabled: boolean;
  timeout_s: number;
  idle_s: number | null;
  remaining_s: number | null;
  deadline: string | null;
  state: IdleState;
  reasons: string[];
  warning_s: number;
  last_activity?: string | null;
  last_activity_source?: string | null;
  user_timeout_s?: number;
  dry_run?: boolean;
}

/** GET smcost/status */
export interface IStatus {
  environment: IEnvironment;
  instance: IInstance;
  price: IPrice;
  cost: ICost;
  idle: IIdle;
  server_time: string;
}

/** GET/PUT smcost/idle */
export interface IIdleSettings {
  enabled: boolean;
  timeout_s: number;
  ignore_connections: boolean;
  count_terminals: boolean;
  warning_s: number;
  bounds?: { min_timeout_s: number | null; max_timeout_s: number | null };
  deadline?: string | null;
}

/** POST smcost/idle/keepalive */
export interface IKeepAliveReply {
  deadline: string | null;
  idle?: IIdle;
}

export interface IRecommendation {
  type: string;
  reason: string;
  usd_per_hour: number | null;
  savings_usd_per_month: number | null;
  confidence?: string | number | null;
}

/** GET smcost/recommendations (may not exist: 404 hides the section) */
export interface IRecommendations {
  window_s?: number;
  utilization?: Record<string, number | null>;
  items: IRecommendation[];
}

export interface ISwitchStep {
  name?: string;
  state?: string;
  message?: string;
  [key: string]: unknown;
}

/** GET/POST smcost/switch */
export interface ISwitchStatus {
  id: string | null;
  state: string | null;
  target: string | null;
  steps: Array<ISwitchStep | string>;
  error: string | null;
  manual_step?: string | null;
}
