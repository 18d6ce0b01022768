/**
 * The panel's "Saved" section: what idle shutdown and switches saved this
 * month (GET smcost/ledger), every figure an estimate of what was not billed,
 * with a chart per day beside the spend chart (text for screen readers, the
 * SVG hidden from them) and the definition spelled out.
 */
import * as React from 'react';

import { ChartFrame, H, W } from './charts';
import { useSignals, Section } from './components';
import { Format } from './format';
import {
  barTotal,
  describeSavings,
  idleLine,
  ISavedSeries,
  LedgerModel,
  mapSavings,
  switchLine
} from './ledger';
import { ILedger } from './tokens';

/** Saved per day as stacked bars: idle stops, then switches (positive parts). */
export function SavedChart(props: { series: ISavedSeries; fmt: Format }) {
  const { series: s, fmt } = props;
  const trans = fmt.trans;
  const money = (v: number | null) => fmt.money(v, s.currency);
  const n = Math.max(1, s.days.length);
  const bw = W / n;
  const top = s.maxDay > 0 ? s.maxDay : 1;
  const h = (v: number) => (Math.max(0, v) / top) * (H - 2);
  return (
    <figure className="jp-SmCost-figure jp-SmCost-savedChart">
      <p className="jp-SmCost-srOnly">{describeSavings(s, fmt)}</p>
      <ChartFrame className="jp-SmCost-bars">
        {s.days.map((d, i) => {
          const idle = h(d.idle ?? 0);
          const sw = h(d.switches ?? 0);
          return (
            <g key={d.date} data-date={d.date} data-saved={barTotal(d)}>
              <title>
                {trans.__(
                  '%1: %2 saved (estimate), %3 not billed',
                  fmt.shortDate(d.date),
                  money(barTotal(d)),
                  fmt.hours(d.hours)
                )}
              </title>
              {idle > 0 ? (
                <rect
                  className="jp-SmCost-savedIdle"
                  x={i * bw + bw * 0.15}
                  width={bw * 0.7}
                  y={H - idle}
                  height={idle}
                />
              ) : null}
              {sw > 0 ? (
                <rect
                  className="jp-SmCost-savedSwitch"
                  x={i * bw + bw * 0.15}
                  width={bw * 0.7}
                  y={H - idle - sw}
                  height={sw}
                />
              ) : null}
            </g>
          );
        })}
      </ChartFrame>
      <div className="jp-SmCost-axis" aria-hidden="true">
        <span>{s.days.length ? fmt.shortDate(s.days[0].date) : ''}</span>
        <span>{trans.__('max %1/day', money(s.maxDay))}</span>
        <span>{trans.__('today')}</span>
      </div>
      <figcaption className="jp-SmCost-legend" aria-hidden="true">
        <span className="jp-SmCost-key jp-SmCost-key-savedIdle">
          {trans.__('idle shutdown')}
        </span>
        <span className="jp-SmCost-key jp-SmCost-key-savedSwitch">
          {trans.__('switches')}
        </span>
      </figcaption>
    </figure>
  );
}

/** One currency's figures: the two headlines, the notes, the chart. */
function SavedFigures(props: { series: ISavedSeries; fmt: Format }) {
  const { series: s, fmt } = props;
  const trans = fmt.trans;
  return (
    <div className="jp-SmCost-savedFigures" data-currency={s.currency}>
      <div className="jp-SmCost-row">
        <span className="jp-SmCost-label">
          {trans.__('This month (%1)', s.month)}
        </span>
        <span className="jp-SmCost-value">
          <span className="jp-SmCost-savedTotal">
            {fmt.money(s.saved, s.currency)}
          </span>
          <span className="jp-SmCost-asOf"> {trans.__('estimated')}</span>
        </span>
      </div>
      <div className="jp-SmCost-detail jp-SmCost-savedIdleLine">
        {idleLine(s, fmt)}
      </div>
      {s.stillStopped ? (
        <div className="jp-SmCost-detail jp-SmCost-stillStopped">
          {trans.__(
            'A stop was never followed by a start: it counts until now.'
          )}
        </div>
      ) : null}
      <div className="jp-SmCost-detail jp-SmCost-savedSwitchLine">
        {switchLine(s, fmt)}
      </div>
      {s.switchSaved !== null && s.switchSaved < 0 ? (
        <div className="jp-SmCost-detail">
          {trans.__('A switch to a dearer type counts as what it cost more.')}
        </div>
      ) : null}
      {s.idleSaved === null || s.switchSaved === null ? (
        <div className="jp-SmCost-detail jp-SmCost-savedUnknown">
          {trans.__(
            'Some prices are unknown: their money is not counted (%1).',
            s.unknown.join('; ')
          )}
        </div>
      ) : null}
      <SavedChart series={s} fmt={fmt} />
    </div>
  );
}

/** Each stop and switch with the price it was counted at (its source). */
function SavedEvents(props: { ledger: ILedger; fmt: Format }) {
  const { ledger, fmt } = props;
  const trans = fmt.trans;
  const items = [
    ...ledger.stops.map(s => (
      <li key={`stop-${s.at}`} className="jp-SmCost-savedStop">
        {trans.__(
          '%1: idle stop of %2 at %3 (%4): %5 not billed, %6',
          fmt.dateTime(s.at),
          s.instance_type ?? '',
          fmt.rate(s.price.per_hour, s.price.currency),
          fmt.price(s.price),
          s.still_stopped
            ? trans.__('%1 until now', fmt.hours(s.hours_not_billed))
            : fmt.hours(s.hours_not_billed),
          fmt.money(s.saved, s.price.currency)
        )}
      </li>
    )),
    ...ledger.switches.map(s => (
      <li key={`switch-${s.at}`} className="jp-SmCost-savedSwitchItem">
        {trans.__(
          '%1: switch from %2 (%3) to %4 (%5): %6 on the new type, %7',
          fmt.dateTime(s.at),
          s.from_type ?? '',
          fmt.rate(s.from_price.per_hour, s.from_price.currency),
          s.to_type ?? '',
          fmt.rate(s.to_price.per_hour, s.to_price.currency),
          fmt.hours(s.hours_on_new_type),
          fmt.money(s.saved, s.to_price.currency)
        )}
      </li>
    ))
  ];
  return items.length ? (
    <ul className="jp-SmCost-savedEvents">{items}</ul>
  ) : null;
}

/** The "Saved" section (hidden while the history is off or the route absent). */
export const SavedSection = React.memo(
  (props: { ledger: LedgerModel; fmt: Format }) => {
    const { ledger, fmt } = props;
    useSignals(ledger.stateChanged);
    const current = ledger.current;
    if (!current?.enabled) {
      return null;
    }
    const trans = fmt.trans;
    const series = mapSavings(current);
    return (
      <Section title={trans.__('Saved')} name="saved">
        {series.length ? (
          series.map(s => (
            <SavedFigures key={s.currency} series={s} fmt={fmt} />
          ))
        ) : (
          <div className="jp-SmCost-detail jp-SmCost-savedNone">
            {trans.__(
              'Nothing saved yet this month: no idle stop and no switch.'
            )}
          </div>
        )}
        {ledger.error ? (
          <div className="jp-SmCost-detail">{fmt.error(ledger.error)}</div>
        ) : null}
        <details className="jp-SmCost-savedDefinition">
          <summary>{trans.__('How this is estimated')}</summary>
          <p className="jp-SmCost-detail">
            {trans.__(
              'Estimates of what was not billed, not amounts billed. Idle shutdown: the hours between an idle stop and the next start of this space or instance (up to now while it is still stopped, and then said so), times the price in force at the stop (an estimated price at the low end of its likely range). Switches: the price difference between the old and the new type times the hours run on the new type since the switch (a switch to a dearer type counts against the total). Stops by a user, and stops not made by this extension, are not counted. An unknown price makes the money unknown.'
            )}
          </p>
          <SavedEvents ledger={current} fmt={fmt} />
        </details>
      </Section>
    );
  }
);
