/**
 * The idle settings form: renders IdleSettingsModel (idleSettings.ts) and
 * writes the fields through it; re-renders only when that model changes.
 */
import * as React from 'react';

import { Section, useSignals } from './components';
import { Format } from './format';
import { IdleSettingsModel } from './idleSettings';

export const SettingsSection = React.memo(
  (props: { settings: IdleSettingsModel; fmt: Format }) => {
    const { settings, fmt } = props;
    const trans = fmt.trans;
    useSignals(settings.stateChanged);
    React.useEffect(() => {
      void settings.load();
    }, [settings]);
    const f = settings.fields;
    const outcome = settings.outcome;
    const bounds = settings.loaded?.bounds;
    const hint = bounds
      ? trans.__(
          'Allowed: %1 to %2 (set by the administrator).',
          fmt.duration(bounds.min_timeout_s ?? 0),
          bounds.max_timeout_s
            ? fmt.duration(bounds.max_timeout_s)
            : trans.__('no limit')
        )
      : '';
    const message =
      outcome === null
        ? null
        : outcome.kind === 'saved'
          ? { kind: 'ok', text: trans.__('Saved.') }
          : outcome.kind === 'load-failed'
            ? {
                kind: 'error',
                text: trans.__('Cannot load: %1', fmt.error(outcome.error))
              }
            : { kind: 'error', text: fmt.error(outcome.error) };
    return (
      <Section title={trans.__('Idle settings')} name="settings">
        <form
          className="jp-SmCost-form"
          onSubmit={e => {
            e.preventDefault();
            void settings.save();
          }}
        >
          <label className="jp-SmCost-check">
            <input
              type="checkbox"
              checked={f.enabled}
              onChange={e => settings.update({ enabled: e.target.checked })}
            />
            {trans.__('Shut down when idle')}
          </label>
          <label className="jp-SmCost-field">
            <span>{trans.__('Idle timeout (minutes)')}</span>
            <input
              className="jp-mod-styled jp-SmCost-timeout"
              type="number"
              min="0"
              step="any"
              value={f.minutes}
              aria-describedby="jp-SmCost-timeoutHint"
              onChange={e => settings.update({ minutes: e.target.value })}
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
              checked={f.ignoreConnections}
              onChange={e =>
                settings.update({ ignoreConnections: e.target.checked })
              }
            />
            {trans.__(
              'Ignore open browser connections (an open tab alone does not keep it running)'
            )}
          </label>
          <label className="jp-SmCost-check">
            <input
              type="checkbox"
              checked={f.countTerminals}
              onChange={e =>
                settings.update({ countTerminals: e.target.checked })
              }
            />
            {trans.__('Count programs running in terminals as busy')}
          </label>
          <label className="jp-SmCost-check">
            <input
              type="checkbox"
              checked={f.countBackground}
              onChange={e =>
                settings.update({ countBackground: e.target.checked })
              }
            />
            {trans.__(
              "Count background work as busy (a job left running after its terminal closed, a kernel's own threads, a busy GPU)"
            )}
          </label>
          <div className="jp-SmCost-buttons">
            <button
              type="submit"
              className="jp-mod-styled jp-mod-accept jp-SmCost-save"
              disabled={!settings.canSave}
            >
              {trans.__('Save settings')}
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
);
