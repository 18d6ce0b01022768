"""Query strings, parsed into typed values at the handler edge (400 ``unknown_parameter`` /
``invalid_parameter`` with a sentence, its ``rule`` and params): :mod:`.requests` does the
same for bodies and re-exports these."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from .errors import bad_input, excerpt


@dataclass(frozen=True)
class HistoryQuery:
    """``GET history``: from when (None: the recommendation window), at which step;
    ``range`` ``horizon``: from where the recommendation's horizon starts instead."""

    since: Optional[datetime]
    step: int
    range: str = "window"


def parse_bool(name: str, raw: Optional[str], default: bool) -> bool:
    """A boolean query parameter (``true`` or ``false``, as openapi.yaml declares)."""
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise bad_input(
            f"{name} must be true or false, got {excerpt(raw)}",
            "invalid_parameter",
            rule="boolean",
            parameter=name,
            value=excerpt(raw),
        )
    return value == "true"


def parse_since(raw: Optional[str]) -> Optional[datetime]:
    """An RFC 3339 date-time with a time zone (``2026-11-27T09:00:00Z``), or None."""
    if raw is None:
        return None
    text = raw.strip().upper()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    leap = re.match(r"^(.{17})60(.*)$", text)  # RFC 3339 allows a leap second: :60
    try:  # no date-time is longer than 64 characters: a longer text is not parsed
        value = (
            datetime.fromisoformat(leap.expand(r"\g<1>59\2") if leap else text)
            if len(text) <= 64
            else None
        )
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or "T" not in text:
        raise bad_input(
            f"since must be an RFC 3339 date-time with a time zone, e.g. "
            f"2026-11-27T09:00:00Z; got {excerpt(raw)}",
            "invalid_parameter",
            rule="date_time",
            parameter="since",
            value=excerpt(raw),
        )
    try:
        value.timestamp()
    except (OverflowError, ValueError, OSError):  # e.g. 0001-01-01T00:00:00+23:59
        value = datetime(1970 if value.year < 5000 else 9999, 1, 1, tzinfo=timezone.utc)
    return value


def parse_step(raw: Optional[str], steps: tuple[int, ...], default: int) -> int:
    """One of ``steps`` (seconds)."""
    if raw is None:
        return default
    text = raw.strip()
    if not text.isdigit() or int(text) not in steps:
        raise bad_input(
            f"step must be one of {', '.join(map(str, steps))} (seconds), got {excerpt(raw)}",
            "invalid_parameter",
            rule="step",
            parameter="step",
            value=excerpt(raw),
            allowed=", ".join(map(str, steps)),
        )
    return int(text)


#: the parameters ``GET history`` takes
HISTORY_PARAMETERS = ("since", "step", "range")
#: ``range``: the usage window (default), or the recommendation's horizon
HISTORY_RANGES = ("window", "horizon")
#: the step of ``range=horizon`` when none is given (its buckets are kept hours)
HORIZON_STEP = 3600


def parse_history_query(
    arguments: Mapping[str, list[bytes]],
    get: Callable[[str], Optional[str]],
    steps: tuple[int, ...],
) -> HistoryQuery:
    """``?since=...&step=...&range=...``: ``arguments`` as tornado holds them (to find unknown and
    repeated names), ``get(name)`` the decoded value (tornado's ``get_query_argument``).
    400 ``unknown_parameter`` / ``invalid_parameter``."""
    args = {
        k: v
        for k, v in arguments.items()
        # JupyterLab's ServerConnection appends a bare timestamp to GETs (cache buster)
        if not (k.isdigit() and v == [b""])
    }
    unknown = sorted(set(args) - set(HISTORY_PARAMETERS))
    if unknown:
        raise bad_input(
            f"unknown parameter(s): {excerpt(', '.join(unknown))}; known: "
            + ", ".join(HISTORY_PARAMETERS),
            "unknown_parameter",
            parameters=excerpt(", ".join(unknown)),
            known=", ".join(HISTORY_PARAMETERS),
        )
    repeated = sorted(k for k, v in args.items() if len(v) > 1)
    if repeated:
        raise bad_input(
            f"{repeated[0]} is given more than once",
            "invalid_parameter",
            rule="repeated",
            parameter=repeated[0],
        )
    span = get("range")
    if span is not None and span not in HISTORY_RANGES:
        raise bad_input(
            f"range must be one of {', '.join(HISTORY_RANGES)}, got {excerpt(span)}",
            "invalid_parameter",
            rule="one_of",
            parameter="range",
            value=excerpt(span),
            allowed=", ".join(HISTORY_RANGES),
        )
    since = parse_since(get("since"))
    if span == "horizon":
        if since is not None:
            raise bad_input(
                "since and range=horizon cannot both be given: the horizon says where it starts",
                "invalid_parameter",
                rule="since_with_horizon",
            )
        default = HORIZON_STEP if HORIZON_STEP in steps else steps[0]
        return HistoryQuery(None, parse_step(get("step"), steps, default), "horizon")
    return HistoryQuery(since, parse_step(get("step"), steps, steps[0]))
