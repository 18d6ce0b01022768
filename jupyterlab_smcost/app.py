"""SmCostApp: the server extension. Admin policy lives in these traits."""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import re
from pathlib import Path
from typing import Any, Optional

from jupyter_server.extension.application import ExtensionApp
from traitlets import (
    Bool,
    Callable,
    Dict,
    Enum,
    Float,
    Int,
    List,
    TraitError,
    Type,
    Unicode,
    validate,
)
from traitlets.config import Config

from . import metrics
from .activity import ActivityMonitor, utcnow
from .aws.clients import make_client
from .background import BackgroundDetector, Rules
from .environments import (
    KINDS,
    METADATA_PATH,
    EnvConfig,
    Environment,
    build_environment,
    detect_environment,
)
from .handlers import handlers
from .history import HistoryRecorder, HistoryStore
from .pricing import PRICING_API_REGION, LivePriceCache, PriceBook, load_bundled
from .service import SmCostService
from .settings import MAX_TIMEOUT_S, Bounds, IdleSettings, SettingsStore
from .state import state_path
from .usage import Source, SystemSource, UsageSampler, UsageWindow

#: how long a configuration error message may get (it quotes the admin's value)
_CONFIG_MESSAGE_CHARS = 240
_TRAIT_ERROR = re.compile(
    r"^The '(?P<name>\w+)' trait of (?:an? \w+|<[^>]*>) instance (?P<rest>.*)$", re.S
)


def _config_message(name: str, error: Exception) -> str:
    """``SmCostApp.<name>: <what is wrong>``, short, from a traitlets or validator error."""
    text = str(error).strip()
    m = _TRAIT_ERROR.match(text)
    if m:
        text = m.group("rest")
    elif text.startswith(f"{name} "):
        text = text[len(name) + 1 :]
    text = " ".join(text.split()).rstrip(".")
    if len(text) > _CONFIG_MESSAGE_CHARS:
        text = text[: _CONFIG_MESSAGE_CHARS - 1] + "…"
    return f"SmCostApp.{name}: {text}"


class SmCostApp(ExtensionApp):
    name = "jupyterlab_smcost"
    # config files named jupyter_smcost_config.py/json are read too
    extension_url = "/smcost/status"
    load_other_extensions = True

    environment = Enum(
        list(KINDS),
        "auto",
        config=True,
        help="Where this server runs: 'auto' detects it from metadata_path; or one of "
        "'local', 'notebook-instance', 'studio-classic', 'studio-space'.",
    )
    metadata_path = Unicode(
        METADATA_PATH,
        config=True,
        help="SageMaker resource metadata file used to detect the environment.",
    )
    instance_type = Unicode(
        "ml.t3.medium",
        config=True,
        help="Local mode only: the SageMaker instance type this server is priced as.",
    )
    region = Unicode(
        "us-east-1", config=True, help="Local mode only: the AWS region used for prices."
    )
    local_price_component = Unicode(
        "Studio-JupyterLab",
        config=True,
        help="Local mode only: the Price List component used for prices "
        "(e.g. Studio-JupyterLab, Notebook).",
    )
    idle_timeout = Int(
        3600,
        config=True,
        help="Default idle timeout in seconds: with no activity and nothing busy for this "
        "long, the server (or instance, or app) is stopped. Users may change it within "
        "min_idle_timeout..max_idle_timeout.",
    )
    min_idle_timeout = Int(60, config=True, help="Smallest idle timeout (seconds) a user may set.")
    max_idle_timeout = Int(
        0,
        config=True,
        help="Largest idle timeout (seconds) a user may set; 0 means no bound. When set, "
        "users cannot turn idle shutdown off.",
    )
    warning_period = Int(
        300,
        config=True,
        help="Seconds before the deadline at which the frontend warns and saves documents.",
    )
    ignore_connections = Bool(
        True,
        config=True,
        help="Default for users: if False, an open browser connection to a kernel counts as "
        "activity (keeps the server alive).",
    )
    count_terminals = Bool(
        True,
        config=True,
        help="Default for users: if True, a terminal running a foreground job (e.g. "
        "'python train.py') blocks shutdown.",
    )
    count_background = Bool(
        True,
        config=True,
        help="Default for users: if True, sustained background work blocks shutdown: a "
        "process group (a job such as 'nohup python train.py &', a kernel's own threads) "
        "using background_cpu_threshold CPUs over background_window, or a GPU busier than "
        "background_gpu_threshold.",
    )
    background_cpu_threshold = Float(
        0.5,
        config=True,
        help="CPUs (1.0 = one CPU fully) a process group must use on average over "
        "background_window, and still use, to count as background work; 0 turns the CPU "
        "rule off. The Jupyter server's own process and background_ignore never count.",
    )
    background_gpu_threshold = Float(
        0.5,
        config=True,
        help="GPU utilisation (0-1, from NVML) a GPU must show on average over "
        "background_window, and still show, to count as background work; 0 turns the GPU "
        "rule off.",
    )
    background_window = Int(
        120,
        config=True,
        help="Seconds background work must last to count (short spikes such as a pip install "
        "or a 'git status' do not); its end counts as activity. Work that starts shortly "
        "before the deadline holds the shutdown until it ends or lasts this long.",
    )
    background_ignore = List(
        Unicode(),
        ["amazon-ssm-agent", "ssm-agent-worker", "amazon-cloudwatch-agent"],
        config=True,
        help="Process names never counted as background work (system daemons): a process is "
        "ignored when its name, its program's file name or its first argument's (a script's) "
        "is listed.",
    )
    stuck_kernel_timeout = Int(
        300,
        config=True,
        help="A kernel still 'starting' after this many seconds is treated as stuck, not busy.",
    )
    idle_timeout_by_price = Dict(
        {},
        config=True,
        help="Shorter timeouts on expensive instances: {usd_per_hour_threshold: seconds}, "
        "e.g. {'2.0': 900} stops instances over $2/h after 15 idle minutes.",
    )
    shutdown_enabled = Bool(
        True,
        config=True,
        help="If False, idle shutdown never acts (status and cost still shown).",
    )
    dry_run = Bool(False, config=True, help="Log what would be shut down and do nothing.")
    live_prices = Bool(
        None,
        allow_none=True,
        config=True,
        help="Fetch prices from the AWS Price List API (cached). Default: on in SageMaker "
        "environments, off in local mode.",
    )
    price_cache_ttl = Int(
        7 * 24 * 3600, config=True, help="Seconds a fetched live price table stays fresh."
    )
    allowed_instance_types = List(
        Unicode(),
        [],
        config=True,
        help="If not empty, the only instance types users may switch to (and that are listed).",
    )
    switcher_function = Unicode(
        "",
        config=True,
        help="Name or ARN of the deployed switcher Lambda that finishes instance switches "
        "outside the instance being replaced.",
    )
    settings_file = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Where users' idle settings are saved (JSON, atomic writes). Default: "
        "<jupyter data dir>/smcost/idle-settings.json, except on notebook instances: "
        "/home/ec2-user/SageMaker/.smcost/idle-settings.json (only that volume survives a "
        "stop).",
    )
    price_cache_dir = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Where live price tables are cached. Default: <jupyter data dir>/smcost/prices, "
        "except on notebook instances: /home/ec2-user/SageMaker/.smcost/prices.",
    )
    usage_sample_interval = Float(
        10.0,
        config=True,
        help="Seconds between CPU/memory/GPU samples used for right-sizing recommendations "
        "(one cheap read on a background thread); 0 turns sampling and recommendations off.",
    )
    usage_window = Int(
        3600,
        config=True,
        help="Seconds of usage history (a rolling window) that recommendations are based on.",
    )
    recommend_min_samples = Int(
        30,
        config=True,
        help="Fewest usage samples in the window before any instance type is recommended "
        "(30 samples at 10 s is 5 minutes).",
    )

    history_file = Unicode(
        None,
        allow_none=True,
        config=True,
        help="SQLite file that keeps usage (per minute for 48 h, per hour for 60 days) and "
        "running time with its price across restarts. Default: "
        "<jupyter data dir>/smcost/history.sqlite, except on notebook instances: "
        "/home/ec2-user/SageMaker/.smcost/history.sqlite (only that volume survives a stop). "
        "An empty string turns history off.",
    )
    cost_explorer = Bool(
        False,
        config=True,
        help="Show what AWS billed for this space or user (Cost Explorer, filtered on the "
        "sagemaker:space-arn / sagemaker:user-profile-arn cost allocation tags). Needs "
        "ce:GetCostAndUsage; each request costs $0.01 (at most one per 12 hours per server).",
    )

    # -- the swappable parts (as jupyter-scheduler's scheduler_class): tests set fakes here
    environment_class = Type(
        None,
        klass=Environment,
        allow_none=True,
        config=True,
        help="The environment adapter class (a subclass of "
        "jupyterlab_smcost.environments.Environment, built with its from_setup(setup) "
        "classmethod from what was detected). Default: the adapter of the detected "
        "environment (see 'environment').",
    )
    usage_source_class = Type(
        SystemSource,
        klass=Source,
        config=True,
        help="The class that measures CPU, memory and GPU use for recommendations and "
        "background work: built with no arguments, its read() returns a "
        "jupyterlab_smcost.usage.Reading (or None), close() releases it.",
    )
    aws_client_factory = Callable(
        make_client,
        config=True,
        help="Makes every boto3 client the server uses (the environment's SageMaker, Lambda "
        "and Cost Explorer clients, the Price List client): factory(service_name, "
        "region_name) -> client. Default: jupyterlab_smcost.aws.clients.make_client "
        "(boto3's standard resolution, bounded timeouts and retries). Python config only.",
    )

    # Validators raise TraitError: traitlets then rolls the trait back to its previous value
    # (see _load_config for what becomes of the error).
    @validate("idle_timeout_by_price")
    def _check_by_price(self, proposal: Any) -> dict:
        out: dict[float, int] = {}
        for k, v in proposal["value"].items():
            try:
                threshold, seconds = float(k), int(v)
            except (TypeError, ValueError) as e:
                raise TraitError(
                    f"must map $/h thresholds to seconds, e.g. {{'2.0': 900}}: {e}"
                ) from e
            if not (math.isfinite(threshold) and threshold >= 0):
                raise TraitError(f"threshold {k!r} is not a price in $/h")
            fractional = isinstance(v, float) and not v.is_integer()
            if isinstance(v, bool) or fractional or not 1 <= seconds <= MAX_TIMEOUT_S:
                raise TraitError(
                    f"timeout {v!r} for ${threshold}/h is not a whole number of seconds "
                    f"from 1 to {MAX_TIMEOUT_S}"
                )
            out[threshold] = seconds
        return out

    @validate(
        "idle_timeout",
        "min_idle_timeout",
        "max_idle_timeout",
        "warning_period",
        "stuck_kernel_timeout",
    )
    def _check_seconds(self, proposal: Any) -> int:
        value = proposal["value"]
        if not 0 <= value <= MAX_TIMEOUT_S:
            raise TraitError(f"must be from 0 to {MAX_TIMEOUT_S} seconds (a year), not {value}")
        return value

    @validate(
        "usage_sample_interval",
        "usage_window",
        "recommend_min_samples",
        "price_cache_ttl",
        "background_cpu_threshold",
        "background_gpu_threshold",
        "background_window",
    )
    def _check_usage(self, proposal: Any) -> Any:
        name, value = proposal["trait"].name, proposal["value"]
        if not math.isfinite(value):
            raise TraitError(f"must be a finite number, not {value}")
        if name in ("usage_window", "background_window") and not 0 < value <= MAX_TIMEOUT_S:
            raise TraitError(f"must be from 1 to {MAX_TIMEOUT_S} seconds, not {value}")
        if name == "background_gpu_threshold" and not 0 <= value <= 1:
            raise TraitError(f"must be a utilisation from 0 to 1 (0 turns it off), not {value}")
        if value < 0:
            raise TraitError(f"must not be negative, not {value}")
        return value

    # -- configuration mistakes: collected, never fatal, never silently dropped
    @property
    def config_errors(self) -> dict[str, str]:
        """Trait name -> what is wrong with the value the configuration gave it."""
        return self.__dict__.setdefault("_smcost_config_errors", {})

    def _load_config(
        self,
        cfg: Config,
        section_names: Optional[list[str]] = None,
        traits: Optional[dict[str, Any]] = None,
    ) -> None:
        """Load config trait by trait: a bad value (wrong type, failed validation, a flag
        given twice) leaves that trait at its previous value and is recorded in
        ``config_errors`` instead of failing the whole extension (jupyter_server would
        then run it with every trait at its default, the admin's policy dropped)."""
        if traits is None:
            traits = self.traits(config=True)
        own = type(self).__name__
        named = cfg[own] if cfg._has_section(own) else Config()
        for name, value in self._find_my_config(cfg).items():
            if name not in traits:
                if name in named and not isinstance(value, Config):
                    self.config_errors[name] = (
                        f"SmCostApp.{name}: not an option of this extension"
                        + _did_you_mean(name, self.class_own_traits(config=True))
                    )
                continue
            try:
                super()._load_config(Config({own: {name: value}}), section_names, traits)
            except (TraitError, ValueError, TypeError) as e:
                self.config_errors[name] = _config_message(name, e)
            else:
                self.config_errors.pop(name, None)

    def _check_config(self) -> list[str]:
        """Every configuration error, per trait and across traits."""
        errors = dict(self.config_errors)
        if self.max_idle_timeout and self.min_idle_timeout > self.max_idle_timeout:
            errors["max_idle_timeout"] = (
                f"SmCostApp.max_idle_timeout: {self.max_idle_timeout} is below "
                f"SmCostApp.min_idle_timeout ({self.min_idle_timeout})"
            )
        return [errors[k] for k in sorted(errors)]

    def initialize_settings(self) -> None:
        log = self.log if isinstance(self.log, logging.Logger) else logging.getLogger(__name__)
        errors = self._check_config()
        try:
            self.service = self._build_service(log, errors)
        except Exception as e:  # the routes must answer whatever the configuration says
            log.exception("smcost: cannot start with this configuration")
            errors.append(f"SmCostApp: cannot start with this configuration: {e}"[:300])
            for name in self.class_own_traits(config=True):
                self.set_trait(name, self.trait_defaults(name))
            self.service = self._build_service(log, errors)
        for message in errors:
            log.error(
                "smcost: configuration error: %s (idle shutdown and switching are off until "
                "it is fixed)",
                message,
            )
        self.settings.update({"smcost_service": self.service})
        metrics.install(self.service.metrics_snapshot)

    def _build_service(self, log: logging.Logger, config_errors: list[str]) -> SmCostService:
        serverapp = self.serverapp
        started_at = utcnow()
        book = PriceBook(load_bundled())
        # where state lives follows the machine (what the metadata says), as for the CLI
        detected = detect_environment(self.environment, self.metadata_path, log)
        kind = detected.kind
        aws_client = self.aws_client_factory
        env = build_environment(
            EnvConfig(
                environment=self.environment,
                metadata_path=self.metadata_path,
                instance_type=self.instance_type,
                region=self.region,
                local_component=self.local_price_component,
                switcher_function=self.switcher_function,
            ),
            stop_server=self._stop_server,
            log=log,
            # local mode accepts any type we know the specs of
            valid_local_types=book.known_types(),
            detected=detected,
            environment_class=self.environment_class,
            aws_client_factory=aws_client,
            shutdown_kernel=self._shutdown_kernel_threadsafe,
        )
        live = self.live_prices if self.live_prices is not None else env.kind != "local"
        if live:
            book.live = LivePriceCache(
                state_path(self.price_cache_dir, kind, "prices"),
                self.price_cache_ttl,
                client_factory=lambda: aws_client("pricing", PRICING_API_REGION),
            )
        bounds = Bounds(self.min_idle_timeout, self.max_idle_timeout)
        defaults = IdleSettings(
            enabled=self.shutdown_enabled,
            timeout_s=bounds.clamp(self.idle_timeout),
            ignore_connections=self.ignore_connections,
            count_terminals=self.count_terminals,
            warning_s=self.warning_period,
            count_background=self.count_background,
        )
        store = SettingsStore(
            state_path(self.settings_file, kind, "idle-settings.json"), defaults, bounds
        )
        base_url = serverapp.base_url.rstrip("/")
        sampler = self._usage_sampler(log)
        background = self._background_detector(env.usage_measures_instance, sampler, log)
        monitor = ActivityMonitor(
            kernel_manager=serverapp.kernel_manager,
            terminal_manager=lambda: serverapp.web_app.settings.get("terminal_manager"),
            session_manager=serverapp.session_manager,
            started_at=started_at,
            stuck_kernel_timeout_s=self.stuck_kernel_timeout,
            # JupyterLab PUTs its workspace (layout state) by itself every few seconds
            api_prefix_excluded=(f"{base_url}/smcost", f"{base_url}/lab/api/workspaces"),
            contents_prefix=f"{base_url}/api/contents/",
            background=background.state if background else None,
        )
        history = None
        history_path = self._history_path(kind)
        if history_path is not None:
            history = HistoryRecorder(HistoryStore(history_path, log), log=log)
            if sampler is not None:
                sampler.add_listener(history.on_sample)
        service = SmCostService(
            env,
            book,
            store,
            monitor,
            log,
            started_at=started_at,
            allowed_instance_types=self.allowed_instance_types,
            idle_timeout_by_price=self.idle_timeout_by_price,
            shutdown_enabled=self.shutdown_enabled,
            dry_run=self.dry_run,
            live_prices=live,
            usage_sampler=sampler,
            recommend_min_samples=self.recommend_min_samples,
            config_errors=tuple(config_errors),
            background=background,
            history=history,
            cost_explorer=self.cost_explorer,
        )
        self._watch_requests(monitor, log)
        log.info(
            "smcost: environment %s, region %s, component %s, idle timeout %d s%s",
            env.kind,
            env.region,
            env.component,
            store.settings.timeout_s,
            " (dry run)" if self.dry_run else "",
        )
        return service

    def _usage_sampler(self, log: logging.Logger) -> Optional[UsageSampler]:
        if self.usage_sample_interval <= 0:
            return None
        return UsageSampler(
            self.usage_source_class(),
            UsageWindow(self.usage_window),
            self.usage_sample_interval,
            log=log,
        )

    def _background_detector(
        self, measures_instance: bool, sampler: Optional[UsageSampler], log: logging.Logger
    ) -> Optional[BackgroundDetector]:
        """The process/GPU scan, on the usage sampler's thread (one scan per sample)."""
        if self.background_cpu_threshold <= 0 and self.background_gpu_threshold <= 0:
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
            cpu_threshold=self.background_cpu_threshold,
            gpu_threshold=self.background_gpu_threshold,
            window_s=self.background_window,
            ignore=frozenset(n.strip() for n in self.background_ignore if n.strip()),
        )
        source = sampler.source
        gpus = source.gpus if isinstance(source, SystemSource) else None
        detector = BackgroundDetector(
            rules, gpu_users=gpus.processes if gpus else lambda index: [], log=log
        )
        sampler.add_listener(detector.on_reading)
        return detector

    def _history_path(self, kind: str) -> Optional[Path]:
        """Where the history lives (None: history off, the trait set to "")."""
        if self.history_file is not None and not self.history_file.strip():
            return None
        return state_path(self.history_file, kind, "history.sqlite")

    def _watch_requests(self, monitor: ActivityMonitor, log: logging.Logger) -> None:
        """Count successful PUT/POST/PATCH/DELETE requests as activity (never GET polling)."""
        # ExtensionApp copies self.settings into the web app's settings after this method
        original = self.settings.get("log_function") or self.serverapp.web_app.settings.get(
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

        self.settings["log_function"] = log_function

    def initialize_handlers(self) -> None:
        self.handlers.extend(handlers())

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """The start hook (the event loop runs): the service starts here, never lazily."""
        self._loop = asyncio.get_running_loop()
        self.service.start()

    def _shutdown_kernel_threadsafe(self, kernel_id: str) -> None:
        """Shut a kernel down from a worker thread (Studio Classic idle clean-up)."""
        km = self.serverapp.kernel_manager

        async def shutdown() -> None:
            result = km.shutdown_kernel(kernel_id)
            if inspect.isawaitable(result):
                await result

        loop = getattr(self, "_loop", None) or self.serverapp.io_loop.asyncio_loop
        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=120)

    def _stop_server(self) -> None:
        """Thread-safe: stop the Jupyter server from its own event loop."""
        serverapp = self.serverapp
        serverapp.io_loop.add_callback(serverapp.stop)

    async def stop_extension(self) -> None:
        if getattr(self, "service", None):
            self.service.stop()
            metrics.install(None)


def _did_you_mean(name: str, options: Any) -> str:
    from difflib import get_close_matches

    close = get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]}?)" if close else ""
