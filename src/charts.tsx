/**
 * Pictures of the kept history, in plain SVG: no chart library (uPlot 1.6,
 * a small, well-kept one, is 21.5 KiB gzipped and draws on a canvas, which
 * neither takes the theme's CSS variables nor shows anything to a screen
 * reader); these two small charts cost 3 KiB gzipped:
 *
 * - UsageChart: CPU, memory and GPU over the recommendation window, mean and
 *   peak per minute, with the thresholds the right-sizing rules use and the
 *   window's p95 when a recommendation was computed;
 * - SpendChart: spend per day over the last 30 days (this server's running
 *   time x the price in force), the month to date, and what AWS billed when
 *   the administrator turned Cost Explorer on.
 *
 * The mapping from the API's shapes to what is drawn is pure and exported
 * (mapUsageSeries, mapSpendSeries, describeUsage, describeSpend): jest tests
 * it. Each chart carries a text summary for screen readers; the SVG itself is
 * hidden from them.
 */
import * as React from 'react';

import { formatMoney } from './format';
import { IHistory, IUtilization } from './tokens';

/** One step: the mean and the peak of its samples (fractions 0..1). */
export interface IChartPoint {
  /** Step start, ms since the epoch. */
  t: number;
  mean: number | null;
  max: number | null;
}

/** Consecutive steps of one instance type (a gap or a type change starts a new one). */
export interface ISegment {
  instanceType: string | null;
  /** Whether it ran on another type than the one running now. */
  other: boolean;
  points: IChartPoint[];
}

export interface IThreshold {
  value: number;
  label: string;
}

export interface IUsageMetric {
  key: 'cpu' | 'mem' | 'gpu';
  label: string;
  /** What 100% is, e.g. "of 4 vCPUs". */
  of: string;
  segments: ISegment[];
  thresholds: IThreshold[];
  /** The recommendation window's p95, when one was computed. */
  p95: number | null;
  /** Mean of the steps' means, weighted by samples; null without data. */
  mean: number | null;
  /** The highest peak; null without data. */
  peak: number | null;
}

export interface IUsageSeries {
  /** ms since the epoch */
  from: number;
  to: number;
  stepS: number;
  samples: number;
  metrics: IUsageMetric[];
  /** Types other than the current one that ran in the window. */
  otherTypes: string[];
}

const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The usage series as drawn: three metrics (GPU only when measured). */
export function mapUsageSeries(
  h: IHistory,
  util: IUtilization | null = null
): IUsageSeries {
  const from = Date.parse(h.since);
  const to = Date.parse(h.until);
  const step = h.step_s;
  const current = h.instance_type;
  const points = [...h.usage].sort((a, b) => a.t - b.t);
  const last = points[points.length - 1];
  const otherTypes = Array.from(
    new Set(
      points
        .map(p => p.instance_type)
        .filter((t): t is string => !!t && !!current && t !== current)
    )
  );

  const segmentsOf = (
    mean: (p: IHistory['usage'][number]) => number | null | undefined,
    max: (p: IHistory['usage'][number]) => number | null | undefined
  ): ISegment[] => {
    const out: ISegment[] = [];
    let prev: IHistory['usage'][number] | null = null;
    for (const p of points) {
      const m = mean(p) ?? null;
      const x = max(p) ?? null;
      if (m === null && x === null) {
        prev = null; // no figure for this measure: a gap
        continue;
      }
      const gap = prev === null || p.t - prev.t > step * 1.5;
      const typeChanged =
        prev !== null && prev.instance_type !== p.instance_type;
      if (gap || typeChanged || !out.length) {
        out.push({
          instanceType: p.instance_type,
          other: !!current && !!p.instance_type && p.instance_type !== current,
          points: []
        });
      }
      out[out.length - 1].points.push({ t: p.t * 1000, mean: m, max: x });
      prev = p;
    }
    return out;
  };

  const summary = (
    segments: ISegment[],
    weight: (t: number) => number
  ): { mean: number | null; peak: number | null } => {
    let sum = 0;
    let n = 0;
    let peak: number | null = null;
    for (const s of segments) {
      for (const p of s.points) {
        const w = weight(p.t);
        if (p.mean !== null) {
          sum += p.mean * w;
          n += w;
        }
        if (p.max !== null) {
          peak = peak === null ? p.max : Math.max(peak, p.max);
        }
      }
    }
    return { mean: n ? sum / n : null, peak };
  };
  const samplesAt = new Map(points.map(p => [p.t * 1000, p.samples]));
  const weight = (t: number) => samplesAt.get(t) ?? 1;

  const th = h.thresholds;
  type Point = IHistory['usage'][number];
  const metric = (
    key: IUsageMetric['key'],
    label: string,
    of: string,
    mean: (p: Point) => number | null | undefined,
    max: (p: Point) => number | null | undefined,
    threshold: IThreshold,
    p95: number | null | undefined
  ): IUsageMetric => {
    const segments = segmentsOf(mean, max);
    return {
      key,
      label,
      of,
      segments,
      thresholds: [threshold],
      p95: p95 ?? null,
      ...summary(segments, weight)
    };
  };
  const gpuCount = Math.max(0, ...points.map(p => p.gpu_count ?? 0));
  const metrics: IUsageMetric[] = [
    metric(
      'cpu',
      'CPU',
      last?.cpu_count ? `of ${plural(last.cpu_count, 'vCPU')}` : '',
      p => p.cpu_mean,
      p => p.cpu_max,
      { value: th.cpu_saturated, label: 'short of CPU above' },
      util?.cpu_p95
    ),
    metric(
      'mem',
      'Memory',
      last?.mem_total_gib ? `of ${formatGib(last.mem_total_gib)}` : '',
      p => p.mem_mean,
      p => p.mem_max,
      { value: th.mem_saturated, label: 'short of memory above' },
      util?.mem_p95
    ),
    metric(
      'gpu',
      'GPU',
      gpuCount > 1 ? `busiest of ${gpuCount} GPUs` : 'of the GPU',
      p => p.gpu_mean,
      p => p.gpu_max,
      { value: th.gpu_idle, label: 'idle below' },
      util?.gpu_p95
    )
  ].filter(m => m.key !== 'gpu' || m.segments.length > 0);
  return {
    from,
    to,
    stepS: step,
    samples: points.reduce((n, p) => n + p.samples, 0),
    metrics,
    otherTypes
  };
}

function formatGib(gib: number): string {
  return `${gib < 10 ? gib.toFixed(1) : Math.round(gib)} GiB`;
}

/** How long a span of ms is, in words: "60 minutes", "2 hours", "3 days". */
export function describeSpan(ms: number): string {
  const min = Math.round(ms / 60000);
  if (min < 120) {
    return plural(min, 'minute');
  }
  const h = Math.round(min / 60);
  return h < 48 ? plural(h, 'hour') : plural(Math.round(h / 24), 'day');
}

/** The usage chart as one paragraph (its screen-reader summary). */
export function describeUsage(s: IUsageSeries): string {
  if (!s.samples) {
    return `No usage kept for the last ${describeSpan(s.to - s.from)} yet.`;
  }
  const parts = s.metrics.map(m => {
    const th = m.thresholds.map(t => `${t.label} ${pct(t.value)}`).join(', ');
    const p95 = m.p95 !== null ? `, p95 ${pct(m.p95)}` : '';
    return `${m.label} ${m.of ? `(${m.of}) ` : ''}averaged ${pct(m.mean)}, peaked at ${pct(m.peak)}${p95} (${th})`;
  });
  const other = s.otherTypes.length
    ? ` Includes time on ${s.otherTypes.join(', ')}, which the recommendation does not count.`
    : '';
  return (
    `Usage over the last ${describeSpan(s.to - s.from)}, ` +
    `${plural(s.samples, 'sample')}: ${parts.join('; ')}.${other}`
  );
}

// ---------------------------------------------------------------------------- spend

export interface ISpendBar {
  date: string;
  usd: number;
  hours: number;
  unpricedHours: number;
  /** What AWS billed that day (Cost Explorer), when known. */
  billed: number | null;
  billedEstimated: boolean;
}

export interface ISpendSeries {
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
}

/** Spend per day as drawn (empty when history is off). */
export function mapSpendSeries(h: IHistory): ISpendSeries {
  const billedDays = new Map(
    (h.billed?.days ?? []).map(d => [d.date, d] as const)
  );
  const spend = h.spend;
  const days: ISpendBar[] = (spend?.days ?? []).map(d => {
    const b = billedDays.get(d.date);
    return {
      date: d.date,
      usd: d.amount,
      hours: d.hours,
      unpricedHours: d.unpriced_hours,
      billed: b ? b.amount : null,
      billedEstimated: b ? b.estimated : false
    };
  });
  const sources = new Set<string>();
  for (const d of spend?.days ?? []) {
    for (const p of d.prices) {
      const q = p.price;
      sources.add(q.as_of ? `${q.source} ${q.as_of}` : q.source);
    }
  }
  const mtd = spend?.month_to_date;
  return {
    days,
    maxUsd: Math.max(0, ...days.map(d => Math.max(d.usd, d.billed ?? 0))),
    total: days.reduce((sum, d) => sum + d.usd, 0),
    unpricedHours: days.reduce((sum, d) => sum + d.unpricedHours, 0),
    month: mtd?.month ?? '',
    monthToDate: mtd?.amount ?? 0,
    monthUnpricedHours: mtd?.unpriced_hours ?? 0,
    sources: Array.from(sources).sort(),
    billed: h.billed
      ? {
          state: h.billed.state,
          message: h.billed.message,
          monthToDate: h.billed.month_to_date,
          through: h.billed.through,
          note: h.billed.note
        }
      : null
  };
}

/** "Nov 20" (UTC) from "2026-11-20". */
export function shortDate(date: string): string {
  const t = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(t)
    ? date
    : new Date(t).toLocaleDateString('en-US', {
        month: 'short',
        day: 'numeric',
        timeZone: 'UTC'
      });
}

/** The spend chart as one paragraph (its screen-reader summary). */
export function describeSpend(s: ISpendSeries): string {
  if (!s.days.length) {
    return 'No spend kept yet.';
  }
  const top = s.days.reduce((a, b) => (b.usd > a.usd ? b : a), s.days[0]);
  const first = s.days[0].date;
  const last = s.days[s.days.length - 1].date;
  let text =
    `Spend per day from ${shortDate(first)} to ${shortDate(last)}, ` +
    `from the time this server ran and the price in force: ${formatMoney(s.total)} in all`;
  text +=
    top.usd > 0
      ? `, the most ${formatMoney(top.usd)} on ${shortDate(top.date)}`
      : '';
  text += `. This month to date: ${formatMoney(s.monthToDate)}`;
  if (s.monthUnpricedHours > 0) {
    text += ` and ${s.monthUnpricedHours.toFixed(1)} h at an unknown price`;
  }
  text += '.';
  if (s.sources.length) {
    text += ` Prices: ${s.sources.join(', ')}.`;
  }
  const b = s.billed;
  if (b && b.state === 'ok' && b.monthToDate !== null) {
    text += ` Billed by AWS this month through ${shortDate(b.through ?? '')}: ${formatMoney(b.monthToDate)}.`;
  }
  return text;
}

// ---------------------------------------------------------------------------- drawing

const W = 300;
const H = 48;

function pathOf(
  points: IChartPoint[],
  value: (p: IChartPoint) => number | null,
  x: (t: number) => number,
  y: (v: number) => number
): string {
  return points
    .filter(p => value(p) !== null)
    .map(
      (p, i) =>
        `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(value(p)!).toFixed(1)}`
    )
    .join('');
}

/** A W x H drawing stretched to the panel's width, hidden from screen readers. */
function ChartFrame(props: { className?: string; children: React.ReactNode }) {
  return (
    <svg
      className={`jp-SmCost-chart ${props.className ?? ''}`.trim()}
      viewBox={`0 0 ${W} ${H}`}
      preserveAspectRatio="none"
      aria-hidden="true"
      focusable="false"
    >
      <rect className="jp-SmCost-chartBg" x={0} y={0} width={W} height={H} />
      {props.children}
    </svg>
  );
}

/** One measure: peak as a band, mean as a line, thresholds dashed, p95 dotted. */
function MetricChart(props: {
  metric: IUsageMetric;
  from: number;
  to: number;
  stepMs: number;
}) {
  const { metric, from, to, stepMs } = props;
  const span = Math.max(1, to - from);
  const x = (t: number) => ((t + stepMs / 2 - from) / span) * W;
  const y = (v: number) => H - Math.max(0, Math.min(1, v)) * H;
  return (
    <div className={`jp-SmCost-metric jp-SmCost-metric-${metric.key}`}>
      <div className="jp-SmCost-metricHead" aria-hidden="true">
        <span className="jp-SmCost-metricLabel">
          {metric.label} <span className="jp-SmCost-metricOf">{metric.of}</span>
        </span>
        <span className="jp-SmCost-metricFigures">
          avg {pct(metric.mean)} · peak {pct(metric.peak)}
          {metric.p95 !== null ? ` · p95 ${pct(metric.p95)}` : ''}
        </span>
      </div>
      <ChartFrame>
        {metric.segments.map((s, i) => {
          const band = s.points.filter(p => p.max !== null);
          const area = band.length
            ? `${pathOf(band, p => p.max, x, y)}L${x(band[band.length - 1].t).toFixed(1)},${H}L${x(band[0].t).toFixed(1)},${H}Z`
            : '';
          return (
            <g
              key={i}
              className={`jp-SmCost-segment${s.other ? ' jp-SmCost-segment-other' : ''}`}
              data-type={s.instanceType ?? ''}
            >
              {area ? <path className="jp-SmCost-peak" d={area} /> : null}
              <path
                className="jp-SmCost-mean"
                d={pathOf(s.points, p => p.mean, x, y)}
                vectorEffect="non-scaling-stroke"
              />
              {s.points.length === 1 && s.points[0].mean !== null ? (
                <circle
                  className="jp-SmCost-dot"
                  cx={x(s.points[0].t)}
                  cy={y(s.points[0].mean)}
                  r={1.5}
                />
              ) : null}
            </g>
          );
        })}
        {metric.thresholds.map(t => (
          <HLine
            key={t.label}
            className="jp-SmCost-threshold"
            from={0}
            to={W}
            at={y(t.value)}
            value={t.value}
          />
        ))}
        {metric.p95 !== null ? (
          <HLine className="jp-SmCost-p95" from={0} to={W} at={y(metric.p95)} />
        ) : null}
      </ChartFrame>
    </div>
  );
}

/** A horizontal rule across the chart, as thick at any scale. */
function HLine(props: {
  className: string;
  from: number;
  to: number;
  at: number;
  value?: number;
}): JSX.Element {
  return (
    <line
      className={props.className}
      x1={props.from}
      x2={props.to}
      y1={props.at}
      y2={props.at}
      vectorEffect="non-scaling-stroke"
      data-value={props.value}
    />
  );
}

const timeOf = (ms: number) =>
  new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** CPU, memory and GPU over the window, with the rules' thresholds. */
export function UsageChart(props: {
  history: IHistory;
  utilization: IUtilization | null;
}) {
  const series = mapUsageSeries(props.history, props.utilization);
  const summary = describeUsage(series);
  return (
    <figure className="jp-SmCost-figure jp-SmCost-usageChart">
      <p className="jp-SmCost-srOnly">{summary}</p>
      {series.samples ? (
        <>
          {series.metrics.map(m => (
            <MetricChart
              key={m.key}
              metric={m}
              from={series.from}
              to={series.to}
              stepMs={series.stepS * 1000}
            />
          ))}
          <div className="jp-SmCost-axis" aria-hidden="true">
            <span>{timeOf(series.from)}</span>
            <span>now</span>
          </div>
          <figcaption className="jp-SmCost-legend" aria-hidden="true">
            <span className="jp-SmCost-key jp-SmCost-key-mean">average</span>
            <span className="jp-SmCost-key jp-SmCost-key-peak">peak</span>
            <span className="jp-SmCost-key jp-SmCost-key-threshold">
              rule threshold
            </span>
            {series.metrics.some(m => m.p95 !== null) ? (
              <span className="jp-SmCost-key jp-SmCost-key-p95">p95</span>
            ) : null}
          </figcaption>
          {series.otherTypes.length ? (
            <div className="jp-SmCost-detail" aria-hidden="true">
              Faded: time on {series.otherTypes.join(', ')} (not counted for
              this type).
            </div>
          ) : null}
        </>
      ) : (
        <div className="jp-SmCost-detail" aria-hidden="true">
          {summary}
        </div>
      )}
    </figure>
  );
}

/** Spend per day as bars, billed amounts as marks, the month to date. */
export function SpendChart(props: { history: IHistory }) {
  const s = mapSpendSeries(props.history);
  const summary = describeSpend(s);
  const n = Math.max(1, s.days.length);
  const bw = W / n;
  const top = s.maxUsd > 0 ? s.maxUsd : 1;
  const y = (usd: number) => H - (usd / top) * (H - 2);
  return (
    <figure className="jp-SmCost-figure jp-SmCost-spendChart">
      <p className="jp-SmCost-srOnly">{summary}</p>
      <div className="jp-SmCost-row" aria-hidden="true">
        <span className="jp-SmCost-label">This month ({s.month})</span>
        <span className="jp-SmCost-value jp-SmCost-mtd">
          {formatMoney(s.monthToDate)}
          {s.monthUnpricedHours > 0 ? ' +unpriced' : ''}
        </span>
      </div>
      <ChartFrame className="jp-SmCost-bars">
        {s.days.map((d, i) => (
          <g key={d.date} data-date={d.date} data-usd={d.usd}>
            <title>
              {`${shortDate(d.date)}: ${formatMoney(d.usd)} (${d.hours.toFixed(1)} h)` +
                (d.billed !== null ? `, billed ${formatMoney(d.billed)}` : '')}
            </title>
            {d.usd > 0 ? (
              <rect
                className={`jp-SmCost-bar${d.unpricedHours > 0 ? ' jp-SmCost-bar-partial' : ''}`}
                x={i * bw + bw * 0.15}
                width={bw * 0.7}
                y={y(d.usd)}
                height={H - y(d.usd)}
              />
            ) : null}
            {d.billed !== null ? (
              <HLine
                className="jp-SmCost-billed"
                from={i * bw + bw * 0.05}
                to={i * bw + bw * 0.95}
                at={y(d.billed)}
              />
            ) : null}
          </g>
        ))}
      </ChartFrame>
      <div className="jp-SmCost-axis" aria-hidden="true">
        <span>{s.days.length ? shortDate(s.days[0].date) : ''}</span>
        <span>max {formatMoney(s.maxUsd)}/day</span>
        <span>today</span>
      </div>
      <figcaption className="jp-SmCost-detail" aria-hidden="true">
        Estimated from this server's running time x the price in force
        {s.sources.length ? ` (${s.sources.join(', ')})` : ''}.
      </figcaption>
      {s.billed ? (
        <div className="jp-SmCost-billedNote">
          {s.billed.state === 'ok' ? (
            <div className="jp-SmCost-row">
              <span className="jp-SmCost-label">
                Billed by AWS (through {shortDate(s.billed.through ?? '')})
              </span>
              <span className="jp-SmCost-value">
                {formatMoney(s.billed.monthToDate)}
              </span>
            </div>
          ) : (
            <div className="jp-SmCost-detail">
              Billed spend: {s.billed.message ?? s.billed.state}
            </div>
          )}
          <div className="jp-SmCost-detail">{s.billed.note}</div>
        </div>
      ) : null}
    </figure>
  );
}
