"""The right-sizing rules of ``jupyter smcost endpoints rightsize``: pure functions of what was
measured (no AWS, no clock), each recommendation with the figures that triggered it and what it
saves per month.

Units, as CloudWatch reports them for ``/aws/sagemaker/Endpoints``: ``CPUUtilization`` and
``GPUUtilization`` are summed over the instance's vCPUs / GPUs (an instance with 4 vCPUs reads
0-400 %), ``GPUMemoryUtilization`` is summed over its GPUs too, ``MemoryUtilization`` is 0-100 %.
Every figure here is per instance (the p95 over the window of the hourly maxima, see
:mod:`.rightsize`).

Rules:

- ``idle``: no invocations in the window: deleting the endpoint saves what it costs;
- ``smaller_type``: the p95 need, with :data:`HEADROOM`, fits a cheaper Hosting type (the same
  GPU model while the GPU is used, a CPU type when GPU use stayed under
  :data:`GPU_UNUSED_PCT`);
- ``fewer_instances``: more than one instance and the p95 load fits on fewer; without
  autoscaling, the target-tracking policy to add (the AWS CLI commands);
- ``consolidate``: several low-traffic endpoints with the same image on the same type fit on
  fewer instances as one multi-model endpoint (or inference components);
- ``serverless``: sparse traffic: serverless inference or scale to zero, with no saving figure
  (no price for them is in the price book).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Optional

from ..pricing import Specs, family
from .rightsize_measured import (
    Candidate,
    Recommendation,
    Variant,
    fmt_figure,
    gpus_of,
    least_sure,
    load_fraction,
    saving,
)

HEADROOM = 1.3  # p95 need x 1.3 must fit: 30 % headroom
GPU_UNUSED_PCT = 5.0  # p95 GPU utilisation (summed over GPUs) under this: the GPU is not used
LOW_TRAFFIC_LOAD = 0.3  # consolidate: p95 load under 30 % of one instance
SPARSE_PER_MINUTE = 1.0  # serverless: p95 under one invocation per instance per minute
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
#: Graviton (ARM) families: an x86 inference image does not run there
_ARM_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")


# ------------------------------------------------------------------------------ rules


def rule_idle(v: Variant, days: float) -> Optional[Recommendation]:
    if v.usage.invocations > 0 or v.serverless:
        return None
    money = saving(v.price, v.instance_count, None, 0)
    return Recommendation(
        "idle",
        None,
        0,
        money,
        v.price.currency,
        v.price.source,
        f"no invocations in {days:g} days: delete the endpoint "
        f"(aws sagemaker delete-endpoint --endpoint-name {v.endpoint})",
        {"invocations": v.usage.invocations, "days": days},
        (f"aws sagemaker delete-endpoint --endpoint-name {v.endpoint}",),
    )


@dataclass(frozen=True)
class Need:
    """Per instance, with headroom: what a type must have."""

    vcpu: float
    memory_gib: float
    gpus: float  # 0: no GPU needed
    gpu_memory_gib: float  # all GPUs together
    gpu_model: Optional[str]

    def fits(self, c: Specs) -> bool:
        if c.vcpu < self.vcpu or c.memory_gib < self.memory_gib:
            return False
        if not self.gpus:
            return c.accelerators == 0
        if c.gpu_count < self.gpus or c.gpu_model != self.gpu_model:
            return False
        return c.gpu_memory_gib >= self.gpu_memory_gib


def need(v: Variant) -> Optional[Need]:
    """The p95 need per instance with :data:`HEADROOM`; None without the figures to tell."""
    s, u = v.specs, v.usage
    if s is None or u.cpu_pct is None or u.memory_pct is None:
        return None
    memory = u.memory_pct / 100.0 * s.memory_gib
    gpus = gpus_of(s)
    if s.accelerators and not gpus:
        return None  # Inferentia/Trainium: no utilisation figures to size on
    gpu_used = used_gpu_memory = 0.0
    if gpus:
        if u.gpu_pct is None or u.gpu_memory_pct is None:
            return None
        gpu_used = u.gpu_pct / 100.0  # GPUs' worth (summed over GPUs)
        # summed over GPUs too: 100 % is one GPU's memory
        used_gpu_memory = u.gpu_memory_pct / 100.0 * s.gpu_memory_gib / gpus
        if u.gpu_pct < GPU_UNUSED_PCT:
            # a CPU type then holds in host memory what the GPU held
            memory += used_gpu_memory
            gpu_used = 0.0
    return Need(
        vcpu=u.cpu_pct / 100.0 * HEADROOM,
        memory_gib=memory * HEADROOM,
        gpus=math.ceil(gpu_used * HEADROOM) if gpu_used else 0,
        gpu_memory_gib=used_gpu_memory * HEADROOM if gpu_used else 0.0,
        gpu_model=s.gpu_model if gpu_used else None,
    )


def eligible(candidate: Candidate, current: Optional[str]) -> bool:
    """Types a variant may move to: priced, not burstable (``t``), not ARM (another image)."""
    fam = family(candidate.instance_type) or ""
    return (
        candidate.price.per_hour is not None
        and candidate.instance_type != current
        and not fam.startswith("t")
        and not _ARM_FAMILY.match(fam)
    )


def rule_smaller_type(v: Variant, candidates: list[Candidate]) -> Optional[Recommendation]:
    n = need(v)
    if n is None or v.price.per_hour is None or v.serverless:
        return None
    fitting = [
        c
        for c in candidates
        if eligible(c, v.instance_type)
        and n.fits(c.specs)
        and c.price.currency == v.price.currency
        and (c.price.per_hour or 0) < v.price.per_hour
    ]
    if not fitting:
        return None
    best = min(fitting, key=lambda c: (c.price.per_hour, c.specs.vcpu, c.instance_type))
    u = v.usage
    figures: dict[str, Any] = {
        "cpu_utilization_p95": u.cpu_pct,
        "vcpu": v.specs.vcpu if v.specs else None,
        "memory_utilization_p95": u.memory_pct,
        "need_vcpu": round(n.vcpu, 2),
        "need_memory_gib": round(n.memory_gib, 2),
        "headroom": HEADROOM,
        "current_per_hour": v.price.per_hour,
        "new_per_hour": best.price.per_hour,
    }
    gpu_note = ""
    if gpus_of(v.specs):
        figures.update(gpu_utilization_p95=u.gpu_pct, gpu_memory_utilization_p95=u.gpu_memory_pct)
        gpu_note = (
            f", GPU {fmt_figure(u.gpu_pct, 1)}% (under {GPU_UNUSED_PCT:g}%: a CPU type)"
            if not n.gpus
            else f", {n.gpus:g} x {n.gpu_model} kept"
        )
    reason = (
        f"p95 per instance: CPU {fmt_figure(u.cpu_pct, 1)}% of {figures['vcpu']} vCPU x100%, "
        f"memory {fmt_figure(u.memory_pct, 1)}%{gpu_note}; "
        f"with {int((HEADROOM - 1) * 100)}% headroom "
        f"it needs {n.vcpu:.2f} vCPU and {n.memory_gib:.1f} GiB: {best.instance_type} "
        f"({best.specs.vcpu} vCPU, {best.specs.memory_gib:g} GiB) fits"
    )
    return Recommendation(
        "smaller_type",
        best.instance_type,
        v.instance_count,
        saving(v.price, v.instance_count, best.price, v.instance_count),
        v.price.currency,
        least_sure(v.price, best.price),
        reason,
        figures,
    )


def scaling_commands(v: Variant, min_capacity: int, max_capacity: int, target: float) -> tuple:
    policy = {
        "TargetValue": round(target, 1),
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        },
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 60,
    }
    common = (
        f"--service-namespace sagemaker --resource-id {v.resource_id} "
        f"--scalable-dimension {SCALABLE_DIMENSION}"
    )
    return (
        f"aws application-autoscaling register-scalable-target {common} "
        f"--min-capacity {min_capacity} --max-capacity {max_capacity}",
        f"aws application-autoscaling put-scaling-policy {common} "
        f"--policy-name {v.endpoint}-{v.variant}-invocations --policy-type TargetTrackingScaling "
        f"--target-tracking-scaling-policy-configuration '{json.dumps(policy)}'",
    )


def rule_fewer_instances(v: Variant) -> Optional[Recommendation]:
    frac = load_fraction(v)
    if v.instance_count <= 1 or frac is None or v.usage.invocations <= 0:
        return None
    needed = max(1, math.ceil(v.instance_count * frac * HEADROOM - 1e-9))
    if needed >= v.instance_count:
        return None
    figures: dict[str, Any] = {
        "instance_count": v.instance_count,
        "load_p95": round(frac, 4),
        "headroom": HEADROOM,
        "instances_needed": needed,
        "invocations_per_instance_minute_p95": v.usage.per_instance_minute,
    }
    load = f"p95 load {frac * 100:.1f}% of an instance on each of {v.instance_count}"
    commands: tuple[str, ...] = ()
    if v.scaling.managed:
        if v.scaling.min_capacity is None or v.scaling.min_capacity <= needed:
            return None  # autoscaling may already go down to what is needed
        if v.instance_count != v.scaling.min_capacity:
            return None  # above its minimum: the policy is scaling on load
        reason = (
            f"{load}: {needed} would do with {int((HEADROOM - 1) * 100)}% headroom; "
            f"autoscaling keeps at least {v.scaling.min_capacity}: lower its minimum capacity"
        )
        commands = (
            "aws application-autoscaling register-scalable-target --service-namespace sagemaker "
            f"--resource-id {v.resource_id} --scalable-dimension {SCALABLE_DIMENSION} "
            f"--min-capacity {needed}",
        )
    else:
        per_minute = v.usage.per_instance_minute
        # the per-instance rate at which the load reaches 1 / HEADROOM of an instance
        target = per_minute / (frac * HEADROOM) if per_minute and frac > 0 else None
        figures["target_invocations_per_instance_minute"] = (
            None if target is None else round(target, 1)
        )
        reason = (
            f"{load}: {needed} would do with {int((HEADROOM - 1) * 100)}% headroom, and no "
            "autoscaling manages it: add target tracking on InvocationsPerInstance"
        )
        if target is not None:
            commands = scaling_commands(v, needed, v.instance_count, target)
    return Recommendation(
        "fewer_instances",
        v.instance_type,
        needed,
        saving(v.price, v.instance_count, v.price, needed),
        v.price.currency,
        v.price.source,
        reason,
        figures,
        commands,
    )


def rule_serverless(v: Variant) -> Optional[Recommendation]:
    per_minute = v.usage.per_instance_minute
    if v.serverless or v.usage.invocations <= 0 or per_minute is None:
        return None
    if per_minute >= SPARSE_PER_MINUTE:
        return None
    gpu_used = gpus_of(v.specs) and (v.usage.gpu_pct or 0) >= GPU_UNUSED_PCT
    option = (
        "scale to zero (inference components with a minimum of 0 copies)"
        if gpu_used
        else "serverless inference, or scale to zero (inference components)"
    )
    return Recommendation(
        "serverless",
        None,
        0,
        None,
        v.price.currency,
        "unknown",
        f"sparse traffic (p95 {per_minute:.2f} invocations per instance per minute): {option} "
        "bills per request; no price for it is in the price book, so the saving is not given",
        {"invocations_per_instance_minute_p95": per_minute, "invocations": v.usage.invocations},
    )


def rule_consolidate(variants: list[Variant]) -> dict[tuple[str, str], Recommendation]:
    """Low-traffic single-variant endpoints with the same image on the same type: how many
    instances one multi-model endpoint would need; the saving split by instance count."""
    groups: dict[tuple[str, str], list[tuple[Variant, float]]] = {}
    per_endpoint: dict[str, int] = {}
    for v in variants:
        per_endpoint[v.endpoint] = per_endpoint.get(v.endpoint, 0) + 1
    for v in variants:
        frac = load_fraction(v)
        if (
            per_endpoint[v.endpoint] != 1
            or v.image is None
            or v.instance_type is None
            or v.serverless
            or v.usage.invocations <= 0
            or frac is None
            or v.usage.memory_pct is None
            or frac >= LOW_TRAFFIC_LOAD
        ):
            continue
        groups.setdefault((v.image, v.instance_type), []).append((v, frac))
    out: dict[tuple[str, str], Recommendation] = {}
    for (image, itype), members in groups.items():
        if len(members) < 2:
            continue
        instances = sum(v.instance_count for v, _ in members)
        load = sum(v.instance_count * frac for v, frac in members)
        memory = sum((v.usage.memory_pct or 0) / 100.0 for v, _ in members)  # one model each
        needed = max(1, math.ceil(max(load, memory) * HEADROOM - 1e-9))
        frees = instances - needed
        if frees < 1:
            continue
        names = tuple(sorted(v.endpoint for v, _ in members))
        for v, frac in members:
            share = saving(v.price, frees, None, 0)
            money = None if share is None else round(share * v.instance_count / instances, 2)
            out[(v.endpoint, v.variant)] = Recommendation(
                "consolidate",
                itype,
                needed,
                money,
                v.price.currency,
                v.price.source,
                f"{len(members)} low-traffic endpoints run {image} on {itype} "
                f"({instances} instances, p95 load {load:.2f} and models {memory:.2f} "
                f"instances' worth): one multi-model endpoint (or inference components) on "
                f"{needed} would free {frees}; this endpoint's share of the saving",
                {
                    "endpoints": len(members),
                    "instances": instances,
                    "instances_needed": needed,
                    "frees": frees,
                    "load_p95": round(frac, 4),
                },
                group=names,
            )
    return out


def recommend(
    variants: list[Variant], candidates: list[Candidate], days: float
) -> dict[tuple[str, str], list[Recommendation]]:
    """Every rule over every variant; an idle one gets ``idle`` alone."""
    consolidated = rule_consolidate(variants)
    out: dict[tuple[str, str], list[Recommendation]] = {}
    for v in variants:
        idle = rule_idle(v, days)
        if idle:
            out[(v.endpoint, v.variant)] = [idle]
            continue
        found = [
            rule_smaller_type(v, candidates),
            rule_fewer_instances(v),
            consolidated.get((v.endpoint, v.variant)),
            rule_serverless(v),
        ]
        out[(v.endpoint, v.variant)] = [r for r in found if r is not None]
    return out


def best_saving(recommendations: list[Recommendation]) -> Optional[float]:
    """The largest known saving among a variant's recommendations (they overlap: never summed)."""
    known = [r.savings_per_month for r in recommendations if r.savings_per_month is not None]
    return max(known) if known else None
