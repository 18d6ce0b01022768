"""CPU, memory and GPU use of this machine, sampled into a rolling window.

- CPU: the whole machine's busy fraction over the sampling interval, from our own deltas of
  ``psutil.cpu_times()`` (the same figure as ``psutil.cpu_percent``, without sharing its
  module-wide "last call" state with other code in the process). On SageMaker the machine is
  the instance, so this is the fraction of the instance's vCPUs in use.
- Memory: ``total - available`` from ``psutil.virtual_memory()`` (used, excluding the page
  cache and other reclaimable memory), in GiB and as a fraction of total.
- GPU: utilisation and memory per device from NVML (``nvidia-ml-py``, ``import pynvml``),
  only when the library and a driver are present; otherwise no GPU data, no error.

The sampler is one daemon thread that wakes every ``interval_s`` (10 s by default): a few
reads of ``/proc`` and, on GPU machines, a few NVML calls, all off the event loop. The data
source and the clock are injectable so tests feed synthetic samples.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Protocol, runtime_checkable

log = logging.getLogger(__name__)

GIB = 1024.0**3


@dataclass(frozen=True)
class GpuReading:
    index: int
    utilization: Optional[float]  # 0..1; None where NVML cannot say (e.g. MIG)
    memory_used_gib: float
    memory_total_gib: float


@dataclass(frozen=True)
class Reading:
    """One sample, without its time (the window stamps it)."""

    cpu: Optional[float]  # busy fraction of all CPUs, 0..1; None on the very first read
    cpu_count: int
    mem_used_gib: float
    mem_total_gib: float
    gpus: tuple[GpuReading, ...] = ()

    @property
    def mem_fraction(self) -> float:
        return self.mem_used_gib / self.mem_total_gib if self.mem_total_gib else 0.0


@runtime_checkable
class Source(Protocol):
    """What the sampler reads (``SmCostApp.usage_source_class``): :class:`SystemSource`, or a
    test's fake."""

    def read(self) -> Optional[Reading]: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------------- real sources


class NvmlGpus:
    """Per-device GPU utilisation and memory through NVML; silent when absent.

    ``nvml`` is the ``pynvml`` module (tests pass a fake); by default it is imported on first
    use. No library, no driver, no device: :meth:`read` returns ``()`` forever, after one
    debug log line.
    """

    def __init__(self, nvml: Any = None) -> None:
        self._nvml = nvml
        self._handles: Optional[list[Any]] = None
        self.available: Optional[bool] = None  # unknown until the first read
        self.why_unavailable: Optional[str] = None
        self._warned_read = False

    def _init(self) -> None:
        try:
            nvml = self._nvml
            if nvml is None:
                import pynvml as nvml  # nvidia-ml-py; optional ("jupyterlab_smcost[gpu]")
            nvml.nvmlInit()
            count = int(nvml.nvmlDeviceGetCount())
            handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception as e:  # ImportError, NVMLError (no driver / library), OSError...
            self.available = False
            self.why_unavailable = f"{type(e).__name__}: {e}"
            log.debug("smcost: no GPU data (%s)", self.why_unavailable)
            return
        self._nvml = nvml
        self._handles = handles
        self.available = bool(handles)
        if not handles:
            self.why_unavailable = "NVML found no GPU"
            log.debug("smcost: no GPU data (NVML found no GPU)")

    def read(self) -> tuple[GpuReading, ...]:
        if self.available is None:
            self._init()
        if not self.available or not self._handles:
            return ()
        nvml = self._nvml
        out = []
        for i, h in enumerate(self._handles):
            try:
                mem = nvml.nvmlDeviceGetMemoryInfo(h)
                used, total = float(mem.used) / GIB, float(mem.total) / GIB
            except Exception as e:
                self._debug_once(i, e)
                continue
            try:
                util: Optional[float] = float(nvml.nvmlDeviceGetUtilizationRates(h).gpu) / 100
            except Exception as e:  # not supported on MIG instances, etc.
                self._debug_once(i, e)
                util = None
            out.append(GpuReading(i, util, used, total))
        return tuple(out)

    def processes(self, index: int) -> list[int]:
        """PIDs of the compute processes on device ``index`` (empty when NVML cannot say)."""
        if not self.available or not self._handles or not 0 <= index < len(self._handles):
            return []
        try:
            procs = self._nvml.nvmlDeviceGetComputeRunningProcesses(self._handles[index])
            return [int(p.pid) for p in procs]
        except Exception:  # not supported (MIG), or an old driver
            return []

    def _debug_once(self, index: int, e: Exception) -> None:
        if not self._warned_read:
            self._warned_read = True
            log.debug("smcost: GPU %d read failed (%s: %s)", index, type(e).__name__, e)

    def close(self) -> None:
        if self.available and self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:
                pass
        self.available = None
        self._handles = None


class SystemSource:
    """This machine, through psutil (and NVML when present)."""

    def __init__(self, gpus: Optional[NvmlGpus] = None, psutil_module: Any = None) -> None:
        if psutil_module is None:
            import psutil as psutil_module
        self._ps = psutil_module
        self.gpus = gpus if gpus is not None else NvmlGpus()
        self._last_cpu: Optional[tuple[float, float]] = None
        self.cpu_count = int(self._ps.cpu_count(logical=True) or 1)

    def _cpu_busy(self) -> Optional[float]:
        t = self._ps.cpu_times()
        total = sum(t)
        # guest time is already counted in user/nice on Linux (psutil does the same)
        total -= getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)
        idle = t.idle + getattr(t, "iowait", 0.0)
        last, self._last_cpu = self._last_cpu, (total, idle)
        if last is None:
            return None
        d_total, d_idle = total - last[0], idle - last[1]
        if d_total <= 0:
            return 0.0
        return min(1.0, max(0.0, (d_total - d_idle) / d_total))

    def read(self) -> Optional[Reading]:
        cpu = self._cpu_busy()
        vm = self._ps.virtual_memory()
        used = max(0.0, float(vm.total - vm.available))
        return Reading(
            cpu=cpu,
            cpu_count=self.cpu_count,
            mem_used_gib=used / GIB,
            mem_total_gib=float(vm.total) / GIB,
            gpus=self.gpus.read(),
        )

    def close(self) -> None:
        self.gpus.close()


# ---------------------------------------------------------------------------- the window


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
    used (GiB), as :class:`UsageWindow` reads one sample.
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
    )


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


# ---------------------------------------------------------------------------- the sampler


class UsageSampler:
    """Reads ``source`` every ``interval_s`` seconds into ``window`` on a daemon thread."""

    def __init__(
        self,
        source: Source,
        window: UsageWindow,
        interval_s: float = 10.0,
        log: logging.Logger = log,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.source = source
        self.window = window
        self.interval_s = float(interval_s)
        self.log = log
        self._wall_clock = wall_clock
        self._listeners: list[Callable[[float, Reading], None]] = []
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._failed_once = False
        self._listener_failed: set[int] = set()

    def add_listener(self, fn: Callable[[float, Reading], None]) -> None:
        """Call ``fn(timestamp, reading)`` on the sampler thread for each reading the
        window keeps (``timestamp``: wall-clock UNIX seconds). A listener that raises is
        logged once and keeps being called."""
        self._listeners.append(fn)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def sample_once(self) -> Optional[Reading]:
        """One read into the window. Never raises: a failing read is logged once."""
        try:
            reading = self.source.read()
        except Exception:
            if not self._failed_once:
                self._failed_once = True
                self.log.warning("smcost: usage sample failed", exc_info=True)
            return None
        # the first CPU read has no interval to measure: prime it, keep nothing
        if reading is not None and reading.cpu is not None:
            self.window.add(reading)
            now = self._wall_clock()
            for fn in list(self._listeners):
                try:
                    fn(now, reading)
                except Exception:
                    if id(fn) not in self._listener_failed:
                        self._listener_failed.add(id(fn))
                        self.log.warning("smcost: usage listener %r failed", fn, exc_info=True)
        return reading

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="smcost-usage", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.sample_once()  # primes the CPU counters
        while not self._stop.wait(self.interval_s):
            self.sample_once()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        try:
            self.source.close()
        except Exception:
            pass
