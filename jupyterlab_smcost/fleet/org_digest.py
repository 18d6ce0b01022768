"""One digest for the organisation: the fleet reports the member accounts' functions published
to the central topic (deploy/org-topic.yaml), read from the SQS queue subscribed to it,
grouped by account and region. Run by the template's ``DigestFunction`` on a schedule
(:func:`.lambdas.organisation_digest`) and by ``jupyter smcost deploy digest``.

Each message is the SNS envelope SQS receives (the subscription is not raw): the report in
``Message`` (JSON, see :func:`.lambdas.compact`), the account, region and kind in
``MessageAttributes``. The latest report of each account and region wins (a function that ran
twice is counted once). A message that cannot be read is listed in the digest, never fatal.

The messages are deleted only once the digest is out: a run that fails leaves them in the
queue, received again by the next run (after three receives the queue's redrive policy moves
them to the dead-letter queue).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Optional

from ..aws.errors import CommandError, aws_errors
from ..pricing import HOURS_PER_DAY
from ..pricing.quote import money

MAX_RECEIVES = 100  # x 10 messages a run
#: a received message stays invisible this long (the Lambda maximum): a run sees each once
VISIBILITY_S = 900
#: long polling (asks every SQS host): an empty answer means the queue is empty
WAIT_S = 1
#: SNS limits: subject 100 characters, message 256 KiB
SUBJECT_MAX = 100
MESSAGE_MAX = 256 * 1024 - 1024
EXCERPT = 200
UNCOVERED_LISTED = 20


def receive_all(sqs: Any, queue_url: str) -> tuple[list[dict[str, Any]], bool]:
    """The messages waiting in the queue (not deleted) and whether more wait than one run
    takes (MAX_RECEIVES x 10)."""
    out: list[dict[str, Any]] = []
    with aws_errors(f"read the organisation queue {queue_url}"):
        for _ in range(MAX_RECEIVES):
            got = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=VISIBILITY_S,
                WaitTimeSeconds=WAIT_S,
            ).get("Messages", [])
            if not got:
                return out, False
            out += got
    return out, True


def delete(sqs: Any, queue_url: str, messages: list[dict[str, Any]]) -> None:
    """Delete the messages of a digest that is out; raises when SQS refused some."""
    failed: list[str] = []
    with aws_errors(f"delete the digested messages from {queue_url}"):
        for start in range(0, len(messages), 10):
            batch = messages[start : start + 10]
            answer = sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )
            failed += [f.get("Message") or f.get("Code", "?") for f in answer.get("Failed", [])]
    if failed:
        raise CommandError(
            "delete_failed",
            f"The digest is out, but {len(failed)} of its {len(messages)} messages could not "
            f"be deleted from {queue_url} ({failed[0]}): the next digest reads them again.",
        )


def _attr(envelope: dict[str, Any], name: str) -> Optional[str]:
    attrs = envelope.get("MessageAttributes")
    attr = attrs.get(name) if isinstance(attrs, dict) else None
    value = attr.get("Value") if isinstance(attr, dict) else None
    return value if isinstance(value, str) and value else None


def _problem(report: Any) -> Optional[str]:
    """Why ``report`` is not a fleet report :func:`org_digest` can use (None: it is)."""
    if not isinstance(report, dict):
        return "the report is not a JSON object"
    if not isinstance(report.get("generated"), str):
        return "the report has no 'generated' time"
    domains = report.get("domains")
    if not isinstance(domains, list):
        return "the report has no 'domains' list"
    for d in domains:
        if not isinstance(d, dict) or not isinstance(d.get("domain_id"), str):
            return "a domain of the report has no 'domain_id'"
        for key in ("running_apps", "uncovered_apps"):
            if not isinstance(d.get(key), int):
                return f"domain {d['domain_id']}: '{key}' is not a number"
        types = d.get("per_instance_type")
        if not isinstance(types, list) or not all(
            isinstance(t, dict)
            and isinstance(t.get("currency"), str)
            and all(isinstance(t.get(k), int | float) for k in ("per_hour", "per_day"))
            for t in types
        ):
            return f"domain {d['domain_id']}: 'per_instance_type' is not a list of costs"
        listed = d.get("uncovered", [])
        if not isinstance(listed, list) or not all(isinstance(a, dict) for a in listed):
            return f"domain {d['domain_id']}: 'uncovered' is not a list of apps"
    return None


def _read(message: dict[str, Any]) -> tuple[Optional[dict], dict[str, Any]]:
    """(envelope, report) of an SQS message; report is {"problem": ...} when unreadable,
    {"kind": ...} when it is not a fleet report."""
    body = message.get("Body", "")
    try:
        env = json.loads(body)
    except (TypeError, ValueError):
        return None, {"problem": "the message is not JSON (not an SNS notification)"}
    if not isinstance(env, dict) or not isinstance(env.get("Message"), str):
        return None, {"problem": "the message is not an SNS notification (no 'Message')"}
    kind = _attr(env, "kind")
    if kind != "fleet":
        return env, {"kind": kind}
    try:
        report = json.loads(env["Message"])
    except ValueError:
        return env, {"problem": "the report is not JSON"}
    problem = _problem(report)
    return env, ({"problem": problem} if problem else {"report": report})


def org_digest(messages: list[dict[str, Any]], now: Optional[datetime] = None) -> dict[str, Any]:
    """The digest of the SQS messages: {"accounts": [{"account", "regions": [{"region",
    "generated", "domains"}]}], totals, "unreadable": [...], "skipped_messages"}."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    unreadable: list[dict[str, Any]] = []
    skipped = 0
    for m in messages:
        env, got = _read(m)
        account = (_attr(env, "account") if env else None) or "unknown"
        region = (_attr(env, "region") if env else None) or "unknown"
        if "problem" in got:
            unreadable.append(
                {
                    "message_id": (env or {}).get("MessageId") or m.get("MessageId"),
                    "account": account,
                    "region": region,
                    "problem": got["problem"],
                    "excerpt": str(m.get("Body", ""))[:EXCERPT],
                }
            )
            continue
        if "kind" in got:
            skipped += 1
            continue
        report = got["report"]
        key = (account, region)
        if key not in latest or report["generated"] > latest[key]["generated"]:
            latest[key] = report
    accounts: dict[str, list[dict[str, Any]]] = {}
    per_day: dict[str, float] = {}
    running = uncovered = unpriced = 0
    for (account, region), report in sorted(latest.items()):
        accounts.setdefault(account, []).append(
            {"region": region, "generated": report["generated"], "domains": report["domains"]}
        )
        for d in report["domains"]:
            running += d["running_apps"]
            uncovered += d["uncovered_apps"]
            for t in d["per_instance_type"]:
                per_day[t["currency"]] = per_day.get(t["currency"], 0.0) + t["per_day"]
                unpriced += t.get("unpriced") or 0
    return {
        "generated": now.isoformat().replace("+00:00", "Z") if now else None,
        "received_messages": len(messages),
        "reports": len(latest),
        "accounts": [{"account": a, "regions": r} for a, r in accounts.items()],
        "running_apps": running,
        "uncovered_apps": uncovered,
        "per_day": [{"amount": round(v, 2), "currency": c} for c, v in sorted(per_day.items())],
        "unpriced_apps": unpriced,
        "unreadable": unreadable,
        "skipped_messages": skipped,
    }


def subject(doc: dict[str, Any]) -> str:
    """The digest's SNS subject (at most 100 characters)."""
    if not doc["accounts"]:
        text = "SageMaker fleet, organisation: no report arrived"
    else:
        text = (
            f"SageMaker fleet, organisation: {len(doc['accounts'])} accounts, "
            f"{doc['uncovered_apps']} apps without idle shutdown"
        )
    return text[:SUBJECT_MAX]


def digest_text(doc: dict[str, Any]) -> str:
    """The digest as a message: the totals, then each account, region and domain; the
    messages that could not be read at the end. At most SNS's message size."""
    if not doc["accounts"]:
        lines = [
            "Organisation: no fleet report arrived since the last digest. Check the member "
            "stacks' ReportFleetFunction (its Errors alarm and logs) and the StackSet's "
            "instances."
        ]
    else:
        lines = [
            f"Organisation: {len(doc['accounts'])} accounts, {doc['reports']} account-regions, "
            f"{doc['running_apps']} running apps, {doc['uncovered_apps']} with no idle "
            "shutdown, "
            + (
                ", ".join(money(p["amount"], p["currency"]) + "/day" for p in doc["per_day"])
                or "no cost"
            )
            + (
                f" ({doc['unpriced_apps']} apps of unknown price not counted)"
                if doc["unpriced_apps"]
                else ""
            )
            + "."
        ]
    for acct in doc["accounts"]:
        lines.append(f"account {acct['account']}:")
        for reg in acct["regions"]:
            if not reg["domains"]:
                lines.append(f"  {reg['region']}: no Studio domain (report {reg['generated']})")
            for d in reg["domains"]:
                cost = ", ".join(
                    money(t["per_day"], t["currency"]) for t in _by_currency(d["per_instance_type"])
                )
                unpriced = sum(t.get("unpriced") or 0 for t in d["per_instance_type"])
                lines.append(
                    f"  {reg['region']} {d['domain_id']}: {d['running_apps']} running, "
                    f"{d['uncovered_apps']} without idle shutdown, {cost or 'no cost'}/day"
                    + (f" ({unpriced} apps of unknown price not counted)" if unpriced else "")
                )
                listed = d.get("uncovered", [])
                for a in listed[:UNCOVERED_LISTED]:
                    lines.append(
                        f"    no idle shutdown: {a.get('space')} ({a.get('instance_type')}, "
                        f"{a.get('owner') or 'shared'})"
                    )
                if d["uncovered_apps"] > min(len(listed), UNCOVERED_LISTED):
                    more = d["uncovered_apps"] - min(len(listed), UNCOVERED_LISTED)
                    lines.append(f"    and {more} more without idle shutdown")
    if doc["accounts"]:
        lines.append(
            "Cost per day: the running apps' hourly prices x 24 as each member's report priced "
            "them; each account's own digest gives every app's price and its source."
        )
    if doc["unreadable"]:
        lines.append(f"{len(doc['unreadable'])} messages could not be read (deleted):")
        for u in doc["unreadable"]:
            lines.append(
                f"  {u['message_id'] or '?'} from account {u['account']} {u['region']}: "
                f"{u['problem']}: {u['excerpt'][:80]!r}"
            )
    if doc["skipped_messages"]:
        lines.append(f"{doc['skipped_messages']} messages that are not fleet reports: dropped.")
    if doc.get("more_waiting"):
        lines.append(
            f"More than {MAX_RECEIVES * 10} messages were waiting: the rest go to the next digest."
        )
    return _fit("\n".join(lines))


def _fit(text: str) -> str:
    if len(text.encode()) <= MESSAGE_MAX:
        return text
    cut = text.encode()[: MESSAGE_MAX - 200].decode(errors="ignore").rsplit("\n", 1)[0]
    left = text.count("\n") - cut.count("\n")
    return cut + f"\n... {left} more lines: over SNS's message size (--json has them all)."


def _by_currency(totals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sums: dict[str, float] = {}
    for t in totals:
        sums[t["currency"]] = sums.get(t["currency"], 0.0) + t["per_hour"] * HOURS_PER_DAY
    return [{"per_day": v, "currency": c} for c, v in sums.items()]


def run_digest(
    sqs: Any,
    queue_url: str,
    sns: Any = None,
    topic_arn: Optional[str] = None,
    now: Optional[datetime] = None,
) -> tuple[dict[str, Any], str]:
    """Receive the queue, make the digest, publish it to ``topic_arn`` (when given), then
    delete what was received; (the digest, its text). An empty queue still gives a digest
    (saying no report arrived): silence would look the same as every member failing."""
    messages, more = receive_all(sqs, queue_url)
    doc = org_digest(messages, now)
    doc["more_waiting"] = more
    text = digest_text(doc)
    doc["message_id"] = None
    if topic_arn:
        with aws_errors(f"publish the organisation digest to {topic_arn}"):
            doc["message_id"] = sns.publish(TopicArn=topic_arn, Subject=subject(doc), Message=text)[
                "MessageId"
            ]
    delete(sqs, queue_url, messages)
    return doc, text
