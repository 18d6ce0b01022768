"""The ``offload`` recommendation rule (issue 17): sustained work on an expensive instance
(background work, or a kernel busy for long) is work a training job could do while this
notebook runs on a small type. Pure (the clock is the caller's ``now``).

What is known is the notebook's price and how long the work ran: the item says what those
hours cost here, that a job bills the same hours on demand at the Training price and up to
90% less on Spot (a bound, never a made-up Spot price), and what the smallest type costs
meanwhile. Its ``savings_per_month`` is null: the real saving depends on Spot and on how long
the notebook would have idled on the large type, neither of which is measured."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from ..background.work import Work, duration
from ..messages import Message, Param
from ..pricing import Quote, money
from .cost import SPOT_UP_TO

#: below this price per hour moving the work out saves too little to propose it
OFFLOAD_MIN_PER_HOUR = 1.0


def offload_item(
    busy: Sequence[Work],
    now: float,
    instance_type: Optional[str],
    price: Quote,
    training: Optional[Quote],
    smallest: Optional[tuple[str, Quote]],
    *,
    after_s: float,
    min_per_hour: float = OFFLOAD_MIN_PER_HOUR,
    kernels: Sequence[tuple[str, float]] = (),
) -> Optional[dict[str, Any]]:
    """The item, or None: no work busy for ``after_s``, or the instance is cheap (or its
    price unknown). ``busy``: background work; ``kernels``: (notebook, since) of the kernels
    busy now, since they were first seen busy."""
    sustained = [(w.command or w.key, w.since) for w in busy] + list(kernels)
    if not sustained or not instance_type or after_s <= 0:
        return None
    if price.per_hour is None or price.per_hour < min_per_hour:
        return None
    what, since = min(sustained, key=lambda ws: ws[1])  # the longest-running
    ran = now - since
    if ran < after_s:
        return None
    cur = price.currency
    spent = price.for_hours(ran / 3600, 2)
    reason = (
        f"{what} kept {instance_type} busy for {duration(ran)} "
        f"({money(spent, cur)} at {money(price.per_hour, cur, significant=4)}/h); as a "
        f"SageMaker job on {instance_type} it bills the same hours on demand"
    )
    if training is not None and training.per_hour is not None:
        reason += f" ({money(training.per_hour, training.currency, significant=4)}/h Training)"
    reason += f", up to {round(SPOT_UP_TO * 100)}% less on Spot"
    params: dict[str, Param] = {
        "command": what,
        "current": instance_type,
        "seconds": round(ran),
        "spent": spent if spent is not None else 0.0,
        "per_hour": price.per_hour,
        "currency": cur,
        "spot": SPOT_UP_TO,
    }
    if training is not None and training.per_hour is not None and training.currency == cur:
        params["training_per_hour"] = training.per_hour
    target, target_price = instance_type, price
    if smallest is not None and smallest[0] != instance_type:
        target, target_price = smallest
        reason += (
            f", and this notebook could run on {target} "
            f"({money(target_price.per_hour, target_price.currency, significant=4)}/h) "
            "meanwhile"
        )
        params["target"] = target
        if target_price.per_hour is not None and target_price.currency == cur:
            params["target_per_hour"] = target_price.per_hour
    return {
        "type": target,
        "rule": "offload",
        "reason": reason,
        "reason_message": Message.of("rec.offload", reason, **params).to_json(),
        "price": target_price.to_json(),
        "savings_per_month": None,
        "currency": cur,
        "confidence": "medium",
    }


def smallest_priced(rows: Sequence[tuple[str, Quote, Any]]) -> Optional[tuple[str, Quote]]:
    """The cheapest type whose price is known, from the price book's table rows."""
    priced = [(t, q) for t, q, _ in rows if q.per_hour is not None]
    return min(priced, key=lambda tq: (tq[1].per_hour, tq[0])) if priced else None
