"""The idle loop and the status never disagree.

Randomized, seeded sequences of events drive a real SmCostService (real IdleLoop, real
ActivityMonitor over fake kernel managers, real price book) on an event loop whose clock is
virtual: timers fire when the test moves time, never by sleeping. The invariant:

    enabled, not busy, not dry run: a remaining_s below -2 never persists

- a reader (the panel polling GET status) never sees it twice: once seen, the loop acts;
- nobody reading, the loop acts by the deadline, or at worst by its busy re-check after a
  busy reason clears with no activity (the deadline was already past).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import pytest
from support.service import Kernel, KernelManager, Sessions

from jupyterlab_smcost.activity import ActivityMonitor, Busy
from jupyterlab_smcost.environments.base import Environment, EnvironmentInfo, IdleContext
from jupyterlab_smcost.errors import SmCostError
from jupyterlab_smcost.idle import IdleStatus
from jupyterlab_smcost.pricing import PriceBook
from jupyterlab_smcost.requests import IdleSettingsUpdate
from jupyterlab_smcost.service import SmCostService
from jupyterlab_smcost.settings import Bounds, IdleSettings, SettingsStore

T0 = datetime(2026, 11, 27, 8, 0, 0, tzinfo=timezone.utc)
#: bundled us-east-1 Studio-JupyterLab prices: two under $0.5/h, two over, one over $5/h
TYPES = ["ml.t3.medium", "ml.m5.xlarge", "ml.g4dn.xlarge", "ml.g5.xlarge", "ml.g5.12xlarge"]
BY_PRICE = {0.5: 20, 5.0: 8}
LATE_S = 2.0
LOG = logging.getLogger("test.invariant")
LOG.setLevel(logging.ERROR)  # thousands of stops: their warnings would only cost time


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock moves only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def time(self) -> float:
        return self.now


class InlineExecutor(Executor):
    """Runs blocking work at once (the result reaches the loop on its next turn)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:
            f.set_exception(e)
        return f


class FakeEnvironment(Environment):
    """Bills the types the test sets; its idle stop leaves the server running (as Studio
    Classic's does), so a sequence goes on after each stop with a fresh clock."""

    kind = "local"
    component = "Studio-JupyterLab"
    shutdown_ends_server = False

    def __init__(self, unreadable_reads: int) -> None:
        super().__init__("us-east-1")
        self.types = [TYPES[0]]
        self.unreadable_reads = unreadable_reads
        self.stops = 0

    def info(self) -> EnvironmentInfo:
        return EnvironmentInfo("local", self.region, None, True, False)

    def instance_types(self) -> list[str]:
        if self.unreadable_reads > 0:  # e.g. AWS not answering yet at start-up
            self.unreadable_reads -= 1
            raise SmCostError("aws_unavailable", "not yet", 503)
        return list(self.types)

    def valid_instance_types(self) -> list[str]:
        return list(TYPES)

    def shutdown(self, context: IdleContext) -> str:
        self.stops += 1
        return "stopped what idles"


class Scenario:
    def __init__(self, rng: random.Random, loop: VirtualTimeLoop) -> None:
        self.rng = rng
        self.loop = loop
        self.km = KernelManager()
        self.env = FakeEnvironment(unreadable_reads=rng.choice([0, 1, 3]))
        self.env.types = [rng.choice(TYPES)]
        bounds = Bounds(rng.choice([1, 30, 60]), rng.choice([0, 0, 7200]))
        defaults = IdleSettings(True, bounds.clamp(rng.choice([60, 600, 3600])), True, True, 10)
        monitor = ActivityMonitor(
            self.km,
            lambda: None,
            Sessions(),
            started_at=self.clock(),
            stuck_kernel_timeout_s=300,
            clock=self.clock,
        )
        self.service = SmCostService(
            self.env,
            PriceBook(),
            SettingsStore(None, defaults, bounds),
            monitor,
            LOG,
            started_at=self.clock(),
            allowed_instance_types=[],
            idle_timeout_by_price=BY_PRICE,
            shutdown_enabled=True,
            dry_run=False,
            live_prices=False,
            clock=self.clock,
        )
        self.service.executor = InlineExecutor()  # type: ignore[assignment]
        self.busy_recheck_s = self.service.idle.busy_recheck_s

    def clock(self) -> datetime:
        return T0 + timedelta(seconds=self.loop.now - 1000.0)

    async def settle(self) -> None:
        for _ in range(12):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move time from timer to timer (nothing else changes in between), letting each
        due timer run."""
        end = self.loop.now + seconds
        while self.loop.now < end:
            pending = [h.when() for h in self.loop._scheduled if not h.cancelled()]
            due = min([t for t in pending if t > self.loop.now], default=end)
            self.loop.now = min(end, due)
            await self.settle()

    # -- the events
    async def step(self) -> str:
        rng, svc = self.rng, self.service
        event = rng.choice(
            [
                "advance",
                "advance",
                "advance",
                "status",
                "keepalive",
                "settings",
                "kernel",
                "kernel",
                "switch",
                "type",
                "refresh",
            ]
        )
        if event == "advance":
            await self.advance(rng.choice([0.5, 1, 3, 7, 15, 30, 90, 400]))
        elif event == "status":
            await svc.status()
        elif event == "keepalive":
            await svc.keepalive()
        elif event == "settings":
            update = rng.choice(
                [
                    IdleSettingsUpdate(timeout_s=rng.choice([30, 60, 120, 600, 3600])),
                    IdleSettingsUpdate(enabled=rng.random() < 0.8),
                    IdleSettingsUpdate(warning_s=rng.choice([0, 5, 20])),
                ]
            )
            try:
                await svc.put_idle(update)
            except SmCostError:
                pass  # refused (bounds): nothing changed
        elif event == "kernel":
            self._kernel_event()
        elif event == "switch":
            if "switch" in svc.idle.state.extra_busy:
                svc.idle.set_busy("switch", None)  # a switch ends
            else:
                svc.idle.set_busy("switch", Busy("switch", "s", "switching"))
        elif event == "type":
            self.env.types = [rng.choice(TYPES)]  # seen at the next read
        elif event == "refresh":
            await svc.refresh_instance_types()  # the periodic re-read of the type
        await self.settle()
        return event

    def _kernel_event(self) -> None:
        now = self.clock()
        kernels = self.km._kernels
        choice = self.rng.choice(["start", "busy", "idle", "idle_quietly", "stop"])
        if choice == "start" or not kernels:
            kernels[f"k{len(kernels)}-{self.loop.now}"] = Kernel(now)
            return
        kid = self.rng.choice(list(kernels))
        kernel = kernels[kid]
        if choice == "busy":
            kernel.execution_state, kernel.last_activity = "busy", now
        elif choice == "idle":  # a cell ends: its last message is activity
            kernel.execution_state, kernel.last_activity = "idle", now
        elif choice == "idle_quietly":  # a busy reason clears with no new activity
            kernel.execution_state = "idle"
        else:
            del kernels[kid]

    # -- the invariant
    def overdue(self, st: IdleStatus) -> Optional[float]:
        """How far past its deadline an enabled, not busy status is (None if not)."""
        if not st.enabled or st.state not in ("active", "idle") or st.remaining_s is None:
            return None
        return -st.remaining_s

    async def check(self, history: list[str]) -> None:
        idle = self.service.idle
        # nobody reading: the loop acted by the deadline; where a busy reason just cleared
        # with the deadline long past, it acts at its next busy re-check
        quiet = await idle._compute()
        late = self.overdue(quiet)
        if late is not None and late > LATE_S:
            await self.advance(self.busy_recheck_s)
            quiet = await idle._compute()
            late = self.overdue(quiet)
            assert late is None or late <= LATE_S, (quiet, history[-12:])
        # a reader: whatever it sees overdue, the loop acts on at once
        seen = await self.service.status()
        await self.settle()
        again = await idle._compute()
        late = self.overdue(again)
        assert late is None or late <= LATE_S, (seen["idle"], again, history[-12:])


def run_sequence(seed: int, steps: int = 80) -> tuple[int, int]:
    loop = VirtualTimeLoop()
    try:
        asyncio.set_event_loop(loop)
        rng = random.Random(seed)

        async def main() -> tuple[int, int]:
            sc = Scenario(rng, loop)
            sc.service.start()
            await sc.settle()
            history: list[str] = []
            try:
                for _ in range(steps):
                    history.append(await sc.step())
                    await sc.check(history)
            finally:
                sc.service.stop()
            return sc.env.stops, sum(e == "advance" for e in history)

        return loop.run_until_complete(main())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@pytest.mark.parametrize("block", range(4))
def test_loop_and_status_never_disagree(block: int) -> None:
    stops = 0
    for seed in range(block * 50, block * 50 + 50):
        stops += run_sequence(seed)[0]
    assert stops > 20  # the sequences did reach deadlines (the invariant was exercised)


def test_price_known_late_rearms_without_any_reader() -> None:
    """The type (so the price, so the timeout by price) is unknown when the loop first
    arms; once known, the shorter deadline holds with nobody polling."""
    loop = VirtualTimeLoop()
    asyncio.set_event_loop(loop)
    try:

        async def main() -> None:
            sc = Scenario(random.Random(0), loop)
            sc.env.types = ["ml.g4dn.xlarge"]  # $0.7364/h: 20 s by price
            sc.env.unreadable_reads = 1
            sc.service.store._settings = IdleSettings(True, 3600, True, True, 10)
            sc.service.start()
            await sc.settle()
            assert sc.service.types.known is None  # the first read failed: price unknown
            await sc.advance(5)
            await sc.service.refresh_instance_types()  # the type becomes known
            await sc.advance(14)
            assert sc.env.stops == 0
            await sc.advance(2)
            assert sc.env.stops == 1  # at 20 s, not 3600 s
            sc.service.stop()

        loop.run_until_complete(main())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
