"""The detector: feeds the tracker from the usage sampler's thread, one scan per sample and
none while the machine is quiet; logs work as it starts and ends."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Optional

from ..usage import Reading
from .procscan import ProcScanner
from .tracker import Tracker
from .work import BackgroundState, Rules, Work, reason

log = logging.getLogger(__name__)

#: the machine counts as quiet below this share of the CPU threshold (the machine's and the
#: server's readings are taken a few milliseconds apart)
QUIET_MARGIN = 0.8


def own_cpu_seconds() -> float:
    """User + system seconds of this process, all its threads."""
    t = os.times()
    return t.user + t.system


class BackgroundDetector:
    """Feeds a :class:`Tracker` on the usage sampler's thread (:meth:`on_reading` is a
    sampler listener): one scan per sample, none while the machine is quiet.

    ``state()`` is safe from any thread (an immutable snapshot); ``on_change`` is called on
    the sampler's thread when the set of busy or starting work changes."""

    def __init__(
        self,
        rules: Rules,
        scanner: Optional[ProcScanner] = None,
        *,
        own_pid: Optional[int] = None,
        gpu_users: Callable[[int], Sequence[int]] = lambda index: (),
        clock: Callable[[], float] = time.time,
        own_cpu: Callable[[], float] = own_cpu_seconds,
        log: logging.Logger = log,
    ) -> None:
        self.rules = rules
        self.scanner = scanner or ProcScanner()
        self.tracker = Tracker(rules, os.getpid() if own_pid is None else own_pid, self._argv)
        self._gpu_users = gpu_users
        self._clock = clock
        self._own_cpu = own_cpu
        self.log = log
        self._lock = threading.Lock()
        self._state = BackgroundState()
        self._last: Optional[tuple[float, float]] = None  # (time, own CPU s) at the last sample
        self._failed = False
        #: busy work logged, until its run ends: (the work, when it was last seen busy)
        self._logged: dict[str, tuple[Work, float]] = {}
        self.on_change: Optional[Callable[[], None]] = None
        #: counters, for benchmarks and debugging
        self.scans = 0
        self.skipped = 0
        self.scan_seconds = 0.0

    def _argv(self, pid: int) -> Optional[list[str]]:
        return self.scanner.argv(pid)

    def state(self) -> BackgroundState:
        return self._state

    def on_reading(self, now: float, reading: Reading) -> None:
        """A usage sample (a sampler listener): scan unless the machine was quiet."""
        with self._lock:
            quiet = self._quiet(now, reading)
            if self.rules.cpu_threshold > 0:
                if quiet:
                    self.tracker.quiet(now)
                    self.skipped += 1
                else:
                    self._scan(now)
            if self.rules.gpu_threshold > 0:
                self.tracker.gpus(now, reading.gpus, self._gpu_users)
            changed = self._publish(now)
        if changed and self.on_change:
            self.on_change()

    def refresh(self) -> None:
        """A scan now, whatever the machine did (before a shutdown that falls due)."""
        if self.rules.cpu_threshold <= 0:
            return
        with self._lock:
            now = self._clock()
            self._scan(now)
            changed = self._publish(now)
        if changed and self.on_change:
            self.on_change()

    def _quiet(self, now: float, reading: Reading) -> bool:
        """Whether the machine less this process used fewer CPUs than the threshold over the
        sample's interval (then no job reached it, and the scan is skipped)."""
        own = self._own_cpu()
        last, self._last = self._last, (now, own)
        if last is None or reading.cpu is None or now <= last[0]:
            return False
        others = reading.cpu * reading.cpu_count - (own - last[1]) / (now - last[0])
        return others < QUIET_MARGIN * self.rules.cpu_threshold

    def _scan(self, now: float) -> None:
        t0 = time.perf_counter()
        try:
            procs = self.scanner.scan()
        except Exception:  # never let the sampler thread die
            if not self._failed:
                self._failed = True
                self.log.warning("smcost: process scan failed", exc_info=True)
            return
        self.tracker.processes(now, procs)
        self.scans += 1
        self.scan_seconds += time.perf_counter() - t0

    def _publish(self, now: float) -> bool:
        new = self.tracker.state()
        old, self._state = self._state, new
        # one line when work becomes busy, one when its run ends (not at each dip)
        for w in new.busy:
            if w.key not in self._logged:
                self.log.info("smcost: %s", reason(w, now))
            self._logged[w.key] = (w, now)
        running = self.tracker.running()
        for key in [k for k in self._logged if k not in running]:
            work, last = self._logged.pop(key)
            self.log.info("smcost: ended: %s", reason(work, last))
        return old.keys() != new.keys()
