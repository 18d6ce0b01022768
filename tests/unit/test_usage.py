"""Usage sampling: percentiles, the rolling window (injected clock), the sampler thread,
real psutil reads, and NVML absent or failing."""

from __future__ import annotations

import logging
import sys
import threading
import time
from types import SimpleNamespace
from typing import Any, Optional

import pytest

from jupyterlab_smcost.usage import (
    GIB,
    GpuReading,
    NvmlGpus,
    Reading,
    SystemSource,
    UsageSampler,
    UsageWindow,
    percentile,
)


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def reading(
    cpu: Optional[float] = 0.5, mem: float = 4.0, total: float = 16.0, **kw: Any
) -> Reading:
    return Reading(
        cpu=cpu, cpu_count=kw.pop("cpu_count", 4), mem_used_gib=mem, mem_total_gib=total, **kw
    )


# ---------------------------------------------------------------------------- percentiles


def test_percentile_interpolates_like_numpy() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 100.0
    assert percentile([0.3], 95) == 0.3
    assert percentile([], 50) is None


# ---------------------------------------------------------------------------- the window


def test_window_drops_samples_older_than_the_window() -> None:
    clock = Clock()
    w = UsageWindow(60, clock=clock)
    for i in range(10):  # one sample every 10 s: t = 1000 .. 1090
        clock.t = 1000 + 10 * i
        w.add(reading(cpu=i / 10))
    s = w.summary()
    # kept: t >= 1090 - 60 = 1030 -> i = 3..9
    assert s.samples == 7 and s.span_s == 60
    assert s.cpu_max == pytest.approx(0.9)
    assert s.cpu_p50 == pytest.approx(0.6)
    clock.t = 1200  # nothing new for 110 s: everything has aged out
    assert len(w) == 0
    empty = w.summary()
    assert (empty.samples, empty.cpu_p95, empty.mem_p95, empty.gpu_p95) == (0, None, None, None)


def test_window_percentiles_and_memory_fractions() -> None:
    clock = Clock()
    w = UsageWindow(3600, clock=clock)
    # 100 samples: CPU 0.01 .. 1.00, memory 1 .. 100 GiB of 200
    for i in range(1, 101):
        clock.t += 10
        w.add(reading(cpu=i / 100, mem=float(i), total=200.0, cpu_count=8))
    s = w.summary()
    assert s.samples == 100 and s.span_s == 990
    assert s.cpu_p50 == pytest.approx(0.505) and s.cpu_p95 == pytest.approx(0.9505)
    assert s.cpu_p95_vcpu == pytest.approx(0.9505 * 8)
    assert s.mem_p95_gib == pytest.approx(95.05)
    assert s.mem_p95 == pytest.approx(95.05 / 200)
    assert s.mem_max == pytest.approx(0.5)
    assert s.gpu_count == 0 and s.gpu_p95 is None and s.gpu_mem_p95_gib is None
    j = s.to_json()
    assert j["gpu_p95"] is None and j["cpu_p95"] == 0.9505 and j["cpu_count"] == 8


def test_window_gpu_uses_busiest_device_and_skips_unknown_utilisation() -> None:
    clock = Clock()
    w = UsageWindow(3600, clock=clock)
    for i in range(20):
        clock.t += 10
        gpus = (
            GpuReading(0, 0.02, 1.0, 24.0),
            GpuReading(1, 0.40 if i % 2 else 0.0, 10.0, 24.0),
            GpuReading(2, None, 2.0, 24.0),  # e.g. MIG: no utilisation
        )
        w.add(reading(gpus=gpus))
    s = w.summary()
    assert s.gpu_count == 3
    assert s.gpu_max == pytest.approx(0.40)
    assert s.gpu_p50 == pytest.approx(0.21)  # half the samples 0.02, half 0.40
    assert s.gpu_mem_p95_gib == pytest.approx(10.0)
    assert s.gpu_mem_total_gib == 24.0


def test_window_rejects_a_non_positive_length() -> None:
    with pytest.raises(ValueError):
        UsageWindow(0)


# ---------------------------------------------------------------------------- the sampler


class FakeSource:
    def __init__(self, readings: list[Optional[Reading]], fail_after: Optional[int] = None):
        self.readings = list(readings)
        self.calls = 0
        self.fail_after = fail_after
        self.closed = False

    def read(self) -> Optional[Reading]:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise OSError("boom")
        return self.readings.pop(0) if self.readings else reading()

    def close(self) -> None:
        self.closed = True


def test_sample_once_skips_the_priming_read_and_survives_errors(caplog: Any) -> None:
    w = UsageWindow(3600, clock=Clock())
    src = FakeSource([reading(cpu=None), reading(cpu=0.25)], fail_after=2)
    sampler = UsageSampler(src, w, interval_s=10)
    assert sampler.sample_once() is not None and len(w) == 0  # first CPU read: no interval yet
    assert sampler.sample_once() is not None and len(w) == 1
    with caplog.at_level(logging.WARNING):
        assert sampler.sample_once() is None
        assert sampler.sample_once() is None
    assert len([r for r in caplog.records if "usage sample failed" in r.message]) == 1
    assert len(w) == 1


def test_listeners_get_each_kept_reading_with_its_wall_time(caplog: Any) -> None:
    w = UsageWindow(3600, clock=Clock())
    src = FakeSource([reading(cpu=None), reading(cpu=0.25), reading(cpu=0.5)])
    sampler = UsageSampler(src, w, interval_s=10, wall_clock=lambda: 1_800_000_000.0)
    got: list[tuple[float, float, str]] = []

    def broken(ts: float, r: Reading) -> None:
        raise RuntimeError("a listener's bug")

    sampler.add_listener(broken)
    sampler.add_listener(lambda ts, r: got.append((ts, r.cpu, threading.current_thread().name)))
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            sampler.sample_once()
    # the priming read (no CPU figure) is not passed on; a failing listener stops nothing
    assert [(ts, cpu) for ts, cpu, _ in got] == [(1_800_000_000.0, 0.25), (1_800_000_000.0, 0.5)]
    assert len([r for r in caplog.records if "listener" in r.message]) == 1


def test_listeners_run_on_the_sampler_thread() -> None:
    w = UsageWindow(3600)
    sampler = UsageSampler(FakeSource([reading(cpu=None)]), w, interval_s=0.02)
    threads: list[str] = []
    sampler.add_listener(lambda ts, r: threads.append(threading.current_thread().name))
    sampler.start()
    try:
        deadline = time.monotonic() + 5
        while len(threads) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        sampler.stop()
    assert threads and set(threads) == {"smcost-usage"}


def test_sampler_thread_samples_on_its_interval_and_stops() -> None:
    w = UsageWindow(3600)
    src = FakeSource([reading(cpu=None)])
    sampler = UsageSampler(src, w, interval_s=0.02)
    sampler.start()
    try:
        deadline = time.monotonic() + 5
        while len(w) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(w) >= 3
        assert sampler.running
    finally:
        sampler.stop()
    assert not sampler.running and src.closed
    assert not any(t.name == "smcost-usage" for t in threading.enumerate())


def test_real_psutil_sample() -> None:
    src = SystemSource(gpus=NvmlGpus(nvml=_nvml_failing_init()))
    first = src.read()
    assert first is not None and first.cpu is None  # primes the counters
    sum(i * i for i in range(200_000))  # a little CPU time between the two reads
    time.sleep(0.05)
    r = src.read()
    assert r is not None and r.cpu is not None and 0.0 <= r.cpu <= 1.0
    assert r.cpu_count >= 1
    assert 0.0 < r.mem_used_gib <= r.mem_total_gib
    assert 0.0 < r.mem_fraction <= 1.0
    assert r.gpus == ()
    w = UsageWindow(3600)
    sampler = UsageSampler(src, w)
    sampler.sample_once()
    s = w.summary()
    assert s.samples == 1 and s.cpu_p95 is not None and s.gpu_p95 is None and s.gpu_count == 0


# ---------------------------------------------------------------------------- NVML


def _nvml_failing_init() -> Any:
    class NVMLError(Exception):
        pass

    def init() -> None:
        raise NVMLError("NVML Shared Library Not Found")

    return SimpleNamespace(nvmlInit=init, NVMLError=NVMLError)


def _debug_lines(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if "no GPU data" in r.getMessage()]


def test_no_pynvml_module_means_no_gpu_data(monkeypatch: Any, caplog: Any) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml -> ImportError
    gpus = NvmlGpus()
    with caplog.at_level(logging.DEBUG, logger="jupyterlab_smcost.usage"):
        assert gpus.read() == () and gpus.read() == ()
    assert gpus.available is False and "pynvml" in (gpus.why_unavailable or "")
    assert len(_debug_lines(caplog)) == 1


def test_nvml_init_failing_means_no_gpu_data(caplog: Any) -> None:
    gpus = NvmlGpus(nvml=_nvml_failing_init())
    src = SystemSource(gpus=gpus)
    with caplog.at_level(logging.DEBUG, logger="jupyterlab_smcost.usage"):
        for _ in range(3):
            assert src.read().gpus == ()  # type: ignore[union-attr]
    assert gpus.available is False and "NVMLError" in (gpus.why_unavailable or "")
    assert len(_debug_lines(caplog)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


class FakeNvml:
    """The part of pynvml we use, for two devices; device 1 cannot report utilisation."""

    class NVMLError(Exception):
        pass

    def __init__(self) -> None:
        self.shutdown_called = False

    def nvmlInit(self) -> None:
        pass

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, i: int) -> str:
        return f"h{i}"

    def nvmlDeviceGetUtilizationRates(self, h: str) -> Any:
        if h == "h1":
            raise self.NVMLError("Not Supported")
        return SimpleNamespace(gpu=37, memory=12)

    def nvmlDeviceGetMemoryInfo(self, h: str) -> Any:
        return SimpleNamespace(total=int(24 * GIB), used=int(6 * GIB), free=int(18 * GIB))

    def nvmlShutdown(self) -> None:
        self.shutdown_called = True


def test_nvml_readings_per_device() -> None:
    fake = FakeNvml()
    gpus = NvmlGpus(nvml=fake)
    out = gpus.read()
    assert out == (GpuReading(0, 0.37, 6.0, 24.0), GpuReading(1, None, 6.0, 24.0))
    gpus.close()
    assert fake.shutdown_called
