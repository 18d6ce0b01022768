"""What the background work detector costs.

1. One process scan with ~300 processes alive (spawned here: ``sleep`` processes): the
   ``/proc/<pid>/stat`` scan the detector uses, psutil's ``process_iter`` with the same
   attributes (what it would cost through psutil), and a whole detector step (scan + the
   window rule); median of many scans. Also the gate: a sample on a quiet machine (no scan).
2. The gate on this machine: a real usage sampler with the detector, one sample a second,
   counting scans and skipped samples.
3. The idle-server CPU ratio with/without the detector: two servers with the extension side
   by side, one with the detector off (both thresholds 0), measured as bench_idle_cpu.py
   measures (no client; open tab polling), the ~300 processes still alive. Not in PID
   namespaces: both servers see every process of this machine. Target <= 1.05.

    python benchmarks/bench_background_scan.py [--processes 300] [--seconds 60]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
from _common import ServerProcess
from bench_idle_cpu import TAB, measure, report, warm_up

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jupyterlab_smcost.background import BackgroundDetector, ProcScanner, Rules  # noqa: E402
from jupyterlab_smcost.usage import Reading, SystemSource, UsageSampler, UsageWindow  # noqa: E402

ATTRS = ["pid", "name", "cpu_times", "create_time", "status"]


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def scan_costs(n: int) -> None:
    scanner = ProcScanner()
    count = len(scanner.scan())
    proc_ms = median_ms(scanner.scan, n)
    ps_ms = median_ms(lambda: list(psutil.process_iter(ATTRS)), n)
    det = BackgroundDetector(Rules(0.5, 0.5, 120, frozenset({"amazon-ssm-agent"})))
    det.refresh()  # the first scan: counts to start from (and names read once)
    step_ms = median_ms(det.refresh, n)
    # a sample on a quiet machine: 1% of the CPUs busy, so no scan
    quiet = Reading(cpu=0.01, cpu_count=psutil.cpu_count() or 1, mem_used_gib=1, mem_total_gib=8)
    t = [time.time()]

    def quiet_sample() -> None:
        t[0] += 10
        det.on_reading(t[0], quiet)

    quiet_sample()
    scans = det.scans
    gate_ms = median_ms(quiet_sample, n)
    assert det.scans == scans, "a quiet sample scanned"
    print(f"processes visible: {count} (this machine's, incl. the spawned ones)")
    print(f"scan /proc/<pid>/stat (what the detector does): median {proc_ms:.2f} ms")
    print(f"psutil.process_iter, same attributes:         median {ps_ms:.2f} ms")
    print(f"detector step (scan + window rule):            median {step_ms:.2f} ms")
    print(f"quiet sample (no scan: the gate):              median {gate_ms * 1e3:.1f} us")
    per = step_ms / count * 1e3
    print(
        f"per process: {per:.1f} us; at one sample per 10 s that is "
        f"{step_ms / 10 / 10:.3f}% of one CPU when the machine is busy, ~0 when it is quiet"
    )


def gate_on_this_machine(seconds: int) -> None:
    det = BackgroundDetector(Rules(0.5, 0.5, 120))
    sampler = UsageSampler(SystemSource(), UsageWindow(3600), 1.0)
    sampler.add_listener(det.on_reading)
    busy = []
    sampler.add_listener(lambda now, r: busy.append((r.cpu or 0) * r.cpu_count))
    sampler.start()
    time.sleep(seconds)
    sampler.stop()
    mean_busy = statistics.mean(busy) if busy else 0
    print(
        f"gate over {seconds} s at 1 sample/s: {det.scans} scans, {det.skipped} samples skipped"
        f" (machine busy: mean {mean_busy:.2f} CPUs of {psutil.cpu_count()}; other work on"
        " this shared machine opens the gate)"
    )
    if det.scans:
        print(f"  mean cost of the scans it made: {det.scan_seconds / det.scans * 1e3:.2f} ms")


def gate(server: ServerProcess) -> tuple[float, float]:
    """(scans, quiet samples) so far, from the server's /metrics."""
    _, text = server.request("GET", "/metrics")
    found = dict(re.findall(r"^smcost_background_(scans|quiet_samples) (\S+)$", text, re.M))
    return float(found["scans"]), float(found["quiet_samples"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--processes", type=int, default=300)
    ap.add_argument("--scans", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--poll", type=float, default=10)
    ap.add_argument("--panel-poll", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    have = len(ProcScanner().scan())
    spawned = [subprocess.Popen(["sleep", "3600"]) for _ in range(max(0, args.processes - have))]
    servers: dict = {}
    try:
        scan_costs(args.scans)
        gate_on_this_machine(30)
        servers = {
            "with": ServerProcess("--SmCostApp.idle_timeout=3600", isolate=False),
            "without": ServerProcess(
                "--SmCostApp.idle_timeout=3600",
                "--SmCostApp.background_cpu_threshold=0",
                "--SmCostApp.background_gpu_threshold=0",
                isolate=False,
            ),
        }
        for s in servers.values():
            s.wait_ready()
            s.get("/smcost/status")
        warm_up(servers)
        time.sleep(3)
        polls = [
            ("with", TAB, args.poll),
            ("without", TAB, args.poll),
            ("with", ("/smcost/status",), args.panel_poll),
            ("without", ("/smcost/status",), args.panel_poll),
        ]
        print(
            f"server CPU with / without the detector, {args.seconds:.0f} s per scenario, side "
            f"by side, {len(ProcScanner().scan())} processes alive (target <= 1.05):"
        )
        for _ in range(args.rounds):
            for name, scenario in (("no client", []), ("open tab", polls)):
                before = gate(servers["with"])
                used = measure(servers, args.seconds, scenario)
                after = gate(servers["with"])
                report(name, used)
                print(
                    f"           the detector: {after[0] - before[0]:.0f} scans, "
                    f"{after[1] - before[1]:.0f} quiet samples"
                )
    finally:
        for s in servers.values():
            s.stop()
        for p in spawned:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
