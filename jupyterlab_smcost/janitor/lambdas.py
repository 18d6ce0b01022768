"""AWS Lambda handlers of the account janitor (deploy/janitor.yaml schedules them), and the
organisation digest's (``organisation_digest``, deploy/org-topic.yaml; see
``jupyterlab_smcost.fleet.lambdas``).

Configured by environment variables:

- ``NAME_CONTAINS``: notebook instances (required for start/stop) or endpoints (optional)
  whose name contains this string;
- ``HOURS``: the idle window of ``report_idle_endpoints`` (default 24);
- ``TOPIC_ARN``: the SNS topic the idle endpoints are published to (optional);
- ``DRY_RUN``: ``true`` to report what start/stop would do without doing it;
- ``DAYS``: the window of ``report_rightsize_endpoints`` (default 14), ``TAGS``: its
  ``KEY=VALUE`` endpoint filters, comma-separated (optional).

Each handler returns a JSON summary and raises on failure (the invocation fails, the
Lambda ``Errors`` metric counts it): nothing is swallowed.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Optional

from ..aws import clients
from ..aws.errors import CommandError
from ..fleet.lambdas import organisation_digest, report_fleet  # noqa: F401 (the templates' handlers)
from . import endpoints, notebooks, rightsize

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _client(service: str) -> Any:
    return clients.make_client(service, max_attempts=clients.BATCH_MAX_ATTEMPTS)


def _env_bool(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CommandError("invalid_config", f"{name}={value!r} is not true or false")


def _env_hours() -> float:
    raw = os.environ.get("HOURS", "").strip() or "24"
    try:
        hours = float(raw)
    except ValueError:
        hours = 0.0
    if hours <= 0:
        raise CommandError("invalid_config", f"HOURS={raw!r} is not a positive number")
    return hours


def _notebooks(action: str) -> dict[str, Any]:
    name_contains = os.environ.get("NAME_CONTAINS", "").strip()
    dry_run = _env_bool("DRY_RUN")
    report = notebooks.schedule_notebooks(_client("sagemaker"), action, name_contains, dry_run)
    summary = report.to_json()
    log.info("%s notebooks: %s", action, json.dumps(summary))
    failure = report.failure_line()
    if failure:
        raise CommandError("partial_failure", failure)
    return summary


def start_notebooks(event: Optional[dict] = None, context: Any = None) -> dict[str, Any]:
    """Start the Stopped notebook instances whose name contains NAME_CONTAINS."""
    return _notebooks("start")


def stop_notebooks(event: Optional[dict] = None, context: Any = None) -> dict[str, Any]:
    """Stop the InService notebook instances whose name contains NAME_CONTAINS."""
    return _notebooks("stop")


def report_idle_endpoints(event: Optional[dict] = None, context: Any = None) -> dict[str, Any]:
    """Find InService endpoints without invocations in HOURS; publish them to TOPIC_ARN."""
    hours = _env_hours()
    topic = os.environ.get("TOPIC_ARN", "").strip()
    report = endpoints.find_idle_endpoints(
        _client("sagemaker"),
        _client("cloudwatch"),
        hours=hours,
        name_contains=os.environ.get("NAME_CONTAINS", "").strip() or None,
    )
    summary = report.to_json()
    summary["message_id"] = endpoints.notify_idle(_client("sns"), topic, report) if topic else None
    log.info(
        "idle endpoints: %d of %d, $%.2f/day, message %s",
        len(report.idle),
        len(report.endpoints),
        report.idle_per_day,
        summary["message_id"],
    )
    return summary


def _env_days() -> float:
    raw = os.environ.get("DAYS", "").strip() or str(rightsize.DEFAULT_DAYS)
    try:
        days = float(raw)
    except ValueError:
        days = 0.0
    if not 0 < days <= 455:
        raise CommandError("invalid_config", f"DAYS={raw!r} is not a number of days in (0, 455]")
    return days


def report_rightsize_endpoints(event: Optional[dict] = None, context: Any = None) -> dict[str, Any]:
    """Size the InService endpoints over DAYS; publish the recommendations to TOPIC_ARN."""
    days = _env_days()
    tags = [t for t in os.environ.get("TAGS", "").split(",") if t.strip()]
    topic = os.environ.get("TOPIC_ARN", "").strip()
    report = rightsize.find_rightsizing(
        _client("sagemaker"),
        _client("cloudwatch"),
        _client("application-autoscaling"),
        days=days,
        name_contains=os.environ.get("NAME_CONTAINS", "").strip() or None,
        tags=rightsize.parse_tags(tags),
    )
    summary = report.to_json()
    summary["message_id"] = (
        rightsize.notify_rightsize(_client("sns"), topic, report) if topic else None
    )
    log.info(
        "rightsize: %d of %d variants, up to %.2f %s/month, message %s",
        len(report.recommended),
        len(report.items),
        report.savings_per_month,
        report.currency,
        summary["message_id"],
    )
    return summary
