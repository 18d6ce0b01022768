"""The report builders behind the read routes: the parts of ``GET status``, the price table
(``GET prices``), the recommendations (``GET recommendations``), the usage history
(``GET history``) and the metrics' gauges. The service gathers what runs and what it costs;
these turn it into the JSON that openapi.yaml describes. The history's own series and spend
are in :mod:`.history.reports`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from .activity import utcnow
from .aws.errors import RunBlocking
from .background import BackgroundDetector
from .billed import BilledSpend
from .environments import Environment
from .history import HistoryRecorder, window_summary
from .history.horizon import Horizon
from .history.horizon_cache import HorizonReader
from .history.reports import history_head, history_span, iso, read_history
from .idle import IdleStatus
from .messages import Message
from .pricing import HOURS_PER_DAY, HOURS_PER_MONTH, USD, PriceBook, Quote, price_row
from .recommend import recommend
from .requests import HistoryQuery
from .usage import UsageSampler, UsageSummary


def instance_json(types: list[str], book: PriceBook) -> dict[str, Any]:
    """``status.instance``: the first type billed with its specs, and every type billed."""
    primary = types[0] if types else None
    specs = book.specs(primary) if primary else None
    return {
        "type": primary,
        "types": types,
        "vcpu": specs.vcpu if specs else None,
        "memory_gib": specs.memory_gib if specs else None,
        "gpu_count": specs.gpu_count if specs else None,
        "gpu_model": specs.gpu_model if specs else None,
        "gpu_memory_gib": specs.gpu_memory_gib if specs else None,
    }


def cost_json(
    started_at: datetime, price: Quote, since_start: Optional[float], basis: str
) -> dict[str, Any]:
    """``status.cost``: spend since the server started (``basis``: how it was counted) and
    the day and month at the price now, in the price's currency."""
    return {
        "started_at": started_at.isoformat(),
        "since_start": since_start,
        "projected_per_day": price.for_hours(HOURS_PER_DAY, 2),
        "projected_per_month": price.for_hours(HOURS_PER_MONTH, 2),
        "currency": price.currency,
        "basis": basis,
    }


def price_table_json(
    book: PriceBook,
    region: str,
    component: str,
    types: list[str],
    allowed: list[str],
    live_error: Optional[str],
) -> dict[str, Any]:
    """``GET prices``: every type priced here (only the allowed ones, when the administrator
    lists some), and the types running whatever the list says."""
    names = {t for t, _, _ in book.table(region, component)} | set(types)
    if allowed:
        names = {t for t in names if t in allowed} | set(types)
    rows = book.table(region, component, names)
    return {
        "region": region,
        "component": component,
        "as_of": book.as_of(region, component),
        "live_error": live_error,
        "items": [{**price_row(t, p, s), "current": t in types} for t, p, s in rows],
    }


class UsageReports:
    """What the measured use says: the recommendations and the usage history. ``sampler``
    and ``history`` are None when the administrator turned them off."""

    def __init__(
        self,
        env: Environment,
        book: PriceBook,
        run_blocking: RunBlocking,
        *,
        sampler: Optional[UsageSampler],
        history: Optional[HistoryRecorder],
        billed: BilledSpend,
        allowed: list[str],
        min_samples: int,
        horizon_s: float = 0.0,
    ) -> None:
        self.env = env
        self.book = book
        self.run_blocking = run_blocking
        self.sampler = sampler
        self.history = history
        self.billed = billed
        self.allowed = list(allowed)
        self.min_samples = min_samples
        #: seconds of running time the rules read (0: the usage window only)
        self.horizon_s = horizon_s
        #: what the horizon keeps between requests (history/horizon_cache.py)
        self._horizon = HorizonReader()

    async def recommendations(self, types: list[str], price: Quote) -> dict[str, Any]:
        """Measured use over the window and the instance types it suggests (pure rules)."""
        sampler = self.sampler
        primary = types[0] if len(types) == 1 else None
        span = await self.usage_horizon(primary) if self.horizon_s > 0 else None
        seen: Optional[Horizon] = None
        if span is not None:
            summary, kept, seen = span
        else:
            summary, kept = await self.usage_summary(primary)
        out: dict[str, Any] = {
            "window_s": summary.window_s,
            "samples": summary.samples,
            "span_s": round(summary.span_s, 1),
            "interval_s": sampler.interval_s if sampler else None,
            "kept": kept,
            "utilization": summary.to_json(),
            "current": {"type": primary, "price": price.to_json()},
            "items": [],
            "reason": None,
            "horizon": seen.to_json() if seen is not None else None,
        }
        why: Optional[Message] = None
        if sampler is None:
            why = Message.of(
                "rec.sampling_off",
                "usage sampling is off (SmCostApp.usage_sample_interval is 0)",
            )
        elif not self.env.usage_measures_instance:
            why = Message.of(
                "rec.not_measurable",
                "the kernels run on other instances than this server: their use "
                "cannot be measured from here",
            )
        elif len(types) > 1:
            why = Message.of(
                "rec.several_apps",
                f"{len(types)} apps are billed ({', '.join(types)}): no single type",
                count=len(types),
                types=", ".join(types),
            )
        if why is not None:
            out["reason"], out["reason_message"] = why.text, why.to_json()
        else:
            region, component = self.env.region, self.env.component
            valid = await self.run_blocking(
                self.env.valid_instance_types,
                action=Message.of("action.list_types", "list valid instance types"),
            )
            names = set(valid) or {t for t, _, _ in self.book.table(region, component)}
            if self.allowed:
                names &= set(self.allowed)
            result = recommend(
                summary,
                primary,
                price,
                self.book.specs(primary) if primary else None,
                self.book.table(region, component, names),
                interval_s=sampler.interval_s,
                min_samples=self.min_samples,
            )
            if seen is not None and summary.samples >= self.min_samples:
                for item in result["items"]:
                    item["reason"] += f"; {seen.describe()}"
            out.update(result)
        return out

    async def usage_horizon(
        self, instance_type: Optional[str]
    ) -> Optional[tuple[UsageSummary, dict[str, Any], Horizon]]:
        """The horizon (``recommend_horizon`` of running time on this type, see
        :mod:`.history.horizon`): this run's window and the kept minutes and hours before
        it. None (the window alone is read) without history or a single measured type."""
        sampler, history = self.sampler, self.history
        if sampler is None or history is None or not instance_type:
            return None
        if not self.env.usage_measures_instance:
            return None
        window = sampler.window
        raw = window.items()
        now = utcnow().timestamp()
        # the window's stamps are monotonic: the wall-clock time its oldest sample was taken
        raw_start = now - (window.now() - raw[0][0]) if raw else now
        horizon_s, interval_s, reader = self.horizon_s, sampler.interval_s, self._horizon

        def read() -> tuple[list[tuple[int, int, int]], Horizon]:
            return reader.read(
                history, instance_type, horizon_s, window.window_s, raw, raw_start, interval_s
            )

        kept, seen = await self.run_blocking(
            read, action=Message.of("action.read_history", "read the usage history")
        )
        return (
            seen.summary,
            {
                "samples": sum(n for _, _, n in kept),
                "since": iso(min(t for _, t, _ in kept)) if kept else None,
                "instance_type": instance_type,
            },
            seen,
        )

    async def usage_summary(
        self, instance_type: Optional[str]
    ) -> tuple[UsageSummary, Optional[dict[str, Any]]]:
        """The window: this run's samples, and while this run is younger than the window,
        kept minutes of the same instance type from before it (newest first, gaps
        skipped). ``kept`` says how many samples came from the kept history and since
        when (None when history is off)."""
        sampler = self.sampler
        if sampler is None:
            return UsageSummary(0.0, 0, 0.0), None
        window = sampler.window
        if self.history is None or not instance_type or not self.env.usage_measures_instance:
            return window.summary(), None
        raw = window.items()
        need = window.window_s - (utcnow().timestamp() - self.history.started_at)
        kept = await self.run_blocking(
            self.history.kept_window,
            instance_type,
            need,
            sampler.interval_s,
            action=Message.of("action.read_history", "read the usage history"),
        )
        summary = window_summary(window.window_s, raw, kept, sampler.interval_s)
        return summary, {
            "samples": sum(a.n for _, a in kept),
            "since": iso(min(t for t, _ in kept)) if kept else None,
            "instance_type": instance_type,
        }

    async def history_report(self, types: list[str], query: HistoryQuery) -> dict[str, Any]:
        """Usage at the query's step from its ``since`` (default: the recommendation window;
        with ``range=horizon``, where the recommendation's horizon starts) to now, spend
        per day from ``since``'s day, this month to date, and what AWS billed."""
        window_s = self.sampler.window.window_s if self.sampler else None
        single = types[0] if len(types) == 1 else None
        seen: Optional[Horizon] = None
        if query.range == "horizon" and self.horizon_s > 0:
            span = await self.usage_horizon(single)
            seen = span[2] if span is not None else None
        until = utcnow().timestamp()
        since = query.since.timestamp() if query.since is not None else None
        if seen is not None:
            # where the horizon starts: its oldest kept bucket, else this run's window
            since = seen.since if seen.since is not None else until - (window_s or 0.0)
        start, step = history_span(since, until, query.step, window_s)
        out = history_head(start, until, step, window_s, single, self.history is not None)
        # range=horizon without a horizon (recommend_horizon 0, no history or no single
        # measured type): the window, said so
        out["range"] = "horizon" if seen is not None else "window"
        out["horizon"] = seen.to_json() if seen is not None else None
        if self.history is None:
            out["reason"] = "usage history is off (SmCostApp.history_file is empty)"
            return out
        history, billed = self.history, self.billed

        def read() -> dict[str, Any]:
            billed.load()
            return read_history(history, start, until, step)

        out.update(
            await self.run_blocking(
                read, action=Message.of("action.read_history", "read the usage history")
            )
        )
        out["billed"] = billed.json()
        return out


def metrics_json(
    price: Quote,
    since_start: Optional[float],
    idle: Optional[IdleStatus],
    now: datetime,
    background: Optional[BackgroundDetector],
) -> dict[str, Optional[float]]:
    """The Prometheus gauges' values (in USD: None for a price in another currency)."""
    usd = price.currency == USD
    return {
        "usd_per_hour": price.per_hour if usd else None,
        "idle_s": None if idle is None else (now - idle.last_activity).total_seconds(),
        "remaining_s": (
            None if idle is None or idle.deadline is None else (idle.deadline - now).total_seconds()
        ),
        "since_start_usd": since_start if usd else None,
        "background_scans": background.scans if background else None,
        "background_quiet_samples": background.skipped if background else None,
        "background_scan_seconds": background.scan_seconds if background else None,
    }
