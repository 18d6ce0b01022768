/**
 * The idle settings form's model: what GET smcost/idle answered, the fields
 * as the user is editing them, whether a save is under way and how the last
 * load or save ended. The view renders it and writes the fields through it.
 */
import { VDomModel } from '@jupyterlab/ui-components';

import { IApi, restApi } from './client';
import { asSmCostError, SmCostError } from './request';
import { IIdleSettings } from './tokens';

/** The form's fields (the timeout as typed, in minutes). */
export interface IIdleSettingsFields {
  enabled: boolean;
  minutes: string;
  ignoreConnections: boolean;
  countTerminals: boolean;
  countBackground: boolean;
}

/** How the last load or save ended (null: nothing to say). */
export type IdleSettingsOutcome =
  | { kind: 'saved' }
  | { kind: 'load-failed'; error: SmCostError }
  | { kind: 'save-failed'; error: SmCostError }
  | null;

export namespace IdleSettingsModel {
  export interface IOptions {
    api?: IApi;
    /** Run after a successful save (the status shows the new deadline). */
    saved?: () => Promise<unknown>;
  }
}

export class IdleSettingsModel extends VDomModel {
  constructor(options: IdleSettingsModel.IOptions = {}) {
    super();
    this._api = options.api ?? restApi;
    this._saved = options.saved ?? (() => Promise.resolve());
  }

  /** The settings as the server last sent them (null until loaded). */
  get loaded(): IIdleSettings | null {
    return this._loaded;
  }
  get fields(): Readonly<IIdleSettingsFields> {
    return this._fields;
  }
  /** Whether a save is under way. */
  get saving(): boolean {
    return this._saving;
  }
  get outcome(): IdleSettingsOutcome {
    return this._outcome;
  }
  /** Whether the form can be submitted now. */
  get canSave(): boolean {
    return !!this._loaded && !this._saving;
  }

  /** Change fields as the user edits them. */
  update(fields: Partial<IIdleSettingsFields>): void {
    this._fields = { ...this._fields, ...fields };
    this.stateChanged.emit();
  }

  /** GET smcost/idle into the form; a failure is kept in `outcome`. */
  async load(): Promise<void> {
    try {
      this._apply(await this._api.getIdle());
    } catch (error) {
      this._outcome = { kind: 'load-failed', error: asSmCostError(error) };
    }
    this.stateChanged.emit();
  }

  /**
   * PUT the fields; any non-2xx answer (400 bad value, 503 settings not
   * writable, ...) is kept in `outcome` with the server's message.
   */
  async save(): Promise<void> {
    this._saving = true;
    this._outcome = null;
    this.stateChanged.emit();
    const f = this._fields;
    const m = parseFloat(f.minutes);
    try {
      const saved = await this._api.putIdle({
        enabled: f.enabled,
        // an empty or bad field goes to the server as null: its message explains
        timeout_s: Number.isFinite(m) ? Math.round(m * 60) : (null as any),
        ignore_connections: f.ignoreConnections,
        count_terminals: f.countTerminals,
        count_background: f.countBackground
      });
      this._apply(saved);
      this._outcome = { kind: 'saved' };
      await this._saved();
    } catch (error) {
      this._outcome = { kind: 'save-failed', error: asSmCostError(error) };
    } finally {
      this._saving = false;
      this.stateChanged.emit();
    }
  }

  private _apply(s: IIdleSettings): void {
    this._loaded = s;
    this._fields = {
      enabled: s.enabled,
      minutes: String(Math.round((s.timeout_s / 60) * 100) / 100),
      ignoreConnections: s.ignore_connections,
      countTerminals: s.count_terminals,
      countBackground: s.count_background
    };
  }

  private _api: IApi;
  private _saved: () => Promise<unknown>;
  private _loaded: IIdleSettings | null = null;
  private _fields: IIdleSettingsFields = {
    enabled: true,
    minutes: '',
    ignoreConnections: true,
    countTerminals: true,
    countBackground: true
  };
  private _saving = false;
  private _outcome: IdleSettingsOutcome = null;
}
