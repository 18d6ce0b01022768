"""GET smcost/recommendations through a real jupyter_server, validated against openapi.yaml:
measured use of the configured usage source, the allowed types, sampling off, kernels
elsewhere, and no blocking read on the event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from support.environments import KernelsElsewhere, RecordingEnvironment
from support.rest import fetch_json, validate_response
from support.usage import SteadyUsage

from jupyterlab_smcost.usage import Reading, UsageWindow


def _fill(service: Any, cpu: float, mem: float, cpu_count: int, total: float, n: int = 360) -> None:
    sampler = service.usage_sampler
    sampler.stop()  # no real samples from now on
    t = [0.0]
    sampler.window = UsageWindow(3600, clock=lambda: t[0])
    for i in range(n):
        t[0] = i * 10.0
        sampler.window.add(Reading(cpu, cpu_count, mem, total))


@pytest.mark.parametrize("smcost_config", [{"instance_type": "ml.m5.4xlarge"}])
async def test_recommendations_route(jp_fetch: Any, smcost_service: Any) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200
    validate_response("/recommendations", "get", 200, body)
    assert body["items"] == [] and "collecting usage" in body["reason"]
    assert body["window_s"] == 3600 and body["utilization"]["gpu_p95"] is None
    assert smcost_service.usage_sampler.running  # started with the service

    _fill(smcost_service, 0.09, 6.0, 16, 64.0)
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200
    validate_response("/recommendations", "get", 200, body)
    assert body["samples"] == 360 and body["span_s"] == 3590
    u = body["utilization"]
    assert (u["cpu_p50"], u["cpu_p95"], u["mem_p95"], u["gpu_p95"]) == (0.09, 0.09, 0.0938, None)
    current = body["current"]
    assert current["type"] == "ml.m5.4xlarge"
    assert (current["price"]["per_hour"], current["price"]["source"]) == (0.922, "bundled")
    [item] = body["items"]
    assert (item["type"], item["savings_per_month"], item["confidence"]) == (
        "ml.m5.xlarge",
        505.16,
        "high",
    )


@pytest.mark.parametrize(
    "smcost_config",
    [
        {
            "instance_type": "ml.m5.4xlarge",
            "allowed_instance_types": ["ml.m5.2xlarge", "ml.m5.4xlarge"],
        }
    ],
)
async def test_recommendations_honour_allowed_types(jp_fetch: Any, smcost_service: Any) -> None:
    await fetch_json(jp_fetch, "smcost", "recommendations")
    _fill(smcost_service, 0.09, 6.0, 16, 64.0)
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    validate_response("/recommendations", "get", 200, body)
    [item] = body["items"]
    assert item["type"] == "ml.m5.2xlarge" and item["price"]["source"] == "bundled"


@pytest.mark.parametrize("smcost_config", [{"usage_sample_interval": 0}])
async def test_recommendations_off(jp_fetch: Any, smcost_service: Any) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200
    validate_response("/recommendations", "get", 200, body)
    assert smcost_service.usage_sampler is None
    assert body["items"] == [] and "sampling is off" in body["reason"]


@pytest.mark.parametrize("smcost_config", [{"environment_class": KernelsElsewhere}])
async def test_no_recommendations_where_the_kernels_run_elsewhere(jp_fetch: Any) -> None:
    # e.g. Studio Classic: kernels run in KernelGateway apps on other instances
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    validate_response("/recommendations", "get", 200, body)
    assert body["items"] == [] and "other instances" in body["reason"]


@pytest.mark.parametrize("smcost_config", [{"environment_class": RecordingEnvironment}])
async def test_valid_types_are_never_read_on_the_event_loop(
    jp_fetch: Any, smcost_service: Any
) -> None:
    """botocore's model behind valid_instance_types is ~1 MB of JSON: never on the loop."""
    code, _ = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 200
    threads = smcost_service.env.threads("valid_instance_types")
    assert threads and threading.get_ident() not in threads


@pytest.mark.parametrize(
    "smcost_config",
    [
        {
            "instance_type": "ml.m5.4xlarge",
            "usage_source_class": SteadyUsage,  # 9% of 16 CPUs, 6 of 64 GiB
            "usage_sample_interval": 0.05,
            "recommend_min_samples": 5,
        }
    ],
)
async def test_recommendations_read_the_configured_usage_source(
    jp_fetch: Any, smcost_service: Any
) -> None:
    source = smcost_service.usage_sampler.source
    assert type(source) is SteadyUsage
    for _ in range(100):
        code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
        if body["samples"] >= 5:
            break
        await asyncio.sleep(0.05)
    validate_response("/recommendations", "get", 200, body)
    u = body["utilization"]
    assert (u["cpu_p50"], u["cpu_p95"], u["mem_p95"], u["gpu_p95"]) == (0.09, 0.09, 0.0938, None)
    assert set(source.threads) == {"smcost-usage"}  # read on the sampler's thread only
