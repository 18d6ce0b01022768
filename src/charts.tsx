/**
 * Pictures of the kept history, in plain SVG: no chart library (uPlot 1.6,
 * a small, well-kept one, is 21.5 KiB gzipped and draws on a canvas, which
 * neither takes the theme's CSS variables nor shows anything to a screen
 * reader); these two small charts cost 3 KiB gzipped:
 *
 * - UsageChart: CPU, memory and GPU over the recommendation window, mean and
 *   peak per minute, with the thresholds the right-sizing rules use and the
 *   window's p95 when a recommendation was computed; or over the horizon the
 *   recommendation read, per hour, with each measure's busiest hour marked;
 * - SpendChart: spend per day over the last 30 days (this server's running
 *   time x the price in force), the month to date, and what AWS billed when
 *   the administrator turned Cost Explorer on.
 *
 * What is drawn comes from chartData.ts and spendData.ts (pure, tested). Each chart carries a
 * text summary for screen readers; the SVG itself is hidden from them.
 */
import * as React from 'react';

import {
  describeUsage,
  IChartPoint,
  IUsageMetric,
  mapUsageSeries
} from './chartData';
import { Format } from './format';
import { describeSpend, mapSpendSeries } from './spendData';
import { IHistory, IUtilization } from './tokens';

export const W = 300;
export const H = 48;

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
export function ChartFrame(props: {
  className?: string;
  children: React.ReactNode;
}) {
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
  horizon: boolean;
  fmt: Format;
}) {
  const { metric, from, to, stepMs, horizon, fmt } = props;
  const trans = fmt.trans;
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
          {metric.p95 !== null && horizon
            ? trans.__(
                'avg %1 · peak %2 · busiest hour p95 %3',
                fmt.percent(metric.mean),
                fmt.percent(metric.peak),
                fmt.percent(metric.p95)
              )
            : metric.p95 !== null
              ? trans.__(
                  'avg %1 · peak %2 · p95 %3',
                  fmt.percent(metric.mean),
                  fmt.percent(metric.peak),
                  fmt.percent(metric.p95)
                )
              : trans.__(
                  'avg %1 · peak %2',
                  fmt.percent(metric.mean),
                  fmt.percent(metric.peak)
                )}
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
        {metric.busiest !== null ? (
          <rect
            className="jp-SmCost-busiest"
            x={Math.max(0, x(metric.busiest - stepMs / 2))}
            y={0}
            width={Math.max(1, (stepMs / Math.max(1, to - from)) * W)}
            height={H}
            data-t={metric.busiest}
          />
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

/** CPU, memory and GPU over the window (or the horizon), with the rules' thresholds. */
export function UsageChart(props: {
  history: IHistory;
  utilization: IUtilization | null;
  fmt: Format;
}) {
  const { fmt } = props;
  const trans = fmt.trans;
  const series = mapUsageSeries(props.history, props.utilization, fmt);
  const summary = describeUsage(series, fmt);
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
              horizon={series.horizon !== null}
              fmt={fmt}
            />
          ))}
          <div className="jp-SmCost-axis" aria-hidden="true">
            <span>
              {series.horizon
                ? fmt.dateTime(new Date(series.from).toISOString())
                : fmt.clock(series.from)}
            </span>
            <span>{trans.__('now')}</span>
          </div>
          <figcaption className="jp-SmCost-legend" aria-hidden="true">
            <span className="jp-SmCost-key jp-SmCost-key-mean">
              {trans.__('average')}
            </span>
            <span className="jp-SmCost-key jp-SmCost-key-peak">
              {trans.__('peak')}
            </span>
            <span className="jp-SmCost-key jp-SmCost-key-threshold">
              {trans.__('rule threshold')}
            </span>
            {series.metrics.some(m => m.p95 !== null) ? (
              <span className="jp-SmCost-key jp-SmCost-key-p95">
                {series.horizon
                  ? trans.__('busiest hour p95')
                  : trans.__('p95')}
              </span>
            ) : null}
            {series.metrics.some(m => m.busiest !== null) ? (
              <span className="jp-SmCost-key jp-SmCost-key-busiest">
                {trans.__('busiest hour')}
              </span>
            ) : null}
          </figcaption>
          {series.otherTypes.length ? (
            <div className="jp-SmCost-detail" aria-hidden="true">
              {trans.__(
                'Faded: time on %1 (not counted for this type).',
                fmt.list(series.otherTypes)
              )}
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
export function SpendChart(props: { history: IHistory; fmt: Format }) {
  const { fmt } = props;
  const trans = fmt.trans;
  const s = mapSpendSeries(props.history, fmt);
  const money = (v: number | null) => fmt.money(v, s.currency);
  const summary = describeSpend(s, fmt);
  const n = Math.max(1, s.days.length);
  const bw = W / n;
  const top = s.maxUsd > 0 ? s.maxUsd : 1;
  const y = (usd: number) => H - (usd / top) * (H - 2);
  return (
    <figure className="jp-SmCost-figure jp-SmCost-spendChart">
      <p className="jp-SmCost-srOnly">{summary}</p>
      <div className="jp-SmCost-row" aria-hidden="true">
        <span className="jp-SmCost-label">
          {trans.__('This month (%1)', s.month)}
        </span>
        <span className="jp-SmCost-value jp-SmCost-mtd">
          {s.monthUnpricedHours > 0
            ? trans.__('%1 +unpriced', money(s.monthToDate))
            : money(s.monthToDate)}
        </span>
      </div>
      <ChartFrame className="jp-SmCost-bars">
        {s.days.map((d, i) => (
          <g
            key={d.date}
            data-date={d.date}
            data-usd={d.usd}
            data-jobs={d.jobs}
          >
            <title>
              {d.billed !== null
                ? trans.__(
                    '%1: %2 (%3), billed %4',
                    fmt.shortDate(d.date),
                    money(d.usd),
                    fmt.hours(d.hours),
                    money(d.billed)
                  )
                : trans.__(
                    '%1: %2 (%3)',
                    fmt.shortDate(d.date),
                    money(d.usd),
                    fmt.hours(d.hours)
                  )}
              {d.jobsCount
                ? trans._n(
                    '; %1 training job: %2',
                    '; %1 training jobs: %2',
                    d.jobsCount,
                    d.jobsUnpriced
                      ? trans.__('%1 +unpriced', money(d.jobs))
                      : money(d.jobs)
                  )
                : ''}
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
            {d.jobs > 0 ? (
              <rect
                className={`jp-SmCost-jobBar${d.jobsUnpriced > 0 ? ' jp-SmCost-bar-partial' : ''}`}
                x={i * bw + bw * 0.15}
                width={bw * 0.7}
                y={y(d.usd + d.jobs)}
                height={y(d.usd) - y(d.usd + d.jobs)}
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
        <span>{s.days.length ? fmt.shortDate(s.days[0].date) : ''}</span>
        <span>{trans.__('max %1/day', money(s.maxUsd))}</span>
        <span>{trans.__('today')}</span>
      </div>
      {s.jobs && (s.jobs.count || s.jobs.running || s.jobs.unknown) ? (
        <div
          className="jp-SmCost-legend jp-SmCost-jobsLegend"
          aria-hidden="true"
        >
          <span className="jp-SmCost-key jp-SmCost-key-notebook">
            {trans.__('this notebook')}
          </span>
          <span className="jp-SmCost-key jp-SmCost-key-jobs">
            {trans.__(
              'training jobs started from here: %1 this month',
              money(s.jobs.monthToDate)
            )}
            {s.jobs.monthUnpriced + s.jobs.unknown
              ? ` ${trans._n('(+%1 job of unknown cost)', '(+%1 jobs of unknown cost)', s.jobs.monthUnpriced + s.jobs.unknown)}`
              : ''}
            {s.jobs.running
              ? ` ${trans._n('(%1 still running)', '(%1 still running)', s.jobs.running)}`
              : ''}
          </span>
        </div>
      ) : null}
      <figcaption className="jp-SmCost-detail" aria-hidden="true">
        {s.sources.length
          ? trans.__(
              "Estimated from this server's running time x the price in force (%1).",
              fmt.list(s.sources)
            )
          : trans.__(
              "Estimated from this server's running time x the price in force."
            )}
      </figcaption>
      {s.billed ? (
        <div className="jp-SmCost-billedNote">
          {s.billed.state === 'ok' ? (
            <div className="jp-SmCost-row">
              <span className="jp-SmCost-label">
                {trans.__(
                  'Billed by AWS (through %1)',
                  fmt.shortDate(s.billed.through ?? '')
                )}
              </span>
              <span className="jp-SmCost-value">
                {money(s.billed.monthToDate)}
              </span>
            </div>
          ) : (
            <div className="jp-SmCost-detail">
              {trans.__(
                'Billed spend: %1',
                s.billed.state === 'pending'
                  ? trans.__('asking Cost Explorer')
                  : (s.billed.message ?? s.billed.state)
              )}
            </div>
          )}
          <div className="jp-SmCost-detail">
            {/* the server's note is this constant, in English */}
            {trans.__(
              'billed by AWS (Cost Explorer): up to a day late; today is not included'
            )}
          </div>
        </div>
      ) : null}
    </figure>
  );
}
