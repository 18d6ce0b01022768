"""GET smcost/recommendations over the horizon (SmCostApp.recommend_horizon) through a real
jupyter_server, on a history file that holds a busy morning and an idle last hour."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support.history_fill import fill_history
from support.rest import fetch_json, validate_response

M54 = "ml.m5.4xlarge"
MORNING_AGO_S = 20 * 3600  # the busy phase ended 20 h ago (kept as minutes)


@pytest.fixture
def smcost_config(tmp_path: Path, request: Any) -> dict[str, Any]:
    """90 idle minutes (9% CPU, 6 GiB of 64) ending 3 min ago, and before them a morning of
    3 h at 97% CPU and 40 GiB, ending 20 h ago."""
    path = tmp_path / "smcost" / "history.sqlite"
    fill_history(path, M54, 180, lambda i: 0.97, lambda i: 40.0, end_ago_s=MORNING_AGO_S)
    fill_history(path, M54, 90, lambda i: 0.09, lambda i: 6.0)
    return {"instance_type": M54, **getattr(request, "param", {})}


async def test_a_busy_morning_in_the_horizon_wins_over_an_idle_hour(jp_fetch: Any) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200, body
    validate_response("/recommendations", "get", 200, body)
    h = body["horizon"]
    assert h["horizon_s"] == 7 * 86400
    # 270 kept minutes (plus what this server sampled meanwhile)
    assert 270 * 60 <= h["covered_s"] <= 275 * 60
    assert h["phases"] >= 5
    busiest = datetime.fromisoformat(h["busiest"]["cpu"]).timestamp()
    assert time.time() - MORNING_AGO_S - 4 * 3600 <= busiest <= time.time() - MORNING_AGO_S
    assert body["utilization"]["cpu_p95"] == 0.97  # the busiest hour
    assert h["overall"]["cpu_p50"] == pytest.approx(0.97)  # 180 of 270 minutes busy
    [item] = body["items"]
    assert item["rule"] == "under_provisioned" and item["savings_per_month"] < 0
    assert "measured over 4 h of running time since" in item["reason"]
    assert "busiest hour for CPU from" in item["reason"]


@pytest.mark.parametrize("smcost_config", [{"recommend_horizon": 0}], indirect=True)
async def test_without_a_horizon_the_last_hour_alone_counts(jp_fetch: Any) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200, body
    validate_response("/recommendations", "get", 200, body)
    assert body["horizon"] is None and body["window_s"] == 3600
    [item] = body["items"]
    assert (item["rule"], item["type"]) == ("over_provisioned", "ml.m5.xlarge")


@pytest.mark.parametrize("smcost_config", [{"recommend_horizon": 80 * 60}], indirect=True)
async def test_a_short_horizon_stops_before_the_morning(jp_fetch: Any) -> None:
    # 80 min of running time: the idle minutes only (2 h would reach 30 min into the
    # morning: the time nothing ran is skipped, not counted)
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200, body
    validate_response("/recommendations", "get", 200, body)
    assert body["horizon"]["horizon_s"] == 4800
    assert body["horizon"]["covered_s"] <= 4800 + 60
    [item] = body["items"]
    assert item["rule"] == "over_provisioned"


async def test_the_history_over_the_horizon_starts_where_the_recommendation_read(
    jp_fetch: Any,
) -> None:
    """GET history?range=horizon: hours from the horizon's oldest bucket (the morning),
    with the horizon the recommendation read; the default range is the window."""
    code, recs = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200, recs
    code, body = await fetch_json(jp_fetch, "smcost", "history", params={"range": "horizon"})
    assert code == 200, body
    validate_response("/history", "get", 200, body)
    assert body["range"] == "horizon" and body["step_s"] == 3600
    h = body["horizon"]
    assert h["since"] == recs["horizon"]["since"] and h["busiest"] == recs["horizon"]["busiest"]
    since = datetime.fromisoformat(body["since"]).timestamp()
    assert since == datetime.fromisoformat(h["since"]).timestamp()
    assert time.time() - MORNING_AGO_S - 4 * 3600 <= since <= time.time() - MORNING_AGO_S
    peaks = [p["cpu_max"] for p in body["usage"]]
    assert max(peaks) == 0.97 and min(peaks) == pytest.approx(0.09)
    assert all(p["instance_type"] == M54 for p in body["usage"])
    code, window = await fetch_json(jp_fetch, "smcost", "history")
    assert code == 200 and window["range"] == "window" and window["horizon"] is None
    assert max(p["cpu_max"] for p in window["usage"]) == pytest.approx(0.09)
    code, err = await fetch_json(
        jp_fetch, "smcost", "history", params={"range": "horizon", "since": body["since"]}
    )
    assert (code, err["error"]["code"]) == (400, "invalid_parameter"), err


@pytest.mark.parametrize("smcost_config", [{"recommend_horizon": 0}], indirect=True)
async def test_without_a_horizon_the_history_range_is_the_window(jp_fetch: Any) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "history", params={"range": "horizon"})
    assert code == 200, body
    validate_response("/history", "get", 200, body)
    assert body["range"] == "window" and body["horizon"] is None
