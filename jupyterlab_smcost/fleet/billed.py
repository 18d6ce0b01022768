"""What Cost Explorer billed each user profile of a domain in the last 30 days.

Studio tags the apps it runs with ``sagemaker:user-profile-arn`` (a user's own apps) or
``sagemaker:space-arn`` (apps in a space); once an administrator activates these AWS-generated
cost allocation tags, ``GetCostAndUsage`` grouped by either tag gives billed amounts. A space's
amount goes to its owner. Two requests ($0.01 each). Without the permission, or with Cost
Explorer off, the report carries one sentence instead (never an error of the whole report).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Optional

from botocore.exceptions import BotoCoreError, ClientError

from ..aws.costs import METRIC, SPACE_TAG, USER_PROFILE_TAG
from ..aws.errors import ACCESS_CODES, error_code

DAYS = 30
MAX_PAGES = 20


def grouped_request(tag: str, start: date, end: date) -> dict[str, Any]:
    """``GetCostAndUsage`` parameters: unblended cost per value of ``tag``, one period."""
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "MONTHLY",
        "Metrics": [METRIC],
        "GroupBy": [{"Type": "TAG", "Key": tag}],
    }


def _by_tag(ce: Any, tag: str, start: date, end: date) -> dict[str, tuple[float, str]]:
    """tag value -> (amount, unit), summed over the periods of the answer."""
    params = grouped_request(tag, start, end)
    out: dict[str, tuple[float, str]] = {}
    for _ in range(MAX_PAGES):
        resp = ce.get_cost_and_usage(**params)
        for period in resp.get("ResultsByTime", []):
            for group in period.get("Groups", []):
                value = (group.get("Keys") or [""])[0].split("$", 1)[-1]
                metric = (group.get("Metrics") or {}).get(METRIC) or {}
                amount, unit = out.get(value, (0.0, metric.get("Unit", "USD")))
                out[value] = (amount + float(metric.get("Amount") or 0.0), unit)
        token = resp.get("NextPageToken")
        if not token:
            break
        params = {**params, "NextPageToken": token}
    return out


def billed_per_user(
    ce: Any, domain_id: str, space_owners: dict[str, Optional[str]], today: date
) -> dict[str, Any]:
    """``{"users": [{"user_profile", "amount", "currency"}], "start", "end", "note"}`` for the
    last :data:`DAYS` days; ``note`` says why there are no figures (permission, tags)."""
    start, end = today - timedelta(days=DAYS), today
    doc: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat(), "users": []}
    try:
        users = _by_tag(ce, USER_PROFILE_TAG, start, end)
        spaces = _by_tag(ce, SPACE_TAG, start, end)
    except ClientError as e:
        if error_code(e) in ACCESS_CODES:
            doc["note"] = (
                "Cost Explorer figures are left out: AWS denied ce:GetCostAndUsage (the "
                "identity needs it, see the IAM page)."
            )
        else:
            msg = " ".join(str(e.response.get("Error", {}).get("Message", "")).split())
            doc["note"] = f"Cost Explorer figures are left out: {error_code(e)}: {msg}"
        return doc
    except BotoCoreError as e:
        doc["note"] = f"Cost Explorer figures are left out: {e}"
        return doc
    marker = f"/{domain_id}/"
    sums: dict[tuple[str, str], float] = {}
    for arn, (amount, unit) in users.items():
        if marker in arn:
            key = (arn.rsplit("/", 1)[-1], unit)
            sums[key] = sums.get(key, 0.0) + amount
    for arn, (amount, unit) in spaces.items():
        if marker in arn:
            owner = space_owners.get(arn.rsplit("/", 1)[-1]) or "(shared spaces)"
            sums[(owner, unit)] = sums.get((owner, unit), 0.0) + amount
    doc["users"] = [
        {"user_profile": u, "amount": round(a, 2), "currency": c}
        for (u, c), a in sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    if not doc["users"]:
        doc["note"] = (
            "Cost Explorer has no amounts tagged with this domain's user profiles or spaces: "
            f"activate the cost allocation tags {USER_PROFILE_TAG} and {SPACE_TAG} in the "
            "Billing console (figures appear within a day)."
        )
    return doc
