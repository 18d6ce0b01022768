/**
 * The "Saved" model: what idle shutdown and switches saved this month, as
 * estimates of what was not billed (GET smcost/ledger). A slow Poll fetches it
 * every LEDGER_INTERVAL_S while a view shows it and the page is visible; an
 * API without the route, or a 404, hides the section.
 *
 * `mapSavings` and `describeSavings` (pure) turn the answer into what the
 * view draws and the sentence a screen reader reads.
 */

import { IApi, restApi } from './client';
import { Format } from './format';
import { ShownPollModel } from './shownPoll';
import { MAX_BACKOFF_S } from './status';
import { ILedger } from './tokens';

/** Seconds between GET smcost/ledger while a view shows it. */
export const LEDGER_INTERVAL_S = 300;

export namespace LedgerModel {
  export interface IOptions {
    api?: Pick<IApi, 'ledger'>;
    /** Whether the page is hidden (the poll stands by). */
    isHidden?: () => boolean;
  }
}

export class LedgerModel extends ShownPollModel {
  constructor(options: LedgerModel.IOptions = {}) {
    super({
      name: 'ledger',
      intervalS: LEDGER_INTERVAL_S,
      maxBackoffS: MAX_BACKOFF_S,
      isHidden: options.isHidden
    });
    this._api = options.api ?? restApi;
  }

  /** The last answer (null until fetched, or when the route is absent). */
  get current(): ILedger | null {
    return this._current;
  }

  /** Whether a view shows it: while one does, it is fetched now and then. */
  show(shown: boolean): void {
    if (this._api.ledger) {
      this.poll.show(shown);
    }
  }

  protected async fetch(): Promise<void> {
    const fetch = this._api.ledger;
    if (!fetch) {
      return;
    }
    await this.round(async () => {
      this._current = await fetch();
    });
  }

  private _api: Pick<IApi, 'ledger'>;
  private _current: ILedger | null = null;
}

// ---------------------------------------------------------------------------- pure

export interface ISavedBar {
  date: string;
  /** What idle stops saved that day (null: a price is unknown). */
  idle: number | null;
  /** What switches saved that day (negative: dearer types). */
  switches: number | null;
  /** Hours not billed that day after idle stops. */
  hours: number;
}

export interface ISavedSeries {
  /** ISO 4217: every amount of this series is in it. */
  currency: string;
  month: string;
  stops: number;
  hoursNotBilled: number;
  idleSaved: number | null;
  /** A stop not followed by a start counts until now. */
  stillStopped: boolean;
  switches: number;
  switchHours: number;
  switchSaved: number | null;
  saved: number | null;
  days: ISavedBar[];
  /** The tallest day (what was saved, positive parts), for the scale. */
  maxDay: number;
  /** Why some money is unknown (the server's English). */
  unknown: string[];
}

/** One series per currency of the answer (amounts are never summed across). */
export function mapSavings(ledger: ILedger): ISavedSeries[] {
  return ledger.currencies.map(c => {
    const days = c.days.map(d => ({
      date: d.date,
      idle: d.idle_saved,
      switches: d.switch_saved,
      hours: d.hours_not_billed
    }));
    return {
      currency: c.currency,
      month: ledger.month,
      stops: c.idle.stops,
      hoursNotBilled: c.idle.hours_not_billed,
      idleSaved: c.idle.saved,
      stillStopped: c.idle.still_stopped,
      switches: c.switches.count,
      switchHours: c.switches.hours_on_new_type,
      switchSaved: c.switches.saved,
      saved: c.saved,
      days,
      maxDay: Math.max(0, ...days.map(barTotal)),
      unknown: c.unknown
    };
  });
}

/** A day's bar: what it saved, the positive parts. */
export function barTotal(d: ISavedBar): number {
  return Math.max(0, d.idle ?? 0) + Math.max(0, d.switches ?? 0);
}

/** The headline of idle shutdown: stops, hours not billed, money saved. */
export function idleLine(s: ISavedSeries, fmt: Format = new Format()): string {
  const trans = fmt.trans;
  // %1: the count (as _n gives it)
  return trans._n(
    'Idle shutdown: %1 stop this month, %2 not billed, %3 saved (estimate)',
    'Idle shutdown: %1 stops this month, %2 not billed, %3 saved (estimate)',
    s.stops,
    fmt.hours(s.hoursNotBilled),
    fmt.money(s.idleSaved, s.currency)
  );
}

/** The headline of switches: how many, hours on the new type, the difference. */
export function switchLine(
  s: ISavedSeries,
  fmt: Format = new Format()
): string {
  const trans = fmt.trans;
  return trans._n(
    'Switches: %1 switch, %2 on the new type, %3 saved (estimate)',
    'Switches: %1 switches, %2 on the new type, %3 saved (estimate)',
    s.switches,
    fmt.hours(s.switchHours),
    fmt.money(s.switchSaved, s.currency)
  );
}

/** The chart as one paragraph (its screen-reader summary). */
export function describeSavings(
  s: ISavedSeries,
  fmt: Format = new Format()
): string {
  const trans = fmt.trans;
  const money = (v: number | null) => fmt.money(v, s.currency);
  const sentences = [
    trans.__(
      'Estimated savings per day this month (%1), what was not billed: %2 in all.',
      s.month,
      money(s.saved)
    ),
    trans._p('end of a sentence', '%1.', idleLine(s, fmt)),
    trans._p('end of a sentence', '%1.', switchLine(s, fmt))
  ];
  const top = s.days.reduce<ISavedBar | null>(
    (a, d) => (barTotal(d) > (a ? barTotal(a) : 0) ? d : a),
    null
  );
  if (top) {
    sentences.push(
      trans.__(
        'The most on %1: %2.',
        fmt.shortDate(top.date),
        money(barTotal(top))
      )
    );
  }
  if (s.stillStopped) {
    sentences.push(
      trans.__('A stop not yet followed by a start counts until now.')
    );
  }
  if (s.idleSaved === null || s.switchSaved === null) {
    sentences.push(
      trans.__('Some prices are unknown: their money is not counted.')
    );
  }
  return sentences.join(trans._p('sentence separator', ' '));
}
