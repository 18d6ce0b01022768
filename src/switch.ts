/**
 * The switch model: follows an instance switch with a Poll that GETs
 * smcost/switch while the switch is under way (a SwitchActiveState of
 * openapi.yaml) and stops at the first SwitchEndState, at a 404 or on
 * dispose. `ended` fires when a followed switch ends (the instance type,
 * price and idle state may have changed).
 */
import { VDomModel } from '@jupyterlab/ui-components';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { switchActiveStateValues } from './api';
import { IApi, restApi } from './client';
import { asSmCostError, SmCostError } from './request';
import { ISwitchStatus } from './tokens';
import { pageHidden } from './shownPoll';

/** Seconds between GET smcost/switch while a switch is under way. */
export const SWITCH_INTERVAL_S = 3;
/** While following a switch, back off to at most this interval on errors. */
export const SWITCH_MAX_BACKOFF_S = 60;

/** Whether a switch is still under way (a SwitchActiveState of openapi.yaml). */
export function switchUnderWay(sw: ISwitchStatus | null): boolean {
  return (
    !!sw && (switchActiveStateValues as readonly string[]).includes(sw.state)
  );
}

export namespace SwitchModel {
  export interface IOptions {
    api?: IApi;
    /** Whether the page is hidden (the poll stands by). */
    isHidden?: () => boolean;
  }
}

export class SwitchModel extends VDomModel {
  constructor(options: SwitchModel.IOptions = {}) {
    super();
    this._api = options.api ?? restApi;
    const isHidden = options.isHidden ?? pageHidden;
    this._poll = new Poll({
      auto: false,
      factory: () => this._fetch(),
      frequency: {
        interval: SWITCH_INTERVAL_S * 1000,
        backoff: true,
        max: SWITCH_MAX_BACKOFF_S * 1000
      },
      name: 'jupyterlab-smcost:switch',
      standby: isHidden
    });
  }

  /** A followed switch ended. */
  get ended(): ISignal<this, ISwitchStatus | null> {
    return this._ended;
  }
  /** The latest switch (null before any, or after a 404). */
  get current(): ISwitchStatus | null {
    return this._switch;
  }
  /** Whether a switch is being started or is under way (Switch buttons wait). */
  get busy(): boolean {
    return this._starting || switchUnderWay(this._switch);
  }
  /** Whether the poll runs (a switch is being followed). */
  get following(): boolean {
    const phase = this._poll.state.phase;
    return phase !== 'constructed' && phase !== 'stopped';
  }
  /** Why the last switch request failed (null after a success). */
  get error(): SmCostError | null {
    return this._error;
  }

  /**
   * Look once for a switch under way (after a reload), unless a switch was
   * seen already; keeps following it while it is under way.
   */
  lookOnce(): void {
    if (this._looked) {
      return;
    }
    this._looked = true;
    void this._poll.start();
  }

  /**
   * POST a switch and follow it until it ends. Rejects with the server's
   * message (also kept in `error`).
   */
  async start(instanceType: string): Promise<ISwitchStatus> {
    this._starting = true;
    this._error = null;
    this.stateChanged.emit();
    try {
      const sw = await this._api.startSwitch(instanceType);
      this._set(sw);
      return sw;
    } catch (error) {
      this._error = asSmCostError(error);
      throw this._error;
    } finally {
      this._starting = false;
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

  /** The poll's factory (rejecting makes it back off). */
  private async _fetch(): Promise<void> {
    let sw: ISwitchStatus | null;
    try {
      sw = await this._api.getSwitch();
    } catch (error) {
      if (!(error instanceof SmCostError && error.status === 404)) {
        this._error = asSmCostError(error);
        this.stateChanged.emit();
        throw this._error;
      }
      sw = null; // no switch yet, or the server restarted and forgot it
    }
    this._error = null;
    this._set(sw);
  }

  /** Take a switch from the server; follow it while it is under way. */
  private _set(sw: ISwitchStatus | null): void {
    const ended = switchUnderWay(this._switch) && !switchUnderWay(sw);
    this._looked = true; // no need to look after the next status
    this._switch = sw;
    this.stateChanged.emit();
    if (switchUnderWay(sw)) {
      void this._poll.start(); // no-op while it runs
    } else {
      void this._poll.stop();
    }
    if (ended) {
      this._ended.emit(sw);
    }
  }

  private _api: IApi;
  private _poll: Poll;
  private _switch: ISwitchStatus | null = null;
  private _starting = false;
  private _error: SmCostError | null = null;
  private _looked = false;
  private _ended = new Signal<this, ISwitchStatus | null>(this);
}
