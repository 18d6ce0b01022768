"""GET smcost/history and the recommendation reading the kept history, through a real
jupyter_server (validated against openapi.yaml); billed spend asked in the background,
cached and kept (Cost Explorer itself: aws/test_billed_spend.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from support.environments import RecordingEnvironment
from support.history_fill import fill_history
from support.rest import fetch_json, validate_response
from support.sm_stub import REGION

from jupyterlab_smcost.aws.costs import BilledDay
from jupyterlab_smcost.environments.base import BilledSpend
from jupyterlab_smcost.errors import SmCostError
from jupyterlab_smcost.history import HistoryStore

M54 = "ml.m5.4xlarge"


def kept_minutes(path: Path, instance_type: str, minutes: int, cpu: float, mem: float) -> None:
    """``minutes`` kept minutes at a steady ``cpu`` and ``mem`` GiB of 64, ending 3 min ago."""
    fill_history(path, instance_type, minutes, lambda i: cpu, lambda i: mem)


@pytest.fixture
def history_path(tmp_path: Path) -> Path:
    return tmp_path / "smcost" / "history.sqlite"


# ---------------------------------------------------------------------------- the route


@pytest.fixture
def smcost_config(history_path: Path, request: Any) -> dict[str, Any]:
    """Every server here starts on a history file that holds 90 minutes of ml.m5.4xlarge
    at 9% CPU and 6 GiB (ending 3 minutes ago); tests add config with indirect
    parametrization."""
    kept_minutes(history_path, M54, 90, 0.09, 6.0)
    return {"instance_type": M54, **getattr(request, "param", {})}


async def test_history_route_returns_kept_usage_and_spend(jp_fetch: Any) -> None:
    since = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    code, body = await fetch_json(
        jp_fetch, "smcost", "history", params={"since": since, "step": "300"}
    )
    assert code == 200, body
    validate_response("/history", "get", 200, body)
    assert body["enabled"] and body["step_s"] == 300 and body["instance_type"] == M54
    assert body["thresholds"] == {
        "cpu_saturated": 0.9,
        "mem_saturated": 0.9,
        "gpu_idle": 0.05,
        "headroom": 0.7,
    }
    kept = [p for p in body["usage"] if p["instance_type"] == M54]
    assert 18 <= len(kept) <= 20  # 90 minutes at 5-minute steps
    assert all(p["cpu_mean"] == 0.09 and p["cpu_max"] == 0.09 for p in kept)
    assert all(p["mem_max_gib"] == 6.0 and p["mem_max"] == round(6 / 64, 4) for p in kept)
    assert all(p["t"] % 300 == 0 for p in body["usage"])
    assert body["kept_since"] is not None and body["billed"] is None
    today = body["spend"]["days"][-1]
    assert today["date"] == datetime.now(timezone.utc).date().isoformat()
    # 90 minutes at $0.922/h (bundled), and whatever this server ran meanwhile
    kept_usd = sum(p["amount"] for d in body["spend"]["days"] for p in d["prices"])
    assert kept_usd == pytest.approx(1.5 * 0.922, abs=0.01)
    assert body["spend"]["month_to_date"]["month"] == datetime.now(timezone.utc).strftime("%Y-%m")
    prices = {p["price"]["source"] for d in body["spend"]["days"] for p in d["prices"]}
    assert prices == {"bundled"}


async def test_job_spend_is_its_own_series_in_the_history(
    jp_fetch: Any, smcost_service: Any
) -> None:
    """The jobs started from here (their records) are a series beside the notebook's spend:
    billable seconds x count x the Training price, with its source; a job of unknown price
    is counted, not priced; a running one is counted as running."""
    now = datetime.now(timezone.utc)
    ended = (now - timedelta(hours=1)).replace(microsecond=0)

    def record(name: str, itype: str, state: str, billable: Any = None, count: int = 1) -> None:
        final = {
            "TrainingJobStatus": state,
            "TrainingEndTime": ended.isoformat(),
            "BillableTimeInSeconds": billable,
            "ResourceConfig": {"InstanceCount": count},
        }
        smcost_service.jobs.records.put(
            {
                "name": name,
                "path": "train.ipynb",
                "kind": "notebook",
                "instance_type": itype,
                "instance_count": count,
                "spot": True,
                "max_runtime_s": 3600,
                "started_at": (ended - timedelta(hours=1)).isoformat(),
                "state": state,
                **({"final": final} if state != "InProgress" else {}),
            }
        )

    record("a", "ml.m5.xlarge", "Completed", billable=1800, count=2)
    record("b", "ml.m5.xlarge", "Failed", billable=600)
    record("c", "ml.zz.nothing", "Completed", billable=600)  # no price known
    record("d", "ml.m5.xlarge", "InProgress")
    code, body = await fetch_json(jp_fetch, "smcost", "history")
    assert code == 200, body
    validate_response("/history", "get", 200, body)
    jobs = body["spend"]["jobs"]
    assert [d["date"] for d in jobs["days"]] == [d["date"] for d in body["spend"]["days"]]
    price = smcost_service.jobs.price("ml.m5.xlarge")
    assert price.per_hour and price.source == "bundled"
    [day] = [d for d in jobs["days"] if d["jobs"]]
    assert day["date"] == ended.date().isoformat()
    hours = 1800 / 3600 * 2 + 600 / 3600
    assert day["jobs"] == 3 and day["unpriced_jobs"] == 1
    assert day["amount"] == pytest.approx(price.per_hour * hours, abs=1e-3)
    assert day["billable_hours"] == pytest.approx(hours + 600 / 3600, abs=1e-4)
    by_type = {p["price"]["instance_type"]: p for p in day["prices"]}
    assert by_type["ml.m5.xlarge"]["price"]["source"] == "bundled"
    assert by_type["ml.zz.nothing"]["amount"] is None
    assert by_type["ml.zz.nothing"]["price"]["per_hour"] is None
    assert jobs["running"] == 1 and jobs["unknown"] == 0
    if ended.strftime("%Y-%m") == jobs["month_to_date"]["month"]:
        assert jobs["month_to_date"]["amount"] == day["amount"]
        assert jobs["month_to_date"]["unpriced_jobs"] == 1


async def test_history_defaults_to_the_recommendation_window(jp_fetch: Any) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "history")
    assert code == 200
    validate_response("/history", "get", 200, body)
    since = datetime.fromisoformat(body["since"])
    until = datetime.fromisoformat(body["until"])
    assert (until - since).total_seconds() == pytest.approx(3600, abs=1)
    assert body["step_s"] == 60 and body["window_s"] == 3600
    assert 55 <= len(body["usage"]) <= 62


async def test_a_long_span_raises_the_step_and_old_since_is_clamped(jp_fetch: Any) -> None:
    code, body = await fetch_json(
        jp_fetch, "smcost", "history", params={"since": "1999-01-01T00:00:00Z", "step": "60"}
    )
    assert code == 200
    validate_response("/history", "get", 200, body)
    since = datetime.fromisoformat(body["since"])
    assert since > datetime.now(timezone.utc) - timedelta(days=61)
    assert body["step_s"] == 3600  # 60 days in at most 1500 points
    assert len(body["spend"]["days"]) == 61


@pytest.mark.parametrize(
    "params, code",
    [
        ({"since": "yesterday"}, "invalid_parameter"),
        ({"since": "2026-11-27"}, "invalid_parameter"),
        ({"since": "2026-11-27T09:00:00"}, "invalid_parameter"),  # no time zone
        ({"since": "2026-11-27T09:00:00+25:00"}, "invalid_parameter"),
        ({"since": "x" * 100}, "invalid_parameter"),
        ({"step": "61"}, "invalid_parameter"),
        ({"step": "-60"}, "invalid_parameter"),
        ({"step": "1e3"}, "invalid_parameter"),
        ({"step": ""}, "invalid_parameter"),
        ({"steps": "60"}, "unknown_parameter"),
    ],
)
async def test_bad_parameters_get_400(jp_fetch: Any, params: dict, code: str) -> None:
    status, err = await fetch_json(jp_fetch, "smcost", "history", params=params)
    assert (status, err["error"]["code"]) == (400, code), err
    validate_response("/history", "get", 400, err)


async def test_jupyterlabs_cache_buster_is_not_an_unknown_parameter(jp_fetch: Any) -> None:
    """ServerConnection.makeRequest appends `&<Date.now()>` to every GET."""
    r = await jp_fetch("smcost", "history", params=[("step", "300"), ("1795764411833", "")])
    assert r.code == 200 and json.loads(r.body)["step_s"] == 300
    r = await jp_fetch("smcost", "history", params=[("17957", "x")], raise_error=False)
    assert r.code == 400 and json.loads(r.body)["error"]["code"] == "unknown_parameter"


async def test_a_repeated_parameter_gets_400(jp_fetch: Any) -> None:
    r = await jp_fetch(
        "smcost", "history", params=[("step", "60"), ("step", "300")], raise_error=False
    )
    assert r.code == 400 and json.loads(r.body)["error"]["code"] == "invalid_parameter"


# ---------------------------------------------------------------------------- recommendations


async def test_the_recommendation_starts_from_kept_history(jp_fetch: Any) -> None:
    """A restarted server recommends at once from the kept minutes of its own type (the
    same figures as the 360-sample test in test_recommend.py), and says so."""
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200
    validate_response("/recommendations", "get", 200, body)
    assert body["kept"]["instance_type"] == M54 and body["kept"]["samples"] >= 360
    u = body["utilization"]
    assert (u["cpu_p95"], u["mem_p95"]) == (0.09, 0.0938)
    [item] = body["items"]
    assert (item["type"], item["confidence"]) == ("ml.m5.xlarge", "high")


@pytest.mark.parametrize("smcost_config", [{"instance_type": "ml.m5.2xlarge"}], indirect=True)
async def test_another_types_history_is_not_mixed_in(
    jp_fetch: Any, history_path: Path, smcost_config: Any
) -> None:
    # the file holds 90 minutes of ml.m5.4xlarge (the fixture): this server is m5.2xlarge
    assert history_path.exists()
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200
    validate_response("/recommendations", "get", 200, body)
    assert body["kept"]["samples"] == 0
    assert body["items"] == [] and "collecting usage" in body["reason"]


@pytest.mark.parametrize("smcost_config", [{"history_file": ""}], indirect=True)
async def test_history_off(jp_fetch: Any, smcost_service: Any) -> None:
    assert smcost_service.history is None
    code, body = await fetch_json(jp_fetch, "smcost", "history")
    assert code == 200
    validate_response("/history", "get", 200, body)
    assert body["enabled"] is False and "history_file" in body["reason"]
    assert body["usage"] == [] and body["spend"] is None
    code, rec = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert rec["kept"] is None and "collecting usage" in rec["reason"]


@pytest.mark.parametrize("smcost_config", [{"usage_sample_interval": 0.2}], indirect=True)
async def test_history_is_written_off_the_event_loop(jp_fetch: Any, smcost_service: Any) -> None:
    history = smcost_service.history
    threads: list[str] = []
    real = history.store.write

    def recording(*args: Any, **kw: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kw)

    history.store.write = recording
    history.flush_s = 0.5
    for _ in range(100):
        if threads:
            break
        await asyncio.sleep(0.1)
    assert threads and set(threads) == {"smcost-usage"}  # the sampler's thread
    code, body = await fetch_json(jp_fetch, "smcost", "history")
    assert any(p["samples"] for p in body["usage"])


SPACE_ARN = f"arn:aws:sagemaker:{REGION}:123456789012:space/d-abc123/alice-space"


class SlowlyBilledSpace(RecordingEnvironment):
    """Cost Explorer answers slowly, with a day 40 days ago, the 1st of the month and
    yesterday (not final yet)."""

    def billed_spend(self, start: date, end: date) -> BilledSpend:
        self.record("billed_spend", start, end)
        time.sleep(0.2)  # AWS is slow: the request does not wait for it
        today = datetime.now(timezone.utc).date()
        return BilledSpend(
            "sagemaker:space-arn",
            SPACE_ARN,
            (
                BilledDay(today - timedelta(days=40), 9.0, False),
                BilledDay(today.replace(day=1), 1.25, False),
                BilledDay(today - timedelta(days=1), 2.0, True),
            ),
        )


class RefusedBilling(RecordingEnvironment):
    def billed_spend(self, start: date, end: date) -> BilledSpend:
        self.record("billed_spend", start, end)
        raise SmCostError("aws_access_denied", "AWS denied GetCostAndUsage", 502)


async def billed_when_asked(jp_fetch: Any) -> dict[str, Any]:
    """GET smcost/history until Cost Explorer's answer (or its failure) is in."""
    for _ in range(50):
        code, body = await fetch_json(jp_fetch, "smcost", "history")
        assert code == 200, body
        validate_response("/history", "get", 200, body)
        if body["billed"]["state"] != "pending":
            return body["billed"]
        await asyncio.sleep(0.1)
    raise AssertionError(f"Cost Explorer's answer never came: {body['billed']}")


@pytest.mark.parametrize(
    "smcost_config",
    [{"cost_explorer": True, "environment_class": SlowlyBilledSpace}],
    indirect=True,
)
async def test_billed_spend_is_asked_in_the_background_cached_and_kept(
    jp_fetch: Any, smcost_service: Any, history_path: Path
) -> None:
    today = datetime.now(timezone.utc).date()
    code, body = await fetch_json(jp_fetch, "smcost", "history")
    validate_response("/history", "get", 200, body)
    assert body["billed"]["state"] == "pending"
    billed = await billed_when_asked(jp_fetch)
    assert billed["state"] == "ok" and billed["tag"]["value"] == SPACE_ARN
    asked = [args for name, _, args in smcost_service.env.calls if name == "billed_spend"]
    assert asked == [(min(today.replace(day=1), today - timedelta(days=30)), today)]
    mtd = (1.25 if today.day > 1 else 0) + (
        2.0 if (today - timedelta(days=1)).month == today.month else 0
    )
    assert billed["month_to_date"] == pytest.approx(mtd) and billed["currency"] == "USD"
    assert billed["through"] == (today - timedelta(days=1)).isoformat()
    assert "up to a day late" in billed["note"]
    for _ in range(3):
        await fetch_json(jp_fetch, "smcost", "history")
    assert len(smcost_service.env.threads("billed_spend")) == 1  # cached: $0.01 a request
    kept = json.loads(HistoryStore(history_path).get_meta("billed"))
    assert kept["state"] == "ok" and kept["month_to_date"] == billed["month_to_date"]


@pytest.mark.parametrize("smcost_config", [{"cost_explorer": True}], indirect=True)
async def test_in_local_mode_there_is_no_billed_spend_to_ask_for(jp_fetch: Any) -> None:
    billed = await billed_when_asked(jp_fetch)
    assert billed["state"] == "unavailable" and "not on SageMaker" in billed["message"]
    # with its code, for the panel to say in the user's language
    assert billed["error"] == {"code": "billed_unavailable", "params": {"where": "local"}}


@pytest.mark.parametrize(
    "smcost_config", [{"cost_explorer": True, "environment_class": RefusedBilling}], indirect=True
)
async def test_a_refused_billed_spend_says_why(jp_fetch: Any) -> None:
    billed = await billed_when_asked(jp_fetch)
    assert billed["state"] == "error" and "denied" in billed["message"]
