/**
 * The "Still running elsewhere" model: a slow Poll GETs smcost/elsewhere
 * every ELSEWHERE_INTERVAL_S while a view shows it and the page is visible
 * (standby otherwise: a hidden page asks nothing; the server lists at most
 * once per SmCostApp.elsewhere_interval anyway). A 404 (a server without the
 * route) stops it. `stop` deletes one of the listed apps (the view asks
 * first).
 */

import { IApi, restApi } from './client';
import { asSmCostError } from './request';
import { ShownPollModel } from './shownPoll';
import { MAX_BACKOFF_S } from './status';
import { IElsewhere, IElsewhereItem } from './tokens';

/** Seconds between GET smcost/elsewhere while a view shows it. */
export const ELSEWHERE_INTERVAL_S = 120;

export namespace ElsewhereModel {
  export interface IOptions {
    api?: IApi;
    /** Whether the page is hidden (the poll stands by). */
    isHidden?: () => boolean;
  }
}

export class ElsewhereModel extends ShownPollModel {
  constructor(options: ElsewhereModel.IOptions = {}) {
    super({
      name: 'elsewhere',
      intervalS: ELSEWHERE_INTERVAL_S,
      maxBackoffS: MAX_BACKOFF_S,
      isHidden: options.isHidden
    });
    this._api = options.api ?? restApi;
  }

  /** The last listing (null until fetched, or when the route is absent). */
  get current(): IElsewhere | null {
    return this._current;
  }
  /** The item being stopped (its name), if any. */
  get stopping(): string | null {
    return this._stopping;
  }

  /** Delete one listed app (DeleteApp); the listing without it after. */
  async stop(item: IElsewhereItem): Promise<void> {
    if (!item.stoppable || !item.space || !item.app_type || !item.app_name) {
      return;
    }
    this._stopping = item.name;
    this.stateChanged.emit();
    try {
      const reply = await this._api.stopElsewhere({
        space_name: item.space,
        app_type: item.app_type as 'JupyterLab',
        app_name: item.app_name
      });
      this._current = reply;
      this.lastError = null;
    } catch (error) {
      this.lastError = asSmCostError(error);
    } finally {
      this._stopping = null;
      this.stateChanged.emit();
    }
  }

  protected async fetch(): Promise<void> {
    const read = await this.round(async () => {
      this._current = await this._api.elsewhere();
    });
    if (!read) {
      this._current = null; // the route is absent: nothing to show
    }
  }

  private _api: IApi;
  private _current: IElsewhere | null = null;
  private _stopping: string | null = null;
}
