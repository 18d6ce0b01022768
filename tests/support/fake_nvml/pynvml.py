"""A stand-in for nvidia-ml-py's ``pynvml`` for a server subprocess (put this folder on its
PYTHONPATH): one GPU whose utilisation is read, at every call, from the JSON file named by
SMCOST_FAKE_NVML: {"util": 95, "pids": [812]}; or {"util": 0, "busy_while": "marker"}: 95%
while a process with "marker" in its command line runs (its compute process)."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any


class NVMLError(Exception):
    pass


def _state() -> dict[str, Any]:
    with open(os.environ["SMCOST_FAKE_NVML"]) as f:
        state = json.load(f)
    marker = state.get("busy_while")
    if marker:
        pids = _running(marker)
        if pids:
            state.update(util=95, pids=pids)
    return state


def _running(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(name))
            except OSError:
                pass
    return found


def nvmlInit() -> None:
    _state()


def nvmlShutdown() -> None:
    pass


def nvmlDeviceGetCount() -> int:
    return 1


def nvmlDeviceGetHandleByIndex(index: int) -> int:
    return index


def nvmlDeviceGetUtilizationRates(handle: int) -> Any:
    return SimpleNamespace(gpu=int(_state()["util"]), memory=0)


def nvmlDeviceGetMemoryInfo(handle: int) -> Any:
    return SimpleNamespace(used=1 << 30, total=80 << 30, free=79 << 30)


def nvmlDeviceGetComputeRunningProcesses(handle: int) -> list[Any]:
    return [SimpleNamespace(pid=p, usedGpuMemory=1 << 30) for p in _state().get("pids", [])]
