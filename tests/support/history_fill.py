"""Write a usage history file as a server that ran before would have left it (tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Optional

from jupyterlab_smcost.history import HOUR, MINUTE, BucketKey, HistoryStore, Running, Span
from jupyterlab_smcost.usage import Aggregate, GpuReading, Reading

Curve = Callable[[int], float]  # minute index -> value


def fill_history(
    path: Path,
    instance_type: str,
    minutes: int,
    cpu: Curve,
    mem_gib: Curve,
    *,
    gpu: Optional[Curve] = None,
    cpu_count: int = 16,
    mem_total: float = 64.0,
    end_ago_s: float = 180,
    usd: Optional[float] = 0.922,
    source: str = "bundled",
    spans: tuple[tuple[float, float], ...] = (),
    spread: float = 0.0,
) -> float:
    """``minutes`` kept minutes of 6 samples each (the values of the curves, the samples
    spread +-``spread`` around them), ending ``end_ago_s`` ago, and the span they ran in,
    plus ``spans`` ((start, end) UNIX seconds) at the same price. Returns the first
    minute."""
    now = time.time()
    last = int((now - end_ago_s) // 60 * 60)
    first = last - 60 * (minutes - 1)
    buckets: dict[BucketKey, Aggregate] = {}
    for i, t in enumerate(range(first, last + 60, 60)):
        a = Aggregate()
        for k in range(6):
            wobble = 1.0 + spread * (k - 2.5) / 2.5
            gpus = ()
            if gpu is not None:
                gpus = (GpuReading(0, min(1.0, gpu(i) * wobble), 1.5, 16.0),)
            a.add(Reading(min(1.0, cpu(i) * wobble), cpu_count, mem_gib(i), mem_total, gpus))
        buckets[(MINUTE, t, instance_type)] = a
        hour = (HOUR, t // HOUR * HOUR, instance_type)
        if hour in buckets:
            buckets[hour].merge(a)
        else:
            buckets[hour] = Aggregate(**vars(a))
    run = Running(instance_type, "us-east-1", "Studio-JupyterLab", usd, source, "2026-09-24")
    all_spans = [(None, Span(start, end, run)) for start, end in spans]
    all_spans.append((None, Span(first, last + 60, run)))
    store = HistoryStore(path)
    store.write(buckets, all_spans)
    store.close()
    return first
