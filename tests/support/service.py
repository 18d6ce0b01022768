"""A real :class:`~jupyterlab_smcost.service.SmCostService` without a Jupyter server: the
kernel and session managers it reads replaced by small fakes, every other part real."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Optional

from jupyterlab_smcost.activity import ActivityMonitor, utcnow
from jupyterlab_smcost.environments import Environment, LocalEnvironment
from jupyterlab_smcost.history import HistoryRecorder
from jupyterlab_smcost.pricing import PriceBook, load_bundled
from jupyterlab_smcost.service import SmCostService
from jupyterlab_smcost.settings import Bounds, IdleSettings, SettingsStore


class Kernel:
    def __init__(self, last_activity: datetime) -> None:
        self.execution_state = "idle"
        self.last_activity = last_activity


class KernelManager:
    """What the activity monitor reads of jupyter_server's kernel manager."""

    def __init__(self) -> None:
        self._kernels: dict[str, Kernel] = {}
        self._kernel_connections: dict[str, int] = {}

    def list_kernel_ids(self) -> list[str]:
        return list(self._kernels)


class Sessions:
    async def list_sessions(self) -> list[dict]:
        return []


def local_environment(instance_type: str = "ml.m5.xlarge") -> LocalEnvironment:
    """Local mode in us-east-1, priced as ``instance_type`` (Studio-JupyterLab)."""
    return LocalEnvironment(
        "us-east-1", instance_type, "Studio-JupyterLab", lambda: None, [instance_type]
    )


def make_service(
    env: Optional[Environment] = None,
    *,
    history: Optional[HistoryRecorder] = None,
    clock: Callable[[], datetime] = utcnow,
    **kwargs: Any,
) -> SmCostService:
    """The service over ``env`` (default: :func:`local_environment`), the bundled prices,
    settings kept in memory; ``kwargs`` go to the service (``idle_timeout_by_price``...)."""
    defaults = IdleSettings(True, 3600, True, True, 300)
    monitor = ActivityMonitor(
        KernelManager(),
        lambda: None,
        Sessions(),
        started_at=clock(),
        stuck_kernel_timeout_s=300,
        clock=clock,
    )
    options: dict[str, Any] = {
        "allowed_instance_types": [],
        "idle_timeout_by_price": {},
        "shutdown_enabled": True,
        "dry_run": False,
        "live_prices": False,
        **kwargs,
    }
    return SmCostService(
        env or local_environment(),
        PriceBook(load_bundled()),
        SettingsStore(None, defaults, Bounds()),
        monitor,
        logging.getLogger("test.service"),
        started_at=clock(),
        clock=clock,
        history=history,
        **options,
    )
