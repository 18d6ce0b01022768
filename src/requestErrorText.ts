/**
 * The server's refusals of a request (openapi.yaml `Error.code`: the idle
 * settings form's validation, malformed bodies and queries, a configuration
 * the administrator has to fix, billed spend that cannot be asked for) in the
 * user's language, from their params.
 */
import type { Format } from './format';
import { num, Params, str } from './params';

/** The params each sentence needs, by code and rule (`code` or `code:rule`). */
const NEEDS: Record<string, string[]> = {
  'invalid_setting:seconds': ['setting', 'value'],
  'invalid_setting:whole_seconds': ['setting', 'value'],
  'invalid_setting:at_most': ['setting', 'value', 'limit'],
  'invalid_setting:boolean': ['setting', 'value'],
  'invalid_setting:positive': ['setting', 'value'],
  'invalid_setting:not_negative': ['setting', 'value'],
  'invalid_setting:warning_shorter': ['warning_s', 'timeout_s'],
  'invalid_setting:object': [],
  'out_of_bounds:timeout': ['value', 'min', 'max'],
  'out_of_bounds:cannot_turn_off': ['max'],
  unknown_field: ['fields', 'known'],
  unknown_parameter: ['parameters', 'known'],
  'invalid_parameter:boolean': ['parameter', 'value'],
  'invalid_parameter:date_time': ['parameter', 'value'],
  'invalid_parameter:one_of': ['parameter', 'value', 'allowed'],
  'invalid_parameter:step': ['parameter', 'value', 'allowed'],
  'invalid_parameter:since_with_horizon': [],
  'invalid_parameter:repeated': ['parameter'],
  'invalid_json:empty': [],
  'invalid_json:malformed': ['detail'],
  'invalid_json:too_deep': ['depth'],
  body_too_large: ['bytes', 'limit'],
  'misconfigured:shutting_down': ['errors'],
  'misconfigured:switching': ['errors'],
  no_switch: [],
  same_instance_type: ['type'],
  settings_unwritable: ['path', 'detail'],
  live_prices_off: [],
  'billed_unavailable:local': [],
  'billed_unavailable:notebook_instance': [],
  'billed_unavailable:no_tag': ['kind']
};

/** The discriminating param of a code with several sentences. */
const RULE: Record<string, string> = {
  invalid_setting: 'rule',
  out_of_bounds: 'rule',
  invalid_parameter: 'rule',
  invalid_json: 'problem',
  misconfigured: 'what',
  billed_unavailable: 'where'
};

/**
 * A refused request in the UI language, or null for another code or a body
 * without the params its sentence needs (an older server: its own message).
 */
export function requestErrorText(
  fmt: Format,
  code: string,
  params: Params
): string | null {
  const trans = fmt.trans;
  const key = RULE[code] ? `${code}:${str(params, RULE[code])}` : code;
  const needs = NEEDS[key];
  if (!needs || !needs.every(n => params?.[n] !== undefined)) {
    return null;
  }
  const p = (name: string) => str(params, name);
  const seconds = (name: string) => fmt.number(num(params, name), 0);
  switch (code) {
    case 'invalid_setting':
      return invalidSetting(fmt, p('rule'), params);
    case 'out_of_bounds':
      return p('rule') === 'timeout'
        ? trans.__(
            "an idle timeout of %1 seconds is outside the administrator's bounds: from %2 to %3 seconds",
            seconds('value'),
            seconds('min'),
            seconds('max')
          )
        : trans.__(
            'idle shutdown cannot be turned off: the administrator set a maximum idle timeout of %1 seconds',
            seconds('max')
          );
    case 'unknown_field':
      return p('what') === 'setting'
        ? trans.__('unknown setting: %1; known: %2', p('fields'), p('known'))
        : trans.__('unknown field: %1; known: %2', p('fields'), p('known'));
    case 'unknown_parameter':
      return trans.__(
        'unknown parameter: %1; known: %2',
        p('parameters'),
        p('known')
      );
    case 'invalid_parameter':
      switch (p('rule')) {
        case 'boolean':
          return trans.__(
            '%1 must be true or false, got %2',
            p('parameter'),
            p('value')
          );
        case 'date_time':
          return trans.__(
            '%1 must be an RFC 3339 date-time with a time zone, e.g. 2026-11-27T09:00:00Z; got %2',
            p('parameter'),
            p('value')
          );
        case 'one_of':
          return trans.__(
            '%1 must be one of %2, got %3',
            p('parameter'),
            p('allowed'),
            p('value')
          );
        case 'step':
          return trans.__(
            '%1 must be one of %2 (seconds), got %3',
            p('parameter'),
            p('allowed'),
            p('value')
          );
        case 'since_with_horizon':
          return trans.__(
            'since and range=horizon cannot both be given: the horizon says where it starts'
          );
        default:
          return trans.__('%1 is given more than once', p('parameter'));
      }
    case 'invalid_json':
      switch (p('problem')) {
        case 'empty':
          return trans.__('a JSON body is required');
        case 'malformed':
          return trans.__('the body is not valid JSON: %1', p('detail'));
        default:
          return trans.__(
            'the body is not valid JSON for this API: nested more than %1 deep',
            p('depth')
          );
      }
    case 'body_too_large':
      return trans.__(
        'the request body is %1 bytes; at most %2 are accepted',
        fmt.number(num(params, 'bytes'), 0),
        fmt.number(num(params, 'limit'), 0)
      );
    case 'misconfigured':
      // the administrator's configuration errors stay as the server says them
      return p('what') === 'switching'
        ? trans.__(
            'switching is off until the administrator fixes the smcost configuration: %1',
            p('errors')
          )
        : trans.__(
            'shutting down is off until the administrator fixes the smcost configuration: %1',
            p('errors')
          );
    case 'no_switch':
      return trans.__('no switch has been started');
    case 'same_instance_type':
      return trans.__('already running on %1', p('type'));
    case 'settings_unwritable':
      return trans.__(
        'cannot save the idle settings to %1: %2; nothing was changed',
        p('path'),
        p('detail')
      );
    case 'live_prices_off':
      return trans.__('live prices are off (SmCostApp.live_prices)');
    case 'billed_unavailable':
      switch (p('where')) {
        case 'local':
          return trans.__(
            'not on SageMaker: there is no billed resource to ask Cost Explorer about'
          );
        case 'notebook_instance':
          return trans.__(
            "notebook instances carry no AWS-generated cost allocation tag, and Cost Explorer's per-resource data (GetCostAndUsageWithResources) covers only 14 days and must be enabled for the whole account: billed spend is shown for Studio only"
          );
        default:
          return trans.__(
            '%1 resources carry no AWS-generated cost allocation tag to ask Cost Explorer about',
            p('kind')
          );
      }
    default:
      return null;
  }
}

/** An idle setting the form sent that the server refused, by its rule. */
function invalidSetting(fmt: Format, rule: string, params: Params): string {
  const trans = fmt.trans;
  const setting = str(params, 'setting');
  const value = str(params, 'value');
  switch (rule) {
    case 'seconds':
      return trans.__('%1 must be a number of seconds, got %2', setting, value);
    case 'whole_seconds':
      return trans.__(
        '%1 must be a whole number of seconds, got %2',
        setting,
        value
      );
    case 'at_most':
      return trans.__(
        '%1 must be at most %2 seconds (a year), got %3',
        setting,
        fmt.number(num(params, 'limit'), 0),
        value
      );
    case 'boolean':
      return trans.__('%1 must be true or false, got %2', setting, value);
    case 'positive':
      return trans.__('%1 must be positive, got %2', setting, value);
    case 'not_negative':
      return trans.__('%1 must not be negative, got %2', setting, value);
    case 'warning_shorter':
      return trans.__(
        'the warning (%1 seconds) must be shorter than the idle timeout (%2 seconds)',
        fmt.number(num(params, 'warning_s'), 0),
        fmt.number(num(params, 'timeout_s'), 0)
      );
    default:
      return trans.__('the body must be a JSON object of idle settings');
  }
}
