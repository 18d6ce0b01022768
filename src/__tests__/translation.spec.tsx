/**
 * Every string of the panel and the status bar item comes from the
 * translator: with a translator that marks what it translates («...»), the
 * headings, labels, buttons, states, chart summaries and the status bar text
 * all come out marked (what the server sends is shown as it comes).
 */
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IApi } from '../client';
import { Format } from '../format';
import { SmCostModel } from '../model';
import { SmCostPanel } from '../panel';
import { SmCostError } from '../request';
import { SmCostStatusItem } from '../statusbar';
import {
  makeHistory,
  makeIdleSettings,
  makeRecommendations,
  makeStatus,
  makeSwitch
} from './fixtures';

const trans = nullTranslator.load('jupyterlab_smcost');
const marking = {
  languageCode: 'en',
  load: () => ({
    ...trans,
    __: (id: string, ...args: any[]) => `«${trans.__(id, ...args)}»`,
    _n: (a: string, b: string, n: number, ...args: any[]) =>
      `«${trans._n(a, b, n, ...args)}»`,
    _p: (c: string, id: string, ...args: any[]) =>
      `«${trans._p(c, id, ...args)}»`
  })
};

const settle = () => new Promise(resolve => setTimeout(resolve, 50));

it('renders the panel and the status bar item through the translator', async () => {
  const now = Date.now();
  const usage = Array.from({ length: 60 }, (_, i) => ({
    t: Math.floor(now / 1000) - 3600 + 60 * i
  }));
  const api: IApi = {
    status: async () =>
      makeStatus({
        serverTime: now,
        environment: { can_switch: true, kind: 'notebook-instance' }
      }),
    keepAlive: jest.fn(),
    announceShutdownSaves: jest.fn(),
    shutdown: jest.fn(),
    getIdle: async () => makeIdleSettings(),
    putIdle: jest.fn(),
    recommendations: async () => makeRecommendations(),
    startSwitch: jest.fn(),
    getSwitch: async () =>
      makeSwitch({
        state: 'manual',
        steps: [
          { name: 'describe', status: 'done', detail: 'nb is here' },
          {
            name: 'stop_update_start',
            status: 'manual',
            detail: 'needs the step described in manual_step',
            message: {
              code: 'step.see_manual',
              text: 'needs the step described in manual_step',
              params: {}
            }
          }
        ],
        manual_step: 'Save your work, then stop nb (English)',
        manual_message: {
          code: 'manual.notebook_instance',
          text: 'Save your work, then stop nb (English)',
          params: {
            name: 'nb',
            type: 'ml.t3.large',
            region: 'us-east-1',
            command: 'aws sagemaker stop-notebook-instance ...'
          }
        }
      }),
    history: async () => makeHistory({ until: now, usage }),
    elsewhere: jest.fn(),
    stopElsewhere: jest.fn()
  };
  const fmt = new Format(marking as any);
  const model = new SmCostModel({ api, autoStart: false });
  await model.status.refresh();
  const panel = new SmCostPanel(model, new CommandRegistry(), fmt);
  Widget.attach(panel, document.body);
  MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
  await settle();
  await model.history.load();
  await settle();
  await settle();

  const ours = [
    'h2',
    'h3',
    'button',
    'label',
    '.jp-SmCost-label',
    '.jp-SmCost-badge-bundled',
    '.jp-SmCost-stateLabel',
    '.jp-SmCost-srOnly',
    '.jp-SmCost-metricFigures',
    '.jp-SmCost-key',
    '.jp-SmCost-switchState',
    '.jp-SmCost-stepStatus',
    '.jp-SmCost-manualTitle',
    '.jp-SmCost-price'
  ];
  let checked = 0;
  for (const selector of ours) {
    const nodes = Array.from(panel.node.querySelectorAll(selector));
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) {
      expect([selector, node.textContent?.trim()]).toEqual([
        selector,
        expect.stringMatching(/^«/)
      ]);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(30);
  // a step detail and the manual step with a code are said by the translator,
  // the ones without as the server sends them
  const details = Array.from(
    panel.node.querySelectorAll('.jp-SmCost-stepDetail')
  ).map(n => n.textContent);
  expect(details).toEqual(['nb is here', '«needs the step described below»']);
  const manual = panel.node.querySelector('.jp-SmCost-manualStep')?.textContent;
  expect(manual).toMatch(/^«This instance cannot resize itself/);
  expect(manual).toContain(
    'region us-east-1): aws sagemaker stop-notebook-instance ...»'
  );
  // the server's words stay as they come
  expect(panel.node.querySelector('.jp-SmCost-reasons li')?.textContent).toBe(
    'last activity: server start'
  );
  for (const button of Array.from(panel.node.querySelectorAll('[title]'))) {
    if (button.tagName === 'BUTTON') {
      expect(button.getAttribute('title')).toMatch(/^«/);
    }
  }

  const item = new SmCostStatusItem(model.status, () => undefined, fmt);
  expect(item.text).toMatch(/^ml\.t3\.medium · «\$0\.05\/h» · «idle stop in /);
  expect(item.node.getAttribute('aria-label')).toMatch(/^«SageMaker cost: /);
  expect(item.node.title.split('\n').pop()).toBe(
    '«Click to open the SageMaker cost panel»'
  );
  item.dispose();
  panel.dispose();
  model.dispose();
});

it('says an unknown price and a refused setting through the translator', async () => {
  // a China region without live prices: the reason and the fix come with codes
  const detail =
    'no Studio-JupyterLab price is known for ml.t3.medium in cn-north-1: no China (CNY) price is bundled, a USD price is never converted, and live prices are off';
  const fix =
    'turn live prices on (SmCostApp.live_prices; the role needs pricing:GetProducts), served for China from cn-northwest-1';
  const where = {
    component: 'Studio-JupyterLab',
    region: 'cn-north-1',
    type: 'ml.t3.medium'
  };
  const putIdle = jest.fn(async () => {
    throw new SmCostError(
      'timeout_s must be positive, got 0',
      400,
      'invalid_setting',
      {
        rule: 'positive',
        setting: 'timeout_s',
        value: 0
      }
    );
  });
  const api: IApi = {
    status: async () =>
      makeStatus({
        environment: { region: 'cn-north-1' },
        price: {
          per_hour: null,
          currency: 'CNY',
          source: 'unknown',
          as_of: null,
          region: 'cn-north-1',
          detail,
          fix,
          detail_message: {
            code: 'price.unknown_china_live_off',
            text: detail,
            params: where
          },
          fix_message: {
            code: 'fix.live_prices_china',
            text: fix,
            params: { api_region: 'cn-northwest-1' }
          }
        }
      }),
    keepAlive: jest.fn(),
    announceShutdownSaves: jest.fn(),
    shutdown: jest.fn(),
    getIdle: async () => makeIdleSettings(),
    putIdle,
    recommendations: async () => makeRecommendations(),
    startSwitch: jest.fn(),
    getSwitch: jest.fn(),
    history: async () => makeHistory({}),
    elsewhere: jest.fn(),
    stopElsewhere: jest.fn()
  };
  const fmt = new Format(marking as any);
  const model = new SmCostModel({ api, autoStart: false });
  await model.status.refresh();
  const panel = new SmCostPanel(model, new CommandRegistry(), fmt);
  Widget.attach(panel, document.body);
  MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
  await settle();

  const unknown = panel.node.querySelector('.jp-SmCost-unknownPrice');
  expect(unknown?.textContent).toBe(
    '««no Studio-JupyterLab price is known for ml.t3.medium in cn-north-1: no China (CNY) price is bundled, a USD price is never converted, and live prices are off». To fix: «turn live prices on (SmCostApp.live_prices; the role needs pricing:GetProducts), served for China from cn-northwest-1».»'
  );
  // the badge's hover text and its label say the same translated reason
  const badge = panel.node.querySelector('.jp-SmCost-badge-unknown');
  expect(badge?.getAttribute('title')).toContain(
    '«no Studio-JupyterLab price is known for ml.t3.medium in cn-north-1: no China'
  );
  expect(badge?.getAttribute('aria-label')).toMatch(/^«Price source: «/);

  // the idle settings form: the server's refusal said by its code
  const form = panel.node.querySelector('.jp-SmCost-form') as HTMLFormElement;
  for (let i = 0; i < 20; i++) {
    if (
      !panel.node.querySelector<HTMLButtonElement>('.jp-SmCost-save')?.disabled
    ) {
      break;
    }
    await settle();
  }
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  await settle();
  await settle();
  expect(putIdle).toHaveBeenCalledTimes(1);
  expect(
    panel.node.querySelector('.jp-SmCost-settings [role=alert]')?.textContent
  ).toBe('«timeout_s must be positive, got 0»');
  panel.dispose();
  model.dispose();
});
