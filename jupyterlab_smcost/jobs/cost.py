"""A job's cost before it runs (the worst case at the Training price) and after (billable
seconds x count x price, the Spot saving). Pure: quotes and DescribeTrainingJob answers in,
JSON out. No Spot price is ever made up: before a Spot job ends its saving is "up to"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

from ..pricing import Quote

TRAINING = "Training"
#: AWS's own figure for managed Spot training ("up to 90%"), a bound, never a price
SPOT_UP_TO = 0.9


def cost_before(price: Quote, instance_count: int, max_runtime_s: int, spot: bool) -> dict:
    """The REST API's ``JobCostBefore``: the on-demand Training price, the worst case (the
    whole run time on every instance, on demand), and for Spot that only billable seconds
    are paid, up to :data:`SPOT_UP_TO` less, known when the job ends."""
    hours = max_runtime_s / 3600
    worst = price.for_hours(hours * instance_count)
    return {
        "price": price.to_json(),
        "instance_count": instance_count,
        "max_runtime_s": max_runtime_s,
        "worst_case": worst,
        "currency": price.currency,
        "spot": spot,
        "spot_up_to": SPOT_UP_TO if spot else None,
    }


def _seconds(value: Any) -> Optional[int]:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def cost_after(describe: dict[str, Any], price: Quote) -> dict[str, Any]:
    """The REST API's ``JobCostAfter`` from a DescribeTrainingJob answer: what the job
    cost (``BillableTimeInSeconds`` x count x price; None until SageMaker reports billable
    time, or when the price is unknown), and on Spot the saving
    ``1 - billable / training time`` and what that saved at the same price."""
    count = int((describe.get("ResourceConfig") or {}).get("InstanceCount") or 1)
    billable = _seconds(describe.get("BillableTimeInSeconds"))
    training = _seconds(describe.get("TrainingTimeInSeconds"))
    spot = bool(describe.get("EnableManagedSpotTraining"))
    amount = None if billable is None else price.for_hours(billable / 3600 * count)
    saving = saved = None
    if spot and billable is not None and training:
        saving = round(max(0.0, 1 - billable / training), 4)
        saved = price.for_hours(max(0, training - billable) / 3600 * count)
    return {
        "billable_s": billable,
        "training_s": training,
        "amount": amount,
        "currency": price.currency,
        "price": price.to_json(),
        "spot_saving": saving,
        "saved": saved,
    }


def job_spend(jobs: list[dict[str, Any]], currency: str, today: str) -> dict[str, Any]:
    """The REST API's ``JobSpend``: what the jobs listed cost, per UTC day they ended (the
    jobs' own series, beside the notebook's spend), and this month (``today``'s, YYYY-MM-DD)
    to date. Jobs still running, or whose cost is unknown, are counted, never guessed."""
    days: dict[str, float] = {}
    unknown = running = 0
    for job in jobs:
        after = job["cost_after"]
        ended = job.get("ended_at")
        if not ended:
            running += 1
        elif after["amount"] is None or after["currency"] != currency:
            unknown += 1
        else:
            day = ended[:10]
            days[day] = round(days.get(day, 0.0) + after["amount"], 4)
    month = today[:7]
    return {
        "currency": currency,
        "days": [{"date": d, "amount": a} for d, a in sorted(days.items())],
        "month_to_date": round(sum(a for d, a in days.items() if d.startswith(month)), 4),
        "unknown": unknown,
        "running": running,
    }


def job_series(
    records: list[dict[str, Any]],
    price_of: Callable[[str], Quote],
    currency: str,
    days: list[str],
    month: str,
) -> dict[str, Any]:
    """The REST API's ``JobSeries``: the spend history's jobs series, from the job records
    (no AWS call): per UTC day a job ended, its ``BillableTimeInSeconds`` x count x the
    Training price (each price with its source). ``days``: the dates the history shows
    (YYYY-MM-DD); ``month``: YYYY-MM. A job whose price is unknown (or in another currency)
    is counted in ``unpriced_jobs`` and not in ``amount``; jobs still running, or ended with
    no billable time known, are counted, never guessed."""
    per_day: dict[str, dict[str, Any]] = {}
    running = unknown = 0
    for record in records:
        final = record.get("final") or {}
        if record.get("state") not in ("Completed", "Failed", "Stopped"):
            if record.get("state") == "Unknown":
                unknown += 1
            else:
                running += 1
            continue
        billable = _seconds(final.get("BillableTimeInSeconds"))
        ended = final.get("TrainingEndTime")
        if billable is None or not isinstance(ended, str):
            unknown += 1
            continue
        count = int((final.get("ResourceConfig") or {}).get("InstanceCount") or 0) or int(
            record.get("instance_count") or 1
        )
        price = price_of(record["instance_type"])
        hours = billable / 3600 * count
        priced = price.per_hour is not None and price.currency == currency
        amount = price.for_hours(hours) if priced else None
        day = per_day.setdefault(
            ended[:10], {"amount": 0.0, "jobs": 0, "unpriced_jobs": 0, "hours": 0.0, "prices": {}}
        )
        day["jobs"] += 1
        day["hours"] += hours
        if amount is None:
            day["unpriced_jobs"] += 1
        else:
            day["amount"] += amount
        row = day["prices"].setdefault(
            record["instance_type"],
            {"price": price.to_json(), "billable_hours": 0.0, "amount": 0.0},
        )
        row["billable_hours"] += hours
        row["amount"] = None if amount is None or row["amount"] is None else row["amount"] + amount

    def shown(d: Optional[dict[str, Any]]) -> dict[str, Any]:
        d = d or {"amount": 0.0, "jobs": 0, "unpriced_jobs": 0, "hours": 0.0, "prices": {}}
        return {
            "amount": round(d["amount"], 4),
            "jobs": d["jobs"],
            "unpriced_jobs": d["unpriced_jobs"],
            "billable_hours": round(d["hours"], 4),
            "prices": [
                {
                    "price": r["price"],
                    "billable_hours": round(r["billable_hours"], 4),
                    "amount": None if r["amount"] is None else round(r["amount"], 4),
                }
                for _, r in sorted(d["prices"].items())
            ],
        }

    in_month = [d for k, d in per_day.items() if k.startswith(month)]
    return {
        "currency": currency,
        "days": [{"date": d, **shown(per_day.get(d))} for d in days],
        "month_to_date": {
            "month": month,
            "amount": round(sum(d["amount"] for d in in_month), 4),
            "jobs": sum(d["jobs"] for d in in_month),
            "unpriced_jobs": sum(d["unpriced_jobs"] for d in in_month),
        },
        "running": running,
        "unknown": unknown,
    }
