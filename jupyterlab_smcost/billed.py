"""Billed spend: what Cost Explorer says AWS billed for this space or user, cached, refreshed
in the background when stale, and kept in the history's meta table across restarts (each
request costs $0.01)."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any, Optional

from .activity import utcnow
from .aws.errors import RunBlocking
from .aws.partitions import currency_of
from .environments import Environment
from .errors import SmCostError, log_bug
from .history import HistoryRecorder
from .messages import Message
from .pricing import USD


def billed_empty(state: str, currency: str = USD) -> dict[str, Any]:
    """The billed spend's JSON with no figures (``state``: pending, unavailable, error)."""
    return {
        "state": state,
        "message": None,
        "note": "billed by AWS (Cost Explorer): up to a day late; today is not included",
        "tag": None,
        "days": [],
        # Cost Explorer's unit, the partition's (aws.costs refuses any other): CNY in China
        "currency": currency,
        "month_to_date": None,
        "through": None,
        "fetched_at": None,
    }


def load_kept(history: HistoryRecorder) -> Optional[dict[str, Any]]:
    """The last billed spend kept (a restart does not pay for a new request)."""
    text = history.store.get_meta("billed")
    try:
        billed = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(billed, dict) or billed.get("state") != "ok":
        return None
    # kept by an earlier version in another shape (month_to_date_usd): ask again
    return billed if "month_to_date" in billed and "currency" in billed else None


class BilledSpend:
    """``enabled`` is ``SmCostApp.cost_explorer``; off, :meth:`json` is None and nothing is
    asked."""

    #: Cost Explorer refreshes its data at least daily, and each request costs $0.01
    TTL_S = 12 * 3600
    RETRY_S = 3600
    #: billed days asked for (the spend chart's 30 days, and the month to date)
    DAYS = 30

    def __init__(
        self,
        env: Environment,
        history: Optional[HistoryRecorder],
        log: logging.Logger,
        run_blocking: RunBlocking,
        *,
        enabled: bool,
    ) -> None:
        self.env = env
        self.history = history
        self.log = log
        self.run_blocking = run_blocking
        self.enabled = enabled
        self._billed: Optional[dict[str, Any]] = None
        self._task: Optional[asyncio.Future[None]] = None

    def load(self) -> None:
        """Blocking (a worker thread): read the kept figures once, if none are held yet."""
        if self.enabled and self._billed is None and self.history is not None:
            self._billed = load_kept(self.history)

    def json(self) -> Optional[dict[str, Any]]:
        """What Cost Explorer billed (cached; refreshed in the background when stale)."""
        if not self.enabled:
            return None
        billed = self._billed
        age = None
        if billed and billed.get("fetched_at"):
            age = utcnow().timestamp() - datetime.fromisoformat(billed["fetched_at"]).timestamp()
        ttl = self.TTL_S if billed and billed["state"] == "ok" else self.RETRY_S
        running = self._task is not None and not self._task.done()
        if (age is None or age >= ttl) and not running:
            self._task = asyncio.ensure_future(self.refresh())
        if billed is None:
            return {**self._empty("pending"), "message": "asking Cost Explorer"}
        return billed

    def _empty(self, state: str) -> dict[str, Any]:
        return billed_empty(state, currency_of(self.env.region) or USD)

    async def refresh(self) -> None:
        today = utcnow().date()
        start = min(today.replace(day=1), today - timedelta(days=self.DAYS))
        try:
            got = await self.run_blocking(
                self.env.billed_spend,
                start,
                today,
                action=Message.of("action.read_billed", "read billed spend"),
            )
        except SmCostError as e:
            state = "unavailable" if e.code == "billed_unavailable" else "error"
            if state == "error":
                self.log.warning("smcost: %s", e.message)
            self._billed = {
                **self._empty(state),
                "message": e.message,
                "error": {"code": e.code, "params": e.params},
            }
        except Exception as e:  # a bug: retried like an AWS failure (RETRY_S)
            message = log_bug(self.log, "reading billed spend", e)
            self._billed = {**self._empty("error"), "message": message}
        else:
            month = today.replace(day=1)
            self._billed = {
                **self._empty("ok"),
                "tag": {"key": got.tag_key, "value": got.tag_value},
                "days": [
                    {
                        "date": d.day.isoformat(),
                        "amount": round(d.amount, 4),
                        "estimated": d.estimated,
                    }
                    for d in got.days
                ],
                "month_to_date": round(sum(d.amount for d in got.days if d.day >= month), 4),
                "through": (today - timedelta(days=1)).isoformat(),
            }
        self._billed["fetched_at"] = utcnow().isoformat()
        if self.history is not None and self._billed["state"] == "ok":
            history, text = self.history, json.dumps(self._billed)
            await self.run_blocking(
                lambda: history.store.set_meta("billed", text),
                action=Message.of("action.keep_billed", "keep billed spend"),
            )
