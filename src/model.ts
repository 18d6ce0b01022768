/**
 * The model behind every view: fetches smcost/status with a @lumino/polling
 * Poll (every `interval` seconds while the page is visible, slower while
 * hidden, backing off on errors), counts down locally every second, corrects
 * for clock skew between browser and server, and tells its listeners when to
 * warn, when to save documents and when the server starts shutting down.
 *
 * It also follows an instance switch: a second Poll GETs smcost/switch while
 * the switch is under way (a SwitchActiveState of openapi.yaml) and stops at
 * the first SwitchEndState, at a 404 or on dispose.
 *
 * A third, slow Poll GETs smcost/history (usage over the recommendation
 * window, spend per day over 30 days) once a minute, only while a view shows
 * it and the page is visible (standby otherwise), and refreshes the
 * recommendations with it.
 */
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { switchActiveStateValues } from './api';
import { clockSkew, countsDown, remainingSeconds } from './format';
import { requestAPI, SmCostError } from './request';
import {
  IHistory,
  IIdleSettings,
  IIdleSettingsReply,
  IIdleSettingsUpdate,
  IKeepAliveReply,
  IRecommendations,
  IShutdownReply,
  IShutdownSavesReply,
  IStatus,
  ISwitchStatus
} from './tokens';

/** The REST calls the model makes (injectable for tests). */
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
}

/** GET smcost/history parameters (openapi.yaml); the server's defaults when absent. */
export interface IHistoryQuery {
  /** RFC 3339 date-time (default: the recommendation window). */
  since?: string;
  /** Seconds per point (default 60). */
  step?: number;
}

/** `history?since=...&step=...` */
export function historyPath(query: IHistoryQuery): string {
  const params = new URLSearchParams();
  if (query.since !== undefined) {
    params.set('since', query.since);
  }
  if (query.step !== undefined) {
    params.set('step', String(query.step));
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
  history: query => requestAPI<IHistory>(historyPath(query))
};

/** What the model asks its listeners to do. */
export interface IDeadlineEvent {
  /**
   * `warning`: the deadline is `warning_s` away; `clear`: a warned deadline
   * moved away; `save`: save dirty documents now; `shutting-down`: the server
   * started shutting down.
   */
  kind: 'warning' | 'clear' | 'save' | 'shutting-down';
  deadline: string | null;
  remaining: number | null;
}

/** Save this many seconds before the deadline at most (and the warning period at least). */
export const SAVE_LEAD_S = 15;
/** Save again this many seconds before the deadline, if still dirty. */
export const RESAVE_LEAD_S = 5;
/** While the page is hidden, fetch at most this often (unless the deadline is near). */
export const HIDDEN_INTERVAL_S = 120;
/** After a 404 from smcost/recommendations, ask again only after this long. */
export const RECOMMENDATIONS_RETRY_S = 600;
/** Back off to at most this interval on errors. */
export const MAX_BACKOFF_S = 300;
/** Seconds between GET smcost/switch while a switch is under way. */
export const SWITCH_INTERVAL_S = 3;
/** While following a switch, back off to at most this interval on errors. */
export const SWITCH_MAX_BACKOFF_S = 60;
/** Seconds between GET smcost/history while a view shows it. */
export const HISTORY_INTERVAL_S = 60;
/** Days of spend the history asks for (today included). */
export const SPEND_DAYS = 30;
/** Seconds per usage point. */
export const USAGE_STEP_S = 60;

/** Whether a switch is still under way (a SwitchActiveState of openapi.yaml). */
export function switchUnderWay(sw: ISwitchStatus | null): boolean {
  return (
    !!sw && (switchActiveStateValues as readonly string[]).includes(sw.state)
  );
}

function asSmCostError(error: unknown): SmCostError {
  return error instanceof SmCostError
    ? error
    : new SmCostError(String(error), 0, 'error');
}

export namespace SmCostModel {
  export interface IOptions {
    api?: IApi;
    /** Seconds between fetches while visible (default 30). */
    interval?: number;
    /** The browser clock, in ms (tests inject one). */
    now?: () => number;
    /** Start polling and ticking at once (default true). */
    autoStart?: boolean;
    /** Whether the page is hidden (default: document.hidden). */
    isHidden?: () => boolean;
  }
}

export class SmCostModel implements IDisposable {
  constructor(options: SmCostModel.IOptions = {}) {
    this._api = options.api ?? restApi;
    this._now = options.now ?? (() => Date.now());
    this._isHidden =
      options.isHidden ??
      (() => typeof document !== 'undefined' && document.hidden);
    this._interval = Math.max(1, options.interval ?? 30);
    const autoStart = options.autoStart ?? true;
    this._poll = new Poll({
      auto: autoStart,
      factory: () => this._fetch(),
      frequency: {
        interval: this._interval * 1000,
        backoff: true,
        max: MAX_BACKOFF_S * 1000
      },
      name: 'jupyterlab-smcost:status',
      standby: () => this._standby()
    });
    this._switchPoll = new Poll({
      auto: false,
      factory: () => this._fetchSwitch(),
      frequency: {
        interval: SWITCH_INTERVAL_S * 1000,
        backoff: true,
        max: SWITCH_MAX_BACKOFF_S * 1000
      },
      name: 'jupyterlab-smcost:switch',
      standby: () => this._isHidden()
    });
    this._historyPoll = new Poll({
      auto: false,
      factory: () => this._fetchHistory(),
      frequency: {
        interval: HISTORY_INTERVAL_S * 1000,
        backoff: true,
        max: MAX_BACKOFF_S * 1000
      },
      name: 'jupyterlab-smcost:history',
      standby: () => this._isHidden() || !this._historyShown
    });
    if (autoStart) {
      this._ticker = setInterval(() => this.tick(), 1000);
    }
  }

  /** Status, error or settings changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }
  /** Every second (for countdowns). */
  get ticked(): ISignal<this, void> {
    return this._ticked;
  }
  /** Warn / save / shutting down. */
  get deadlineEvent(): ISignal<this, IDeadlineEvent> {
    return this._deadlineEvent;
  }

  get status(): IStatus | null {
    return this._status;
  }
  /** The administrator's configuration errors (empty when fine, or unknown). */
  get configErrors(): string[] {
    return this._status?.config_errors ?? [];
  }
  /** The last error of a status fetch (null after a success). */
  get error(): SmCostError | null {
    return this._error;
  }
  /** Server clock minus browser clock, in ms. */
  get skewMs(): number {
    return this._skew;
  }
  /** Browser time (ms) of the last successful fetch; 0 if none yet. */
  get lastFetch(): number {
    return this._lastFetch;
  }
  get recommendations(): IRecommendations | null {
    return this._recommendations;
  }
  /** The last GET smcost/recommendations, with or without items (null: none yet). */
  get utilization(): IRecommendations | null {
    return this._recsData;
  }
  /** Usage over the recommendation window (null until fetched). */
  get usageHistory(): IHistory | null {
    return this._usageHistory;
  }
  /** Spend per day over the last SPEND_DAYS days (null until fetched). */
  get spendHistory(): IHistory | null {
    return this._spendHistory;
  }
  /** Why the last history fetch failed (null after a success). */
  get historyError(): SmCostError | null {
    return this._historyError;
  }
  /** The latest switch (null before any, or after a 404). */
  get switchStatus(): ISwitchStatus | null {
    return this._switch;
  }
  /** Whether a switch is being started or is under way (Switch buttons wait). */
  get switchBusy(): boolean {
    return this._switchStarting || switchUnderWay(this._switch);
  }
  /** Whether the switch poll runs (a switch is being followed). */
  get followingSwitch(): boolean {
    const phase = this._switchPoll.state.phase;
    return phase !== 'constructed' && phase !== 'stopped';
  }
  /** Why the last switch request failed (null after a success). */
  get switchError(): SmCostError | null {
    return this._switchError;
  }
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Seconds between fetches while the page is visible. */
  get interval(): number {
    return this._interval;
  }
  set interval(seconds: number) {
    const s = Math.max(1, seconds);
    if (s === this._interval) {
      return;
    }
    this._interval = s;
    this._poll.frequency = {
      ...this._poll.frequency,
      interval: s * 1000
    };
  }

  /** Seconds to the idle deadline, skew-corrected; negative once passed; null if none. */
  remaining(): number | null {
    const idle = this._status?.idle;
    if (!idle) {
      return null;
    }
    return remainingSeconds(idle.deadline, this._now(), this._skew);
  }

  /** Fetch now (shares an in-flight fetch). */
  refresh(): Promise<void> {
    if (!this._inflight) {
      this._inflight = this._fetch()
        .catch(() => undefined)
        .finally(() => {
          this._inflight = null;
        });
    }
    return this._inflight;
  }

  /**
   * Tell the server which documents are about to be saved because a shutdown
   * is near, so that those saves do not postpone it. Best effort.
   */
  async announceShutdownSaves(paths: string[]): Promise<void> {
    if (paths.length === 0) {
      return;
    }
    try {
      await this._api.announceShutdownSaves(paths);
    } catch (error) {
      console.warn('jupyterlab-smcost: could not announce saves', error);
    }
  }

  /** Reset the idle clock; returns the new deadline. */
  async keepAlive(): Promise<string | null> {
    const reply = await this._api.keepAlive();
    if (this._status) {
      this._status = { ...this._status, idle: reply.idle };
    }
    this._changed.emit();
    this.tick();
    void this.refresh();
    return reply.deadline;
  }

  /** Ask the server to shut down now (the caller confirms first). */
  async shutdown(): Promise<void> {
    await this._api.shutdown();
    await this.refresh();
  }

  getIdleSettings(): Promise<IIdleSettings> {
    return this._api.getIdle();
  }

  /** PUT the settings; rejects with the server's message (any non-2xx answer). */
  async saveIdleSettings(body: IIdleSettingsUpdate): Promise<IIdleSettings> {
    const saved = await this._api.putIdle(body);
    await this.refresh();
    return saved;
  }

  /**
   * Load recommendations. A 404 (route absent in this release) or an empty
   * list hides the section: `recommendations` stays null, and no error shows.
   */
  async loadRecommendations(): Promise<IRecommendations | null> {
    if (this._now() < this._recsAbsentUntil) {
      return null; // the route answered 404 recently: do not ask again yet
    }
    let next: IRecommendations | null = null;
    try {
      const data = await this._api.recommendations();
      this._recsData = data ?? null;
      next =
        data && Array.isArray(data.items) && data.items.length ? data : null;
    } catch (error) {
      next = null;
      if (error instanceof SmCostError && error.status === 404) {
        this._recsAbsentUntil = this._now() + RECOMMENDATIONS_RETRY_S * 1000;
      } else {
        console.warn('jupyterlab-smcost: recommendations unavailable', error);
      }
    }
    if (next !== this._recommendations) {
      this._recommendations = next;
      this._changed.emit();
    }
    return next;
  }

  /**
   * Whether a view shows the history: while one does (and the page is
   * visible), it is fetched every HISTORY_INTERVAL_S; showing it fetches now.
   */
  showHistory(shown: boolean): void {
    this._historyShown = shown;
    if (!shown || this._historyAbsent) {
      return;
    }
    if (this._historyPoll.state.phase === 'constructed') {
      void this._historyPoll.start();
    } else {
      void this._historyPoll.refresh();
    }
  }

  /** Fetch the history now (what the poll does); rejects on errors but 404. */
  async loadHistory(): Promise<void> {
    await this._fetchHistory();
  }

  /**
   * POST a switch and follow it until it ends. Rejects with the server's
   * message (also kept in `switchError`).
   */
  async startSwitch(instanceType: string): Promise<ISwitchStatus> {
    this._switchStarting = true;
    this._switchError = null;
    this._changed.emit();
    try {
      const sw = await this._api.startSwitch(instanceType);
      this._setSwitch(sw);
      return sw;
    } catch (error) {
      this._switchError = asSmCostError(error);
      throw this._switchError;
    } finally {
      this._switchStarting = false;
      this._changed.emit();
    }
  }

  /**
   * Once a second: notify countdown listeners and run the deadline checks
   * (also run after every fetch and at one-shot timers set for the warning
   * and save moments, which survive background-tab throttling better).
   */
  tick(): void {
    if (this._isDisposed) {
      return;
    }
    this._ticked.emit();
    this._check();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    this._switchPoll.dispose();
    this._historyPoll.dispose();
    if (this._ticker !== null) {
      clearInterval(this._ticker);
    }
    this._clearTimers();
    Signal.clearData(this);
  }

  private async _fetch(): Promise<void> {
    const sentAt = this._now();
    try {
      const status = await this._api.status();
      const receivedAt = this._now();
      this._skew = clockSkew(status.server_time, sentAt, receivedAt);
      this._status = status;
      this._error = null;
      this._lastFetch = receivedAt;
    } catch (error) {
      this._error = asSmCostError(error);
      this._changed.emit();
      throw error; // lets the poll back off
    }
    this._changed.emit();
    this._armTimers();
    this._check();
    if (!this._switchLooked && this._status.environment.can_switch) {
      // after a reload: pick up a switch that is still under way
      this._switchLooked = true;
      void this._switchPoll.start();
    }
  }

  /**
   * The history poll's factory: the usage window (the server's default
   * since) and 30 days of spend from the start of a UTC day (server time).
   * A 404 (a server without the route) stops the poll; other errors reject
   * (the poll backs off).
   */
  private async _fetchHistory(): Promise<void> {
    const serverNow = new Date(this._now() + this._skew);
    const since = new Date(
      Date.UTC(
        serverNow.getUTCFullYear(),
        serverNow.getUTCMonth(),
        serverNow.getUTCDate() - (SPEND_DAYS - 1)
      )
    ).toISOString();
    try {
      const [usage, spend] = await Promise.all([
        this._api.history({ step: USAGE_STEP_S }),
        this._api.history({ since, step: 86400 })
      ]);
      this._usageHistory = usage;
      this._spendHistory = spend;
      this._historyError = null;
    } catch (error) {
      if (error instanceof SmCostError && error.status === 404) {
        this._historyAbsent = true;
        this._historyError = null;
        this._changed.emit();
        void this._historyPoll.stop();
        return;
      }
      this._historyError = asSmCostError(error);
      this._changed.emit();
      throw this._historyError;
    }
    this._changed.emit();
    // the recommendation's percentiles move with the same samples
    await this.loadRecommendations();
  }

  /** The switch poll's factory (rejecting makes it back off). */
  private async _fetchSwitch(): Promise<void> {
    let sw: ISwitchStatus | null;
    try {
      sw = await this._api.getSwitch();
    } catch (error) {
      if (!(error instanceof SmCostError && error.status === 404)) {
        this._switchError = asSmCostError(error);
        this._changed.emit();
        throw this._switchError;
      }
      sw = null; // no switch yet, or the server restarted and forgot it
    }
    this._switchError = null;
    this._setSwitch(sw);
  }

  /** Take a switch from the server; follow it while it is under way. */
  private _setSwitch(sw: ISwitchStatus | null): void {
    const ended = switchUnderWay(this._switch) && !switchUnderWay(sw);
    this._switchLooked = true; // no need to look after the next status
    this._switch = sw;
    this._changed.emit();
    if (switchUnderWay(sw)) {
      void this._switchPoll.start(); // no-op while it runs
    } else {
      void this._switchPoll.stop();
    }
    if (ended) {
      void this.refresh(); // the instance type, price and idle state may have changed
    }
  }

  private _standby(): boolean {
    if (!this._isHidden()) {
      return false;
    }
    const idle = this._status?.idle;
    const r = this.remaining();
    if (idle && r !== null && r <= idle.warning_s + 2 * this._interval) {
      return false; // near the deadline: stay current even when hidden
    }
    const hiddenMs = Math.max(HIDDEN_INTERVAL_S, 4 * this._interval) * 1000;
    return this._now() - this._lastFetch < hiddenMs;
  }

  private _armTimers(): void {
    this._clearTimers();
    const idle = this._status?.idle;
    const r = this.remaining();
    if (!idle || r === null || r <= 0) {
      return;
    }
    const leads = [
      idle.warning_s,
      Math.min(idle.warning_s, SAVE_LEAD_S),
      Math.min(idle.warning_s, RESAVE_LEAD_S)
    ];
    for (const lead of leads) {
      const ms = (r - lead) * 1000;
      if (ms > 0 && ms < 2 ** 31 - 1) {
        this._timers.push(setTimeout(() => this.tick(), ms));
      }
    }
  }

  private _clearTimers(): void {
    this._timers.forEach(t => clearTimeout(t));
    this._timers = [];
  }

  private _emit(kind: IDeadlineEvent['kind'], remaining: number | null): void {
    this._deadlineEvent.emit({
      kind,
      deadline: this._status?.idle.deadline ?? null,
      remaining
    });
  }

  private _check(): void {
    const idle = this._status?.idle;
    if (!idle) {
      return;
    }
    if (idle.state === 'shutting_down') {
      if (!this._announcedShutdown) {
        this._announcedShutdown = true;
        this._emit('shutting-down', null);
      }
      return;
    }
    this._announcedShutdown = false;
    const r = this.remaining();
    const counting = countsDown(idle) && r !== null;
    if (!counting) {
      if (this._warnedFor !== null) {
        this._warnedFor = null;
        this._emit('clear', r);
      }
      return;
    }
    const key = idle.deadline as string;
    if (this._warnedFor !== null && this._warnedFor !== key) {
      // the deadline moved (activity, keep-alive): the old warning is stale
      this._warnedFor = null;
      this._emit('clear', r);
    }
    if (r! <= idle.warning_s && this._warnedFor !== key) {
      const stale = this._now() - this._lastFetch > 5000;
      if (stale && this._verifiedFor !== key) {
        // check with the server before warning: the deadline may have moved
        this._verifiedFor = key;
        void this.refresh();
      } else if (!stale || !this._inflight) {
        this._warnedFor = key;
        this._emit('warning', r);
      }
    }
    if (r! <= Math.min(idle.warning_s, SAVE_LEAD_S) && this._savedFor !== key) {
      this._savedFor = key;
      this._emit('save', r);
    }
    if (
      r! <= Math.min(idle.warning_s, RESAVE_LEAD_S) &&
      this._resavedFor !== key
    ) {
      this._resavedFor = key;
      this._emit('save', r);
    }
  }

  private _api: IApi;
  private _now: () => number;
  private _isHidden: () => boolean;
  private _interval: number;
  private _poll: Poll;
  private _ticker: ReturnType<typeof setInterval> | null = null;
  private _timers: Array<ReturnType<typeof setTimeout>> = [];
  private _inflight: Promise<void> | null = null;
  private _status: IStatus | null = null;
  private _error: SmCostError | null = null;
  private _skew = 0;
  private _lastFetch = 0;
  private _recommendations: IRecommendations | null = null;
  private _switch: ISwitchStatus | null = null;
  private _switchPoll: Poll;
  private _switchStarting = false;
  private _switchError: SmCostError | null = null;
  private _switchLooked = false;
  private _recsAbsentUntil = 0;
  private _recsData: IRecommendations | null = null;
  private _historyPoll: Poll;
  private _historyShown = false;
  private _historyAbsent = false;
  private _usageHistory: IHistory | null = null;
  private _spendHistory: IHistory | null = null;
  private _historyError: SmCostError | null = null;
  private _warnedFor: string | null = null;
  private _verifiedFor: string | null = null;
  private _savedFor: string | null = null;
  private _resavedFor: string | null = null;
  private _announcedShutdown = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _ticked = new Signal<this, void>(this);
  private _deadlineEvent = new Signal<this, IDeadlineEvent>(this);
}
