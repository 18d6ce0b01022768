/**
 * The "Still running elsewhere" model: a slow Poll GETs smcost/elsewhere
 * every ELSEWHERE_INTERVAL_S while a view shows it and the page is visible
 * (standby otherwise: a hidden page asks nothing; the server lists at most
 * once per SmCostApp.elsewhere_interval anyway). A 404 (a server without the
 * route) stops it. `stop` deletes one of the listed apps (the view asks
 * first).
 */
import { VDomModel } from '@jupyterlab/ui-components';

import { IApi, restApi } from './client';
import { asSmCostError, SmCostError } from './request';
import { routeAbsent, ShownPoll } from './shownPoll';
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

export class ElsewhereModel extends VDomModel {
  constructor(options: ElsewhereModel.IOptions = {}) {
    super();
    this._api = options.api ?? restApi;
    this._poll = new ShownPoll({
      name: 'elsewhere',
      intervalS: ELSEWHERE_INTERVAL_S,
      maxBackoffS: MAX_BACKOFF_S,
      factory: () => this._fetch(),
      isHidden: options.isHidden
    });
  }

  /** The last listing (null until fetched, or when the route is absent). */
  get current(): IElsewhere | null {
    return this._current;
  }
  /** Why the last fetch or stop failed (null after a success). */
  get error(): SmCostError | null {
    return this._error;
  }
  /** The item being stopped (its name), if any. */
  get stopping(): string | null {
    return this._stopping;
  }

  /** Whether a view shows the section: showing it fetches now. */
  show(shown: boolean): void {
    this._poll.show(shown);
  }

  /** Fetch now (what the poll does). */
  async load(): Promise<void> {
    await this._fetch();
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
      this._error = null;
    } catch (error) {
      this._error = asSmCostError(error);
    } finally {
      this._stopping = null;
      this.stateChanged.emit();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    super.dispose();
  }

  private async _fetch(): Promise<void> {
    try {
      this._current = await this._api.elsewhere();
      this._error = null;
    } catch (error) {
      if (routeAbsent(error)) {
        this._poll.markAbsent();
        this._current = null;
        this._error = null;
        this.stateChanged.emit();
        return;
      }
      this._error = asSmCostError(error);
      this.stateChanged.emit();
      throw this._error;
    }
    this.stateChanged.emit();
  }

  private _api: IApi;
  private _poll: ShownPoll;
  private _current: IElsewhere | null = null;
  private _error: SmCostError | null = null;
  private _stopping: string | null = null;
}
