"""One digest for the organisation: the fleet reports the member accounts' functions published
to the central topic (deploy/org-topic.yaml), read from an SQS queue subscribed to it,
grouped by account and region (``jupyter smcost deploy digest``).

Each message is the SNS envelope SQS receives: the report in ``Message`` (JSON, see
:func:`.lambdas.compact`), the account and region in ``MessageAttributes``. The latest report
of each account and region wins (a function that ran twice is counted once).
"""

from __future__ import annotations

import json
from typing import Any

from ..aws.errors import aws_errors
from ..pricing import HOURS_PER_DAY
from ..pricing.quote import money

MAX_RECEIVES = 100  # x 10 messages


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Receive (and delete) what is in the queue: the SNS envelopes."""
    out: list[dict[str, Any]] = []
    with aws_errors(f"read the organisation queue {queue_url}"):
        for _ in range(MAX_RECEIVES):
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not got:
                break
            for m in got:
                out.append(json.loads(m["Body"]))
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
                ],
            )
    return out


def _attr(envelope: dict[str, Any], name: str) -> str:
    return ((envelope.get("MessageAttributes") or {}).get(name) or {}).get("Value") or "unknown"


def org_digest(envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """{"accounts": [{"account", "regions": [{"region", "generated", "domains"}]}], totals}."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    skipped = 0
    for env in envelopes:
        if _attr(env, "kind") != "fleet":
            skipped += 1
            continue
        report = json.loads(env["Message"])
        key = (_attr(env, "account"), _attr(env, "region"))
        if key not in latest or report["generated"] > latest[key]["generated"]:
            latest[key] = report
    accounts: dict[str, list[dict[str, Any]]] = {}
    per_day: dict[str, float] = {}
    running = uncovered = 0
    for (account, region), report in sorted(latest.items()):
        accounts.setdefault(account, []).append(
            {"region": region, "generated": report["generated"], "domains": report["domains"]}
        )
        for d in report["domains"]:
            running += d["running_apps"]
            uncovered += d["uncovered_apps"]
            for t in d["per_instance_type"]:
                per_day[t["currency"]] = per_day.get(t["currency"], 0.0) + t["per_day"]
    return {
        "accounts": [{"account": a, "regions": r} for a, r in accounts.items()],
        "running_apps": running,
        "uncovered_apps": uncovered,
        "per_day": [{"amount": round(v, 2), "currency": c} for c, v in sorted(per_day.items())],
        "skipped_messages": skipped,
    }


def digest_text(doc: dict[str, Any]) -> str:
    lines = [
        f"Organisation: {len(doc['accounts'])} accounts, {doc['running_apps']} running apps, "
        f"{doc['uncovered_apps']} with no idle shutdown, "
        + (
            ", ".join(money(p["amount"], p["currency"]) + "/day" for p in doc["per_day"])
            or "no cost"
        )
        + "."
    ]
    for acct in doc["accounts"]:
        lines.append(f"account {acct['account']}:")
        for reg in acct["regions"]:
            for d in reg["domains"]:
                cost = ", ".join(
                    money(t["per_day"], t["currency"]) for t in _by_currency(d["per_instance_type"])
                )
                lines.append(
                    f"  {reg['region']} {d['domain_id']}: {d['running_apps']} running, "
                    f"{d['uncovered_apps']} without idle shutdown, {cost or 'no cost'}/day"
                )
                for a in d.get("uncovered", [])[:20]:
                    lines.append(
                        f"    no idle shutdown: {a['space']} ({a['instance_type']}, "
                        f"{a['owner'] or 'shared'})"
                    )
    return "\n".join(lines)


def _by_currency(totals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sums: dict[str, float] = {}
    for t in totals:
        sums[t["currency"]] = sums.get(t["currency"], 0.0) + t["per_hour"] * HOURS_PER_DAY
    return [{"per_day": v, "currency": c} for c, v in sums.items()]
