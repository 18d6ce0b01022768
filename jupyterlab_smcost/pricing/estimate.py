"""Estimates: a price derived from the others, labelled with how (:data:`ESTIMATE_RULES`, in
order; the first that answers wins). Measured by ``benchmarks/bench_price_estimates.py``,
leaving each bundled price out in turn. Pure: works on a :class:`PriceIndex` of the direct
(live or bundled) prices."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any, Optional

from ..aws.partitions import currency_of
from ..messages import Message
from .accelerators import generation
from .quote import COMPONENTS, Quote, Specs, currency_symbol, family, size_units

#: estimate rules, in the order they are tried
ESTIMATE_RULES = ("component", "region", "family")
#: a region ratio over a whole kind (no shared type of the family) needs this many types
MIN_KIND_SHARED = 3
#: components with no shared type are taken as equal only while every measured pair of
#: components agreed within this (0.33% in the bundled data)
COMPONENT_AGREEMENT_MAX = 0.02
#: a GPU family's fitted size model needs this many prices, ...
FAMILY_FIT_MIN_PRICES = 4
#: ... must predict each of them that lies inside the others' sizes, left out in turn,
#: within this, ...
FAMILY_FIT_MAX_ERROR = 0.05
#: ... and at least this many of them must be checked so
FAMILY_FIT_MIN_CHECKS = 2


def _fit(points: list[tuple[float, float, float]]) -> Optional[tuple[float, float]]:
    """Least squares ``price = a * accelerators + b * vcpu`` over (acc, vcpu, price)."""
    saa = sum(a * a for a, _, _ in points)
    svv = sum(v * v for _, v, _ in points)
    sav = sum(a * v for a, v, _ in points)
    sap = sum(a * p for a, _, p in points)
    svp = sum(v * p for _, v, p in points)
    det = saa * svv - sav * sav
    if abs(det) < 1e-9 * max(saa * svv, 1e-12):
        return None
    return (sap * svv - svp * sav) / det, (svp * saa - sap * sav) / det


def _inside(points: list[tuple[float, float, float]], acc: float, vcpu: float) -> bool:
    return min(p[0] for p in points) <= acc <= max(p[0] for p in points) and min(
        p[1] for p in points
    ) <= vcpu <= max(p[1] for p in points)


def _ranged(quote: Quote, low: float, high: float) -> Quote:
    """``quote`` with its likely range (widened to hold the price itself), 4 decimals."""
    value = quote.per_hour or 0.0
    return replace(quote, low=round(min(low, value), 4), high=round(max(high, value), 4))


def _precision(value: float) -> float:
    """Half a unit in the last decimal a price is given to (0.062: 0.0005): prices are
    published rounded, so one known to 3 decimals may be 0.0005 off the rate it stands for."""
    exponent = Decimal(repr(value)).as_tuple().exponent
    return 0.5 * 10.0**exponent if isinstance(exponent, int) else 0.0


def _base_bounds(base: Quote) -> tuple[float, float]:
    """The range a price an estimate is derived from stands for: an estimate's own range,
    a published price give or take its rounding."""
    if base.low is not None and base.high is not None:
        return base.low, base.high
    value = base.per_hour or 0.0
    return value - _precision(value), value + _precision(value)


def _fit_self_check(points: list[tuple[float, float, float]]) -> Optional[float]:
    """The worst error of the fit on each point left out in turn (those inside the others'
    sizes); None when fewer than FAMILY_FIT_MIN_CHECKS points can be checked so."""
    errors = []
    for i, (acc, vcpu, usd) in enumerate(points):
        rest = points[:i] + points[i + 1 :]
        if not _inside(rest, acc, vcpu):
            continue
        ab = _fit(rest)
        if ab is None:
            return None
        errors.append(abs((ab[0] * acc + ab[1] * vcpu) / usd - 1))
    return max(errors) if len(errors) >= FAMILY_FIT_MIN_CHECKS else None


def _newest_first(price: Quote) -> tuple[int, ...]:
    """A sort key that puts later ``as_of`` dates (2026-09-24, 2025-01) first."""
    return tuple(-int(x) for x in (price.as_of or "0").split("-") if x.isdigit())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class PriceIndex:
    """The direct (live or bundled) prices at one moment, with memos of what estimates
    derive from them; replaced whenever the live tables change."""

    def __init__(self, prices: dict[tuple[str, str, str], Quote], version: int) -> None:
        self.version = version
        self.prices = prices
        self.by_region: dict[str, dict[tuple[str, str], Quote]] = {}
        for (region, component, itype), p in prices.items():
            self.by_region.setdefault(region, {})[(component, itype)] = p
        self.memo: dict[tuple[Any, ...], Any] = {}


class Estimator:
    """The estimate rules over one book's specs (``kind``: CPU or GPU of a type)."""

    #: borrow a region ratio from the closest families before the kind's (the benchmark
    #: turns it off to compare)
    closest_family = True

    def __init__(self, specs: dict[str, Specs], kind: Callable[[str], Optional[str]]) -> None:
        self._specs = specs
        self.kind = kind
        self._generations: Optional[dict[str, str]] = None

    def estimate(
        self,
        idx: PriceIndex,
        region: str,
        component: str,
        instance_type: str,
        rules: Iterable[str] = ESTIMATE_RULES,
    ) -> Optional[Quote]:
        """The first of ``rules`` that can estimate this price from ``idx``; None if none
        can. Never looks at this very (region, component, type)'s own price."""
        rules = tuple(rules)
        key = ("estimate", region, component, instance_type, rules, self.closest_family)
        if key not in idx.memo:
            found = None
            for rule in rules:
                found = getattr(self, f"_by_{rule}")(idx, region, component, instance_type)
                if found:
                    found = replace(
                        found, region=region, component=component, instance_type=instance_type
                    )
                    break
            idx.memo[key] = found
        return idx.memo[key]

    def _component_ratio(
        self, idx: PriceIndex, region: str, component: str, other: str, kind: Optional[str]
    ) -> tuple[float, int, float, float]:
        """Median price ratio component / other over the region's shared types of a kind,
        their count, the lowest and the highest."""
        key = ("component", region, component, other, kind)
        if key not in idx.memo:
            ratios = [
                p.per_hour / base.per_hour
                for (c, t), p in idx.by_region.get(region, {}).items()
                if c == component
                and (base := idx.prices.get((region, other, t)))
                and p.per_hour
                and base.per_hour
                and (kind is None or self.kind(t) == kind)
            ]
            idx.memo[key] = (
                (statistics.median(ratios), len(ratios), min(ratios), max(ratios))
                if ratios
                else (1.0, 0, 1.0, 1.0)
            )
        return idx.memo[key]

    def _component_agreement(self, idx: PriceIndex) -> tuple[float, int]:
        """The worst disagreement between two components pricing one type in one region,
        and how many such pairs there are."""
        if "agreement" not in idx.memo:
            worst, pairs = 0.0, 0
            for prices in idx.by_region.values():
                by_type: dict[str, list[float]] = {}
                for (_, t), p in prices.items():
                    if p.per_hour:
                        by_type.setdefault(t, []).append(p.per_hour)
                for usd in by_type.values():
                    for i, a in enumerate(usd):
                        for b in usd[i + 1 :]:
                            worst, pairs = max(worst, abs(a / b - 1), abs(b / a - 1)), pairs + 1
            idx.memo["agreement"] = (worst, pairs)
        return idx.memo["agreement"]

    def _by_component(
        self, idx: PriceIndex, region: str, component: str, itype: str
    ) -> Optional[Quote]:
        kind = self.kind(itype)
        options = []
        for (c, t), base in idx.by_region.get(region, {}).items():
            if t != itype or c == component or not base.per_hour:
                continue
            ratio, shared, lo, hi = self._component_ratio(idx, region, component, c, kind)
            order = COMPONENTS.index(c) if c in COMPONENTS else len(COMPONENTS)
            options.append((-shared, order, c, base, ratio, shared, lo, hi))
        if not options:
            return None
        _, _, other, base, ratio, shared, lo, hi = min(options, key=lambda o: o[:3])
        said = f"{itype} {other} price in {region} ({base.describe()})"
        where = {"type": itype, "other": other, "region": region, "component": component}
        if shared:
            how = Message.of(
                "price.est_component",
                f"{said} x {ratio:.3f}, the {component} / {other} ratio over the "
                f"{_plural(shared, (kind or 'priced') + ' type')} both price in {region}",
                ratio=round(ratio, 3),
                shared=shared,
                kind=kind or "",
                **where,
            )
        else:
            worst, pairs = self._component_agreement(idx)
            if not pairs or worst > COMPONENT_AGREEMENT_MAX:
                return None
            how = Message.of(
                "price.est_component_as_is",
                f"{said} as is: no {component} price in {region} to compare; components "
                f"priced a type within {worst:.1%} of each other wherever two were known "
                f"({pairs} pairs)",
                worst=round(worst, 4),
                pairs=pairs,
                **where,
            )
            lo, hi = 1 - worst, 1 + worst
        found = Quote(
            round(base.per_hour * ratio, 4),
            "estimated",
            base.as_of,
            how.text,
            region,
            component,
            itype,
            currency=base.currency,
            detail_message=how,
            basis=base,
        )
        base_lo, base_hi = _base_bounds(base)
        return _ranged(found, base_lo * lo, base_hi * hi)

    def _region_ratio(
        self, idx: PriceIndex, region: str, other: str, fam: str, kind: Optional[str]
    ) -> Optional[tuple[float, int, str, float, float]]:
        """Median price ratio region / other over the (component, type) pairs both price:
        those of the family if any, else of the closest families (same accelerator maker
        and generation), else of the kind (at least MIN_KIND_SHARED); with the count, what
        they were, and the likely range: the spread of the family's own ratios, or for a
        ratio borrowed from other families the spread of the kind's families' ratios."""
        key = ("region", region, other, fam, kind, self.closest_family)
        if key not in idx.memo:
            own: list[float] = []
            per_family: dict[str, list[float]] = {}
            for (c, t), p in idx.by_region.get(region, {}).items():
                base = idx.prices.get((other, c, t))
                if not (base and base.per_hour and p.per_hour):
                    continue
                ratio = p.per_hour / base.per_hour
                if family(t) == fam:
                    own.append(ratio)
                elif kind is not None and self.kind(t) == kind:
                    per_family.setdefault(family(t) or "", []).append(ratio)
            kind_ratios = [r for rs in per_family.values() for r in rs]
            medians = [statistics.median(rs) for rs in per_family.values()]
            gen = self._generation(fam) if self.closest_family else None
            close = sorted(f for f in per_family if gen and self._generation(f) == gen)
            close_ratios = [r for f in close for r in per_family[f]]
            found = None
            if own:
                found = (statistics.median(own), len(own), fam, min(own), max(own))
            elif close_ratios:
                found = (
                    statistics.median(close_ratios),
                    len(close_ratios),
                    f"{gen} ({', '.join(close)})",
                    min(medians),
                    max(medians),
                )
            elif len(kind_ratios) >= MIN_KIND_SHARED:
                found = (
                    statistics.median(kind_ratios),
                    len(kind_ratios),
                    str(kind),
                    min(medians),
                    max(medians),
                )
            idx.memo[key] = found
        return idx.memo[key]

    def _generation(self, fam: str) -> Optional[str]:
        """The accelerator maker and generation of a family's types (None: not one)."""
        if self._generations is None:
            gens: dict[str, set[Optional[str]]] = {}
            for t, s in self._specs.items():
                model = s.gpu_model or s.accelerator_model
                gens.setdefault(family(t) or "", set()).add(generation(model))
            self._generations = {
                f: next(iter(g)) for f, g in gens.items() if len(g) == 1 and None not in g
            }
        return self._generations.get(fam)

    def _by_region(
        self, idx: PriceIndex, region: str, component: str, itype: str
    ) -> Optional[Quote]:
        fam = family(itype)
        if not fam:
            return None
        kind = self.kind(itype)
        currency = currency_of(region)
        options = []
        for other in idx.by_region:
            # a ratio between regions billed in two currencies would be an exchange rate:
            # a China (CNY) price is never derived from a USD one
            if other == region or currency is None or currency_of(other) != currency:
                continue
            base = idx.prices.get((other, component, itype)) or self._by_component(
                idx, other, component, itype
            )
            if not base or not base.per_hour:
                continue
            ratio = self._region_ratio(idx, region, other, fam, kind)
            if ratio is None:
                continue
            value, shared, over, lo, hi = ratio
            # a family ratio before a kind ratio, a known base before an estimated one,
            # then the most shared types, the newest base
            rank = (over != fam, base.source == "estimated", -shared, _newest_first(base), other)
            base_lo, base_hi = _base_bounds(base)
            options.append((rank, other, base, value, shared, over, base_lo * lo, base_hi * hi))
        if not options:
            return None
        best = min(options, key=lambda o: o[0])
        _, other, base, value, shared, over, _, _ = best
        # the range: what this and every other region with a ratio of the same standing
        # (own family, or borrowed) would have made of it
        alike = [o for o in options if o[0][0] == best[0][0]]
        low, high = min(o[6] for o in alike), max(o[7] for o in alike)
        text = (
            f"{itype} in {other} ({base.describe()}) x {value:.2f}, the {region} / {other} "
            f"ratio over the {_plural(shared, over + ' type')} both price"
        )
        through: dict[str, Any] = {}
        if len(alike) > 1:
            text += f"; its range: the same rule through {_plural(len(alike), 'region')}"
            through["regions"] = len(alike)
        how = Message.of(
            "price.est_region",
            text,
            type=itype,
            other=other,
            region=region,
            ratio=round(value, 2),
            shared=shared,
            over=over,
            **through,
        )
        found = Quote(
            round(base.per_hour * value, 4),
            "estimated",
            base.as_of,
            how.text,
            currency=base.currency,
            detail_message=how,
            basis=base,
        )
        return _ranged(found, low, high)

    def _by_family(
        self, idx: PriceIndex, region: str, component: str, itype: str
    ) -> Optional[Quote]:
        fam, units, kind = family(itype), size_units(itype), self.kind(itype)
        if not fam or not units or kind is None:
            return None
        siblings = [
            (t, p)
            for (c, t), p in idx.by_region.get(region, {}).items()
            if c == component and t != itype and family(t) == fam and p.per_hour
        ]
        if not siblings:
            return None
        if kind == "CPU":
            sib, base = min(
                siblings, key=lambda s: (abs(math.log((size_units(s[0]) or 1) / units)), s[0])
            )
            factor = units / (size_units(sib) or units)
            how = Message.of(
                "price.est_family_size",
                f"{sib} in {region} ({base.describe()}) x {factor:g}: CPU types of a family "
                "are priced in proportion to their size",
                sibling=sib,
                region=region,
                factor=factor,
            )
            found = Quote(
                round((base.per_hour or 0) * factor, 4),
                "estimated",
                base.as_of,
                how.text,
                currency=base.currency,
                detail_message=how,
                basis=base,
            )
            # the range: what the siblings' own prices per size unit spread over
            per_unit = [(_base_bounds(p), u) for t, p in siblings if (u := size_units(t))]
            return _ranged(
                found,
                min(lo / u for (lo, _), u in per_unit) * units,
                max(hi / u for (_, hi), u in per_unit) * units,
            )
        return self._fit_family(region, component, itype, fam, siblings)

    def _fit_family(
        self,
        region: str,
        component: str,
        itype: str,
        fam: str,
        siblings: list[tuple[str, Quote]],
    ) -> Optional[Quote]:
        target = self._specs.get(itype)
        points = []
        for t, p in siblings:
            s = self._specs.get(t)
            if s is None or not s.accelerators:
                return None
            points.append((float(s.accelerators), float(s.vcpu), p.per_hour or 0.0))
        if target is None or len(points) < FAMILY_FIT_MIN_PRICES:
            return None
        if not _inside(points, target.accelerators, target.vcpu):
            return None  # no extrapolation beyond the sizes fitted
        check = _fit_self_check(points)
        ab = _fit(points)
        if ab is None or check is None or check > FAMILY_FIT_MAX_ERROR:
            return None
        a, b = ab
        unit = "GPU" if target.gpu_count else "accelerator"
        currencies = {p.currency for _, p in siblings}
        if len(currencies) != 1:
            return None
        currency = currencies.pop()
        sym = currency_symbol(currency)
        dates = [p.as_of for _, p in siblings if p.as_of]
        value = a * target.accelerators + b * target.vcpu
        how = Message.of(
            "price.est_family_fit",
            f"{sym}{a:.4g} per {unit} + {sym}{b:.4g} per vCPU, fitted to the {len(points)} "
            f"{fam} {component} prices in {region}, each predicted within {check:.1%} when "
            "left out",
            per_unit=float(f"{a:.4g}"),
            per_vcpu=float(f"{b:.4g}"),
            currency=currency,
            unit=unit,
            count=len(points),
            family=fam,
            component=component,
            region=region,
            check=round(check, 4),
        )
        found = Quote(
            round(value, 4),
            "estimated",
            min(dates) if dates else None,
            how.text,
            currency=currency,
            detail_message=how,
        )
        # the range: the fit's worst left-out error, either way
        return _ranged(found, value * (1 - check), value * (1 + check))
