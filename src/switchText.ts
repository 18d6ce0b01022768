/**
 * A switch's steps in the user's language: each step's name, and its detail
 * and the manual step by their codes (openapi.yaml `MessageCode` step.* and
 * manual.*), from their params.
 */
import type { Format } from './format';
import { num, str } from './params';
import { IMessage } from './tokens';

/** A step detail or manual step, or null for another code. */
export function switchText(fmt: Format, m: IMessage): string | null {
  const trans = fmt.trans;
  const p = m.params;
  switch (m.code) {
    case 'step.instance_status':
      return trans.__(
        '%1 is %2 on %3',
        str(p, 'name'),
        str(p, 'status'),
        str(p, 'type')
      );
    case 'step.app_status':
      return trans.__(
        'the %1 app is %2 on %3',
        str(p, 'app_type'),
        str(p, 'status'),
        str(p, 'type')
      );
    case 'step.switcher_accepted':
      return trans.__(
        '%1 accepted the switch to %2',
        str(p, 'function'),
        str(p, 'type')
      );
    case 'step.switcher_restarts_instance':
      return trans.__(
        'the switcher stops %1, changes it to %2 and starts it again (several minutes): this page loses its connection meanwhile',
        str(p, 'name'),
        str(p, 'type')
      );
    case 'step.switcher_recreates_app':
      return trans.__(
        "the switcher deletes this app, sets the space's default type to %1 and creates the app again (a few minutes): this page loses its connection meanwhile",
        str(p, 'type')
      );
    case 'step.see_manual':
      return trans.__('needs the step described below');
    case 'step.space_default':
      return trans.__('%1: default type %2', str(p, 'space'), str(p, 'type'));
    case 'step.no_kernel_app':
      return trans.__('no KernelGateway app is running');
    case 'step.app_on':
      return trans.__('%1 on %2', str(p, 'app'), str(p, 'type'));
    case 'step.app_reused':
      return trans.__(
        '%1 already runs this image on %2',
        str(p, 'app'),
        str(p, 'type')
      );
    case 'step.app_waiting':
      return trans.__('%1: %2', str(p, 'app'), str(p, 'status'));
    case 'step.app_deleted':
      return trans.__('%1 deleted', str(p, 'app'));
    case 'step.app_deleted_later':
      return trans._n(
        '%2 is deleted once its %1 kernel has stopped: restart it on the new instance type',
        '%2 is deleted once its %1 kernels have stopped: restart them on the new instance type',
        num(p, 'count'),
        str(p, 'app')
      );
    case 'manual.notebook_instance':
      return trans.__(
        'This instance cannot resize itself while it runs and no switcher function is configured (SmCostApp.switcher_function). Save your work, then in the SageMaker console stop notebook instance %1, edit its instance type to %2 and start it; or run from AWS CloudShell (region %3): %4',
        str(p, 'name'),
        str(p, 'type'),
        str(p, 'region'),
        str(p, 'command')
      );
    case 'manual.space_choose_type':
      return trans.__(
        'In SageMaker Studio, stop space %1, choose %2 as its instance type and run it again. (No switcher function is configured: SmCostApp.switcher_function.)',
        str(p, 'space'),
        str(p, 'type')
      );
    case 'manual.space_restart':
      return trans.__(
        'Save your work, then in SageMaker Studio stop space %1 and run it again: it starts on %2. (No switcher function is configured to do this for you: SmCostApp.switcher_function.)',
        str(p, 'space'),
        str(p, 'type')
      );
    default:
      return null;
  }
}

/** A switch step's name (openapi.yaml `Switch.steps[].name`), translated. */
export function stepName(fmt: Format, name: string): string {
  const trans = fmt.trans;
  switch (name) {
    case 'describe':
      return trans.__('check the current type');
    case 'find_app':
      return trans.__('find the KernelGateway app');
    case 'stop':
      return trans.__('stop the notebook instance');
    case 'update':
      return trans.__('change its instance type');
    case 'start':
      return trans.__('start it again');
    case 'stop_update_start':
      return trans.__('stop, change type, start');
    case 'delete_app':
      return trans.__('delete the app');
    case 'delete_old_app':
      return trans.__('delete the old app');
    case 'update_space':
      return trans.__("set the space's default type");
    case 'create_app':
      return trans.__('create the app on the new type');
    case 'delete_update_create':
      return trans.__('delete, set the type, create again');
    case 'wait_in_service':
      return trans.__('wait until it is InService');
    case 'invoke_switcher':
      return trans.__('hand over to the switcher function');
    case 'rollback':
      return trans.__('go back to the previous type');
    default:
      return name;
  }
}
