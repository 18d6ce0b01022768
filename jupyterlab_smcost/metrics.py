"""Prometheus gauges on jupyter_server's ``/metrics`` (default registry).

Gauges are created once per process; each reads the current service at scrape time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

from prometheus_client import Gauge

_provider: Optional[Callable[[], dict[str, float]]] = None


def _read(key: str) -> float:
    if _provider is None:
        return float("nan")
    value = _provider().get(key)
    return float("nan") if value is None else float(value)


USD_PER_HOUR = Gauge("smcost_usd_per_hour", "Hourly price of the instance(s) under this server")
IDLE_SECONDS = Gauge("smcost_idle_seconds", "Seconds since the last activity")
SECONDS_TO_DEADLINE = Gauge(
    "smcost_seconds_to_idle_deadline", "Seconds until idle shutdown (NaN when busy or disabled)"
)
SESSION_COST = Gauge("smcost_session_cost_usd", "Cost since the server started, in USD")
BACKGROUND_SCANS = Gauge(
    "smcost_background_scans", "Process scans made for background work since the server started"
)
BACKGROUND_SKIPPED = Gauge(
    "smcost_background_quiet_samples",
    "Usage samples without a process scan (the machine less the server was quiet)",
)
BACKGROUND_SCAN_SECONDS = Gauge(
    "smcost_background_scan_seconds", "Seconds spent in process scans since the server started"
)

USD_PER_HOUR.set_function(lambda: _read("usd_per_hour"))
IDLE_SECONDS.set_function(lambda: _read("idle_s"))
SECONDS_TO_DEADLINE.set_function(lambda: _read("remaining_s"))
SESSION_COST.set_function(lambda: _read("since_start_usd"))
BACKGROUND_SCANS.set_function(lambda: _read("background_scans"))
BACKGROUND_SKIPPED.set_function(lambda: _read("background_quiet_samples"))
BACKGROUND_SCAN_SECONDS.set_function(lambda: _read("background_scan_seconds"))


def install(provider: Optional[Callable[[], dict[str, Any]]]) -> None:
    """Point the gauges at a service (None detaches them)."""
    global _provider
    _provider = provider
