/**
 * The models behind every view, one per concern, built together:
 *
 * - `status`: smcost/status, the local countdown and the deadline events
 *   (status.ts);
 * - `switcher`: an instance switch under way (switch.ts);
 * - `history`: usage and spend per day, polled slowly while shown
 *   (history.ts);
 * - `recommendations`: right-sizing recommendations (recommendations.ts);
 * - `idleSettings`: the idle settings form (idleSettings.ts);
 * - `jobs`: the training jobs started from here (jobs.ts).
 * - `elsewhere`: what else bills for the user, polled slowly while shown
 *   (elsewhere.ts);
 * - `ledger`: what idle shutdown and switches saved this month, polled
 *   slowly while shown (ledger.ts).
 *
 * This facade only wires them: after the first status of an environment
 * that can switch, look for a switch under way; when a switch ends, fetch
 * the status again; after a history fetch, the recommendations (their
 * percentiles move with the same samples); after a settings save, the
 * status (the new deadline). Views subscribe to the model they show.
 */
import { IDisposable } from '@lumino/disposable';

import { IApi, restApi } from './client';
import { ElsewhereModel } from './elsewhere';
import { HistoryModel } from './history';
import { IdleSettingsModel } from './idleSettings';
import { JobsModel } from './jobs';
import { LedgerModel } from './ledger';
import { RecommendationsModel } from './recommendations';
import { StatusModel } from './status';
import { SwitchModel } from './switch';

export namespace SmCostModel {
  export interface IOptions extends StatusModel.IOptions {
    api?: IApi;
  }
}

export class SmCostModel implements IDisposable {
  constructor(options: SmCostModel.IOptions = {}) {
    const api = options.api ?? restApi;
    const now = options.now ?? (() => Date.now());
    const isHidden =
      options.isHidden ??
      (() => typeof document !== 'undefined' && document.hidden);
    this.status = new StatusModel({ ...options, api, now, isHidden });
    this.switcher = new SwitchModel({ api, isHidden });
    this.recommendations = new RecommendationsModel({ api, now });
    this.history = new HistoryModel({
      api,
      isHidden,
      serverNow: () => this.status.serverNow(),
      fetched: () => this.recommendations.load()
    });
    this.idleSettings = new IdleSettingsModel({
      api,
      saved: () => this.status.refresh()
    });
    this.jobs = new JobsModel({ isHidden });
    this.elsewhere = new ElsewhereModel({ api, isHidden });
    this.ledger = new LedgerModel({ api, isHidden });
    this.status.stateChanged.connect(this._onStatus, this);
    this.switcher.ended.connect(this._onSwitchEnded, this);
  }

  readonly status: StatusModel;
  readonly switcher: SwitchModel;
  readonly history: HistoryModel;
  readonly recommendations: RecommendationsModel;
  readonly idleSettings: IdleSettingsModel;
  readonly jobs: JobsModel;
  readonly elsewhere: ElsewhereModel;
  readonly ledger: LedgerModel;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.status.dispose();
    this.switcher.dispose();
    this.history.dispose();
    this.recommendations.dispose();
    this.idleSettings.dispose();
    this.jobs.dispose();
    this.elsewhere.dispose();
    this.ledger.dispose();
  }

  private _onStatus(): void {
    // after a reload: pick up a switch that is still under way
    if (this.status.current?.environment.can_switch && !this.status.error) {
      this.switcher.lookOnce();
    }
  }

  private _onSwitchEnded(): void {
    // the instance type, price and idle state may have changed
    void this.status.refresh();
  }

  private _isDisposed = false;
}
