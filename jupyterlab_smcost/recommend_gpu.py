"""Right-sizing rules for GPUs that are used: fewer of them, or a smaller one. Pure.

Both read what the usage sampler counts per sample (:attr:`Reading.gpus_in_use`: a GPU
with utilisation of at least 5% or at least 1 GiB of memory used) and the fullest GPU's
peak memory, and offer only a cheaper type that fits CPU and memory with headroom
(:func:`recommend.fits`, the same test the other rules use):

- ``fewer_gpus``: the p95 of GPUs in use is below the instance's count: the cheapest type
  with the same GPU model, at least that many GPUs (rounded up), and per-GPU memory that
  holds the peak with 30% headroom.
- ``smaller_gpu``: the busiest GPU's utilisation p95 under :data:`GPU_LOW` and the peak
  per-GPU memory fits a GPU with less memory than this one with 30% headroom: the cheapest
  type with such GPUs (at least as many as are in use). A smaller GPU is a slower one: the
  item says so. A GPU busier than that is never downsized.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Optional

from .messages import Param
from .pricing import Quote, Specs
from .usage import UsageSummary

#: GPU utilisation p95 under which a smaller (slower) GPU is offered
GPU_LOW = 0.30

Candidate = tuple[str, Quote, Optional[Specs]]
#: rule, type, price, specs, why, and the figures of ``why`` (its message's params, less
#: the type's specs and the measured use, which the caller adds)
Offer = tuple[str, str, Quote, Specs, str, dict[str, Param]]


def _gib(x: float) -> str:
    return f"{x:.1f} GiB" if x < 10 else f"{x:.0f} GiB"


def gpus_needed(summary: UsageSummary) -> Optional[int]:
    """GPUs the work needs: the p95 of GPUs in use, rounded up (at least 1); None when not
    counted."""
    if summary.gpus_in_use_p95 is None:
        return None
    return max(1, math.ceil(summary.gpus_in_use_p95 - 1e-9))


def _cheapest(rows: list[tuple[str, Quote, Specs]]) -> Optional[tuple[str, Quote, Specs]]:
    if not rows:
        return None
    return min(rows, key=lambda r: (r[1].per_hour, r[2].gpu_count, r[2].vcpu, r[0]))  # type: ignore


def gpu_offers(
    summary: UsageSummary,
    current_type: str,
    current: Specs,
    current_per_hour: float,
    candidates: Sequence[Candidate],
    fits: Callable[[str, Specs], bool],
    usage: str,
    headroom: float,
) -> list[Offer]:
    """The ``fewer_gpus`` and ``smaller_gpu`` offers (at most one each) for an instance
    whose GPUs are used. ``candidates``: types other than this one, ``fits``: CPU and memory
    fit with headroom; ``headroom``: the share of a GPU's memory the peak may fill."""
    need = gpus_needed(summary)
    peak = summary.gpu_mem_max_gib
    util = summary.gpu_p95
    if need is None or peak is None or not current.gpu_count:
        return []
    cheaper = [
        (t, p, s)
        for t, p, s in candidates
        if s is not None
        and s.gpu_count >= need
        and p.per_hour is not None
        and p.per_hour < current_per_hour
        and peak <= headroom * s.gpu_memory_per_gpu_gib
        and fits(t, s)
    ]
    model, per_gpu = current.gpu_model, current.gpu_memory_per_gpu_gib
    in_use = (
        f"{need} of its {current.gpu_count} {model} GPUs in use (p95 "
        f"{summary.gpus_in_use_p95:.1f}), the fullest holding at most {_gib(peak)} of "
        f"{_gib(per_gpu)}"
    )
    in_use_params: dict[str, Param] = {
        "gpus_needed": need,
        "gpu_count": current.gpu_count,
        "gpu_model": model or "",
        "gpus_in_use_p95": round(summary.gpus_in_use_p95 or 0.0, 2),
        "peak_gpu_memory_gib": round(peak, 3),
        "gpu_memory_gib": round(per_gpu, 3),
    }
    out: list[Offer] = []
    if need < current.gpu_count:
        best = _cheapest(
            [r for r in cheaper if r[2].gpu_model == model and r[2].gpu_count < current.gpu_count]
        )
        if best is not None:
            t, p, s = best
            why = (
                f"{current_type}: {in_use}; {usage}; {t} has {s.gpu_count} {model} "
                f"({_gib(s.gpu_memory_per_gpu_gib)} each) and {s.vcpu} vCPUs, "
                f"{_gib(s.memory_gib)}: enough with 30% headroom"
            )
            params: dict[str, Param] = {
                **in_use_params,
                "new_gpu_count": s.gpu_count,
                "new_gpu_memory_gib": round(s.gpu_memory_per_gpu_gib, 3),
            }
            out.append(("fewer_gpus", t, p, s, why, params))
    if util is not None and util < GPU_LOW:
        best = _cheapest([r for r in cheaper if r[2].gpu_memory_per_gpu_gib < per_gpu])
        if best is not None:
            t, p, s = best
            why = (
                f"{current_type}: {in_use}, the busiest at {100 * util:.0f}% (p95); {usage}; "
                f"{t} has {s.gpu_count} {s.gpu_model} ({_gib(s.gpu_memory_per_gpu_gib)} "
                f"each), enough with 30% headroom: a slower GPU, fine while the work is not "
                f"GPU-bound, as measured"
            )
            params = {
                **in_use_params,
                "gpu_p95": round(util, 4),
                "new_gpu_count": s.gpu_count,
                "new_gpu_model": s.gpu_model or "",
                "new_gpu_memory_gib": round(s.gpu_memory_per_gpu_gib, 3),
            }
            out.append(("smaller_gpu", t, p, s, why, params))
    return out
