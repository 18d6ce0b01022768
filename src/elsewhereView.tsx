/**
 * The panel section "Still running elsewhere": the user's other running
 * apps, tagged endpoints and jobs with their price and how long they have
 * run, the totals per currency, and Stop (asks first) for their own apps.
 * Hidden where nothing can be listed; a section the role may not read shows
 * one line naming the permission, never an error banner.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { Section, useSignals } from './components';
import { ElsewhereModel } from './elsewhere';
import { Format } from './format';
import { serverErrorText } from './messages';
import { IElsewhere, IElsewhereItem } from './tokens';

function kindLabel(fmt: Format, item: IElsewhereItem): string {
  const trans = fmt.trans;
  switch (item.kind) {
    case 'app':
      return item.shared ? trans.__('app, shared space') : trans.__('app');
    case 'endpoint':
      return trans.__('endpoint');
    case 'training_job':
      return trans.__('training job');
    case 'processing_job':
      return trans.__('processing job');
    case 'notebook_instance':
      return trans.__('notebook instance');
    default:
      return item.kind;
  }
}

function sectionLabel(fmt: Format, name: string): string {
  const trans = fmt.trans;
  switch (name) {
    case 'studio_apps':
      return trans.__('your other Studio apps');
    case 'started_jobs':
      return trans.__('training jobs started from this server');
    case 'tagged':
      return trans.__('endpoints and jobs started from this space');
    case 'notebook_instances':
      return trans.__('notebook instances');
    default:
      return name;
  }
}

function Totals({ listing, fmt }: { listing: IElsewhere; fmt: Format }) {
  const trans = fmt.trans;
  return (
    <div className="jp-SmCost-elsewhereTotal">
      {listing.totals.map(t => (
        <div key={t.currency}>
          {trans.__(
            'elsewhere: %1, %2/day',
            fmt.rate(t.per_hour, t.currency),
            fmt.money(t.per_day, t.currency)
          )}
          {t.unpriced
            ? ` ${trans._n('(%1 without a known price)', '(%1 without a known price)', t.unpriced)}`
            : ''}
        </div>
      ))}
    </div>
  );
}

export const ElsewhereSection = React.memo(
  (props: { elsewhere: ElsewhereModel; fmt: Format }) => {
    const { elsewhere, fmt } = props;
    const trans = fmt.trans;
    useSignals(elsewhere.stateChanged);
    const listing = elsewhere.current;
    if (!listing || listing.state === 'unavailable') {
      return null;
    }
    const denied = listing.sections.filter(s => !s.available);
    if (!listing.items.length && !denied.length && listing.state === 'ok') {
      return null; // nothing else bills
    }
    const stop = async (item: IElsewhereItem) => {
      const result = await showDialog({
        title: trans.__('Stop %1?', item.name),
        body: trans.__(
          'This deletes the %1 app of space %2 (%3). The space and its files stay; unsaved work in that app is lost.',
          item.app_type ?? '',
          item.space ?? '',
          fmt.rate(item.price.per_hour, item.price.currency)
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.warnButton({ label: trans.__('Stop') })
        ]
      });
      if (result.button.accept) {
        await elsewhere.stop(item);
      }
    };
    return (
      <Section title={trans.__('Still running elsewhere')} name="elsewhere">
        {listing.state === 'error' || elsewhere.error ? (
          <div className="jp-SmCost-detail">
            {elsewhere.error
              ? fmt.error(elsewhere.error)
              : listing.error
                ? (serverErrorText(
                    fmt,
                    listing.error.code,
                    listing.error.params
                  ) ?? listing.message)
                : listing.message}
          </div>
        ) : null}
        <ul className="jp-SmCost-elsewhereItems">
          {listing.items.map(item => (
            <li
              key={`${item.kind}:${item.name}`}
              className="jp-SmCost-elsewhereItem"
            >
              <div>
                <span className="jp-SmCost-elsewhereName">{item.name}</span>{' '}
                <span className="jp-SmCost-detail">{kindLabel(fmt, item)}</span>
              </div>
              <div className="jp-SmCost-detail">
                {trans.__(
                  '%1 x %2, %3, running for %4',
                  fmt.number(item.instance_count),
                  item.instance_type ?? trans.__('several types'),
                  fmt.rate(item.price.per_hour, item.price.currency),
                  fmt.duration(item.running_s)
                )}
              </div>
              {item.note ? (
                <div className="jp-SmCost-detail jp-SmCost-elsewhereNote">
                  {item.note === 'no invocations in the last 24 h'
                    ? trans.__('no invocations in the last 24 h')
                    : item.note === 'started from this server'
                      ? trans.__('started from this server')
                      : item.note}
                </div>
              ) : null}
              {item.stoppable ? (
                <button
                  className="jp-mod-styled jp-mod-warn jp-SmCost-elsewhereStop"
                  disabled={elsewhere.stopping !== null}
                  title={trans.__('Stop this app (asks first)')}
                  onClick={() => void stop(item)}
                >
                  {elsewhere.stopping === item.name
                    ? trans.__('Stopping…')
                    : trans.__('Stop')}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
        {listing.totals.length ? <Totals listing={listing} fmt={fmt} /> : null}
        {denied.map(s => (
          <div
            key={s.name}
            className="jp-SmCost-detail jp-SmCost-elsewhereDenied"
          >
            {trans.__(
              'Allowing %1 would list %2 here.',
              s.missing_permission ?? '',
              sectionLabel(fmt, s.name)
            )}
          </div>
        ))}
      </Section>
    );
  }
);
