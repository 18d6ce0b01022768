/**
 * What the charts draw, from the API's shapes: the usage series (CPU, memory
 * and GPU over the recommendation window, or over the horizon the
 * recommendation read, mean and peak per step, with the thresholds the
 * right-sizing rules use, the p95 they read and the busiest hours), and as a
 * paragraph for screen readers; the spend series is in spendData.ts. Pure:
 * jest tests it (charts.spec.tsx).
 */
import { Format } from './format';
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
  /** The recommendation window's p95, when one was computed (over a horizon:
   * the busiest hour's, what the rules read). */
  p95: number | null;
  /** Over a horizon: the start of the busiest hour for this measure (ms). */
  busiest: number | null;
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
  /** The horizon the recommendation read, when the series is over it. */
  horizon: IUsageHorizon | null;
}

/** What the horizon read (GET history?range=horizon's `horizon`). */
export interface IUsageHorizon {
  horizonS: number;
  /** Running time its samples cover, in seconds. */
  coveredS: number;
  /** The oldest kept bucket read (ms; null: this run only). */
  since: number | null;
  /** Hours of the clock with samples. */
  phases: number;
}

/** The usage series as drawn: three metrics (GPU only when measured). */
export function mapUsageSeries(
  h: IHistory,
  util: IUtilization | null = null,
  fmt: Format = new Format()
): IUsageSeries {
  const trans = fmt.trans;
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
  const horizon = h.range === 'horizon' ? (h.horizon ?? null) : null;
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
    const busiest = horizon?.busiest[key];
    return {
      key,
      label,
      of,
      segments,
      thresholds: [threshold],
      p95: p95 ?? null,
      busiest: busiest ? Date.parse(busiest) : null,
      ...summary(segments, weight)
    };
  };
  const gpuCount = Math.max(0, ...points.map(p => p.gpu_count ?? 0));
  const metrics: IUsageMetric[] = [
    metric(
      'cpu',
      trans.__('CPU'),
      last?.cpu_count
        ? trans._n('of %1 vCPU', 'of %1 vCPUs', last.cpu_count)
        : '',
      p => p.cpu_mean,
      p => p.cpu_max,
      { value: th.cpu_saturated, label: trans.__('short of CPU above') },
      util?.cpu_p95
    ),
    metric(
      'mem',
      trans.__('Memory'),
      last?.mem_total_gib
        ? trans.__('of %1', formatGib(last.mem_total_gib, fmt))
        : '',
      p => p.mem_mean,
      p => p.mem_max,
      { value: th.mem_saturated, label: trans.__('short of memory above') },
      util?.mem_p95
    ),
    metric(
      'gpu',
      trans.__('GPU'),
      gpuCount > 1
        ? trans._n('busiest of %1 GPU', 'busiest of %1 GPUs', gpuCount)
        : trans.__('of the GPU'),
      p => p.gpu_mean,
      p => p.gpu_max,
      { value: th.gpu_idle, label: trans.__('idle below') },
      util?.gpu_p95
    )
  ].filter(m => m.key !== 'gpu' || m.segments.length > 0);
  return {
    from,
    to,
    stepS: step,
    samples: points.reduce((n, p) => n + p.samples, 0),
    metrics,
    otherTypes,
    horizon: horizon
      ? {
          horizonS: horizon.horizon_s,
          coveredS: horizon.covered_s,
          since: horizon.since ? Date.parse(horizon.since) : null,
          phases: horizon.phases
        }
      : null
  };
}

function formatGib(gib: number, fmt: Format): string {
  return gib < 10 ? fmt.gib(gib, 1, 1) : fmt.gib(Math.round(gib), 0);
}

/** The usage chart as one paragraph (its screen-reader summary). */
export function describeUsage(
  s: IUsageSeries,
  fmt: Format = new Format()
): string {
  const trans = fmt.trans;
  const span = fmt.span(s.to - s.from);
  if (!s.samples) {
    return s.horizon
      ? trans.__('No usage kept over the horizon yet.')
      : trans.__('No usage kept for the last %1 yet.', span);
  }
  const parts = s.metrics.map(m => {
    const th = fmt.list(
      m.thresholds.map(t =>
        trans._p('threshold', '%1 %2', t.label, fmt.percent(t.value))
      )
    );
    const figures =
      s.horizon && m.p95 !== null && m.busiest !== null
        ? trans.__(
            'averaged %1, peaked at %2, p95 %3 in its busiest hour, from %4 (%5)',
            fmt.percent(m.mean),
            fmt.percent(m.peak),
            fmt.percent(m.p95),
            fmt.dateTime(new Date(m.busiest).toISOString()),
            th
          )
        : m.p95 !== null
          ? trans.__(
              'averaged %1, peaked at %2, p95 %3 (%4)',
              fmt.percent(m.mean),
              fmt.percent(m.peak),
              fmt.percent(m.p95),
              th
            )
          : trans.__(
              'averaged %1, peaked at %2 (%3)',
              fmt.percent(m.mean),
              fmt.percent(m.peak),
              th
            );
    return m.of
      ? trans._p('metric', '%1 (%2) %3', m.label, m.of, figures)
      : trans._p('metric', '%1 %2', m.label, figures);
  });
  const list = parts.join(trans._p('list separator', '; '));
  const hz = s.horizon;
  const summary = hz
    ? hz.since !== null
      ? trans._n(
          'Usage over the horizon the recommendation read, %2 of running time since %3 (up to %4), %1 sample: %5.',
          'Usage over the horizon the recommendation read, %2 of running time since %3 (up to %4), %1 samples: %5.',
          s.samples,
          fmt.duration(hz.coveredS),
          fmt.dateTime(new Date(hz.since).toISOString()),
          fmt.duration(hz.horizonS),
          list
        )
      : trans._n(
          'Usage over the horizon the recommendation read, %2 of running time (up to %3), %1 sample: %4.',
          'Usage over the horizon the recommendation read, %2 of running time (up to %3), %1 samples: %4.',
          s.samples,
          fmt.duration(hz.coveredS),
          fmt.duration(hz.horizonS),
          list
        )
    : trans._n(
        'Usage over the last %2, %1 sample: %3.',
        'Usage over the last %2, %1 samples: %3.',
        s.samples,
        span,
        list
      );
  return s.otherTypes.length
    ? trans.__(
        '%1 Includes time on %2, which the recommendation does not count.',
        summary,
        fmt.list(s.otherTypes)
      )
    : summary;
}

// ---------------------------------------------------------------------------- spend
