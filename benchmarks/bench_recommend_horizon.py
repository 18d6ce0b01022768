"""GET smcost/recommendations over a 7-day horizon read from a full history file, against
GET smcost/status (target: at most 5x status).

1. A history file of ``--days`` days (default 14) of 10 s samples of an ml.g5.12xlarge
   (4 GPUs, one of them in use) written through the recorder as the sampler thread feeds
   it, with a simulated clock ending two minutes ago: 48 h of minutes and the hours before.
2. A real server on that file (``recommend_horizon`` 7 days, the default): GET
   /smcost/recommendations and GET /smcost/status interleaved over one keep-alive
   connection, medians and their ratio; then the same with ``recommend_horizon=0`` (the
   usage window alone) for comparison.
3. In-process, on the same file: the horizon as the server reads it
   (history/horizon_cache.py) when nothing closed since the last request, when a minute
   closed (the kept part summed up again, hours unchanged kept), cold (a new server), and
   with nothing kept between calls (every bucket's count read from the file and every hour
   summed up), each checked equal to the uncached answer.

    python benchmarks/bench_recommend_horizon.py [--requests 200] [--days 14]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from _common import ServerProcess
from bench_history import measure

from jupyterlab_smcost.history import HistoryRecorder, HistoryStore, Running
from jupyterlab_smcost.history.horizon import horizon_of
from jupyterlab_smcost.history.horizon_cache import HorizonReader
from jupyterlab_smcost.usage import GpuReading, Reading

INTERVAL_S = 10.0
G512 = "ml.g5.12xlarge"


def write(path: Path, days: int) -> None:
    t = [time.time() - 120 - days * 86400]
    store = HistoryStore(path, clock=lambda: t[0])
    rec = HistoryRecorder(store, clock=lambda: t[0])
    rec.set_running([Running(G512, "us-east-1", "Studio-JupyterLab", 7.09, "bundled", None)], G512)
    rnd = random.Random(1)
    readings = [
        Reading(
            rnd.uniform(0.01, 0.08),
            48,
            rnd.uniform(8, 16),
            192.0,
            (GpuReading(0, rnd.uniform(0.3, 0.7), rnd.uniform(6, 9), 22.5),)
            + tuple(GpuReading(k, 0.0, 0.0, 22.5) for k in (1, 2, 3)),
        )
        for _ in range(1000)
    ]
    n = int(days * 86400 / INTERVAL_S)
    for i in range(n):
        t[0] += INTERVAL_S
        rec.on_sample(t[0], readings[i % 1000])
    rec.close()
    counts = HistoryStore(path).counts()
    print(f"history: {n} samples ({days} days of {G512}, 4 GPUs, one in use): kept {counts}")


def run(work: Path, horizon: int, requests: int) -> tuple[float, float, dict]:
    status, recs = "/smcost/status", "/smcost/recommendations"
    with ServerProcess(
        f"--SmCostApp.instance_type={G512}",
        f"--SmCostApp.recommend_horizon={horizon}",
        workdir=work,
    ) as server:
        body = server.get(recs)
        timings = measure(server, [status, recs], requests)
    return statistics.median(timings[status]) * 1e3, statistics.median(timings[recs]) * 1e3, body


def in_process(path: Path, horizon: int = 7 * 86400, rounds: int = 30) -> None:
    """The horizon's read in this process (no HTTP), medians in ms (see the module)."""
    rec = HistoryRecorder(HistoryStore(path))
    now = time.time()

    def plain(before: float) -> object:
        index = rec.kept_index(G512, horizon, INTERVAL_S, before, cached=False)
        load = lambda part: rec.load_kept(G512, part)  # noqa: E731
        return index, horizon_of(horizon, 3600, [], before, index, load, INTERVAL_S)

    def timed(fn: object) -> tuple[float, object]:
        t0 = time.perf_counter()
        out = fn()  # type: ignore[operator]
        return (time.perf_counter() - t0) * 1e3, out

    reader = HorizonReader()
    read = lambda before: reader.read(  # noqa: E731
        rec, G512, horizon, 3600, [], before, INTERVAL_S
    )
    cold, first = timed(lambda: read(now))
    assert first == plain(now)
    kept, moved, uncached = [], [], []
    for i in range(rounds):
        before = now - 60 * (i + 1)  # one minute more leaves the window: it closed
        dt, got = timed(lambda: read(before))  # noqa: B023
        moved.append(dt)
        dt, again = timed(lambda: read(before))  # noqa: B023
        kept.append(dt)
        dt, want = timed(lambda: plain(before))  # noqa: B023
        uncached.append(dt)
        assert got == want == again, i
    med = statistics.median
    print(
        f"in-process horizon read, medians of {rounds}: nothing closed {med(kept):.2f} ms, "
        f"a minute closed {med(moved):.2f} ms, cold {cold:.1f} ms, "
        f"nothing kept {med(uncached):.1f} ms (all equal to the uncached answer)"
    )
    rec.store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--days", type=int, default=14)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="smcost-bench-horizon-") as tmp:
        work = Path(tmp)
        write(work / "history.sqlite", args.days)
        print(f"{args.requests} requests each, interleaved, one keep-alive connection, medians:")
        for horizon in (7 * 86400, 0):
            st, rec, body = run(work, horizon, args.requests)
            h = body.get("horizon")
            read = (
                f"horizon {h['horizon_s'] / 86400:.0f} d: {h['covered_s'] / 3600:.0f} h of "
                f"running time in {h['phases']} hours, {body['samples']} samples"
                if h
                else f"window {body['window_s'] / 3600:.0f} h, {body['samples']} samples"
            )
            rules = ", ".join(f"{i['rule']} -> {i['type']}" for i in body["items"]) or "none"
            print(
                f"  {read}; items: {rules}\n"
                f"    GET recommendations {rec:7.3f} ms vs GET status {st:7.3f} ms: "
                f"ratio {rec / st:.2f}"
            )
        in_process(work / "history.sqlite")


if __name__ == "__main__":
    main()
