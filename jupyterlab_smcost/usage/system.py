"""This machine's CPU and memory (psutil) and GPUs (NVML), read as :class:`Reading` s."""

from __future__ import annotations

import logging
from typing import Any, Optional

from .readings import GIB, GpuReading, Reading

log = logging.getLogger(__name__)


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
