/**
 * The usage chart over the horizon the recommendation read (issue 19 §2):
 * GET history?range=horizon drawn per hour with each measure's busiest hour
 * marked, said in words, and the panel's switch between the last hour and
 * the horizon.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { describeUsage, mapUsageSeries } from '../chartData';
import { UsageChart } from '../charts';
import { historyPath, IApi } from '../client';
import { Format } from '../format';
import { SmCostModel } from '../model';
import { SmCostPanel } from '../panel';
import { SmCostError } from '../request';
import { IHistory, IHorizon, IRecommendations, IUtilization } from '../tokens';
import {
  makeHistory,
  makeIdleSettings,
  makeRecommendations,
  makeStatus,
  T0
} from './fixtures';

const fmt = new Format();
const DAY = 86400;
const H0 = T0 / 1000 - 3 * DAY; // the horizon's first hour (UNIX seconds)
const BUSY = H0 + 26 * 3600; // a busy hour on the second day

const HORIZON: IHorizon = {
  horizon_s: 7 * DAY,
  covered_s: 72 * 3600,
  since: new Date(H0 * 1000).toISOString(),
  phases: 72,
  busiest: {
    cpu: new Date(BUSY * 1000).toISOString(),
    mem: new Date((BUSY + 3600) * 1000).toISOString(),
    gpu: null
  },
  overall: { cpu_p50: 0.1, cpu_p95: 0.9, mem_p95: 0.3, gpu_p95: null }
};

/** The rules' figures over the horizon: the busiest hours'. */
const UTIL: IUtilization = {
  cpu_p50: 0.1,
  cpu_p95: 0.95,
  mem_p95: 0.6,
  gpu_p95: null
};

/** 72 hours, one of them busy: what GET history?range=horizon answers. */
function horizonHistory(horizon: IHorizon | null = HORIZON): IHistory {
  const usage = Array.from({ length: 72 }, (_, i) => {
    const t = H0 + 3600 * i;
    const busy = t === BUSY;
    return {
      t,
      samples: 360,
      cpu_mean: busy ? 0.9 : 0.1,
      cpu_max: busy ? 0.97 : 0.2,
      mem_mean: 0.3,
      mem_max: 0.4
    };
  });
  return {
    ...makeHistory({ since: H0 * 1000, step: 3600, usage }),
    range: horizon ? 'horizon' : 'window',
    horizon
  };
}

describe('the usage series over the horizon', () => {
  it('marks each measure at its busiest hour and says the horizon in words', () => {
    const s = mapUsageSeries(horizonHistory(), UTIL, fmt);
    expect(s.stepS).toBe(3600);
    expect(s.horizon).toEqual({
      horizonS: 7 * DAY,
      coveredS: 72 * 3600,
      since: H0 * 1000,
      phases: 72
    });
    const [cpu, mem] = s.metrics;
    expect(cpu.busiest).toBe(BUSY * 1000);
    expect(mem.busiest).toBe((BUSY + 3600) * 1000);
    expect(cpu.p95).toBe(0.95);
    expect(cpu.peak).toBe(0.97);
    const text = describeUsage(s, fmt);
    expect(text).toContain(
      'Usage over the horizon the recommendation read, 3d 0h of running time since '
    );
    expect(text).toContain(
      '(up to 7d 0h), 25920 samples: CPU (of 2 vCPUs) averaged 11%, peaked at 97%, '
    );
    expect(text).toContain(
      `p95 95% in its busiest hour, from ${fmt.dateTime(HORIZON.busiest.cpu)}`
    );
  });

  it('is the window when the server answered the window', () => {
    // range=horizon without a horizon (recommend_horizon 0): the window, said so
    const s = mapUsageSeries(horizonHistory(null), UTIL, fmt);
    expect(s.horizon).toBeNull();
    expect(s.metrics[0].busiest).toBeNull();
    expect(describeUsage(s, fmt)).toMatch(/^Usage over the last 3 days/);
  });

  it('asks GET history for the horizon at an hour a point', () => {
    expect(historyPath({ range: 'horizon', step: 3600 })).toBe(
      'history?step=3600&range=horizon'
    );
  });
});

describe('the usage chart over the horizon', () => {
  let widget: Widget | null = null;

  afterEach(() => {
    widget?.dispose();
    widget = null;
  });

  it('draws the busiest hour where it was, with dates on the axis', async () => {
    const h = horizonHistory();
    widget = ReactWidget.create(
      <UsageChart history={h} utilization={UTIL} fmt={fmt} />
    );
    Widget.attach(widget, document.body);
    MessageLoop.sendMessage(widget, Widget.Msg.UpdateRequest);
    await new Promise(resolve => setTimeout(resolve, 50));
    const host = widget.node;
    const cpu = host.querySelector('.jp-SmCost-metric-cpu')!;
    const mark = cpu.querySelector('.jp-SmCost-busiest')!;
    // hour 26 of 72 (the chart is 300 wide): from 26/72 of it, an hour wide
    expect(Number(mark.getAttribute('x'))).toBeCloseTo((26 / 72) * 300, 1);
    expect(Number(mark.getAttribute('width'))).toBeCloseTo(300 / 72, 1);
    expect(cpu.textContent).toContain(
      'avg 11% · peak 97% · busiest hour p95 95%'
    );
    expect(host.querySelector('.jp-SmCost-metric-gpu')).toBeNull();
    expect(host.querySelector('.jp-SmCost-axis')!.textContent).toContain(
      fmt.dateTime(new Date(H0 * 1000).toISOString())
    );
    expect(host.querySelector('.jp-SmCost-legend')!.textContent).toContain(
      'busiest hour'
    );
    expect(host.querySelector('.jp-SmCost-srOnly')!.textContent).toBe(
      describeUsage(mapUsageSeries(h, UTIL, fmt), fmt)
    );
  });
});

describe('the panel switches the usage chart to the horizon', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  const settle = () => new Promise(resolve => setTimeout(resolve, 20));

  async function until(check: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) {
        throw new Error('timed out waiting for the panel');
      }
      await settle();
    }
  }

  function api(recs: IRecommendations, history: jest.Mock): IApi {
    const st = makeStatus({ serverTime: T0 });
    const absent = async () => {
      throw new SmCostError('no such route', 404, 'not_found');
    };
    return {
      status: async () => st,
      keepAlive: jest.fn(),
      announceShutdownSaves: jest.fn(),
      shutdown: jest.fn(),
      getIdle: async () => makeIdleSettings(),
      putIdle: jest.fn(),
      recommendations: async () => recs,
      startSwitch: jest.fn(),
      getSwitch: absent,
      history,
      elsewhere: absent,
      stopElsewhere: jest.fn()
    };
  }

  async function open(recs: IRecommendations, history: jest.Mock) {
    const model = new SmCostModel({
      api: api(recs, history),
      autoStart: false
    });
    await model.status.refresh();
    const panel = new SmCostPanel(model, new CommandRegistry());
    Widget.attach(panel, document.body);
    MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
    await model.recommendations.load();
    model.history.show(true);
    await until(() => !!panel.node.querySelector('.jp-SmCost-usageChart'));
    return { panel, model };
  }

  const windowUsage = makeHistory({
    until: T0,
    usage: Array.from({ length: 60 }, (_, i) => ({
      t: T0 / 1000 - 3600 + 60 * i,
      cpu_mean: 0.05,
      cpu_max: 0.1
    }))
  });

  it('asks for the horizon only once shown, and draws it', async () => {
    const history = jest.fn(async (q: { range?: string }) =>
      q.range === 'horizon' ? horizonHistory() : windowUsage
    );
    const recs = {
      ...makeRecommendations(),
      utilization: UTIL,
      horizon: HORIZON
    };
    const { panel, model } = await open(recs, history);
    const group = panel.node.querySelector('.jp-SmCost-rangeSwitch')!;
    expect(group.getAttribute('role')).toBe('group');
    const [last, over] = Array.from(group.querySelectorAll('button'));
    expect(last.textContent).toBe('Last 60 minutes');
    expect(over.textContent).toBe('Horizon: 7 days');
    expect(last.getAttribute('aria-pressed')).toBe('true');
    expect(history.mock.calls.some(([q]) => q.range === 'horizon')).toBe(false);
    // over the last hour, the busiest hours' p95 is not drawn: it was not read there
    expect(panel.node.querySelector('.jp-SmCost-p95')).toBeNull();
    over.click();
    await until(() => !!panel.node.querySelector('.jp-SmCost-busiest'));
    expect(history).toHaveBeenCalledWith({ range: 'horizon', step: 3600 });
    expect(over.getAttribute('aria-pressed')).toBe('true');
    const sr = panel.node.querySelector(
      '.jp-SmCost-usageChart .jp-SmCost-srOnly'
    )!;
    expect(sr.textContent).toMatch(
      /^Usage over the horizon the recommendation read/
    );
    expect(panel.node.querySelector('.jp-SmCost-p95')).not.toBeNull();
    last.click();
    await until(() => !panel.node.querySelector('.jp-SmCost-busiest'));
    panel.dispose();
    model.dispose();
  });

  it('offers no switch when the recommendation read the window alone', async () => {
    const history = jest.fn(async () => windowUsage);
    const { panel, model } = await open(makeRecommendations(), history);
    expect(panel.node.querySelector('.jp-SmCost-rangeSwitch')).toBeNull();
    panel.dispose();
    model.dispose();
  });
});
