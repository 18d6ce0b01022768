"""History across a restart: two real servers, one after the other, on the same files; the
second recommends at once from what the first measured and counts what it ran in today's
spend."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.rest import validate_response
from support.server_proc import ServerProcess

M54 = "ml.m5.4xlarge"


def test_history_survives_a_server_restart(tmp_path: Path) -> None:
    """Two real servers, one after the other, on the same files: the second recommends at
    once from what the first measured, and counts what the first ran in today's spend."""
    args = (
        "--SmCostApp.usage_sample_interval=0.5",
        "--SmCostApp.recommend_min_samples=3",
        f"--SmCostApp.instance_type={M54}",
    )
    first = ServerProcess(*args, workdir=tmp_path)
    try:
        first.wait_ready()
        started = time.time()
        # the kept minutes a restart may use end before it starts: run past a minute's end
        boundary = (started // 60 + 1) * 60
        if boundary - started < 3:  # too few samples before it: take the next one
            boundary += 60
        time.sleep(boundary - time.time() + 1.5)
        code, rec = first.request("GET", "/smcost/recommendations")
        assert code == 200 and rec["kept"]["samples"] == 0
    finally:
        first.stop()  # a clean stop writes the last samples and the span's end
    ran_s = time.time() - started
    with ServerProcess(*args, workdir=tmp_path) as second:
        code, rec = second.request("GET", "/smcost/recommendations")
        assert code == 200, rec
        validate_response("/recommendations", "get", 200, rec)
        assert rec["kept"]["samples"] >= 3 and rec["kept"]["instance_type"] == M54
        assert rec["samples"] >= rec["kept"]["samples"]
        assert "collecting usage" not in (rec["reason"] or "")
        code, hist = second.request("GET", "/smcost/history?step=60")
        validate_response("/history", "get", 200, hist)
        assert sum(p["samples"] for p in hist["usage"]) >= 3
        mtd = hist["spend"]["month_to_date"]
        assert mtd["hours"] * 3600 >= ran_s - 5  # the first run's time, and this one's
        assert mtd["amount"] == pytest.approx(mtd["hours"] * 0.922, abs=1e-4)
