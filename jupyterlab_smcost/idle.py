"""Idle policy (pure, injected clock) and the loop that arms the deadline as a timer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Optional

from .activity import Activity, ActivityMonitor, Busy, utcnow
from .errors import SmCostError, log_bug
from .messages import Message, plain
from .settings import IdleSettings

STATES = ("active", "idle", "busy", "disabled", "shutting_down", "error")
#: idle for this long (or inside the warning window) and the state reads ``idle``
QUIET_S = 60.0


@dataclass(frozen=True)
class IdleStatus:
    enabled: bool
    timeout_s: int
    idle_s: float
    remaining_s: Optional[float]
    deadline: Optional[datetime]
    state: str
    reasons: tuple[str, ...]
    warning_s: int
    last_activity: datetime
    last_activity_source: str
    #: the reasons with their codes and parameters (messages.py), in the same order
    messages: tuple[Message, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "timeout_s": self.timeout_s,
            "idle_s": round(self.idle_s, 1),
            "remaining_s": None if self.remaining_s is None else round(self.remaining_s, 1),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "state": self.state,
            "reasons": list(self.reasons),
            "messages": [m.to_json() for m in self.messages]
            or [plain(r).to_json() for r in self.reasons],
            "warning_s": self.warning_s,
            "last_activity": self.last_activity.isoformat(),
            "last_activity_source": self.last_activity_source,
        }


def effective_timeout(
    timeout_s: int, usd_per_hour: Optional[float], by_price: dict[float, int]
) -> int:
    """The user's timeout, shortened on expensive instances (``idle_timeout_by_price``)."""
    if usd_per_hour is None or not by_price:
        return timeout_s
    limits = [t for threshold, t in by_price.items() if usd_per_hour > threshold]
    return min([timeout_s, *limits])


def decide(
    settings: IdleSettings,
    activity: Activity,
    now: datetime,
    timeout_s: int,
    *,
    shutdown_enabled: bool = True,
    shutting_down: bool = False,
    error: Optional[str] = None,
    config_errors: tuple[str, ...] = (),
) -> IdleStatus:
    """Pure: the idle state at ``now``. ``timeout_s`` is the effective timeout.

    ``config_errors`` (the administrator's configuration is wrong) put it in the ``error``
    state with no deadline: nothing is stopped until the configuration is fixed."""
    idle_s = max(0.0, (now - activity.last_activity).total_seconds())
    enabled = settings.enabled and shutdown_enabled

    def status(
        state: str, messages: tuple[Message, ...], deadline: Optional[datetime]
    ) -> IdleStatus:
        remaining = None if deadline is None else (deadline - now).total_seconds()
        return IdleStatus(
            enabled,
            timeout_s,
            idle_s,
            remaining,
            deadline,
            state,
            tuple(m.text for m in messages),
            settings.warning_s,
            activity.last_activity,
            activity.last_source,
            messages,
        )

    if config_errors:
        return status("error", tuple(plain(e) for e in config_errors), None)
    if shutting_down:
        return status("shutting_down", (Message.of("idle.shutting_down", "shutting down"),), None)
    if not enabled:
        why = (
            Message.of("idle.off", "idle shutdown is off")
            if shutdown_enabled
            else Message.of("idle.off_by_admin", "the administrator turned idle shutdown off")
        )
        return status("disabled", (why,), None)
    if activity.busy:
        return status("busy", tuple(b.message for b in activity.busy), None)
    deadline = activity.last_activity + timedelta(seconds=timeout_s)
    if activity.pending and deadline <= now:
        # due, but work has just started: wait until it ends or lasts (then it is busy)
        return status("busy", tuple(b.message for b in activity.pending), None)
    if error:
        return status("error", (plain(error),), deadline)
    remaining = (deadline - now).total_seconds()
    quiet = idle_s >= QUIET_S or remaining <= settings.warning_s
    if quiet:
        quiet_s = int(idle_s)
        text = f"no activity for {quiet_s} s"
        return status("idle", (Message.of("idle.quiet", text, seconds=quiet_s),), deadline)
    source = activity.last_source
    text = f"last activity: {source}"
    return status("active", (Message.of("idle.last_activity", text, source=source),), deadline)


@dataclass
class LoopState:
    shutting_down: bool = False
    error: Optional[str] = None
    failures: int = 0
    dry_run_fired_for: Optional[datetime] = None
    extra_busy: dict[str, Busy] = field(default_factory=dict)


class IdleLoop:
    """Arms a timer for the deadline; at the deadline re-reads activity and acts or re-arms.

    Activity that jupyter_server records without telling us (kernel messages, terminal
    output) moves the deadline later; we notice when the timer fires and re-arm for the new
    one. Whatever moves it earlier (a shorter timeout, a price becoming known) either pokes
    the loop or is seen by the next ``status()``, which re-arms the timer whenever the
    deadline it computes is earlier than the one armed: the loop and the status never
    disagree. While something is busy, nothing can fire: we re-check every
    ``busy_recheck_s``. With ``config_errors`` the loop never acts.
    """

    def __init__(
        self,
        monitor: ActivityMonitor,
        get_settings: Callable[[], IdleSettings],
        get_timeout: Callable[[IdleSettings], int],
        act: Callable[[], Awaitable[str]],
        log: logging.Logger,
        *,
        shutdown_enabled: bool = True,
        dry_run: bool = False,
        ends_server: bool = True,
        clock: Callable[[], datetime] = utcnow,
        busy_recheck_s: float = 5.0,
        on_status: Optional[Callable[[IdleStatus], None]] = None,
        config_errors: tuple[str, ...] = (),
        refresh: Optional[Callable[[], Awaitable[None]]] = None,
        act_idle: Optional[Callable[[], Awaitable[str]]] = None,
    ) -> None:
        self.monitor = monitor
        self._get_settings = get_settings
        self._get_timeout = get_timeout
        self._act = act
        self.log = log
        self.shutdown_enabled = shutdown_enabled
        self.dry_run = dry_run
        self.ends_server = ends_server
        self._clock = clock
        self.busy_recheck_s = busy_recheck_s
        self._on_status = on_status
        self.config_errors = tuple(config_errors)
        #: a fresh look at the machine (a process scan) before acting on a deadline
        self._refresh = refresh
        #: what an idle stop (not a user's) runs instead of ``act``: the same stop, and its
        #: record in the ledger (:mod:`.savings`) in the same worker thread
        self._act_idle = act_idle
        self.state = LoopState()
        self._timer: Optional[asyncio.TimerHandle] = None
        self._armed_for: Optional[float] = None
        self._running = False
        self._evaluating: Optional[asyncio.Task[Any]] = None
        self.last_status: Optional[IdleStatus] = None

    # -- lifecycle
    def start(self) -> None:
        self._running = True
        self.poke()

    def stop(self) -> None:
        self._running = False
        self._cancel()

    def _cancel(self) -> None:
        if self._timer:
            self._timer.cancel()
        self._timer = None
        self._armed_for = None

    # -- inputs
    def poke(self) -> None:
        """Re-evaluate soon (after activity, a keep-alive or a settings change)."""
        if not self._running:
            return
        loop = asyncio.get_event_loop()
        self._arm(loop.time())

    def set_busy(self, key: str, busy: Optional[Busy]) -> None:
        """Extra busy reasons from the extension itself (e.g. a switch in progress)."""
        if busy:
            self.state.extra_busy[key] = busy
        else:
            self.state.extra_busy.pop(key, None)
        self.poke()

    # -- reading
    async def status(self) -> IdleStatus:
        """The idle state now, for a reader (a route, the metrics); keeps the timer up."""
        st = await self._compute()
        self._keep_up(st)
        return st

    async def _compute(self) -> IdleStatus:
        settings = self._get_settings()
        activity = await self.monitor.snapshot(
            settings.ignore_connections, settings.count_terminals, settings.count_background
        )
        if self.state.extra_busy:
            activity = replace(activity, busy=activity.busy + tuple(self.state.extra_busy.values()))
        st = decide(
            settings,
            activity,
            self._clock(),
            self._get_timeout(settings),
            shutdown_enabled=self.shutdown_enabled,
            shutting_down=self.state.shutting_down,
            error=self.state.error,
            config_errors=self.config_errors,
        )
        self.last_status = st
        if self._on_status:
            self._on_status(st)
        return st

    def _keep_up(self, st: IdleStatus) -> None:
        """Make sure the timer wakes by the deadline a reader was just shown.

        An input of the deadline may have changed without a poke; the reader's computation
        is as good as the loop's own, so an earlier deadline re-arms the timer."""
        if not self._running or st.deadline is None or st.remaining_s is None:
            return
        if self.state.error or self.state.shutting_down:
            return  # a failed stop backs off on its own timer
        if self.dry_run and self.state.dry_run_fired_for == st.deadline:
            return  # logged once already; the busy re-check watches for activity
        if self._armed_for is None and self._evaluating and not self._evaluating.done():
            return  # an evaluation in flight arms the timer when it ends
        when = asyncio.get_event_loop().time() + max(0.0, st.remaining_s)
        if self._armed_for is None or self._armed_for > when + self.REARM_SLACK_S:
            self._arm(when)

    #: a deadline this much earlier than the armed one re-arms the timer
    REARM_SLACK_S = 0.05

    # -- the timer
    def _arm(self, when_loop_time: float) -> None:
        if not self._running:
            return
        if self._armed_for is not None and self._armed_for <= when_loop_time and self._timer:
            return  # an earlier wake-up is already set
        self._cancel()
        loop = asyncio.get_event_loop()
        self._armed_for = when_loop_time
        self._timer = loop.call_at(when_loop_time, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._armed_for = None
        if self._evaluating and not self._evaluating.done():
            return
        self._evaluating = asyncio.ensure_future(self._evaluate())

    async def _evaluate(self) -> None:
        try:
            await self._evaluate_once()
        except Exception:  # the loop must survive anything
            self.log.exception("smcost: idle evaluation failed; retrying in 30 s")
            self._arm_in(30)

    def _arm_in(self, seconds: float) -> None:
        loop = asyncio.get_event_loop()
        self._arm(loop.time() + max(0.0, seconds))

    async def _evaluate_once(self) -> None:
        st = await self._compute()
        if self.config_errors:
            return  # misconfigured: never act (status says why)
        if self._rearm(st):
            return
        if self._refresh is not None:
            # due: look at the machine now, not at the last sample (work started since?)
            await self._refresh()
            st = await self._compute()
            if self._rearm(st):
                return
        if self.dry_run:
            if self.state.dry_run_fired_for != st.deadline:
                self.state.dry_run_fired_for = st.deadline
                await self._shutdown(f"idle for {int(st.idle_s)} s (timeout {st.timeout_s} s)")
            self._arm_in(self.busy_recheck_s)  # watch for activity to re-arm
            return
        await self._shutdown(f"idle for {int(st.idle_s)} s (timeout {st.timeout_s} s)")

    def _rearm(self, st: IdleStatus) -> bool:
        """Arm the timer for what ``st`` says comes next; False when the deadline is due."""
        if st.state in ("disabled", "shutting_down"):
            return True  # a settings change pokes us again
        if st.state == "busy":
            self._arm_in(self.busy_recheck_s)
            return True
        assert st.remaining_s is not None
        if st.remaining_s > 0:
            self._arm_in(st.remaining_s)
            return True
        return False

    async def _shutdown(self, why: str, by_idle: bool = True) -> None:
        if self.config_errors:
            self.log.error("smcost: not shutting down (%s): the configuration has errors", why)
            return
        if self.dry_run:
            self.log.warning("smcost: dry run: would shut down now (%s)", why)
            return
        self.state.shutting_down = True
        self.log.warning("smcost: shutting down: %s", why)
        try:
            act = self._act_idle if by_idle and self._act_idle is not None else self._act
            done = await act()
        except Exception as e:  # AWS refused, or a bug: report, back off, retry
            self.state.shutting_down = False
            self.state.failures += 1
            backoff = min(60 * 2 ** (self.state.failures - 1), 900)
            if isinstance(e, SmCostError):
                self.state.error = e.message
                self.log.error(
                    "smcost: shutdown failed (%s); retrying in %d s", self.state.error, backoff
                )
            else:  # the traceback in the log, a generic reason in the status
                self.state.error = log_bug(self.log, f"shutdown (retrying in {backoff} s)", e)
            self._arm_in(backoff)
            return
        self.state.error = None
        self.state.failures = 0
        self.log.warning("smcost: %s", done)
        if not self.ends_server:
            # e.g. Studio Classic: idle kernels/apps went, the IDE stays; start a new clock
            self.state.shutting_down = False
            self.monitor.mark("idle clean-up")
            self.poke()

    async def shutdown_now(self, why: str) -> None:
        """A user's explicit request: no deadline, no busy check."""
        self._cancel()
        await self._shutdown(why, by_idle=False)
