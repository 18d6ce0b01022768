/**
 * What the server was doing when AWS failed (an AWS error's `action`), in the
 * user's language by its code (openapi.yaml `MessageCode` action.*, sent as
 * `action_code` with its params as `action_<param>`); the server's English
 * words for an action without a code.
 */
import type { Format } from './format';
import { Params, str } from './params';

/** The action of an AWS error's params ('' when there is none). */
export function actionText(fmt: Format, params: Params): string {
  const trans = fmt.trans;
  const arg = (name: string) => str(params, `action_${name}`);
  switch (str(params, 'action_code')) {
    case 'action.stop_idle':
      return trans.__('stop this server for idleness');
    case 'action.save_settings':
      return trans.__('save the settings');
    case 'action.write_history':
      return trans.__('write the usage history');
    case 'action.read_history':
      return trans.__('read the usage history');
    case 'action.clean_up_apps':
      return trans.__('clean up replaced apps');
    case 'action.read_instance_type':
      return trans.__('read the instance type');
    case 'action.list_types':
      return trans.__('list the valid instance types');
    case 'action.switch':
      return trans.__('switch to %1', arg('type'));
    case 'action.read_billed':
      return trans.__('read the billed spend');
    case 'action.keep_billed':
      return trans.__('keep the billed spend');
    case 'action.list_elsewhere':
      return trans.__('list what else runs');
    case 'action.stop_app':
      return trans.__('stop %1', arg('name'));
    case 'action.fetch_prices':
      return trans.__('fetch live prices');
    case 'action.fetch_price_table':
      return trans.__(
        'fetch %1 prices for %2 (Price List API)',
        arg('component'),
        arg('region')
      );
    case 'action.read_files':
      return trans.__("read the job's files");
    case 'action.plan_job':
      return trans.__('find where the job runs');
    case 'action.start_job':
      return trans.__('start the training job');
    case 'action.describe_job':
      return trans.__('describe the job');
    case 'action.stop_job':
      return trans.__('stop job %1', arg('name'));
    case 'action.read_aws_config':
      return trans.__('read the AWS configuration');
    case 'action.create_client':
      return trans.__('create the %1 client', arg('service'));
    case 'action.record_switch':
      return trans.__('record a switch in the savings ledger');
    case 'action.update_ledger':
      return trans.__('update the savings ledger');
    case 'action.read_ledger':
      return trans.__('read the savings ledger');
    case 'action.find_space':
      return trans.__('find this space');
    case 'action.list_space_jobs':
      return trans.__("list this space's training jobs");
    default:
      return str(params, 'action');
  }
}
