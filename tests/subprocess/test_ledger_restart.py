"""The ledger across a real idle stop (issue 19, part 3): a server stopped by idle shutdown,
then a new one started later on the same history file, shows the gap between the stop and
the start and what it would have cost at the price in force at the stop."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest
from support.rest import validate_response
from support.server_proc import ServerProcess

P5 = "ml.p5.48xlarge"  # dear: seconds of gap are cents of money
GAP_S = 6.0


def ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_an_idle_stop_then_a_later_start_shows_the_gap_and_the_money(tmp_path: Path) -> None:
    args = (f"--SmCostApp.instance_type={P5}", "--SmCostApp.usage_sample_interval=0")
    first = ServerProcess(
        *args,
        "--SmCostApp.idle_timeout=2",
        "--SmCostApp.min_idle_timeout=1",
        "--SmCostApp.warning_period=1",
        workdir=tmp_path,
    )
    try:
        first.wait_ready()
        status = first.get("/smcost/status")
        price = status["price"]
        assert (price["per_hour"], price["source"]) == (pytest.approx(63.296), "bundled")
        deadline = ts(status["idle"]["deadline"])
        exited = first.wait_exit(30)
        assert exited is not None, first.log()
        assert "smcost: shutting down: idle for" in first.log()
    finally:
        first.stop()
    time.sleep(GAP_S)
    spawned = time.time()
    second = ServerProcess(*args, workdir=tmp_path)
    try:
        second.wait_ready()
        ready = time.time()
        ledger = second.get("/smcost/ledger")
    finally:
        second.stop()
    validate_response("/ledger", "get", 200, ledger)
    (stop,) = ledger["stops"]
    assert stop["instance_type"] == P5 and stop["still_stopped"] is False
    assert stop["price"] == {
        "per_hour": pytest.approx(63.296),
        "currency": "USD",
        "source": "bundled",
        "as_of": price["as_of"],
    }
    # the stop came at its deadline, before the first process exited; the gap ended when the
    # second started (its container's first process, itself when isolated: its start time
    # is read to the second the kernel counts boot time in, so up to 1 s early), before it
    # was ready
    stopped_at, until = ts(stop["at"]), ts(stop["until"])
    assert deadline - 0.05 <= stopped_at <= exited
    assert spawned - 1.0 <= until <= ready
    gap_h = stop["hours_not_billed"]
    assert gap_h == pytest.approx((until - stopped_at) / 3600, abs=1e-4)
    assert gap_h * 3600 >= GAP_S - 1.0
    assert stop["saved"] == pytest.approx((until - stopped_at) / 3600 * 63.296, abs=1e-4)
    (usd,) = ledger["currencies"]
    assert usd["estimate"] is True and usd["idle"]["stops"] == 1
    assert usd["idle"]["saved"] == pytest.approx(stop["saved"], abs=1e-4)
    assert usd["switches"]["count"] == 0
    print(
        f"ledger: gap {gap_h * 3600:.2f} s = {gap_h:.5f} h not billed, "
        f"${usd['idle']['saved']:.4f} at ${price['per_hour']}/h"
    )
