"""The rolling window of readings and what it sums up to: percentiles, aggregates (one
reading, or a kept minute or hour) and the summary recommendations read."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from .readings import Reading


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Linear interpolation between closest ranks (numpy's default); None if empty."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def weighted_percentile(pairs: Iterable[tuple[float, int]], q: float) -> Optional[float]:
    """:func:`percentile` of the values each repeated ``weight`` times, without repeating
    them (kept history stands for several samples per value); None if empty."""
    items = sorted((v, w) for v, w in pairs if w > 0)
    total = sum(w for _, w in items)
    if not total:
        return None
    pos = (total - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    low = high = None
    seen = 0
    for v, w in items:
        seen += w
        if low is None and lo < seen:
            low = v
        if hi < seen:
            high = v
            break
    assert low is not None and high is not None
    return low + (high - low) * (pos - lo)


@dataclass
class Aggregate:
    """Usage over some samples: one reading (``of``), or a kept minute or hour (history).

    Means and maxima per measure, with the count of samples each covers: CPU busy
    fraction, memory used (GiB), the busiest GPU's utilisation and the fullest GPU's memory
    used (GiB), as :class:`UsageWindow` reads one sample; and how many GPUs each sample
    found in use (``gpu_used_*``; history schema 2: a minute kept by schema 1 has
    ``gpu_used_n`` 0, and its GPU samples count as all GPUs in use, see :func:`summarize`).
    """

    n: int = 0
    cpu_n: int = 0
    cpu_sum: float = 0.0
    cpu_max: Optional[float] = None
    cpu_count: Optional[int] = None
    mem_sum: float = 0.0
    mem_max: Optional[float] = None
    mem_total: Optional[float] = None
    gpu_count: int = 0
    gpu_n: int = 0
    gpu_sum: float = 0.0
    gpu_max: Optional[float] = None
    gpu_mem_n: int = 0
    gpu_mem_sum: float = 0.0
    gpu_mem_max: Optional[float] = None
    gpu_mem_total: Optional[float] = None
    gpu_used_n: int = 0
    gpu_used_sum: float = 0.0
    gpu_used_max: Optional[float] = None

    @classmethod
    def of(cls, r: Reading) -> Aggregate:
        a = cls()
        a.add(r)
        return a

    def add(self, r: Reading) -> None:
        self.n += 1
        self.cpu_count = r.cpu_count
        self.mem_total = r.mem_total_gib
        if r.cpu is not None:
            self.cpu_n += 1
            self.cpu_sum += r.cpu
            self.cpu_max = _top(self.cpu_max, r.cpu)
        self.mem_sum += r.mem_used_gib
        self.mem_max = _top(self.mem_max, r.mem_used_gib)
        if not r.gpus:
            return
        self.gpu_count = max(self.gpu_count, len(r.gpus))
        utils = [g.utilization for g in r.gpus if g.utilization is not None]
        if utils:
            self.gpu_n += 1
            self.gpu_sum += max(utils)
            self.gpu_max = _top(self.gpu_max, max(utils))
        in_use = float(r.gpus_in_use)
        self.gpu_used_n += 1
        self.gpu_used_sum += in_use
        self.gpu_used_max = _top(self.gpu_used_max, in_use)
        used = max(g.memory_used_gib for g in r.gpus)
        self.gpu_mem_n += 1
        self.gpu_mem_sum += used
        self.gpu_mem_max = _top(self.gpu_mem_max, used)
        smallest = min(g.memory_total_gib for g in r.gpus)
        self.gpu_mem_total = _low(self.gpu_mem_total, smallest)

    def merge(self, o: Aggregate) -> None:
        """Add ``o``'s samples (``o`` is the later one: its sizes win)."""
        self.n += o.n
        self.cpu_n += o.cpu_n
        self.cpu_sum += o.cpu_sum
        self.cpu_max = _top(self.cpu_max, o.cpu_max)
        self.cpu_count = o.cpu_count if o.cpu_count is not None else self.cpu_count
        self.mem_sum += o.mem_sum
        self.mem_max = _top(self.mem_max, o.mem_max)
        self.mem_total = o.mem_total if o.mem_total is not None else self.mem_total
        self.gpu_count = max(self.gpu_count, o.gpu_count)
        self.gpu_n += o.gpu_n
        self.gpu_sum += o.gpu_sum
        self.gpu_max = _top(self.gpu_max, o.gpu_max)
        self.gpu_mem_n += o.gpu_mem_n
        self.gpu_mem_sum += o.gpu_mem_sum
        self.gpu_mem_max = _top(self.gpu_mem_max, o.gpu_mem_max)
        self.gpu_mem_total = _low(self.gpu_mem_total, o.gpu_mem_total)
        self.gpu_used_n += o.gpu_used_n
        self.gpu_used_sum += o.gpu_used_sum
        self.gpu_used_max = _top(self.gpu_used_max, o.gpu_used_max)

    @property
    def cpu_mean(self) -> Optional[float]:
        return self.cpu_sum / self.cpu_n if self.cpu_n else None

    @property
    def mem_mean(self) -> Optional[float]:
        return self.mem_sum / self.n if self.n else None

    @property
    def gpu_mean(self) -> Optional[float]:
        return self.gpu_sum / self.gpu_n if self.gpu_n else None

    @property
    def gpu_mem_mean(self) -> Optional[float]:
        return self.gpu_mem_sum / self.gpu_mem_n if self.gpu_mem_n else None


def _top(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return b if a is None else a if b is None else max(a, b)


def _low(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return b if a is None else a if b is None else min(a, b)


def _stats(
    means: list[tuple[float, int]], maxes: list[tuple[float, int]]
) -> tuple[Optional[float], Optional[float], Optional[float]]:
    """(p50 of the means, p95 of the maxima, the maximum): for single readings mean = max,
    so these are the plain percentiles; a kept minute counts as its samples at its mean
    for the median and at its peak for p95 (the peak stands for the whole minute: never
    lower than the truth)."""
    if not means:
        return None, None, None
    return (
        weighted_percentile(means, 50),
        weighted_percentile(maxes, 95),
        max(v for v, _ in maxes),
    )


def summarize(window_s: float, span_s: float, aggs: Sequence[Aggregate]) -> UsageSummary:
    """The window's percentiles from aggregates in time order (single readings, kept
    minutes, or both). CPU and memory as fractions of the newest aggregate's machine."""
    aggs = [a for a in aggs if a.n]
    if not aggs:
        return UsageSummary(window_s, 0, 0.0)
    last = aggs[-1]
    total = last.mem_total or 0.0

    def pairs(mean: str, peak: str, count: str, scale: float = 1.0) -> tuple[list, list]:
        means, maxes = [], []
        for a in aggs:
            w, m, p = getattr(a, count), getattr(a, mean), getattr(a, peak)
            if w and m is not None and p is not None:
                means.append((m * scale, w))
                maxes.append((p * scale, w))
        return means, maxes

    c50, c95, cmax = _stats(*pairs("cpu_mean", "cpu_max", "cpu_n"))
    m_scale = 1.0 / total if total else 0.0
    m50, m95, mmax = _stats(*pairs("mem_mean", "mem_max", "n", m_scale))
    g50, g95, gmax = _stats(*pairs("gpu_mean", "gpu_max", "gpu_n"))
    _, mem_gib = pairs("mem_mean", "mem_max", "n")
    _, gpu_mem = pairs("gpu_mem_mean", "gpu_mem_max", "gpu_mem_n")
    used_means, used_maxes = gpu_used_pairs(aggs)
    u50, u95, umax = _stats(used_means, used_maxes)
    totals = [a.gpu_mem_total for a in aggs if a.gpu_mem_total is not None]
    return UsageSummary(
        window_s=window_s,
        samples=sum(a.n for a in aggs),
        span_s=span_s,
        cpu_count=last.cpu_count,
        cpu_p50=c50,
        cpu_p95=c95,
        cpu_max=cmax,
        mem_total_gib=last.mem_total,
        mem_p50=m50,
        mem_p95=m95,
        mem_max=mmax,
        mem_p95_gib=weighted_percentile(mem_gib, 95),
        gpu_count=max(a.gpu_count for a in aggs),
        gpu_p50=g50,
        gpu_p95=g95,
        gpu_max=gmax,
        gpu_mem_p95_gib=weighted_percentile(gpu_mem, 95),
        gpu_mem_total_gib=min(totals) if totals else None,
        gpu_mem_max_gib=max((v for v, _ in gpu_mem), default=None),
        gpus_in_use_p50=u50,
        gpus_in_use_p95=u95,
        gpus_in_use_max=umax,
    )


def gpu_used_pairs(aggs: Sequence[Aggregate]) -> tuple[list, list]:
    """(mean, weight) and (peak, weight) of the GPUs in use. GPU samples that did not count
    them (kept before history schema 2) count as every GPU in use: never fewer than the
    truth."""
    means, maxes = [], []
    for a in aggs:
        if a.gpu_used_n and a.gpu_used_max is not None:
            means.append((a.gpu_used_sum / a.gpu_used_n, a.gpu_used_n))
            maxes.append((a.gpu_used_max, a.gpu_used_n))
        unknown = max(a.gpu_n, a.gpu_mem_n) - a.gpu_used_n
        if unknown > 0 and a.gpu_count:
            means.append((float(a.gpu_count), unknown))
            maxes.append((float(a.gpu_count), unknown))
    return means, maxes


@dataclass(frozen=True)
class UsageSummary:
    """Percentiles over the window. CPU and memory as fractions of this machine (= the
    instance on SageMaker); GPU fields are None without GPU data."""

    window_s: float
    samples: int
    span_s: float  # time between the oldest and newest sample kept
    cpu_count: Optional[int] = None
    cpu_p50: Optional[float] = None
    cpu_p95: Optional[float] = None
    cpu_max: Optional[float] = None
    mem_total_gib: Optional[float] = None
    mem_p50: Optional[float] = None
    mem_p95: Optional[float] = None
    mem_max: Optional[float] = None
    mem_p95_gib: Optional[float] = None
    gpu_count: int = 0
    gpu_p50: Optional[float] = None  # busiest device's utilisation, per sample
    gpu_p95: Optional[float] = None
    gpu_max: Optional[float] = None
    gpu_mem_p95_gib: Optional[float] = None  # fullest device's memory used, per sample
    gpu_mem_total_gib: Optional[float] = None  # per device (the smallest)
    gpu_mem_max_gib: Optional[float] = None  # the fullest device's peak
    gpus_in_use_p50: Optional[float] = None  # GPUs in use per sample (GpuReading.in_use)
    gpus_in_use_p95: Optional[float] = None
    gpus_in_use_max: Optional[float] = None

    @property
    def cpu_p95_vcpu(self) -> Optional[float]:
        if self.cpu_p95 is None or not self.cpu_count:
            return None
        return self.cpu_p95 * self.cpu_count

    @property
    def cpu_p50_vcpu(self) -> Optional[float]:
        if self.cpu_p50 is None or not self.cpu_count:
            return None
        return self.cpu_p50 * self.cpu_count

    def to_json(self) -> dict[str, Any]:
        def r(x: Optional[float], n: int = 4) -> Optional[float]:
            return None if x is None else round(x, n)

        return {
            "cpu_count": self.cpu_count,
            "cpu_p50": r(self.cpu_p50),
            "cpu_p95": r(self.cpu_p95),
            "cpu_max": r(self.cpu_max),
            "mem_total_gib": r(self.mem_total_gib, 2),
            "mem_p50": r(self.mem_p50),
            "mem_p95": r(self.mem_p95),
            "mem_max": r(self.mem_max),
            "mem_p95_gib": r(self.mem_p95_gib, 2),
            "gpu_count": self.gpu_count,
            "gpu_p50": r(self.gpu_p50),
            "gpu_p95": r(self.gpu_p95),
            "gpu_max": r(self.gpu_max),
            "gpu_mem_p95_gib": r(self.gpu_mem_p95_gib, 2),
            "gpu_mem_total_gib": r(self.gpu_mem_total_gib, 2),
            "gpu_mem_max_gib": r(self.gpu_mem_max_gib, 2),
            "gpus_in_use_p50": r(self.gpus_in_use_p50, 2),
            "gpus_in_use_p95": r(self.gpus_in_use_p95, 2),
            "gpus_in_use_max": r(self.gpus_in_use_max, 2),
        }


class UsageWindow:
    """Readings stamped with ``clock()`` (monotonic seconds); older than ``window_s`` drop.

    Thread-safe: the sampler thread adds, request handlers summarise.
    """

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.window_s = float(window_s)
        self._clock = clock
        self._items: deque[tuple[float, Reading]] = deque()
        self._lock = threading.Lock()

    def now(self) -> float:
        """The window's clock now (what :meth:`items` stamps are measured with)."""
        return self._clock()

    def add(self, reading: Reading) -> None:
        now = self._clock()
        with self._lock:
            self._items.append((now, reading))
            self._trim(now)

    def extend(self, readings: Iterable[Reading]) -> None:
        for r in readings:
            self.add(r)

    def _trim(self, now: float) -> None:
        cutoff = now - self.window_s
        while self._items and self._items[0][0] < cutoff:
            self._items.popleft()

    def __len__(self) -> int:
        with self._lock:
            self._trim(self._clock())
            return len(self._items)

    def items(self) -> list[tuple[float, Reading]]:
        """The readings in the window, oldest first, with their ``clock()`` stamps."""
        now = self._clock()
        with self._lock:
            self._trim(now)
            return list(self._items)

    def summary(self) -> UsageSummary:
        items = self.items()
        span = items[-1][0] - items[0][0] if items else 0.0
        return summarize(self.window_s, span, [Aggregate.of(r) for _, r in items])
