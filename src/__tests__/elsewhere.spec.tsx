/**
 * "Still running elsewhere": the model's poll (stands by while the page is
 * hidden, stops on 404), the section (items, totals per currency, the one
 * line naming a missing permission) and Stop, which asks first.
 */
import { waitForDialog } from '@jupyterlab/testing';
import { ReactWidget } from '@jupyterlab/ui-components';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { IApi } from '../client';
import { ElsewhereModel } from '../elsewhere';
import { ElsewhereSection } from '../elsewhereView';
import { Format } from '../format';
import { SmCostError } from '../request';
import { StatusModel } from '../status';
import { SmCostStatusItem } from '../statusbar';
import { IElsewhere, IElsewhereItem } from '../tokens';
import { makeQuote, makeStatus } from './fixtures';

function item(over: Partial<IElsewhereItem>): IElsewhereItem {
  return {
    kind: 'app',
    name: 'alice-gpu/JupyterLab',
    instance_type: 'ml.g4dn.xlarge',
    instance_count: 1,
    price: makeQuote({ per_hour: 0.94, currency: 'USD' }),
    started_at: '2026-12-03T09:00:00+00:00',
    running_s: 3 * 3600 + 300,
    space: 'alice-gpu',
    app_type: 'JupyterLab',
    app_name: 'default',
    shared: false,
    stoppable: true,
    note: null,
    ...over
  };
}

const LISTING: IElsewhere = {
  state: 'ok',
  message: null,
  sections: [
    { name: 'studio_apps', available: true, missing_permission: null },
    { name: 'tagged', available: false, missing_permission: 'tag:GetResources' }
  ],
  items: [
    item({}),
    item({
      name: 'team-shared/CodeEditor',
      space: 'team-shared',
      app_type: 'CodeEditor',
      shared: true,
      price: makeQuote({ per_hour: 0.23, currency: 'USD' })
    }),
    item({
      kind: 'endpoint',
      name: 'alice-ep',
      instance_type: 'ml.m5.xlarge',
      instance_count: 2,
      price: makeQuote({ per_hour: 0.46, currency: 'USD' }),
      space: null,
      app_type: null,
      app_name: null,
      stoppable: false,
      note: 'no invocations in the last 24 h'
    })
  ],
  totals: [{ currency: 'USD', per_hour: 1.63, per_day: 39.12, unpriced: 0 }],
  read_at: '2026-12-03T12:00:00+00:00',
  interval_s: 300
};

function fakeApi(over: Partial<IApi> = {}): IApi {
  const absent = async (): Promise<never> => {
    throw new SmCostError('not here', 404, 'not_found');
  };
  return {
    status: absent,
    keepAlive: absent,
    announceShutdownSaves: absent,
    shutdown: absent,
    getIdle: absent,
    putIdle: absent,
    recommendations: absent,
    startSwitch: absent,
    getSwitch: absent,
    history: absent,
    elsewhere: jest.fn(async () => LISTING),
    stopElsewhere: jest.fn(async () => ({
      ...LISTING,
      items: LISTING.items.slice(1),
      stopped: 'alice-gpu/JupyterLab',
      message: 'alice-gpu/JupyterLab is stopping'
    })),
    ...over
  };
}

const settle = () => new Promise(resolve => setTimeout(resolve, 50));

function mount(model: ElsewhereModel): Widget {
  const widget = ReactWidget.create(
    <ElsewhereSection elsewhere={model} fmt={new Format()} />
  );
  Widget.attach(widget, document.body);
  MessageLoop.sendMessage(widget, Widget.Msg.UpdateRequest);
  return widget;
}

describe('ElsewhereModel', () => {
  it('asks nothing while the page is hidden, and fetches once shown and visible', async () => {
    let hidden = true;
    const api = fakeApi();
    const model = new ElsewhereModel({ api, isHidden: () => hidden });
    model.show(true);
    await settle();
    expect(api.elsewhere).not.toHaveBeenCalled();
    hidden = false;
    model.show(true);
    await settle();
    expect(api.elsewhere).toHaveBeenCalledTimes(1);
    expect(model.current?.items).toHaveLength(3);
    model.dispose();
  });

  it('stops asking after a 404 (a server without the route)', async () => {
    const elsewhere = jest.fn(async () => {
      throw new SmCostError('no route', 404, 'not_found');
    });
    const model = new ElsewhereModel({
      api: fakeApi({ elsewhere }),
      isHidden: () => false
    });
    model.show(true);
    await settle();
    model.show(true);
    await settle();
    expect(elsewhere).toHaveBeenCalledTimes(1);
    expect(model.current).toBeNull();
    model.dispose();
  });
});

describe('ElsewhereSection', () => {
  it('lists the items with totals and names the missing permission', async () => {
    const model = new ElsewhereModel({ api: fakeApi(), isHidden: () => false });
    await model.load();
    const widget = mount(model);
    await settle();
    const text = widget.node.textContent ?? '';
    expect(text).toContain('Still running elsewhere');
    expect(text).toContain('alice-gpu/JupyterLab');
    expect(text).toContain('app, shared space');
    expect(text).toContain('2 x ml.m5.xlarge, $0.46/h');
    expect(text).toContain('running for 3h 05m');
    expect(text).toContain('no invocations in the last 24 h');
    expect(text).toContain('elsewhere: $1.63/h, $39.12/day');
    expect(text).toContain(
      'Allowing tag:GetResources would list endpoints and jobs started from this space here.'
    );
    // Stop only for the user's own apps, not for the endpoint
    expect(
      widget.node.querySelectorAll('.jp-SmCost-elsewhereStop')
    ).toHaveLength(2);
    widget.dispose();
    model.dispose();
  });

  it('asks before Stop, then deletes that app', async () => {
    const api = fakeApi();
    const model = new ElsewhereModel({ api, isHidden: () => false });
    await model.load();
    const widget = mount(model);
    await settle();
    const button = widget.node.querySelector(
      '.jp-SmCost-elsewhereStop'
    ) as HTMLButtonElement;
    button.click();
    await waitForDialog(document.body, 5000);
    const dialog = document.querySelector('.jp-Dialog') as HTMLElement;
    expect(dialog.textContent).toContain('Stop alice-gpu/JupyterLab?');
    expect(api.stopElsewhere).not.toHaveBeenCalled();
    (dialog.querySelector('button.jp-mod-warn') as HTMLButtonElement).click();
    await settle();
    await settle();
    expect(api.stopElsewhere).toHaveBeenCalledWith({
      space_name: 'alice-gpu',
      app_type: 'JupyterLab',
      app_name: 'default'
    });
    expect(widget.node.textContent).not.toContain('alice-gpu/JupyterLab');
    widget.dispose();
    model.dispose();
  });

  it('adds the total to the status bar tooltip', async () => {
    const model = new ElsewhereModel({ api: fakeApi(), isHidden: () => false });
    const status = new StatusModel({
      api: fakeApi({ status: async () => makeStatus({}) }),
      autoStart: false
    });
    await status.refresh();
    const item = new SmCostStatusItem(
      status,
      () => undefined,
      new Format(),
      model
    );
    expect(item.node.title).not.toContain('elsewhere');
    await model.load();
    expect(item.node.title).toContain('elsewhere: $1.63/h, $39.12/day');
    item.dispose();
    status.dispose();
    model.dispose();
  });

  it('is hidden where nothing can be listed', async () => {
    const model = new ElsewhereModel({
      api: fakeApi({
        elsewhere: async () => ({
          ...LISTING,
          state: 'unavailable' as const,
          sections: [],
          items: [],
          totals: []
        })
      }),
      isHidden: () => false
    });
    await model.load();
    const widget = mount(model);
    await settle();
    expect(widget.node.querySelector('.jp-SmCost-elsewhere')).toBeNull();
    widget.dispose();
    model.dispose();
  });
});
