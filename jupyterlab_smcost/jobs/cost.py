"""A job's cost before it runs (the worst case at the Training price) and after (billable
seconds x count x price, the Spot saving). Pure: quotes and DescribeTrainingJob answers in,
JSON out. No Spot price is ever made up: before a Spot job ends its saving is "up to"."""

from __future__ import annotations

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
