"""Right-sizing rules: pure, on synthetic utilisation and the bundled prices (the route:
server/test_recommendations_api.py)."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from jupyterlab_smcost.pricing import PriceBook, Quote, Specs
from jupyterlab_smcost.recommend import confidence, recommend
from jupyterlab_smcost.usage import GpuReading, Reading, UsageSummary, UsageWindow

REGION, COMPONENT = "us-east-1", "Studio-JupyterLab"
BOOK = PriceBook()
#: the candidates these rules are tested against (the bundled snapshot prices more types)
CANDIDATES = (
    "ml.t3.medium",
    "ml.m5.xlarge",
    "ml.m5.4xlarge",
    "ml.m6i.4xlarge",
    "ml.r5.4xlarge",
    "ml.r6i.4xlarge",
    "ml.r6i.8xlarge",
    "ml.c6i.8xlarge",
    "ml.g4dn.xlarge",
    "ml.g5.xlarge",
    "ml.g6.xlarge",
)


def summary(
    cpu: float,
    mem_gib: float,
    *,
    cpu_count: int,
    mem_total: float,
    gpu: Optional[float] = None,
    gpus: int = 1,
    n: int = 360,
    interval_s: float = 10.0,
) -> UsageSummary:
    """``n`` identical samples ``interval_s`` apart through a real window (injected clock)."""
    t = [0.0]
    w = UsageWindow(3600, clock=lambda: t[0])
    for i in range(n):
        t[0] = i * interval_s
        g = () if gpu is None else tuple(GpuReading(k, gpu, 2.0, 24.0) for k in range(gpus))
        w.add(Reading(cpu, cpu_count, mem_gib, mem_total, g))
    return w.summary()


def run(s: UsageSummary, current: str, table: Optional[list[Any]] = None, **kw: Any) -> dict:
    rows = table if table is not None else BOOK.table(REGION, COMPONENT, CANDIDATES)
    out = recommend(
        s, current, BOOK.price(REGION, COMPONENT, current), BOOK.specs(current), rows, **kw
    )
    check_messages(out)
    return out


def check_messages(out: dict) -> None:
    """Every reason (of the result and of each item) has its coded message, the same text."""
    if out["reason"] is None:
        assert "reason_message" not in out
    else:
        assert out["reason_message"]["text"] == out["reason"]
        assert out["reason_message"]["code"] not in ("text", None)
    for it in out["items"]:
        assert it["reason_message"]["code"] == f"rec.{it['rule']}"
        assert it["reason_message"]["text"] == it["reason"]


def only(result: dict) -> dict:
    assert result["reason"] is None, result["reason"]
    assert len(result["items"]) == 1, result
    return result["items"][0]


# ---------------------------------------------------------------------------- over-provisioned


def test_over_provisioned_m5_4xlarge_to_m5_xlarge_exact_savings() -> None:
    # 1.44 of 16 vCPUs and 6 GiB of 64: t3.medium (2 vCPU, 4 GiB) is too small for 6 GiB
    item = only(run(summary(0.09, 6.0, cpu_count=16, mem_total=64), "ml.m5.4xlarge"))
    assert item["type"] == "ml.m5.xlarge" and item["rule"] == "over_provisioned"
    assert item["price"]["per_hour"] == 0.23
    assert item["savings_per_month"] == 505.16  # (0.922 - 0.23) * 730
    assert (item["price"]["source"], item["price"]["as_of"]) == ("bundled", "2026-09-24")
    assert (item["currency"], item["price"]["currency"]) == ("USD", "USD")
    assert item["confidence"] == "high"
    assert (item["vcpu"], item["memory_gib"], item["gpu_count"]) == (4, 16.0, 0)
    assert "saves $505.16/month" in item["reason"]


def test_over_provisioned_picks_the_cheapest_that_fits_even_burstable() -> None:
    item = only(run(summary(0.01, 1.0, cpu_count=16, mem_total=64), "ml.m5.4xlarge"))
    assert item["type"] == "ml.t3.medium" and item["price"]["per_hour"] == 0.05
    assert item["savings_per_month"] == 636.56  # (0.922 - 0.05) * 730
    assert "burstable" in item["reason"]


def test_burstable_needs_average_cpu_under_its_baseline() -> None:
    # 1.0 vCPU busy on average: fits t3.medium's 70% (1.4 vCPU) but not its 20% baseline
    item = only(run(summary(1 / 16, 1.0, cpu_count=16, mem_total=64), "ml.m5.4xlarge"))
    assert item["type"] == "ml.m5.xlarge"


def test_headroom_is_70_percent() -> None:
    # 70% of m5.xlarge's 16 GiB is 11.2 GiB
    fits = only(run(summary(0.05, 11.1, cpu_count=16, mem_total=64), "ml.m5.4xlarge"))
    assert fits["type"] == "ml.m5.xlarge"
    # a little more: the only larger priced types cost as much or more than the current one
    res = run(summary(0.05, 11.3, cpu_count=16, mem_total=64), "ml.m5.4xlarge")
    assert res["items"] == [] and "fits this use" in res["reason"]


def test_well_sized_instance_gets_no_item_and_a_reason() -> None:
    res = run(summary(0.5, 8.0, cpu_count=4, mem_total=16), "ml.m5.xlarge")
    assert res["items"] == [] and "ml.m5.xlarge fits this use" in res["reason"]


# ---------------------------------------------------------------------------- GPU


def test_gpu_idle_recommends_the_cheapest_cpu_type_that_fits_memory() -> None:
    s = summary(0.1, 6.0, cpu_count=4, mem_total=16, gpu=0.01)
    assert s.gpu_p95 == pytest.approx(0.01)
    item = only(run(s, "ml.g5.xlarge"))
    assert item["rule"] == "gpu_idle" and item["type"] == "ml.m5.xlarge"
    assert item["gpu_count"] == 0
    assert item["savings_per_month"] == 861.4  # (1.41 - 0.23) * 730
    assert "GPU" in item["reason"]


def test_gpu_in_use_keeps_the_gpu() -> None:
    s = summary(0.05, 2.0, cpu_count=4, mem_total=16, gpu=0.6)
    res = run(s, "ml.g5.xlarge")
    # no cheaper A10G type: no CPU type may be offered while the GPU works
    assert res["items"] == [] and "fits this use" in res["reason"]
    # a larger A10G instance doing little CPU work may shrink to the smaller one
    rows = BOOK.table("us-west-2", COMPONENT)
    big = summary(0.05, 2.0, cpu_count=8, mem_total=32, gpu=0.6)
    res = recommend(
        big,
        "ml.g5.2xlarge",
        BOOK.price("us-west-2", COMPONENT, "ml.g5.2xlarge"),
        BOOK.specs("ml.g5.2xlarge"),
        rows,
    )
    item = only(res)
    assert item["type"] == "ml.g5.xlarge" and item["gpu_model"] == "NVIDIA A10G"
    assert item["savings_per_month"] > 0


def test_gpu_not_measured_is_never_called_idle() -> None:
    s = summary(0.02, 2.0, cpu_count=4, mem_total=16)  # no NVML data
    assert s.gpu_p95 is None
    res = run(s, "ml.g4dn.xlarge")
    assert res["items"] == [] and "not measured" in res["reason"]


def test_gpu_idle_threshold_is_5_percent() -> None:
    res = run(summary(0.05, 2.0, cpu_count=4, mem_total=16, gpu=0.06), "ml.g4dn.xlarge")
    assert all(i["rule"] != "gpu_idle" for i in res["items"])
    item = only(run(summary(0.05, 2.0, cpu_count=4, mem_total=16, gpu=0.04), "ml.g4dn.xlarge"))
    assert item["rule"] == "gpu_idle"


# ---------------------------------------------------------------------------- under-provisioned


def test_cpu_saturated_recommends_a_larger_type_and_says_it_costs_more() -> None:
    item = only(run(summary(0.97, 4.0, cpu_count=4, mem_total=16), "ml.m5.xlarge"))
    assert item["rule"] == "under_provisioned"
    assert item["type"] == "ml.m5.4xlarge" and item["vcpu"] > 4
    assert item["savings_per_month"] == -505.16
    assert "costs $505.16/month more" in item["reason"]


def test_saturated_always_means_larger_than_the_current_type() -> None:
    # local mode: a 4-CPU machine priced as ml.m5.4xlarge (16 vCPU) runs at 95%. Headroom
    # alone (5.4 vCPU) would accept ml.m6i.4xlarge (16 vCPU); it must offer more than 16.
    item = only(run(summary(0.95, 4.0, cpu_count=4, mem_total=16), "ml.m5.4xlarge"))
    assert item["rule"] == "under_provisioned" and item["vcpu"] > 16
    assert item["type"] == "ml.c6i.8xlarge"


def test_memory_saturated_recommends_more_memory() -> None:
    item = only(run(summary(0.2, 15.2, cpu_count=4, mem_total=16), "ml.m5.xlarge"))
    assert item["rule"] == "under_provisioned" and "memory" in item["reason"]
    assert item["memory_gib"] >= 15.2 / 0.7


def test_under_provisioned_with_estimated_prices_carries_the_source() -> None:
    table = BOOK.table(REGION, COMPONENT, ["ml.m5.8xlarge", "ml.m5.12xlarge"])
    item = only(run(summary(0.95, 4.0, cpu_count=4, mem_total=16), "ml.m5.xlarge", table))
    assert item["type"] == "ml.m5.8xlarge" and item["price"]["source"] == "estimated"
    assert item["price"]["per_hour"] == 1.844  # 2 x ml.m5.4xlarge, labelled
    assert "estimate" in item["reason"]


def test_unknown_price_is_offered_only_when_nothing_priced_fits_and_says_so() -> None:
    unknown = Quote(None, "unknown", None, "no price")
    big = Specs(vcpu=64, memory_gib=256.0)
    table = [("ml.m5.16xlarge", unknown, big)]
    s = summary(0.97, 4.0, cpu_count=4, mem_total=16)
    item = only(run(s, "ml.m5.xlarge", table))
    assert item["price"]["per_hour"] is None and item["savings_per_month"] is None
    assert item["price"]["source"] == "unknown" and "unknown" in item["reason"]
    # never as a saving: an unpriced small type is not "cheaper"
    small = [("ml.m5.large", unknown, Specs(vcpu=2, memory_gib=8.0))]
    res = run(summary(0.01, 1.0, cpu_count=16, mem_total=64), "ml.m5.4xlarge", small)
    assert res["items"] == []


def test_current_price_unknown() -> None:
    s = summary(0.01, 1.0, cpu_count=16, mem_total=64)
    res = recommend(
        s, "ml.x9.huge", Quote(None, "unknown"), Specs(16, 64.0), BOOK.table(REGION, COMPONENT)
    )
    assert res["items"] == [] and "unknown" in res["reason"]


def test_elastic_inference_and_inferentia_are_never_recommended() -> None:
    cheap = Quote(0.01, "bundled", "2026-01-01")
    table = [
        ("ml.eia2.medium", cheap, Specs(vcpu=64, memory_gib=512.0)),
        ("ml.inf1.xlarge", cheap, Specs(vcpu=64, memory_gib=512.0)),
        *BOOK.table(REGION, COMPONENT),
    ]
    item = only(run(summary(0.09, 6.0, cpu_count=16, mem_total=64), "ml.m5.4xlarge", table))
    assert item["type"] == "ml.m5.xlarge"


# ---------------------------------------------------------------------------- not enough data


def test_too_few_samples_gives_no_items_and_says_why() -> None:
    res = run(summary(0.01, 1.0, cpu_count=16, mem_total=64, n=10), "ml.m5.4xlarge")
    assert res["items"] == [] and "10 of 30 samples" in res["reason"]
    assert "4 min more" in res["reason"]  # 20 samples x 10 s


def test_unknown_specs_or_type() -> None:
    s = summary(0.01, 1.0, cpu_count=16, mem_total=64)
    res = recommend(s, "ml.x9.huge", Quote(1.0, "bundled"), None, [])
    assert res["items"] == [] and "no vCPU/memory specs" in res["reason"]
    assert "not known" in recommend(s, None, Quote(None, "unknown"), None, [])["reason"]


@pytest.mark.parametrize(
    "n, spacing, interval, expected",
    [
        (360, 10, 10, "high"),  # the full hour, every sample
        (200, 10, 10, "medium"),  # 55% of the hour
        (100, 10, 10, "medium"),  # 27.5%
        (60, 10, 10, "low"),  # 10 minutes of an hour
        (360, 10, 1, "medium"),  # the full hour, but a tenth of the expected samples
        (3600, 1, 1, "high"),
    ],
)
def test_confidence_from_samples_and_coverage(
    n: int, spacing: float, interval: float, expected: str
) -> None:
    s = summary(0.1, 1.0, cpu_count=4, mem_total=16, n=n, interval_s=spacing)
    assert confidence(s, interval, 30) == expected


# ---------------------------------------------------------------------------- message codes


def test_reasons_carry_a_code_and_params_next_to_the_text() -> None:
    item = only(run(summary(0.09, 6.0, cpu_count=16, mem_total=64), "ml.m5.4xlarge"))
    assert item["reason_message"] == {
        "code": "rec.over_provisioned",
        "text": item["reason"],
        "params": {
            "burstable": 0,
            "cpu_count": 16,
            "cpu_p95": 0.09,
            "current": "ml.m5.4xlarge",
            "mem_p95_gib": 6.0,
            "mem_total_gib": 64.0,
            "memory_gib": 16.0,
            "type": "ml.m5.xlarge",
            "vcpu": 4,
        },
    }
    few = run(summary(0.09, 6.0, cpu_count=16, mem_total=64, n=10), "ml.m5.4xlarge")
    assert few["reason_message"]["code"] == "rec.collecting"
    assert few["reason_message"]["params"] == {"samples": 10, "needed": 30, "minutes": 4}
    none = run(summary(0.09, 6.0, cpu_count=16, mem_total=64), "")
    assert none["reason_message"]["code"] == "rec.type_unknown"
    fits = run(summary(0.5, 10.0, cpu_count=4, mem_total=16), "ml.m5.xlarge")
    assert fits["reason_message"]["code"] == "rec.fits"
    assert fits["reason_message"]["params"]["gpu_unmeasured"] == 0
    idle = only(run(summary(0.05, 4.0, cpu_count=4, mem_total=16, gpu=0.01), "ml.g4dn.xlarge"))
    assert idle["reason_message"]["params"]["gpu_p95"] == 0.01
    assert idle["reason_message"]["params"]["gpu_count"] == 1
