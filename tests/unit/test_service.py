"""The service without a server: what the status reports of spend, from the history's
running spans at the price in force at the time."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest
from support.rest import validate_response
from support.service import make_service

from jupyterlab_smcost.history import HistoryRecorder, HistoryStore, Running


def test_cost_since_start_counts_the_history_spans_at_their_prices(tmp_path: Path) -> None:
    """Half an hour at $1.00/h, then half an hour at the $0.23/h in force now: the cost
    since start is what each span cost, not the price now x the uptime."""
    now = time.time()
    clock = {"t": now - 3600}
    recorder = HistoryRecorder(HistoryStore(tmp_path / "history.sqlite"), clock=lambda: clock["t"])
    region, component = "us-east-1", "Studio-JupyterLab"
    dear = Running("ml.m5.xlarge", region, component, 1.0, "bundled", "2026-09-24")
    recorder.set_running([dear], "ml.m5.xlarge")
    clock["t"] = now - 1800
    recorder.set_running([replace(dear, per_hour=0.23)], "ml.m5.xlarge")
    clock["t"] = now
    service = make_service(history=recorder)

    async def status() -> dict:
        await service.refresh_instance_types()
        return await service.status()

    try:
        body = asyncio.run(status())
    finally:
        service.stop()
    validate_response("/status", "get", 200, body)
    assert body["price"]["per_hour"] == 0.23
    assert body["cost"]["since_start"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.23, abs=1e-4)
    assert body["cost"]["basis"] == "history"
