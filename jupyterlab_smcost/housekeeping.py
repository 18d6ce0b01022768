"""Housekeeping rounds: every minute, the history's write when no sampler thread writes it,
and the environment's own clean-up (e.g. retiring the apps a switch replaced). A failure
is logged (a bug with its traceback) and the next round tries again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Optional

from .aws.errors import RunBlocking
from .environments import Environment, IdleContext
from .errors import SmCostError, log_bug
from .history import HistoryRecorder
from .messages import Message


class Housekeeping:
    """``write_history``: the history is written from here (no sampler thread writes it);
    ``context`` reads the server's kernels on the event loop for the worker thread."""

    #: seconds between two rounds
    INTERVAL_S = 60.0

    def __init__(
        self,
        env: Environment,
        history: Optional[HistoryRecorder],
        log: logging.Logger,
        run_blocking: RunBlocking,
        *,
        write_history: bool,
        context: Callable[[], IdleContext],
    ) -> None:
        self.env = env
        self.history = history
        self.log = log
        self.run_blocking = run_blocking
        self.write_history = write_history
        self.context = context
        self._timer: Optional[asyncio.TimerHandle] = None

    def start(self) -> None:
        """Arm the first round (on the event loop)."""
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(
            self.INTERVAL_S, lambda: asyncio.ensure_future(self.run_once())
        )

    def stop(self) -> None:
        if self._timer:
            self._timer.cancel()
            self._timer = None

    async def run_once(self) -> None:
        """One round now; the next is armed after it (unless stopped)."""
        try:
            if self.history and self.write_history:
                await self.run_blocking(
                    self.history.tick,
                    action=Message.of("action.write_history", "write the usage history"),
                )
            if self.env.needs_housekeeping():
                await self.run_blocking(
                    self.env.housekeeping,
                    self.context(),
                    action=Message.of("action.clean_up_apps", "clean up replaced apps"),
                )
        except SmCostError as e:  # AWS refused: try again next round
            self.log.warning("smcost: %s", e.message)
        except Exception as e:  # a bug: logged with its traceback, tried again next round
            log_bug(self.log, "housekeeping", e)
        finally:
            if self._timer is not None:
                self.start()
