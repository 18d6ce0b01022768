"""The REST API through a real jupyter_server, validated against the shipped OpenAPI doc."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from support.rest import fetch_json, validate_response
from tornado.httpclient import HTTPClientError

from jupyterlab_smcost.errors import SmCostError
from jupyterlab_smcost.handlers import BaseHandler


async def test_status_has_every_field_in_local_mode(jp_fetch: Any) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "status")
    assert code == 200
    validate_response("/status", "get", 200, body)
    assert body["environment"]["kind"] == "local"
    assert body["environment"]["can_switch"] is False
    assert body["environment"]["label"] == "not on SageMaker: priced as ml.m5.xlarge"
    assert body["environment"]["label_message"] == {
        "code": "env.local",
        "text": "not on SageMaker: priced as ml.m5.xlarge",
        "params": {"type": "ml.m5.xlarge"},
    }
    assert body["environment"]["switch_unavailable_message"]["code"] == "env.local_no_switch"
    assert body["idle"]["messages"][0]["code"] == "idle.last_activity"
    inst = body["instance"]
    assert (inst["type"], inst["vcpu"], inst["memory_gib"], inst["gpu_count"]) == (
        "ml.m5.xlarge",
        4,
        16.0,
        0,
    )
    price = body["price"]
    assert (price["per_hour"], price["source"], price["as_of"], price["component"]) == (
        0.23,
        "bundled",
        "2026-09-24",
        "Studio-JupyterLab",
    )
    assert (price["currency"], price["region"], price["instance_type"]) == (
        "USD",
        "us-east-1",
        "ml.m5.xlarge",
    )
    assert price["parts"] is None and price["fix"] is None
    cost = body["cost"]
    assert cost["projected_per_day"] == 5.52
    assert cost["projected_per_month"] == pytest.approx(167.9)
    assert (cost["currency"], cost["basis"]) == ("USD", "history")
    idle = body["idle"]
    assert idle["state"] == "active" and idle["timeout_s"] == 3600
    assert idle["last_activity_source"] == "server start"
    assert 3500 < idle["remaining_s"] <= 3600


@pytest.mark.parametrize(
    "smcost_config", [{"instance_type": "ml.g5.xlarge", "region": "us-west-2"}]
)
async def test_status_gpu_type_other_region(jp_fetch: Any) -> None:
    _, body = await fetch_json(jp_fetch, "smcost", "status")
    assert body["instance"]["gpu_model"] == "NVIDIA A10G"
    assert body["price"]["per_hour"] == 1.41 and body["price"]["as_of"] == "2026-09-01"


@pytest.mark.parametrize("smcost_config", [{"instance_type": "ml.x9.huge"}])
async def test_unknown_type_says_unknown(jp_fetch: Any) -> None:
    _, body = await fetch_json(jp_fetch, "smcost", "status")
    validate_response("/status", "get", 200, body)
    assert body["price"]["source"] == "unknown" and body["price"]["per_hour"] is None
    assert body["cost"]["since_start"] is None


async def test_cost_since_start_comes_from_the_history(jp_fetch: Any) -> None:
    """History on (the default): spend since start is counted from its running spans (at
    their prices: unit/test_service.py), a few seconds' worth here."""
    code, body = await fetch_json(jp_fetch, "smcost", "status")
    validate_response("/status", "get", 200, body)
    assert body["cost"]["basis"] == "history"
    assert 0 <= body["cost"]["since_start"] < 0.01


@pytest.mark.parametrize("smcost_config", [{"history_file": ""}])
async def test_cost_since_start_without_history_is_uptime_at_the_price_now(
    jp_fetch: Any, smcost_service: Any
) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "status")
    validate_response("/status", "get", 200, body)
    cost = body["cost"]
    assert cost["basis"] == "uptime" and cost["currency"] == "USD"
    uptime_h = (time.time() - smcost_service.started_at.timestamp()) / 3600
    assert 0 <= cost["since_start"] <= 0.23 * uptime_h + 1e-4


@pytest.mark.parametrize(
    "body, code",
    [
        ({"timeout_s": -1}, "invalid_setting"),
        ({"timeout_s": "abc"}, "invalid_setting"),
        ({"timeout_s": 10}, "out_of_bounds"),
        ("{not json", "invalid_json"),
        ("", "invalid_json"),
        ({"enabled": 1}, "invalid_setting"),
    ],
)
async def test_bad_idle_settings_get_400_json(jp_fetch: Any, body: Any, code: str) -> None:
    before = (await fetch_json(jp_fetch, "smcost", "idle"))[1]
    status, reply = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body=body)
    assert status == 400
    validate_response("/idle", "put", 400, reply)
    assert reply["error"]["code"] == code and reply["error"]["message"]
    assert (await fetch_json(jp_fetch, "smcost", "idle"))[1] == before


async def test_put_idle_validates_persists_and_moves_deadline(
    jp_fetch: Any, smcost_service
) -> None:
    status, reply = await fetch_json(
        jp_fetch, "smcost", "idle", method="PUT", body={"timeout_s": 600, "warning_s": 60}
    )
    assert status == 200
    validate_response("/idle", "put", 200, reply)
    assert reply["timeout_s"] == 600 and reply["warning_s"] == 60
    saved = json.loads(smcost_service.store.path.read_text())
    assert saved["timeout_s"] == 600
    _, st = await fetch_json(jp_fetch, "smcost", "status")
    assert st["idle"]["deadline"] == reply["deadline"]
    assert st["idle"]["remaining_s"] <= 600


async def test_keepalive_moves_the_deadline(jp_fetch: Any) -> None:
    _, before = await fetch_json(jp_fetch, "smcost", "status")
    code, reply = await fetch_json(jp_fetch, "smcost", "idle", "keepalive", method="POST")
    assert code == 200
    validate_response("/idle/keepalive", "post", 200, reply)
    assert reply["deadline"] > before["idle"]["deadline"]
    assert reply["idle"]["last_activity_source"] == "keep-alive"


async def test_read_only_polling_never_counts_but_a_save_does(jp_fetch: Any) -> None:
    _, first = await fetch_json(jp_fetch, "smcost", "status")
    last = first["idle"]["last_activity"]
    for _ in range(3):
        for path in (
            ("api", "sessions"),
            ("api", "kernels"),
            ("api", "terminals"),
            ("api", "contents"),
            ("api", "status"),
            ("smcost", "status"),
            ("smcost", "prices"),
            ("smcost", "idle"),
        ):
            r = await jp_fetch(*path)
            assert r.code == 200
    _, after = await fetch_json(jp_fetch, "smcost", "status")
    assert after["idle"]["last_activity"] == last
    # a refused change is not activity either
    r = await jp_fetch(
        "api",
        "contents",
        "nope",
        "x.txt",
        method="PUT",
        body=json.dumps({"type": "file", "format": "text", "content": "x"}),
        raise_error=False,
    )
    assert r.code >= 400
    _, after = await fetch_json(jp_fetch, "smcost", "status")
    assert after["idle"]["last_activity"] == last
    # saving a file is
    r = await jp_fetch(
        "api",
        "contents",
        "x.txt",
        method="PUT",
        body=json.dumps({"type": "file", "format": "text", "content": "x"}),
    )
    assert r.code in (200, 201)
    _, after = await fetch_json(jp_fetch, "smcost", "status")
    assert after["idle"]["last_activity"] > last
    assert after["idle"]["last_activity_source"] == "API request"


async def test_prices_table(jp_fetch: Any) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "prices")
    assert code == 200
    validate_response("/prices", "get", 200, body)
    rows = {r["type"]: r for r in body["items"]}
    assert rows["ml.m5.xlarge"]["current"] is True
    assert rows["ml.g4dn.xlarge"]["price"]["per_hour"] == 0.7364
    sources = ("bundled", "live", "estimated", "unknown")
    assert all(r["price"]["source"] in sources for r in body["items"])
    prices = [r["price"]["per_hour"] for r in body["items"]]
    assert prices == sorted(prices)
    code, body = await fetch_json(jp_fetch, "smcost", "prices", params={"refresh": "true"})
    assert code == 400 and body["error"]["code"] == "live_prices_off"


@pytest.mark.parametrize("smcost_config", [{"allowed_instance_types": ["ml.t3.medium"]}])
async def test_prices_respect_allowed_types(jp_fetch: Any) -> None:
    _, body = await fetch_json(jp_fetch, "smcost", "prices")
    assert sorted(r["type"] for r in body["items"]) == ["ml.m5.xlarge", "ml.t3.medium"]


@pytest.mark.parametrize("smcost_config", [{"dry_run": True}])
async def test_shutdown_now_in_dry_run(jp_fetch: Any, smcost_service, caplog) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "shutdown", method="POST")
    assert code == 202
    validate_response("/shutdown", "post", 202, body)
    assert body == {"state": "shutting_down", "environment": "local"}


async def test_metrics_gauges(jp_fetch: Any) -> None:
    await fetch_json(jp_fetch, "smcost", "status")
    r = await jp_fetch("metrics")
    text = r.body.decode()
    values = {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("smcost_")
    }
    assert values["smcost_usd_per_hour"] == 0.23
    assert 0 <= values["smcost_idle_seconds"] < 60
    assert 3500 < values["smcost_seconds_to_idle_deadline"] <= 3600
    assert values["smcost_session_cost_usd"] >= 0
    for name in ("scans", "quiet_samples", "scan_seconds"):
        assert values[f"smcost_background_{name}"] >= 0


def _our_routes(app: Any) -> list[tuple[str, type]]:
    """Every route the server registered whose handler is ours (so none can skip auth)."""
    found = []
    for rule in app.web_app.default_router.rules:
        for sub in getattr(rule.target, "rules", []):
            target = sub.target
            if isinstance(target, type) and issubclass(target, BaseHandler):
                found.append((sub.matcher.regex.pattern, target))
    return found


async def test_every_route_needs_auth_and_never_tracks_activity(
    jp_serverapp: Any, jp_fetch: Any, http_server_client: Any, jp_base_url: str
) -> None:
    routes = _our_routes(jp_serverapp)
    assert len(routes) >= 5
    checked = 0
    for pattern, handler in routes:
        assert handler._track_activity is False
        assert handler.auth_resource == "smcost"
        path = pattern.rstrip("$").replace("\\", "")
        for method in ("GET", "PUT", "POST"):
            if getattr(handler, method.lower()) is BaseHandler.__dict__.get(method.lower()):
                continue
            if method.lower() not in handler.__dict__:
                continue
            with pytest.raises(HTTPClientError) as info:
                await http_server_client.fetch(
                    path,
                    method=method,
                    body=b"{}" if method != "GET" else None,
                    headers={"Authorization": "token wrong"},
                )
            assert info.value.code == 403, (method, path)
            err = json.loads(info.value.response.body)
            assert err["error"]["code"] == "forbidden"
            checked += 1
    assert checked >= 6


@pytest.mark.parametrize(
    "smcost_config", [{"idle_timeout_by_price": {"0.1": 900, "5": 300}, "min_idle_timeout": 10}]
)
async def test_expensive_instances_get_a_shorter_timeout(jp_fetch: Any) -> None:
    _, body = await fetch_json(jp_fetch, "smcost", "status")
    validate_response("/status", "get", 200, body)
    # ml.m5.xlarge at $0.23/h is over the $0.1 threshold, under $5
    assert body["idle"]["timeout_s"] == 900 and body["idle"]["user_timeout_s"] == 3600
    assert 800 < body["idle"]["remaining_s"] <= 900


@pytest.mark.parametrize("smcost_config", [{"shutdown_enabled": False}])
async def test_admin_can_turn_idle_shutdown_off(jp_fetch: Any) -> None:
    _, body = await fetch_json(jp_fetch, "smcost", "status")
    assert body["idle"]["state"] == "disabled" and body["idle"]["deadline"] is None
    assert body["idle"]["reasons"] == ["the administrator turned idle shutdown off"]


async def test_saves_announced_for_shutdown_are_not_activity(jp_fetch: Any) -> None:
    _, first = await fetch_json(jp_fetch, "smcost", "status")
    last = first["idle"]["last_activity"]
    code, reply = await fetch_json(
        jp_fetch,
        "smcost",
        "idle",
        "shutdown-saves",
        method="POST",
        body={"paths": ["dir with space/n b.ipynb"]},
    )
    assert code == 200
    validate_response("/idle/shutdown-saves", "post", 200, reply)
    assert reply["paths"] == 1
    await jp_fetch("api", "contents", method="POST", body=json.dumps({"type": "directory"}))
    _, after = await fetch_json(jp_fetch, "smcost", "status")
    last = after["idle"]["last_activity"]  # creating a directory was activity
    model = {"type": "file", "format": "text", "content": "saved before shutdown"}
    r = await jp_fetch("api", "contents", "Untitled Folder", method="GET")
    assert r.code == 200
    await jp_fetch(
        "api",
        "contents",
        "Untitled Folder",
        method="PATCH",
        body=json.dumps({"path": "dir with space"}),
    )
    _, after = await fetch_json(jp_fetch, "smcost", "status")
    last = after["idle"]["last_activity"]
    r = await jp_fetch(
        "api", "contents", "dir with space", "n b.ipynb", method="PUT", body=json.dumps(model)
    )
    assert r.code in (200, 201)
    _, after = await fetch_json(jp_fetch, "smcost", "status")
    assert after["idle"]["last_activity"] == last  # the announced save did not count
    # another document's save still counts
    r = await jp_fetch("api", "contents", "other.txt", method="PUT", body=json.dumps(model))
    _, after = await fetch_json(jp_fetch, "smcost", "status")
    assert after["idle"]["last_activity"] > last


@pytest.mark.parametrize("body", [{}, {"paths": "a.ipynb"}, {"paths": [1]}, {"paths": [""]}])
async def test_bad_shutdown_saves_body(jp_fetch: Any, body: Any) -> None:
    code, reply = await fetch_json(
        jp_fetch, "smcost", "idle", "shutdown-saves", method="POST", body=body
    )
    assert code == 400 and reply["error"]["code"] == "invalid_paths"


async def test_one_error_mapping_for_every_route(
    jp_fetch: Any, smcost_service: Any, monkeypatch: Any
) -> None:
    """Handlers raise; write_error alone turns what they raise into the JSON error."""

    def refused() -> None:
        raise SmCostError("busy_elsewhere", "try later", 409)

    def broken() -> None:
        raise RuntimeError("a bug's private details")

    monkeypatch.setattr(smcost_service, "get_idle", refused)
    code, err = await fetch_json(jp_fetch, "smcost", "idle")
    assert (code, err) == (409, {"error": {"code": "busy_elsewhere", "message": "try later"}})
    monkeypatch.setattr(smcost_service, "get_idle", broken)
    code, err = await fetch_json(jp_fetch, "smcost", "idle")
    assert (code, err["error"]["code"]) == (500, "internal_error")
    assert "private" not in err["error"]["message"]
    r = await jp_fetch("smcost", "switch", method="DELETE", raise_error=False)
    assert r.code == 405 and r.headers["Allow"] == "GET, POST"  # RFC 9110
    assert json.loads(r.body)["error"]["code"] == "method_not_allowed"
