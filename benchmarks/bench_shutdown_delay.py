"""Seconds between the idle deadline and the server process actually exiting.

Side by side in one run: jupyterlab-smcost (deadline armed as a timer) and jupyter_server's
own ``shutdown_no_activity_timeout`` (checked by a 60 s PeriodicCallback), each with the same
idle timeout. For reference, not measured here: autostop.py's cron runs every 5 min (up to
300 s late) and the Studio lifecycle example polls every 2 min (up to 120 s). Target <= 1 s.

    python benchmarks/bench_shutdown_delay.py [--runs 3] [--timeout 5] [--no-baseline]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime

from _common import ServerProcess


def _log_time(log: str, needle: str) -> float | None:
    """Timestamp of the first log line containing needle (jupyter logs local time, ms)."""
    for line in log.splitlines():
        if needle in line:
            stamp = line.split("]")[0].split(" ", 1)[1].rsplit(" ", 1)[0]
            return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()
    return None


def smcost_delay(timeout: int) -> tuple[float, float]:
    server = ServerProcess(
        f"--SmCostApp.idle_timeout={timeout}",
        "--SmCostApp.min_idle_timeout=1",
        "--SmCostApp.warning_period=1",
    )
    try:
        server.wait_ready()
        st = server.get("/smcost/status")
        deadline = datetime.fromisoformat(st["idle"]["deadline"]).timestamp()
        exited = server.wait_exit(timeout + 30)
        assert exited is not None, server.log()
        began = _log_time(server.log(), "smcost: shutting down")
        assert began is not None
        return began - deadline, exited - deadline
    finally:
        server.stop()


def baseline_delay(timeout: int) -> float:
    """jupyter_server's own no-activity shutdown; the clock starts at server start."""
    t_start = time.time()
    server = ServerProcess(f"--ServerApp.shutdown_no_activity_timeout={timeout}", extension=False)
    try:
        server.wait_ready()
        exited = server.wait_exit(timeout + 90)
        assert exited is not None, server.log()
        # its deadline is (last activity = server start) + timeout; t_start is earlier than
        # the server's own start stamp, so this slightly overstates nothing in its favour
        return exited - (t_start + timeout)
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=5)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    runs = [smcost_delay(args.timeout) for _ in range(args.runs)]
    began = [b for b, _ in runs]
    ours = [e for _, e in runs]
    print(f"idle timeout {args.timeout} s, {args.runs} runs")
    print(
        "jupyterlab-smcost: deadline -> shutdown begins (s): "
        + ", ".join(f"{d:.3f}" for d in began)
        + f"; max {max(began):.3f}"
    )
    print(
        "jupyterlab-smcost: deadline -> process exit (s): "
        + ", ".join(f"{d:.3f}" for d in ours)
        + f"; median {statistics.median(ours):.3f}, max {max(ours):.3f} (target <= 1 s)"
    )
    if not args.no_baseline:
        base = baseline_delay(args.timeout)
        print(f"jupyter_server shutdown_no_activity_timeout: deadline -> exit {base:.3f} s")
        ratio = base / max(statistics.median(ours), 1e-3)
        print(f"ratio baseline / smcost (median exit delay) = {ratio:.0f}x")


if __name__ == "__main__":
    main()
