import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IApi, SmCostModel } from '../model';
import { SmCostPanel } from '../panel';
import { NOT_INSTALLED, SmCostError } from '../request';
import { SmCostStatusItem } from '../statusbar';
import { IRecommendations, IStatus } from '../tokens';

const NOW = Date.now();

function status(canSwitch: boolean, state = 'active'): IStatus {
  return {
    environment: {
      kind: 'studio-space',
      region: 'eu-west-1',
      resource: 'space-a',
      can_shutdown: true,
      can_switch: canSwitch,
      switch_unavailable_reason: canSwitch ? null : 'switching is off here',
      label: 'SageMaker Studio space space-a'
    },
    instance: {
      type: 'ml.g4dn.xlarge',
      vcpu: 4,
      memory_gib: 16,
      gpu_count: 1,
      gpu_model: 'NVIDIA T4',
      gpu_memory_gib: 16
    },
    price: {
      usd_per_hour: 0.9,
      component: 'Studio-JupyterLab',
      source: 'estimated',
      as_of: '2026-09-24',
      detail:
        'ml.g4dn.xlarge in us-east-1 ($0.7364/h, bundled 2026-09-24) x 1.22, the eu-west-1 / us-east-1 ratio over the 2 g4dn types both price'
    },
    cost: {
      started_at: new Date(NOW - 3600_000).toISOString(),
      since_start_usd: 0.9,
      projected_usd_per_day: 21.6,
      projected_usd_per_month: 657
    },
    idle: {
      enabled: true,
      timeout_s: 3600,
      idle_s: 600,
      remaining_s: 3000,
      deadline:
        state === 'busy' ? null : new Date(NOW + 3000_000).toISOString(),
      state: state as any,
      reasons:
        state === 'busy'
          ? ['terminal 1 running: python train.py']
          : ['last activity: kernel'],
      warning_s: 300
    },
    server_time: new Date(NOW).toISOString()
  };
}

const RECS: IRecommendations = {
  window_s: 86400,
  items: [
    {
      type: 'ml.t3.large',
      reason: 'GPU unused for 24 h',
      usd_per_hour: 0.1,
      savings_usd_per_month: 584,
      confidence: 'high'
    }
  ]
};

function fakeApi(st: IStatus, recs: IRecommendations | Error): IApi {
  return {
    status: async () => st,
    keepAlive: jest.fn(),
    announceShutdownSaves: jest.fn(),
    shutdown: jest.fn(),
    getIdle: async () => ({
      enabled: true,
      timeout_s: 3600,
      ignore_connections: true,
      count_terminals: true,
      warning_s: 300,
      bounds: { min_timeout_s: 60, max_timeout_s: null }
    }),
    putIdle: jest.fn(),
    recommendations: async () => {
      if (recs instanceof Error) {
        throw recs;
      }
      return recs;
    },
    startSwitch: jest.fn(),
    getSwitch: async () => {
      throw new SmCostError(NOT_INSTALLED, 404, 'not_installed');
    }
  };
}

const settle = () => new Promise(resolve => setTimeout(resolve, 50));

async function render(
  st: IStatus,
  recs: IRecommendations | Error
): Promise<{ panel: SmCostPanel; model: SmCostModel }> {
  const model = new SmCostModel({ api: fakeApi(st, recs), autoStart: false });
  await model.refresh();
  const panel = new SmCostPanel(model, new CommandRegistry());
  Widget.attach(panel, document.body);
  MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
  await settle();
  await model.loadRecommendations();
  await settle();
  return { panel, model };
}

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
    expect(panel.node.querySelector('.jp-SmCost-clock')?.textContent).toMatch(
      /^(50:00|49:\d\d)$/
    );
    expect(panel.node.querySelector('[aria-live]')?.textContent).toMatch(
      /Idle shutdown in about 50 minutes/
    );
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
});

describe('SmCostStatusItem', () => {
  it('reads like "type · price · idle stop in Nm" and busy', async () => {
    const model = new SmCostModel({
      api: fakeApi(status(true), RECS),
      autoStart: false
    });
    const clicks: number[] = [];
    const item = new SmCostStatusItem(model, () => clicks.push(1));
    expect(item.text).toBe('SageMaker cost…');
    await model.refresh();
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
    const item2 = new SmCostStatusItem(busy, () => undefined);
    await busy.refresh();
    expect(item2.text).toBe('ml.g4dn.xlarge · $0.90/h · busy');
    item2.dispose();
    busy.dispose();
  });
});
