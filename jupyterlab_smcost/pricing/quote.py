"""The price book's types and instance-type names: :class:`Quote` (one price, the one shape
every price has, in the REST API's ``PriceQuote`` too), :class:`Specs`, the Price List
component spellings, the family and size of a type name, and money in a currency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from ..messages import Message

#: where a price comes from, surest first (a sum takes the least sure of its parts);
#: ``not_billed``: nothing billed runs (per hour 0), never a made-up 0 labelled live
SOURCES = ("not_billed", "live", "bundled", "estimated", "unknown")
#: the currency of every price today (the ``aws`` partition); ``aws-cn`` prices in CNY
USD = "USD"
CURRENCY_SYMBOLS = {"USD": "$", "CNY": "¥"}
HOURS_PER_DAY = 24.0
HOURS_PER_MONTH = 730.0  # AWS's own convention for monthly estimates


#: the Price List components (``component`` / ``platoinstancetype`` values) the bundled
#: data and the environments use, spelt as the Price List spells them
COMPONENTS = (
    "Studio-JupyterLab",
    "studio-codeeditor",
    "Studio-Notebook",
    "Notebook",
    "Hosting",
    "Training",
    "Processing",
    "BatchTransform",
)

TYPE_RE = re.compile(r"^ml\.([a-z0-9-]+)\.(\d*)(nano|micro|small|medium|large|xlarge|metal)$")
_SIZE_UNITS = {"nano": 0.125, "micro": 0.25, "small": 0.5, "medium": 0.5, "large": 1.0}


def canonical_component(name: str) -> Optional[str]:
    """The Price List spelling of a component name given in any case; None if unknown."""
    folded = name.strip().casefold()
    return next((c for c in COMPONENTS if c.casefold() == folded), None)


def component_key(name: str) -> str:
    """How the book keys a component: its Price List spelling when known, else as given."""
    return canonical_component(name) or name


@dataclass(frozen=True)
class Specs:
    vcpu: int
    memory_gib: float
    gpu_count: int = 0
    gpu_model: Optional[str] = None
    gpu_memory_gib: float = 0.0  # the instance's total
    accelerator_count: int = 0  # AWS Inferentia/Trainium chips
    accelerator_model: Optional[str] = None

    @property
    def gpu_memory_per_gpu_gib(self) -> float:
        """Memory of one GPU (the types in the book have GPUs of one model each)."""
        return self.gpu_memory_gib / self.gpu_count if self.gpu_count else 0.0

    @property
    def accelerators(self) -> int:
        return self.gpu_count or self.accelerator_count

    @property
    def kind(self) -> str:
        """ "GPU" for GPU and other accelerator types (priced alike), else "CPU"."""
        return "GPU" if self.accelerators else "CPU"


@dataclass(frozen=True)
class Quote:
    """One price: per hour in ``currency``, where it comes from and how sure it is.

    ``detail`` is the citation, how an estimate was made, or why the price is unknown;
    ``fix`` (for an unknown price) what would make it known; ``detail_message`` and
    ``fix_message`` the same with their codes and params (None for a citation, said as it
    is), ``basis`` the price an estimate was derived from. A sum of several apps names no
    instance type and lists its ``parts``."""

    per_hour: Optional[float]  # None: unknown
    source: str  # one of SOURCES
    as_of: Optional[str] = None  # ISO date (or month) the figure was published/seen
    detail: str = ""
    region: str = ""
    component: str = ""
    instance_type: Optional[str] = None
    currency: str = USD
    fix: Optional[str] = None
    parts: Optional[tuple[Quote, ...]] = None
    #: an estimate's likely range (the spread its rule measured); None for a known price
    low: Optional[float] = None
    high: Optional[float] = None
    detail_message: Optional[Message] = None
    fix_message: Optional[Message] = None
    basis: Optional[Quote] = None

    def to_json(self) -> dict[str, Any]:
        """The REST API's ``PriceQuote`` (``detail_message``, ``fix_message`` and ``basis``
        only when there is one)."""
        body = {
            "per_hour": self.per_hour,
            "currency": self.currency,
            "source": self.source,
            "as_of": self.as_of,
            "detail": self.detail,
            "fix": self.fix,
            "region": self.region,
            "component": self.component,
            "instance_type": self.instance_type,
            "parts": None if self.parts is None else [p.to_json() for p in self.parts],
            "range": None if self.low is None else {"low": self.low, "high": self.high},
        }
        if self.detail_message is not None:
            body["detail_message"] = self.detail_message.to_json()
        if self.fix_message is not None:
            body["fix_message"] = self.fix_message.to_json()
        if self.basis is not None:
            body["basis"] = self.basis.to_json()
        return body

    @property
    def bounds(self) -> Optional[tuple[float, float]]:
        """(low, high): the likely range of an estimate, the price itself for a known one;
        None when unknown."""
        if self.per_hour is None:
            return None
        if self.low is None or self.high is None:
            return self.per_hour, self.per_hour
        return self.low, self.high

    def for_hours(self, hours: float, digits: int = 4) -> Optional[float]:
        """What ``hours`` cost at this price (None when unknown)."""
        return None if self.per_hour is None else round(self.per_hour * hours, digits)

    def likely(self, significant: int = 4) -> str:
        """``$79.10-$92.30``: the likely range (the price itself when it has none)."""
        low, high = self.bounds or (None, None)
        if low == high:
            return money(low, self.currency, significant=significant)
        lo = money(low, self.currency, significant=significant)
        return f"{lo}-{money(high, self.currency, significant=significant)}"

    def describe(self) -> str:
        """``$2.03/h, bundled 2026-09-24`` (an estimate adds how it was made)."""
        dated = f"{self.source} {self.as_of}" if self.as_of else self.source
        rate = money(self.per_hour, self.currency, significant=4)
        if self.source == "estimated":
            likely = f", likely {self.likely()}" if self.low is not None else ""
            return f"{rate}/h {dated}{likely}: {self.detail}"
        return f"{rate}/h, {dated}"


def money(
    value: Optional[float], currency: str = USD, digits: int = 2, significant: int = 0
) -> str:
    """``$1,234.50`` / ``¥8.20`` (``significant`` digits instead of fixed ones: ``$0.0464``);
    ``unknown`` for None. The one place the CLI and the server's sentences format money."""
    if value is None:
        return "unknown"
    number = f"{value:.{significant}g}" if significant else f"{value:,.{digits}f}"
    sign, number = ("-", number[1:]) if number.startswith("-") else ("", number)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"


def currency_symbol(currency: str) -> str:
    """``$`` for USD, ``¥`` for CNY, else the ISO code."""
    return CURRENCY_SYMBOLS.get(currency, currency)


def size_units(instance_type: str) -> Optional[float]:
    """Relative size from the type name: large=1, xlarge=2, 4xlarge=8; None if unparsable."""
    m = TYPE_RE.match(instance_type)
    if not m:
        return None
    mult, size = m.group(2), m.group(3)
    if size == "xlarge":
        return 2.0 * (int(mult) if mult else 1)
    if size == "metal":
        return None
    return _SIZE_UNITS[size]


def family(instance_type: str) -> Optional[str]:
    m = TYPE_RE.match(instance_type)
    return m.group(1) if m else None
