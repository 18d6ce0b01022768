/**
 * The panel re-renders only what changed: the one-second tick moves the
 * countdown and nothing else; a new status redraws the sections that show
 * it, not the charts; new history redraws the charts.
 */
import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IApi } from '../client';
import { SmCostModel } from '../model';
import { SmCostPanel } from '../panel';
import { SmCostError } from '../request';
import { IStatus } from '../tokens';
import {
  makeHistory,
  makeIdleSettings,
  makeRecommendations,
  makeStatus
} from './fixtures';

// count the charts' renders (a function component runs once per render)
jest.mock('../charts', () => {
  const actual = jest.requireActual('../charts');
  return {
    ...actual,
    UsageChart: jest.fn(actual.UsageChart),
    SpendChart: jest.fn(actual.SpendChart)
  };
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const charts = require('../charts') as {
  UsageChart: jest.Mock;
  SpendChart: jest.Mock;
};

const settle = () => new Promise(resolve => setTimeout(resolve, 50));

describe('SmCostPanel renders', () => {
  let now: number;
  let model: SmCostModel;
  let panel: SmCostPanel;
  let history: jest.Mock;
  let status: IStatus;

  beforeEach(async () => {
    now = Date.now();
    const t0 = now;
    const usage = Array.from({ length: 60 }, (_, i) => ({
      t: Math.floor(t0 / 1000) - 3600 + 60 * i
    }));
    history = jest.fn(async () => makeHistory({ until: t0, usage }));
    status = makeStatus({ serverTime: t0 });
    const api: IApi = {
      status: async () => status,
      keepAlive: jest.fn(),
      announceShutdownSaves: jest.fn(),
      shutdown: jest.fn(),
      getIdle: async () => makeIdleSettings(),
      putIdle: jest.fn(),
      recommendations: async () => makeRecommendations(),
      startSwitch: jest.fn(),
      getSwitch: async () => {
        throw new SmCostError('no switch has been started', 404, 'no_switch');
      },
      history,
      elsewhere: async () => {
        throw new SmCostError('no such route', 404, 'not_found');
      },
      stopElsewhere: jest.fn()
    };
    model = new SmCostModel({ api, autoStart: false, now: () => now });
    await model.status.refresh();
    panel = new SmCostPanel(model, new CommandRegistry());
    Widget.attach(panel, document.body);
    MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
    await settle();
    await model.history.load();
    await settle();
    charts.UsageChart.mockClear();
    charts.SpendChart.mockClear();
  });

  afterEach(() => {
    panel.dispose();
    model.dispose();
    document.body.innerHTML = '';
  });

  const clock = () => panel.node.querySelector('.jp-SmCost-clock')?.textContent;

  const ticks = async (n: number): Promise<Set<string | null | undefined>> => {
    const seen = new Set([clock()]);
    for (let i = 0; i < n; i++) {
      now += 1000;
      model.status.tick();
      await settle();
      seen.add(clock());
    }
    return seen;
  };

  it('changes no text on a tick until the warning period', async () => {
    expect(panel.node.querySelector('.jp-SmCost-usage svg')).not.toBeNull();
    expect(panel.node.querySelector('.jp-SmCost-bar')).not.toBeNull();
    // an hour away: the clock shows whole minutes, so 10 ticks change it at
    // most once (a minute boundary), and nothing else renders
    expect((await ticks(10)).size).toBeLessThanOrEqual(2);
    expect(charts.UsageChart).not.toHaveBeenCalled();
    expect(charts.SpendChart).not.toHaveBeenCalled();
  });

  it('moves only the countdown on every tick within the warning period', async () => {
    // into the warning period (4 minutes left, 5 of warning): seconds show
    status = makeStatus({
      serverTime: now,
      idle: { deadline: new Date(now + 240_000).toISOString() }
    });
    await model.status.refresh();
    await settle();
    charts.UsageChart.mockClear();
    charts.SpendChart.mockClear();
    expect(clock()).toMatch(/^\d:\d\d$/);
    expect((await ticks(10)).size).toBe(11); // the countdown followed every tick
    expect(charts.UsageChart).not.toHaveBeenCalled();
    expect(charts.SpendChart).not.toHaveBeenCalled();
  });

  it('redraws the charts when the history changes, not when the status does', async () => {
    await model.status.refresh();
    await settle();
    expect(charts.UsageChart).not.toHaveBeenCalled();
    expect(charts.SpendChart).not.toHaveBeenCalled();
    await model.history.load();
    await settle();
    // the new history, then the recommendations fetched with it (the p95 lines)
    expect(charts.SpendChart).toHaveBeenCalledTimes(1);
    expect(charts.UsageChart.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(charts.UsageChart.mock.calls.length).toBeLessThanOrEqual(2);
  });
});
