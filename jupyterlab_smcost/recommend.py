"""Right-sizing rules: measured use + the price book -> instance types to switch to. Pure.

Rules, at most one item each, evaluated on the window's p95 (CPU in vCPUs, memory in GiB):

- ``under_provisioned``: CPU p95 or memory p95 above 90% of this instance: the cheapest type
  that is larger in what is short and leaves headroom (need <= 70% of it). Costs more; the
  item says how much (negative savings).
- ``gpu_idle``: a GPU instance whose GPUs stayed under 5% utilisation (p95) all window: the
  cheapest CPU-only type that fits CPU and memory with headroom.
- ``fewer_gpus`` / ``smaller_gpu``: GPUs used, but fewer of them, or a smaller (slower)
  one, would do: see :mod:`.recommend_gpu` (both may be offered; ``over_provisioned`` is
  then not).
- ``over_provisioned``: otherwise, the cheapest type cheaper than this one that fits CPU and
  memory with headroom (and keeps the same GPUs when the GPUs are used or not measured).

A candidate's price must be known (live, bundled, or a labelled estimate) to be compared; a
type without a price is only ever offered when nothing priced fits an under-provisioned
instance, and then says that its price is unknown. Every item carries its price source.
Elastic Inference (``ml.eia*``) no longer exists, and Inferentia/Trainium types are not
general-purpose notebook hosts: none of them is recommended.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from .messages import Message, Param
from .pricing import HOURS_PER_MONTH, Quote, Specs, family, money
from .recommend_gpu import gpu_offers
from .usage import UsageSummary

HEADROOM = 0.7  # a candidate fits when the p95 need is at most 70% of what it offers
SATURATED = 0.9  # p95 above 90% of this instance: under-provisioned
GPU_IDLE = 0.05  # GPUs under 5% (p95) over the window: idle
#: CPU credits: a burstable (t-family) type sustains only this fraction of its vCPUs
BURSTABLE_BASELINE = 0.2
EXCLUDED_PREFIXES = ("ml.eia", "ml.inf", "ml.trn")

Candidate = tuple[str, Quote, Optional[Specs]]


@dataclass(frozen=True)
class Needs:
    cpu_vcpu: float  # p95, in vCPUs
    cpu_avg_vcpu: float  # p50, in vCPUs (what a burstable type must sustain)
    mem_gib: float  # p95


def confidence(summary: UsageSummary, interval_s: float, min_samples: int) -> str:
    """``high``: the samples span at least 75% of the window and at least half the expected
    samples are there; ``medium``: they span at least a quarter of it; else ``low``.
    (Recommendations need ``min_samples`` before any of this applies.)"""
    coverage = summary.span_s / summary.window_s if summary.window_s else 0.0
    expected = summary.window_s / interval_s if interval_s > 0 else 0.0
    if coverage >= 0.75 and summary.samples >= 0.5 * expected:
        return "high"
    if coverage >= 0.25:
        return "medium"
    return "low"


def _is_burstable(instance_type: str) -> bool:
    fam = family(instance_type) or ""
    return fam.startswith("t") and not fam.startswith("trn")


def _fits(t: str, s: Specs, needs: Needs) -> bool:
    if needs.cpu_vcpu > HEADROOM * s.vcpu or needs.mem_gib > HEADROOM * s.memory_gib:
        return False
    if _is_burstable(t) and needs.cpu_avg_vcpu > BURSTABLE_BASELINE * s.vcpu:
        return False
    return True


def _gib(x: float) -> str:
    return f"{x:.1f} GiB" if x < 10 else f"{x:.0f} GiB"


def _pct(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def _none(code: str, text: str, **params: Param) -> dict[str, Any]:
    """No recommendation, saying why (``reason``) with a code (``reason_message``)."""
    return {
        "items": [],
        "reason": text,
        "reason_message": Message.of(code, text, **params).to_json(),
    }


def about_same_price(price: Quote, current: Quote) -> bool:
    """True when the likely ranges of two prices (one of them estimated) do not support a
    difference either way: no saving, nor extra cost, is claimed then."""
    a, b = price.bounds, current.bounds
    if a is None or b is None or price.currency != current.currency:
        return False
    if (a[0], a[1]) == (b[0], b[1]) == (price.per_hour, price.per_hour):
        return False  # two known prices, equal: the difference is known (0)
    if price.low is None and current.low is None:
        return False  # two known prices: any difference is real
    return not (a[1] < b[0] or a[0] > b[1])


def recommend(
    summary: UsageSummary,
    current_type: Optional[str],
    current_price: Quote,
    current_specs: Optional[Specs],
    candidates: Sequence[Candidate],
    *,
    interval_s: float = 10.0,
    min_samples: int = 30,
) -> dict[str, Any]:
    """``{"items": [...], "reason": str | None, "reason_message"?: Message}``; ``reason``
    says why there are no items, ``reason_message`` is it with its code and params
    (messages.py); every item has its ``reason_message`` too (code ``rec.<rule>``)."""
    if summary.samples < min_samples:
        more = (min_samples - summary.samples) * interval_s
        minutes = max(1, math.ceil(more / 60))
        return _none(
            "rec.collecting",
            f"collecting usage: {summary.samples} of {min_samples} samples needed "
            f"(about {minutes} min more)",
            samples=summary.samples,
            needed=min_samples,
            minutes=minutes,
        )
    if not current_type:
        return _none("rec.type_unknown", "the instance type is not known yet")
    if current_specs is None:
        return _none(
            "rec.no_specs",
            f"no vCPU/memory specs are known for {current_type}: nothing to compare",
            type=current_type,
        )
    if summary.cpu_p95 is None or summary.mem_p95 is None or summary.mem_p95_gib is None:
        return _none("rec.no_measurements", "no CPU or memory measurements in the window")

    conf = confidence(summary, interval_s, min_samples)
    needs = Needs(
        cpu_vcpu=summary.cpu_p95_vcpu or 0.0,
        cpu_avg_vcpu=summary.cpu_p50_vcpu or 0.0,
        mem_gib=summary.mem_p95_gib,
    )
    cur_usd = current_price.per_hour
    currency = current_price.currency
    has_gpu = current_specs.gpu_count > 0
    gpu_measured = summary.gpu_count > 0 and summary.gpu_p95 is not None
    gpu_idle = has_gpu and gpu_measured and (summary.gpu_p95 or 0.0) < GPU_IDLE

    def gpu_ok(s: Specs) -> bool:
        if not has_gpu or gpu_idle:
            return s.gpu_count == 0
        # GPUs in use (or not measured): keep the same GPUs, at least as many
        return s.gpu_model == current_specs.gpu_model and s.gpu_count >= current_specs.gpu_count

    pool = [
        (t, p, s)
        for t, p, s in candidates
        if s is not None and t != current_type and not t.startswith(EXCLUDED_PREFIXES) and gpu_ok(s)
    ]

    def item(rule: str, t: str, p: Quote, s: Specs, why: str, **params: Param) -> dict[str, Any]:
        usd = p.per_hour
        savings = None
        if usd is not None and cur_usd is not None and p.currency == currency:
            savings = round((cur_usd - usd) * HOURS_PER_MONTH, 2)
        rates = " vs ".join(f"{money(x, currency, significant=4)}/h" for x in (usd, cur_usd))
        same = savings is not None and about_same_price(p, current_price)
        if same:
            savings = None
            why += (
                f"; about the same price: {rates}, the likely ranges overlap "
                f"({p.likely()} vs {current_price.likely()})"
            )
        elif usd is None:
            why += f"; the price of {t} is unknown here, so the cost difference is unknown"
        elif cur_usd is None:
            why += f"; the price of {current_type} is unknown, so savings are unknown"
        elif savings is not None and savings < 0:
            why += f"; it costs {money(-savings, currency)}/month more ({rates})"
        elif savings is not None:
            why += f"; saves {money(savings, currency)}/month ({rates})"
        if p.source == "estimated":
            why += f" (price estimated: {p.detail})"
        # the translated sentence: the rule's figures; savings and prices are shown apart
        params.update(type=t, vcpu=s.vcpu, memory_gib=s.memory_gib, **usage_params)
        return {
            "type": t,
            "rule": rule,
            "reason": why,
            "reason_message": Message.of(f"rec.{rule}", why, **params).to_json(),
            "price": p.to_json(),
            "savings_per_month": savings,
            "currency": currency,
            "confidence": conf,
            "vcpu": s.vcpu,
            "memory_gib": s.memory_gib,
            "gpu_count": s.gpu_count,
            "gpu_model": s.gpu_model,
            "gpu_memory_per_gpu_gib": round(s.gpu_memory_per_gpu_gib, 2),
            **({"about_same_price": True} if same else {}),
        }

    def cheapest(rows: list[Candidate]) -> Optional[Candidate]:
        priced = [r for r in rows if r[1].per_hour is not None]
        if not priced:
            return None
        return min(priced, key=lambda r: (r[1].per_hour, r[2].vcpu, r[2].memory_gib, r[0]))  # type: ignore

    cpu_short = summary.cpu_p95 > SATURATED
    mem_short = summary.mem_p95 > SATURATED
    mem_total = summary.mem_total_gib or current_specs.memory_gib
    usage = (
        f"CPU p95 {_pct(summary.cpu_p95)} of {summary.cpu_count} vCPUs, memory p95 "
        f"{_gib(needs.mem_gib)} of {_gib(mem_total)}"
    )
    #: ``usage`` as figures (fractions and GiB), in every message below
    usage_params: dict[str, Param] = {
        "current": current_type,
        "cpu_p95": round(summary.cpu_p95, 4),
        "cpu_count": summary.cpu_count or current_specs.vcpu,
        "mem_p95_gib": round(needs.mem_gib, 3),
        "mem_total_gib": round(mem_total, 3),
    }

    # -- under-provisioned
    if cpu_short or mem_short:
        # saturated: the real need is at least what we saw; ask for headroom above it
        fits = [
            (t, p, s)
            for t, p, s in pool
            if _fits(t, s, needs)
            and (not cpu_short or s.vcpu > current_specs.vcpu)
            and (not mem_short or s.memory_gib > current_specs.memory_gib)
        ]
        short = " and ".join(x for x, on in (("CPU", cpu_short), ("memory", mem_short)) if on)
        short_code = "cpu_memory" if cpu_short and mem_short else "cpu" if cpu_short else "memory"
        best = cheapest(fits)
        if best is None and fits:  # only unpriced types fit: the smallest, saying so
            best = min(fits, key=lambda r: (r[2].vcpu, r[2].memory_gib, r[0]))  # type: ignore
        if best is None:
            return _none(
                "rec.short_no_larger",
                f"{current_type} is short of {short} ({usage}) but no known type "
                "offers more with headroom",
                short=short_code,
                **usage_params,
            )
        t, p, s = best
        why = (
            f"{current_type} is short of {short}: {usage}; {t} has {s.vcpu} vCPUs and "
            f"{_gib(s.memory_gib)}, enough with 30% headroom"
        )
        return {
            "items": [item("under_provisioned", t, p, s, why, short=short_code)],
            "reason": None,
        }

    # -- GPU idle / over-provisioned: something cheaper that still fits
    if cur_usd is None:
        return _none(
            "rec.price_unknown",
            f"the price of {current_type} is unknown: cannot tell what is cheaper",
            type=current_type,
        )
    cheaper = [
        (t, p, s)
        for t, p, s in pool
        if p.per_hour is not None and p.per_hour < cur_usd and _fits(t, s, needs)
    ]
    best = cheapest(cheaper)
    if gpu_idle:
        gpu_note = (
            f"its {current_specs.gpu_count} GPU(s) stayed under {_pct(GPU_IDLE)} use "
            f"(p95 {_pct(summary.gpu_p95)})"
        )
        if summary.gpu_mem_p95_gib:
            gpu_note += f", holding {_gib(summary.gpu_mem_p95_gib)} of GPU memory"
        gpu_params: dict[str, Param] = {
            "gpu_count": current_specs.gpu_count,
            "gpu_p95": round(summary.gpu_p95 or 0.0, 4),
            "gpu_idle": GPU_IDLE,
        }
        if best is None:
            return _none(
                "rec.gpu_idle_no_cheaper",
                f"{current_type}: {gpu_note}, but no cheaper CPU type fits ({usage})",
                **gpu_params,
                **usage_params,
            )
        t, p, s = best
        why = (
            f"{current_type}: {gpu_note} over the last {round(summary.span_s / 60)} min; "
            f"{usage}; {t} ({s.vcpu} vCPUs, {_gib(s.memory_gib)}, no GPU) fits with 30% "
            "headroom"
        )
        minutes = round(summary.span_s / 60)
        return {
            "items": [item("gpu_idle", t, p, s, why, minutes=minutes, **gpu_params)],
            "reason": None,
        }

    if has_gpu and gpu_measured:
        others = [
            (t, p, s)
            for t, p, s in candidates
            if s is not None and t != current_type and not t.startswith(EXCLUDED_PREFIXES)
        ]
        offers = gpu_offers(
            summary,
            current_type,
            current_specs,
            cur_usd,
            others,
            lambda t, s: _fits(t, s, needs),
            usage,
            HEADROOM,
        )
        if offers:
            return {
                "items": [item(r, t, p, s, why, **ps) for r, t, p, s, why, ps in offers],
                "reason": None,
            }

    if best is None:
        note = f"{current_type} fits this use ({usage}): no cheaper type has 30% headroom"
        if has_gpu and not gpu_measured:
            note += "; GPU use is not measured (no NVML), so only types with the same GPUs count"
        gpu_unmeasured = int(has_gpu and not gpu_measured)
        return _none("rec.fits", note, gpu_unmeasured=gpu_unmeasured, **usage_params)
    t, p, s = best
    why = (
        f"{current_type} is larger than needed: {usage}; {t} ({s.vcpu} vCPUs, "
        f"{_gib(s.memory_gib)}) fits with 30% headroom"
    )
    if has_gpu:
        why += f" and keeps the {current_specs.gpu_model} GPU(s)"
    if _is_burstable(t):
        why += (
            f"; burstable: fine while average CPU stays under "
            f"{_pct(BURSTABLE_BASELINE)} of its vCPUs"
        )
    extra: dict[str, Param] = {"burstable": int(_is_burstable(t))}
    if has_gpu:
        extra["gpu_model"] = current_specs.gpu_model or ""
    return {"items": [item("over_provisioned", t, p, s, why, **extra)], "reason": None}
