"""What ``jupyter smcost endpoints rightsize`` measured and recommends, as plain values
(:class:`Variant` with its :class:`Usage` and :class:`Scaling`, the :class:`Candidate` types,
each :class:`Recommendation`), and the figures the rules compute from them (p95, money per
month, savings). Units: see :mod:`.rightsize_rules`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from ..pricing import HOURS_PER_MONTH, SOURCES, Quote, Specs


@dataclass(frozen=True)
class Usage:
    """What a variant did over the window; utilisation figures per instance, None: no data."""

    invocations: float = 0.0  # sum over the window, all instances
    per_instance_minute: Optional[float] = None  # p95 invocations per instance per minute
    cpu_pct: Optional[float] = None  # summed over vCPUs
    memory_pct: Optional[float] = None
    gpu_pct: Optional[float] = None  # summed over GPUs
    gpu_memory_pct: Optional[float] = None  # summed over GPUs

    def to_json(self) -> dict[str, Any]:
        return {
            "invocations": self.invocations,
            "invocations_per_instance_minute_p95": self.per_instance_minute,
            "cpu_utilization_p95": self.cpu_pct,
            "memory_utilization_p95": self.memory_pct,
            "gpu_utilization_p95": self.gpu_pct,
            "gpu_memory_utilization_p95": self.gpu_memory_pct,
        }


@dataclass(frozen=True)
class Scaling:
    """Application Auto Scaling's view of a variant (``managed`` False: not registered)."""

    managed: bool = False
    min_capacity: Optional[int] = None
    max_capacity: Optional[int] = None
    policies: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "managed": self.managed,
            "min_capacity": self.min_capacity,
            "max_capacity": self.max_capacity,
            "policies": list(self.policies),
        }


@dataclass(frozen=True)
class Candidate:
    """A Hosting type a variant could move to."""

    instance_type: str
    specs: Specs
    price: Quote


@dataclass(frozen=True)
class Variant:
    """One production variant as measured: the input of every rule."""

    endpoint: str
    variant: str
    instance_type: Optional[str]
    instance_count: int
    specs: Optional[Specs]
    price: Quote  # per instance
    usage: Usage
    scaling: Scaling = field(default_factory=Scaling)
    image: Optional[str] = None  # one container's image; None for pipelines or unknown
    serverless: bool = False

    @property
    def resource_id(self) -> str:
        return f"endpoint/{self.endpoint}/variant/{self.variant}"


@dataclass(frozen=True)
class Recommendation:
    rule: str
    instance_type: Optional[str]  # what to run (None: nothing, for idle)
    instance_count: int
    savings_per_month: Optional[float]  # None: unknown (a price is unknown) or not priced
    currency: str
    price_source: str  # the least sure of the prices compared
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)
    commands: tuple[str, ...] = ()
    group: tuple[str, ...] = ()  # consolidate: the endpoints of the group

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "savings_per_month": self.savings_per_month,
            "currency": self.currency,
            "price_source": self.price_source,
            "reason": self.reason,
            "figures": self.figures,
            "commands": list(self.commands),
            "group": list(self.group),
        }


# ------------------------------------------------------------------------------ figures


def p95(values: list[float]) -> Optional[float]:
    """Nearest-rank 95th percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def per_month(price: Quote, count: int) -> Optional[float]:
    return None if price.per_hour is None else round(price.per_hour * count * HOURS_PER_MONTH, 2)


def least_sure(*quotes: Quote) -> str:
    return max((q.source for q in quotes), key=SOURCES.index)


def saving(current: Quote, count: int, new: Optional[Quote], new_count: int) -> Optional[float]:
    """Per month, running ``new_count`` x ``new`` (None: nothing) instead of ``count`` x
    ``current``; None when a price is unknown or the currencies differ (never compared across
    currencies)."""
    if current.per_hour is None:
        return None
    then = 0.0
    if new is not None:
        if new.per_hour is None or new.currency != current.currency:
            return None
        then = new.per_hour * new_count
    return round((current.per_hour * count - then) * HOURS_PER_MONTH, 2)


def gpus_of(specs: Optional[Specs]) -> int:
    return specs.gpu_count if specs else 0


def load_fraction(v: Variant) -> Optional[float]:
    """The p95 share of one instance the load takes: CPU or GPU, whichever is higher (memory
    does not shrink with fewer requests: every instance holds the whole model). None when the
    CPU figure or the specs are missing."""
    if v.specs is None or v.usage.cpu_pct is None:
        return None
    frac = v.usage.cpu_pct / (100.0 * v.specs.vcpu)
    gpus = gpus_of(v.specs)
    if gpus and v.usage.gpu_pct is not None:
        frac = max(frac, v.usage.gpu_pct / (100.0 * gpus))
    return frac


def fmt_figure(x: Optional[float], digits: int = 2) -> str:
    return "no data" if x is None else f"{x:.{digits}f}"
