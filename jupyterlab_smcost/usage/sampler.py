"""The sampler: one daemon thread that reads the source into the window every interval."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Optional

from .readings import Reading, Source
from .window import UsageWindow

log = logging.getLogger(__name__)


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
