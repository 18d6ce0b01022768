"""The right-sizing rules alone: made-up specs and prices, figures checked by hand."""

from __future__ import annotations

import pytest

from jupyterlab_smcost.janitor import rightsize_measured as m
from jupyterlab_smcost.janitor import rightsize_rules as r
from jupyterlab_smcost.pricing import Quote, Specs

CPU4 = Specs(vcpu=4, memory_gib=16.0)
CPU2 = Specs(vcpu=2, memory_gib=8.0)
CPU16 = Specs(vcpu=16, memory_gib=64.0)
GPU1 = Specs(vcpu=4, memory_gib=16.0, gpu_count=1, gpu_model="A10G", gpu_memory_gib=24.0)
GPU4 = Specs(vcpu=48, memory_gib=192.0, gpu_count=4, gpu_model="A10G", gpu_memory_gib=96.0)
T4 = Specs(vcpu=4, memory_gib=16.0, gpu_count=1, gpu_model="T4", gpu_memory_gib=16.0)


def q(per_hour, source="bundled", currency="USD") -> Quote:
    return Quote(per_hour, source, currency=currency)


CANDIDATES = [
    m.Candidate("ml.c5.large", Specs(vcpu=2, memory_gib=4.0), q(0.1)),
    m.Candidate("ml.m5.large", CPU2, q(0.12)),
    m.Candidate("ml.t3.large", CPU2, q(0.05)),  # burstable: never proposed
    m.Candidate("ml.m6g.large", CPU2, q(0.04)),  # ARM: never proposed
    m.Candidate("ml.m5.xlarge", CPU4, q(0.25)),
    m.Candidate("ml.g5.xlarge", GPU1, q(1.4)),
    m.Candidate("ml.g4dn.xlarge", T4, q(0.7)),  # another GPU model
    m.Candidate("ml.m5.4xlarge", CPU16, q(1.0)),
    m.Candidate("ml.r5.large", Specs(vcpu=2, memory_gib=16.0), q(None, "unknown")),
]


def variant(**kw) -> m.Variant:
    base = dict(
        endpoint="e",
        variant="v",
        instance_type="ml.m5.4xlarge",
        instance_count=2,
        specs=CPU16,
        price=q(1.0),
        usage=m.Usage(invocations=100.0, per_instance_minute=2.0, cpu_pct=100.0, memory_pct=10.0),
    )
    base.update(kw)
    return m.Variant(**base)


def test_p95_nearest_rank():
    assert m.p95([]) is None
    assert m.p95([5.0]) == 5.0
    assert m.p95([float(i) for i in range(1, 101)]) == 95.0
    assert m.p95([1.0] * 19 + [100.0]) == 1.0  # 20 values: the 19th


def test_saving_unknown_or_other_currency_is_none():
    assert m.saving(q(1.0), 2, q(0.25), 2) == pytest.approx(1095.0)
    assert m.saving(q(1.0), 2, None, 0) == 1460.0
    assert m.saving(q(None, "unknown"), 2, q(0.25), 2) is None
    assert m.saving(q(1.0), 2, q(None, "unknown"), 2) is None
    assert m.saving(q(1.0), 2, q(0.25, currency="CNY"), 2) is None


def test_idle_only_without_invocations():
    idle = r.rule_idle(variant(usage=m.Usage(invocations=0.0)), 14)
    assert idle.rule == "idle" and idle.savings_per_month == 1460.0
    assert idle.instance_count == 0
    assert r.rule_idle(variant(), 14) is None
    assert r.rule_idle(variant(serverless=True, usage=m.Usage()), 14) is None


def test_smaller_type_cheapest_fitting_with_headroom():
    # 1 vCPU x 1.3 = 1.3 vCPU, 6.4 GiB x 1.3 = 8.32 GiB: m5.large's 8 GiB is short
    rec = r.rule_smaller_type(variant(), CANDIDATES)
    assert rec.instance_type == "ml.m5.xlarge" and rec.instance_count == 2
    assert rec.savings_per_month == pytest.approx((1.0 - 0.25) * 2 * 730)
    assert rec.figures["need_vcpu"] == 1.3 and rec.figures["need_memory_gib"] == 8.32
    # memory 6 % (3.84 GiB x 1.3 = 4.99): m5.large fits; the t3 and m6g never do
    u = m.Usage(invocations=1.0, cpu_pct=100.0, memory_pct=6.0)
    assert r.rule_smaller_type(variant(usage=u), CANDIDATES).instance_type == "ml.m5.large"


def test_smaller_type_needs_the_figures_and_a_price():
    assert r.rule_smaller_type(variant(usage=m.Usage(invocations=1.0)), CANDIDATES) is None
    assert r.rule_smaller_type(variant(price=q(None, "unknown")), CANDIDATES) is None
    assert r.rule_smaller_type(variant(specs=None), CANDIDATES) is None
    busy = m.Usage(invocations=1.0, cpu_pct=1300.0, memory_pct=10.0)  # 13 x 1.3 > 16
    assert r.rule_smaller_type(variant(usage=busy), CANDIDATES) is None


def test_gpu_kept_when_used_cpu_type_when_idle():
    gpu = variant(instance_type="ml.g5.12xlarge", specs=GPU4, price=q(7.0), instance_count=1)
    used = m.Usage(
        invocations=1.0, cpu_pct=200.0, memory_pct=5.0, gpu_pct=60.0, gpu_memory_pct=50.0
    )
    # 0.6 GPU x 1.3 -> 1 GPU of the same model, 12 GiB x 1.3 = 15.6 GiB of its memory,
    # 9.6 GiB x 1.3 = 12.48 GiB of host memory
    rec = r.rule_smaller_type(m.Variant(**{**gpu.__dict__, "usage": used}), CANDIDATES)
    assert rec.instance_type == "ml.g5.xlarge"
    assert rec.savings_per_month == pytest.approx((7.0 - 1.4) * 730)
    idle_gpu = m.Usage(
        invocations=1.0, cpu_pct=100.0, memory_pct=10.0, gpu_pct=4.0, gpu_memory_pct=10.0
    )
    rec = r.rule_smaller_type(m.Variant(**{**gpu.__dict__, "usage": idle_gpu}), CANDIDATES)
    # under 5 %: a CPU type holding 19.2 GiB + 2.4 GiB of GPU memory, x 1.3 = 28.08 GiB
    assert rec.instance_type == "ml.m5.4xlarge"
    assert rec.figures["need_memory_gib"] == 28.08
    # no GPU figures: not sized
    nodata = m.Usage(invocations=1.0, cpu_pct=100.0, memory_pct=10.0)
    assert r.rule_smaller_type(m.Variant(**{**gpu.__dict__, "usage": nodata}), CANDIDATES) is None


def test_fewer_instances_and_the_policy_to_add():
    v = variant(
        instance_count=4,
        usage=m.Usage(invocations=1.0, per_instance_minute=10.0, cpu_pct=400.0, memory_pct=50.0),
    )
    rec = r.rule_fewer_instances(v)
    # 0.25 of an instance on each of 4: ceil(4 x 0.25 x 1.3) = 2
    assert rec.instance_count == 2 and rec.savings_per_month == 1460.0
    assert rec.figures["target_invocations_per_instance_minute"] == pytest.approx(30.8)
    assert "--min-capacity 2 --max-capacity 4" in rec.commands[0]
    assert "TargetTrackingScaling" in rec.commands[1]
    assert r.rule_fewer_instances(variant(instance_count=1)) is None
    full = m.Usage(invocations=1.0, cpu_pct=1500.0, memory_pct=10.0)
    assert r.rule_fewer_instances(variant(usage=full)) is None


def test_fewer_instances_with_autoscaling():
    u = m.Usage(invocations=1.0, per_instance_minute=1.0, cpu_pct=100.0, memory_pct=10.0)
    at_min = variant(instance_count=3, usage=u, scaling=m.Scaling(True, 3, 6, ("p",)))
    rec = r.rule_fewer_instances(at_min)
    assert rec.instance_count == 1 and "lower its minimum" in rec.reason
    assert rec.commands == (
        "aws application-autoscaling register-scalable-target --service-namespace sagemaker "
        "--resource-id endpoint/e/variant/v --scalable-dimension "
        "sagemaker:variant:DesiredInstanceCount --min-capacity 1",
    )
    assert r.rule_fewer_instances(m.Variant(**{**at_min.__dict__, "instance_count": 4})) is None
    low_min = variant(instance_count=3, usage=u, scaling=m.Scaling(True, 1, 6))
    assert r.rule_fewer_instances(low_min) is None


def test_consolidate_groups_by_image_and_type():
    u = m.Usage(invocations=5.0, per_instance_minute=0.1, cpu_pct=40.0, memory_pct=20.0)
    members = [
        variant(
            endpoint=f"m{i}",
            instance_type="ml.m5.xlarge",
            specs=CPU4,
            price=q(0.25),
            instance_count=1,
            usage=u,
            image="img:1",
        )
        for i in range(4)
    ]
    other = variant(
        endpoint="x",
        instance_type="ml.m5.xlarge",
        specs=CPU4,
        price=q(0.25),
        instance_count=1,
        usage=u,
        image="img:2",
    )
    found = r.rule_consolidate(members + [other])
    assert set(found) == {(f"m{i}", "v") for i in range(4)}
    rec = found[("m0", "v")]
    # models 4 x 0.2 = 0.8 of an instance, x 1.3 = 1.04: 2 instances, 2 freed of 4
    assert (rec.instance_count, rec.figures["frees"]) == (2, 2)
    assert rec.savings_per_month == pytest.approx(0.25 * 2 * 730 / 4)
    assert sum(x.savings_per_month for x in found.values()) == pytest.approx(365.0)
    busy = m.Usage(invocations=5.0, cpu_pct=200.0, memory_pct=20.0)  # 0.5 of an instance
    assert r.rule_consolidate([m.Variant(**{**v.__dict__, "usage": busy}) for v in members]) == {}


def test_serverless_mentioned_without_figure_and_recommend_idle_alone():
    sparse = variant(
        instance_count=1,
        usage=m.Usage(invocations=3.0, per_instance_minute=0.2, cpu_pct=10.0, memory_pct=5.0),
    )
    rec = r.rule_serverless(sparse)
    assert rec.savings_per_month is None and "serverless inference" in rec.reason
    assert r.rule_serverless(variant()) is None  # 2 a minute: not sparse
    idle = variant(endpoint="i", usage=m.Usage(invocations=0.0, cpu_pct=1.0, memory_pct=1.0))
    found = r.recommend([idle, sparse], CANDIDATES, 14)
    assert [x.rule for x in found[("i", "v")]] == ["idle"]
    assert {x.rule for x in found[("e", "v")]} == {"smaller_type", "serverless"}
    assert r.best_saving(found[("e", "v")]) == found[("e", "v")][0].savings_per_month
    assert r.best_saving([rec]) is None
