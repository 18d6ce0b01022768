"""CPU seconds used by an idle server over a window, with and without the extension.

Both servers run at the same time, side by side, idle (no kernels, no requests); CPU time
is read from the processes with psutil. Target: ratio <= 1.05.

    python benchmarks/bench_idle_cpu.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import time

import psutil
from _common import ServerProcess


def cpu(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    with_ext = ServerProcess("--SmCostApp.idle_timeout=3600")
    without = ServerProcess(extension=False)
    try:
        with_ext.wait_ready()
        without.wait_ready()
        with_ext.get("/smcost/status")  # the extension is really loaded
        code, _ = without.request("GET", "/smcost/status")
        assert code == 404, "baseline must run without the extension"
        time.sleep(3)  # let start-up settle
        procs = {
            "with": psutil.Process(with_ext.proc.pid),
            "without": psutil.Process(without.proc.pid),
        }
        start = {k: cpu(p) for k, p in procs.items()}
        time.sleep(args.seconds)
        used = {k: cpu(p) - start[k] for k, p in procs.items()}
    finally:
        with_ext.stop()
        without.stop()
    print(f"idle window: {args.seconds:.0f} s, both servers side by side")
    print(f"CPU s with jupyterlab-smcost   : {used['with']:.3f}")
    print(f"CPU s without (jupyter_server) : {used['without']:.3f}")
    ratio = used["with"] / used["without"] if used["without"] > 0 else float("nan")
    print(
        f"ratio with / without = {ratio:.2f} (target <= 1.05; "
        f"absolute difference {used['with'] - used['without']:+.3f} CPU s)"
    )


if __name__ == "__main__":
    main()
