/**
 * Server messages in the user's language: each carries a stable `code` and
 * its `params` next to the English `text` (openapi.yaml `MessageCode`); a
 * code this frontend does not know shows the server's text.
 */
import { Format } from './format';
import { IIdle, IMessage } from './tokens';

function param(m: IMessage, name: string): string {
  const v = m.params?.[name];
  return v === undefined || v === null ? '' : String(v);
}

/** What moved the idle clock, translated when it is one the server names. */
function activitySource(fmt: Format, source: string): string {
  const trans = fmt.trans;
  switch (source) {
    case 'server start':
      return trans.__('server start');
    case 'kernel':
      return trans.__('kernel');
    case 'terminal':
      return trans.__('terminal');
    case 'API request':
      return trans.__('API request');
    case 'keep-alive':
      return trans.__('keep-alive');
    case 'browser connection':
      return trans.__('browser connection');
    case 'background work':
      return trans.__('background work');
    default:
      return source;
  }
}

/** One server message as a sentence in the UI language. */
export function messageText(fmt: Format, m: IMessage): string {
  const trans = fmt.trans;
  switch (m.code) {
    case 'idle.shutting_down':
      return trans.__('shutting down');
    case 'idle.off':
      return trans.__('idle shutdown is off');
    case 'idle.off_by_admin':
      return trans.__('the administrator turned idle shutdown off');
    case 'idle.quiet':
      return trans.__(
        'no activity for %1',
        fmt.duration(Number(param(m, 'seconds')))
      );
    case 'idle.last_activity':
      return trans.__(
        'last activity: %1',
        activitySource(fmt, param(m, 'source'))
      );
    case 'busy.kernel':
      return trans.__('kernel busy: %1', param(m, 'name'));
    case 'busy.kernel_starting':
      return trans.__('kernel starting');
    case 'busy.terminal':
      return trans.__(
        'terminal %1 running: %2',
        param(m, 'name'),
        param(m, 'command')
      );
    case 'busy.background':
      return trans.__('background work: %1', param(m, 'detail'));
    case 'busy.background_starting':
      return trans.__('background work starting: %1', param(m, 'detail'));
    case 'busy.switch':
      return trans.__('switching to %1', param(m, 'type'));
    case 'rec.collecting':
      return trans.__(
        'collecting usage: %1 of %2 samples needed (about %3 min more)',
        fmt.number(Number(param(m, 'samples'))),
        fmt.number(Number(param(m, 'needed'))),
        fmt.number(Number(param(m, 'minutes')))
      );
    case 'rec.type_unknown':
      return trans.__('the instance type is not known yet');
    case 'rec.no_specs':
      return trans.__(
        'no vCPU/memory specs are known for %1: nothing to compare',
        param(m, 'type')
      );
    case 'rec.no_measurements':
      return trans.__('no CPU or memory measurements in the window');
    case 'rec.price_unknown':
      return trans.__(
        'the price of %1 is unknown: cannot tell what is cheaper',
        param(m, 'type')
      );
    case 'rec.sampling_off':
      return trans.__('usage sampling is off (set by the administrator)');
    case 'rec.not_measurable':
      return trans.__(
        'the kernels run on other instances than this server: their use cannot be measured from here'
      );
    case 'rec.several_apps':
      return trans.__(
        '%1 apps are billed (%2): no single type',
        fmt.number(Number(param(m, 'count'))),
        param(m, 'types')
      );
    case 'rec.over_provisioned':
      return trans.__(
        'Larger than needed: %1 fits this use with 30% headroom.',
        param(m, 'type')
      );
    case 'rec.gpu_idle':
      return trans.__(
        'The GPU stayed unused: %1 (no GPU) fits with 30% headroom.',
        param(m, 'type')
      );
    case 'rec.under_provisioned':
      return trans.__(
        'Short of CPU or memory: %1 offers more, with headroom.',
        param(m, 'type')
      );
    default:
      return m.text;
  }
}

/** The idle state's reasons, translated (older servers: as sent). */
export function idleReasons(fmt: Format, idle: IIdle): string[] {
  return idle.messages?.length
    ? idle.messages.map(m => messageText(fmt, m))
    : idle.reasons;
}
