"""The ledger's recording and its route: what the idle stops and switches
saved, kept in the history file (:mod:`.history.events`) and read back as
``GET smcost/ledger`` (:mod:`.history.ledger_report`).

Called from where things happen: the idle loop's stop (in the worker thread that stopped,
right after the stop succeeded, so it is written even as the server goes away), the
server's start-up, and the switch controller (a switch that succeeded here; one handed to
the switcher or to the user is confirmed at the next start, when the new type runs).
Recording blocks (SQLite): it runs in worker threads, never on the event loop, and a
failure is logged, never raised: a stop or a switch never fails for its record."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from .aws.errors import RunBlocking
from .environments import Environment, IdleContext
from .history.events import PENDING_SWITCH_S, LedgerEvents, booted_at, event_of
from .history.ledger import Event
from .history.ledger_report import ledger_json, ledger_off, month_start
from .history.recorder import HistoryRecorder
from .messages import Message
from .pricing import PriceBook, Quote


class Savings:
    """Records the ledger's events and builds its report. ``events`` None: history off
    (nothing recorded, the route says why)."""

    def __init__(
        self,
        events: Optional[LedgerEvents],
        history: Optional[HistoryRecorder],
        log: logging.Logger,
        *,
        started_at: float,
        clock: Callable[[], float] = time.time,
        booted: Callable[[], Optional[float]] = booted_at,
    ) -> None:
        self.events = events
        self.history = history
        self.log = log
        self.started_at = started_at
        self._clock = clock
        self._booted = booted

    def _add(self, ev: Event) -> None:
        if self.events is None:
            return
        try:
            if not self.events.add(ev):
                self.log.warning("smcost: the ledger could not record the %s", ev.kind)
        except Exception:  # a bug: logged with its traceback, never breaks the caller
            self.log.exception("smcost: the ledger could not record the %s", ev.kind)

    # -- recording (blocking: worker threads)
    def stopped(self, quote: Quote) -> None:
        """An idle stop succeeded, at ``quote`` (the price in force)."""
        self._add(event_of("stop", self._clock(), quote))

    def started(self) -> None:
        """This server started (when the machine booted, if it can be read)."""
        self._add(Event("start", self.started_at, booted=self._booted()))

    def switched(self, before: Quote, after: Quote) -> None:
        """A switch succeeded here: ``before`` -> ``after``, now."""
        self._add(self._switch("switch", self._clock(), before, after))

    def handed_off(self, before: Quote, target: str) -> None:
        """A switch to ``target`` was handed to the switcher (or to the user): it is
        counted from the next start, if that start runs ``target``."""
        after = Quote(None, "unknown", None, "", before.region, before.component, target)
        self._add(self._switch("switch_pending", self._clock(), before, after))

    def confirm(self, types: list[str], quote_of: Callable[[str], Quote]) -> None:
        """At start-up, once the types are read: a switch handed off before this start
        (and after the previous one) that now runs is recorded as done, at this start."""
        if self.events is None or len(types) != 1:
            return
        try:
            last = self.events.last_before(self.started_at, ("start", "switch_pending"))
        except Exception:
            self.log.exception("smcost: the ledger could not read the switches")
            return
        if last is None or last.event.kind != "switch_pending":
            return
        pending = last.event
        if pending.instance_type != types[0] or self.started_at - pending.at > PENDING_SWITCH_S:
            return
        before = Quote(
            pending.from_price,
            pending.from_source,
            pending.from_as_of,
            "",
            pending.region,
            pending.component,
            pending.from_type,
            currency=pending.currency,
        )
        self._add(self._switch("switch", self.started_at, before, quote_of(types[0])))

    @staticmethod
    def _switch(kind: str, at: float, before: Quote, after: Quote) -> Event:
        return event_of(
            kind,
            at,
            after,
            from_type=before.instance_type,
            from_price=before.per_hour if before.currency == after.currency else None,
            from_source=before.source,
            from_as_of=before.as_of,
        )

    # -- reading (blocking)
    def report(self) -> dict[str, Any]:
        """``GET smcost/ledger``."""
        now = self._clock()
        if self.events is None:
            return ledger_off("the history is off (SmCostApp.history_file is empty)", now)
        # a stop last month may reach into this one: read what is kept before it too
        recorded = [r.event for r in self.events.since(month_start(now) - 62 * 86400)]
        if not any(e.kind == "start" and e.at == self.started_at for e in recorded):
            recorded.append(Event("start", self.started_at))  # not written (yet)
        spans = None
        if self.history is not None:
            spans = [
                (s.start, s.end, s.running.instance_type)
                for s in self.history.spans(month_start(now) - 62 * 86400)
            ]
        return ledger_json(recorded, spans, now)


class LedgerHooks:
    """What the service tells the ledger, on the event loop: each call reads what it needs
    there and records in a worker thread. ``current_price`` is the price in force now;
    ``target`` the type of the switch under way."""

    def __init__(
        self,
        savings: Savings,
        env: Environment,
        prices: PriceBook,
        run_blocking: RunBlocking,
        *,
        current_price: Callable[[], Quote],
        context: Callable[[], IdleContext],
        target: Callable[[], Optional[str]],
        types: Callable[[], Awaitable[list[str]]],
    ) -> None:
        self.savings = savings
        self.env = env
        self.prices = prices
        self.run_blocking = run_blocking
        self._current_price = current_price
        self._context = context
        self._target = target
        self._types = types

    def quote_of(self, instance_type: str) -> Quote:
        return self.prices.price(self.env.region, self.env.component, instance_type)

    async def act_idle(self) -> str:
        """An idle stop, recorded at the price in force in the worker thread that stopped
        (it is written even as the server goes away)."""
        quote = self._current_price()
        context = self._context()

        def stop() -> str:
            done = self.env.shutdown(context)
            self.savings.stopped(quote)
            return done

        return await self.run_blocking(
            stop, action=Message.of("action.stop_idle", "stop for idleness")
        )

    async def switched(self, before: list[str], after: list[str]) -> None:
        """A switch succeeded: the type that went (the one of ``before`` no longer in
        ``after``) -> the target."""
        target = self._target()
        gone = list(before)
        for t in after:
            if t in gone:
                gone.remove(t)
        if target is None or len(gone) != 1 or target not in after:
            return
        before_q, after_q = self.quote_of(gone[0]), self.quote_of(target)
        await self.run_blocking(
            self.savings.switched,
            before_q,
            after_q,
            action=Message.of("action.record_switch", "record a switch"),
        )

    async def handed_off(self, before: list[str], target: str) -> None:
        """A switch handed to the switcher or the user: confirmed at the next start."""
        if len(before) == 1:
            quote = self.quote_of(before[0])
            await self.run_blocking(
                self.savings.handed_off,
                quote,
                target,
                action=Message.of("action.record_switch", "record a switch"),
            )

    async def confirm_switch(self) -> None:
        """At start: a switch handed off earlier happened if the target runs now."""
        types = await self._types()
        if types:
            await self.run_blocking(
                self.savings.confirm,
                types,
                self.quote_of,
                action=Message.of("action.update_ledger", "ledger"),
            )

    async def report(self) -> dict[str, Any]:
        """``GET ledger``: what idle stops and switches saved this month (estimates)."""
        return await self.run_blocking(
            self.savings.report, action=Message.of("action.read_ledger", "read the ledger")
        )
