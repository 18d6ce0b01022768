"""How close the price book's estimates are: leave each bundled price out in turn, estimate it
from the rest, and compare.

For every (region, component, type) price in the bundled snapshot, a price book is built from
the snapshot without that one price and asked to estimate it, with:

- ``book``: the product's rules in order (what users see), and each rule alone;
- ``old chain``: the estimator before the family fit (the same type under another component as is,
  else linear in size from the nearest priced sibling), kept here to compare;
- ``old linear``: linear in size from the nearest priced sibling alone.

Printed per kind (CPU; GPU, with Inferentia/Trainium types): how many prices each answered
(the rest it left unknown), the median and the worst absolute error, and which price was the
worst; then the region rule per held-out region. Target: median <= 3%, worst <= 15%.

Every estimate also has a likely range (the spread its rule measured): ``inside`` is how often
the real price fell inside it (target >= 90%), ``width`` the median range width relative to the
price. ``book, kind ratio only`` is the book with the closest-family preference off (a region
ratio borrowed from the whole kind instead of the same accelerator maker and generation).

    python benchmarks/bench_price_estimates.py
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Optional

from jupyterlab_smcost.pricing import (
    ESTIMATE_RULES,
    PriceBook,
    family,
    load_bundled,
    size_units,
)

Key = tuple[str, str, str]
Estimator = Callable[[PriceBook, str, str, str], Optional[float]]
RangedEstimator = Callable[[PriceBook, str, str, str], Optional[tuple[float, float, float]]]


def old_chain(book: PriceBook, region: str, component: str, itype: str) -> Optional[float]:
    """The estimator before the family fit: another component's price as is, else linear."""
    others = sorted(
        c
        for (r, c, t) in book._index().prices  # noqa: SLF001 (the benchmark reads the index)
        if r == region and t == itype and c != component
    )
    for other in others:
        base = book.direct(region, other, itype)
        if base and base.per_hour is not None:
            return base.per_hour
    return old_linear(book, region, component, itype)


def old_linear(book: PriceBook, region: str, component: str, itype: str) -> Optional[float]:
    """Linear in size from the nearest priced sibling of the same family (the old rule 2)."""
    fam, units = family(itype), size_units(itype)
    if not fam or not units:
        return None
    siblings = [
        t
        for (r, c, t) in book._index().prices  # noqa: SLF001
        if r == region and c == component and t != itype and family(t) == fam and size_units(t)
    ]
    if not siblings:
        return None
    sib = min(siblings, key=lambda t: abs((size_units(t) or 0) - units))
    base = book.direct(region, component, sib)
    if not base or base.per_hour is None:
        return None
    return base.per_hour * units / (size_units(sib) or 1)


def rules_estimator(rules: tuple[str, ...], closest: bool = True) -> RangedEstimator:
    def estimate(
        book: PriceBook, region: str, component: str, itype: str
    ) -> Optional[tuple[float, float, float]]:
        book._estimator.closest_family = closest  # noqa: SLF001 (compare the two)
        p = book.estimate(region, component, itype, rules=rules)
        if not p or p.bounds is None or p.per_hour is None:
            return None
        return (p.per_hour, *p.bounds)

    return estimate


def plain(estimate: Estimator) -> RangedEstimator:
    def ranged(book: PriceBook, region: str, component: str, itype: str):  # noqa: ANN202
        value = estimate(book, region, component, itype)
        return None if value is None else (value, value, value)

    return ranged


BOOK = "book (" + ", ".join(ESTIMATE_RULES) + ")"
ESTIMATORS: dict[str, RangedEstimator] = {
    BOOK: rules_estimator(ESTIMATE_RULES),
    "book, kind ratio only (before closest family)": rules_estimator(ESTIMATE_RULES, False),
    **{f"  {rule} rule alone": rules_estimator((rule,)) for rule in ESTIMATE_RULES},
    "old chain (component as is, else linear)": plain(old_chain),
    "old linear in size alone": plain(old_linear),
}
RANGED = {name for name in ESTIMATORS if name.startswith(("book", "  "))}
#: a real price this close to the range's edge counts inside (the range is rounded to 4
#: decimals, as prices are)
EDGE = 5e-5


Inside = dict[str, dict[Key, tuple[bool, float]]]


def leave_one_out() -> tuple[dict[str, dict[Key, float]], Inside, dict[Key, str], int]:
    """Per estimator, the relative error of each price it answered, whether the real price
    fell inside the range and the range's relative width; the kind of each price."""
    snapshot = load_bundled()
    prices = snapshot["prices"]
    errors: dict[str, dict[Key, float]] = {name: {} for name in ESTIMATORS}
    inside: Inside = {name: {} for name in ESTIMATORS}
    kinds: dict[Key, str] = {}
    for i, held in enumerate(prices):
        key = (held["region"], held["component"], held["type"])
        book = PriceBook({**snapshot, "prices": prices[:i] + prices[i + 1 :]})
        kinds[key] = book.kind(held["type"]) or "?"
        for name, estimate in ESTIMATORS.items():
            found = estimate(book, *key)
            if found is not None:
                real = held["usd_per_hour"]
                value, low, high = found
                errors[name][key] = abs(value / real - 1)
                inside[name][key] = (low - EDGE <= real <= high + EDGE, (high - low) / value)
    return errors, inside, kinds, len(prices)


def summary(
    errs: dict[Key, float], total: int, ins: Optional[dict[Key, tuple[bool, float]]] = None
) -> str:
    if not errs:
        return f"{0:>4}/{total:<4} {'-':>7} {'-':>8} {'-':>7} {'-':>6}  -"
    worst = max(errs, key=lambda k: errs[k])
    values = list(errs.values())
    covered = width = "-"
    if ins:
        covered = f"{sum(1 for k in errs if ins[k][0]) / len(errs):.0%}"
        width = f"{statistics.median(ins[k][1] for k in errs):.1%}"
    return (
        f"{len(values):>4}/{total:<4} {statistics.median(values):>7.2%} {errs[worst]:>8.2%} "
        f"{covered:>7} {width:>6}  {worst[2]} {worst[1]} {worst[0]}"
        + ("" if not ins or ins[worst][0] else " (outside its range)")
    )


def main() -> None:
    errors, inside, kinds, n = leave_one_out()
    per_kind = {k: sum(1 for v in kinds.values() if v == k) for k in sorted(set(kinds.values()))}
    print(
        f"Leave-one-out over the {n} bundled prices "
        + ", ".join(f"{c} {k}" for k, c in per_kind.items())
        + ": each estimated from the other "
        f"{n - 1}. Target: median <= 3%, worst <= 15%, inside the range >= 90%.\n"
    )
    header = (
        f"{'estimator':<46} {'kind':<4} {'answered':>9} {'median':>7} {'worst':>8} "
        f"{'inside':>7} {'width':>6}  worst price"
    )
    print(header)
    print("-" * len(header))
    for name, errs in errors.items():
        ins = inside[name] if name in RANGED else None
        for kind, total in per_kind.items():
            mine = {k: e for k, e in errs.items() if kinds[k] == kind}
            mine_in = {k: v for k, v in ins.items() if kinds[k] == kind} if ins else None
            print(f"{name:<46} {kind:<4} {summary(mine, total, mine_in)}")
        if ins:
            covered = sum(1 for v in ins.values() if v[0])
            print(
                f"{'':<46} all  {covered}/{len(ins)} inside their range ({covered / len(ins):.1%})"
            )
    region_errs = errors["  region rule alone"]
    region_in = inside["  region rule alone"]
    misses = sorted(
        (k for k, v in inside[BOOK].items() if not v[0]), key=lambda k: -errors[BOOK][k]
    )
    print(f"\nthe book's estimates outside their range ({len(misses)}):")
    for k in misses:
        print(f"  {k[2]:<18} {k[1]:<18} {k[0]:<15} error {errors[BOOK][k]:.2%}")
    print("\nregion rule alone, per held-out region:")
    for region in sorted({k[0] for k in kinds}):
        for kind, _ in per_kind.items():
            mine = {k: e for k, e in region_errs.items() if k[0] == region and kinds[k] == kind}
            total = sum(1 for k in kinds if k[0] == region and kinds[k] == kind)
            if total:
                print(f"  {region:<16} {kind:<4} {summary(mine, total, region_in)}")


if __name__ == "__main__":
    main()
