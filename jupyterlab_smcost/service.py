"""The service behind the REST handlers: one plain class, one method per route.

Blocking work (AWS through the environment adapter, live price fetches) runs in thread
pools, never on the tornado event loop: the user's and the idle loop's work in one, price
loads and refreshes in their own, so a slow Price List API never holds a request up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Optional, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from .activity import ActivityMonitor, Busy, utcnow
from .aws.errors import as_aws_error
from .background import BackgroundDetector
from .environments import Environment, IdleContext, SwitchProgress
from .errors import SmCostError, bad_input, conflict, log_bug, unavailable
from .history import HistoryRecorder, Running, window_summary
from .history.reports import history_head, history_span, iso, read_history, session_cost
from .idle import IdleLoop, IdleStatus, effective_timeout
from .pricing import (
    HOURS_PER_DAY,
    HOURS_PER_MONTH,
    USD,
    LivePriceCache,
    PriceBook,
    Quote,
    price_row,
)
from .recommend import recommend
from .requests import (
    HistoryQuery,
    IdleSettingsUpdate,
    ShutdownSaves,
    SwitchRequest,
    excerpt_name,
)
from .settings import IdleSettings, SettingsStore
from .usage import UsageSampler, UsageSummary

T = TypeVar("T")


class SmCostService:
    def __init__(
        self,
        env: Environment,
        prices: PriceBook,
        store: SettingsStore,
        monitor: ActivityMonitor,
        log: logging.Logger,
        *,
        started_at: datetime,
        allowed_instance_types: list[str],
        idle_timeout_by_price: dict[float, int],
        shutdown_enabled: bool,
        dry_run: bool,
        live_prices: bool,
        clock: Callable[[], datetime] = utcnow,
        usage_sampler: Optional[UsageSampler] = None,
        recommend_min_samples: int = 30,
        config_errors: tuple[str, ...] = (),
        background: Optional[BackgroundDetector] = None,
        history: Optional[HistoryRecorder] = None,
        cost_explorer: bool = False,
    ) -> None:
        self.env = env
        self.prices = prices
        self.store = store
        self.monitor = monitor
        self.log = log
        self.started_at = started_at
        self.allowed = list(allowed_instance_types)
        self.by_price = dict(idle_timeout_by_price)
        self.live_prices = live_prices
        self._clock = clock
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="smcost")
        #: price loads and refreshes only: at most one refresh per (region, component) runs
        self.price_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="smcost-prices")
        self._price_refreshes: dict[tuple[str, str], tuple[asyncio.Future[None], bool]] = {}
        self._types: Optional[list[str]] = None
        self._types_task: Optional[asyncio.Future[Any]] = None
        self.price_error: Optional[str] = None
        self._types_error: Optional[str] = None
        self._started = False
        self._env_info: Optional[dict[str, Any]] = None
        self.switch: Optional[SwitchProgress] = None
        self._types_at: Optional[float] = None
        self._switch_started: float = 0.0
        self.usage_sampler = usage_sampler
        self.background = background
        self.recommend_min_samples = recommend_min_samples
        self.history = history
        self.cost_explorer = cost_explorer
        self._billed: Optional[dict[str, Any]] = None
        self._billed_task: Optional[asyncio.Future[None]] = None
        #: the administrator's configuration mistakes: while any, nothing is stopped or
        #: switched (the idle loop does not act; shutdown and switch answer 503)
        self.config_errors = tuple(config_errors)
        self._housekeeping: Optional[asyncio.TimerHandle] = None
        self.idle = IdleLoop(
            monitor,
            get_settings=lambda: self.store.settings,
            get_timeout=self.timeout_for,
            act=self._act,
            log=log,
            shutdown_enabled=shutdown_enabled,
            dry_run=dry_run,
            ends_server=env.shutdown_ends_server,
            clock=clock,
            config_errors=self.config_errors,
            refresh=self._refresh_background if background else None,
        )

    # -- plumbing
    async def run_blocking(
        self,
        fn: Callable[..., T],
        *args: Any,
        action: str = "",
        executor: Optional[ThreadPoolExecutor] = None,
    ) -> T:
        """Run ``fn`` in the pool; AWS failures become :class:`AwsError`s with a readable
        message. Anything else is a bug: it propagates as it is."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor or self.executor, fn, *args)
        except (ClientError, BotoCoreError) as e:
            raise as_aws_error(e, action) from e

    def start(self) -> None:
        """Start the idle loop and the first reads (from the extension's start hook, on
        the event loop). Idempotent."""
        if self._started:
            return
        self._started = True
        self.idle.start()
        self._schedule_housekeeping()
        if self.background:
            # work starting or ending re-evaluates at once (the detector runs on the sampler
            # thread; the loop on the event loop)
            loop = asyncio.get_running_loop()
            self.background.on_change = lambda: loop.call_soon_threadsafe(self.idle.poke)
        if self.usage_sampler:
            self.usage_sampler.start()
        self._types_task = asyncio.ensure_future(self.refresh_instance_types())
        # warm the valid-type list (botocore's model, ~1 MB of JSON) off the event loop
        self.executor.submit(self.env.valid_instance_types)
        if self.live_prices:
            asyncio.ensure_future(self.refresh_prices(force=False))

    def stop(self) -> None:
        self.idle.stop()
        if self._housekeeping:
            self._housekeeping.cancel()
            self._housekeeping = None
        if self.usage_sampler:
            self.usage_sampler.stop()
        if self.history:
            # the last minute's samples and the spans' ends: one small transaction, as the
            # server stops (the sampler thread that wrote until now has just ended)
            self.history.close()
        self.env.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.price_executor.shutdown(wait=False, cancel_futures=True)

    #: re-read the instance type(s) in the background when older than this (Studio Classic's
    #: KernelGateway apps come and go as the user opens notebooks)
    TYPES_TTL_S = 60.0

    async def refresh_instance_types(self) -> list[str]:
        self._types_at = asyncio.get_running_loop().time()
        try:
            types = await self.run_blocking(
                self.env.instance_types, action="read the instance type"
            )
        except SmCostError as e:
            self._types_error = e.message
            self.log.error("smcost: %s", e.message)
        except Exception as e:  # a bug: logged with its traceback, retried after the TTL
            self._types_error = log_bug(self.log, "reading the instance type", e)
        else:
            self._types_error = None
            if types != self._types:
                self._types = types
                self.idle.poke()  # the price, so the effective timeout, may have changed
            self._note_running()
        return self._types or []

    async def instance_types(self) -> list[str]:
        if self._types is None and self._types_task:
            await asyncio.shield(self._types_task)
        now = asyncio.get_running_loop().time()
        stale = self._types_at is not None and now - self._types_at > self.TYPES_TTL_S
        if stale and self._types_task and self._types_task.done():
            self._types_task = asyncio.ensure_future(self.refresh_instance_types())
        return self._types or []

    async def refresh_prices(self, force: bool) -> None:
        """Load the disk cache, then fetch live prices when stale (or ``force``). Callers at
        the same time share one refresh per (region, component); a forced one that finds a
        plain one running waits for it, then runs (or joins the next forced one)."""
        live = self.prices.live
        if not live:
            return
        key = (self.env.region, self.env.component)
        while key in self._price_refreshes:
            running, running_forced = self._price_refreshes[key]
            await asyncio.shield(running)  # a request that goes away does not cancel it
            if running_forced or not force:
                return
        task = asyncio.ensure_future(self._refresh_prices(live, *key, force))
        self._price_refreshes[key] = (task, force)

        def done(_: Any) -> None:
            if self._price_refreshes.get(key, (None, False))[0] is task:
                del self._price_refreshes[key]

        task.add_done_callback(done)
        await asyncio.shield(task)

    async def _refresh_prices(
        self, live: LivePriceCache, region: str, component: str, force: bool
    ) -> None:
        def load_and_refresh() -> None:
            # what is on disk first, so lookups have it while the fetch runs
            self.prices.load_live(region, component)
            live.refresh(region, component, force)

        try:
            await self.run_blocking(
                load_and_refresh, action="fetch live prices", executor=self.price_executor
            )
            self.price_error = None
        except SmCostError as e:
            self.price_error = e.message
            self.log.warning(
                "smcost: live prices unavailable, using the bundled snapshot: %s", e.message
            )
        except Exception as e:  # a bug: the next refresh tries again
            self.price_error = log_bug(self.log, "the live price refresh", e)
        finally:
            self.idle.poke()  # the price may change the idle timeout (idle_timeout_by_price)
            self._note_running()  # and the price in force that spend is counted at

    # -- idle policy
    async def _refresh_background(self) -> None:
        """A process scan now, off the event loop (the idle loop calls it at a deadline)."""
        if self.background and self.store.settings.count_background:
            await asyncio.get_running_loop().run_in_executor(None, self.background.refresh)

    def current_price(self, types: list[str]) -> Quote:
        """What runs now costs: the book's quote for ``types`` (none read from AWS: nothing
        billed runs), or unknown while the types are not known."""
        region, component = self.env.region, self.env.component
        if not types and self._types is None:
            why = "the instance type is not known yet"
            if self._types_error:
                why = f"the instance type could not be read: {self._types_error}"
            return Quote(None, "unknown", None, why, region, component)
        return self.prices.total(region, component, types)

    def since_start(self, price: Quote, now: datetime) -> tuple[Optional[float], str]:
        """(cost since this server started, basis): from the history's running spans, each at
        the price in force then; with history off, this uptime at the current price."""
        if self.history is not None:
            return session_cost(self.history.session_hours()), "history"
        hours = max(0.0, (now - self.started_at).total_seconds() / 3600)
        return price.for_hours(hours), "uptime"

    def timeout_for(self, settings: IdleSettings) -> int:
        if not self.by_price:
            return settings.timeout_s
        price = self.current_price(self._types or [])
        return effective_timeout(settings.timeout_s, price.per_hour, self.by_price)

    def _context(self, idle: bool = False) -> IdleContext:
        """What the environment may need to know of this server, read here on the event
        loop (the kernel manager is not thread-safe) and handed to its worker thread."""
        kernels = tuple(self.monitor.kernel_ids())
        return IdleContext(idle_kernel_ids=kernels if idle else (), kernel_ids=kernels)

    async def _act(self) -> str:
        return await self.run_blocking(
            self.env.shutdown, self._context(idle=True), action="stop for idleness"
        )

    #: seconds between two rounds of the environment's housekeeping (e.g. retiring apps)
    HOUSEKEEPING_S = 60.0

    def _schedule_housekeeping(self) -> None:
        loop = asyncio.get_running_loop()
        self._housekeeping = loop.call_later(
            self.HOUSEKEEPING_S, lambda: asyncio.ensure_future(self._run_housekeeping())
        )

    async def _run_housekeeping(self) -> None:
        try:
            if self.history and self.usage_sampler is None:
                # no sampler thread to write the spans: write them from a worker
                await self.run_blocking(self.history.tick, action="write the usage history")
            if self.env.needs_housekeeping():
                await self.run_blocking(
                    self.env.housekeeping, self._context(), action="clean up replaced apps"
                )
        except SmCostError as e:  # AWS refused: try again next round
            self.log.warning("smcost: %s", e.message)
        except Exception as e:  # a bug: logged with its traceback, tried again next round
            log_bug(self.log, "housekeeping", e)
        finally:
            if self._started and self._housekeeping is not None:
                self._schedule_housekeeping()

    def _check_configured(self, what: str) -> None:
        if self.config_errors:
            raise unavailable(
                f"{what} is off until the administrator fixes the smcost configuration: "
                + "; ".join(self.config_errors),
                "misconfigured",
            )

    # -- routes
    async def status(self) -> dict[str, Any]:
        types = await self.instance_types()
        idle = await self.idle.status()
        price = self.current_price(types)
        now = self._clock()
        since_start, basis = self.since_start(price, now)
        primary = types[0] if types else None
        specs = self.prices.specs(primary) if primary else None
        return {
            "environment": self._env_json(),
            "instance": {
                "type": primary,
                "types": types,
                "vcpu": specs.vcpu if specs else None,
                "memory_gib": specs.memory_gib if specs else None,
                "gpu_count": specs.gpu_count if specs else None,
                "gpu_model": specs.gpu_model if specs else None,
                "gpu_memory_gib": specs.gpu_memory_gib if specs else None,
            },
            "price": price.to_json(),
            "cost": {
                "started_at": self.started_at.isoformat(),
                "since_start": since_start,
                "projected_per_day": price.for_hours(HOURS_PER_DAY, 2),
                "projected_per_month": price.for_hours(HOURS_PER_MONTH, 2),
                "currency": price.currency,
                "basis": basis,
            },
            "idle": self._idle_json(idle),
            "server_time": now.isoformat(),
            "config_errors": list(self.config_errors),
        }

    def _env_json(self) -> dict[str, Any]:
        # info() is static for an environment: build its JSON once
        if self._env_info is None:
            self._env_info = self.env.info().to_json()
        return dict(self._env_info)

    def _idle_json(self, st: IdleStatus) -> dict[str, Any]:
        out = st.to_json()
        out["user_timeout_s"] = self.store.settings.timeout_s
        out["dry_run"] = self.idle.dry_run
        return out

    def get_idle(self) -> dict[str, Any]:
        return self._settings_json()

    def _settings_json(self) -> dict[str, Any]:
        b = self.store.bounds
        return {
            **self.store.settings.to_json(),
            "bounds": {"min_timeout_s": b.min_timeout_s, "max_timeout_s": b.max_timeout_s or None},
        }

    async def put_idle(self, update: IdleSettingsUpdate) -> dict[str, Any]:
        await self.run_blocking(self.store.update, update, action="save settings")
        self.idle.poke()
        idle = await self.idle.status()
        return {**self._settings_json(), "deadline": idle.to_json()["deadline"]}

    async def keepalive(self) -> dict[str, Any]:
        self.monitor.keepalive()
        self.idle.poke()
        idle = await self.idle.status()
        return {"deadline": idle.to_json()["deadline"], "idle": self._idle_json(idle)}

    async def shutdown_saves(self, saves: ShutdownSaves) -> dict[str, Any]:
        until = self.monitor.expect_shutdown_saves(list(saves.paths))
        return {"paths": len(saves.paths), "until": until.isoformat()}

    async def shutdown(self) -> dict[str, Any]:
        self._check_configured("shutting down")
        info = self.env.info()
        if not info.can_shutdown:
            raise SmCostError(
                "shutdown_unavailable", "this environment cannot be shut down from here", 409
            )
        if self.idle.state.shutting_down:
            raise SmCostError("already_shutting_down", "a shutdown is already in progress", 409)
        asyncio.ensure_future(self.idle.shutdown_now("requested by the user"))
        return {"state": "shutting_down", "environment": info.kind}

    async def price_table(self, refresh: bool = False) -> dict[str, Any]:
        if refresh:
            if not self.prices.live:
                raise bad_input("live prices are off (SmCostApp.live_prices)", "live_prices_off")
            await self.refresh_prices(force=True)
        region, component = self.env.region, self.env.component
        types = await self.instance_types()
        names = {t for t, _, _ in self.prices.table(region, component)} | set(types)
        if self.allowed:
            names = {t for t in names if t in self.allowed} | set(types)
        rows = self.prices.table(region, component, names)
        return {
            "region": region,
            "component": component,
            "as_of": self.prices.as_of(region, component),
            "live_error": self.price_error,
            "items": [{**price_row(t, p, s), "current": t in types} for t, p, s in rows],
        }

    # -- switch
    #: a switch handed to the switcher counts as running (409) for this long
    SWITCH_EXTERNAL_S = 20 * 60

    def _switch_running(self) -> bool:
        sw = self.switch
        if sw is None:
            return False
        if sw.state in ("pending", "running"):
            return True
        loop = asyncio.get_running_loop()
        return sw.state == "waiting_external" and (
            loop.time() - self._switch_started < self.SWITCH_EXTERNAL_S
        )

    async def start_switch(self, request: SwitchRequest) -> dict[str, Any]:
        """Validate the target (400) and the state (409) before anything changes; then run
        the switch in a worker thread, the idle loop held busy meanwhile."""
        self._check_configured("switching")
        target = request.instance_type
        info = self.env.info()
        if not info.can_switch:
            raise conflict(
                info.switch_unavailable_reason or "switching is not available here",
                "switch_unavailable",
            )
        if self._switch_running():
            assert self.switch is not None
            raise conflict(
                f"a switch to {self.switch.target} is already in progress", "switch_in_progress"
            )
        valid = await self.run_blocking(
            self.env.valid_instance_types, action="list valid instance types"
        )
        if target not in valid:
            raise bad_input(
                f"{excerpt_name(target)} is not an instance type this environment "
                f"({info.kind}) accepts",
                "invalid_instance_type",
            )
        if self.allowed and target not in self.allowed:
            raise bad_input(
                f"{target} is not allowed here; allowed: " + ", ".join(self.allowed),
                "instance_type_not_allowed",
            )
        if self.idle.state.shutting_down:
            raise conflict("a shutdown is in progress", "shutting_down")
        types = await self.refresh_instance_types()
        if info.kind != "studio-classic" and types == [target]:
            raise bad_input(f"already running on {target}", "same_instance_type")
        progress = SwitchProgress(id=uuid.uuid4().hex, target=target)
        self.switch = progress
        self._switch_started = asyncio.get_running_loop().time()
        self.idle.set_busy("switch", Busy("switch", progress.id, f"switching to {target}"))
        asyncio.ensure_future(self._run_switch(progress, self._context()))
        return self.switch_json(progress)

    async def _run_switch(self, progress: SwitchProgress, context: IdleContext) -> None:
        progress.state = "running"
        try:
            await self.run_blocking(
                self.env.start_switch,
                progress.target,
                progress,
                context,
                action=f"switch to {progress.target}",
            )
            if progress.state in ("pending", "running"):
                progress.state = "succeeded"
        except SmCostError as e:
            progress.state = "failed"
            progress.error = e.message
            self.log.error("smcost: switch to %s failed: %s", progress.target, e.message)
        except Exception as e:
            progress.state = "failed"
            progress.error = log_bug(self.log, f"the switch to {progress.target}", e)
        finally:
            self.idle.set_busy("switch", None)
        if progress.state == "succeeded":
            await self.refresh_instance_types()

    def switch_json(self, progress: SwitchProgress) -> dict[str, Any]:
        return {
            "id": progress.id,
            "state": progress.state,
            "target": progress.target,
            "steps": [dict(s) for s in list(progress.steps)],
            "error": progress.error,
            "manual_step": progress.manual_step,
        }

    def get_switch(self) -> dict[str, Any]:
        if self.switch is None:
            raise SmCostError("no_switch", "no switch has been started", 404)
        return self.switch_json(self.switch)

    async def recommendations(self) -> dict[str, Any]:
        """Measured use over the window and the instance types it suggests (pure rules)."""
        types = await self.instance_types()
        sampler = self.usage_sampler
        primary = types[0] if len(types) == 1 else None
        summary, kept = await self._usage_summary(primary)
        price = self.current_price(types)
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
        }
        if sampler is None:
            out["reason"] = "usage sampling is off (SmCostApp.usage_sample_interval is 0)"
        elif not self.env.usage_measures_instance:
            out["reason"] = (
                "the kernels run on other instances than this server: their use "
                "cannot be measured from here"
            )
        elif len(types) > 1:
            out["reason"] = f"{len(types)} apps are billed ({', '.join(types)}): no single type"
        else:
            region, component = self.env.region, self.env.component
            valid = await self.run_blocking(
                self.env.valid_instance_types, action="list valid instance types"
            )
            names = set(valid) or {t for t, _, _ in self.prices.table(region, component)}
            if self.allowed:
                names &= set(self.allowed)
            result = recommend(
                summary,
                primary,
                price,
                self.prices.specs(primary) if primary else None,
                self.prices.table(region, component, names),
                interval_s=sampler.interval_s,
                min_samples=self.recommend_min_samples,
            )
            out.update(result)
        return out

    async def _usage_summary(
        self, instance_type: Optional[str]
    ) -> tuple[UsageSummary, Optional[dict[str, Any]]]:
        """The window: this run's samples, and while this run is younger than the window,
        kept minutes of the same instance type from before it (newest first, gaps
        skipped). ``kept`` says how many samples came from the kept history and since
        when (None when history is off)."""
        sampler = self.usage_sampler
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
            action="read the usage history",
        )
        summary = window_summary(window.window_s, raw, kept, sampler.interval_s)
        return summary, {
            "samples": sum(a.n for _, a in kept),
            "since": iso(min(t for t, _ in kept)) if kept else None,
            "instance_type": instance_type,
        }

    # -- history
    def _note_running(self) -> None:
        """Tell the history what is billed now and at what price (no I/O: the next write
        of the sampler thread opens and closes the spans)."""
        if self.history is None or self._types is None:
            return
        region, component = self.env.region, self.env.component
        running = []
        for i, t in enumerate(self._types):
            p = self.prices.price(region, component, t)
            slot = self._types[:i].count(t)  # two apps of one type: two spans
            running.append(Running.of(p, slot))
        single = len(self._types) == 1 and self.env.usage_measures_instance
        self.history.set_running(running, self._types[0] if single else None)

    async def get_history(self, query: HistoryQuery) -> dict[str, Any]:
        """Usage at ``step`` from ``since`` (default: the recommendation window) to now,
        spend per day from ``since``'s day, and this month to date."""
        types = await self.instance_types()
        sampler = self.usage_sampler
        window_s = sampler.window.window_s if sampler else None
        until = utcnow().timestamp()
        since = query.since.timestamp() if query.since is not None else None
        start, step = history_span(since, until, query.step, window_s)
        single = types[0] if len(types) == 1 else None
        out = history_head(start, until, step, window_s, single, self.history is not None)
        if self.history is None:
            out["reason"] = "usage history is off (SmCostApp.history_file is empty)"
            return out
        history = self.history

        def read() -> dict[str, Any]:
            if self.cost_explorer and self._billed is None:
                self._billed = _load_billed(history)
            return read_history(history, start, until, step)

        out.update(await self.run_blocking(read, action="read the usage history"))
        out["billed"] = self._billed_json()
        return out

    # -- billed spend (Cost Explorer)
    #: Cost Explorer refreshes its data at least daily, and each request costs $0.01
    BILLED_TTL_S = 12 * 3600
    BILLED_RETRY_S = 3600
    #: billed days asked for (the spend chart's 30 days, and the month to date)
    BILLED_DAYS = 30

    def _billed_json(self) -> Optional[dict[str, Any]]:
        """What Cost Explorer billed (cached; refreshed in the background when stale)."""
        if not self.cost_explorer:
            return None
        billed = self._billed
        age = None
        if billed and billed.get("fetched_at"):
            age = utcnow().timestamp() - datetime.fromisoformat(billed["fetched_at"]).timestamp()
        ttl = self.BILLED_TTL_S if billed and billed["state"] == "ok" else self.BILLED_RETRY_S
        running = self._billed_task is not None and not self._billed_task.done()
        if (age is None or age >= ttl) and not running:
            self._billed_task = asyncio.ensure_future(self._refresh_billed())
        if billed is None:
            return {**_billed_empty("pending"), "message": "asking Cost Explorer"}
        return billed

    async def _refresh_billed(self) -> None:
        today = utcnow().date()
        start = min(today.replace(day=1), today - timedelta(days=self.BILLED_DAYS))
        try:
            got = await self.run_blocking(
                self.env.billed_spend, start, today, action="read billed spend"
            )
        except SmCostError as e:
            state = "unavailable" if e.code == "billed_unavailable" else "error"
            if state == "error":
                self.log.warning("smcost: %s", e.message)
            self._billed = {**_billed_empty(state), "message": e.message}
        except Exception as e:  # a bug: retried like an AWS failure (BILLED_RETRY_S)
            message = log_bug(self.log, "reading billed spend", e)
            self._billed = {**_billed_empty("error"), "message": message}
        else:
            month = today.replace(day=1)
            self._billed = {
                **_billed_empty("ok"),
                "tag": {"key": got.tag_key, "value": got.tag_value},
                "days": [
                    {"date": d.day.isoformat(), "amount": round(d.usd, 4), "estimated": d.estimated}
                    for d in got.days
                ],
                "month_to_date": round(sum(d.usd for d in got.days if d.day >= month), 4),
                "through": (today - timedelta(days=1)).isoformat(),
            }
        self._billed["fetched_at"] = utcnow().isoformat()
        if self.history is not None and self._billed["state"] == "ok":
            history, text = self.history, json.dumps(self._billed)
            await self.run_blocking(
                lambda: history.store.set_meta("billed", text), action="keep billed spend"
            )

    # -- metrics
    def metrics_snapshot(self) -> dict[str, Optional[float]]:
        """Sync and cheap: read at every /metrics scrape from the last evaluation."""
        price = self.current_price(self._types or [])
        now = self._clock()
        st = self.idle.last_status
        usd = price.currency == USD  # the gauges are in USD
        since_start = self.since_start(price, now)[0]
        return {
            "usd_per_hour": price.per_hour if usd else None,
            "idle_s": None if st is None else (now - st.last_activity).total_seconds(),
            "remaining_s": (
                None if st is None or st.deadline is None else (st.deadline - now).total_seconds()
            ),
            "since_start_usd": since_start if usd else None,
            "background_scans": self.background.scans if self.background else None,
            "background_quiet_samples": self.background.skipped if self.background else None,
            "background_scan_seconds": self.background.scan_seconds if self.background else None,
        }


def _billed_empty(state: str) -> dict[str, Any]:
    return {
        "state": state,
        "message": None,
        "note": "billed by AWS (Cost Explorer): up to a day late; today is not included",
        "tag": None,
        "days": [],
        "currency": USD,  # Cost Explorer's unit (aws.costs refuses any other)
        "month_to_date": None,
        "through": None,
        "fetched_at": None,
    }


def _load_billed(history: HistoryRecorder) -> Optional[dict[str, Any]]:
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
