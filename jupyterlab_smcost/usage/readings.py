"""The readings the sampler takes, and what a source of them is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol, runtime_checkable

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
