"""Live price refreshes never hold the user up: against a Price List API
that accepts connections and never answers, concurrent ``GET prices?refresh=true`` share one
refresh, which fails in bounded time with a readable message, while ``PUT idle``, keep-alive
and status answer at once. (The delay is measured in benchmarks/bench_price_refresh.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.moto_server import aws_env, patched_environ
from support.rest import fetch_json, write_price_cache
from support.silent_endpoint import SilentEndpoint

from jupyterlab_smcost.aws import clients

REGION, COMPONENT = "us-east-1", "Studio-JupyterLab"
ATTEMPTS = 2
#: what the user's requests may take at most while refreshes hang (they take milliseconds;
#: an unbounded refresh held them for minutes)
USER_WAIT_S = 20


@pytest.fixture
def silent(monkeypatch: pytest.MonkeyPatch) -> Iterator[SilentEndpoint]:
    monkeypatch.setattr(clients, "READ_TIMEOUT_S", 2.0)
    with SilentEndpoint() as endpoint:
        env = aws_env("http://127.0.0.1:9", region=REGION)
        env["AWS_MAX_ATTEMPTS"] = str(ATTEMPTS)
        env["AWS_ENDPOINT_URL_PRICING"] = endpoint.url
        with patched_environ(env):
            yield endpoint


@pytest.fixture
def smcost_config(tmp_path: Path, silent: SilentEndpoint) -> dict[str, Any]:
    # a fresh cache: the start-up refresh fetches nothing, only the forced ones do
    items = {"ml.m5.xlarge": {"usd_per_hour": 0.3, "as_of": "2026-11-01"}}
    write_price_cache(tmp_path / "smcost" / "prices", REGION, COMPONENT, items, time.time())
    return {"live_prices": True}


async def user_request(jp_fetch: Any, *parts: str, **kwargs: Any) -> tuple[int, Any]:
    return await asyncio.wait_for(fetch_json(jp_fetch, *parts, **kwargs), USER_WAIT_S)


async def test_hung_refreshes_do_not_delay_the_user(jp_fetch: Any, silent: SilentEndpoint) -> None:
    code, _ = await user_request(jp_fetch, "smcost", "status")  # started, cache loaded
    assert code == 200
    refreshes = [
        asyncio.ensure_future(fetch_json(jp_fetch, "smcost", "prices", params={"refresh": "true"}))
        for _ in range(5)
    ]
    deadline = time.monotonic() + USER_WAIT_S
    while silent.accepted == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert silent.accepted >= 1, "no refresh reached the endpoint"

    code, body = await user_request(
        jp_fetch, "smcost", "idle", method="PUT", body={"timeout_s": 1800}
    )
    assert (code, body["timeout_s"]) == (200, 1800)
    code, _ = await user_request(jp_fetch, "smcost", "idle", "keepalive", method="POST")
    assert code == 200
    code, status = await user_request(jp_fetch, "smcost", "status")
    assert code == 200
    assert (status["price"]["per_hour"], status["price"]["source"]) == (0.3, "live")
    assert not any(r.done() for r in refreshes), "the user's requests waited for a refresh"

    answers = await asyncio.wait_for(asyncio.gather(*refreshes), 60)
    for code, body in answers:
        assert code == 200, body
        assert body["live_error"].startswith(
            "AWS did not answer in time while trying to fetch live prices"
        )
        m5 = next(i for i in body["items"] if i["type"] == "ml.m5.xlarge")
        # the cache still serves
        assert (m5["price"]["per_hour"], m5["price"]["source"]) == (0.3, "live")
    assert silent.accepted == ATTEMPTS  # the five requests shared one refresh
