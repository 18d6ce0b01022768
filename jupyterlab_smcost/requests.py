"""Request bodies and query strings (those in :mod:`.queries`, re-exported here), parsed
into typed values at the handler edge.

As jupyter-scheduler's handlers build a ``CreateJob`` from the body before the scheduler sees
it, the handlers here turn what a client sent into one of the frozen dataclasses below (or
answer 400 ``{"error": {"code", "message"}}`` with a sentence saying what is wrong), so the
service takes typed arguments, never raw JSON. What the values mean for the domain (the
administrator's bounds, a warning shorter than the timeout, a type the environment accepts)
is checked once, where that domain lives (``settings.py``, ``switching.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import Any, Optional

from .errors import SmCostError, bad_input, excerpt

# the query strings (queries.py), where the handlers have always found them
from .queries import HISTORY_PARAMETERS as HISTORY_PARAMETERS
from .queries import HISTORY_RANGES as HISTORY_RANGES
from .queries import HORIZON_STEP as HORIZON_STEP
from .queries import HistoryQuery as HistoryQuery
from .queries import parse_bool as parse_bool
from .queries import parse_history_query as parse_history_query
from .queries import parse_since as parse_since
from .queries import parse_step as parse_step

#: request bodies are small JSON objects: anything larger is refused unread
MAX_BODY_BYTES = 64 * 1024
#: deeper JSON than this is not a request body of this API
MAX_JSON_DEPTH = 32
#: no span of seconds a request gives may exceed this (a year): beyond it a deadline can
#: leave the calendar (datetime overflows), and "off" is what such a user means
MAX_SECONDS = 366 * 24 * 3600
#: the longest document path an announcement may name (Linux PATH_MAX)
MAX_PATH = 4096
#: the most documents one shutdown-saves announcement may name
MAX_PATHS = 1000


# -- the typed values
@dataclass(frozen=True)
class IdleSettingsUpdate:
    """``PUT idle`` (and the saved settings file): the settings given; None is unchanged."""

    enabled: Optional[bool] = None
    ignore_connections: Optional[bool] = None
    count_terminals: Optional[bool] = None
    count_background: Optional[bool] = None
    timeout_s: Optional[int] = None
    warning_s: Optional[int] = None

    def changes(self) -> dict[str, Any]:
        """The settings given, by name."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


@dataclass(frozen=True)
class SwitchRequest:
    """``POST switch``: the instance type to switch to (surrounding blanks removed)."""

    instance_type: str


@dataclass(frozen=True)
class ShutdownSaves:
    """``POST idle/shutdown-saves``: the documents the frontend is about to save because a
    shutdown is near."""

    paths: tuple[str, ...]


# -- JSON bodies
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers more than ``limit`` deep (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


def parse_json_body(raw: bytes) -> Any:
    """The request body as JSON: 413 when too large; 400 ``invalid_json`` when empty,
    malformed, non-standard (NaN, Infinity) or nested too deeply."""
    if len(raw) > MAX_BODY_BYTES:
        raise SmCostError(
            "body_too_large",
            f"the request body is {len(raw)} bytes; at most {MAX_BODY_BYTES} are accepted",
            413,
            {"bytes": len(raw), "limit": MAX_BODY_BYTES},
        )
    if not raw.strip():
        raise bad_input("a JSON body is required", "invalid_json", problem="empty")
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as e:
        raise bad_input(
            "the body is not valid JSON: nested too deeply",
            "invalid_json",
            problem="too_deep",
            depth=MAX_JSON_DEPTH,
        ) from e
    except (UnicodeDecodeError, ValueError) as e:
        raise bad_input(
            f"the body is not valid JSON: {str(e)[:80]}",
            "invalid_json",
            problem="malformed",
            detail=str(e)[:80],  # Python's own words
        ) from e
    if _too_deep(value, MAX_JSON_DEPTH):
        raise bad_input(
            f"the body is not valid JSON for this API: nested more than {MAX_JSON_DEPTH} deep",
            "invalid_json",
            problem="too_deep",
            depth=MAX_JSON_DEPTH,
        )
    return value


def refuse_unknown_fields(body: Any, known: tuple[str, ...]) -> None:
    """400 ``unknown_field`` for a field the contract does not define (openapi.yaml says
    ``additionalProperties: false`` on every request body)."""
    if not isinstance(body, dict):
        return
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise bad_input(
            f"unknown field(s): {excerpt(', '.join(unknown))}; known: {', '.join(known)}",
            "unknown_field",
            fields=excerpt(", ".join(unknown)),
            known=", ".join(known),
        )


def excerpt_name(text: str) -> str:
    """A user-given name as it reads in a message: itself when short, else an excerpt."""
    return text if len(text) <= 80 else excerpt(text)


_BOOL_SETTINGS = ("enabled", "ignore_connections", "count_terminals", "count_background")
_SECONDS_SETTINGS = ("timeout_s", "warning_s")
#: the idle settings a body may give, in the order messages list them
IDLE_SETTINGS = _BOOL_SETTINGS + _SECONDS_SETTINGS


def _seconds(name: str, value: Any) -> int:
    # bool is an int subclass in Python: reject it explicitly
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_input(
            f"{name} must be a number of seconds, got {excerpt(value)}",
            "invalid_setting",
            rule="seconds",
            setting=name,
            value=excerpt(value),
        )
    if isinstance(value, float) and not value.is_integer():
        raise bad_input(
            f"{name} must be a whole number of seconds, got {excerpt(value)}",
            "invalid_setting",
            rule="whole_seconds",
            setting=name,
            value=excerpt(value),
        )
    if not -MAX_SECONDS <= value <= MAX_SECONDS:
        raise bad_input(
            f"{name} must be at most {MAX_SECONDS} seconds (a year), got {excerpt(value)}",
            "invalid_setting",
            rule="at_most",
            setting=name,
            value=excerpt(value),
            limit=MAX_SECONDS,
        )
    return int(value)


def parse_idle_update(body: Any) -> IdleSettingsUpdate:
    """A (partial) idle settings object: each field of its type, none unknown (400
    ``invalid_setting`` / ``unknown_field``). Bounds and relations are the settings'."""
    if not isinstance(body, dict):
        raise bad_input(
            "the body must be a JSON object of idle settings", "invalid_setting", rule="object"
        )
    unknown = sorted(set(body) - set(IDLE_SETTINGS))
    if unknown:
        raise bad_input(
            f"unknown setting(s): {excerpt(', '.join(unknown))}; known: "
            + ", ".join(IDLE_SETTINGS),
            "unknown_field",
            fields=excerpt(", ".join(unknown)),
            known=", ".join(IDLE_SETTINGS),
            what="setting",
        )
    given: dict[str, Any] = {}
    for name in _BOOL_SETTINGS:
        if name in body:
            if not isinstance(body[name], bool):
                raise bad_input(
                    f"{name} must be true or false, got {excerpt(body[name])}",
                    "invalid_setting",
                    rule="boolean",
                    setting=name,
                    value=excerpt(body[name]),
                )
            given[name] = body[name]
    for name in _SECONDS_SETTINGS:
        if name in body:
            given[name] = _seconds(name, body[name])
    return IdleSettingsUpdate(**given)


def parse_switch(body: Any) -> SwitchRequest:
    """``{"instance_type": "ml...."}`` (400 ``unknown_field`` / ``invalid_input``)."""
    refuse_unknown_fields(body, ("instance_type",))
    if not isinstance(body, dict) or not isinstance(body.get("instance_type"), str):
        raise bad_input('the body must be {"instance_type": "ml...."}')
    return SwitchRequest(body["instance_type"].strip())


def parse_shutdown_saves(body: Any) -> ShutdownSaves:
    """``{"paths": [...]}``: up to :data:`MAX_PATHS` document paths, each 1 to
    :data:`MAX_PATH` characters, none only slashes (400 ``invalid_paths``)."""
    refuse_unknown_fields(body, ("paths",))
    paths = body.get("paths") if isinstance(body, dict) else None
    if (
        not isinstance(paths, list)
        or len(paths) > MAX_PATHS
        or not all(isinstance(p, str) and len(p) <= MAX_PATH and p.strip("/") for p in paths)
    ):
        raise bad_input(
            f'the body must be {{"paths": [...]}} with up to {MAX_PATHS} document paths '
            f"(each 1 to {MAX_PATH} characters)",
            "invalid_paths",
        )
    return ShutdownSaves(tuple(paths))


# -- jobs (issue 17)
#: the most files or folders ``include`` may name, and the most parameters a notebook takes
MAX_INCLUDE = 100
MAX_PARAMETERS = 100
#: SageMaker's own bound on MaxRuntimeInSeconds for training jobs (28 days)
MAX_JOB_RUNTIME_S = 28 * 24 * 3600
#: training jobs accept at most this many instances here (more is a cluster: not for a notebook)
MAX_JOB_INSTANCES = 20
JOB_FIELDS = (
    "path",
    "instance_type",
    "instance_count",
    "spot",
    "max_runtime_s",
    "max_wait_s",
    "parameters",
    "include",
    "requirements",
)


@dataclass(frozen=True)
class JobRequest:
    """``POST jobs`` (and ``POST jobs/estimate``): a notebook or script under the server root
    to run as a training job. Paths are as given (relative to the root); the jobs service
    resolves and checks them."""

    path: str
    instance_type: str
    instance_count: int = 1
    spot: bool = True
    max_runtime_s: int = 3600
    max_wait_s: Optional[int] = None
    parameters: tuple[tuple[str, Any], ...] = ()
    include: tuple[str, ...] = ()
    requirements: Optional[str] = None


def _job_seconds(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise bad_input(f"{name} must be a whole number of seconds, got {excerpt(value)}")
    if not 1 <= value <= MAX_JOB_RUNTIME_S:
        raise bad_input(
            f"{name} must be from 1 to {MAX_JOB_RUNTIME_S} seconds (28 days, SageMaker's "
            f"limit), got {excerpt(value)}"
        )
    return int(value)


def _job_path(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_PATH or "\0" in value:
        raise bad_input(f"{name} must be a path under the server root, got {excerpt(value)}")
    return value.strip()


def parse_job_request(body: Any) -> JobRequest:
    """The body of ``POST jobs``: each field of its type (400 ``invalid_input`` /
    ``unknown_field``). Whether the files exist, the type is accepted and the sizes are
    within bounds is the jobs service's check (still before anything is uploaded)."""
    refuse_unknown_fields(body, JOB_FIELDS)
    if not isinstance(body, dict):
        raise bad_input("the body must be a JSON object describing the job")
    nulls = sorted(k for k, v in body.items() if v is None)
    if nulls:
        raise bad_input(f"{', '.join(nulls)} must not be null: leave it out for the default")
    path = _job_path("path", body.get("path"))
    itype = body.get("instance_type")
    if not isinstance(itype, str) or not itype.strip():
        raise bad_input(
            f"instance_type must be a type name like ml.g5.xlarge, got {excerpt(itype)}"
        )
    count = body.get("instance_count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_JOB_INSTANCES:
        raise bad_input(
            f"instance_count must be a whole number from 1 to {MAX_JOB_INSTANCES}, got "
            f"{excerpt(count)}"
        )
    spot = body.get("spot", True)
    if not isinstance(spot, bool):
        raise bad_input(f"spot must be true or false, got {excerpt(spot)}")
    runtime = _job_seconds("max_runtime_s", body.get("max_runtime_s", 3600))
    wait = body.get("max_wait_s")
    if wait is not None:
        if not spot:
            raise bad_input(
                "max_wait_s is for Spot jobs only (AWS rejects MaxWaitTimeInSeconds without "
                "managed Spot training): drop it or set spot to true"
            )
        wait = _job_seconds("max_wait_s", wait)
        if wait < runtime:
            raise bad_input(
                f"max_wait_s ({wait}) must be at least max_runtime_s ({runtime}): it is the "
                "run time plus the time spent waiting for Spot capacity"
            )
    params = body.get("parameters") or {}
    if not isinstance(params, dict) or len(params) > MAX_PARAMETERS:
        raise bad_input(
            f"parameters must be an object of at most {MAX_PARAMETERS} papermill parameters"
        )
    for key in params:
        if not key.isidentifier():
            raise bad_input(f"parameter names must be Python identifiers, got {excerpt(key)}")
    include = body.get("include") or []
    if not isinstance(include, list) or len(include) > MAX_INCLUDE:
        raise bad_input(f"include must be a list of at most {MAX_INCLUDE} paths")
    requirements = body.get("requirements")
    return JobRequest(
        path=path,
        instance_type=itype.strip(),
        instance_count=count,
        spot=spot,
        max_runtime_s=runtime,
        max_wait_s=wait,
        parameters=tuple(sorted(params.items())),
        include=tuple(_job_path("include", p) for p in include),
        requirements=None if requirements is None else _job_path("requirements", requirements),
    )


# -- still running elsewhere
#: what SageMaker accepts as space and app names ([a-zA-Z0-9] and hyphens, up to 63)
_STUDIO_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
STOPPABLE_APP_TYPES = ("JupyterLab", "CodeEditor", "KernelGateway", "JupyterServer")


@dataclass(frozen=True)
class ElsewhereStop:
    space_name: str
    app_type: str
    app_name: str


def parse_elsewhere_stop(body: Any) -> ElsewhereStop:
    """``{"space_name", "app_type", "app_name"}`` of one listed app (400 ``invalid_app``)."""
    fields = ("space_name", "app_type", "app_name")
    refuse_unknown_fields(body, fields)
    values = [body.get(f) if isinstance(body, dict) else None for f in fields]
    space, app_type, app_name = values
    if (
        not all(isinstance(v, str) for v in values)
        or not _STUDIO_NAME.match(space)
        or not _STUDIO_NAME.match(app_name)
        or app_type not in STOPPABLE_APP_TYPES
    ):
        raise bad_input(
            'the body must be {"space_name", "app_type", "app_name"}: Studio names '
            f"(letters, digits, hyphens) and an app type of {', '.join(STOPPABLE_APP_TYPES)}",
            "invalid_app",
        )
    return ElsewhereStop(space, app_type, app_name)
