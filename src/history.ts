/**
 * The history model: a slow Poll GETs smcost/history (usage over the
 * recommendation window, spend per day over SPEND_DAYS days, and while the
 * usage chart shows it, usage over the recommendation's horizon) every
 * HISTORY_INTERVAL_S, only while a view shows it and the page is visible
 * (standby otherwise). A 404 (a server without the route) stops it.
 */

import { IApi, restApi } from './client';
import { ShownPollModel } from './shownPoll';
import { MAX_BACKOFF_S } from './status';
import { IHistory } from './tokens';

/** Seconds between GET smcost/history while a view shows it. */
export const HISTORY_INTERVAL_S = 60;
/** Days of spend the history asks for (today included). */
export const SPEND_DAYS = 30;
/** Seconds per usage point. */
export const USAGE_STEP_S = 60;
/** Seconds per usage point over the horizon (the kept hours). */
export const HORIZON_STEP_S = 3600;

/** What the usage chart shows: the usage window, or the recommendation's horizon. */
export type UsageRange = 'window' | 'horizon';

export namespace HistoryModel {
  export interface IOptions {
    api?: IApi;
    /** The server's clock, in ms (the days of spend are the server's UTC days). */
    serverNow?: () => number;
    /** Whether the page is hidden (the poll stands by). */
    isHidden?: () => boolean;
    /** Run after every successful fetch, before the poll's next tick. */
    fetched?: () => Promise<unknown>;
  }
}

export class HistoryModel extends ShownPollModel {
  constructor(options: HistoryModel.IOptions = {}) {
    super({
      name: 'history',
      intervalS: HISTORY_INTERVAL_S,
      maxBackoffS: MAX_BACKOFF_S,
      isHidden: options.isHidden
    });
    this._api = options.api ?? restApi;
    this._serverNow = options.serverNow ?? (() => Date.now());
    this._fetched = options.fetched ?? (() => Promise.resolve());
  }

  /** Usage over the recommendation window (null until fetched). */
  get usage(): IHistory | null {
    return this._usage;
  }
  /** Usage over the recommendation's horizon (null until asked and fetched). */
  get horizonUsage(): IHistory | null {
    return this._horizon;
  }
  /** What the usage chart shows. */
  get range(): UsageRange {
    return this._range;
  }
  /** Show the window or the horizon: the horizon is fetched now, then polled. */
  setRange(range: UsageRange): void {
    if (range === this._range) {
      return;
    }
    this._range = range;
    this.stateChanged.emit();
    if (range === 'horizon') {
      this.poll.refresh();
    }
  }
  /** Spend per day over the last SPEND_DAYS days (null until fetched). */
  get spend(): IHistory | null {
    return this._spend;
  }

  /**
   * The poll's factory: the usage window (the server's default since),
   * SPEND_DAYS days of spend from the start of a UTC day (server time), and
   * while the chart shows it the horizon (at an hour a point).
   */
  protected async fetch(): Promise<void> {
    const serverNow = new Date(this._serverNow());
    const since = new Date(
      Date.UTC(
        serverNow.getUTCFullYear(),
        serverNow.getUTCMonth(),
        serverNow.getUTCDate() - (SPEND_DAYS - 1)
      )
    ).toISOString();
    const read = await this.round(async () => {
      const [usage, spend, horizon] = await Promise.all([
        this._api.history({ step: USAGE_STEP_S }),
        this._api.history({ since, step: 86400 }),
        this._range === 'horizon'
          ? this._api.history({ range: 'horizon', step: HORIZON_STEP_S })
          : Promise.resolve(this._horizon)
      ]);
      this._usage = usage;
      this._spend = spend;
      this._horizon = horizon;
    });
    if (read) {
      await this._fetched();
    }
  }

  private _api: IApi;
  private _serverNow: () => number;
  private _fetched: () => Promise<unknown>;
  private _usage: IHistory | null = null;
  private _spend: IHistory | null = null;
  private _horizon: IHistory | null = null;
  private _range: UsageRange = 'window';
}
