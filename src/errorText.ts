/**
 * Server errors (openapi.yaml `Error.code`) in the user's language, from
 * their params.
 */
import { actionText } from './actionText';
import type { Format } from './format';
import { Params, str } from './params';
import { requestErrorText } from './requestErrorText';

/** Why jobs cannot run in local mode. */
export function localJobs(fmt: Format): string {
  const trans = fmt.trans;
  return trans.__(
    'Not on SageMaker: there is no AWS role or image to run a training job with. Open this notebook in SageMaker Studio or on a notebook instance, or set SmCostApp.job_role_arn (with AWS credentials) to run jobs from here.'
  );
}

/** The params each error's sentence needs (openapi.yaml `Error.code`). */
const ERROR_PARAMS: Record<string, string[]> = {
  aws_access_denied: ['action', 'detail'],
  aws_pass_role: ['action', 'detail'],
  aws_throttled: ['action'],
  aws_quota: ['action', 'detail'],
  aws_rejected: ['action', 'detail'],
  aws_timeout: ['action'],
  aws_unreachable: ['action', 'detail'],
  aws_error: ['action', 'detail'],
  aws_no_credentials: ['action'],
  aws_no_region: ['action'],
  switch_in_progress: ['type'],
  invalid_instance_type: ['type', 'kind'],
  instance_type_not_allowed: ['type', 'allowed'],
  job_not_found: ['name'],
  job_ended: ['name'],
  path_outside_root: ['path'],
  path_missing: ['path'],
  invalid_path: ['path'],
  not_stoppable: ['name']
};

/**
 * A server error (openapi.yaml `Error.code`: AWS failures, and the switch and
 * shutdown refusals a user meets) in the UI language, or null for another
 * code (the caller shows the server's message).
 */
export function serverErrorText(
  fmt: Format,
  code: string,
  params: Params
): string | null {
  const trans = fmt.trans;
  if (
    code === 'aws_access_denied' &&
    params?.permission !== undefined &&
    params?.name !== undefined
  ) {
    // a Studio app of the "still running elsewhere" list the role may not stop
    return trans.__(
      'the role may not stop %1: it needs %2',
      str(params, 'name'),
      str(params, 'permission')
    );
  }
  // a body without the params its sentence needs (an older server): its own message
  const needs = ERROR_PARAMS[code];
  if (needs && !needs.every(n => params?.[n] !== undefined)) {
    return null;
  }
  // what the server was doing: by its code when it sends one, else its English words
  const action = actionText(fmt, params);
  const op = str(params, 'operation') || trans.__('the request');
  const detail = str(params, 'detail');
  const during = (s: string, withAction: string) => (action ? withAction : s);
  switch (code) {
    case 'aws_access_denied':
      return during(
        trans.__(
          'AWS denied %1: %2. The role needs permission for this action (see the IAM page of the documentation).',
          op,
          detail
        ),
        trans.__(
          'AWS denied %1 while trying to %2: %3. The role needs permission for this action (see the IAM page of the documentation).',
          op,
          action,
          detail
        )
      );
    case 'aws_pass_role':
      return during(
        trans.__(
          "AWS denied %1: this server's role may not pass the execution role to SageMaker (%2). Allow iam:PassRole on that role for sagemaker.amazonaws.com (see the IAM page of the documentation).",
          op,
          detail
        ),
        trans.__(
          "AWS denied %1 while trying to %2: this server's role may not pass the execution role to SageMaker (%3). Allow iam:PassRole on that role for sagemaker.amazonaws.com (see the IAM page of the documentation).",
          op,
          action,
          detail
        )
      );
    case 'aws_throttled':
      return during(
        trans.__('AWS throttled %1; it will be retried later.', op),
        trans.__(
          'AWS throttled %1 while trying to %2; it will be retried later.',
          op,
          action
        )
      );
    case 'aws_quota':
      return during(
        trans.__(
          'AWS quota reached: %1. Ask for a quota increase in Service Quotas or pick another instance type.',
          detail
        ),
        trans.__(
          'AWS quota reached while trying to %1: %2. Ask for a quota increase in Service Quotas or pick another instance type.',
          action,
          detail
        )
      );
    case 'aws_rejected':
      return during(
        trans.__('AWS rejected %1: %2', op, detail),
        trans.__('AWS rejected %1 while trying to %2: %3', op, action, detail)
      );
    case 'aws_timeout':
      return during(
        trans.__(
          'AWS did not answer in time; the call gives up after a bounded number of attempts, try again later.'
        ),
        trans.__(
          'AWS did not answer in time while trying to %1; the call gives up after a bounded number of attempts, try again later.',
          action
        )
      );
    case 'aws_no_credentials':
      return trans.__(
        'No AWS credentials were found. Attach a role to the instance or configure credentials (environment, ~/.aws, or an instance profile).'
      );
    case 'aws_no_region':
      return trans.__('No AWS region is configured (set AWS_REGION).');
    case 'aws_unreachable':
      return trans.__('Could not reach the AWS endpoint: %1', detail);
    case 'aws_error':
      return trans.__(
        'AWS error %1 in %2: %3',
        str(params, 'aws_code'),
        op,
        detail
      );
    case 'internal_error':
      return trans.__('internal error: see the server log');
    case 'switch_in_progress':
      return trans.__(
        'a switch to %1 is already in progress',
        str(params, 'type')
      );
    case 'invalid_instance_type':
      return trans.__(
        '%1 is not an instance type this environment (%2) accepts',
        str(params, 'type'),
        str(params, 'kind')
      );
    case 'instance_type_not_allowed':
      return trans.__(
        '%1 is not allowed here; allowed: %2',
        str(params, 'type'),
        str(params, 'allowed')
      );
    case 'shutting_down':
      return trans.__('a shutdown is in progress');
    case 'already_shutting_down':
      return trans.__('a shutdown is already in progress');
    case 'shutdown_unavailable':
      return trans.__('this environment cannot be shut down from here');
    case 'jobs_unavailable':
      if (str(params, 'where') === 'local') {
        return localJobs(fmt);
      }
      if (str(params, 'missing') === 'role') {
        return trans.__(
          'no execution role is known for jobs here: set SmCostApp.job_role_arn'
        );
      }
      if (str(params, 'missing') === 'image') {
        return trans.__(
          'no SageMaker Distribution image is published for %1: set SmCostApp.job_image to an ECR image URI',
          str(params, 'region')
        );
      }
      return null;
    case 'job_not_found':
      return trans.__('no job %1 was started from here', str(params, 'name'));
    case 'job_ended':
      return trans.__('job %1 has already ended', str(params, 'name'));
    case 'path_outside_root':
      return trans.__('%1 is outside the server root', str(params, 'path'));
    case 'path_missing':
      return trans.__(
        '%1 does not exist under the server root',
        str(params, 'path')
      );
    case 'invalid_path':
      return trans.__(
        '%1 must be a notebook (.ipynb) or a Python script (.py)',
        str(params, 'path')
      );
    case 'not_stoppable':
      return trans.__('%1 cannot be stopped from here', str(params, 'name'));
    default:
      return requestErrorText(fmt, code, params);
  }
}
