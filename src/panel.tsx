/**
 * The left sidebar panel "SageMaker cost": the administrator's configuration
 * errors, instance and price, spend (with spend per day over 30 days), idle
 * countdown with state and reasons, Keep running / Shut down now, idle
 * settings, usage over the recommendation window and the recommendations
 * with the instance switch (only when the server offers them). It only
 * renders the model: fetching and polling live in model.ts.
 */
import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import {
  CONFIG_ERRORS_NOTICE,
  countsDown,
  describePrice,
  describeSource,
  describeState,
  describeSwitchState,
  formatClock,
  formatCountdown,
  formatDuration,
  formatMoney,
  formatRate,
  formatSpecs,
  formatSpokenDuration
} from './format';
import { SpendChart, UsageChart } from './charts';
import { costIcon } from './icon';
import { SmCostModel } from './model';
import { SmCostError } from './request';
import {
  CommandIDs,
  IIdleSettings,
  IRecommendation,
  IStatus,
  ISwitchStatus,
  PANEL_ID
} from './tokens';

const errorText = (e: unknown): string =>
  e instanceof SmCostError ? e.message : String(e);

/** Re-render when any of the signals fires. */
function useSignals(signals: ISignal<any, any>[]): void {
  const [, setCount] = React.useState(0);
  React.useEffect(() => {
    const bump = () => setCount(n => n + 1);
    signals.forEach(s => s.connect(bump));
    return () => {
      signals.forEach(s => s.disconnect(bump));
    };
  }, signals);
}

interface IProps {
  model: SmCostModel;
  commands: CommandRegistry;
}

function Row(props: { label: string; children: React.ReactNode }) {
  return (
    <div className="jp-SmCost-row">
      <span className="jp-SmCost-label">{props.label}</span>
      <span className="jp-SmCost-value">{props.children}</span>
    </div>
  );
}

function Section(props: {
  title: string;
  name: string;
  children: React.ReactNode;
}) {
  const id = `jp-SmCost-h-${props.name}`;
  return (
    <section
      className={`jp-SmCost-section jp-SmCost-${props.name}`}
      aria-labelledby={id}
    >
      <h3 id={id} className="jp-SmCost-sectionTitle">
        {props.title}
      </h3>
      {props.children}
    </section>
  );
}

function ConfigErrors({ errors }: { errors: string[] }) {
  return (
    <div
      className="jp-SmCost-message jp-SmCost-message-error jp-SmCost-configErrors"
      role="alert"
    >
      <div>{CONFIG_ERRORS_NOTICE}</div>
      <ul>
        {errors.map((e, i) => (
          <li key={i}>{e}</li>
        ))}
      </ul>
    </div>
  );
}

function InstanceSection({ status }: { status: IStatus }) {
  const { instance, price, environment } = status;
  const types = instance.types ?? [];
  return (
    <Section title="Instance" name="instance">
      {environment.label ? (
        <div className="jp-SmCost-envLabel">{environment.label}</div>
      ) : null}
      <Row label="Type">
        <span className="jp-SmCost-instanceType">
          {instance.type ?? 'unknown'}
        </span>
        {types.length > 1 ? ` (+${types.length - 1} more)` : ''}
      </Row>
      <Row label="Specs">{formatSpecs(instance)}</Row>
      <Row label="Price">
        <span className="jp-SmCost-price">{formatRate(price.per_hour)}</span>{' '}
        <span
          className={`jp-SmCost-badge jp-SmCost-badge-${price.source}`}
          title={describePrice(price)}
          aria-label={`Price source: ${describePrice(price)}`}
        >
          {price.source}
        </span>
      </Row>
      <div className="jp-SmCost-detail" title={price.detail ?? ''}>
        {describeSource(price.source)}
        {price.as_of ? `, as of ${price.as_of}` : ''}
        {price.component ? ` · ${price.component}` : ''}
        {environment.region ? ` · ${environment.region}` : ''}
      </div>
      {price.source === 'estimated' && price.detail ? (
        <div className="jp-SmCost-detail jp-SmCost-estimate">
          Estimated from {price.detail}
        </div>
      ) : null}
      {price.source === 'unknown' && price.detail ? (
        <div className="jp-SmCost-detail jp-SmCost-unknownPrice">
          {price.detail}
          {price.fix ? ` To fix: ${price.fix}.` : ''}
        </div>
      ) : null}
    </Section>
  );
}

function SpendSection({ status }: { status: IStatus }) {
  const { cost } = status;
  return (
    <Section title="Spend" name="spend">
      <Row label="Since start">
        <span className="jp-SmCost-spendTotal">
          {formatMoney(cost.since_start)}
        </span>
      </Row>
      {cost.started_at ? (
        <div className="jp-SmCost-detail">
          running since{' '}
          {new Date(cost.started_at).toLocaleString([], {
            month: 'short',
            day: 'numeric',
            hour: '2-digit',
            minute: '2-digit'
          })}
        </div>
      ) : null}
      <Row label="Per day">{formatMoney(cost.projected_per_day)}</Row>
      <Row label="Per month">
        {formatMoney(cost.projected_per_month)}
        <span className="jp-SmCost-asOf"> at this rate</span>
      </Row>
    </Section>
  );
}

/** Spend per day over the last 30 days, from the kept history. */
function SpendHistorySection({ model }: { model: SmCostModel }) {
  const history = model.spendHistory;
  if (!history?.enabled) {
    return null;
  }
  return (
    <Section title="Spend per day" name="spendHistory">
      <SpendChart history={history} />
    </Section>
  );
}

/** CPU, memory and GPU over the recommendation window, beside the recommendations. */
function UsageSection({ model }: { model: SmCostModel }) {
  const history = model.usageHistory;
  if (!history?.enabled) {
    return null;
  }
  const kept = model.utilization?.kept;
  return (
    <Section title="Usage" name="usage">
      <UsageChart
        history={history}
        utilization={model.utilization?.utilization ?? null}
      />
      {kept && kept.samples > 0 ? (
        <div className="jp-SmCost-detail">
          The window includes {kept.samples} samples kept from before this
          server started ({kept.instance_type}).
        </div>
      ) : null}
      {model.utilization?.reason && !model.recommendations ? (
        <div className="jp-SmCost-detail jp-SmCost-recReason">
          {model.utilization.reason}
        </div>
      ) : null}
    </Section>
  );
}

function IdleSection(props: IProps & { status: IStatus }) {
  const { model, commands, status } = props;
  const idle = status.idle;
  const remaining = model.remaining();
  const counting = countsDown(idle);
  // the screen-reader text changes once a minute, not every second
  const spoken = counting
    ? `Idle shutdown in ${formatSpokenDuration(remaining)}`
    : describeState(idle.state);
  const shuttingDown = idle.state === 'shutting_down';
  const misconfigured = model.configErrors.length > 0;
  return (
    <Section title="Idle shutdown" name="idle">
      <div
        className={`jp-SmCost-countdown jp-SmCost-state-${idle.state}`}
        data-deadline={idle.deadline ?? ''}
        data-state={idle.state}
      >
        <span className="jp-SmCost-clock" role="timer" aria-hidden="true">
          {counting ? formatCountdown(remaining) : '\u2014'}
        </span>
        <span
          className="jp-SmCost-srOnly"
          aria-live="polite"
          aria-atomic="true"
        >
          {spoken}
        </span>
        <span className="jp-SmCost-stateLabel">
          {describeState(idle.state)}
        </span>
      </div>
      {counting ? (
        <div className="jp-SmCost-detail">
          Stops at {formatClock(idle.deadline)} if nothing happens (idle timeout{' '}
          {formatDuration(idle.timeout_s)}; warning{' '}
          {formatDuration(idle.warning_s)} before).
        </div>
      ) : null}
      {idle.dry_run ? (
        <div className="jp-SmCost-detail">
          Dry run: the server only logs what it would shut down.
        </div>
      ) : null}
      {idle.reasons.length ? (
        <ul className="jp-SmCost-reasons" aria-label="Reasons">
          {idle.reasons.map((r, i) => (
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
          Keep running
        </button>
        <button
          className="jp-mod-styled jp-mod-warn jp-SmCost-shutdown"
          disabled={
            shuttingDown || misconfigured || !status.environment.can_shutdown
          }
          title={
            misconfigured
              ? 'Off until the administrator fixes the configuration'
              : status.environment.can_shutdown
                ? 'Shut down now (asks first)'
                : 'This environment cannot be shut down from here'
          }
          onClick={() => void commands.execute(CommandIDs.shutdown)}
        >
          Shut down now
        </button>
      </div>
    </Section>
  );
}

function SettingsSection({ model }: { model: SmCostModel }) {
  const [loaded, setLoaded] = React.useState<IIdleSettings | null>(null);
  const [minutes, setMinutes] = React.useState('');
  const [enabled, setEnabled] = React.useState(true);
  const [ignoreConnections, setIgnoreConnections] = React.useState(true);
  const [countTerminals, setCountTerminals] = React.useState(true);
  const [countBackground, setCountBackground] = React.useState(true);
  const [busy, setBusy] = React.useState(false);
  const [message, setMessage] = React.useState<{
    kind: 'error' | 'ok';
    text: string;
  } | null>(null);

  const apply = (s: IIdleSettings) => {
    setLoaded(s);
    setMinutes(String(Math.round((s.timeout_s / 60) * 100) / 100));
    setEnabled(s.enabled);
    setIgnoreConnections(s.ignore_connections);
    setCountTerminals(s.count_terminals);
    setCountBackground(s.count_background);
  };

  React.useEffect(() => {
    model
      .getIdleSettings()
      .then(apply)
      .catch((e: Error) =>
        setMessage({ kind: 'error', text: `Cannot load: ${e.message}` })
      );
  }, [model]);

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    const m = parseFloat(minutes);
    try {
      const saved = await model.saveIdleSettings({
        enabled,
        // an empty or bad field goes to the server as null: its message explains
        timeout_s: Number.isFinite(m) ? Math.round(m * 60) : (null as any),
        ignore_connections: ignoreConnections,
        count_terminals: countTerminals,
        count_background: countBackground
      });
      apply(saved);
      setMessage({ kind: 'ok', text: 'Saved.' });
    } catch (e) {
      // any non-2xx answer (400 bad value, 503 settings not writable, ...)
      setMessage({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const bounds = loaded?.bounds;
  const hint = bounds
    ? `Allowed: ${formatDuration(bounds.min_timeout_s ?? 0)} to ${
        bounds.max_timeout_s ? formatDuration(bounds.max_timeout_s) : 'no limit'
      } (set by the administrator).`
    : '';
  return (
    <Section title="Idle settings" name="settings">
      <form className="jp-SmCost-form" onSubmit={e => void onSubmit(e)}>
        <label className="jp-SmCost-check">
          <input
            type="checkbox"
            checked={enabled}
            onChange={e => setEnabled(e.target.checked)}
          />
          Shut down when idle
        </label>
        <label className="jp-SmCost-field">
          <span>Idle timeout (minutes)</span>
          <input
            className="jp-mod-styled jp-SmCost-timeout"
            type="number"
            min="0"
            step="any"
            value={minutes}
            aria-describedby="jp-SmCost-timeoutHint"
            onChange={e => setMinutes(e.target.value)}
          />
        </label>
        {hint ? (
          <div id="jp-SmCost-timeoutHint" className="jp-SmCost-detail">
            {hint}
          </div>
        ) : null}
        <label className="jp-SmCost-check">
          <input
            type="checkbox"
            checked={ignoreConnections}
            onChange={e => setIgnoreConnections(e.target.checked)}
          />
          Ignore open browser connections (an open tab alone does not keep it
          running)
        </label>
        <label className="jp-SmCost-check">
          <input
            type="checkbox"
            checked={countTerminals}
            onChange={e => setCountTerminals(e.target.checked)}
          />
          Count programs running in terminals as busy
        </label>
        <label className="jp-SmCost-check">
          <input
            type="checkbox"
            checked={countBackground}
            onChange={e => setCountBackground(e.target.checked)}
          />
          Count background work as busy (a job left running after its terminal
          closed, a kernel&apos;s own threads, a busy GPU)
        </label>
        <div className="jp-SmCost-buttons">
          <button
            type="submit"
            className="jp-mod-styled jp-mod-accept jp-SmCost-save"
            disabled={busy || !loaded}
          >
            Save settings
          </button>
        </div>
        {message ? (
          <div
            className={`jp-SmCost-message jp-SmCost-message-${message.kind}`}
            role={message.kind === 'error' ? 'alert' : 'status'}
          >
            {message.text}
          </div>
        ) : null}
      </form>
    </Section>
  );
}

/** What is left for the user to do, readable and easy to copy. */
function ManualStep({ text }: { text: string }) {
  const [copied, setCopied] = React.useState(false);
  return (
    <div className="jp-SmCost-manual">
      <div className="jp-SmCost-manualTitle">Still to do:</div>
      <pre className="jp-SmCost-manualStep" tabIndex={0}>
        {text}
      </pre>
      <button
        className="jp-mod-styled jp-SmCost-copy"
        onClick={() => {
          Clipboard.copyToSystem(text);
          setCopied(true);
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

function SwitchProgress({ sw }: { sw: ISwitchStatus }) {
  return (
    <div className="jp-SmCost-switch" data-state={sw.state}>
      <div className="jp-SmCost-switchTitle" role="status">
        Switch to <strong>{sw.target}</strong>:{' '}
        <span className="jp-SmCost-switchState">
          {describeSwitchState(sw.state)}
        </span>
      </div>
      {sw.steps.length ? (
        <ol className="jp-SmCost-steps">
          {sw.steps.map((step, i) => (
            <li
              key={i}
              className={`jp-SmCost-step jp-SmCost-step-${step.status}`}
            >
              <span className="jp-SmCost-stepName">{step.name}</span>{' '}
              <span className="jp-SmCost-badge jp-SmCost-stepStatus">
                {step.status}
              </span>
              {step.detail ? (
                <div className="jp-SmCost-detail jp-SmCost-stepDetail">
                  {step.detail}
                </div>
              ) : null}
            </li>
          ))}
        </ol>
      ) : null}
      {sw.error ? (
        <div className="jp-SmCost-message jp-SmCost-message-error">
          {sw.error}
        </div>
      ) : null}
      {sw.manual_step ? <ManualStep text={sw.manual_step} /> : null}
    </div>
  );
}

function RecommendationsSection(props: IProps & { status: IStatus }) {
  const { model, status } = props;
  const recs = model.recommendations;
  const sw = model.switchStatus;
  const switchError = model.switchError;
  const items = recs?.items ?? [];
  if (!items.length && !sw && !switchError) {
    return null;
  }
  const canSwitch = status.environment.can_switch;
  const misconfigured = model.configErrors.length > 0;

  const onSwitch = async (rec: IRecommendation) => {
    const result = await showDialog({
      title: `Switch to ${rec.type}?`,
      body:
        `This replaces ${status.instance.type ?? 'the current instance'} ` +
        `with ${rec.type} (${formatRate(rec.price.per_hour)}). ` +
        'Save your work first: running kernels stop during the switch.',
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: `Switch to ${rec.type}` })
      ]
    });
    if (result.button.accept) {
      // the model keeps the error (shown below) and follows the switch
      await model.startSwitch(rec.type).catch(() => undefined);
    }
  };

  return (
    <Section title="Recommendations" name="recommendations">
      <ul className="jp-SmCost-recs">
        {items.map(rec => (
          <li key={rec.type} className="jp-SmCost-rec">
            <div className="jp-SmCost-row">
              <strong>{rec.type}</strong>
              <span>{formatRate(rec.price.per_hour)}</span>
            </div>
            <div className="jp-SmCost-detail">{rec.reason}</div>
            <div className="jp-SmCost-detail">
              {rec.savings_per_month !== null
                ? rec.savings_per_month >= 0
                  ? `saves ${formatMoney(rec.savings_per_month)}/month`
                  : `costs ${formatMoney(-rec.savings_per_month)}/month more`
                : ''}
              {` · confidence ${rec.confidence}`}
            </div>
            {canSwitch ? (
              <button
                className="jp-mod-styled jp-SmCost-switchButton"
                disabled={model.switchBusy || misconfigured}
                title={
                  misconfigured
                    ? 'Off until the administrator fixes the configuration'
                    : `Switch this environment to ${rec.type} (asks first)`
                }
                aria-label={`Switch to ${rec.type}`}
                onClick={() => void onSwitch(rec)}
              >
                Switch
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {!canSwitch && status.environment.switch_unavailable_reason ? (
        <div className="jp-SmCost-detail">
          {status.environment.switch_unavailable_reason}
        </div>
      ) : null}
      {sw ? <SwitchProgress sw={sw} /> : null}
      {switchError ? (
        <div className="jp-SmCost-message jp-SmCost-message-error" role="alert">
          {switchError.message}
        </div>
      ) : null}
    </Section>
  );
}

function PanelView(props: IProps) {
  const { model } = props;
  useSignals([model.changed, model.ticked]);
  const status = model.status;
  const error = model.error;
  return (
    <div className="jp-SmCost-body">
      <h2 className="jp-SmCost-title">SageMaker cost</h2>
      {model.configErrors.length ? (
        <ConfigErrors errors={model.configErrors} />
      ) : null}
      {error ? (
        <div className="jp-SmCost-message jp-SmCost-message-error" role="alert">
          {error.code === 'not_installed'
            ? 'The smcost server extension is not installed or not enabled on this server.'
            : error.message}
        </div>
      ) : null}
      {status ? (
        <>
          <InstanceSection status={status} />
          <SpendSection status={status} />
          <SpendHistorySection model={model} />
          <IdleSection {...props} status={status} />
          <SettingsSection model={model} />
          <UsageSection model={model} />
          <RecommendationsSection {...props} status={status} />
        </>
      ) : error ? null : (
        <div className="jp-SmCost-detail">Loading…</div>
      )}
    </div>
  );
}

/** The sidebar widget. */
export class SmCostPanel extends ReactWidget {
  constructor(
    private _model: SmCostModel,
    private _commands: CommandRegistry
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-SmCost');
    this.title.icon = costIcon;
    this.title.caption = 'SageMaker cost';
    this.title.label = '';
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._model.loadRecommendations();
    this._model.showHistory(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.showHistory(false);
  }

  render(): JSX.Element {
    return <PanelView model={this._model} commands={this._commands} />;
  }
}
