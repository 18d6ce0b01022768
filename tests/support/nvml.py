"""An in-process stand-in for ``pynvml`` with several GPUs, for :class:`NvmlGpus` (the
subprocess one is ``fake_nvml/``): each device's utilisation (percent) and memory used
(GiB) are set by the test and read back through NVML's own calls."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

GIB = 1 << 30


class FakeNvml:
    """``devices``: (utilisation %, memory used GiB) per GPU, all of ``total_gib``."""

    class NVMLError(Exception):
        pass

    def __init__(self, devices: list[tuple[int, float]], total_gib: float = 24.0) -> None:
        self.devices = list(devices)
        self.total_gib = total_gib
        self.no_utilization = False  # MIG: NVML cannot tell the utilisation

    def nvmlInit(self) -> None:
        pass

    def nvmlShutdown(self) -> None:
        pass

    def nvmlDeviceGetCount(self) -> int:
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Any:
        if self.no_utilization:
            raise self.NVMLError("Not Supported")
        return SimpleNamespace(gpu=self.devices[handle][0], memory=0)

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:
        used = int(self.devices[handle][1] * GIB)
        total = int(self.total_gib * GIB)
        return SimpleNamespace(used=used, total=total, free=total - used)
