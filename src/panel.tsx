/**
 * The left sidebar panel "SageMaker cost": the administrator's configuration
 * errors, instance and price, spend (with spend per day over 30 days), idle
 * countdown with state and reasons, Keep running / Shut down now, idle
 * settings, usage over the recommendation window and the recommendations
 * with the instance switch (only when the server offers them).
 *
 * It only renders the models (model.ts), and each part only when its own
 * model changes: the sections are memoised and subscribe to the model they
 * show; only the countdown follows the one-second tick.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { SpendChart, UsageChart } from './charts';
import { Row, Section, useSignals } from './components';
import { countsDown } from './clock';
import { ElsewhereSection } from './elsewhereView';
import { Format } from './format';
import { HistoryModel } from './history';
import { JobsSection } from './jobsView';
import { SavedSection } from './ledgerView';
import { environmentLabel, idleReasons, messageText } from './messages';
import { priceDetail, priceFix } from './priceText';
import { costIcon } from './icon';
import { SmCostModel } from './model';
import { RecommendationsModel } from './recommendations';
import { RecommendationsSection } from './recommendationsView';
import { SettingsSection } from './settingsView';
import { StatusModel } from './status';
import { CommandIDs, IIdle, IStatus, PANEL_ID } from './tokens';

function ConfigErrors({ errors, fmt }: { errors: string[]; fmt: Format }) {
  const trans = fmt.trans;
  return (
    <div
      className="jp-SmCost-message jp-SmCost-message-error jp-SmCost-configErrors"
      role="alert"
    >
      <div>
        {trans.__(
          "The administrator's smcost configuration has errors; idle shutdown and switching are off until it is fixed."
        )}
      </div>
      <ul>
        {errors.map((e, i) => (
          <li key={i}>{e}</li>
        ))}
      </ul>
    </div>
  );
}

const InstanceSection = React.memo(
  (props: { status: IStatus; fmt: Format }) => {
    const { status, fmt } = props;
    const trans = fmt.trans;
    const { instance, price, environment } = status;
    const types = instance.types ?? [];
    const described = fmt.price(price);
    // the server's detail and fix, said by their codes (priceText.ts)
    const said = priceDetail(fmt, price);
    const fix = priceFix(fmt, price);
    const source = fmt.source(price.source);
    const detail = [
      price.as_of ? trans.__('%1, as of %2', source, price.as_of) : source,
      price.component,
      environment.region
    ].filter(Boolean);
    return (
      <Section title={trans.__('Instance')} name="instance">
        {environment.label ? (
          <div className="jp-SmCost-envLabel">
            {environmentLabel(fmt, environment)}
          </div>
        ) : null}
        <Row label={trans.__('Type')}>
          <span className="jp-SmCost-instanceType">
            {instance.type ?? trans.__('unknown')}
          </span>
          {types.length > 1
            ? ` ${trans._n('(+%1 more)', '(+%1 more)', types.length - 1)}`
            : ''}
        </Row>
        <Row label={trans.__('Specs')}>{fmt.specs(instance)}</Row>
        <Row label={trans.__('Price')}>
          <span className="jp-SmCost-price">
            {fmt.rate(price.per_hour, price.currency)}
          </span>{' '}
          {price.range ? (
            <span className="jp-SmCost-likely">
              {fmt.likely(price.range, price.currency)}{' '}
            </span>
          ) : null}
          <span
            className={`jp-SmCost-badge jp-SmCost-badge-${price.source}`}
            title={described}
            aria-label={trans.__('Price source: %1', described)}
          >
            {fmt.sourceBadge(price.source)}
          </span>
        </Row>
        <div className="jp-SmCost-detail" title={said}>
          {detail.join(' \u00b7 ')}
        </div>
        {price.source === 'estimated' && said ? (
          <div className="jp-SmCost-detail jp-SmCost-estimate">
            {trans.__('Estimated from %1', said)}
          </div>
        ) : null}
        {price.source === 'unknown' && said ? (
          <div className="jp-SmCost-detail jp-SmCost-unknownPrice">
            {fix ? trans.__('%1. To fix: %2.', said, fix) : said}
          </div>
        ) : null}
      </Section>
    );
  }
);

const SpendSection = React.memo((props: { status: IStatus; fmt: Format }) => {
  const { fmt } = props;
  const trans = fmt.trans;
  const { cost } = props.status;
  const money = (v: number | null | undefined) => fmt.money(v, cost.currency);
  return (
    <Section title={trans.__('Spend')} name="spend">
      <Row label={trans.__('Since start')}>
        <span className="jp-SmCost-spendTotal">{money(cost.since_start)}</span>
      </Row>
      {cost.started_at ? (
        <div className="jp-SmCost-detail">
          {trans.__('running since %1', fmt.dateTime(cost.started_at))}
        </div>
      ) : null}
      <Row label={trans.__('Per day')}>{money(cost.projected_per_day)}</Row>
      <Row label={trans.__('Per month')}>
        {money(cost.projected_per_month)}
        <span className="jp-SmCost-asOf"> {trans.__('at this rate')}</span>
      </Row>
    </Section>
  );
});

/** Spend per day over the last 30 days, from the kept history. */
const SpendHistorySection = React.memo(
  (props: { history: HistoryModel; fmt: Format }) => {
    const { history, fmt } = props;
    useSignals(history.stateChanged);
    const spend = history.spend;
    if (!spend?.enabled) {
      return null;
    }
    const trans = fmt.trans;
    return (
      <Section title={trans.__('Spend per day')} name="spendHistory">
        <SpendChart history={spend} fmt={fmt} />
      </Section>
    );
  }
);

/**
 * CPU, memory and GPU over the recommendation window, beside the
 * recommendations; or over the horizon the recommendation read (a switch).
 */
const UsageSection = React.memo(
  (props: {
    history: HistoryModel;
    recommendations: RecommendationsModel;
    fmt: Format;
  }) => {
    const { history, recommendations, fmt } = props;
    const trans = fmt.trans;
    useSignals(history.stateChanged, recommendations.stateChanged);
    const usage = history.usage;
    if (!usage?.enabled) {
      return null;
    }
    const last = recommendations.last;
    const kept = last?.kept;
    const horizon = last?.horizon;
    // the horizon, when the recommendation read one and it is asked for
    const overHorizon = !!horizon && history.range === 'horizon';
    const shown = overHorizon ? history.horizonUsage : usage;
    return (
      <Section title={trans.__('Usage')} name="usage">
        {horizon ? (
          <div
            className="jp-SmCost-rangeSwitch"
            role="group"
            aria-label={trans.__('Usage chart range')}
          >
            <button
              type="button"
              data-range="window"
              aria-pressed={!overHorizon}
              onClick={() => history.setRange('window')}
            >
              {trans.__('Last %1', fmt.span((usage.window_s ?? 3600) * 1000))}
            </button>
            <button
              type="button"
              data-range="horizon"
              aria-pressed={overHorizon}
              onClick={() => history.setRange('horizon')}
            >
              {trans.__('Horizon: %1', fmt.span(horizon.horizon_s * 1000))}
            </button>
          </div>
        ) : null}
        {shown ? (
          <UsageChart
            history={shown}
            // with a horizon the rules' figures are its busiest hours': drawn
            // over the horizon, not over the last hour they were not read in
            utilization={
              !horizon || overHorizon ? (last?.utilization ?? null) : null
            }
            fmt={fmt}
          />
        ) : (
          <div className="jp-SmCost-detail" role="status">
            {trans.__('Reading the horizon…')}
          </div>
        )}
        {horizon ? (
          <div className="jp-SmCost-detail jp-SmCost-horizon">
            {trans.__(
              'Recommendations read %1 of running time on this type (up to %2)%3.',
              fmt.duration(horizon.covered_s),
              fmt.duration(horizon.horizon_s),
              horizon.since
                ? trans.__(', since %1', fmt.dateTime(horizon.since))
                : ''
            )}{' '}
            {horizon.phases > 1 && horizon.busiest.cpu
              ? trans.__(
                  'Each figure is its busiest hour: CPU from %1.',
                  fmt.dateTime(horizon.busiest.cpu)
                )
              : null}
          </div>
        ) : kept && kept.samples > 0 ? (
          <div className="jp-SmCost-detail">
            {trans._n(
              'The window includes %1 sample kept from before this server started (%2).',
              'The window includes %1 samples kept from before this server started (%2).',
              kept.samples,
              kept.instance_type
            )}
          </div>
        ) : null}
        {last?.reason && !recommendations.current ? (
          <div className="jp-SmCost-detail jp-SmCost-recReason">
            {last.reason_message
              ? messageText(fmt, last.reason_message)
              : last.reason}
          </div>
        ) : null}
      </Section>
    );
  }
);

/** The clock and its screen-reader words: the only part that follows the tick. */
function Countdown(props: { status: StatusModel; idle: IIdle; fmt: Format }) {
  const { status, idle, fmt } = props;
  useSignals(status.ticked);
  const remaining = status.remaining();
  const counting = countsDown(idle);
  const trans = fmt.trans;
  // the screen-reader text changes once a minute, not every second
  const spoken = counting
    ? trans.__('Idle shutdown in %1', fmt.spokenDuration(remaining))
    : fmt.state(idle.state);
  return (
    <>
      <span className="jp-SmCost-clock" role="timer" aria-hidden="true">
        {counting ? fmt.panelClock(remaining, idle.warning_s) : '\u2014'}
      </span>
      <span className="jp-SmCost-srOnly" aria-live="polite" aria-atomic="true">
        {spoken}
      </span>
    </>
  );
}

const IdleSection = React.memo(
  (props: {
    model: StatusModel;
    status: IStatus;
    commands: CommandRegistry;
    fmt: Format;
  }) => {
    const { model, commands, status, fmt } = props;
    const trans = fmt.trans;
    const idle = status.idle;
    const counting = countsDown(idle);
    const shuttingDown = idle.state === 'shutting_down';
    const misconfigured = (status.config_errors ?? []).length > 0;
    return (
      <Section title={trans.__('Idle shutdown')} name="idle">
        <div
          className={`jp-SmCost-countdown jp-SmCost-state-${idle.state}`}
          data-deadline={idle.deadline ?? ''}
          data-state={idle.state}
        >
          <Countdown status={model} idle={idle} fmt={fmt} />
          <span className="jp-SmCost-stateLabel">{fmt.state(idle.state)}</span>
        </div>
        {counting ? (
          <div className="jp-SmCost-detail">
            {trans.__(
              'Stops at %1 if nothing happens (idle timeout %2; warning %3 before).',
              fmt.clock(idle.deadline),
              fmt.duration(idle.timeout_s),
              fmt.duration(idle.warning_s)
            )}
          </div>
        ) : null}
        {idle.dry_run ? (
          <div className="jp-SmCost-detail">
            {trans.__('Dry run: the server only logs what it would shut down.')}
          </div>
        ) : null}
        {idle.reasons.length ? (
          <ul className="jp-SmCost-reasons" aria-label={trans.__('Reasons')}>
            {idleReasons(fmt, idle).map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        ) : null}
        <div className="jp-SmCost-buttons">
          <button
            className="jp-mod-styled jp-mod-accept jp-SmCost-keep"
            disabled={shuttingDown || idle.state === 'disabled'}
            onClick={() => void commands.execute(CommandIDs.keepRunning)}
          >
            {trans.__('Keep running')}
          </button>
          <button
            className="jp-mod-styled jp-mod-warn jp-SmCost-shutdown"
            disabled={
              shuttingDown || misconfigured || !status.environment.can_shutdown
            }
            title={
              misconfigured
                ? trans.__(
                    'Off until the administrator fixes the configuration'
                  )
                : status.environment.can_shutdown
                  ? trans.__('Shut down now (asks first)')
                  : trans.__('This environment cannot be shut down from here')
            }
            onClick={() => void commands.execute(CommandIDs.shutdown)}
          >
            {trans.__('Shut down now')}
          </button>
        </div>
      </Section>
    );
  }
);

function PanelView(props: {
  model: SmCostModel;
  commands: CommandRegistry;
  fmt: Format;
}) {
  const { model, commands, fmt } = props;
  const trans = fmt.trans;
  useSignals(model.status.stateChanged);
  const status = model.status.current;
  const error = model.status.error;
  const configErrors = model.status.configErrors;
  return (
    <div className="jp-SmCost-body">
      <h2 className="jp-SmCost-title">{trans.__('SageMaker cost')}</h2>
      {configErrors.length ? (
        <ConfigErrors errors={configErrors} fmt={fmt} />
      ) : null}
      {error ? (
        <div className="jp-SmCost-message jp-SmCost-message-error" role="alert">
          {error.code === 'not_installed'
            ? trans.__(
                'The smcost server extension is not installed or not enabled on this server.'
              )
            : fmt.error(error)}
        </div>
      ) : null}
      {status ? (
        <>
          <InstanceSection status={status} fmt={fmt} />
          <SpendSection status={status} fmt={fmt} />
          <SpendHistorySection history={model.history} fmt={fmt} />
          <SavedSection ledger={model.ledger} fmt={fmt} />
          <IdleSection
            model={model.status}
            status={status}
            commands={commands}
            fmt={fmt}
          />
          <SettingsSection settings={model.idleSettings} fmt={fmt} />
          <UsageSection
            history={model.history}
            recommendations={model.recommendations}
            fmt={fmt}
          />
          <RecommendationsSection
            recommendations={model.recommendations}
            switcher={model.switcher}
            status={status}
            fmt={fmt}
          />
          <JobsSection jobs={model.jobs} commands={commands} fmt={fmt} />
          <ElsewhereSection elsewhere={model.elsewhere} fmt={fmt} />
        </>
      ) : error ? null : (
        <div className="jp-SmCost-detail">{trans.__('Loading…')}</div>
      )}
    </div>
  );
}

/** The sidebar widget. */
export class SmCostPanel extends ReactWidget {
  constructor(
    private _model: SmCostModel,
    private _commands: CommandRegistry,
    private _fmt: Format = new Format()
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-SmCost');
    this.title.icon = costIcon;
    const trans = _fmt.trans;
    this.title.caption = trans.__('SageMaker cost');
    this.title.label = '';
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._model.recommendations.load();
    this._model.history.show(true);
    this._model.jobs.show(true);
    this._model.elsewhere.show(true);
    this._model.ledger.show(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.history.show(false);
    this._model.jobs.show(false);
    this._model.elsewhere.show(false);
    this._model.ledger.show(false);
  }

  render(): JSX.Element {
    return (
      <PanelView
        model={this._model}
        commands={this._commands}
        fmt={this._fmt}
      />
    );
  }
}
