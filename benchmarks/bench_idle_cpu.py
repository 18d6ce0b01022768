"""CPU seconds used by an idle server over a window, with and without the extension.

Two servers run at the same time, side by side: one with jupyterlab-smcost, one without.
Two scenarios, each over the same window:

- no client: nobody connected (the extension arms one timer for the deadline and does
  nothing else);
- open tab: both servers are polled the way an open JupyterLab tab polls
  (/api/kernels, /api/sessions, /api/terminals and the file browser's directory listing every
  10 s); the server with the extension is also polled by its panel (GET smcost/status at the
  panel's refresh interval, --panel-poll).

CPU time is the scheduled run time of all the process's threads (/proc/PID/task/*/schedstat,
ns), so the extension's usage-sampling thread is counted. Target: <= 1.05.

    python benchmarks/bench_idle_cpu.py [--seconds 60] [--poll 10]
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import psutil
from _common import ServerProcess

TAB = ("/api/kernels", "/api/sessions", "/api/terminals", "/api/contents?content=1")


def cpu(proc: psutil.Process) -> float:
    """CPU seconds of every thread of the process (the usage sampler runs in one), from
    /proc/PID/task/*/schedstat (ns) on Linux; else psutil's 10 ms ticks."""
    tasks = Path(f"/proc/{proc.pid}/task")
    if tasks.is_dir():
        total = 0
        for stat in tasks.glob("*/schedstat"):
            try:
                total += int(stat.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # a thread that just ended
        return total / 1e9
    t = proc.cpu_times()
    return t.user + t.system


def poll(server: ServerProcess, paths: tuple[str, ...], every: float, stop: threading.Event):
    while not stop.is_set():
        for p in paths:
            server.request("GET", p)
        stop.wait(every)


def measure(servers: dict, seconds: float, polls: list) -> dict:
    """polls: [(server key, paths, interval)]"""
    procs = {k: psutil.Process(s.pid) for k, s in servers.items()}
    stop = threading.Event()
    threads = [
        threading.Thread(target=poll, args=(servers[k], paths, every, stop), daemon=True)
        for k, paths, every in polls
    ]
    start = {k: cpu(p) for k, p in procs.items()}
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return {k: cpu(p) - start[k] for k, p in procs.items()}


def report(name: str, used: dict) -> None:
    w, wo = used["with"], used["without"]
    ratio = f"{w / wo:.2f}" if wo > 0 else "n/a (baseline used no measurable CPU)"
    print(
        f"{name:10s} with: {w:.4f} CPU s   without: {wo:.4f} CPU s   "
        f"ratio with/without = {ratio}   difference {w - wo:+.3f} CPU s"
    )


def warm_up(servers: dict) -> None:
    """One round of the tab's requests on each server first: a server's first answers import
    and cache what later ones reuse (measured: 0.1-0.15 CPU s), which is not idle cost."""
    for s in servers.values():
        for path in TAB:
            s.request("GET", path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--poll", type=float, default=10)
    ap.add_argument("--panel-poll", type=float, default=10)
    args = ap.parse_args()
    servers = {
        "with": ServerProcess("--SmCostApp.idle_timeout=3600", isolate=False),
        "without": ServerProcess(extension=False, isolate=False),
    }
    try:
        for s in servers.values():
            s.wait_ready()
        servers["with"].get("/smcost/status")  # the extension is really loaded
        code, _ = servers["without"].request("GET", "/smcost/status")
        assert code == 404, "baseline must run without the extension"
        warm_up(servers)
        time.sleep(3)  # let start-up settle
        idle = measure(servers, args.seconds, [])
        tab = measure(
            servers,
            args.seconds,
            [
                ("with", TAB, args.poll),
                ("without", TAB, args.poll),
                ("with", ("/smcost/status",), args.panel_poll),
            ],
        )
    finally:
        for s in servers.values():
            s.stop()
    print(
        f"window {args.seconds:.0f} s per scenario, both servers side by side (target <= 1.05);"
        f" tab polls every {args.poll:g} s, panel every {args.panel_poll:g} s"
    )
    report("no client", idle)
    report("open tab", tab)


if __name__ == "__main__":
    main()
