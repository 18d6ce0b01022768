"""The usage history on a real GPU: NVML readings through the sampler's listener into the
SQLite store, read back as minutes, as the chart's series and as the recommendation's
window after a (simulated) restart.

Needs a CUDA GPU, nvidia-ml-py and PyTorch (the load); run from the repository root:

    PYTHONPATH=. python scripts/gpu_history_check.py [--out DIR]

Phases aligned on whole minutes so that each minute bucket is one phase: a minute idle, a
minute of bf16 matrix products, then half a minute idle. Prints what each minute kept and
exits 1 when the busy minute does not read busy or an idle one does not read idle.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from jupyterlab_smcost.history import (
    MINUTE,
    HistoryRecorder,
    HistoryStore,
    Running,
    read_usage,
    series,
    window_summary,
)
from jupyterlab_smcost.usage import NvmlGpus, SystemSource, UsageSampler, UsageWindow

TYPE = "ml.p5.48xlarge"  # any GPU type: the tag the buckets carry


def busy(seconds: float) -> int:
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    n = 0
    end = time.time() + seconds
    while time.time() < end:
        for _ in range(8):
            a @ b
        torch.cuda.synchronize()
        n += 8
    del a, b
    torch.cuda.empty_cache()
    return n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=".")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="smcost-gpu-"))
    gpus = NvmlGpus()
    store = HistoryStore(tmp / "history.sqlite")
    rec = HistoryRecorder(store, flush_s=5)
    rec.set_running([Running(TYPE, "us-east-1", "Studio-JupyterLab", 1.0, "bundled", None)], TYPE)
    sampler = UsageSampler(SystemSource(gpus=gpus), UsageWindow(3600), interval_s=1.0)
    costs: list[float] = []

    def timed(ts: float, r: object) -> None:
        t0 = time.perf_counter()
        rec.on_sample(ts, r)  # type: ignore[arg-type]
        costs.append(time.perf_counter() - t0)

    sampler.add_listener(timed)
    torch.ones(1, device="cuda")  # CUDA up before the clock starts
    start = (time.time() // 60 + 1) * 60
    time.sleep(start - time.time())
    sampler.start()
    time.sleep(60)  # minute A: idle
    products = busy(59.5)  # minute B: bf16 matrix products
    time.sleep(30.5)  # minute C (half): idle
    sampler.stop()
    rec.close()
    rows = {t: a for t, _, a in store.buckets(MINUTE, start - 60, start + 180)}
    minutes = {
        name: rows.get(int(start + 60 * i))
        for i, name in enumerate(("idle_before", "busy", "idle_after"))
    }
    out: dict[str, object] = {
        "gpu": torch.cuda.get_device_name(0),
        "nvml": gpus.why_unavailable or "available",
        "matrix_products": products,
        "listener_cost_ms_median": sorted(costs)[len(costs) // 2] * 1000 if costs else None,
    }
    ok = True
    for name, a in minutes.items():
        if a is None:
            out[name] = None
            ok = False
            continue
        out[name] = {
            "samples": a.n,
            "gpu_mean": round(a.gpu_mean or 0, 4),
            "gpu_max": a.gpu_max,
            "gpu_mem_max_gib": round(a.gpu_mem_max or 0, 2),
            "cpu_mean": round(a.cpu_mean or 0, 4),
        }
    busy_min, idle_a, idle_c = minutes["busy"], minutes["idle_before"], minutes["idle_after"]
    ok = ok and busy_min is not None and (busy_min.gpu_mean or 0) >= 0.9
    ok = ok and all(m is not None and (m.gpu_max or 0) <= 0.05 for m in (idle_a, idle_c))
    # the chart's series and the window a restarted server would start from
    points = series(read_usage(store, [], start, start + 150, 60), 60)
    out["series"] = [
        {k: p[k] for k in ("t", "samples", "gpu_mean", "gpu_max", "gpu_count")} for p in points
    ]
    later = HistoryRecorder(HistoryStore(tmp / "history.sqlite"))
    kept = later.kept_window(TYPE, 3600, 1.0)
    s = window_summary(3600, [], kept, 1.0)
    out["restarted_window"] = {
        "kept_minutes": len(kept),
        "samples": s.samples,
        "gpu_count": s.gpu_count,
        "gpu_p50": s.gpu_p50,
        "gpu_p95": s.gpu_p95,
        "gpu_mem_total_gib": s.gpu_mem_total_gib,
    }
    ok = ok and s.gpu_count >= 1 and (s.gpu_p95 or 0) >= 0.9
    out["ok"] = ok
    text = json.dumps(out, indent=1)
    print(text)
    Path(args.out, "gpu_history.json").write_text(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
