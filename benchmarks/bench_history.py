"""The usage history: what a write costs per sample, and what GET smcost/history costs
against GET smcost/status.

1. Writes: 30 days of samples every 10 s (259,200, with GPU data) through the recorder as
   the sampler thread feeds it (aggregated in memory, one transaction a minute), with a
   simulated clock ending now. Reported per sample: all of it, the in-memory part, and
   one transaction.
2. Reads: a real server on that file; GET /smcost/history for the 30 days (step 1 h: 720
   points, and spend per day), and the two the panel polls (the last hour at 60 s; 30
   days at one day), interleaved with GET /smcost/status over one keep-alive connection:
   medians, and each one's ratio to status.

    python benchmarks/bench_history.py [--requests 200] [--days 30]
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from _common import TOKEN, ServerProcess

from jupyterlab_smcost.history import HistoryRecorder, HistoryStore, Running
from jupyterlab_smcost.usage import GpuReading, Reading

INTERVAL_S = 10.0


def write(path: Path, days: int) -> None:
    end = time.time() - 120
    t = [end - days * 86400]
    store = HistoryStore(path, clock=lambda: t[0])
    rec = HistoryRecorder(store, clock=lambda: t[0])
    rec.set_running(
        [Running("ml.g5.xlarge", "us-east-1", "Studio-JupyterLab", 1.41, "bundled", None)],
        "ml.g5.xlarge",
    )
    rnd = random.Random(1)
    n = int(days * 86400 / INTERVAL_S)
    readings = [
        Reading(
            rnd.random(),
            4,
            rnd.uniform(1, 15),
            15.5,
            (GpuReading(0, rnd.random(), rnd.uniform(0, 20), 22.5),),
        )
        for _ in range(1000)
    ]
    flush_times: list[float] = []
    real_flush = rec.flush

    def timed_flush() -> bool:
        t0 = time.perf_counter()
        ok = real_flush()
        flush_times.append(time.perf_counter() - t0)
        return ok

    rec.flush = timed_flush  # type: ignore[method-assign]
    started = time.perf_counter()
    for i in range(n):
        t[0] += INTERVAL_S
        rec.on_sample(t[0], readings[i % 1000])
    total = time.perf_counter() - started
    rec.close()
    store.checkpoint()
    flushed = sum(flush_times)
    print(
        f"writes: {n} samples ({days} days at {INTERVAL_S:.0f} s, GPU data), {len(flush_times)} "
        "transactions (one a minute)"
    )
    print(f"  write cost per sample, all included : {total / n * 1e6:.1f} us")
    print(f"  of which in memory (aggregating)    : {(total - flushed) / n * 1e6:.1f} us")
    print(f"  one transaction (median)            : {statistics.median(flush_times) * 1e3:.3f} ms")
    counts = store.counts()
    size = path.stat().st_size
    print(f"  kept: {counts}; file {size / 1024:.0f} KiB after checkpoint")
    store.close()


def measure(server: ServerProcess, paths: list[str], requests: int) -> dict[str, list[float]]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    headers = {"Authorization": f"token {TOKEN}"}
    timings: dict[str, list[float]] = {p: [] for p in paths}
    for i in range(requests * len(paths) + 20 * len(paths)):
        path = paths[i % len(paths)]
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        dt = time.perf_counter() - t0
        assert resp.status == 200, (path, resp.status)
        if i >= 20 * len(paths):  # warm-up
            timings[path].append(dt)
    conn.close()
    return timings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--days", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="smcost-bench-history-") as tmp:
        work = Path(tmp)
        write(work / "history.sqlite", args.days)
        now = datetime.now(timezone.utc)
        month = quote((now - timedelta(days=args.days)).isoformat())
        hour = quote((now - timedelta(hours=1)).isoformat())
        status = "/smcost/status"
        paths = {
            status: "GET /smcost/status",
            f"/smcost/history?since={month}&step=3600": f"GET history, {args.days} d at 1 h",
            f"/smcost/history?since={hour}&step=60": "GET history, 1 h at 60 s",
            f"/smcost/history?since={month}&step=86400": f"GET history, {args.days} d at 1 d",
        }
        with ServerProcess("--SmCostApp.instance_type=ml.g5.xlarge", workdir=work) as server:
            bodies = {p: server.get(p) for p in paths if p != status}
            timings = measure(server, list(paths), args.requests)
    med = {p: statistics.median(v) * 1000 for p, v in timings.items()}
    print(f"reads: {args.requests} requests each, interleaved, one keep-alive connection, medians:")
    for p, label in paths.items():
        extra = ""
        if p in bodies:
            b = bodies[p]
            extra = (
                f" ({len(b['usage'])} points at {b['step_s']} s, "
                f"{len(b['spend']['days'])} days of spend); "
                f"ratio to status {med[p] / med[status]:.2f}"
            )
        print(f"  {label:<36}: {med[p]:7.3f} ms{extra}")


if __name__ == "__main__":
    main()
