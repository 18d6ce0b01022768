"""Reports built from the history (pure, or reading the store when given one): the usage
series at a step, the recommendation window with kept minutes, spend per day and this month
to date."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

from ..pricing import USD
from ..recommend import GPU_IDLE, HEADROOM, SATURATED
from ..usage import Aggregate, Reading, UsageSummary, summarize
from .recorder import HistoryRecorder
from .store import HOUR, KEPT_S, MINUTE, BucketKey, HistoryStore, Running, Span


def window_summary(
    window_s: float,
    raw: Sequence[tuple[float, Reading]],
    kept: Sequence[tuple[int, Aggregate]],
    interval_s: float,
) -> UsageSummary:
    """This run's readings (``raw``, oldest first) and kept buckets from before it
    (``kept``, newest first) as one window. ``span_s`` is the running time covered."""
    raw_span = raw[-1][0] - raw[0][0] if raw else 0.0
    kept_s = sum(min(float(HOUR), a.n * interval_s) for _, a in kept)
    aggs = [a for _, a in reversed(kept)] + [Aggregate.of(r) for _, r in raw]
    return summarize(window_s, min(window_s, raw_span + kept_s), aggs)


#: the steps GET history accepts (seconds): divisors of an hour, then of a day
STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_POINTS = 1500


def choose_step(step: int, since: float, until: float) -> int:
    """``step``, or the smallest accepted step that gives at most MAX_POINTS points."""
    for s in STEPS:
        if s >= step and (until - since) / s <= MAX_POINTS:
            return s
    return STEPS[-1]


def read_usage(
    store: HistoryStore,
    pending: Iterable[tuple[BucketKey, Aggregate]],
    since: float,
    until: float,
    step: int,
) -> list[tuple[int, str, Aggregate]]:
    """Buckets for a series at ``step``: minutes where kept (when the step is under an
    hour), hours before that (and for steps of an hour or more), written or pending."""
    end = math.floor(until) + 1  # the bucket ``until`` falls in counts
    if step < HOUR:
        cutoff = max(since, math.ceil((until - KEPT_S[MINUTE]) / HOUR) * HOUR)
        parts = [(HOUR, since, cutoff), (MINUTE, cutoff, end)]
    else:
        parts = [(HOUR, since, end)]
    # buckets that started before ``since`` but reach into it count too
    rows: list[tuple[int, str, Aggregate]] = []
    for tier, a, b in parts:
        if b <= a:
            continue
        start = a // tier * tier
        rows.extend(store.buckets(tier, start, b, step))
        rows.extend(
            (t, itype, agg)
            for (k_tier, t, itype), agg in pending
            if k_tier == tier and start <= t < b
        )
    return rows


def _r(x: Optional[float], n: int = 4) -> Optional[float]:
    return None if x is None else round(x, n)


def series(rows: Iterable[tuple[int, str, Aggregate]], step: int) -> list[dict[str, Any]]:
    """Points at ``step`` (t: UNIX seconds at the step's start), each with its samples'
    mean and maximum; steps without samples are left out (the chart shows a gap)."""
    by_t: dict[int, list[tuple[str, Aggregate]]] = {}
    for t, itype, agg in rows:
        by_t.setdefault(t // step * step, []).append((itype, agg))
    out = []
    for t in sorted(by_t):
        parts = by_t[t]
        if len(parts) == 1:  # the usual case: SQLite merged the step already
            itype, a = parts[0]
        else:
            a, types = Aggregate(), {}
            for it, agg in sorted(parts, key=lambda p: p[1].n):
                a.merge(agg)
                types[it] = types.get(it, 0) + agg.n
            itype = max(types.items(), key=lambda kv: kv[1])[0]
        if not a.n:
            continue
        out.append(_point(t, itype or None, a))
    return out


def _point(t: int, itype: Optional[str], a: Aggregate) -> dict[str, Any]:
    total = a.mem_total or 0.0
    return {
        "t": t,
        "instance_type": itype,
        "samples": a.n,
        "cpu_count": a.cpu_count,
        "cpu_mean": round(a.cpu_sum / a.cpu_n, 4) if a.cpu_n else None,
        "cpu_max": _r(a.cpu_max),
        "mem_total_gib": _r(a.mem_total, 2),
        "mem_mean": round(a.mem_sum / a.n / total, 4) if total else None,
        "mem_max": round(a.mem_max / total, 4) if total and a.mem_max is not None else None,
        "mem_max_gib": _r(a.mem_max, 2),
        "gpu_count": a.gpu_count,
        "gpu_mean": round(a.gpu_sum / a.gpu_n, 4) if a.gpu_n else None,
        "gpu_max": _r(a.gpu_max),
        "gpu_mem_max_gib": _r(a.gpu_mem_max, 2),
        "gpu_mem_total_gib": _r(a.gpu_mem_total, 2),
        "gpus_in_use_max": a.gpu_used_max if a.gpu_used_n else None,
    }


def _utc_day(ts: float) -> date:
    return datetime.fromtimestamp(ts, timezone.utc).date()


def _day_start(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()


class Tally:
    """Hours and what they cost (in ``currency``) of some spans, with what each price was and
    where it came from. Hours priced in another currency count as unpriced: amounts are never
    summed across currencies."""

    def __init__(self, currency: str = USD) -> None:
        self.currency = currency
        self.hours = 0.0
        self.unpriced_hours = 0.0
        self.amount = 0.0
        self.by_price: dict[Running, list[float]] = {}  # running -> [hours, amount]

    def add(self, r: Running, hours: float) -> None:
        if hours <= 0:
            return
        r = replace(r, slot=0)
        self.hours += hours
        row = self.by_price.setdefault(r, [0.0, 0.0])
        row[0] += hours
        if r.per_hour is None or r.currency != self.currency:
            self.unpriced_hours += hours
        else:
            self.amount += hours * r.per_hour
            row[1] += hours * r.per_hour

    def to_json(self) -> dict[str, Any]:
        return {
            "amount": round(self.amount, 4),
            "hours": round(self.hours, 4),
            "unpriced_hours": round(self.unpriced_hours, 4),
            "prices": [
                {
                    "price": r.quote().to_json(),
                    "hours": round(h, 4),
                    "amount": None if r.per_hour is None else round(amount, 4),
                }
                for r, (h, amount) in sorted(
                    self.by_price.items(), key=lambda kv: (kv[0].instance_type, -kv[1][0])
                )
            ],
        }


def session_cost(hours: Iterable[tuple[Running, float]]) -> Optional[float]:
    """What this server's running time cost, each span at the price in force then (None
    when some of it ran at an unknown price, or in two currencies)."""
    hours = list(hours)
    tally = Tally(hours[-1][0].currency if hours else USD)
    for r, h in hours:
        tally.add(r, h)
    return None if tally.unpriced_hours else round(tally.amount, 4)


def _overlap(s: Span, a: float, b: float) -> float:
    return max(0.0, min(s.end, b) - max(s.start, a)) / HOUR


def spend(spans: Sequence[Span], first_day: date, now: float) -> dict[str, Any]:
    """Spend per UTC day from ``first_day`` to today (days without spans are zero), and
    this month to date: each span's hours in the day x the price in force in that span."""
    today = _utc_day(now)
    # one server runs in one region: the latest span's currency (CNY in China)
    currency = max(spans, key=lambda s: s.end).running.currency if spans else USD
    days = []
    for d in iter_days(first_day, today):
        a, b = _day_start(d), _day_start(d + timedelta(days=1))
        tally = Tally(currency)
        for s in spans:
            tally.add(s.running, _overlap(s, a, b))
        days.append({"date": d.isoformat(), **tally.to_json()})
    month = today.replace(day=1)
    mtd = Tally(currency)
    for s in spans:
        mtd.add(s.running, _overlap(s, _day_start(month), now))
    return {
        "currency": currency,
        "days": days,
        "month_to_date": {"month": month.strftime("%Y-%m"), **mtd.to_json()},
    }


def iter_days(first: date, last: date) -> Iterator[date]:
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def iso(ts: float) -> str:
    """UNIX seconds as an RFC 3339 date-time in UTC."""
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def history_span(
    since: Optional[float], until: float, step: int, window_s: Optional[float]
) -> tuple[float, int]:
    """(start, step) of a GET history: ``since`` (default: the recommendation window, else an
    hour back) kept within what is kept and now; ``step`` raised to give at most
    MAX_POINTS points."""
    oldest = until - KEPT_S[HOUR]
    start = since if since is not None else until - (window_s or HOUR)
    start = min(max(start, oldest), until)
    return start, choose_step(step, start, until)


def history_head(
    start: float,
    until: float,
    step: int,
    window_s: Optional[float],
    instance_type: Optional[str],
    enabled: bool,
) -> dict[str, Any]:
    """GET history's answer before anything is read: the span asked and what the rules use."""
    return {
        "enabled": enabled,
        "since": iso(start),
        "until": iso(until),
        "step_s": step,
        "window_s": window_s,
        "instance_type": instance_type,
        "thresholds": {
            "cpu_saturated": SATURATED,
            "mem_saturated": SATURATED,
            "gpu_idle": GPU_IDLE,
            "headroom": HEADROOM,
        },
        "kept_since": None,
        "usage": [],
        "spend": None,
        "billed": None,
    }


def read_history(history: HistoryRecorder, start: float, until: float, step: int) -> dict[str, Any]:
    """The usage series, spend per day from ``start``'s day and this month to date, and
    when the oldest thing kept started. Blocking (reads the file)."""
    rows = read_usage(history.store, history.pending(), start, until, step)
    first_day = _utc_day(start)
    month = _utc_day(until).replace(day=1)
    spans_from = min(start, _day_start(month))
    oldest_kept = history.store.oldest()
    return {
        "usage": series(rows, step),
        "spend": spend(history.spans(spans_from), first_day, until),
        "kept_since": None if oldest_kept is None else iso(oldest_kept),
    }
