/**
 * The model follows an instance switch with one Poll: every state the server
 * can answer (openapi.yaml's SwitchState), 404 before any switch, errors with
 * backoff, standby while the page is hidden.
 */
import { switchActiveStateValues, switchEndStateValues } from '../api';
import { IApi } from '../client';
import { SmCostModel } from '../model';
import { SWITCH_INTERVAL_S, switchUnderWay } from '../switch';
import { SmCostError } from '../request';
import { ISwitchStatus, SwitchState } from '../tokens';
import { makeStatus, makeSwitch } from './fixtures';

const NO_SWITCH = new SmCostError(
  'no switch has been started',
  404,
  'no_switch'
);

/** A server whose GET smcost/switch answers from a script (the last answer repeats). */
class SwitchServer {
  answers: Array<ISwitchStatus | Error> = [NO_SWITCH];
  postAnswer: ISwitchStatus | Error = makeSwitch({ state: 'pending' });
  canSwitch = true;
  gets = 0;
  statusCalls = 0;

  api: IApi = {
    status: async () => {
      this.statusCalls++;
      return makeStatus({
        serverTime: Date.now(),
        environment: { kind: 'notebook-instance', can_switch: this.canSwitch }
      });
    },
    keepAlive: jest.fn(),
    announceShutdownSaves: jest.fn(),
    shutdown: jest.fn(),
    getIdle: jest.fn(),
    putIdle: jest.fn(),
    recommendations: jest.fn(),
    history: jest.fn(),
    elsewhere: jest.fn(),
    stopElsewhere: jest.fn(),
    startSwitch: jest.fn(async () => {
      if (this.postAnswer instanceof Error) {
        throw this.postAnswer;
      }
      return this.postAnswer;
    }),
    getSwitch: jest.fn(async () => {
      this.gets++;
      const next =
        this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
      if (next instanceof Error) {
        throw next;
      }
      return next;
    })
  };
}

/** Let timers run for `seconds` of fake time, a second at a time. */
async function wait(seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    await jest.advanceTimersByTimeAsync(1000);
  }
}

const step = (
  name: string,
  status: ISwitchStatus['steps'][number]['status'],
  detail: string
) => ({ name, status, detail });

describe('SmCostModel follows a switch', () => {
  let server: SwitchServer;
  let model: SmCostModel;
  let hidden: boolean;

  beforeEach(() => {
    jest.useFakeTimers();
    server = new SwitchServer();
    hidden = false;
    model = new SmCostModel({
      api: server.api,
      autoStart: false,
      isHidden: () => hidden
    });
  });

  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
  });

  /** Start a switch the server reports as running; returns the GETs so far. */
  async function startRunning(): Promise<number> {
    server.answers = [makeSwitch({ state: 'running' })];
    await model.switcher.start('ml.t3.large');
    await wait(1);
    return server.gets;
  }

  it('knows every state of the contract as under way or ended', () => {
    const all: SwitchState[] = [
      ...switchActiveStateValues,
      ...switchEndStateValues
    ];
    expect(all.sort()).toEqual(
      [
        'failed',
        'manual',
        'pending',
        'running',
        'succeeded',
        'waiting_external'
      ].sort()
    );
    for (const state of switchActiveStateValues) {
      expect(switchUnderWay(makeSwitch({ state }))).toBe(true);
    }
    for (const state of switchEndStateValues) {
      expect(switchUnderWay(makeSwitch({ state }))).toBe(false);
    }
    expect(switchUnderWay(null)).toBe(false);
  });

  it('looks once after the first status, and a 404 (no switch yet) stops it', async () => {
    await model.status.refresh();
    await wait(1);
    expect(server.gets).toBe(1);
    expect(model.switcher.current).toBeNull();
    expect(model.switcher.error).toBeNull();
    expect(model.switcher.busy).toBe(false);
    expect(model.switcher.following).toBe(false);
    await model.status.refresh();
    await wait(60);
    expect(server.gets).toBe(1); // neither polled nor looked again
  });

  it('does not look where switching is not available', async () => {
    server.canSwitch = false;
    await model.status.refresh();
    await wait(30);
    expect(server.gets).toBe(0);
  });

  it.each(switchEndStateValues.map(s => [s]))(
    'polls through pending and running and stops at %s',
    async (end: SwitchState) => {
      server.answers = [
        makeSwitch({ state: 'pending' }),
        makeSwitch({ state: 'running' }),
        makeSwitch({ state: 'running' }),
        makeSwitch({ state: end })
      ];
      server.postAnswer = makeSwitch({ state: 'pending' });
      const busy: boolean[] = [];
      model.switcher.stateChanged.connect(() => busy.push(model.switcher.busy));
      const statusCalls = server.statusCalls;
      const started = await model.switcher.start('ml.t3.large');
      expect(started.state).toBe('pending');
      expect(server.api.startSwitch).toHaveBeenCalledWith('ml.t3.large');
      expect(model.switcher.following).toBe(true);
      expect(model.switcher.busy).toBe(true);
      await wait(4 * SWITCH_INTERVAL_S + 1);
      expect(server.gets).toBe(4);
      expect(model.switcher.current?.state).toBe(end);
      expect(model.switcher.following).toBe(false);
      expect(model.switcher.busy).toBe(false); // the Switch buttons work again
      expect(busy[busy.length - 1]).toBe(false);
      // the end of a switch refreshes the status (type, price, idle state)
      expect(server.statusCalls).toBe(statusCalls + 1);
      await wait(60);
      expect(server.gets).toBe(4);
    }
  );

  it('GETs about every 3 s while under way', async () => {
    server.answers = [makeSwitch({ state: 'running' })];
    await model.switcher.start('ml.t3.large');
    await wait(60);
    // immediately, then every SWITCH_INTERVAL_S
    expect(server.gets).toBeGreaterThanOrEqual(60 / SWITCH_INTERVAL_S - 1);
    expect(server.gets).toBeLessThanOrEqual(60 / SWITCH_INTERVAL_S + 1);
    expect(model.switcher.busy).toBe(true);
  });

  it('stands by while the page is hidden and catches up when shown', async () => {
    const before = await startRunning();
    hidden = true;
    await wait(60);
    expect(server.gets).toBe(before);
    server.answers = [makeSwitch({ state: 'manual', manual_step: 'do it' })];
    hidden = false;
    await wait(SWITCH_INTERVAL_S + 1);
    expect(model.switcher.current?.state).toBe('manual');
    expect(model.switcher.following).toBe(false);
  });

  it('picks up a switch under way after a reload and follows it to the end', async () => {
    server.answers = [
      makeSwitch({ state: 'running' }),
      makeSwitch({ state: 'running' }),
      makeSwitch({ state: 'succeeded' })
    ];
    await model.status.refresh(); // a new page: only the status is known
    await wait(3 * SWITCH_INTERVAL_S + 1);
    expect(server.gets).toBe(3);
    expect(model.switcher.current?.state).toBe('succeeded');
    expect(model.switcher.following).toBe(false);
  });

  it('backs off on errors, shows them, and clears them when the server answers', async () => {
    const before = await startRunning();
    server.answers = [new SmCostError('bad gateway', 502, 'aws_error')];
    await wait(120);
    const failing = server.gets - before;
    expect(failing).toBeGreaterThanOrEqual(2);
    // 40 GETs in 120 s at the normal interval; backing off makes far fewer
    expect(failing).toBeLessThan(15);
    expect(model.switcher.error?.message).toBe('bad gateway');
    expect(model.switcher.busy).toBe(true); // the last known state: still running
    expect(model.switcher.following).toBe(true);
    server.answers = [makeSwitch({ state: 'failed', error: 'it broke' })];
    await wait(70); // at most the maximum backoff
    expect(model.switcher.error).toBeNull();
    expect(model.switcher.current?.error).toBe('it broke');
    expect(model.switcher.following).toBe(false);
  });

  it('forgets the switch when the server no longer knows it (404 after a restart)', async () => {
    server.answers = [makeSwitch({ state: 'running' }), NO_SWITCH];
    await model.switcher.start('ml.t3.large');
    await wait(2 * SWITCH_INTERVAL_S + 1);
    expect(model.switcher.current).toBeNull();
    expect(model.switcher.busy).toBe(false);
    expect(model.switcher.following).toBe(false);
  });

  it('keeps a refused POST as the switch error, and does not poll', async () => {
    server.postAnswer = new SmCostError(
      'a switch to ml.t3.large is already in progress',
      409,
      'switch_in_progress'
    );
    await expect(model.switcher.start('ml.t3.large')).rejects.toThrow(
      'already in progress'
    );
    expect(model.switcher.error?.status).toBe(409);
    expect(model.switcher.busy).toBe(false);
    await wait(30);
    expect(server.gets).toBe(0);
  });

  it('keeps the step fields the server sends', async () => {
    const steps = [
      step('describe', 'done', 'nb is InService on ml.t3.medium'),
      step('stop_update_start', 'manual', 'needs the step in manual_step')
    ];
    server.answers = [
      makeSwitch({ state: 'manual', steps, manual_step: 'aws sagemaker ...' })
    ];
    await model.switcher.start('ml.t3.large');
    await wait(1);
    expect(model.switcher.current?.steps).toEqual(steps);
    expect(model.switcher.current?.manual_step).toBe('aws sagemaker ...');
  });

  it('stops polling when disposed', async () => {
    const before = await startRunning();
    model.dispose();
    await wait(30);
    expect(server.gets).toBe(before);
  });
});
