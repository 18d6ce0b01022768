"""The scheduled fleet digest (deploy/janitor.yaml's ``ReportFleetFunction``) and the
organisation's digest of them (deploy/org-topic.yaml's ``DigestFunction``,
:func:`organisation_digest`).

Configured by environment variables:

- ``DOMAIN_IDS``: the Studio domains to report, comma-separated (empty: every domain of the
  account in the function's region, from ``ListDomains``);
- ``TOPIC_ARN``: the account's SNS topic the digest goes to (one message per run);
- ``ORG_TOPIC_ARN``: optional central topic of the organisation: the report as JSON, with
  message attributes ``account``, ``region`` and ``kind`` (``fleet``), published
  cross-account through the topic's policy (deploy/org-topic.yaml);
- ``GPU_QUIET_HOURS``: GPU apps with no activity for this long are listed (default 2);
- ``COST_EXPLORER``: ``false`` to leave out what Cost Explorer billed each user profile.

Raises on failure (the invocation fails, the Errors alarm reaches the topic).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from typing import Any, Optional

from ..aws import clients
from ..aws.errors import CommandError, aws_errors
from ..pricing import PriceBook
from .report import FleetReport

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

#: SNS limits: subject 100 characters, message 256 KiB
SUBJECT_MAX = 100
MESSAGE_MAX = 256 * 1024 - 1024


def _client(service: str) -> Any:
    return clients.make_client(
        service, max_attempts=clients.BATCH_MAX_ATTEMPTS, retry_mode="adaptive"
    )


def _client_in(service: str, region: str) -> Any:
    return clients.make_client(
        service, region, max_attempts=clients.BATCH_MAX_ATTEMPTS, retry_mode="adaptive"
    )


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = -1.0
    if value <= 0:
        raise CommandError("invalid_config", f"{name}={raw!r} is not a positive number")
    return value


def domain_ids(sm: Any) -> list[str]:
    listed = os.environ.get("DOMAIN_IDS", "").strip()
    if listed:
        return [d.strip() for d in listed.split(",") if d.strip()]
    out: list[str] = []
    with aws_errors("list the Studio domains"):
        for page in sm.get_paginator("list_domains").paginate():
            out += [d["DomainId"] for d in page.get("Domains", [])]
    return out


def account_of(report_domain_arn: Optional[str], context: Any) -> str:
    """The account: from the invoked function's ARN, else from the domain's ARN."""
    for arn in (getattr(context, "invoked_function_arn", None), report_domain_arn):
        parts = (arn or "").split(":")
        if len(parts) > 4 and parts[4]:
            return parts[4]
    return "unknown"


def digest_text(reports: list[FleetReport]) -> str:
    """The account's digest: per domain its summary, the uncovered apps, the quiet GPUs."""
    if not reports:
        return "No Studio domain in this region."
    lines: list[str] = []
    for r in reports:
        lines.append(r.summary_line())
        for a in r.uncovered[:50]:
            lines.append(
                f"  no idle shutdown: {a.space or a.app_name} ({a.app_type}, "
                f"{a.instance_type}, {a.owner or 'shared'}, {a.price.describe()})"
            )
        for a in r.gpu_quiet[:50]:
            lines.append(f"  quiet GPU: {a.space or a.app_name} ({a.instance_type})")
        if (r.billed or {}).get("note"):
            lines.append("  " + r.billed["note"])
    return "\n".join(lines)[:MESSAGE_MAX]


def report_fleet(event: Optional[dict] = None, context: Any = None) -> dict[str, Any]:
    """Report every listed domain (or every domain of the region) to TOPIC_ARN, and to the
    organisation's ORG_TOPIC_ARN when set."""
    from ..fleet_cli import fleet_report

    topic = os.environ.get("TOPIC_ARN", "").strip()
    org_topic = os.environ.get("ORG_TOPIC_ARN", "").strip()
    quiet = _env_float("GPU_QUIET_HOURS", 2.0)
    billed = os.environ.get("COST_EXPLORER", "true").strip().lower() not in ("false", "0", "no")
    sm = _client("sagemaker")
    ce = _client("ce") if billed else None
    book = PriceBook()
    now = datetime.now(timezone.utc)
    reports = [
        fleet_report(sm, d, book, ce=ce, now=now, gpu_quiet_hours=quiet) for d in domain_ids(sm)
    ]
    region = sm.meta.region_name
    account = account_of(
        next((r.domain_arn for r in reports if r.domain_arn), None) if reports else None, context
    )
    summary: dict[str, Any] = {
        "account": account,
        "region": region,
        "generated": now.isoformat().replace("+00:00", "Z"),
        "domains": [r.to_json() for r in reports],
        "message_id": None,
        "org_message_id": None,
    }
    sns = _client("sns") if topic or org_topic else None
    if topic:
        subject = f"SageMaker fleet {account} {region}: " + (
            f"{sum(len(r.uncovered) for r in reports)} apps without idle shutdown"
        )
        with aws_errors(f"publish the fleet digest to {topic}"):
            summary["message_id"] = sns.publish(
                TopicArn=topic, Subject=subject[:SUBJECT_MAX], Message=digest_text(reports)
            )["MessageId"]
    if org_topic:
        # SNS takes a topic's messages in the topic's own region
        org_region = (org_topic.split(":") + [""] * 4)[3] or None
        org_sns = sns if org_region in (None, region) else _client_in("sns", org_region)
        summary["org_message_id"] = publish_to_org(org_sns, org_topic, account, region, summary)
    log.info(
        "fleet: %d domains, message %s, organisation message %s",
        len(reports),
        summary["message_id"],
        summary["org_message_id"],
    )
    return summary


def compact(summary: dict[str, Any]) -> dict[str, Any]:
    """What the organisation digest needs of an account's report (fits an SNS message)."""
    domains = []
    for d in summary["domains"]:
        domains.append(
            {
                k: d[k]
                for k in (
                    "domain_id",
                    "running_apps",
                    "uncovered_apps",
                    "per_user",
                    "per_instance_type",
                    "gpu_quiet",
                    "truncated",
                )
            }
            | {
                "uncovered": [
                    {k: a[k] for k in ("space", "app_type", "instance_type", "owner", "per_day")}
                    for a in d["apps"]
                    if a["coverage"]["mechanism"] == "none"
                ][:100]
            }
        )
    return {k: summary[k] for k in ("account", "region", "generated")} | {"domains": domains}


def publish_to_org(sns: Any, topic: str, account: str, region: str, summary: dict) -> str:
    body = json.dumps(compact(summary), separators=(",", ":"))
    if len(body) > MESSAGE_MAX:
        raise CommandError("too_large", f"the fleet report is {len(body)} bytes: over SNS's limit")
    with aws_errors(f"publish the fleet report to the organisation topic {topic}"):
        return sns.publish(
            TopicArn=topic,
            Subject=f"SageMaker fleet {account} {region}"[:SUBJECT_MAX],
            Message=body,
            MessageAttributes={
                "account": {"DataType": "String", "StringValue": account},
                "region": {"DataType": "String", "StringValue": region},
                "kind": {"DataType": "String", "StringValue": "fleet"},
            },
        )["MessageId"]


def organisation_digest(event: Optional[dict] = None, context: Any = None) -> dict[str, Any]:
    """deploy/org-topic.yaml's ``DigestFunction``: drain ``QUEUE_URL`` (the queue subscribed
    to the organisation topic) and publish one digest, by account and region, to
    ``DIGEST_TOPIC_ARN``; the digest as JSON. Raises on failure (the Errors alarm reaches the
    digest topic; the reports stay in the queue for the next run)."""
    from .org_digest import run_digest

    queue = os.environ.get("QUEUE_URL", "").strip()
    topic = os.environ.get("DIGEST_TOPIC_ARN", "").strip()
    if not queue or not topic:
        raise CommandError("invalid_config", "QUEUE_URL and DIGEST_TOPIC_ARN must both be set")
    now = datetime.now(timezone.utc)
    doc, _text = run_digest(_client("sqs"), queue, _client("sns"), topic, now)
    log.info(
        "organisation digest: %d messages, %d reports, %d unreadable, message %s",
        doc["received_messages"],
        doc["reports"],
        len(doc["unreadable"]),
        doc["message_id"],
    )
    return doc
