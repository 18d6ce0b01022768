import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { nullTranslator } from '@jupyterlab/translation';

import { IApi } from '../client';
import { Format } from '../format';
import { SmCostModel } from '../model';
import { SmCostPanel } from '../panel';
import { SmCostError } from '../request';
import {
  makeHistory,
  makeIdleSettings,
  makeQuote,
  makeRecommendation,
  makeRecommendations,
  makeStatus
} from './fixtures';

const settle = () => new Promise(resolve => setTimeout(resolve, 50));

async function render(
  recs = makeRecommendations()
): Promise<{ panel: SmCostPanel; model: SmCostModel }> {
  const st = makeStatus({
    price: {
      per_hour: 91.77,
      source: 'estimated',
      as_of: '2026-09-24',
      detail: 'ml.p4d.24xlarge in us-east-1 x 1.23',
      range: { low: 79.1, high: 92.3 }
    }
  });
  const api: IApi = {
    status: async () => st,
    keepAlive: jest.fn(),
    announceShutdownSaves: jest.fn(),
    shutdown: jest.fn(),
    getIdle: async () => makeIdleSettings(),
    putIdle: jest.fn(),
    recommendations: async () => recs,
    startSwitch: jest.fn(),
    getSwitch: async () => {
      throw new SmCostError('no switch has been started', 404, 'no_switch');
    },
    history: async () => makeHistory(),
    elsewhere: async () => {
      throw new SmCostError('no such route', 404, 'not_found');
    },
    stopElsewhere: jest.fn()
  };
  const model = new SmCostModel({ api, autoStart: false });
  await model.status.refresh();
  const panel = new SmCostPanel(model, new CommandRegistry());
  Widget.attach(panel, document.body);
  MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
  await settle();
  await model.recommendations.load();
  await settle();
  return { panel, model };
}

describe('estimate ranges', () => {
  it('formats a likely range through Intl, nothing without one', () => {
    const fmt = new Format(nullTranslator, 'en-US');
    expect(fmt.likely({ low: 79.1, high: 92.3 }, 'USD')).toBe(
      'likely $79.10\u2013$92.30/h'
    );
    expect(fmt.likely(null, 'USD')).toBe('');
  });

  it('shows the range beside an estimated price', async () => {
    const { panel, model } = await render();
    const likely = panel.node.querySelector('.jp-SmCost-likely');
    expect(likely?.textContent).toContain('likely $79.10\u2013$92.30/h');
    panel.dispose();
    model.dispose();
  });

  it('says "about the same price" instead of a saving the ranges do not support', async () => {
    const rec = makeRecommendation({
      price: makeQuote({
        per_hour: 85,
        source: 'estimated',
        range: { low: 80, high: 90 }
      }),
      savings_per_month: null,
      about_same_price: true
    });
    const { panel, model } = await render(makeRecommendations([rec]));
    const section = panel.node.querySelector('.jp-SmCost-recommendations');
    expect(section?.textContent).toContain('about the same price');
    expect(section?.textContent).not.toContain('saves');
    expect(section?.textContent).toContain('likely $80.00\u2013$90.00/h');
    panel.dispose();
    model.dispose();
  });
});
