/**
 * The recommendations model: GET smcost/recommendations when asked (the
 * panel is shown, the history was fetched). A 404 (route absent in this
 * release) or an empty list hides the section without an error, and a 404
 * is not asked again for RECOMMENDATIONS_RETRY_S.
 */
import { VDomModel } from '@jupyterlab/ui-components';

import { IApi, restApi } from './client';
import { SmCostError } from './request';
import { IRecommendations } from './tokens';

/** After a 404 from smcost/recommendations, ask again only after this long. */
export const RECOMMENDATIONS_RETRY_S = 600;

export namespace RecommendationsModel {
  export interface IOptions {
    api?: IApi;
    /** The browser clock, in ms (tests inject one). */
    now?: () => number;
  }
}

export class RecommendationsModel extends VDomModel {
  constructor(options: RecommendationsModel.IOptions = {}) {
    super();
    this._api = options.api ?? restApi;
    this._now = options.now ?? (() => Date.now());
  }

  /** The recommendations when there are some (null: none, or not known). */
  get current(): IRecommendations | null {
    return this._current;
  }
  /** The last reply, with or without items: the utilization and why there are none. */
  get last(): IRecommendations | null {
    return this._last;
  }

  /** Load now; resolves to `current`. */
  async load(): Promise<IRecommendations | null> {
    if (this._now() < this._absentUntil) {
      return null; // the route answered 404 recently: do not ask again yet
    }
    let next: IRecommendations | null = null;
    const last = this._last;
    try {
      const data = await this._api.recommendations();
      this._last = data ?? null;
      next =
        data && Array.isArray(data.items) && data.items.length ? data : null;
    } catch (error) {
      next = null;
      if (error instanceof SmCostError && error.status === 404) {
        this._absentUntil = this._now() + RECOMMENDATIONS_RETRY_S * 1000;
      } else {
        console.warn('jupyterlab-smcost: recommendations unavailable', error);
      }
    }
    if (next !== this._current || last !== this._last) {
      this._current = next;
      this.stateChanged.emit();
    }
    return next;
  }

  private _api: IApi;
  private _now: () => number;
  private _absentUntil = 0;
  private _current: IRecommendations | null = null;
  private _last: IRecommendations | null = null;
}
