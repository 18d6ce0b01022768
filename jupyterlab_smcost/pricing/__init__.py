"""Price book: (region, component, instance type) -> a :class:`Quote` per hour, with specs.

Sources, in order: live AWS Price List API (cached on disk with a TTL), the bundled
snapshot, a labelled estimate, else ``unknown`` (saying why, and what would fix it);
``not_billed`` when nothing billed runs. Every :class:`Quote` says which, in which
currency, with its date and its citation or how it was estimated.

Modules: :mod:`.quote` (the types and instance-type names), :mod:`.pricelist` (the Price
List API: parser, requests, disk cache), :mod:`.estimate` (the estimate rules, measured by
``benchmarks/bench_price_estimates.py``). This package needs only the standard library and
boto3 (the janitor's Lambda handlers use it).

Lookups never touch the network nor the disk: :meth:`PriceBook.load_live` reads the disk
cache and :meth:`LivePriceCache.refresh` fetches; callers run both off the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from typing import Any, Optional

from ..aws.partitions import currency_of, is_china, price_list_api_region
from ..messages import Message, quoted_error
from .estimate import ESTIMATE_RULES, Estimator, PriceIndex
from .pricelist import (
    PRICING_API_REGION,
    FetchFailure,
    LivePriceCache,
    PriceListEntry,
    parse_price_list_item,
    price_list_requests,
    validate_table,
)
from .quote import (
    COMPONENTS,
    HOURS_PER_DAY,
    HOURS_PER_MONTH,
    SOURCES,
    USD,
    Quote,
    Specs,
    canonical_component,
    component_key,
    currency_symbol,
    family,
    money,
    size_units,
)

__all__ = [
    "COMPONENTS",
    "ESTIMATE_RULES",
    "HOURS_PER_DAY",
    "HOURS_PER_MONTH",
    "PRICING_API_REGION",
    "SOURCES",
    "USD",
    "LivePriceCache",
    "Quote",
    "money",
    "PriceBook",
    "FetchFailure",
    "PriceListEntry",
    "Specs",
    "canonical_component",
    "currency_symbol",
    "family",
    "load_bundled",
    "parse_price_list_item",
    "price_list_requests",
    "price_row",
    "size_units",
    "validate_table",
]


def price_row(instance_type: str, price: Quote, specs: Optional[Specs]) -> dict[str, Any]:
    """One row of a price table as JSON (REST API and CLI)."""
    return {
        "type": instance_type,
        "price": price.to_json(),
        "vcpu": specs.vcpu if specs else None,
        "memory_gib": specs.memory_gib if specs else None,
        "gpu_count": specs.gpu_count if specs else None,
        "gpu_model": specs.gpu_model if specs else None,
    }


def _live_quote(region: str, component: str, itype: str, item: dict[str, Any]) -> Quote:
    as_of, effective = item.get("as_of"), item.get("effective_date")
    dates: dict[str, Any] = {"as_of": as_of} if as_of else {}
    dates |= {"effective": effective} if effective else {}
    detail = Message.of(
        "price.live",
        f"AWS Price List API, {region}, {component}"
        + (f", offer published {as_of}" if as_of else "")
        + (f", term effective {effective}" if effective else ""),
        region=region,
        component=component,
        **dates,
    )
    return Quote(
        float(item["per_hour"]),
        "live",
        as_of,
        detail.text,
        region,
        component,
        itype,
        currency=item["currency"],
        detail_message=detail,
    )


def load_bundled() -> dict[str, Any]:
    """The snapshot shipped in the package (built by scripts/build_price_snapshot.py)."""
    text = resources.files("jupyterlab_smcost").joinpath("data/prices.json").read_text()
    return json.loads(text)


class PriceBook:
    """Resolves prices and specs; lookups are in memory and never block (no disk, no network):
    call :meth:`load_live` first (off the event loop) for the live cache to take part."""

    def __init__(
        self,
        snapshot: Optional[dict[str, Any]] = None,
        live: Optional[LivePriceCache] = None,
    ) -> None:
        snap = snapshot if snapshot is not None else load_bundled()
        self._specs = {
            t: Specs(
                vcpu=int(s["vcpu"]),
                memory_gib=float(s["memory_gib"]),
                gpu_count=int(s.get("gpu_count") or 0),
                gpu_model=s.get("gpu_model"),
                gpu_memory_gib=float(s.get("gpu_memory_gib") or 0),
                accelerator_count=int(s.get("accelerator_count") or 0),
                accelerator_model=s.get("accelerator_model"),
            )
            for t, s in snap.get("specs", {}).items()
        }
        self._bundled: dict[tuple[str, str, str], Quote] = {}
        for p in snap.get("prices", []):
            key = (p["region"], p["component"], p["type"])
            self._bundled[key] = Quote(  # bundled prices are USD (no China price is bundled)
                float(p["usd_per_hour"]), "bundled", p.get("as_of"), p.get("source", ""), *key
            )
        self._family_kinds: dict[str, set[str]] = {}
        for t, s in self._specs.items():
            self._family_kinds.setdefault(family(t) or "", set()).add(s.kind)
        self._live = live
        self._idx: Optional[PriceIndex] = None
        self._estimator = Estimator(self._specs, self.kind)

    @property
    def live(self) -> Optional[LivePriceCache]:
        """The live price cache lookups use (None: bundled prices and estimates only)."""
        return self._live

    @live.setter
    def live(self, cache: Optional[LivePriceCache]) -> None:
        self._live = cache
        self._idx = None

    def load_live(self, region: str, component: str) -> None:
        """Read from the disk cache (once each) every live table that lookups of ``component``
        in ``region`` may use: its own, the region's other components and the component in
        the other regions (estimates borrow from them). Blocking (file I/O)."""
        if not self.live:
            return
        wanted = {(region, component)}
        wanted |= {(r, c) for (r, c, _) in self._bundled if r == region or c == component}
        for key in sorted(wanted):
            self.live.load(*key)

    # -- specs
    def specs(self, instance_type: str) -> Optional[Specs]:
        return self._specs.get(instance_type)

    def known_types(self) -> list[str]:
        return sorted(self._specs)

    def kind(self, instance_type: str) -> Optional[str]:
        """ "CPU" or "GPU" from the type's specs, else from its family's; None if unknown."""
        s = self._specs.get(instance_type)
        if s:
            return s.kind
        kinds = self._family_kinds.get(family(instance_type) or "", set())
        return next(iter(kinds)) if len(kinds) == 1 else None

    # -- direct prices
    def _index(self) -> PriceIndex:
        version = self.live.version if self.live else 0
        idx = self._idx
        if idx is None or idx.version != version:
            prices = dict(self._bundled)
            for (region, component), data in self.live.tables() if self.live else []:
                component = component_key(component)
                for itype, item in data["items"].items():
                    prices[(region, component, itype)] = _live_quote(region, component, itype, item)
            idx = self._idx = PriceIndex(prices, version)
        return idx

    def direct(self, region: str, component: str, instance_type: str) -> Optional[Quote]:
        """The live or bundled price, if any: no estimate."""
        return self._index().prices.get((region, component_key(component), instance_type))

    def price(self, region: str, component: str, instance_type: str) -> Quote:
        """Live, else bundled, else a labelled estimate, else unknown (components in any
        case)."""
        component = component_key(component)
        return (
            self.direct(region, component, instance_type)
            or self.estimate(region, component, instance_type)
            or self.unknown(region, component, instance_type)
        )

    def unknown(self, region: str, component: str, instance_type: str) -> Quote:
        """No price, saying why and, where something would, what would fix it."""
        component = component_key(component)
        failure = self.live.failure(region, component) if self.live else None
        known_here = any(c == component for c, _ in self._index().by_region.get(region, {}))
        what = f"no {component} price is known for {instance_type} in {region}"
        where = {"component": component, "region": region, "type": instance_type}
        fix: Optional[Message] = None
        if failure is not None:
            detail = Message.of(
                "price.unknown_fetch_failed",
                f"{what}: the live Price List fetch failed: {failure.message}",
                **where,
                **quoted_error(failure.code, failure.message, dict(failure.params)),
            )
            fix = failure.fix
        elif known_here:
            detail = Message.of(
                "price.unknown_too_little_data",
                f"{what}, and too little close data to estimate one",
                **where,
            )
        elif self.live is None:
            fix_text = (
                "turn live prices on (SmCostApp.live_prices; the role needs pricing:GetProducts)"
            )
            if is_china(region):
                detail = Message.of(
                    "price.unknown_china_live_off",
                    f"{what}: no China (CNY) price is bundled, a USD price is never converted, "
                    "and live prices are off",
                    **where,
                )
                api = price_list_api_region(region)
                fix = Message.of(
                    "fix.live_prices_china",
                    f"{fix_text}, served for China from {api}",
                    api_region=api,
                )
            else:
                detail = Message.of(
                    "price.unknown_live_off",
                    f"{what}: none is bundled for {region}, and live prices are off",
                    **where,
                )
                fix = Message.of("fix.live_prices", fix_text)
        elif self.live.cached(region, component) is None:
            detail = Message.of(
                "price.unknown_not_fetched",
                f"{what}: none is bundled for {region}, and none was fetched live yet",
                **where,
            )
        else:
            detail = Message.of(
                "price.unknown_nowhere",
                f"{what}: neither the bundled snapshot nor the Price List has any",
                **where,
            )
        return Quote(
            None,
            "unknown",
            None,
            detail.text,
            region,
            component,
            instance_type,
            currency=currency_of(region) or USD,
            fix=fix.text if fix else None,
            detail_message=detail,
            fix_message=fix,
        )

    def total(self, region: str, component: str, instance_types: list[str]) -> Quote:
        """What the apps billed at once cost together: nothing billed runs (``not_billed``)
        for none, the price of the one, else the sum with the least sure source among them
        (unknown as soon as one of them is) and the parts."""
        component = component_key(component)
        parts = tuple(self.price(region, component, t) for t in instance_types)
        if not parts:
            none = Message.of("price.not_billed", "no billed app is running")
            return Quote(
                0.0,
                "not_billed",
                None,
                none.text,
                region,
                component,
                currency=currency_of(region) or USD,
                detail_message=none,
            )
        if len(parts) == 1:
            return parts[0]
        missing = [p for p in parts if p.per_hour is None]
        currency = parts[0].currency
        if not missing and any(p.currency != currency for p in parts):
            missing = [p for p in parts if p.currency != currency]  # never summed across
        if missing:
            names = ", ".join(str(p.instance_type) for p in missing)
            why = Message.of(
                "price.unknown_parts",
                f"the price of {names} is unknown: {missing[0].detail}",
                types=names,
                part=parts.index(missing[0]),  # whose detail says why (parts[part])
            )
            return Quote(
                None,
                "unknown",
                None,
                why.text,
                region,
                component,
                currency=currency,
                fix=missing[0].fix,
                parts=parts,
                detail_message=why,
                fix_message=missing[0].fix_message,
            )
        worst = max(parts, key=lambda p: SOURCES.index(p.source))
        dates = [p.as_of for p in parts if p.as_of]
        ranged = any(p.low is not None for p in parts)
        bounds = [p.bounds or (0.0, 0.0) for p in parts]
        summed = Message.of(
            "price.sum",
            f"sum of {len(parts)} apps: "
            + "; ".join(f"{p.instance_type} {p.describe()}" for p in parts),
            count=len(parts),  # each part described from ``parts``
        )
        return Quote(
            round(sum(p.per_hour or 0.0 for p in parts), 4),
            worst.source,
            min(dates) if dates else None,
            summed.text,
            region,
            component,
            currency=currency,
            parts=parts,
            detail_message=summed,
            low=round(sum(lo for lo, _ in bounds), 4) if ranged else None,
            high=round(sum(hi for _, hi in bounds), 4) if ranged else None,
        )

    def _types_priced(self, region: str, component: str) -> set[str]:
        component = component_key(component)
        return {t for (c, t) in self._index().by_region.get(region, {}) if c == component}

    def table(
        self, region: str, component: str, types: Optional[Iterable[str]] = None
    ) -> list[tuple[str, Quote, Optional[Specs]]]:
        """Rows for every type priced (or given), sorted by price then name."""
        names = set(types) if types is not None else self._types_priced(region, component)
        rows = [(t, self.price(region, component, t), self.specs(t)) for t in names]
        rows.sort(key=lambda r: (r[1].per_hour is None, r[1].per_hour or 0, r[0]))
        return rows

    def as_of(self, region: str, component: str) -> Optional[str]:
        """Latest date among the prices known for this region/component."""
        component = component_key(component)
        dates = [
            p.as_of
            for (c, _), p in self._index().by_region.get(region, {}).items()
            if c == component and p.as_of
        ]
        return max(dates) if dates else None

    # -- estimates
    def estimate(
        self,
        region: str,
        component: str,
        instance_type: str,
        rules: Iterable[str] = ESTIMATE_RULES,
    ) -> Optional[Quote]:
        """The first of ``rules`` that can estimate this price from the others; None if none
        can. Never looks at this very (region, component, type)'s own price."""
        return self._estimator.estimate(
            self._index(), region, component_key(component), instance_type, rules
        )
