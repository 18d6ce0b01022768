import { ReactWidget } from '@jupyterlab/ui-components';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { describeUsage, mapUsageSeries } from '../chartData';
import { SpendChart, UsageChart } from '../charts';
import { Format } from '../format';
import { describeSpend, mapSpendSeries } from '../spendData';
import { IUtilization } from '../tokens';
import { makeHistory, makeSpendDay, T0 } from './fixtures';

const fmt = new Format();
const S0 = T0 / 1000 - 3600; // the window's first minute (UNIX seconds)

/** Minutes `from`..`to` (inclusive) of the window, with these fields. */
function minutes(from: number, to: number, fields: object = {}) {
  const out = [];
  for (let m = from; m <= to; m++) {
    out.push({ t: S0 + 60 * m, ...fields });
  }
  return out;
}

const UTIL: IUtilization = {
  cpu_p50: 0.1,
  cpu_p95: 0.18,
  mem_p95: 0.3,
  gpu_p95: null
};

describe('mapUsageSeries', () => {
  it('keeps mean and peak per step, in time order, as fractions', () => {
    const h = makeHistory({
      usage: [
        { t: S0 + 120, cpu_mean: 0.5, cpu_max: 0.75 },
        { t: S0 + 60, cpu_mean: 0.25, cpu_max: 0.5 }
      ]
    });
    const s = mapUsageSeries(h);
    const cpu = s.metrics[0];
    expect(cpu.key).toBe('cpu');
    expect(cpu.of).toBe('of 2 vCPUs');
    expect(cpu.segments).toHaveLength(1);
    expect(cpu.segments[0].points).toEqual([
      { t: (S0 + 60) * 1000, mean: 0.25, max: 0.5 },
      { t: (S0 + 120) * 1000, mean: 0.5, max: 0.75 }
    ]);
    expect(s.from).toBe(T0 - 3600_000);
    expect(s.to).toBe(T0);
    expect(s.samples).toBe(12);
    // memory: of the machine's 4 GiB
    expect(s.metrics[1]).toMatchObject({ key: 'mem', of: 'of 4.0 GiB' });
  });

  it('weighs the average by samples and takes the highest peak', () => {
    const h = makeHistory({
      usage: [
        { t: S0, cpu_mean: 0.1, cpu_max: 0.2, samples: 6 },
        { t: S0 + 60, cpu_mean: 0.7, cpu_max: 0.9, samples: 2 }
      ]
    });
    const cpu = mapUsageSeries(h).metrics[0];
    expect(cpu.mean).toBeCloseTo((0.1 * 6 + 0.7 * 2) / 8);
    expect(cpu.peak).toBe(0.9);
  });

  it('starts a new segment at a gap (the server was not running)', () => {
    const h = makeHistory({ usage: [...minutes(0, 9), ...minutes(30, 39)] });
    const segments = mapUsageSeries(h).metrics[0].segments;
    expect(segments.map(s => s.points.length)).toEqual([10, 10]);
  });

  it('marks time on another instance type, which the rule does not count', () => {
    const h = makeHistory({
      usage: [
        ...minutes(0, 4, { instance_type: 'ml.m5.xlarge', cpu_count: 4 }),
        ...minutes(5, 9)
      ]
    });
    const s = mapUsageSeries(h);
    const segments = s.metrics[0].segments;
    expect(segments.map(x => [x.instanceType, x.other])).toEqual([
      ['ml.m5.xlarge', true],
      ['ml.t3.medium', false]
    ]);
    expect(s.otherTypes).toEqual(['ml.m5.xlarge']);
    expect(describeUsage(s)).toContain(
      'Includes time on ml.m5.xlarge, which the recommendation does not count.'
    );
  });

  it('draws GPU only when measured, with the idle threshold', () => {
    expect(
      mapUsageSeries(makeHistory({ usage: minutes(0, 2) })).metrics.map(
        m => m.key
      )
    ).toEqual(['cpu', 'mem']);
    const gpu = mapUsageSeries(
      makeHistory({
        usage: minutes(0, 2, { gpu_count: 4, gpu_mean: 0.01, gpu_max: 0.03 })
      }),
      { ...UTIL, gpu_p95: 0.02 }
    ).metrics[2];
    expect(gpu).toMatchObject({
      key: 'gpu',
      of: 'busiest of 4 GPUs',
      thresholds: [{ value: 0.05, label: 'idle below' }],
      p95: 0.02,
      peak: 0.03
    });
  });

  it('takes the thresholds from the server and the p95 from the recommendation', () => {
    const h = makeHistory({ usage: minutes(0, 2) });
    h.thresholds.cpu_saturated = 0.8;
    const [cpu, mem] = mapUsageSeries(h, UTIL).metrics;
    expect(cpu.thresholds).toEqual([
      { value: 0.8, label: 'short of CPU above' }
    ]);
    expect(cpu.p95).toBe(0.18);
    expect(mem.thresholds[0].value).toBe(0.9);
    expect(mem.p95).toBe(0.3);
    expect(mapUsageSeries(h).metrics[0].p95).toBeNull();
  });

  it('summarises for a screen reader', () => {
    const s = mapUsageSeries(makeHistory({ usage: minutes(0, 59) }), UTIL);
    expect(describeUsage(s)).toBe(
      'Usage over the last 60 minutes, 360 samples: ' +
        'CPU (of 2 vCPUs) averaged 10%, peaked at 20%, p95 18% (short of CPU above 90%); ' +
        'Memory (of 4.0 GiB) averaged 25%, peaked at 30%, p95 30% (short of memory above 90%).'
    );
    expect(describeUsage(mapUsageSeries(makeHistory()))).toBe(
      'No usage kept for the last 60 minutes yet.'
    );
  });
});

/** The spend history's jobs series over `days`, with jobs on some of them. */
function jobSeries(
  dates: string[],
  jobs: Record<string, { amount: number; jobs: number; unpriced?: number }>,
  extra: { running?: number; unknown?: number } = {}
) {
  const price = {
    per_hour: 0.23,
    currency: 'USD' as const,
    source: 'bundled' as const,
    as_of: '2026-09-24',
    detail: '',
    fix: null,
    region: 'us-east-1',
    component: 'Training',
    instance_type: 'ml.m5.xlarge',
    parts: null
  };
  const days = dates.map(date => {
    const j = jobs[date];
    return {
      date,
      amount: j?.amount ?? 0,
      jobs: j?.jobs ?? 0,
      unpriced_jobs: j?.unpriced ?? 0,
      billable_hours: j ? j.amount / 0.23 : 0,
      prices: j
        ? [{ price, billable_hours: j.amount / 0.23, amount: j.amount }]
        : []
    };
  });
  return {
    currency: 'USD' as const,
    days,
    month_to_date: {
      month: '2026-11',
      amount: days.reduce((s, d) => s + d.amount, 0),
      jobs: days.reduce((s, d) => s + d.jobs, 0),
      unpriced_jobs: days.reduce((s, d) => s + d.unpriced_jobs, 0)
    },
    running: extra.running ?? 0,
    unknown: extra.unknown ?? 0
  };
}

describe('mapSpendSeries', () => {
  const days = [
    makeSpendDay('2026-11-24', 0),
    makeSpendDay('2026-11-25', 10),
    makeSpendDay('2026-11-26', 4)
  ];

  it('keeps a bar per day, the total, the month and where prices came from', () => {
    const s = mapSpendSeries(makeHistory({ days, monthToDate: 3.7 }));
    expect(s.days.map(d => [d.date, d.usd, d.hours])).toEqual([
      ['2026-11-24', 0, 0],
      ['2026-11-25', 0.5, 10],
      ['2026-11-26', 0.2, 4]
    ]);
    expect(s.total).toBeCloseTo(0.7);
    expect(s.maxUsd).toBe(0.5);
    expect(s.monthToDate).toBe(3.7);
    expect(s.month).toBe('2026-11');
    expect(s.sources).toEqual(['bundled 2026-09-24']);
    expect(s.billed).toBeNull();
  });

  it('puts what AWS billed beside the estimate, by date', () => {
    const s = mapSpendSeries(
      makeHistory({
        days,
        billed: {
          state: 'ok',
          message: null,
          note: 'billed by AWS (Cost Explorer): up to a day late; today is not included',
          tag: { key: 'sagemaker:space-arn', value: 'arn:...' },
          days: [
            { date: '2026-11-25', amount: 0.62, estimated: true },
            { date: '2026-10-01', amount: 9, estimated: false }
          ],
          currency: 'USD',
          month_to_date: 4.1,
          through: '2026-11-25',
          fetched_at: '2026-11-26T10:00:00+00:00'
        }
      })
    );
    expect(s.days.map(d => d.billed)).toEqual([null, 0.62, null]);
    expect(s.days[1].billedEstimated).toBe(true);
    expect(s.maxUsd).toBe(0.62); // the scale fits the billed mark too
    expect(s.billed).toMatchObject({ state: 'ok', monthToDate: 4.1 });
    expect(describeSpend(s)).toContain(
      'Billed by AWS this month through Nov 25: $4.10.'
    );
  });

  it('keeps the jobs started from here as their own series, stacked on the day', () => {
    const h = makeHistory({ days, monthToDate: 3.7 });
    h.spend!.jobs = jobSeries(
      days.map(d => d.date),
      { '2026-11-25': { amount: 1.2, jobs: 2, unpriced: 1 } },
      { running: 1 }
    );
    const s = mapSpendSeries(h);
    expect(s.days.map(d => [d.jobs, d.jobsCount, d.jobsUnpriced])).toEqual([
      [0, 0, 0],
      [1.2, 2, 1],
      [0, 0, 0]
    ]);
    expect(s.maxUsd).toBeCloseTo(1.7); // the notebook's $0.50 and the jobs' $1.20
    expect(s.jobs).toMatchObject({
      total: 1.2,
      count: 2,
      unpriced: 1,
      monthToDate: 1.2,
      running: 1,
      sources: ['bundled 2026-09-24']
    });
    expect(describeSpend(s)).toContain(
      'Training jobs started from here, as their own series: $1.20 for 2 jobs ' +
        'that ended in these days, $1.20 this month. 1 job at an unknown price is ' +
        'not included. 1 job still runs: its cost is known when it ends. ' +
        'Job prices: bundled 2026-09-24.'
    );
    // no jobs series (no jobs service): nothing said of jobs
    expect(mapSpendSeries(makeHistory({ days })).jobs).toBeNull();
    expect(describeSpend(mapSpendSeries(makeHistory({ days })))).not.toContain(
      'job'
    );
  });

  it('summarises for a screen reader', () => {
    expect(
      describeSpend(mapSpendSeries(makeHistory({ days, monthToDate: 3.7 })))
    ).toBe(
      'Spend per day from Nov 24 to Nov 26, from the time this server ran and the ' +
        'price in force: $0.70 in all, the most $0.50 on Nov 25. ' +
        'This month to date: $3.70. Prices: bundled 2026-09-24.'
    );
    expect(describeSpend(mapSpendSeries(makeHistory({ days: [] })))).toBe(
      'No spend kept yet.'
    );
  });
});

describe('the charts', () => {
  let widget: Widget | null = null;
  let host: HTMLElement;

  /** Render `element` in a real widget, as the panel does. */
  async function render(element: React.ReactElement): Promise<void> {
    widget = ReactWidget.create(element);
    Widget.attach(widget, document.body);
    MessageLoop.sendMessage(widget, Widget.Msg.UpdateRequest);
    await new Promise(resolve => setTimeout(resolve, 50));
    host = widget.node;
  }

  afterEach(() => {
    widget?.dispose();
    widget = null;
  });

  it('draws mean and peak per segment, thresholds and p95, and says it in words', async () => {
    const h = makeHistory({ usage: [...minutes(0, 9), ...minutes(30, 59)] });
    await render(<UsageChart history={h} utilization={UTIL} fmt={fmt} />);
    const cpu = host.querySelector('.jp-SmCost-metric-cpu')!;
    expect(cpu.querySelectorAll('.jp-SmCost-segment')).toHaveLength(2);
    expect(cpu.querySelectorAll('.jp-SmCost-mean')).toHaveLength(2);
    // 90% of a 48-unit-high chart: 4.8 from the top
    const threshold = cpu.querySelector('.jp-SmCost-threshold')!;
    expect(Number(threshold.getAttribute('y1'))).toBeCloseTo(4.8);
    expect(
      Number(cpu.querySelector('.jp-SmCost-p95')!.getAttribute('y1'))
    ).toBeCloseTo(48 * (1 - 0.18));
    // the first segment starts at the left: minute 0 of a 60-minute window
    const d = cpu.querySelector('.jp-SmCost-mean')!.getAttribute('d')!;
    expect(d.startsWith('M2.5,43.2')).toBe(true);
    expect(cpu.textContent).toContain('avg 10% · peak 20% · p95 18%');
    const sr = host.querySelector('.jp-SmCost-srOnly')!;
    expect(sr.textContent).toBe(describeUsage(mapUsageSeries(h, UTIL)));
    expect(host.querySelector('svg')!.getAttribute('aria-hidden')).toBe('true');
    expect(host.querySelector('.jp-SmCost-metric-gpu')).toBeNull();
  });

  it('says there is nothing yet instead of an empty chart', async () => {
    await render(
      <UsageChart history={makeHistory()} utilization={null} fmt={fmt} />
    );
    expect(host.querySelector('svg')).toBeNull();
    expect(host.textContent).toContain(
      'No usage kept for the last 60 minutes yet.'
    );
  });

  it('draws a bar per day with spend, scaled to the highest', async () => {
    const days = [
      makeSpendDay('2026-11-24', 0),
      makeSpendDay('2026-11-25', 10),
      makeSpendDay('2026-11-26', 5)
    ];
    await render(<SpendChart history={makeHistory({ days })} fmt={fmt} />);
    const bars = Array.from(host.querySelectorAll('.jp-SmCost-bar'));
    expect(bars).toHaveLength(2); // no bar for a day without spend
    const heights = bars.map(b => Number(b.getAttribute('height')));
    expect(heights[0]).toBeCloseTo(46);
    expect(heights[1]).toBeCloseTo(23);
    const titles = Array.from(host.querySelectorAll('title')).map(
      t => t.textContent
    );
    expect(titles[1]).toBe('Nov 25: $0.50 (10.0 h)');
    expect(host.querySelector('.jp-SmCost-mtd')!.textContent).toBe('$0.75');
    expect(host.querySelector('.jp-SmCost-billed')).toBeNull();
    expect(host.querySelector('.jp-SmCost-srOnly')!.textContent).toContain(
      'the most $0.50 on Nov 25'
    );
  });

  it('draws the jobs series above the notebook bar, with its legend', async () => {
    const days = [
      makeSpendDay('2026-11-25', 10),
      makeSpendDay('2026-11-26', 5)
    ];
    const h = makeHistory({ days });
    h.spend!.jobs = jobSeries(['2026-11-25', '2026-11-26'], {
      '2026-11-26': { amount: 0.75, jobs: 1 }
    });
    await render(<SpendChart history={h} fmt={fmt} />);
    const [job] = Array.from(host.querySelectorAll('.jp-SmCost-jobBar'));
    expect(host.querySelectorAll('.jp-SmCost-jobBar')).toHaveLength(1);
    const bars = Array.from(host.querySelectorAll('.jp-SmCost-bar'));
    // scale: the tallest day is $0.25 + $0.75 = $1.00 over 46 units
    expect(Number(bars[1].getAttribute('height'))).toBeCloseTo(46 * 0.25);
    expect(Number(job.getAttribute('height'))).toBeCloseTo(46 * 0.75);
    expect(
      Number(job.getAttribute('y')) + Number(job.getAttribute('height'))
    ).toBeCloseTo(Number(bars[1].getAttribute('y')));
    const titles = Array.from(host.querySelectorAll('title')).map(
      t => t.textContent
    );
    expect(titles[1]).toBe('Nov 26: $0.25 (5.0 h); 1 training job: $0.75');
    expect(host.querySelector('.jp-SmCost-jobsLegend')!.textContent).toContain(
      'training jobs started from here: $0.75 this month'
    );
    expect(host.querySelector('.jp-SmCost-srOnly')!.textContent).toContain(
      '$0.75 for 1 job that ended in these days'
    );
  });
});
