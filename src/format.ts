/**
 * Words, numbers, money, durations and times for the views, in the UI's
 * language: every sentence through JupyterLab's translator (domain
 * `jupyterlab_smcost`), every number, date, time and amount through `Intl`
 * for the UI locale (JupyterLab's current language). No DOM beyond reading
 * the page's language; unit-tested in src/__tests__/format.spec.ts.
 */
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import { parseTime } from './clock';
import { serverErrorText } from './messages';
import { IdleState, IInstance, PriceSource, SwitchState } from './tokens';

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

/** Formatting in one language: `fmt.trans` for sentences, the rest for values. */
export class Format {
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

  /** Instance specs in one line: `2 vCPU · 4 GiB · 1 × NVIDIA T4 (16 GiB)`. */
  specs(instance: IInstance | null | undefined): string {
    if (!instance) {
      return '';
    }
    const trans = this.trans;
    const parts: string[] = [];
    if (instance.vcpu !== null && instance.vcpu !== undefined) {
      parts.push(trans.__('%1 vCPU', this.number(instance.vcpu)));
    }
    if (instance.memory_gib !== null && instance.memory_gib !== undefined) {
      parts.push(this.gib(instance.memory_gib));
    }
    if (instance.gpu_count) {
      const model = instance.gpu_model ?? trans.__('GPU');
      parts.push(
        instance.gpu_memory_gib
          ? trans.__(
              '%1 \u00d7 %2 (%3)',
              this.number(instance.gpu_count),
              model,
              this.gib(instance.gpu_memory_gib)
            )
          : trans.__('%1 \u00d7 %2', this.number(instance.gpu_count), model)
      );
    }
    return parts.length ? parts.join(' \u00b7 ') : trans.__('specs unknown');
  }

  /** Plain words for a price source. */
  source(source: PriceSource | string): string {
    switch (source) {
      case 'live':
        return this.trans.__('live AWS Price List');
      case 'bundled':
        return this.trans.__('price snapshot bundled with the extension');
      case 'estimated':
        return this.trans.__('estimate from close known prices');
      case 'not_billed':
        return this.trans.__('nothing billed is running');
      default:
        return this.trans.__('no price known for this type');
    }
  }

  /** The short name of a price source, for its badge. */
  sourceBadge(source: PriceSource | string): string {
    switch (source) {
      case 'live':
        return this.trans.__('live');
      case 'bundled':
        return this.trans.__('bundled');
      case 'estimated':
        return this.trans.__('estimated');
      case 'unknown':
        return this.trans.__('unknown');
      case 'not_billed':
        return this.trans.__('not billed');
      default:
        return String(source);
    }
  }

  /**
   * What a price badge says on hover and to a screen reader: the source, its
   * date and where the figure comes from (an estimate says what it was made
   * from; the server's text is shown as it comes).
   */
  price(price: {
    source: PriceSource | string;
    as_of?: string | null;
    detail?: string | null;
  }): string {
    const badge = this.sourceBadge(price.source);
    const label =
      badge.charAt(0).toLocaleUpperCase(this.locale) + badge.slice(1);
    const detail = price.detail || this.source(price.source);
    return price.as_of
      ? this.trans.__('%1, %2: %3', label, price.as_of, detail)
      : this.trans.__('%1: %2', label, detail);
  }

  /** Plain words for an idle state. */
  state(state: IdleState | string): string {
    switch (state) {
      case 'active':
        return this.trans.__('Active');
      case 'idle':
        return this.trans.__('Idle');
      case 'busy':
        return this.trans.__('Busy: idle shutdown waits');
      case 'disabled':
        return this.trans.__('Idle shutdown is off');
      case 'shutting_down':
        return this.trans.__('Shutting down');
      case 'error':
        return this.trans.__('Error');
      default:
        return String(state);
    }
  }

  /** Plain words for a switch's state; typed by the contract, so none can be missing. */
  switchState(state: SwitchState | string): string {
    const trans = this.trans;
    const words: Record<SwitchState, () => string> = {
      pending: () => trans.__('starting'),
      running: () => trans.__('in progress'),
      waiting_external: () =>
        trans.__(
          'handed to the switcher function: this server stops, changes type and starts again'
        ),
      manual: () => trans.__('one step is left for you (below)'),
      succeeded: () => trans.__('done'),
      failed: () => trans.__('failed (the error is below)')
    };
    const word = (words as Record<string, () => string>)[state];
    return word ? word() : String(state);
  }

  /** What an idle shutdown does in this environment, in plain words. */
  shutdown(kind: string | null | undefined): string {
    switch (kind) {
      case 'local':
        return this.trans.__('this Jupyter server will stop');
      case 'notebook-instance':
        return this.trans.__('this notebook instance will stop');
      case 'studio-space':
        return this.trans.__(
          'this app will be deleted (the files in your space stay)'
        );
      case 'studio-classic':
        return this.trans.__(
          'idle kernels and KernelGateway apps will shut down'
        );
      default:
        return this.trans.__('this server will stop');
    }
  }

  /**
   * The status bar text: `ml.t3.medium · $0.05/h · idle stop in 42m`, or
   * `... · busy`, `... · stopping`, `... · off`, `... · config error`.
   */
  statusBarText(
    type: string | null,
    rate: string,
    state: IdleState | string | null,
    remaining: number | null,
    configError = false
  ): string {
    const trans = this.trans;
    const parts = [type ?? trans.__('unknown type'), rate];
    if (configError) {
      parts.push(trans.__('config error'));
      return parts.join(' \u00b7 ');
    }
    switch (state) {
      case 'busy':
        parts.push(trans.__('busy'));
        break;
      case 'shutting_down':
        parts.push(trans.__('stopping'));
        break;
      case 'disabled':
        parts.push(trans.__('off'));
        break;
      case 'error':
        parts.push(trans.__('idle stop: error'));
        break;
      case null:
        break;
      default:
        parts.push(
          remaining === null
            ? trans.__('idle stop: no deadline')
            : trans.__('idle stop in %1', this.duration(remaining))
        );
    }
    return parts.join(' \u00b7 ');
  }

  /**
   * An error for a person to read: this client's own errors translated from
   * their code; the server's message as it comes.
   */
  error(e: unknown): string {
    const trans = this.trans;
    const code = (e as { code?: string } | null)?.code;
    const params = ((e as { params?: Record<string, unknown> } | null)
      ?.params ?? {}) as Record<string, unknown>;
    switch (code) {
      case 'not_installed':
        return trans.__(
          'server extension not installed (or not enabled): no answer from smcost/status'
        );
      case 'network_error':
        return trans.__(
          'cannot reach the Jupyter server: %1',
          String(params.detail ?? '')
        );
      case 'http_error':
        return trans.__(
          'the server answered %1 %2',
          String(params.status ?? ''),
          String(params.statusText ?? '')
        );
      default:
        return (
          serverErrorText(this, code ?? '', params) ??
          (e instanceof Error ? e.message : String(e))
        );
    }
  }

  private _nf(
    key: string,
    options: Intl.NumberFormatOptions
  ): Intl.NumberFormat {
    let f = this._numberFormats.get(key);
    if (!f) {
      f = new Intl.NumberFormat(this.locale, options);
      this._numberFormats.set(key, f);
    }
    return f;
  }

  private _df(
    key: string,
    options: Intl.DateTimeFormatOptions
  ): Intl.DateTimeFormat {
    let f = this._dateFormats.get(key);
    if (!f) {
      f = new Intl.DateTimeFormat(this.locale, options);
      this._dateFormats.set(key, f);
    }
    return f;
  }

  private _numberFormats = new Map<string, Intl.NumberFormat>();
  private _dateFormats = new Map<string, Intl.DateTimeFormat>();
}
