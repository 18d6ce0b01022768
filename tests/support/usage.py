"""Usage sources for ``SmCostApp.usage_source_class``."""

from __future__ import annotations

import threading
from typing import Optional

from jupyterlab_smcost.usage import Reading


class SteadyUsage:
    """The same reading at every sample (``cpu`` of ``cpu_count`` CPUs busy, ``mem_used_gib``
    of ``mem_total_gib``, no GPU); counts the reads and the threads they came from. Subclass
    it (or :func:`steady_usage`) for other figures."""

    cpu = 0.09
    cpu_count = 16
    mem_used_gib = 6.0
    mem_total_gib = 64.0

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.closed = False

    def read(self) -> Optional[Reading]:
        self.threads.append(threading.current_thread().name)
        return Reading(self.cpu, self.cpu_count, self.mem_used_gib, self.mem_total_gib)

    def close(self) -> None:
        self.closed = True


def steady_usage(**figures: float) -> type[SteadyUsage]:
    """A :class:`SteadyUsage` class with other figures (``cpu=0.5``...)."""
    unknown = set(figures) - {"cpu", "cpu_count", "mem_used_gib", "mem_total_gib"}
    assert not unknown, f"not a figure of a reading: {unknown}"
    return type("SteadyUsage", (SteadyUsage,), figures)
