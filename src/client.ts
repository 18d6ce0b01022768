/**
 * The REST client: one method per call of openapi.yaml under
 * `{base_url}smcost/`, behind an interface the models take (tests inject
 * their own).
 */
import { requestAPI } from './request';
import {
  IElsewhere,
  IElsewhereStop,
  IElsewhereStopReply,
  IHistory,
  IIdleSettings,
  IIdleSettingsReply,
  IIdleSettingsUpdate,
  IKeepAliveReply,
  ILedger,
  IRecommendations,
  IShutdownReply,
  IShutdownSavesReply,
  IStatus,
  ISwitchStatus
} from './tokens';

/** The REST calls the models make (injectable for tests). */
export interface IApi {
  status(): Promise<IStatus>;
  keepAlive(): Promise<IKeepAliveReply>;
  announceShutdownSaves(paths: string[]): Promise<IShutdownSavesReply>;
  shutdown(): Promise<IShutdownReply>;
  getIdle(): Promise<IIdleSettings>;
  putIdle(body: IIdleSettingsUpdate): Promise<IIdleSettingsReply>;
  recommendations(): Promise<IRecommendations>;
  startSwitch(instanceType: string): Promise<ISwitchStatus>;
  getSwitch(): Promise<ISwitchStatus>;
  history(query: IHistoryQuery): Promise<IHistory>;
  elsewhere(): Promise<IElsewhere>;
  stopElsewhere(body: IElsewhereStop): Promise<IElsewhereStopReply>;
  /** GET smcost/ledger (absent from an API without it: the section hides). */
  ledger?(): Promise<ILedger>;
}

/** GET smcost/history parameters (openapi.yaml); the server's defaults when absent. */
export interface IHistoryQuery {
  /** RFC 3339 date-time (default: the recommendation window). */
  since?: string;
  /** Seconds per point (default 60; 3600 over the horizon). */
  step?: number;
  /** `horizon`: from where the recommendation's horizon starts (not with since). */
  range?: 'window' | 'horizon';
}

/** `history?since=...&step=...&range=...` */
export function historyPath(query: IHistoryQuery): string {
  const params = new URLSearchParams();
  if (query.since !== undefined) {
    params.set('since', query.since);
  }
  if (query.step !== undefined) {
    params.set('step', String(query.step));
  }
  if (query.range !== undefined) {
    params.set('range', query.range);
  }
  const q = params.toString();
  return q ? `history?${q}` : 'history';
}

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  body: body === undefined ? undefined : JSON.stringify(body),
  headers: { 'Content-Type': 'application/json' }
});

/** The real API under `{base_url}smcost/`. */
export const restApi: IApi = {
  status: () => requestAPI<IStatus>('status'),
  keepAlive: () => requestAPI<IKeepAliveReply>('idle/keepalive', json('POST')),
  announceShutdownSaves: paths =>
    requestAPI<IShutdownSavesReply>(
      'idle/shutdown-saves',
      json('POST', { paths })
    ),
  shutdown: () => requestAPI<IShutdownReply>('shutdown', json('POST')),
  getIdle: () => requestAPI<IIdleSettings>('idle'),
  putIdle: body => requestAPI<IIdleSettingsReply>('idle', json('PUT', body)),
  recommendations: () => requestAPI<IRecommendations>('recommendations'),
  startSwitch: instanceType =>
    requestAPI<ISwitchStatus>(
      'switch',
      json('POST', { instance_type: instanceType })
    ),
  getSwitch: () => requestAPI<ISwitchStatus>('switch'),
  history: query => requestAPI<IHistory>(historyPath(query)),
  elsewhere: () => requestAPI<IElsewhere>('elsewhere'),
  ledger: () => requestAPI<ILedger>('ledger'),
  stopElsewhere: body =>
    requestAPI<IElsewhereStopReply>('elsewhere/stop', json('POST', body))
};
