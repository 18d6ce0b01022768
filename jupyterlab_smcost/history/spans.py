"""What was billed: an instance type with the price in force (:class:`Running`), and a
stretch of time it ran (:class:`Span`), as the history keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..aws.partitions import currency_of
from ..pricing import USD, Quote
from .schema import HOUR


@dataclass(frozen=True)
class Running:
    """One instance type billed now, with the price in force, in its region's currency (CNY
    in the China regions: a region's prices are all in its partition's currency, so the
    spans table's ``usd_per_hour`` column, named before China, holds that currency)."""

    instance_type: str
    region: str
    component: str
    per_hour: Optional[float]
    source: str
    as_of: Optional[str]
    #: apps of the same type billed at once (Studio Classic): 0, 1, ... (not kept)
    slot: int = 0

    @property
    def currency(self) -> str:
        return currency_of(self.region) or USD

    @classmethod
    def of(cls, quote: Quote, slot: int = 0) -> Running:
        return cls(
            quote.instance_type or "",
            quote.region,
            quote.component,
            quote.per_hour,
            quote.source,
            quote.as_of,
            slot,
        )

    def quote(self) -> Quote:
        """The price that was in force, as a quote."""
        return Quote(
            self.per_hour,
            self.source,
            self.as_of,
            "the price in force while it ran",
            self.region,
            self.component,
            self.instance_type,
            currency=self.currency,
        )


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    running: Running

    @property
    def hours(self) -> float:
        return max(0.0, self.end - self.start) / HOUR
