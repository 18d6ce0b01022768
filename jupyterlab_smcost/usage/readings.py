"""The readings the sampler takes, and what a source of them is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol, runtime_checkable

GIB = 1024.0**3
#: a GPU counts as in use in a sample above either of these (a CUDA context alone holds
#: a few hundred MiB and no utilisation: that GPU is not in use)
GPU_IN_USE_UTIL = 0.05
GPU_IN_USE_MEM_GIB = 1.0


@dataclass(frozen=True)
class GpuReading:
    index: int
    utilization: Optional[float]  # 0..1; None where NVML cannot say (e.g. MIG)
    memory_used_gib: float
    memory_total_gib: float

    @property
    def in_use(self) -> bool:
        """Utilisation or memory used above the small thresholds (memory alone where NVML
        cannot tell the utilisation)."""
        busy = self.utilization is not None and self.utilization >= GPU_IN_USE_UTIL
        return busy or self.memory_used_gib >= GPU_IN_USE_MEM_GIB


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

    @property
    def gpus_in_use(self) -> int:
        """How many GPUs this sample found in use (:attr:`GpuReading.in_use`)."""
        return sum(1 for g in self.gpus if g.in_use)

    @property
    def gpu_mem_peak_gib(self) -> Optional[float]:
        """The largest memory used on one GPU (GiB); None without GPU data."""
        return max((g.memory_used_gib for g in self.gpus), default=None)


@runtime_checkable
class Source(Protocol):
    """What the sampler reads (``SmCostApp.usage_source_class``): :class:`SystemSource`, or a
    test's fake."""

    def read(self) -> Optional[Reading]: ...

    def close(self) -> None: ...
