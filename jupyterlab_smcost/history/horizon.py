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

from collections.abc import Sequence
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


#: a phase's summary and its buckets merged into one, by (its start, the window, what it
#: holds): kept phases do not change once written
PhaseCache = dict[tuple[int, int, tuple[int, int, float, float]], tuple[UsageSummary, Aggregate]]
MAX_CACHED = 4 * 24 * 62


def _merged(aggs: list[Aggregate]) -> Aggregate:
    m = Aggregate()
    for a in aggs:
        m.merge(a)
    return m


def _phase(
    window_s: float, t: int, aggs: list[Aggregate], cache: Optional[PhaseCache]
) -> tuple[UsageSummary, Aggregate]:
    if cache is None:
        return summarize(window_s, 0.0, aggs), _merged(aggs)
    held = (
        len(aggs),
        sum(a.n for a in aggs),
        round(sum(a.mem_sum for a in aggs), 3),
        round(sum(a.cpu_max or 0.0 for a in aggs), 6),
    )
    key = (t, int(window_s), held)
    found = cache.get(key)
    if found is None:
        found = cache[key] = (summarize(window_s, 0.0, aggs), _merged(aggs))
        if len(cache) > MAX_CACHED:
            for old in sorted(cache)[: len(cache) - MAX_CACHED]:
                del cache[old]
    return found


def horizon(
    horizon_s: float,
    window_s: float,
    raw: Sequence[tuple[float, Reading]],
    raw_start: float,
    kept: Sequence[tuple[int, int, Aggregate]],
    interval_s: float,
    cache: Optional[PhaseCache] = None,
) -> Horizon:
    """``raw``: this run's readings in the usage window (oldest first; their phase starts
    at ``raw_start``, UNIX seconds); ``kept``: ``(tier, t, aggregate)`` buckets before them,
    any order. ``window_s``: the usage window (the confidence is measured against it).
    ``cache``: kept phases' summaries from earlier calls (a phase whose buckets hold the
    same samples is not summed up again)."""
    phases: dict[int, list[Aggregate]] = {}
    since: Optional[float] = None
    covered = raw[-1][0] - raw[0][0] if raw else 0.0
    for tier, t, a in kept:
        if not a.n:
            continue
        phases.setdefault(t // PHASE_S * PHASE_S, []).append(_as_hour(a) if tier >= HOUR else a)
        covered += min(float(tier), a.n * interval_s)
        since = t if since is None else min(since, t)
    ordered = sorted(phases.items())
    if raw:
        ordered.append((int(raw_start), [Aggregate.of(r) for _, r in raw]))
    done = sorted((t, _phase(window_s, t, aggs, cache)) for t, aggs in phases.items())
    parts = [(t, summary) for t, (summary, _) in done]
    merged = [m for _, (_, m) in done]
    if raw:
        now_aggs = ordered[-1][1]
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
    return Horizon(horizon_s, covered, since, len(parts), summary, overall, busiest)
