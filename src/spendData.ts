/**
 * What the spend chart draws, from GET smcost/history's spend: spend per day,
 * the month to date, what AWS billed and the jobs started from here, and a
 * paragraph for screen readers. Pure: jest tests it (charts.spec.tsx).
 */
import { serverErrorText } from './errorText';
import { Format, USD } from './format';
import { IHistory } from './tokens';

export interface ISpendBar {
  date: string;
  usd: number;
  hours: number;
  unpricedHours: number;
  /** What AWS billed that day (Cost Explorer), when known. */
  billed: number | null;
  billedEstimated: boolean;
  /** The training jobs started from here that ended that day: their priced cost. */
  jobs: number;
  jobsCount: number;
  jobsUnpriced: number;
}

/** The spend history's jobs series, summed (null: no jobs service). */
export interface IJobsSpend {
  total: number;
  count: number;
  unpriced: number;
  monthToDate: number;
  monthUnpriced: number;
  running: number;
  unknown: number;
  sources: string[];
}

export interface ISpendSeries {
  /** The currency of every amount (ISO 4217). */
  currency: string;
  days: ISpendBar[];
  /** The tallest bar (estimate or billed), for the scale. */
  maxUsd: number;
  total: number;
  unpricedHours: number;
  month: string;
  monthToDate: number;
  monthUnpricedHours: number;
  /** Where the prices came from, e.g. "bundled 2026-09-24". */
  sources: string[];
  billed: {
    state: string;
    message: string | null;
    monthToDate: number | null;
    through: string | null;
    note: string;
  } | null;
  jobs: IJobsSpend | null;
}

function sourceOf(fmt: Format, q: { source: string; as_of?: string | null }) {
  const trans = fmt.trans;
  const badge = fmt.sourceBadge(q.source);
  return q.as_of
    ? trans._p('price source and date', '%1 %2', badge, q.as_of)
    : badge;
}

/** Spend per day as drawn (empty when history is off). */
export function mapSpendSeries(
  h: IHistory,
  fmt: Format = new Format()
): ISpendSeries {
  const billedDays = new Map(
    (h.billed?.days ?? []).map(d => [d.date, d] as const)
  );
  const spend = h.spend;
  const series = spend?.jobs ?? null;
  const jobDays = new Map((series?.days ?? []).map(d => [d.date, d] as const));
  const days: ISpendBar[] = (spend?.days ?? []).map(d => {
    const b = billedDays.get(d.date);
    const j = jobDays.get(d.date);
    return {
      date: d.date,
      usd: d.amount,
      hours: d.hours,
      unpricedHours: d.unpriced_hours,
      billed: b ? b.amount : null,
      billedEstimated: b ? b.estimated : false,
      jobs: j?.amount ?? 0,
      jobsCount: j?.jobs ?? 0,
      jobsUnpriced: j?.unpriced_jobs ?? 0
    };
  });
  const sources = new Set<string>();
  for (const d of spend?.days ?? []) {
    for (const p of d.prices) {
      sources.add(sourceOf(fmt, p.price));
    }
  }
  const jobSources = new Set<string>();
  for (const d of series?.days ?? []) {
    for (const p of d.prices) {
      jobSources.add(sourceOf(fmt, p.price));
    }
  }
  const jobs: IJobsSpend | null = series
    ? {
        total: days.reduce((sum, d) => sum + d.jobs, 0),
        count: days.reduce((sum, d) => sum + d.jobsCount, 0),
        unpriced: days.reduce((sum, d) => sum + d.jobsUnpriced, 0),
        monthToDate: series.month_to_date.amount,
        monthUnpriced: series.month_to_date.unpriced_jobs,
        running: series.running,
        unknown: series.unknown,
        sources: Array.from(jobSources).sort()
      }
    : null;
  const mtd = spend?.month_to_date;
  return {
    currency: spend?.currency ?? USD,
    days,
    jobs,
    maxUsd: Math.max(
      0,
      ...days.map(d => Math.max(d.usd + d.jobs, d.billed ?? 0))
    ),
    total: days.reduce((sum, d) => sum + d.usd, 0),
    unpricedHours: days.reduce((sum, d) => sum + d.unpricedHours, 0),
    month: mtd?.month ?? '',
    monthToDate: mtd?.amount ?? 0,
    monthUnpricedHours: mtd?.unpriced_hours ?? 0,
    sources: Array.from(sources).sort(),
    billed: h.billed
      ? {
          state: h.billed.state,
          // said by its code (e.g. billed_unavailable) when the server sends one
          message:
            (h.billed.error &&
              serverErrorText(
                fmt,
                h.billed.error.code,
                h.billed.error.params
              )) ??
            h.billed.message,
          monthToDate: h.billed.month_to_date,
          through: h.billed.through,
          note: h.billed.note
        }
      : null
  };
}

/** The spend chart as one paragraph (its screen-reader summary). */
export function describeSpend(
  s: ISpendSeries,
  fmt: Format = new Format()
): string {
  const trans = fmt.trans;
  if (!s.days.length) {
    return trans.__('No spend kept yet.');
  }
  const money = (v: number | null) => fmt.money(v, s.currency);
  const top = s.days.reduce((a, b) => (b.usd > a.usd ? b : a), s.days[0]);
  const first = fmt.shortDate(s.days[0].date);
  const last = fmt.shortDate(s.days[s.days.length - 1].date);
  const sentences = [
    top.usd > 0
      ? trans.__(
          'Spend per day from %1 to %2, from the time this server ran and the price in force: %3 in all, the most %4 on %5.',
          first,
          last,
          money(s.total),
          money(top.usd),
          fmt.shortDate(top.date)
        )
      : trans.__(
          'Spend per day from %1 to %2, from the time this server ran and the price in force: %3 in all.',
          first,
          last,
          money(s.total)
        ),
    s.monthUnpricedHours > 0
      ? trans.__(
          'This month to date: %1 and %2 at an unknown price.',
          money(s.monthToDate),
          fmt.hours(s.monthUnpricedHours)
        )
      : trans.__('This month to date: %1.', money(s.monthToDate))
  ];
  if (s.sources.length) {
    sentences.push(trans.__('Prices: %1.', fmt.list(s.sources)));
  }
  const j = s.jobs;
  if (j && (j.count || j.running || j.unknown)) {
    sentences.push(
      trans._n(
        'Training jobs started from here, as their own series: %2 for %1 job that ended in these days, %3 this month.',
        'Training jobs started from here, as their own series: %2 for %1 jobs that ended in these days, %3 this month.',
        j.count,
        money(j.total),
        money(j.monthToDate)
      )
    );
    if (j.unpriced) {
      sentences.push(
        trans._n(
          '%1 job at an unknown price is not included.',
          '%1 jobs at an unknown price are not included.',
          j.unpriced
        )
      );
    }
    if (j.running) {
      sentences.push(
        trans._n(
          '%1 job still runs: its cost is known when it ends.',
          '%1 jobs still run: their cost is known when they end.',
          j.running
        )
      );
    }
    if (j.unknown) {
      sentences.push(
        trans._n(
          '%1 job ended with no billable time known: not included.',
          '%1 jobs ended with no billable time known: not included.',
          j.unknown
        )
      );
    }
    if (j.sources.length) {
      sentences.push(trans.__('Job prices: %1.', fmt.list(j.sources)));
    }
  }
  const b = s.billed;
  if (b && b.state === 'ok' && b.monthToDate !== null) {
    sentences.push(
      trans.__(
        'Billed by AWS this month through %1: %2.',
        fmt.shortDate(b.through ?? ''),
        money(b.monthToDate)
      )
    );
  }
  return sentences.join(trans._p('sentence separator', ' '));
}
