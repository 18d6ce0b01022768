"""The service behind the REST handlers: one facade, one method per route, over the pieces
that do the work: what runs (:mod:`.instances`), the idle loop (:mod:`.idle`), the switch
controller (:mod:`.switching`), billed spend (:mod:`.billed`), the live price refresh
(:mod:`.pricing.refresh`), housekeeping (:mod:`.housekeeping`) and the report builders
(:mod:`.reports`). Routes take typed values parsed at the handler edge (:mod:`.requests`).

Blocking work (AWS through the environment adapter, live price fetches) runs in thread
pools, never on the tornado event loop: the user's and the idle loop's work in one, price
loads and refreshes in their own, so a slow Price List API never holds a request up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Optional, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from .activity import ActivityMonitor, utcnow
from .aws.errors import Action, as_aws_error
from .background import BackgroundDetector
from .billed import BilledSpend
from .elsewhere import ElsewhereWatch
from .environments import Environment, IdleContext, SwitchProgress
from .errors import SmCostError, bad_input, unavailable
from .history import HistoryRecorder
from .history.events import LedgerEvents
from .history.reports import session_cost
from .housekeeping import Housekeeping
from .idle import IdleLoop, IdleStatus, effective_timeout
from .instances import InstanceTypes
from .jobs import JobService
from .messages import Message
from .pricing import PriceBook, Quote
from .pricing.refresh import PriceRefresher
from .reports import UsageReports, cost_json, instance_json, metrics_json, price_table_json
from .requests import HistoryQuery, IdleSettingsUpdate, ShutdownSaves, SwitchRequest
from .savings import LedgerHooks, Savings
from .settings import IdleSettings, SettingsStore
from .switching import SwitchController
from .usage import UsageSampler

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
        recommend_horizon: float = 0.0,
        config_errors: tuple[str, ...] = (),
        background: Optional[BackgroundDetector] = None,
        history: Optional[HistoryRecorder] = None,
        cost_explorer: bool = False,
        elsewhere_interval: float = 300.0,
        elsewhere_notebook_instances: bool = False,
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
        self._started = False
        self._env_info: Optional[dict[str, Any]] = None
        self.usage_sampler = usage_sampler
        self.background = background
        self.history = history
        #: the ledger of what idle stops and switches saved, in the history file
        self.savings = Savings(
            LedgerEvents(history.store) if history is not None else None,
            history,
            log,
            started_at=started_at.timestamp(),
        )
        self.ledger_hooks = LedgerHooks(
            self.savings,
            env,
            prices,
            self.run_blocking,
            current_price=lambda: self.current_price(self.types.known or []),
            context=lambda: self._context(idle=True),
            target=lambda: self.switching.current.target if self.switching.current else None,
            types=self.instance_types,
        )
        #: the administrator's configuration mistakes: while any, nothing is stopped or
        #: switched (the idle loop does not act; shutdown and switch answer 503)
        self.config_errors = tuple(config_errors)
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
            # the ledger counts stops that end what is billed (not Studio Classic's clean-up)
            act_idle=self.ledger_hooks.act_idle if env.shutdown_ends_server else None,
        )
        self.types = InstanceTypes(
            env,
            prices,
            log,
            self.run_blocking,
            on_change=self.idle.poke,
            on_read=self._note_running,
        )
        self.refresher = PriceRefresher(
            prices, log, self.run_blocking, self.price_executor, on_done=self._prices_changed
        )
        self.switching = SwitchController(
            env,
            self.idle,
            log,
            self.run_blocking,
            allowed=self.allowed,
            refresh_types=self.types.refresh,
            context=self._context,
            on_switched=self.ledger_hooks.switched,
            on_handed_off=self.ledger_hooks.handed_off,
        )
        self.housekeeping = Housekeeping(
            env,
            history,
            log,
            self.run_blocking,
            # no sampler thread to write the spans: write them from a worker
            write_history=usage_sampler is None,
            context=self._context,
        )
        self.billed = BilledSpend(env, history, log, self.run_blocking, enabled=cost_explorer)
        #: training jobs; set by build.py
        self.jobs: Optional[JobService] = None
        self.reports = UsageReports(
            env,
            prices,
            self.run_blocking,
            sampler=usage_sampler,
            history=history,
            billed=self.billed,
            allowed=self.allowed,
            min_samples=recommend_min_samples,
            horizon_s=recommend_horizon,
        )
        self.elsewhere = ElsewhereWatch(
            env,
            prices,
            log,
            self.run_blocking,
            interval_s=elsewhere_interval,
            notebook_instances=elsewhere_notebook_instances,
            clock=clock,
        )

    # -- plumbing
    async def run_blocking(
        self,
        fn: Callable[..., T],
        *args: Any,
        action: Action = "",
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
        self.housekeeping.start()
        if self.background:
            # work starting or ending re-evaluates at once (the detector runs on the sampler
            # thread; the loop on the event loop)
            loop = asyncio.get_running_loop()
            self.background.on_change = lambda: loop.call_soon_threadsafe(self.idle.poke)
        if self.usage_sampler:
            self.usage_sampler.start()
        self.types.start()
        # the ledger: this start ends the gap after an idle stop (off the event loop)
        self.executor.submit(self.savings.started)
        asyncio.ensure_future(self.ledger_hooks.confirm_switch())
        # warm the valid-type list (botocore's model, ~1 MB of JSON) off the event loop
        self.executor.submit(self.env.valid_instance_types)
        if self.live_prices:
            asyncio.ensure_future(self.refresh_prices(force=False))

    def stop(self) -> None:
        if self.jobs is not None:
            self.jobs.training.close()
        self.idle.stop()
        self.housekeeping.stop()
        if self.usage_sampler:
            self.usage_sampler.stop()
        if self.history:
            # the last minute's samples and the spans' ends: one small transaction, as the
            # server stops (the sampler thread that wrote until now has just ended)
            self.history.close()
        self.env.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.price_executor.shutdown(wait=False, cancel_futures=True)

    async def instance_types(self) -> list[str]:
        return await self.types.get()

    async def refresh_instance_types(self) -> list[str]:
        return await self.types.refresh()

    async def refresh_prices(self, force: bool) -> None:
        """The live price refresh for this environment's region and component."""
        await self.refresher.refresh(self.env.region, self.env.component, force)

    def _prices_changed(self) -> None:
        self.idle.poke()  # the price may change the idle timeout (idle_timeout_by_price)
        self._note_running()  # and the price in force that spend is counted at

    def _note_running(self) -> None:
        """Tell the history what is billed now and at what price (no I/O: the next write
        of the sampler thread opens and closes the spans)."""
        running = self.types.running()
        if self.history is not None and running is not None:
            self.history.set_running(*running)

    # -- idle policy
    async def _refresh_background(self) -> None:
        """A process scan now, off the event loop (the idle loop calls it at a deadline)."""
        if self.background and self.store.settings.count_background:
            await asyncio.get_running_loop().run_in_executor(None, self.background.refresh)

    def current_price(self, types: list[str]) -> Quote:
        return self.types.price(types)

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
        price = self.current_price(self.types.known or [])
        return effective_timeout(settings.timeout_s, price.per_hour, self.by_price)

    def _context(self, idle: bool = False) -> IdleContext:
        """What the environment may need to know of this server, read here on the event
        loop (the kernel manager is not thread-safe) and handed to its worker thread."""
        kernels = tuple(self.monitor.kernel_ids())
        return IdleContext(idle_kernel_ids=kernels if idle else (), kernel_ids=kernels)

    async def _act(self) -> str:
        return await self.run_blocking(
            self.env.shutdown,
            self._context(idle=True),
            action=Message.of("action.stop_idle", "stop for idleness"),
        )

    async def ledger(self) -> dict[str, Any]:
        """``GET ledger``: what idle stops and switches saved this month (estimates)."""
        return await self.ledger_hooks.report()

    def _check_configured(self, what: str) -> None:
        if self.config_errors:
            raise unavailable(
                f"{what} is off until the administrator fixes the smcost configuration: "
                + "; ".join(self.config_errors),
                "misconfigured",
                what=what.replace(" ", "_"),  # shutting_down | switching
                errors="; ".join(self.config_errors),  # the administrator's, in English
            )

    # -- routes
    async def status(self) -> dict[str, Any]:
        types = await self.instance_types()
        idle = await self.idle.status()
        price = self.current_price(types)
        now = self._clock()
        since_start, basis = self.since_start(price, now)
        return {
            "environment": self._env_json(),
            "instance": instance_json(types, self.prices),
            "price": price.to_json(),
            "cost": cost_json(self.started_at, price, since_start, basis),
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
        b = self.store.bounds
        return {
            **self.store.settings.to_json(),
            "bounds": {"min_timeout_s": b.min_timeout_s, "max_timeout_s": b.max_timeout_s or None},
        }

    async def put_idle(self, update: IdleSettingsUpdate) -> dict[str, Any]:
        await self.run_blocking(
            self.store.update, update, action=Message.of("action.save_settings", "save settings")
        )
        self.idle.poke()
        idle = await self.idle.status()
        return {**self.get_idle(), "deadline": idle.to_json()["deadline"]}

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
        types = await self.instance_types()
        region, component = self.env.region, self.env.component
        return price_table_json(
            self.prices, region, component, types, self.allowed, self.refresher.error
        )

    @property
    def switch(self) -> Optional[SwitchProgress]:
        """The last switch started (None: none since the server started)."""
        return self.switching.current

    async def start_switch(self, request: SwitchRequest) -> dict[str, Any]:
        self._check_configured("switching")
        return await self.switching.start(request)

    def get_switch(self) -> dict[str, Any]:
        return self.switching.progress()

    async def recommendations(self) -> dict[str, Any]:
        types = await self.instance_types()
        out = await self.reports.recommendations(types, self.current_price(types))
        if self.jobs is not None and len(types) == 1:
            # sustained work on an expensive instance: propose a job
            item = self.jobs.offload(
                self.background.state().busy if self.background is not None else (),
                types[0],
                self.current_price(types),
                self._clock().timestamp(),
                self.allowed,
                kernels=self.monitor.kernels_busy(),
            )
            if item is not None:
                out["items"] = [*out["items"], item]
        return out

    async def get_history(self, query: HistoryQuery) -> dict[str, Any]:
        types = await self.instance_types()
        out = await self.reports.history_report(types, query)
        spend = out.get("spend")
        if spend is not None:
            # the jobs started from here, as their own series beside the notebook's
            spend["jobs"] = (
                None
                if self.jobs is None
                else self.jobs.spend_series(
                    spend["currency"],
                    [d["date"] for d in spend["days"]],
                    spend["month_to_date"]["month"],
                )
            )
        return out

    # -- metrics
    def metrics_snapshot(self) -> dict[str, Optional[float]]:
        """Sync and cheap: read at every /metrics scrape from the last evaluation."""
        price = self.current_price(self.types.known or [])
        now = self._clock()
        since_start = self.since_start(price, now)[0]
        return metrics_json(price, since_start, self.idle.last_status, now, self.background)
