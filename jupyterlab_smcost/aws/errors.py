"""The package's AWS error type, and botocore exceptions turned into one readable line (with
an HTTP status for the handlers).

Only AWS failures are converted (botocore's ``ClientError`` and ``BotoCoreError``, and
:class:`AwsError` itself): anything else is a bug, and propagates as it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Optional, Union

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from ..errors import SmCostError
from ..messages import Message

#: what was being done when AWS failed: English words, or a :class:`Message` (an
#: ``action.*`` code) the frontend can say in the user's language
Action = Union[str, Message]

#: what the server's pieces are given to run blocking work (``SmCostService.run_blocking``):
#: ``await run(fn, *args, action=..., executor=None)`` runs ``fn`` in a thread pool, AWS
#: failures raised as :class:`AwsError` s that say what was being done (``action``)
RunBlocking = Callable[..., Awaitable[Any]]

THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "SlowDown",
}
ACCESS_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "AuthFailure",
    "AuthorizationError",  # SNS
}
QUOTA_CODES = {"ResourceLimitExceeded", "ServiceQuotaExceededException", "LimitExceededException"}


class AwsError(SmCostError):
    """An AWS failure a person should read: ``code`` (as :func:`describe_aws_error`), a
    one-line ``message`` and the HTTP ``status`` the server answers with (502 unless said).
    The account commands' (:class:`CommandError`), the switcher's and the SageMaker helpers'
    errors all derive from it."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 502,
        params: Optional[dict[str, Union[str, int]]] = None,
    ) -> None:
        # one line, whatever AWS put in it
        super().__init__(code, " ".join(str(message).split()), status, params)


class CommandError(AwsError):
    """An account-level command cannot go on: the janitor's (``jupyter smcost endpoints`` and
    ``notebooks``, their Lambda handlers) or ``jupyter smcost lifecycle``. Bad input or
    configuration, or a partial failure (some resources acted on, some not); the CLI prints
    the message and exits 1, a Lambda handler raises it so that the invocation fails."""


@contextmanager
def aws_errors(action: Action) -> Iterator[None]:
    """Turn botocore failures inside the block into an :class:`AwsError`."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise as_aws_error(exc, action) from exc


def as_aws_error(exc: AwsFailure, action: Action = "") -> AwsError:
    """The :class:`AwsError` that says what ``exc`` means (``exc`` itself if it is one)."""
    if isinstance(exc, AwsError):
        return exc
    return AwsError(*describe_aws_error(exc, action), params=aws_error_params(exc, action))


def aws_error_params(exc: ClientError | BotoCoreError, action: Action = "") -> dict[str, str]:
    """What fills :func:`describe_aws_error`'s sentence (``error.params``): ``action`` (what
    was being done, in English; an ``action.*`` code adds ``action_code`` and its params as
    ``action_<name>``), ``operation`` and ``aws_code`` (AWS's), ``detail`` (AWS's own
    words)."""
    params = {"action": action_text(action)}
    if isinstance(action, Message) and action.code != "text":
        params["action_code"] = action.code
        params |= {f"action_{k}": str(v) for k, v in action.params}
    if isinstance(exc, ClientError):
        params["operation"] = getattr(exc, "operation_name", "") or ""
        params["aws_code"] = error_code(exc) or "Unknown"
        params["detail"] = " ".join(
            str(exc.response.get("Error", {}).get("Message", "") or exc).split()
        )
    else:
        params["detail"] = " ".join(str(exc).split())
    return params


def error_code(exc: BaseException) -> Optional[str]:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def is_throttling(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLING_CODES


#: what :func:`describe_aws_error` turns into a message: nothing else is converted
AWS_ERRORS = (ClientError, BotoCoreError, AwsError)
AwsFailure = ClientError | BotoCoreError | AwsError


def action_text(action: Action) -> str:
    """An action's English words."""
    return action.text if isinstance(action, Message) else action


def describe_aws_error(exc: AwsFailure, action: Action = "") -> tuple[str, str, int]:
    """(code, message, http_status) for an AWS failure, phrased for a person. Raises
    TypeError for anything else: a bug is not an AWS failure."""
    said = action_text(action)
    what = f" while trying to {said}" if said else ""
    if isinstance(exc, AwsError):
        return exc.code, exc.message, exc.status
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return (
            "aws_timeout",
            f"AWS did not answer in time{what} ({exc}); the call gives up after a bounded "
            "number of attempts, try again later.",
            503,
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            "aws_no_credentials",
            f"No AWS credentials were found{what}. Attach a role to the instance or configure "
            "credentials (environment, ~/.aws, or an instance profile).",
            503,
        )
    if isinstance(exc, NoRegionError):
        return ("aws_no_region", f"No AWS region is configured{what} (set AWS_REGION).", 503)
    if isinstance(exc, EndpointConnectionError):
        return ("aws_unreachable", f"Could not reach the AWS endpoint{what}: {exc}", 503)
    if isinstance(exc, ClientError):
        code = error_code(exc) or "Unknown"
        msg = exc.response.get("Error", {}).get("Message", "") or str(exc)
        op = getattr(exc, "operation_name", "") or ""
        if code in ACCESS_CODES and "iam:PassRole" in msg:
            return (
                "aws_pass_role",
                f"AWS denied {op or 'the request'}{what}: this server's role may not pass "
                f"the execution role to SageMaker ({msg}). Allow iam:PassRole on that role "
                "for sagemaker.amazonaws.com (see the IAM page of the documentation).",
                502,
            )
        if code in ACCESS_CODES:
            return (
                "aws_access_denied",
                f"AWS denied {op or 'the request'}{what}: {msg}. The role needs permission "
                "for this action (see the IAM page of the documentation).",
                502,
            )
        if code in THROTTLING_CODES:
            return (
                "aws_throttled",
                f"AWS throttled {op or 'the request'}{what}; it will be retried later.",
                503,
            )
        if code in QUOTA_CODES:
            return (
                "aws_quota",
                f"AWS quota reached{what}: {msg}. Ask for a quota increase "
                "in Service Quotas or pick another instance type.",
                502,
            )
        if code in ("ValidationException", "ResourceNotFound", "ResourceInUse"):
            return ("aws_rejected", f"AWS rejected {op or 'the request'}{what}: {msg}", 502)
        return ("aws_error", f"AWS error {code} in {op or 'a request'}{what}: {msg}", 502)
    if isinstance(exc, BotoCoreError):
        return ("aws_error", f"AWS client error{what}: {exc}", 502)
    raise TypeError(f"not an AWS error: {type(exc).__name__}")
