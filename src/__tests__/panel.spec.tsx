import { waitForDialog } from '@jupyterlab/testing';
import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IApi } from '../client';
import { SmCostModel } from '../model';
import { SmCostPanel } from '../panel';
import { NOT_INSTALLED, SmCostError } from '../request';
import { SmCostStatusItem } from '../statusbar';
import { IdleState, IRecommendations, IStatus, ISwitchStatus } from '../tokens';
import {
  makeHistory,
  makeIdleSettings,
  makeQuote,
  makeRecommendation,
  makeRecommendations,
  makeStatus,
  makeSwitch
} from './fixtures';

const NOW = Date.now();

function status(canSwitch: boolean, state: IdleState = 'active'): IStatus {
  const busy = state === 'busy';
  return makeStatus({
    serverTime: NOW,
    environment: {
      kind: 'studio-space',
      region: 'eu-west-1',
      resource: 'space-a',
      can_switch: canSwitch,
      switch_unavailable_reason: canSwitch ? null : 'switching is off here',
      label: 'SageMaker Studio space space-a'
    },
    instance: {
      type: 'ml.g4dn.xlarge',
      types: ['ml.g4dn.xlarge'],
      vcpu: 4,
      memory_gib: 16,
      gpu_count: 1,
      gpu_model: 'NVIDIA T4',
      gpu_memory_gib: 16
    },
    price: {
      per_hour: 0.9,
      source: 'estimated',
      as_of: '2026-09-24',
      detail:
        'ml.g4dn.xlarge in us-east-1 ($0.7364/h, bundled 2026-09-24) x 1.22, the eu-west-1 / us-east-1 ratio over the 2 g4dn types both price'
    },
    cost: {
      started_at: new Date(NOW - 3600_000).toISOString(),
      since_start: 0.9,
      projected_per_day: 21.6,
      projected_per_month: 657
    },
    idle: {
      idle_s: 600,
      remaining_s: busy ? null : 3000,
      deadline: busy ? null : new Date(NOW + 3000_000).toISOString(),
      state,
      reasons: busy
        ? ['terminal 1 running: python train.py']
        : ['last activity: kernel']
    }
  });
}

const RECS: IRecommendations = makeRecommendations();

function fakeApi(
  st: IStatus,
  recs: IRecommendations | Error,
  overrides: Partial<IApi> = {}
): IApi {
  return {
    status: async () => st,
    keepAlive: jest.fn(),
    announceShutdownSaves: jest.fn(),
    shutdown: jest.fn(),
    getIdle: async () => makeIdleSettings(),
    putIdle: jest.fn(),
    recommendations: async () => {
      if (recs instanceof Error) {
        throw recs;
      }
      return recs;
    },
    startSwitch: jest.fn(),
    getSwitch: async () => {
      throw new SmCostError('no switch has been started', 404, 'no_switch');
    },
    history: async () => makeHistory(),
    elsewhere: async () => {
      throw new SmCostError('no such route', 404, 'not_found');
    },
    stopElsewhere: jest.fn(),
    ...overrides
  };
}

const settle = () => new Promise(resolve => setTimeout(resolve, 50));

async function render(
  st: IStatus,
  recs: IRecommendations | Error,
  overrides: Partial<IApi> = {}
): Promise<{ panel: SmCostPanel; model: SmCostModel }> {
  const model = new SmCostModel({
    api: fakeApi(st, recs, overrides),
    autoStart: false
  });
  await model.status.refresh();
  const panel = new SmCostPanel(model, new CommandRegistry());
  Widget.attach(panel, document.body);
  MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
  await settle();
  await model.recommendations.load();
  await settle();
  return { panel, model };
}

/** Wait (real time) until `check` holds, re-rendering as the model changes. */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('timed out waiting for the panel');
    }
    await settle();
  }
}

/** Click the dialog's warn button ("Switch to ..."). */
async function confirmDialog(): Promise<void> {
  await waitForDialog(document.body, 5000);
  const dialog = document.querySelector('.jp-Dialog') as HTMLElement;
  (dialog.querySelector('button.jp-mod-warn') as HTMLButtonElement).click();
}

const switchButtons = (panel: SmCostPanel) =>
  Array.from(
    panel.node.querySelectorAll<HTMLButtonElement>('.jp-SmCost-switchButton')
  );

describe('SmCostPanel', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows instance, price source and spend', async () => {
    const { panel, model } = await render(status(true), RECS);
    const text = panel.node.textContent ?? '';
    expect(text).toContain('ml.g4dn.xlarge');
    expect(text).toContain('4 vCPU · 16 GiB · 1 × NVIDIA T4 (16 GiB)');
    expect(text).toContain('$0.90/h');
    const badge = panel.node.querySelector('.jp-SmCost-badge');
    expect(badge?.textContent).toBe('estimated');
    // what the estimate came from, on hover and for a screen reader
    const from =
      'Estimated, 2026-09-24: ml.g4dn.xlarge in us-east-1 ($0.7364/h, bundled 2026-09-24) x 1.22, the eu-west-1 / us-east-1 ratio over the 2 g4dn types both price';
    expect(badge?.getAttribute('title')).toBe(from);
    expect(badge?.getAttribute('aria-label')).toBe(`Price source: ${from}`);
    expect(
      panel.node.querySelector('.jp-SmCost-estimate')?.textContent
    ).toContain('Estimated from ml.g4dn.xlarge in us-east-1');
    expect(text).toContain('$657');
    expect(text).toContain('SageMaker Studio space space-a');
    // whole minutes until the warning period, seconds within it
    expect(panel.node.querySelector('.jp-SmCost-clock')?.textContent).toBe(
      '50m'
    );
    expect(panel.node.querySelector('[aria-live]')?.textContent).toMatch(
      /Idle shutdown in about 50 minutes/
    );
    panel.dispose();
    model.dispose();
  });

  it('says why a price is unknown and what would make it known', async () => {
    const st = makeStatus({
      price: {
        per_hour: null,
        source: 'unknown',
        as_of: null,
        detail:
          'no Studio-JupyterLab price is known for ml.m5.xlarge in af-south-1: the live Price List fetch failed: AWS denied GetProducts',
        fix: 'allow pricing:GetProducts to the role this server runs as'
      }
    });
    const { panel, model } = await render(st, makeRecommendations([]));
    const why = panel.node.querySelector('.jp-SmCost-unknownPrice');
    expect(why?.textContent).toContain('the live Price List fetch failed');
    expect(why?.textContent).toContain(
      'To fix: allow pricing:GetProducts to the role'
    );
    expect(panel.node.textContent).toContain('price unknown');
    panel.dispose();
    model.dispose();
  });

  it('shows recommendations with a Switch button when switching is possible', async () => {
    const { panel, model } = await render(status(true), RECS);
    const section = panel.node.querySelector('.jp-SmCost-recommendations');
    expect(section?.textContent).toContain('ml.t3.large');
    expect(section?.textContent).toContain('saves $584.00/month');
    expect(section?.querySelector('.jp-SmCost-switchButton')).not.toBeNull();
    panel.dispose();
    model.dispose();
  });

  it('hides the Switch button when the environment cannot switch', async () => {
    const { panel, model } = await render(status(false), RECS);
    const section = panel.node.querySelector('.jp-SmCost-recommendations');
    expect(section?.textContent).toContain('ml.t3.large');
    expect(section?.querySelector('.jp-SmCost-switchButton')).toBeNull();
    expect(section?.textContent).toContain('switching is off here');
    panel.dispose();
    model.dispose();
  });

  it('hides the section, without an error, when the route is absent (404)', async () => {
    const { panel, model } = await render(
      status(true),
      new SmCostError(NOT_INSTALLED, 404, 'not_installed')
    );
    expect(panel.node.querySelector('.jp-SmCost-recommendations')).toBeNull();
    expect(panel.node.querySelector('.jp-SmCost-message-error')).toBeNull();
    panel.dispose();
    model.dispose();
  });

  it('shows busy reasons in plain words, with no countdown', async () => {
    const { panel, model } = await render(status(true, 'busy'), RECS);
    const text = panel.node.textContent ?? '';
    expect(text).toContain('terminal 1 running: python train.py');
    expect(text).toContain('Busy: idle shutdown waits');
    expect(panel.node.querySelector('.jp-SmCost-clock')?.textContent).toBe(
      '\u2014'
    );
    panel.dispose();
    model.dispose();
  });

  it('shows background work like any busy reason, in the panel and the status bar', async () => {
    const work =
      'background work: python3 train.py (pid 812), 97% of a CPU, for 14 min';
    const st = status(true, 'busy');
    st.idle.reasons = [work, 'background work: GPU 0 at 95%, for 3 min'];
    const { panel, model } = await render(st, RECS);
    const text = panel.node.textContent ?? '';
    expect(text).toContain(work);
    expect(text).toContain('background work: GPU 0 at 95%, for 3 min');
    const item = new SmCostStatusItem(model.status, () => undefined);
    await model.status.refresh();
    expect(item.text).toBe('ml.g4dn.xlarge · $0.90/h · busy');
    expect(item.node.title).toContain(work);
    item.dispose();
    panel.dispose();
    model.dispose();
  });

  it('loads and saves "Count background work as busy"', async () => {
    const putIdle = jest.fn(async (body: any) => ({
      ...makeIdleSettings(),
      ...body
    }));
    const { panel, model } = await render(status(true), RECS, {
      getIdle: async () => ({ ...makeIdleSettings(), count_background: false }),
      putIdle
    });
    await until(
      () =>
        !panel.node.querySelector<HTMLButtonElement>('.jp-SmCost-save')
          ?.disabled
    );
    const box = Array.from(
      panel.node.querySelectorAll<HTMLLabelElement>('.jp-SmCost-check')
    )
      .find(l => l.textContent?.startsWith('Count background work as busy'))
      ?.querySelector('input') as HTMLInputElement;
    expect(box).toBeTruthy();
    expect(box.checked).toBe(false);
    box.click();
    await settle();
    expect(box.checked).toBe(true);
    panel.node
      .querySelector('.jp-SmCost-form')!
      .dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await until(() => putIdle.mock.calls.length === 1);
    expect((putIdle.mock.calls[0] as any[])[0]).toMatchObject({
      count_background: true,
      count_terminals: true
    });
    panel.dispose();
    model.dispose();
  });

  it('follows a switch that ends in a manual step, then lets the user switch again', async () => {
    const RECS2 = makeRecommendations([
      makeRecommendation(),
      makeRecommendation({
        type: 'ml.m5.large',
        price: makeQuote({ per_hour: 0.115, instance_type: 'ml.m5.large' })
      })
    ]);
    const steps = [
      {
        name: 'describe',
        status: 'done' as const,
        detail: 'dev-alice is InService on ml.g4dn.xlarge'
      },
      {
        name: 'stop_update_start',
        status: 'manual' as const,
        detail: 'needs the step described in manual_step'
      }
    ];
    const manualStep =
      'Save your work, then stop notebook instance dev-alice, edit its instance type to ml.t3.large and start it.';
    const answers = [
      makeSwitch({ state: 'running', steps: steps.slice(0, 1) }),
      makeSwitch({ state: 'manual', steps, manual_step: manualStep })
    ];
    let started = false;
    const startSwitch = jest.fn(async () => {
      started = true;
      return makeSwitch({ state: 'pending' });
    });
    const getSwitch = jest.fn(async () => {
      if (!started) {
        throw new SmCostError('no switch has been started', 404, 'no_switch');
      }
      return answers.length > 1 ? answers.shift()! : answers[0];
    });
    const { panel, model } = await render(status(true), RECS2, {
      startSwitch,
      getSwitch
    });
    expect(switchButtons(panel)).toHaveLength(2);
    expect(switchButtons(panel).every(b => !b.disabled)).toBe(true);

    switchButtons(panel)[0].click();
    await confirmDialog(); // "Switch to ml.t3.large"
    await until(() => startSwitch.mock.calls.length === 1);
    expect(startSwitch).toHaveBeenCalledWith('ml.t3.large');
    await until(() => model.switcher.current?.state === 'manual', 10_000);
    await settle();

    const sw = panel.node.querySelector('.jp-SmCost-switch')!;
    expect(sw.getAttribute('data-state')).toBe('manual');
    expect(sw.textContent).toContain('Switch to ml.t3.large');
    expect(sw.textContent).toContain('one step is left for you');
    const items = Array.from(sw.querySelectorAll('.jp-SmCost-step'));
    expect(items.map(li => li.textContent)).toEqual([
      'check the current type done' + steps[0].detail,
      'stop, change type, start manual' + steps[1].detail
    ]);
    expect(items[1].querySelector('.jp-SmCost-stepStatus')?.textContent).toBe(
      'manual'
    );
    expect(sw.querySelector('pre.jp-SmCost-manualStep')?.textContent).toBe(
      manualStep
    );
    expect(sw.querySelector('.jp-SmCost-copy')?.textContent).toBe('Copy');
    // the switch is over: every Switch button works again, and polling stopped
    expect(switchButtons(panel).every(b => !b.disabled)).toBe(true);
    expect(model.switcher.following).toBe(false);
    const gets = getSwitch.mock.calls.length;
    await new Promise(resolve => setTimeout(resolve, 3500));
    expect(getSwitch.mock.calls.length).toBe(gets);
    panel.dispose();
    model.dispose();
  });

  it('disables the Switch buttons while a switch runs and shows a failure', async () => {
    let answer: ISwitchStatus | null = null;
    const { panel, model } = await render(status(true), RECS, {
      startSwitch: async () => {
        answer = makeSwitch({ state: 'running' });
        return makeSwitch({ state: 'pending' });
      },
      getSwitch: async () => {
        if (!answer) {
          throw new SmCostError('no switch has been started', 404, 'no_switch');
        }
        return answer;
      }
    });
    await model.switcher.start('ml.t3.large');
    await settle();
    expect(switchButtons(panel).every(b => b.disabled)).toBe(true);
    expect(
      panel.node.querySelector('.jp-SmCost-switchState')?.textContent
    ).toBe('in progress');
    answer = makeSwitch({
      state: 'failed',
      error: 'AccessDenied: not allowed to update the space'
    });
    await until(() => model.switcher.current?.state === 'failed', 10_000);
    await settle();
    expect(
      panel.node.querySelector('.jp-SmCost-switch')?.textContent
    ).toContain('AccessDenied: not allowed to update the space');
    expect(switchButtons(panel).every(b => !b.disabled)).toBe(true);
    panel.dispose();
    model.dispose();
  });

  it('shows why the server refused a switch', async () => {
    const { panel, model } = await render(status(true), RECS, {
      startSwitch: async () => {
        throw new SmCostError(
          'ml.t3.large is not allowed here; allowed: ml.m5.large',
          400,
          'instance_type_not_allowed'
        );
      }
    });
    switchButtons(panel)[0].click();
    await confirmDialog();
    await until(() => model.switcher.error !== null);
    await settle();
    expect(
      panel.node.querySelector('.jp-SmCost-recommendations [role=alert]')
        ?.textContent
    ).toBe('ml.t3.large is not allowed here; allowed: ml.m5.large');
    expect(switchButtons(panel).every(b => !b.disabled)).toBe(true);
    panel.dispose();
    model.dispose();
  });

  it("shows the administrator's configuration errors and turns off shutdown and switch", async () => {
    const st = {
      ...status(true),
      config_errors: [
        "SmCostApp.idle_timeout: expected an int, not the str '1800'"
      ]
    };
    st.idle = { ...st.idle, state: 'error', deadline: null, remaining_s: null };
    const { panel, model } = await render(st, RECS);
    const banner = panel.node.querySelector('.jp-SmCost-configErrors');
    expect(banner?.getAttribute('role')).toBe('alert');
    expect(banner?.textContent).toContain(
      "The administrator's smcost configuration has errors; idle shutdown and switching are off until it is fixed"
    );
    expect(banner?.textContent).toContain(
      "SmCostApp.idle_timeout: expected an int, not the str '1800'"
    );
    const shutdown = panel.node.querySelector<HTMLButtonElement>(
      '.jp-SmCost-shutdown'
    );
    expect(shutdown?.disabled).toBe(true);
    expect(switchButtons(panel).every(b => b.disabled)).toBe(true);
    const item = new SmCostStatusItem(model.status, () => undefined);
    expect(item.text).toBe('ml.g4dn.xlarge · $0.90/h · config error');
    item.dispose();
    panel.dispose();
    model.dispose();
  });

  it('shows no banner when the configuration is fine', async () => {
    const { panel, model } = await render(status(true), RECS);
    expect(panel.node.querySelector('.jp-SmCost-configErrors')).toBeNull();
    panel.dispose();
    model.dispose();
  });

  it.each([
    [400, 'bad_value', 'timeout_s must be at least 60'],
    [
      503,
      'settings_unwritable',
      'cannot save the idle settings: /home/x/.smcost is read-only'
    ],
    [413, 'body_too_large', 'request body over 65536 bytes']
  ])(
    'shows the message of a %s answer to PUT idle under the settings form',
    async (code, errorCode, message) => {
      const putIdle = jest.fn(async () => {
        throw new SmCostError(message, code, errorCode);
      });
      const { panel, model } = await render(status(true), RECS, { putIdle });
      const form = panel.node.querySelector(
        '.jp-SmCost-form'
      ) as HTMLFormElement;
      await until(
        () =>
          !panel.node.querySelector<HTMLButtonElement>('.jp-SmCost-save')
            ?.disabled
      );
      form.dispatchEvent(
        new Event('submit', { bubbles: true, cancelable: true })
      );
      await until(() => putIdle.mock.calls.length === 1);
      await settle();
      const alert = panel.node.querySelector(
        '.jp-SmCost-settings [role=alert]'
      );
      expect(alert?.textContent).toBe(message);
      panel.dispose();
      model.dispose();
    }
  );
});

describe('SmCostPanel history', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  const usage = Array.from({ length: 60 }, (_, i) => ({
    t: Math.floor(NOW / 1000) - 3600 + 60 * i,
    instance_type: 'ml.g4dn.xlarge',
    gpu_count: 1,
    gpu_mean: 0.01,
    gpu_max: 0.02
  }));

  it('says which horizon the recommendations read', async () => {
    const history = jest.fn(async () =>
      makeHistory({ until: NOW, usage, instanceType: 'ml.g4dn.xlarge' })
    );
    const recs: IRecommendations = {
      ...makeRecommendations(),
      horizon: {
        horizon_s: 7 * 86400,
        covered_s: 31 * 3600,
        since: new Date(NOW - 5 * 86400_000).toISOString(),
        phases: 32,
        busiest: { cpu: new Date(NOW - 20 * 3600_000).toISOString() },
        overall: { cpu_p50: 0.02, cpu_p95: 0.05, mem_p95: 0.2, gpu_p95: 0 }
      }
    };
    const { panel, model } = await render(status(true), recs, { history });
    model.history.show(true);
    await until(() => !!panel.node.querySelector('.jp-SmCost-horizon'));
    const text = panel.node.querySelector('.jp-SmCost-horizon')!.textContent;
    expect(text).toContain('Recommendations read 1d 7h of running time');
    expect(text).toContain('(up to 7d 0h), since ');
    expect(text).toContain('Each figure is its busiest hour: CPU from ');
    panel.dispose();
    model.dispose();
  });

  it('shows usage beside the recommendations and spend per day, when shown', async () => {
    const history = jest.fn(async () =>
      makeHistory({ until: NOW, usage, instanceType: 'ml.g4dn.xlarge' })
    );
    const { panel, model } = await render(status(true), RECS, { history });
    expect(history).not.toHaveBeenCalled(); // nothing until the panel is shown
    expect(panel.node.querySelector('.jp-SmCost-usage')).toBeNull();
    model.history.show(true);
    await until(() => !!panel.node.querySelector('.jp-SmCost-usage'));
    const sections = Array.from(
      panel.node.querySelectorAll('.jp-SmCost-section')
    ).map(s => s.className.replace(/.*jp-SmCost-/, ''));
    // usage right before the recommendations; spend per day after spend
    expect(sections.indexOf('usage') + 1).toBe(
      sections.indexOf('recommendations')
    );
    expect(sections.indexOf('spendHistory') - 1).toBe(
      sections.indexOf('spend')
    );
    const chart = panel.node.querySelector('.jp-SmCost-usage')!;
    expect(chart.querySelector('.jp-SmCost-metric-gpu')).not.toBeNull();
    expect(chart.querySelector('.jp-SmCost-srOnly')?.textContent).toContain(
      'GPU (of the GPU) averaged 1%, peaked at 2%, p95 0% (idle below 5%)'
    );
    const spend = panel.node.querySelector('.jp-SmCost-spendHistory')!;
    expect(spend.textContent).toContain('This month (2026-11)');
    panel.dispose();
    model.dispose();
  });

  it('shows nothing of it when the server keeps no history', async () => {
    const off = { ...makeHistory(), enabled: false, spend: null, usage: [] };
    const { panel, model } = await render(status(true), RECS, {
      history: async () => off
    });
    await model.history.load();
    await settle();
    expect(panel.node.querySelector('.jp-SmCost-usage')).toBeNull();
    expect(panel.node.querySelector('.jp-SmCost-spendHistory')).toBeNull();
    panel.dispose();
    model.dispose();
  });
});

describe('SmCostStatusItem', () => {
  it('reads like "type · price · idle stop in Nm" and busy', async () => {
    const model = new SmCostModel({
      api: fakeApi(status(true), RECS),
      autoStart: false
    });
    const clicks: number[] = [];
    const item = new SmCostStatusItem(model.status, () => clicks.push(1));
    expect(item.text).toBe('SageMaker cost…');
    await model.status.refresh();
    expect(item.text).toMatch(
      /^ml\.g4dn\.xlarge · \$0\.90\/h · idle stop in (49|50)m$/
    );
    item.node.click();
    expect(clicks).toHaveLength(1);
    item.dispose();
    model.dispose();

    const busy = new SmCostModel({
      api: fakeApi(status(true, 'busy'), RECS),
      autoStart: false
    });
    const item2 = new SmCostStatusItem(busy.status, () => undefined);
    await busy.status.refresh();
    expect(item2.text).toBe('ml.g4dn.xlarge · $0.90/h · busy');
    item2.dispose();
    busy.dispose();
  });
});

describe('SmCostPanel in an AWS China region', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows CNY prices and costs with ¥, never $', async () => {
    const st = status(true);
    st.environment.region = 'cn-north-1';
    st.price = makeQuote({
      per_hour: 1.2345,
      currency: 'CNY',
      source: 'live',
      as_of: '2026-11-20',
      detail: 'AWS Price List API, cn-north-1, Studio-JupyterLab',
      region: 'cn-north-1',
      instance_type: 'ml.g4dn.xlarge'
    });
    st.cost = { ...st.cost, currency: 'CNY', projected_per_month: 901.19 };
    const recs = makeRecommendations([
      makeRecommendation({
        price: makeQuote({
          per_hour: 0.7,
          currency: 'CNY',
          source: 'live',
          region: 'cn-north-1',
          instance_type: 'ml.t3.large'
        }),
        savings_per_month: 390.09,
        currency: 'CNY'
      })
    ]);
    const { panel, model } = await render(st, recs);
    const text = panel.node.textContent ?? '';
    expect(text).toContain('¥1.23/h');
    expect(text).toContain('¥0.70/h');
    expect(text).toContain('saves ¥390.09/month');
    expect(text).toContain('¥901.19');
    expect(text).not.toMatch(/\$\d/);
    const item = new SmCostStatusItem(model.status, () => undefined);
    expect(item.text).toMatch(/^ml\.g4dn\.xlarge · ¥1\.23\/h · /);
    item.dispose();
    panel.dispose();
    model.dispose();
  });
});
