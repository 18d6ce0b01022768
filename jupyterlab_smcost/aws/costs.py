"""Billed spend from AWS Cost Explorer, filtered on a cost allocation tag (boto3 only).

SageMaker Studio tags the apps it creates with ``sagemaker:space-arn`` (apps in a space)
or ``sagemaker:user-profile-arn`` (a user's apps), AWS-generated cost allocation tags an
administrator activates once in the Billing console. Cost Explorer's daily figures are
billed amounts, refreshed at least once a day: up to a day late, and today's is partial.
Each ``GetCostAndUsage`` request costs $0.01: callers cache what they get.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..messages import Message
from .errors import AwsError, aws_errors

METRIC = "UnblendedCost"
SPACE_TAG = "sagemaker:space-arn"
USER_PROFILE_TAG = "sagemaker:user-profile-arn"
#: pages of one query at most (one page holds every day of a few months)
MAX_PAGES = 10


@dataclass(frozen=True)
class BilledDay:
    day: date
    amount: float  # in the partition's currency: USD, CNY in the China regions
    estimated: bool  # Cost Explorer says the figure may still change


def cost_and_usage_request(key: str, value: str, start: date, end: date) -> dict[str, Any]:
    """The ``GetCostAndUsage`` parameters: daily unblended cost of what carries the tag
    ``key`` = ``value`` from ``start`` to ``end`` (exclusive)."""
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": [METRIC],
        "Filter": {"Tags": {"Key": key, "Values": [value], "MatchOptions": ["EQUALS"]}},
    }


def billed_days(
    ce: Any, key: str, value: str, start: date, end: date, currency: str = "USD"
) -> list[BilledDay]:
    """Daily billed spend of the resources tagged ``key`` = ``value``, in ``currency`` (the
    partition's: an account in the China regions is billed in CNY)."""
    params = cost_and_usage_request(key, value, start, end)
    out: list[BilledDay] = []
    with aws_errors(Message.of("action.read_billed", "read billed spend from Cost Explorer")):
        for _ in range(MAX_PAGES):
            resp = ce.get_cost_and_usage(**params)
            for item in resp.get("ResultsByTime", []):
                total = (item.get("Total") or {}).get(METRIC) or {}
                unit = total.get("Unit", currency)
                if unit != currency:
                    raise AwsError(
                        "billed_currency", f"Cost Explorer answered in {unit}, not {currency}", 502
                    )
                out.append(
                    BilledDay(
                        date.fromisoformat(item["TimePeriod"]["Start"]),
                        float(total.get("Amount") or 0.0),
                        bool(item.get("Estimated")),
                    )
                )
            token = resp.get("NextPageToken")
            if not token:
                break
            params = {**params, "NextPageToken": token}
    return out
