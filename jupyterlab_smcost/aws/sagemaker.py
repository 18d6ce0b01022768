"""SageMaker helpers shared by the environment adapters and the switcher Lambda.

boto3 only (no jupyter import). Clients come from :mod:`.clients` (standard resolution,
bounded timeouts, botocore's ``standard`` retry mode); on top of it, :func:`call` retries
throttling and the known transient SageMaker errors a bounded number of times with an
injectable ``sleep`` (so tests never sleep, and Stubber-wrapped clients, which bypass
botocore's retries, are covered too).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable
from typing import Any, Optional

import botocore.session
from botocore.exceptions import ClientError

from .errors import THROTTLING_CODES, AwsError, error_code

Sleep = Callable[[float], None]
Clock = Callable[[], float]

ARN_RE = re.compile(r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d*):")

#: ResourceSpec fields that describe the image: copied to the app on the new instance type.
#: (``TrainingPlanArn`` is tied to reserved capacity of one type: never copied.)
IMAGE_FIELDS = (
    "SageMakerImageArn",
    "SageMakerImageVersionArn",
    "SageMakerImageVersionAlias",
    "LifecycleConfigArn",
)

#: Messages of ValidationException / ResourceInUse that mean "not yet, try again": the
#: space's storage is still attached to the previous app, an app of that name is still
#: being deleted or previously failed, the notebook instance is still updating...
TRANSIENT_MESSAGE_RE = re.compile(
    r"not (yet )?(in (an? |the )?)?available"
    r"|(storage|volume|EBS)\b[^.]*\b(not|still)\b"
    r"|previously failed|being deleted|in progress|try again"
    r"|status \(?(pending|stopping|updating|deleting)\b",
    re.IGNORECASE,
)
TRANSIENT_CODES = {
    "ResourceInUse",
    "ConflictException",
    "InternalFailure",
    "ServiceUnavailable",
    "InternalServerError",
    "InternalError",
}


def region_from_arn(arn: Optional[str]) -> Optional[str]:
    """``arn:aws:sagemaker:eu-west-1:123:...`` -> ``eu-west-1`` (None when not an ARN)."""
    if not arn or not isinstance(arn, str):
        return None
    m = ARN_RE.match(arn)
    return m.group("region") if m and m.group("region") else None


def account_from_arn(arn: Optional[str]) -> Optional[str]:
    """``arn:aws:sagemaker:eu-west-1:123:...`` -> ``123`` (None when not an ARN)."""
    m = ARN_RE.match(arn or "") if isinstance(arn, str) else None
    return m.group("account") if m and m.group("account") else None


# -- instance types, from botocore's service model (never a copied list)
@functools.lru_cache(maxsize=1)
def _service_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


@functools.lru_cache(maxsize=1)
def app_instance_types() -> tuple[str, ...]:
    """Instance types a Studio app accepts: the ``AppInstanceType`` enum (``system`` dropped)."""
    enum = _service_model().shape_for("AppInstanceType").enum
    return tuple(t for t in enum if t.startswith("ml."))


@functools.lru_cache(maxsize=1)
def notebook_instance_types() -> tuple[str, ...]:
    """Instance types a notebook instance accepts: CreateNotebookInstance's InstanceType enum."""
    shape = _service_model().operation_model("CreateNotebookInstance").input_shape
    return tuple(t for t in shape.members["InstanceType"].enum if t.startswith("ml."))


@functools.lru_cache(maxsize=1)
def training_instance_types() -> tuple[str, ...]:
    """Instance types a training job accepts: CreateTrainingJob's ResourceConfig enum."""
    shape = _service_model().operation_model("CreateTrainingJob").input_shape
    enum = shape.members["ResourceConfig"].members["InstanceType"].enum
    return tuple(t for t in enum if t.startswith("ml."))


# -- retries
def is_transient(exc: BaseException) -> bool:
    """Throttling, 5xx-like service errors and the known 'not yet' SageMaker validation errors."""
    code = error_code(exc)
    if code is None:
        return False
    if code in THROTTLING_CODES or code in TRANSIENT_CODES:
        return True
    if code == "ValidationException":
        msg = (
            exc.response.get("Error", {}).get("Message", "") if isinstance(exc, ClientError) else ""
        )
        return bool(TRANSIENT_MESSAGE_RE.search(msg or ""))
    return False


def call(
    fn: Callable[..., Any],
    *,
    sleep: Sleep = time.sleep,
    attempts: int = 5,
    base_delay: float = 2.0,
    max_delay: float = 60.0,
    retry_if: Callable[[BaseException], bool] = is_transient,
    **kwargs: Any,
) -> Any:
    """``fn(**kwargs)``, retrying transient errors with exponential backoff (bounded)."""
    for attempt in range(1, attempts + 1):
        try:
            return fn(**kwargs)
        except ClientError as e:
            if attempt == attempts or not retry_if(e):
                raise
            sleep(min(max_delay, base_delay * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")  # pragma: no cover


class WaitTimeout(AwsError):
    """A resource did not reach the expected state in time."""

    def __init__(self, message: str) -> None:
        super().__init__("wait_timeout", message, 503)


def wait_for(
    read: Callable[[], str],
    done: Iterable[str],
    failed: Iterable[str] = (),
    *,
    what: str,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    timeout_s: float = 900.0,
    interval_s: float = 10.0,
    on_status: Optional[Callable[[str], None]] = None,
) -> str:
    """Poll ``read()`` until it returns a status in ``done`` (returned) or ``failed`` (raises)."""
    done, failed = set(done), set(failed)
    start = clock()
    last = None
    while True:
        status = read()
        if status != last and on_status:
            on_status(status)
        last = status
        if status in done:
            return status
        if status in failed:
            raise RuntimeError(f"{what} is {status}")
        if clock() - start >= timeout_s:
            raise WaitTimeout(f"{what} still {status} after {int(timeout_s)} s")
        sleep(interval_s)


# -- apps
def app_ident(
    domain_id: str,
    app_type: str,
    app_name: str,
    user_profile: Optional[str] = None,
    space: Optional[str] = None,
) -> dict[str, str]:
    """The keyword arguments naming one app (describe_app / delete_app / create_app)."""
    ident = {"DomainId": domain_id, "AppType": app_type, "AppName": app_name}
    if space:
        ident["SpaceName"] = space
    elif user_profile:
        ident["UserProfileName"] = user_profile
    return ident


def describe_app_status(sm: Any, ident: dict[str, str], sleep: Sleep = time.sleep) -> str:
    """The app's Status, or ``Deleted`` when SageMaker no longer knows it."""
    try:
        return call(sm.describe_app, sleep=sleep, **ident)["Status"]
    except ClientError as e:
        if error_code(e) in ("ResourceNotFound", "ResourceNotFoundException"):
            return "Deleted"
        raise


def image_spec(resource_spec: Optional[dict[str, Any]]) -> dict[str, str]:
    """The image part of a ResourceSpec (what must stay the same across a switch)."""
    spec = resource_spec or {}
    return {k: spec[k] for k in IMAGE_FIELDS if spec.get(k)}


def dashed(instance_type: str) -> str:
    """``ml.g4dn.xlarge`` -> ``ml-g4dn-xlarge`` (how Studio Classic names KernelGateway apps)."""
    return instance_type.replace(".", "-")
