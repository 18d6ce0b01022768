"""The GPU rules (``fewer_gpus``, ``smaller_gpu``) on fake NVML readings through the real
sampler window (injected clock), and the GPU specs of every GPU type in the price book."""

from __future__ import annotations

import csv
import json
from importlib import resources
from typing import Any

from support.nvml import FakeNvml

from jupyterlab_smcost.pricing import PriceBook
from jupyterlab_smcost.recommend import recommend
from jupyterlab_smcost.usage import NvmlGpus, Reading, UsageSummary, UsageWindow

REGION, COMPONENT = "us-east-1", "Studio-JupyterLab"
BOOK = PriceBook()


def measured(
    devices: list[tuple[int, float]],
    *,
    total_gib: float,
    cpu: float,
    cpu_count: int,
    mem_gib: float,
    mem_total: float,
    n: int = 360,
) -> UsageSummary:
    """``n`` samples 10 s apart, each GPU read through NvmlGpus from a fake NVML."""
    t = [0.0]
    w = UsageWindow(3600, clock=lambda: t[0])
    gpus = NvmlGpus(FakeNvml(devices, total_gib))
    for i in range(n):
        t[0] = 10.0 * i
        w.add(Reading(cpu, cpu_count, mem_gib, mem_total, gpus.read()))
    return w.summary()


def run(s: UsageSummary, current: str) -> dict[str, Any]:
    """Against every type the bundled book prices here."""
    return recommend(
        s,
        current,
        BOOK.price(REGION, COMPONENT, current),
        BOOK.specs(current),
        BOOK.table(REGION, COMPONENT),
    )


def test_a_4_gpu_instance_using_one_gpu_is_offered_one_gpu_of_the_same_model() -> None:
    # ml.g5.12xlarge (4 x A10G, 48 vCPU, 192 GiB): GPU 0 at 60% with 9 GiB, the others empty
    s = measured(
        [(60, 9.0), (0, 0.0), (0, 0.0), (0, 0.0)],
        total_gib=24.0,
        cpu=0.05,
        cpu_count=48,
        mem_gib=16.0,
        mem_total=192.0,
    )
    assert s.gpus_in_use_p95 == 1.0 and s.gpu_count == 4
    out = run(s, "ml.g5.12xlarge")
    assert out["reason"] is None
    (item,) = out["items"]  # 60% busy: not offered a slower GPU
    # g5.xlarge (16 GiB) is too small for 16 GiB used with headroom: g5.2xlarge
    assert (item["rule"], item["type"]) == ("fewer_gpus", "ml.g5.2xlarge")
    assert (item["gpu_count"], item["gpu_model"], item["gpu_memory_per_gpu_gib"]) == (
        1,
        "NVIDIA A10G",
        24.0,
    )
    assert item["savings_per_month"] == round((7.09 - 1.52) * 730, 2)
    assert "1 of its 4 NVIDIA A10G GPUs in use" in item["reason"]
    assert "9.0 GiB of 24 GiB" in item["reason"]
    params = item["reason_message"]["params"]  # what the panel says it with, translated
    assert item["reason_message"]["code"] == "rec.fewer_gpus"
    assert (params["gpus_needed"], params["gpu_count"], params["new_gpu_count"]) == (1, 4, 1)
    assert (params["peak_gpu_memory_gib"], params["gpu_memory_gib"]) == (9.0, 24.0)
    assert params["type"] == "ml.g5.2xlarge" and params["current"] == "ml.g5.12xlarge"


def test_two_gpus_in_use_need_two() -> None:
    s = measured(
        [(60, 9.0), (40, 9.0), (0, 0.0), (0, 0.0)],
        total_gib=24.0,
        cpu=0.05,
        cpu_count=48,
        mem_gib=16.0,
        mem_total=192.0,
    )
    out = run(s, "ml.g5.12xlarge")
    # no A10G type has 2 or 3 GPUs: nothing fewer; busy GPUs: nothing smaller
    assert not [i for i in out["items"] if i["rule"] in ("fewer_gpus", "smaller_gpu")]


def test_an_a100_lightly_used_is_offered_a_24_gb_gpu_said_plainly() -> None:
    # ml.p4d.24xlarge (8 x A100 40 GB): one GPU at 20% holding 14 GiB
    s = measured(
        [(20, 14.0)] + [(0, 0.0)] * 7,
        total_gib=40.0,
        cpu=0.04,
        cpu_count=96,
        mem_gib=20.0,
        mem_total=1152.0,
    )
    out = run(s, "ml.p4d.24xlarge")
    assert out["reason"] is None
    (item,) = out["items"]  # no A100 type with fewer GPUs is in the book
    assert item["rule"] == "smaller_gpu"
    # 14 GiB does not fit a 16 GB T4 with 30% headroom; 24 GB does; 8 vCPU / 32 GiB fit
    assert item["gpu_memory_per_gpu_gib"] == 24.0
    assert item["type"] == "ml.g6.2xlarge"  # the cheapest 24 GB type that fits (L4)
    assert "a slower GPU, fine while the work is not GPU-bound, as measured" in item["reason"]
    assert "the busiest at 20% (p95)" in item["reason"]
    params = item["reason_message"]["params"]
    assert item["reason_message"]["code"] == "rec.smaller_gpu"
    assert (params["gpu_p95"], params["new_gpu_memory_gib"]) == (0.2, 24.0)
    assert params["gpu_model"] != params["new_gpu_model"] == item["gpu_model"]
    assert item["savings_per_month"] > 17_000


def test_a_saturated_gpu_is_never_downsized() -> None:
    # one A10G at 99% with 5 GiB: a T4 would hold the memory, but the GPU is the bottleneck
    s = measured([(99, 5.0)], total_gib=24.0, cpu=0.2, cpu_count=4, mem_gib=6.0, mem_total=16.0)
    out = run(s, "ml.g5.xlarge")
    for item in out["items"]:
        assert item["rule"] not in ("fewer_gpus", "smaller_gpu", "gpu_idle")
        assert item["gpu_model"] == "NVIDIA A10G" and item["gpu_count"] >= 1
    # four saturated A10Gs: neither fewer nor smaller
    s4 = measured(
        [(99, 20.0)] * 4, total_gib=24.0, cpu=0.3, cpu_count=48, mem_gib=90.0, mem_total=192.0
    )
    out4 = run(s4, "ml.g5.12xlarge")
    for item in out4["items"]:
        assert item["rule"] not in ("fewer_gpus", "smaller_gpu", "gpu_idle")
        assert item["gpu_count"] >= 4 and item["gpu_memory_per_gpu_gib"] >= 24.0


def test_the_peak_not_the_p95_of_gpu_memory_must_fit() -> None:
    # 20 GiB for 10 samples of 360 (under p95): a 16 GB T4 must not be offered, 24 GB neither
    t = [0.0]
    w = UsageWindow(3600, clock=lambda: t[0])
    nvml = FakeNvml([(20, 8.0), (0, 0.0), (0, 0.0), (0, 0.0)], 40.0)
    gpus = NvmlGpus(nvml)
    for i in range(360):
        t[0] = 10.0 * i
        nvml.devices[0] = (20, 20.0 if i < 10 else 8.0)
        w.add(Reading(0.04, 96, 20.0, 1152.0, gpus.read()))
    s = w.summary()
    assert s.gpu_mem_p95_gib == 8.0 and s.gpu_mem_max_gib == 20.0
    out = run(s, "ml.p4d.24xlarge")
    assert not [i for i in out["items"] if i["rule"] == "smaller_gpu"]


# ---------------------------------------------------------------------------- specs


def test_every_gpu_type_in_the_price_book_has_model_count_and_memory_per_gpu() -> None:
    data = json.loads(resources.files("jupyterlab_smcost").joinpath("data/prices.json").read_text())
    priced = {p["type"] for p in data["prices"]}
    gpu_types = sorted(t for t in priced if t.split(".")[1][0] in "gp")
    assert len(gpu_types) >= 25
    for t in gpu_types:
        specs = BOOK.specs(t)
        assert specs is not None, t
        assert specs.gpu_count > 0 and specs.gpu_model, t
        assert specs.gpu_memory_per_gpu_gib > 0, t
        assert data["specs"][t]["source"], t


def test_per_gpu_memory_agrees_with_the_per_gpu_source_table() -> None:
    """sagemaker_prices_2.csv states memory per GPU; the book keeps the total."""
    src = resources.files("jupyterlab_smcost").joinpath("data/sources/sagemaker_prices_2.csv")
    seen = 0
    for row in csv.DictReader(src.read_text().splitlines()):
        if int(row["gpu_count"] or 0):
            specs = BOOK.specs(row["instance_type"])
            assert specs is not None
            assert specs.gpu_memory_per_gpu_gib == float(row["gpu_memory_gib"]), row
            assert specs.gpu_count == int(row["gpu_count"])
            seen += 1
    assert seen >= 20
