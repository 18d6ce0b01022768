/**
 * A slow poll for a panel section: it asks only while a view shows the
 * section and the page is visible (standby otherwise: a hidden page asks
 * nothing), backs off on errors, and stops for good once the server says the
 * route is absent (an older server). The section's model owns what it fetches.
 */
import { VDomModel } from '@jupyterlab/ui-components';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';

import { asSmCostError, SmCostError } from './request';

/** Whether the page is hidden (the default `isHidden`). */
export function pageHidden(): boolean {
  return typeof document !== 'undefined' && document.hidden;
}

/** Whether an error says the route is absent (a server without it). */
export function routeAbsent(error: unknown): boolean {
  return error instanceof SmCostError && error.status === 404;
}

export namespace ShownPoll {
  export interface IOptions {
    /** The poll's name, after `jupyterlab-smcost:`. */
    name: string;
    /** Seconds between two fetches while shown. */
    intervalS: number;
    /** The longest back-off after errors, in seconds. */
    maxBackoffS: number;
    /** What one round fetches (rejects on an error: the poll backs off). */
    factory: () => Promise<void>;
    /** Whether the page is hidden (the poll stands by). */
    isHidden?: () => boolean;
  }
}

export class ShownPoll implements IDisposable {
  constructor(options: ShownPoll.IOptions) {
    const isHidden = options.isHidden ?? pageHidden;
    this._poll = new Poll({
      auto: false,
      factory: options.factory,
      frequency: {
        interval: options.intervalS * 1000,
        backoff: true,
        max: options.maxBackoffS * 1000
      },
      name: `jupyterlab-smcost:${options.name}`,
      standby: () => isHidden() || !this._shown
    });
  }

  /** Whether a view shows the section. */
  get shown(): boolean {
    return this._shown;
  }
  /** Whether the server said the route is absent (nothing is asked again). */
  get absent(): boolean {
    return this._absent;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** A view shows the section (or not): showing it fetches now. */
  show(shown: boolean): void {
    this._shown = shown;
    if (!shown || this._absent) {
      return;
    }
    if (this._poll.state.phase === 'constructed') {
      void this._poll.start();
    } else {
      void this._poll.refresh();
    }
  }

  /** Fetch again now, if shown. */
  refresh(): void {
    if (this._shown && !this._absent) {
      void this._poll.refresh();
    }
  }

  /** The route is absent: stop for good. */
  markAbsent(): void {
    this._absent = true;
    void this._poll.stop();
  }

  dispose(): void {
    this._poll.dispose();
  }

  private _poll: Poll;
  private _shown = false;
  private _absent = false;
}

/**
 * A panel section's model fetched by a ShownPoll: `show` follows the view,
 * `load` fetches now, `error` is the last failure (null after a success).
 * Subclasses say what one round fetches (`fetch`, which rejects on an error
 * but a 404: see `routeAbsent`).
 */
export abstract class ShownPollModel extends VDomModel {
  constructor(options: Omit<ShownPoll.IOptions, 'factory'>) {
    super();
    this.poll = new ShownPoll({ ...options, factory: () => this.fetch() });
  }

  /** Why the last fetch failed (null after a success). */
  get error(): SmCostError | null {
    return this.lastError;
  }

  /** Whether a view shows the section: showing it fetches now. */
  show(shown: boolean): void {
    this.poll.show(shown);
  }

  /** Fetch now (what the poll does); rejects on errors but 404. */
  async load(): Promise<void> {
    await this.fetch();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.poll.dispose();
    super.dispose();
  }

  /** One round: what the poll calls. */
  protected abstract fetch(): Promise<void>;

  /**
   * Run `read` (which stores what it got) as one round: true when it did;
   * false once the route is absent (the poll stops for good); any other
   * failure is kept in `error` and rethrown (the poll backs off). Views hear
   * of each outcome.
   */
  protected async round(read: () => Promise<void>): Promise<boolean> {
    try {
      await read();
      this.lastError = null;
    } catch (error) {
      if (routeAbsent(error)) {
        this.poll.markAbsent();
        this.lastError = null;
        this.stateChanged.emit();
        return false;
      }
      this.lastError = asSmCostError(error);
      this.stateChanged.emit();
      throw this.lastError;
    }
    this.stateChanged.emit();
    return true;
  }

  protected readonly poll: ShownPoll;
  protected lastError: SmCostError | null = null;
}
