import { historyPath, IApi, IHistoryQuery } from '../client';
import { HISTORY_INTERVAL_S } from '../history';
import { SmCostModel } from '../model';
import { IDeadlineEvent } from '../status';
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
  elsewhere = jest.fn();
  stopElsewhere = jest.fn();
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
    model.status.deadlineEvent.connect((_, e) => events.push(e.kind));
  });

  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
  });

  it('fetches the status and counts down locally', async () => {
    await model.status.refresh();
    expect(model.status.current?.instance.type).toBe('ml.t3.medium');
    expect(model.status.error).toBeNull();
    expect(model.status.remaining()).toBeCloseTo(3600);
    now += 61_000;
    expect(model.status.remaining()).toBeCloseTo(3539);
    expect(api.status).toHaveBeenCalledTimes(1);
  });

  it('corrects for a browser clock that runs behind the server', async () => {
    now = T0 - 120_000; // browser two minutes behind
    api.serverClock = () => now + 120_000;
    await model.status.refresh();
    expect(model.status.skewMs).toBe(120_000);
    expect(model.status.remaining()).toBeCloseTo(3600);
  });

  it('warns once, saves before the deadline, and again just before it', async () => {
    api.statusReply = makeStatus({ warning_s: 20, timeout_s: 40 });
    await model.status.refresh();
    now = T0 + 3600_000 - 21_000;
    model.status.tick();
    expect(events).toEqual([]);
    now += 1_500; // 19.5 s left: warning (status is stale: verify first)
    model.status.tick();
    await model.status.refresh();
    expect(api.status).toHaveBeenCalledTimes(2);
    model.status.tick();
    expect(events).toEqual(['warning']);
    now = T0 + 3600_000 - 14_000;
    model.status.tick();
    model.status.tick();
    expect(events).toEqual(['warning', 'save']);
    now = T0 + 3600_000 - 4_000;
    model.status.tick();
    expect(events).toEqual(['warning', 'save', 'save']);
    now = T0 + 3600_000 + 2_000; // passed: nothing new
    model.status.tick();
    expect(events).toEqual(['warning', 'save', 'save']);
  });

  it('saves at the warning period when it is shorter than 15 s', async () => {
    api.statusReply = makeStatus({ warning_s: 10 });
    await model.status.refresh();
    now = T0 + 3600_000 - 12_000;
    model.status.tick();
    expect(events).toEqual([]);
    now = T0 + 3600_000 - 9_500;
    await model.status.refresh(); // fresh status: no verification round trip
    expect(events).toEqual(['warning', 'save']);
  });

  it('clears the warning when Keep running moves the deadline', async () => {
    api.statusReply = makeStatus({ warning_s: 300 });
    await model.status.refresh();
    now = T0 + 3600_000 - 100_000;
    await model.status.refresh();
    expect(events).toEqual(['warning']);
    const deadline = await model.status.keepAlive();
    expect(deadline).toBe(new Date(T0 + 7200_000).toISOString());
    expect(events).toEqual(['warning', 'clear']);
    expect(model.status.remaining()).toBeCloseTo(3700);
  });

  it('neither warns nor counts without a deadline (busy, disabled)', async () => {
    api.statusReply = makeStatus({
      state: 'busy',
      deadline: null,
      reasons: ['kernel busy: a.ipynb']
    });
    await model.status.refresh();
    now += 10 * 3600_000;
    model.status.tick();
    expect(model.status.remaining()).toBeNull();
    expect(events).toEqual([]);
  });

  it('announces shutting_down once', async () => {
    api.statusReply = makeStatus({ state: 'shutting_down', deadline: null });
    await model.status.refresh();
    model.status.tick();
    await model.status.refresh();
    expect(events).toEqual(['shutting-down']);
  });

  it('says the server extension is not installed on 404', async () => {
    api.statusReply = new SmCostError(NOT_INSTALLED, 404, 'not_installed');
    await model.status.refresh();
    expect(model.status.current).toBeNull();
    expect(model.status.error?.code).toBe('not_installed');
    expect(model.status.error?.message).toMatch(
      /server extension not installed/
    );
  });

  it('keeps the last status when a refresh fails', async () => {
    await model.status.refresh();
    api.statusReply = new SmCostError(
      'cannot reach the Jupyter server',
      0,
      'network_error'
    );
    await model.status.refresh();
    expect(model.status.current).not.toBeNull();
    expect(model.status.error?.status).toBe(0);
  });

  it('hides recommendations on 404 without an error', async () => {
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    expect(await model.recommendations.load()).toBeNull();
    expect(warn).not.toHaveBeenCalled();
    expect(await model.recommendations.load()).toBeNull();
    expect(api.recommendations).toHaveBeenCalledTimes(1); // not asked again at once
    now += 601_000;
    api.recsReply = makeRecommendations([]);
    expect(await model.recommendations.load()).toBeNull();
    api.recsReply = makeRecommendations([
      makeRecommendation({
        rule: 'under_provisioned',
        reason: 'memory p95 92%',
        savings_per_month: -36
      })
    ]);
    expect((await model.recommendations.load())?.items).toHaveLength(1);
    warn.mockRestore();
  });

  it('keeps the server validation message of a save, and the fields', async () => {
    const form = model.idleSettings;
    await form.load();
    expect(form.fields.minutes).toBe('60');
    expect(form.canSave).toBe(true);
    form.update({ minutes: '0.05' });
    await form.save();
    expect(api.putIdle).toHaveBeenCalledWith(
      expect.objectContaining({ timeout_s: 3, enabled: true })
    );
    expect(form.outcome).toMatchObject({ kind: 'save-failed' });
    expect(
      form.outcome?.kind === 'save-failed' && form.outcome.error.message
    ).toBe('timeout_s 3 is outside the bounds');
    expect(form.fields.minutes).toBe('0.05'); // what the user typed stays
    expect(form.saving).toBe(false);
  });

  it('applies what the server saved and fetches the status again', async () => {
    const form = model.idleSettings;
    await form.load();
    form.update({ minutes: '90', countBackground: false });
    const before = api.status.mock.calls.length;
    await form.save();
    expect(form.outcome).toEqual({ kind: 'saved' });
    expect(form.loaded?.timeout_s).toBe(5400);
    expect(form.fields).toMatchObject({
      minutes: '90',
      countBackground: false
    });
    expect(api.status.mock.calls.length).toBe(before + 1); // the new deadline
  });

  it('keeps a failed load and cannot save before one', async () => {
    const form = model.idleSettings;
    expect(form.canSave).toBe(false);
    api.getIdle.mockRejectedValueOnce(
      new SmCostError('cannot read the settings', 503, 'settings_unreadable')
    );
    await form.load();
    expect(form.outcome).toMatchObject({ kind: 'load-failed' });
    expect(form.canSave).toBe(false);
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
    await model.status.announceShutdownSaves([]);
    expect(api.announceShutdownSaves).not.toHaveBeenCalled();
    await model.status.announceShutdownSaves(['a.ipynb', 'dir/b.txt']);
    expect(api.announceShutdownSaves).toHaveBeenCalledWith([
      'a.ipynb',
      'dir/b.txt'
    ]);
    api.announceShutdownSaves.mockRejectedValueOnce(new Error('offline'));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(
      model.status.announceShutdownSaves(['x'])
    ).resolves.toBeUndefined();
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
    model.history.show(true);
    await jest.advanceTimersByTimeAsync(1000);
    expect(api.history.mock.calls.map(c => c[0])).toEqual([
      { step: 60 },
      // 30 days, today included, from 00:00 UTC on the server's calendar
      { since: '2026-10-28T00:00:00.000Z', step: 86400 }
    ]);
    expect(model.history.usage?.instance_type).toBe('ml.t3.medium');
    expect(model.history.spend?.spend?.days.length).toBe(1);
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
    model.history.show(true);
    await jest.advanceTimersByTimeAsync(1000);
    const first = api.history.mock.calls.length;
    expect(first).toBe(2);
    model.history.show(false);
    await jest.advanceTimersByTimeAsync(5 * HISTORY_INTERVAL_S * 1000);
    expect(api.history.mock.calls.length).toBe(first);
    model.history.show(true); // showing it again fetches now
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
    model.history.show(true);
    await jest.advanceTimersByTimeAsync(1000);
    const calls = api.history.mock.calls.length;
    await jest.advanceTimersByTimeAsync(10 * HISTORY_INTERVAL_S * 1000);
    expect(api.history.mock.calls.length).toBe(calls);
    expect(model.history.error).toBeNull();
    model.dispose();

    const other = setup();
    other.api.historyReply = new SmCostError('database busy', 503, 'busy');
    other.model.history.show(true);
    await jest.advanceTimersByTimeAsync(1000);
    expect(other.model.history.error?.message).toBe('database busy');
    expect(other.model.history.usage).toBeNull();
    other.model.dispose();
  });
});
