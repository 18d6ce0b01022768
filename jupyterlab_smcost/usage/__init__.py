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

Modules: :mod:`.readings` (a reading, a source), :mod:`.system` (psutil and NVML),
:mod:`.window` (the rolling window, aggregates, percentiles, the summary), :mod:`.sampler`
(the thread).
"""

from __future__ import annotations

from .readings import GIB, GPU_IN_USE_MEM_GIB, GPU_IN_USE_UTIL, GpuReading, Reading, Source
from .sampler import UsageSampler
from .system import NvmlGpus, SystemSource
from .window import (
    Aggregate,
    UsageSummary,
    UsageWindow,
    percentile,
    summarize,
    weighted_percentile,
)

__all__ = [
    "GIB",
    "GPU_IN_USE_MEM_GIB",
    "GPU_IN_USE_UTIL",
    "Aggregate",
    "GpuReading",
    "NvmlGpus",
    "Reading",
    "Source",
    "SystemSource",
    "UsageSampler",
    "UsageSummary",
    "UsageWindow",
    "percentile",
    "summarize",
    "weighted_percentile",
]
