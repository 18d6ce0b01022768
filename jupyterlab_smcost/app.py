"""SmCostApp: the server extension. Admin policy lives in these traits (and only here); the
service is built from them in :mod:`.build`, and configuration mistakes are collected by
:mod:`.config_errors`."""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
from typing import Any

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

from . import metrics
from .aws.clients import make_client
from .build import build_service
from .config_errors import CollectConfigErrors
from .environments import KINDS, METADATA_PATH, Environment
from .handlers import handlers
from .settings import MAX_TIMEOUT_S
from .usage import Source, SystemSource


class SmCostApp(CollectConfigErrors, ExtensionApp):
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
        help="Shorter timeouts on expensive instances: {price_per_hour_threshold: seconds}, "
        "e.g. {'2.0': 900} stops instances over $2/h after 15 idle minutes. Thresholds are "
        "in the region's currency: USD, CNY in the AWS China regions.",
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
    recommend_horizon = Int(
        7 * 86400,
        config=True,
        help="Seconds of running time on the current instance type that recommendations "
        "read from the kept usage history (minutes for 48 h, hours for 60 days): a "
        "smaller type must fit every hour of it, and one under-provisioned hour wins over "
        "an idle average. 0: only the usage window (SmCostApp.usage_window). Needs the "
        "history (SmCostApp.history_file).",
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
    elsewhere_interval = Float(
        300.0,
        min=60.0,
        config=True,
        help="The least time in seconds between two listings of what else runs for the user "
        "(the panel's 'Still running elsewhere': their other Studio apps, tagged endpoints and "
        "jobs). Listings happen only while a panel asks, never while the page is hidden.",
    )
    elsewhere_notebook_instances = Bool(
        False,
        config=True,
        help="Also list the other InService notebook instances the role can see in 'Still "
        "running elsewhere' (off by default: roles are often shared, so they may be other "
        "people's). Needs sagemaker:ListNotebookInstances.",
    )

    # -- training jobs (issue 17)
    job_instance_types = List(
        Unicode(),
        [],
        config=True,
        help="If not empty, the only instance types users may run SageMaker training jobs on "
        "(smcost/jobs). Default: every type CreateTrainingJob accepts (botocore's model).",
    )
    job_image = Unicode(
        "",
        config=True,
        help="ECR image URI training jobs run on. Default: a Studio space's own image "
        "(SAGEMAKER_INTERNAL_IMAGE_URI), else the region's SageMaker Distribution image.",
    )
    job_role_arn = Unicode(
        "",
        config=True,
        help="Execution role training jobs run with (the server's role needs iam:PassRole on "
        "it). Default: the space's user profile's or domain's role, or the notebook "
        "instance's role. Set, it also lets jobs start in local mode.",
    )
    job_s3_uri = Unicode(
        "",
        config=True,
        help="s3://bucket/prefix where jobs' inputs, outputs and checkpoints go (under "
        "<prefix>/<job name>/). Default: the SageMaker default bucket "
        "sagemaker-<region>-<account> (created if missing, as the SDK does), prefix "
        "smcost-jobs.",
    )
    job_records_file = Unicode(
        None,
        allow_none=True,
        config=True,
        help="JSON file listing the training jobs started from this server (so they are "
        "listed, and their outputs downloaded, across restarts). Default: "
        "<jupyter data dir>/smcost/jobs.json, except on notebook instances: "
        "/home/ec2-user/SageMaker/.smcost/jobs.json.",
    )
    offload_after = Int(
        1800,
        config=True,
        help="Seconds of sustained work (background work, or a kernel busy for long) on an "
        "instance priced at 1 per hour or more (in its currency) after which the 'offload' "
        "recommendation proposes running it as a SageMaker training job; 0 turns the rule off.",
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
    # (config_errors.CollectConfigErrors records it).
    @validate("idle_timeout_by_price")
    def _check_by_price(self, proposal: Any) -> dict:
        out: dict[float, int] = {}
        for k, v in proposal["value"].items():
            try:
                threshold, seconds = float(k), int(v)
            except (TypeError, ValueError) as e:
                raise TraitError(
                    "must map per-hour price thresholds (in the region's currency: USD, CNY "
                    f"in the AWS China regions) to seconds, e.g. {{'2.0': 900}}: {e}"
                ) from e
            if not (math.isfinite(threshold) and threshold >= 0):
                raise TraitError(
                    f"threshold {k!r} is not a price per hour (in the region's currency)"
                )
            fractional = isinstance(v, float) and not v.is_integer()
            if isinstance(v, bool) or fractional or not 1 <= seconds <= MAX_TIMEOUT_S:
                raise TraitError(
                    f"timeout {v!r} for {threshold:g} per hour is not a whole number of seconds "
                    f"from 1 to {MAX_TIMEOUT_S}"
                )
            out[threshold] = seconds
        return out

    @validate("job_s3_uri")
    def _check_s3_uri(self, proposal: Any) -> str:
        value = proposal["value"].strip()
        if value and (not value.startswith("s3://") or len(value) <= 5):
            raise TraitError(f"must be an s3://bucket/prefix URI, not {value!r}")
        return value

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
        "recommend_horizon",
        "background_cpu_threshold",
        "background_gpu_threshold",
        "background_window",
    )
    def _check_usage(self, proposal: Any) -> Any:
        name, value = proposal["trait"].name, proposal["value"]
        if not math.isfinite(value):
            raise TraitError(f"must be a finite number, not {value}")
        if name == "recommend_horizon" and not 0 <= value <= 60 * 86400:
            raise TraitError(f"must be from 0 to {60 * 86400} seconds (60 days), not {value}")
        if name in ("usage_window", "background_window") and not 0 < value <= MAX_TIMEOUT_S:
            raise TraitError(f"must be from 1 to {MAX_TIMEOUT_S} seconds, not {value}")
        if name == "background_gpu_threshold" and not 0 <= value <= 1:
            raise TraitError(f"must be a utilisation from 0 to 1 (0 turns it off), not {value}")
        if value < 0:
            raise TraitError(f"must not be negative, not {value}")
        return value

    # -- configuration mistakes: collected, never fatal (config_errors.py loads them)
    def cross_trait_errors(self) -> dict[str, str]:
        if self.max_idle_timeout and self.min_idle_timeout > self.max_idle_timeout:
            return {
                "max_idle_timeout": f"SmCostApp.max_idle_timeout: {self.max_idle_timeout} is "
                f"below SmCostApp.min_idle_timeout ({self.min_idle_timeout})"
            }
        return {}

    def initialize_settings(self) -> None:
        log = self.log if isinstance(self.log, logging.Logger) else logging.getLogger(__name__)
        errors = self.check_config()
        try:
            self.service = build_service(self, log, errors)
        except Exception as e:  # the routes must answer whatever the configuration says
            log.exception("smcost: cannot start with this configuration")
            errors.append(f"SmCostApp: cannot start with this configuration: {e}"[:300])
            for name in self.class_own_traits(config=True):
                self.set_trait(name, self.trait_defaults(name))
            self.service = build_service(self, log, errors)
        for message in errors:
            log.error(
                "smcost: configuration error: %s (idle shutdown and switching are off until "
                "it is fixed)",
                message,
            )
        self.settings.update({"smcost_service": self.service})
        metrics.install(self.service.metrics_snapshot)

    def initialize_handlers(self) -> None:
        self.handlers.extend(handlers())

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """The start hook (the event loop runs): the service starts here, never lazily."""
        self._loop = asyncio.get_running_loop()
        self.service.start()

    def shutdown_kernel_threadsafe(self, kernel_id: str) -> None:
        """Shut a kernel down from a worker thread (Studio Classic idle clean-up)."""
        km = self.serverapp.kernel_manager

        async def shutdown() -> None:
            result = km.shutdown_kernel(kernel_id)
            if inspect.isawaitable(result):
                await result

        loop = getattr(self, "_loop", None) or self.serverapp.io_loop.asyncio_loop
        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=120)

    def stop_server(self) -> None:
        """Thread-safe: stop the Jupyter server from its own event loop."""
        serverapp = self.serverapp
        serverapp.io_loop.add_callback(serverapp.stop)

    async def stop_extension(self) -> None:
        if getattr(self, "service", None):
            self.service.stop()
            metrics.install(None)
