"""The live price refresh as the server runs it: the disk cache, then the Price List API when
stale, off the event loop in a pool of its own (a slow Price List API never holds a request
up), at most one refresh per (region, component) at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, Optional

from ..aws.errors import RunBlocking
from ..errors import SmCostError, log_bug
from ..messages import Message
from . import LivePriceCache, PriceBook


class PriceRefresher:
    """``on_done()`` runs after every refresh, whatever became of it (the price may change
    the idle timeout and the price that spend is counted at). ``error`` holds why the
    last refresh failed (None: it did not)."""

    def __init__(
        self,
        book: PriceBook,
        log: logging.Logger,
        run_blocking: RunBlocking,
        executor: Executor,
        on_done: Callable[[], None],
    ) -> None:
        self.book = book
        self.log = log
        self.run_blocking = run_blocking
        self.executor = executor
        self.on_done = on_done
        self.error: Optional[str] = None
        self._running: dict[tuple[str, str], tuple[asyncio.Future[None], bool]] = {}

    async def refresh(self, region: str, component: str, force: bool) -> None:
        """Load the disk cache, then fetch live prices when stale (or ``force``). Callers at
        the same time share one refresh per (region, component); a forced one that finds a
        plain one running waits for it, then runs (or joins the next forced one)."""
        live = self.book.live
        if not live:
            return
        key = (region, component)
        while key in self._running:
            running, running_forced = self._running[key]
            await asyncio.shield(running)  # a request that goes away does not cancel it
            if running_forced or not force:
                return
        task = asyncio.ensure_future(self._refresh(live, region, component, force))
        self._running[key] = (task, force)

        def done(_: Any) -> None:
            if self._running.get(key, (None, False))[0] is task:
                del self._running[key]

        task.add_done_callback(done)
        await asyncio.shield(task)

    async def _refresh(
        self, live: LivePriceCache, region: str, component: str, force: bool
    ) -> None:
        def load_and_refresh() -> None:
            # what is on disk first, so lookups have it while the fetch runs
            self.book.load_live(region, component)
            live.refresh(region, component, force)

        try:
            await self.run_blocking(
                load_and_refresh,
                action=Message.of("action.fetch_prices", "fetch live prices"),
                executor=self.executor,
            )
            self.error = None
        except SmCostError as e:
            self.error = e.message
            self.log.warning(
                "smcost: live prices unavailable, using the bundled snapshot: %s", e.message
            )
        except Exception as e:  # a bug: the next refresh tries again
            self.error = log_bug(self.log, "the live price refresh", e)
        finally:
            self.on_done()
