/**
 * The recommendations with their Switch buttons, and the progress of a
 * switch (its steps, its error, the step left for the user): renders
 * RecommendationsModel and SwitchModel, and re-renders only when they (or
 * the status it is given) change.
 */
import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { Section, useSignals } from './components';
import { Format } from './format';
import {
  messageText,
  serverErrorText,
  stepName,
  switchUnavailable
} from './messages';
import { RecommendationsModel } from './recommendations';
import { SwitchModel } from './switch';
import { IRecommendation, IStatus, ISwitchStatus } from './tokens';

/** What is left for the user to do, readable and easy to copy. */
function ManualStep({ text, fmt }: { text: string; fmt: Format }) {
  const trans = fmt.trans;
  const [copied, setCopied] = React.useState(false);
  return (
    <div className="jp-SmCost-manual">
      <div className="jp-SmCost-manualTitle">{trans.__('Still to do:')}</div>
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
        {copied ? trans.__('Copied') : trans.__('Copy')}
      </button>
    </div>
  );
}

/** Words for a switch step's status (the server's word when unknown). */
function stepStatus(status: string, fmt: Format): string {
  const trans = fmt.trans;
  switch (status) {
    case 'done':
      return trans.__('done');
    case 'running':
      return trans.__('running');
    case 'waiting':
      return trans.__('waiting');
    case 'manual':
      return trans.__('manual');
    case 'failed':
      return trans.__('failed');
    default:
      return status;
  }
}

function SwitchProgress({ sw, fmt }: { sw: ISwitchStatus; fmt: Format }) {
  const trans = fmt.trans;
  return (
    <div className="jp-SmCost-switch" data-state={sw.state}>
      <div className="jp-SmCost-switchTitle" role="status">
        {trans.__('Switch to %1:', sw.target)}{' '}
        <span className="jp-SmCost-switchState">
          {fmt.switchState(sw.state)}
        </span>
      </div>
      {sw.steps.length ? (
        <ol className="jp-SmCost-steps">
          {sw.steps.map((step, i) => (
            <li
              key={i}
              className={`jp-SmCost-step jp-SmCost-step-${step.status}`}
              data-step={step.name}
            >
              <span className="jp-SmCost-stepName">
                {stepName(fmt, step.name)}
              </span>{' '}
              <span className="jp-SmCost-badge jp-SmCost-stepStatus">
                {stepStatus(step.status, fmt)}
              </span>
              {step.detail ? (
                <div className="jp-SmCost-detail jp-SmCost-stepDetail">
                  {step.message ? messageText(fmt, step.message) : step.detail}
                </div>
              ) : null}
            </li>
          ))}
        </ol>
      ) : null}
      {sw.error ? (
        <div className="jp-SmCost-message jp-SmCost-message-error">
          {(sw.error_code &&
            serverErrorText(fmt, sw.error_code, sw.error_params)) ??
            sw.error}
        </div>
      ) : null}
      {sw.manual_step ? (
        <ManualStep
          text={
            sw.manual_message
              ? messageText(fmt, sw.manual_message)
              : sw.manual_step
          }
          fmt={fmt}
        />
      ) : null}
    </div>
  );
}

/** "confidence high", in words. */
function confidence(level: string, fmt: Format): string {
  const trans = fmt.trans;
  switch (level) {
    case 'low':
      return trans.__('confidence low');
    case 'medium':
      return trans.__('confidence medium');
    case 'high':
      return trans.__('confidence high');
    default:
      return trans.__('confidence %1', level);
  }
}

export const RecommendationsSection = React.memo(
  (props: {
    recommendations: RecommendationsModel;
    switcher: SwitchModel;
    status: IStatus;
    fmt: Format;
  }) => {
    const { recommendations, switcher, status, fmt } = props;
    const trans = fmt.trans;
    useSignals(recommendations.stateChanged, switcher.stateChanged);
    const items = recommendations.current?.items ?? [];
    const sw = switcher.current;
    const switchError = switcher.error;
    if (!items.length && !sw && !switchError) {
      return null;
    }
    const canSwitch = status.environment.can_switch;
    const misconfigured = (status.config_errors ?? []).length > 0;

    const onSwitch = async (rec: IRecommendation) => {
      const result = await showDialog({
        title: trans.__('Switch to %1?', rec.type),
        body: trans.__(
          'This replaces %1 with %2 (%3). Save your work first: running kernels stop during the switch.',
          status.instance.type ?? trans.__('the current instance'),
          rec.type,
          fmt.rate(rec.price.per_hour, rec.currency)
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.warnButton({ label: trans.__('Switch to %1', rec.type) })
        ]
      });
      if (result.button.accept) {
        // the model keeps the error (shown below) and follows the switch
        await switcher.start(rec.type).catch(() => undefined);
      }
    };

    return (
      <Section title={trans.__('Recommendations')} name="recommendations">
        <ul className="jp-SmCost-recs">
          {items.map(rec => {
            const savings = rec.savings_per_month;
            return (
              <li key={rec.type} className="jp-SmCost-rec">
                <div className="jp-SmCost-row">
                  <strong>{rec.type}</strong>
                  <span>
                    {fmt.rate(rec.price.per_hour, rec.currency)}
                    {rec.price.range
                      ? ` (${fmt.likely(rec.price.range, rec.currency)})`
                      : ''}
                  </span>
                </div>
                <div className="jp-SmCost-detail" title={rec.reason}>
                  {rec.reason_message
                    ? messageText(fmt, rec.reason_message)
                    : rec.reason}
                </div>
                <div className="jp-SmCost-detail">
                  {rec.about_same_price
                    ? trans._p(
                        'savings and confidence',
                        '%1 · %2',
                        trans.__('about the same price'),
                        confidence(rec.confidence, fmt)
                      )
                    : savings === null
                      ? confidence(rec.confidence, fmt)
                      : trans._p(
                          'savings and confidence',
                          '%1 · %2',
                          savings >= 0
                            ? trans.__(
                                'saves %1/month',
                                fmt.money(savings, rec.currency)
                              )
                            : trans.__(
                                'costs %1/month more',
                                fmt.money(-savings, rec.currency)
                              ),
                          confidence(rec.confidence, fmt)
                        )}
                </div>
                {canSwitch ? (
                  <button
                    className="jp-mod-styled jp-SmCost-switchButton"
                    disabled={switcher.busy || misconfigured}
                    title={
                      misconfigured
                        ? trans.__(
                            'Off until the administrator fixes the configuration'
                          )
                        : trans.__(
                            'Switch this environment to %1 (asks first)',
                            rec.type
                          )
                    }
                    aria-label={trans.__('Switch to %1', rec.type)}
                    onClick={() => void onSwitch(rec)}
                  >
                    {trans.__('Switch')}
                  </button>
                ) : null}
              </li>
            );
          })}
        </ul>
        {!canSwitch && status.environment.switch_unavailable_reason ? (
          <div className="jp-SmCost-detail">
            {switchUnavailable(fmt, status.environment)}
          </div>
        ) : null}
        {sw ? <SwitchProgress sw={sw} fmt={fmt} /> : null}
        {switchError ? (
          <div
            className="jp-SmCost-message jp-SmCost-message-error"
            role="alert"
          >
            {fmt.error(switchError)}
          </div>
        ) : null}
      </Section>
    );
  }
);
