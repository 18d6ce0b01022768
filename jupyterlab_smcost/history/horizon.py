"""The recommendation's horizon (``SmCostApp.recommend_horizon``): days of running time on
one instance type, from this run's readings and the kept minutes and hours. Pure.

The horizon is cut into phases of one hour of the clock. Each phase is summed up as the
usage window would be (p95 of samples, or of kept minutes at their peak); a kept hour (older
than the 48 h of minutes) has no p95, so it counts at its mean for CPU and GPU utilisation
and at its peak for memory, GPU memory and GPUs in use (what running out of depends on).
The rules read, for each measure, the busiest phase: a smaller type must fit every hour of
the horizon, and one under-provisioned hour wins over an idle average.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Optional

from ..usage import Aggregate, Reading, UsageSummary, summarize
from .store import HOUR

PHASE_S = HOUR


@dataclass(frozen=True)
class Horizon:
    """What the horizon read: ``summary`` is what the rules use (the busiest phase per
    measure), ``overall`` the whole horizon as one window at an hour's resolution (each
    phase merged: p50 of the hours' means, p95 of their peaks; for the record)."""

    horizon_s: float
    covered_s: float  # running time the samples cover
    since: Optional[float]  # UNIX seconds of the oldest bucket read (None: this run only)
    phases: int
    summary: UsageSummary
    overall: UsageSummary
    busiest: dict[str, Optional[float]]  # measure -> the busiest phase's start

    def to_json(self) -> dict[str, Any]:
        return {
            "horizon_s": self.horizon_s,
            "covered_s": round(self.covered_s, 1),
            "since": _iso(self.since),
            "phases": self.phases,
            "busiest": {k: _iso(v) for k, v in self.busiest.items()},
            "overall": self.overall.to_json(),
        }

    def describe(self) -> str:
        """A clause for the reasons: the running time read and the busiest hour."""
        hours = self.covered_s / HOUR
        span = f"{hours:.0f} h" if hours >= 2 else f"{round(self.covered_s / 60)} min"
        text = f"measured over {span} of running time"
        if self.since is not None:
            text += f" since {_iso(self.since)[:16].replace('T', ' ')} UTC"
        t = self.busiest.get("cpu")
        if self.phases > 1 and t is not None:
            text += f"; busiest hour for CPU from {_iso(t)[11:16]} UTC on {_iso(t)[:10]}"
        return text


def _iso(ts: Optional[float]) -> Optional[str]:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat()


def _as_hour(a: Aggregate) -> Aggregate:
    """A kept hour as a phase: its mean stands for the CPU/GPU p95 (see the module)."""
    return replace(a, cpu_max=a.cpu_mean, gpu_max=a.gpu_mean)


#: measure -> (the field that ranks the phases, the fields taken from the busiest one)
_MEASURES = {
    "cpu": ("cpu_p95", ("cpu_p50", "cpu_p95", "cpu_max")),
    "mem": ("mem_p95", ("mem_p50", "mem_p95", "mem_max", "mem_p95_gib")),
    "gpu": ("gpu_p95", ("gpu_p50", "gpu_p95", "gpu_max")),
    "gpu_mem": ("gpu_mem_max_gib", ("gpu_mem_p95_gib", "gpu_mem_max_gib")),
    "gpus_in_use": ("gpus_in_use_p95", ("gpus_in_use_p50", "gpus_in_use_p95", "gpus_in_use_max")),
}


#: a phase's summary and its buckets merged into one, by (its start, the window, the
#: buckets it holds with their sample counts): a written bucket only changes by gaining
#: samples, so the same counts are the same data
PhaseKey = tuple[int, int, tuple[tuple[int, int, int], ...]]
PhaseCache = dict[PhaseKey, tuple[UsageSummary, Aggregate]]
MAX_CACHED = 4 * 24 * 62
#: (tier, t, samples) of a kept bucket; a loader gets a phase's and returns its aggregates
Index = Sequence[tuple[int, int, int]]
Loader = Callable[[list[tuple[int, int, int]]], list[Aggregate]]


def _merged(aggs: Sequence[Aggregate]) -> Aggregate:
    m = Aggregate()
    for a in aggs:
        m.merge(a)
    return m


def horizon(
    horizon_s: float,
    window_s: float,
    raw: Sequence[tuple[float, Reading]],
    raw_start: float,
    kept: Sequence[tuple[int, int, Aggregate]],
    interval_s: float,
    cache: Optional[PhaseCache] = None,
) -> Horizon:
    """:func:`horizon_of` with the kept buckets at hand (``(tier, t, aggregate)``)."""
    by_key = {(tier, t): a for tier, t, a in kept}
    index = [(tier, t, a.n) for tier, t, a in kept]
    return horizon_of(
        horizon_s,
        window_s,
        raw,
        raw_start,
        index,
        lambda part: [by_key[(tier, t)] for tier, t, _ in part],
        interval_s,
        cache,
    )


def horizon_of(
    horizon_s: float,
    window_s: float,
    raw: Sequence[tuple[float, Reading]],
    raw_start: float,
    index: Index,
    load: Loader,
    interval_s: float,
    cache: Optional[PhaseCache] = None,
) -> Horizon:
    """``raw``: this run's readings in the usage window (oldest first; their phase starts
    at ``raw_start``, UNIX seconds); ``index``: the kept buckets before them, any order,
    whose aggregates ``load`` reads one phase at a time. ``window_s``: the usage window
    (the confidence is measured against it). ``cache``: kept phases from earlier calls: a
    phase whose buckets hold the same samples is neither read nor summed up again."""
    return combine(
        horizon_s, window_s, raw, raw_start, kept_part(window_s, index, load, interval_s, cache)
    )


@dataclass(frozen=True)
class KeptPart:
    """The kept buckets of a horizon summed up, each phase (hour of the clock) apart:
    what :func:`combine` adds this run's readings to. A function of the index and the
    buckets' aggregates alone, so it can be kept while they do not change."""

    parts: tuple[tuple[int, UsageSummary], ...]  # (phase start, its summary), oldest first
    merged: tuple[Aggregate, ...]  # each phase's buckets merged into one, same order
    covered_s: float  # running time the buckets cover
    since: Optional[float]  # the oldest bucket's start
    samples: int


def kept_part(
    window_s: float,
    index: Index,
    load: Loader,
    interval_s: float,
    cache: Optional[PhaseCache] = None,
) -> KeptPart:
    """The kept buckets (``index``: ``(tier, t, samples)``, any order; ``load`` reads a
    phase's aggregates) cut into phases and summed up (see :func:`horizon_of`)."""
    phases: dict[int, list[tuple[int, int, int]]] = {}
    since: Optional[float] = None
    covered = 0.0
    samples = 0
    for tier, t, n in index:
        if not n:
            continue
        phases.setdefault(t // PHASE_S * PHASE_S, []).append((tier, t, n))
        covered += min(float(tier), n * interval_s)
        samples += n
        since = t if since is None else min(since, t)
    parts: list[tuple[int, UsageSummary]] = []
    merged: list[Aggregate] = []
    for t, part in sorted(phases.items()):
        part.sort()
        key = (t, int(window_s), tuple(part))
        found = cache.get(key) if cache is not None else None
        if found is None:
            loaded = zip(part, load(part), strict=True)
            aggs = [_as_hour(a) if tier >= HOUR else a for (tier, _, _), a in loaded]
            found = (summarize(window_s, 0.0, aggs), _merged(aggs))
            if cache is not None:
                cache[key] = found
                if len(cache) > MAX_CACHED:
                    for old in sorted(cache)[: len(cache) - MAX_CACHED]:
                        del cache[old]
        parts.append((t, found[0]))
        merged.append(found[1])
    return KeptPart(tuple(parts), tuple(merged), covered, since, samples)


def combine(
    horizon_s: float,
    window_s: float,
    raw: Sequence[tuple[float, Reading]],
    raw_start: float,
    kept: KeptPart,
) -> Horizon:
    """The horizon from its kept part and this run's readings (see :func:`horizon_of`)."""
    parts = list(kept.parts)
    merged = list(kept.merged)
    covered = kept.covered_s + (raw[-1][0] - raw[0][0] if raw else 0.0)
    if raw:
        now_aggs = [Aggregate.of(r) for _, r in raw]
        parts.append((int(raw_start), summarize(window_s, 0.0, now_aggs)))
        merged.append(_merged(now_aggs))
    # the whole horizon at an hour's resolution: each phase merged into one aggregate
    overall = summarize(window_s, covered, merged)
    fields: dict[str, Any] = {}
    busiest: dict[str, Optional[float]] = {}
    for measure, (lead, names) in _MEASURES.items():
        scored = [(getattr(s, lead), t, s) for t, s in parts if getattr(s, lead) is not None]
        if not scored:
            busiest[measure] = None
            continue
        _, t, s = max(scored, key=lambda x: (x[0], x[1]))
        busiest[measure] = float(t)
        for name in names:
            fields[name] = getattr(s, name)
    totals = [s.gpu_mem_total_gib for _, s in parts if s.gpu_mem_total_gib is not None]
    summary = replace(
        overall,
        **fields,
        gpu_count=max((s.gpu_count for _, s in parts), default=0),
        gpu_mem_total_gib=min(totals) if totals else None,
    )
    return Horizon(horizon_s, covered, kept.since, len(parts), summary, overall, busiest)
