import {
  HISTORY_INTERVAL_S,
  historyPath,
  IApi,
  IDeadlineEvent,
  IHistoryQuery,
  SmCostModel
} from '../model';
import { NOT_INSTALLED, SmCostError } from '../request';
import { IHistory, IIdle, IStatus } from '../tokens';
import {
  makeHistory,
  makeIdleSettings,
  makeRecommendation,
  makeRecommendations,
  makeStatus as makeFixtureStatus,
  T0
} from './fixtures';

function makeStatus(idle: Partial<IIdle>, serverTime = T0): IStatus {
  return makeFixtureStatus({ idle, serverTime });
}

class FakeApi implements IApi {
  statusReply: IStatus | Error = makeStatus({});
  recsReply: any = new SmCostError(NOT_INSTALLED, 404, 'not_installed');
  /** The server's clock (ms); the status reply is stamped with it. */
  serverClock: () => number = () => T0;
  status = jest.fn(async () => {
    if (this.statusReply instanceof Error) {
      throw this.statusReply;
    }
    return {
      ...this.statusReply,
      server_time: new Date(this.serverClock()).toISOString()
    };
  });
  keepAlive = jest.fn(async () => {
    const deadline = new Date(T0 + 7200_000).toISOString();
    const st = this.statusReply as IStatus;
    this.statusReply = { ...st, idle: { ...st.idle, deadline } };
    return { deadline, idle: this.statusReply.idle };
  });
  announceShutdownSaves = jest.fn(async (paths: string[]) => ({
    paths: paths.length,
    until: new Date(T0 + 60_000).toISOString()
  }));
  shutdown = jest.fn(async () => ({
    state: 'shutting_down' as const,
    environment: 'local' as const
  }));
  getIdle = jest.fn(async () => makeIdleSettings());
  putIdle = jest.fn(async (body: any) => {
    if (body.timeout_s < 60) {
      throw new SmCostError(
        'timeout_s 3 is outside the bounds',
        400,
        'out_of_bounds'
      );
    }
    return { ...(await this.getIdle()), ...body, deadline: null };
  });
  recommendations = jest.fn(async () => {
    if (this.recsReply instanceof Error) {
      throw this.recsReply;
    }
    return this.recsReply;
  });
  startSwitch = jest.fn();
  getSwitch = jest.fn();
  historyReply: IHistory | Error = makeHistory();
  history = jest.fn(async (query: IHistoryQuery) => {
    if (this.historyReply instanceof Error) {
      throw this.historyReply;
    }
    return this.historyReply;
  });
}

describe('SmCostModel', () => {
  let api: FakeApi;
  let now: number;
  let model: SmCostModel;
  let events: IDeadlineEvent['kind'][];

  beforeEach(() => {
    jest.useFakeTimers();
    api = new FakeApi();
    now = T0;
    api.serverClock = () => now;
    model = new SmCostModel({
      api,
      now: () => now,
      autoStart: false,
      isHidden: () => false
    });
    events = [];
    model.deadlineEvent.connect((_, e) => events.push(e.kind));
  });

  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
  });

  it('fetches the status and counts down locally', async () => {
    await model.refresh();
    expect(model.status?.instance.type).toBe('ml.t3.medium');
    expect(model.error).toBeNull();
    expect(model.remaining()).toBeCloseTo(3600);
    now += 61_000;
    expect(model.remaining()).toBeCloseTo(3539);
    expect(api.status).toHaveBeenCalledTimes(1);
  });

  it('corrects for a browser clock that runs behind the server', async () => {
    now = T0 - 120_000; // browser two minutes behind
    api.serverClock = () => now + 120_000;
    await model.refresh();
    expect(model.skewMs).toBe(120_000);
    expect(model.remaining()).toBeCloseTo(3600);
  });

  it('warns once, saves before the deadline, and again just before it', async () => {
    api.statusReply = makeStatus({ warning_s: 20, timeout_s: 40 });
    await model.refresh();
    now = T0 + 3600_000 - 21_000;
    model.tick();
    expect(events).toEqual([]);
    now += 1_500; // 19.5 s left: warning (status is stale: verify first)
    model.tick();
    await model.refresh();
    expect(api.status).toHaveBeenCalledTimes(2);
    model.tick();
    expect(events).toEqual(['warning']);
    now = T0 + 3600_000 - 14_000;
    model.tick();
    model.tick();
    expect(events).toEqual(['warning', 'save']);
    now = T0 + 3600_000 - 4_000;
    model.tick();
    expect(events).toEqual(['warning', 'save', 'save']);
    now = T0 + 3600_000 + 2_000; // passed: nothing new
    model.tick();
    expect(events).toEqual(['warning', 'save', 'save']);
  });

  it('saves at the warning period when it is shorter than 15 s', async () => {
    api.statusReply = makeStatus({ warning_s: 10 });
    await model.refresh();
    now = T0 + 3600_000 - 12_000;
    model.tick();
    expect(events).toEqual([]);
    now = T0 + 3600_000 - 9_500;
    await model.refresh(); // fresh status: no verification round trip
    expect(events).toEqual(['warning', 'save']);
  });

  it('clears the warning when Keep running moves the deadline', async () => {
    api.statusReply = makeStatus({ warning_s: 300 });
    await model.refresh();
    now = T0 + 3600_000 - 100_000;
    await model.refresh();
    expect(events).toEqual(['warning']);
    const deadline = await model.keepAlive();
    expect(deadline).toBe(new Date(T0 + 7200_000).toISOString());
    expect(events).toEqual(['warning', 'clear']);
    expect(model.remaining()).toBeCloseTo(3700);
  });

  it('neither warns nor counts without a deadline (busy, disabled)', async () => {
    api.statusReply = makeStatus({
      state: 'busy',
      deadline: null,
      reasons: ['kernel busy: a.ipynb']
    });
    await model.refresh();
    now += 10 * 3600_000;
    model.tick();
    expect(model.remaining()).toBeNull();
    expect(events).toEqual([]);
  });

  it('announces shutting_down once', async () => {
    api.statusReply = makeStatus({ state: 'shutting_down', deadline: null });
    await model.refresh();
    model.tick();
    await model.refresh();
    expect(events).toEqual(['shutting-down']);
  });

  it('says the server extension is not installed on 404', async () => {
    api.statusReply = new SmCostError(NOT_INSTALLED, 404, 'not_installed');
    await model.refresh();
    expect(model.status).toBeNull();
    expect(model.error?.code).toBe('not_installed');
    expect(model.error?.message).toMatch(/server extension not installed/);
  });

  it('keeps the last status when a refresh fails', async () => {
    await model.refresh();
    api.statusReply = new SmCostError(
      'cannot reach the Jupyter server',
      0,
      'network_error'
    );
    await model.refresh();
    expect(model.status).not.toBeNull();
    expect(model.error?.status).toBe(0);
  });

  it('hides recommendations on 404 without an error', async () => {
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    expect(await model.loadRecommendations()).toBeNull();
    expect(warn).not.toHaveBeenCalled();
    expect(await model.loadRecommendations()).toBeNull();
    expect(api.recommendations).toHaveBeenCalledTimes(1); // not asked again at once
    now += 601_000;
    api.recsReply = makeRecommendations([]);
    expect(await model.loadRecommendations()).toBeNull();
    api.recsReply = makeRecommendations([
      makeRecommendation({
        rule: 'under_provisioned',
        reason: 'memory p95 92%',
        savings_per_month: -36
      })
    ]);
    expect((await model.loadRecommendations())?.items).toHaveLength(1);
    warn.mockRestore();
  });

  it('passes the server validation message through', async () => {
    await expect(model.saveIdleSettings({ timeout_s: 3 })).rejects.toThrow(
      'timeout_s 3 is outside the bounds'
    );
  });
});

describe('SmCostModel polling', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  async function countCalls(
    failing: boolean,
    hidden: boolean,
    seconds: number
  ): Promise<number> {
    jest.useFakeTimers();
    const api = new FakeApi();
    if (failing) {
      api.statusReply = new SmCostError('boom', 502, 'aws_error');
    }
    const model = new SmCostModel({
      api,
      interval: 10,
      isHidden: () => hidden,
      now: () => Date.now()
    });
    for (let i = 0; i < seconds; i++) {
      await jest.advanceTimersByTimeAsync(1000);
    }
    model.dispose();
    return api.status.mock.calls.length;
  }

  it('polls every interval while visible', async () => {
    const n = await countCalls(false, false, 120);
    expect(n).toBeGreaterThanOrEqual(11);
    expect(n).toBeLessThanOrEqual(14);
  });

  it('backs off on errors', async () => {
    const n = await countCalls(true, false, 120);
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThan(9);
  });

  it('polls slower while the page is hidden', async () => {
    const n = await countCalls(false, true, 300);
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThanOrEqual(4);
  });
});

describe('announceShutdownSaves', () => {
  it('sends the paths, skips an empty list and never throws', async () => {
    const api = new FakeApi();
    const model = new SmCostModel({ api, autoStart: false });
    await model.announceShutdownSaves([]);
    expect(api.announceShutdownSaves).not.toHaveBeenCalled();
    await model.announceShutdownSaves(['a.ipynb', 'dir/b.txt']);
    expect(api.announceShutdownSaves).toHaveBeenCalledWith([
      'a.ipynb',
      'dir/b.txt'
    ]);
    api.announceShutdownSaves.mockRejectedValueOnce(new Error('offline'));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(model.announceShutdownSaves(['x'])).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
    model.dispose();
  });
});

describe('SmCostModel history', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  function setup(hidden: () => boolean = () => false) {
    jest.useFakeTimers();
    const api = new FakeApi();
    // the server's clock: 2026-11-26T12:00Z; the browser's two minutes behind
    api.serverClock = () => Date.now() + 120_000;
    jest.setSystemTime(T0 - 120_000);
    const model = new SmCostModel({
      api,
      interval: 30,
      isHidden: hidden,
      now: () => Date.now()
    });
    return { api, model };
  }

  it('builds the query string of openapi.yaml', () => {
    expect(historyPath({})).toBe('history');
    expect(historyPath({ step: 60 })).toBe('history?step=60');
    expect(
      historyPath({ since: '2026-10-28T00:00:00.000Z', step: 86400 })
    ).toBe('history?since=2026-10-28T00%3A00%3A00.000Z&step=86400');
  });

  it('asks for nothing until a view shows the history', async () => {
    const { api, model } = setup();
    await jest.advanceTimersByTimeAsync(5 * HISTORY_INTERVAL_S * 1000);
    expect(api.history).not.toHaveBeenCalled();
    model.dispose();
  });

  it('fetches the window and 30 days of spend (server days), then slowly', async () => {
    const { api, model } = setup();
    await jest.advanceTimersByTimeAsync(1000); // the first status: clock skew known
    model.showHistory(true);
    await jest.advanceTimersByTimeAsync(1000);
    expect(api.history.mock.calls.map(c => c[0])).toEqual([
      { step: 60 },
      // 30 days, today included, from 00:00 UTC on the server's calendar
      { since: '2026-10-28T00:00:00.000Z', step: 86400 }
    ]);
    expect(model.usageHistory?.instance_type).toBe('ml.t3.medium');
    expect(model.spendHistory?.spend?.days.length).toBe(1);
    expect(api.recommendations).toHaveBeenCalled(); // p95 for the chart
    await jest.advanceTimersByTimeAsync(10 * HISTORY_INTERVAL_S * 1000);
    const rounds = api.history.mock.calls.length / 2;
    expect(rounds).toBeGreaterThanOrEqual(10);
    expect(rounds).toBeLessThanOrEqual(12);
    model.dispose();
  });

  it('stands by while the view is hidden or the page is', async () => {
    let pageHidden = false;
    const { api, model } = setup(() => pageHidden);
    model.showHistory(true);
    await jest.advanceTimersByTimeAsync(1000);
    const first = api.history.mock.calls.length;
    expect(first).toBe(2);
    model.showHistory(false);
    await jest.advanceTimersByTimeAsync(5 * HISTORY_INTERVAL_S * 1000);
    expect(api.history.mock.calls.length).toBe(first);
    model.showHistory(true); // showing it again fetches now
    await jest.advanceTimersByTimeAsync(1000);
    expect(api.history.mock.calls.length).toBe(first + 2);
    pageHidden = true;
    await jest.advanceTimersByTimeAsync(5 * HISTORY_INTERVAL_S * 1000);
    expect(api.history.mock.calls.length).toBe(first + 2);
    model.dispose();
  });

  it('stops asking a server without the route (404) and keeps other errors', async () => {
    const { api, model } = setup();
    api.historyReply = new SmCostError(NOT_INSTALLED, 404, 'not_installed');
    model.showHistory(true);
    await jest.advanceTimersByTimeAsync(1000);
    const calls = api.history.mock.calls.length;
    await jest.advanceTimersByTimeAsync(10 * HISTORY_INTERVAL_S * 1000);
    expect(api.history.mock.calls.length).toBe(calls);
    expect(model.historyError).toBeNull();
    model.dispose();

    const other = setup();
    other.api.historyReply = new SmCostError('database busy', 503, 'busy');
    other.model.showHistory(true);
    await jest.advanceTimersByTimeAsync(1000);
    expect(other.model.historyError?.message).toBe('database busy');
    expect(other.model.usageHistory).toBeNull();
    other.model.dispose();
  });
});
