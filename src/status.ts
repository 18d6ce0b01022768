/**
 * The status and deadline model: fetches smcost/status with a @lumino/polling
 * Poll (every `interval` seconds while the page is visible, slower while
 * hidden, backing off on errors), counts down locally every second, corrects
 * for clock skew between browser and server, and tells its listeners when to
 * warn, when to save documents and when the server starts shutting down.
 *
 * `stateChanged` fires when the status or its error changes (about every
 * `interval` seconds); `ticked` fires every second, for the countdowns only.
 */
import { VDomModel } from '@jupyterlab/ui-components';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IApi, restApi } from './client';
import { clockSkew, countsDown, remainingSeconds } from './clock';
import { asSmCostError, SmCostError } from './request';
import { IStatus } from './tokens';
import { pageHidden } from './shownPoll';

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
/** Back off to at most this interval on errors. */
export const MAX_BACKOFF_S = 300;

export namespace StatusModel {
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

export class StatusModel extends VDomModel {
  constructor(options: StatusModel.IOptions = {}) {
    super();
    this._api = options.api ?? restApi;
    this._now = options.now ?? (() => Date.now());
    this._isHidden = options.isHidden ?? pageHidden;
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
    if (autoStart) {
      this._ticker = setInterval(() => this.tick(), 1000);
    }
  }

  /** Every second (for countdowns). */
  get ticked(): ISignal<this, void> {
    return this._ticked;
  }
  /** Warn / save / shutting down. */
  get deadlineEvent(): ISignal<this, IDeadlineEvent> {
    return this._deadlineEvent;
  }

  /** The last status the server sent (null before the first). */
  get current(): IStatus | null {
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
  /** The server's clock now, in ms (the browser's, skew-corrected). */
  serverNow(): number {
    return this._now() + this._skew;
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
    this.stateChanged.emit();
    this.tick();
    void this.refresh();
    return reply.deadline;
  }

  /** Ask the server to shut down now (the caller confirms first). */
  async shutdown(): Promise<void> {
    await this._api.shutdown();
    await this.refresh();
  }

  /**
   * Once a second: notify countdown listeners and run the deadline checks
   * (also run after every fetch and at one-shot timers set for the warning
   * and save moments, which survive background-tab throttling better).
   */
  tick(): void {
    if (this.isDisposed) {
      return;
    }
    this._ticked.emit();
    this._check();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    if (this._ticker !== null) {
      clearInterval(this._ticker);
    }
    this._clearTimers();
    super.dispose();
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
      this.stateChanged.emit();
      throw error; // lets the poll back off
    }
    this.stateChanged.emit();
    this._armTimers();
    this._check();
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
  private _warnedFor: string | null = null;
  private _verifiedFor: string | null = null;
  private _savedFor: string | null = null;
  private _resavedFor: string | null = null;
  private _announcedShutdown = false;
  private _ticked = new Signal<this, void>(this);
  private _deadlineEvent = new Signal<this, IDeadlineEvent>(this);
}
