/**
 * The "Saved" section: the ledger model's poll (stands by while hidden, stops
 * on 404, asks nothing of an API without the route), and the section (the
 * headlines, every figure said to be an estimate, a stop still counting, the
 * chart's bars and its screen-reader text, unknown money, the definition).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { Format } from '../format';
import { describeSavings, LedgerModel, mapSavings } from '../ledger';
import { SavedSection } from '../ledgerView';
import { SmCostError } from '../request';
import { ILedger, ILedgerDay } from '../tokens';

const PRICE = {
  per_hour: 1.52,
  currency: 'USD' as const,
  source: 'bundled' as const,
  as_of: '2026-09-24'
};

function days(over: Record<string, Partial<ILedgerDay>>): ILedgerDay[] {
  return [1, 2, 3].map(n => {
    const date = `2026-12-0${n}`;
    return {
      date,
      hours_not_billed: 0,
      idle_saved: 0,
      switch_saved: 0,
      ...over[date]
    };
  });
}

function ledger(over: Partial<ILedger> = {}): ILedger {
  return {
    enabled: true,
    reason: null,
    estimate: true,
    month: '2026-12',
    since: '2026-12-01T00:00:00+00:00',
    until: '2026-12-03T12:00:00+00:00',
    definition: 'Estimates of what was not billed...',
    currencies: [
      {
        currency: 'USD',
        estimate: true,
        idle: {
          stops: 2,
          hours_not_billed: 12,
          saved: 18.24,
          still_stopped: false
        },
        switches: { count: 1, hours_on_new_type: 3, saved: 16.71 },
        saved: 34.95,
        unknown: [],
        days: days({
          '2026-12-01': { hours_not_billed: 10, idle_saved: 15.2 },
          '2026-12-02': {
            hours_not_billed: 2,
            idle_saved: 3.04,
            switch_saved: 16.71
          }
        })
      }
    ],
    stops: [
      {
        at: '2026-12-02T20:00:00+00:00',
        instance_type: 'ml.g5.2xlarge',
        price: PRICE,
        until: '2026-12-02T22:00:00+00:00',
        still_stopped: false,
        hours_not_billed: 2,
        saved: 3.04
      }
    ],
    switches: [
      {
        at: '2026-12-02T09:00:00+00:00',
        from_type: 'ml.g5.12xlarge',
        to_type: 'ml.g5.2xlarge',
        from_price: { ...PRICE, per_hour: 7.09 },
        to_price: PRICE,
        hours_on_new_type: 3,
        saved: 16.71
      }
    ],
    ...over
  };
}

const settle = () => new Promise(resolve => setTimeout(resolve, 50));

function mount(model: LedgerModel): Widget {
  const widget = ReactWidget.create(
    <SavedSection ledger={model} fmt={new Format()} />
  );
  Widget.attach(widget, document.body);
  MessageLoop.sendMessage(widget, Widget.Msg.UpdateRequest);
  return widget;
}

async function shown(answer: ILedger): Promise<[Widget, LedgerModel]> {
  const model = new LedgerModel({
    api: { ledger: async () => answer },
    isHidden: () => false
  });
  await model.load();
  const widget = mount(model);
  await settle();
  return [widget, model];
}

describe('LedgerModel', () => {
  it('asks nothing while hidden, fetches once shown, and stops after a 404', async () => {
    let hidden = true;
    const fetch = jest.fn(async () => ledger());
    const model = new LedgerModel({
      api: { ledger: fetch },
      isHidden: () => hidden
    });
    model.show(true);
    await settle();
    expect(fetch).not.toHaveBeenCalled();
    hidden = false;
    model.show(true);
    await settle();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(model.current?.currencies[0].saved).toBe(34.95);
    model.dispose();

    const gone = jest.fn(async (): Promise<ILedger> => {
      throw new SmCostError('no route', 404, 'not_found');
    });
    const old = new LedgerModel({
      api: { ledger: gone },
      isHidden: () => false
    });
    old.show(true);
    await settle();
    old.show(true);
    await settle();
    expect(gone).toHaveBeenCalledTimes(1);
    expect(old.current).toBeNull();
    old.dispose();
  });

  it('asks nothing of an API without the route', async () => {
    const model = new LedgerModel({ api: {}, isHidden: () => false });
    model.show(true);
    await model.load();
    expect(model.current).toBeNull();
    model.dispose();
  });
});

describe('SavedSection', () => {
  it('shows the month, both headlines as estimates, and a bar per day', async () => {
    const [widget, model] = await shown(ledger());
    const text = widget.node.textContent ?? '';
    expect(text).toContain('Saved');
    expect(text).toContain('This month (2026-12)$34.95 estimated');
    expect(text).toContain('$34.95');
    expect(text).toContain(
      'Idle shutdown: 2 stops this month, 12.0 h not billed, $18.24 saved (estimate)'
    );
    expect(text).toContain(
      'Switches: 1 switch, 3.0 h on the new type, $16.71 saved (estimate)'
    );
    expect(text).not.toContain('counts until now');
    // one group per day; the second stacks the switch on the idle part
    const groups = widget.node.querySelectorAll('.jp-SmCost-savedChart g');
    expect(Array.from(groups).map(g => g.getAttribute('data-saved'))).toEqual([
      '15.2',
      '19.75',
      '0'
    ]);
    expect(widget.node.querySelectorAll('.jp-SmCost-savedIdle').length).toBe(2);
    expect(widget.node.querySelectorAll('.jp-SmCost-savedSwitch').length).toBe(
      1
    );
    // the chart's text for screen readers; the SVG is hidden from them
    const sr = widget.node.querySelector(
      '.jp-SmCost-savedChart .jp-SmCost-srOnly'
    );
    expect(sr?.textContent).toContain(
      'Estimated savings per day this month (2026-12), what was not billed: $34.95 in all.'
    );
    expect(sr?.textContent).toContain('The most on Dec 2: $19.75.');
    expect(
      widget.node
        .querySelector('.jp-SmCost-savedChart svg')
        ?.getAttribute('aria-hidden')
    ).toBe('true');
    // the definition and each event with its price and source
    expect(text).toContain('How this is estimated');
    expect(text).toContain('times the price in force at the stop');
    expect(text).toContain(
      'idle stop of ml.g5.2xlarge at $1.52/h (Bundled, 2026-09-24'
    );
    expect(text).toContain(
      'switch from ml.g5.12xlarge ($7.09/h) to ml.g5.2xlarge ($1.52/h)'
    );
    widget.dispose();
    model.dispose();
  });

  it('says so when a stop counts until now, and when money is unknown', async () => {
    const answer = ledger();
    answer.currencies[0] = {
      ...answer.currencies[0],
      idle: { stops: 1, hours_not_billed: 5, saved: null, still_stopped: true },
      saved: null,
      unknown: ['the price of ml.zz.large at the stop of 2026-12-03 is unknown']
    };
    const [widget, model] = await shown(answer);
    const text = widget.node.textContent ?? '';
    expect(text).toContain(
      'Idle shutdown: 1 stop this month, 5.0 h not billed, — saved'
    );
    expect(text).toContain(
      'A stop was never followed by a start: it counts until now.'
    );
    expect(text).toContain(
      'Some prices are unknown: their money is not counted'
    );
    expect(text).toContain('ml.zz.large');
    const s = mapSavings(answer)[0];
    expect(describeSavings(s)).toContain(
      'A stop not yet followed by a start counts until now.'
    );
    widget.dispose();
    model.dispose();
  });

  it('says nothing was saved yet, and hides while the history is off', async () => {
    const [empty, m1] = await shown(
      ledger({ currencies: [], stops: [], switches: [] })
    );
    expect(empty.node.textContent).toContain(
      'Nothing saved yet this month: no idle stop and no switch.'
    );
    empty.dispose();
    m1.dispose();
    const [off, m2] = await shown(
      ledger({ enabled: false, reason: 'history off', currencies: [] })
    );
    expect(off.node.querySelector('.jp-SmCost-saved')).toBeNull();
    off.dispose();
    m2.dispose();
  });
});
