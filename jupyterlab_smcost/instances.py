"""What runs here: the instance type(s) billed, read from the environment off the event loop
and re-read in the background when stale, and what they cost now."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Optional

from .aws.errors import RunBlocking
from .environments import Environment
from .errors import SmCostError, log_bug
from .history import Running
from .messages import Message, quoted_error
from .pricing import PriceBook, Quote


class InstanceTypes:
    """``on_change()`` runs when the types read differ from the last ones (the price, so the
    effective idle timeout, may have changed); ``on_read()`` after every successful read."""

    #: re-read the instance type(s) in the background when older than this (Studio Classic's
    #: KernelGateway apps come and go as the user opens notebooks)
    TTL_S = 60.0

    def __init__(
        self,
        env: Environment,
        book: PriceBook,
        log: logging.Logger,
        run_blocking: RunBlocking,
        *,
        on_change: Callable[[], None],
        on_read: Callable[[], None],
    ) -> None:
        self.env = env
        self.book = book
        self.log = log
        self.run_blocking = run_blocking
        self.on_change = on_change
        self.on_read = on_read
        #: the types last read (None: never read yet)
        self.known: Optional[list[str]] = None
        #: why the last read failed (None: it did not), with its code and params
        self.error: Optional[str] = None
        self._failure: Optional[SmCostError] = None
        self._task: Optional[asyncio.Future[Any]] = None
        self._read_at: Optional[float] = None

    def start(self) -> None:
        """The first read, in the background (on the event loop)."""
        self._task = asyncio.ensure_future(self.refresh())

    async def refresh(self) -> list[str]:
        """Read the types now (the last ones known when the read fails)."""
        self._read_at = asyncio.get_running_loop().time()
        try:
            types = await self.run_blocking(
                self.env.instance_types,
                action=Message.of("action.read_instance_type", "read the instance type"),
            )
        except SmCostError as e:
            self.error, self._failure = e.message, e
            self.log.error("smcost: %s", e.message)
        except Exception as e:  # a bug: logged with its traceback, retried after the TTL
            self.error = log_bug(self.log, "reading the instance type", e)
            self._failure = SmCostError("internal_error", self.error, 500)
        else:
            self.error, self._failure = None, None
            if types != self.known:
                self.known = types
                self.on_change()
            self.on_read()
        return self.known or []

    async def get(self) -> list[str]:
        """The types known (waiting for the first read), re-read in the background when
        older than :attr:`TTL_S`."""
        if self.known is None and self._task:
            await asyncio.shield(self._task)
        now = asyncio.get_running_loop().time()
        stale = self._read_at is not None and now - self._read_at > self.TTL_S
        if stale and self._task and self._task.done():
            self._task = asyncio.ensure_future(self.refresh())
        return self.known or []

    def price(self, types: list[str]) -> Quote:
        """What runs now costs: the book's quote for ``types`` (none read from AWS: nothing
        billed runs), or unknown while the types are not known."""
        region, component = self.env.region, self.env.component
        if not types and self.known is None:
            why = Message.of("price.type_not_read_yet", "the instance type is not known yet")
            if self._failure:
                f = self._failure
                why = Message.of(
                    "price.type_unreadable",
                    f"the instance type could not be read: {f.message}",
                    **quoted_error(f.code, f.message, f.params),
                )
            return Quote(None, "unknown", None, why.text, region, component, detail_message=why)
        return self.book.total(region, component, types)

    def running(self) -> Optional[tuple[list[Running], Optional[str]]]:
        """What the history is told is billed (one span per app, at the price in force) and
        the type usage samples describe (None: no single type measured here); None while
        the types are not known."""
        types = self.known
        if types is None:
            return None
        region, component = self.env.region, self.env.component
        running = []
        for i, t in enumerate(types):
            p = self.book.price(region, component, t)
            slot = types[:i].count(t)  # two apps of one type: two spans
            running.append(Running.of(p, slot))
        single = len(types) == 1 and self.env.usage_measures_instance
        return running, types[0] if single else None
