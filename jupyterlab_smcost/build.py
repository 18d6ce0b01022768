"""Builds the service from ``SmCostApp``'s traits: the environment adapter, the price book,
the users' settings, the activity monitor, the usage sampler, the background work detector
and the history. The traits live on the app; this reads them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .activity import ActivityMonitor, utcnow
from .aws.training import TrainingJobs
from .background import BackgroundDetector, Rules
from .environments import EnvConfig, build_environment, detect_environment
from .history import HistoryRecorder, HistoryStore
from .jobs import JobConfig, JobService
from .jobs.records import JobRecords
from .pricing import LivePriceCache, PriceBook, load_bundled
from .service import SmCostService
from .settings import Bounds, IdleSettings, SettingsStore
from .state import state_path
from .usage import SystemSource, UsageSampler, UsageWindow

if TYPE_CHECKING:
    from .app import SmCostApp


def build_service(app: SmCostApp, log: logging.Logger, config_errors: list[str]) -> SmCostService:
    """The service for ``app``'s server, as its traits say."""
    serverapp = app.serverapp
    started_at = utcnow()
    book = PriceBook(load_bundled())
    # where state lives follows the machine (what the metadata says), as for the CLI
    detected = detect_environment(app.environment, app.metadata_path, log)
    kind = detected.kind
    aws_client = app.aws_client_factory
    env = build_environment(
        EnvConfig(
            environment=app.environment,
            metadata_path=app.metadata_path,
            instance_type=app.instance_type,
            region=app.region,
            local_component=app.local_price_component,
            switcher_function=app.switcher_function,
        ),
        stop_server=app.stop_server,
        log=log,
        # local mode accepts any type we know the specs of
        valid_local_types=book.known_types(),
        detected=detected,
        environment_class=app.environment_class,
        aws_client_factory=aws_client,
        shutdown_kernel=app.shutdown_kernel_threadsafe,
    )
    live = app.live_prices if app.live_prices is not None else env.kind != "local"
    if live:
        book.live = LivePriceCache(
            state_path(app.price_cache_dir, kind, "prices"),
            app.price_cache_ttl,
            client_for=lambda api_region: aws_client("pricing", api_region),
        )
    bounds = Bounds(app.min_idle_timeout, app.max_idle_timeout)
    defaults = IdleSettings(
        enabled=app.shutdown_enabled,
        timeout_s=bounds.clamp(app.idle_timeout),
        ignore_connections=app.ignore_connections,
        count_terminals=app.count_terminals,
        warning_s=app.warning_period,
        count_background=app.count_background,
    )
    store = SettingsStore(
        state_path(app.settings_file, kind, "idle-settings.json"), defaults, bounds
    )
    base_url = serverapp.base_url.rstrip("/")
    sampler = usage_sampler(app, log)
    background = background_detector(app, env.usage_measures_instance, sampler, log)
    monitor = ActivityMonitor(
        kernel_manager=serverapp.kernel_manager,
        terminal_manager=lambda: serverapp.web_app.settings.get("terminal_manager"),
        session_manager=serverapp.session_manager,
        started_at=started_at,
        stuck_kernel_timeout_s=app.stuck_kernel_timeout,
        # JupyterLab PUTs its workspace (layout state) by itself every few seconds
        api_prefix_excluded=(f"{base_url}/smcost", f"{base_url}/lab/api/workspaces"),
        contents_prefix=f"{base_url}/api/contents/",
        background=background.state if background else None,
    )
    history = None
    path = history_path(app, kind)
    if path is not None:
        history = HistoryRecorder(HistoryStore(path, log), log=log)
        if sampler is not None:
            sampler.add_listener(history.on_sample)
    service = SmCostService(
        env,
        book,
        store,
        monitor,
        log,
        started_at=started_at,
        allowed_instance_types=app.allowed_instance_types,
        idle_timeout_by_price=app.idle_timeout_by_price,
        shutdown_enabled=app.shutdown_enabled,
        dry_run=app.dry_run,
        live_prices=live,
        usage_sampler=sampler,
        recommend_min_samples=app.recommend_min_samples,
        recommend_horizon=app.recommend_horizon,
        config_errors=tuple(config_errors),
        background=background,
        history=history,
        cost_explorer=app.cost_explorer,
        elsewhere_interval=app.elsewhere_interval,
        elsewhere_notebook_instances=app.elsewhere_notebook_instances,
    )
    service.jobs = job_service(app, service, env, book, kind, log)
    service.elsewhere.started = service.jobs  # its running jobs, even untagged (issue 18)
    watch_requests(app, monitor, log)
    log.info(
        "smcost: environment %s, region %s, component %s, idle timeout %d s%s",
        env.kind,
        env.region,
        env.component,
        store.settings.timeout_s,
        " (dry run)" if app.dry_run else "",
    )
    return service


def job_service(
    app: SmCostApp,
    service: SmCostService,
    env: Any,
    book: PriceBook,
    kind: str,
    log: logging.Logger,
) -> JobService:
    """The training jobs' service (issue 17): the server root, the admin's job traits."""
    from .aws.clients import regional

    config = JobConfig(
        instance_types=tuple(t.strip() for t in app.job_instance_types if t.strip()),
        image=app.job_image.strip(),
        role_arn=app.job_role_arn.strip(),
        s3_uri=app.job_s3_uri,
        offload_after=app.offload_after,
    )
    return JobService(
        env,
        book,
        TrainingJobs(regional(app.aws_client_factory, env.region), env.region),
        JobRecords(state_path(app.job_records_file, kind, "jobs.json"), log),
        Path(app.serverapp.root_dir),
        config,
        service.run_blocking,
        log,
    )


def usage_sampler(app: SmCostApp, log: logging.Logger) -> Optional[UsageSampler]:
    """The CPU/memory/GPU sampler (None: sampling off)."""
    if app.usage_sample_interval <= 0:
        return None
    return UsageSampler(
        app.usage_source_class(),
        UsageWindow(app.usage_window),
        app.usage_sample_interval,
        log=log,
    )


def background_detector(
    app: SmCostApp,
    measures_instance: bool,
    sampler: Optional[UsageSampler],
    log: logging.Logger,
) -> Optional[BackgroundDetector]:
    """The process/GPU scan, on the usage sampler's thread (one scan per sample)."""
    if app.background_cpu_threshold <= 0 and app.background_gpu_threshold <= 0:
        return None
    if not measures_instance:
        return None  # the kernels run on other instances: this machine is not theirs
    if sampler is None:
        log.warning(
            "smcost: background work is not detected: it is measured on each usage "
            "sample, and SmCostApp.usage_sample_interval is 0"
        )
        return None
    rules = Rules(
        cpu_threshold=app.background_cpu_threshold,
        gpu_threshold=app.background_gpu_threshold,
        window_s=app.background_window,
        ignore=frozenset(n.strip() for n in app.background_ignore if n.strip()),
    )
    source = sampler.source
    gpus = source.gpus if isinstance(source, SystemSource) else None
    detector = BackgroundDetector(
        rules, gpu_users=gpus.processes if gpus else lambda index: [], log=log
    )
    sampler.add_listener(detector.on_reading)
    return detector


def history_path(app: SmCostApp, kind: str) -> Optional[Path]:
    """Where the history lives (None: history off, the trait set to "")."""
    if app.history_file is not None and not app.history_file.strip():
        return None
    return state_path(app.history_file, kind, "history.sqlite")


def watch_requests(app: SmCostApp, monitor: ActivityMonitor, log: logging.Logger) -> None:
    """Count successful PUT/POST/PATCH/DELETE requests as activity (never GET polling)."""
    # ExtensionApp copies app.settings into the web app's settings after initialize_settings
    original = app.settings.get("log_function") or app.serverapp.web_app.settings.get(
        "log_function"
    )

    def log_function(handler: Any) -> None:
        try:
            request = handler.request
            if monitor.observe_request(request.method, request.path, handler.get_status()):
                log.debug("smcost: activity: %s %s", request.method, request.path)
        finally:
            if original:
                original(handler)

    app.settings["log_function"] = log_function
