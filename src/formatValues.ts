/**
 * Numbers, money, durations and times in the UI's language, through `Intl`
 * for the UI locale (JupyterLab's current language); the base of `Format`
 * (format.ts), which adds the product's words. No DOM beyond reading the
 * page's language; unit-tested in src/__tests__/format.spec.ts.
 */
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import { parseTime } from './clock';

/** The translation domain of this extension's catalogues. */
export const DOMAIN = 'jupyterlab_smcost';

/**
 * The currency assumed where a response carries none; every amount the REST
 * API sends has its `currency` next to it (CNY in the AWS China regions).
 */
export const USD = 'USD';

const DASH = '\u2014';

/**
 * The UI locale: the language JupyterLab shows (its translator sets the
 * page's `lang` to it), else the translator's language code, else English.
 */
export function uiLocale(translator: ITranslator = nullTranslator): string {
  const candidates = [
    typeof document !== 'undefined' ? document.documentElement.lang : '',
    translator.languageCode,
    'en'
  ];
  for (const tag of candidates) {
    try {
      if (tag && Intl.NumberFormat.supportedLocalesOf(tag).length) {
        return tag;
      }
    } catch {
      // not a BCP 47 tag: try the next one
    }
  }
  return 'en';
}

/** Values in one language: `fmt.trans` for sentences, the rest for values. */
export class ValueFormat {
  constructor(translator: ITranslator = nullTranslator, locale?: string) {
    this.trans = translator.load(DOMAIN);
    this.locale = locale ?? uiLocale(translator);
  }

  readonly trans: TranslationBundle;
  readonly locale: string;

  /** A number with `min` to `max` decimals, grouped for the locale. */
  number(v: number, max = 1, min = 0): string {
    return this._nf(`n${max}.${min}`, {
      maximumFractionDigits: max,
      minimumFractionDigits: min
    }).format(v);
  }

  /** Items as a list: `a, b, c` (in en). */
  list(items: string[]): string {
    return new Intl.ListFormat(this.locale, {
      type: 'unit',
      style: 'short'
    }).format(items);
  }

  /** A fraction 0..1 as a whole percentage: `42%`; `—` when unknown. */
  percent(x: number | null | undefined): string {
    if (x === null || x === undefined || !Number.isFinite(x)) {
      return DASH;
    }
    return this._nf('pct', {
      style: 'percent',
      maximumFractionDigits: 0
    }).format(x);
  }

  /**
   * An amount, readable at every scale: `$1,234`, `$12.50`, `$0.05`,
   * `$0.046`, `<$0.01` (in en); `—` when unknown.
   */
  money(amount: number | null | undefined, currency: string): string {
    if (amount === null || amount === undefined || !Number.isFinite(amount)) {
      return DASH;
    }
    const v = Math.abs(amount);
    const cur = (digits: number) =>
      this._nf(`${currency}${digits}`, {
        style: 'currency',
        currency,
        // `¥` for CNY (the AWS China regions), `$` for USD, in every locale
        currencyDisplay: 'narrowSymbol',
        minimumFractionDigits: Math.min(digits, 2),
        maximumFractionDigits: digits
      });
    if (v === 0) {
      return cur(2).format(0);
    }
    if (v >= 1000) {
      return cur(0).format(Math.round(amount));
    }
    if (v >= 1) {
      return cur(2).format(amount);
    }
    if (v >= 0.01) {
      // two decimals, or three when they matter ($0.046/h)
      const three = Math.round(v * 1000) % 10 !== 0;
      return cur(three ? 3 : 2).format(amount);
    }
    return amount < 0
      ? this.trans.__('>%1', cur(2).format(-0.01))
      : this.trans.__('<%1', cur(2).format(0.01));
  }

  /** `$0.05/h`, or "price unknown". */
  rate(perHour: number | null | undefined, currency: string): string {
    return perHour === null || perHour === undefined
      ? this.trans.__('price unknown')
      : this.trans.__('%1/h', this.money(perHour, currency));
  }

  /**
   * An estimate's likely range, `likely $79-$92/h` (in en); empty for a price
   * without one (a known price).
   */
  likely(
    range: { low: number; high: number } | null | undefined,
    currency: string
  ): string {
    if (!range) {
      return '';
    }
    return this.trans.__(
      'likely %1\u2013%2/h',
      this.money(range.low, currency),
      this.money(range.high, currency)
    );
  }

  /**
   * A short duration for sentences and the status bar: `45s`, `42m`,
   * `1h 05m`, `2d 3h` (in en). Negative durations read as `0s`; null as `—`.
   */
  duration(seconds: number | null | undefined): string {
    if (
      seconds === null ||
      seconds === undefined ||
      !Number.isFinite(seconds)
    ) {
      return DASH;
    }
    const s = Math.max(0, Math.floor(seconds));
    const unit = (n: number, u: string, pad = false) =>
      this._nf(`${u}${pad}`, {
        style: 'unit',
        unit: u,
        unitDisplay: 'narrow',
        minimumIntegerDigits: pad ? 2 : 1
      }).format(n);
    if (s < 60) {
      return unit(s, 'second');
    }
    if (s < 3600) {
      return unit(Math.floor(s / 60), 'minute');
    }
    if (s < 86400) {
      const h = unit(Math.floor(s / 3600), 'hour');
      const m = unit(Math.floor((s % 3600) / 60), 'minute', true);
      return this.trans._p('duration: hours and minutes', '%1 %2', h, m);
    }
    const d = unit(Math.floor(s / 86400), 'day');
    const h = unit(Math.floor((s % 86400) / 3600), 'hour');
    return this.trans._p('duration: days and hours', '%1 %2', d, h);
  }

  /** A ticking clock: `4:07`, `59:59`, `1:02:03`; negative -> `0:00`; null -> `—`. */
  /**
   * The panel's clock: whole minutes (rounded up) while the deadline is more
   * than `fineFrom` seconds away, seconds from then on. A clock whose digits
   * change every second costs the browser a frame every second for as long as
   * the panel is open; minutes say the same thing until the warning period.
   */
  panelClock(seconds: number | null | undefined, fineFrom: number): string {
    if (
      seconds === null ||
      seconds === undefined ||
      !Number.isFinite(seconds) ||
      seconds <= Math.max(fineFrom, 60)
    ) {
      return this.countdown(seconds);
    }
    return this.duration(Math.ceil(seconds / 60) * 60);
  }

  countdown(seconds: number | null | undefined): string {
    if (
      seconds === null ||
      seconds === undefined ||
      !Number.isFinite(seconds)
    ) {
      return DASH;
    }
    const s = Math.max(0, Math.ceil(seconds));
    const whole = this._nf('int', { useGrouping: false });
    const two = this._nf('int2', {
      useGrouping: false,
      minimumIntegerDigits: 2
    });
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = two.format(s % 60);
    return h > 0
      ? `${whole.format(h)}:${two.format(m)}:${sec}`
      : `${whole.format(m)}:${sec}`;
  }

  /** Words for a screen reader, at minute granularity: "about 42 minutes". */
  spokenDuration(seconds: number | null): string {
    if (seconds === null || !Number.isFinite(seconds)) {
      return this.trans.__('no deadline');
    }
    const s = Math.max(0, Math.ceil(seconds));
    if (s < 60) {
      return this.trans.__('less than a minute');
    }
    const long = (n: number, u: string) =>
      this._nf(`${u}-long`, {
        style: 'unit',
        unit: u,
        unitDisplay: 'long'
      }).format(n);
    const minutes = Math.ceil(s / 60);
    if (minutes < 60) {
      return this.trans.__('about %1', long(minutes, 'minute'));
    }
    const h = long(Math.floor(minutes / 60), 'hour');
    const m = minutes % 60;
    return m
      ? this.trans.__(
          'about %1',
          this.trans._p(
            'duration: hours and minutes',
            '%1 %2',
            h,
            long(m, 'minute')
          )
        )
      : this.trans.__('about %1', h);
  }

  /** How long a span of ms is, in words: "60 minutes", "2 hours", "3 days". */
  span(ms: number): string {
    const long = (n: number, u: string) =>
      this._nf(`${u}-long`, {
        style: 'unit',
        unit: u,
        unitDisplay: 'long'
      }).format(n);
    const min = Math.round(ms / 60000);
    if (min < 120) {
      return long(min, 'minute');
    }
    const h = Math.round(min / 60);
    return h < 48 ? long(h, 'hour') : long(Math.round(h / 24), 'day');
  }

  /** Local clock time of an ISO instant or ms, e.g. `18:03`; `—` when null. */
  clock(iso: string | number | null | undefined): string {
    const t = typeof iso === 'number' ? iso : parseTime(iso);
    if (t === null) {
      return DASH;
    }
    return this._df('clock', { hour: '2-digit', minute: '2-digit' }).format(t);
  }

  /** Local date and time, short: `Nov 26, 12:00 PM` (in en). */
  dateTime(iso: string | null | undefined): string {
    const t = parseTime(iso);
    if (t === null) {
      return DASH;
    }
    return this._df('dateTime', {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit'
    }).format(t);
  }

  /** `Nov 20` (in en) from `2026-11-20` (a UTC calendar day). */
  shortDate(date: string): string {
    const t = Date.parse(`${date}T00:00:00Z`);
    return Number.isNaN(t)
      ? date
      : this._df('shortDate', {
          month: 'short',
          day: 'numeric',
          timeZone: 'UTC'
        }).format(t);
  }

  /** Hours with one decimal: `10.0 h`. */
  hours(h: number): string {
    return this.trans.__('%1 h', this.number(h, 1, 1));
  }

  /** `16 GiB`, `4.5 GiB`. */
  gib(v: number, max = 1, min = 0): string {
    return this.trans.__('%1 GiB', this.number(v, max, min));
  }

  protected _nf(
    key: string,
    options: Intl.NumberFormatOptions
  ): Intl.NumberFormat {
    return cached(
      this._numberFormats,
      key,
      () => new Intl.NumberFormat(this.locale, options)
    );
  }

  protected _df(
    key: string,
    options: Intl.DateTimeFormatOptions
  ): Intl.DateTimeFormat {
    return cached(
      this._dateFormats,
      key,
      () => new Intl.DateTimeFormat(this.locale, options)
    );
  }

  private _numberFormats = new Map<string, Intl.NumberFormat>();
  private _dateFormats = new Map<string, Intl.DateTimeFormat>();
}

/** `cache[key]`, made once (Intl formatters are costly to build). */
function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    cache.set(key, value);
  }
  return value;
}
