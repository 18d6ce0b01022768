"""No false busy on an idle machine with an open JupyterLab tab.

Two real ``jupyter lab`` servers, each in a PID namespace of its own (as a SageMaker Studio
app runs in its container: the browser, and other work on this shared machine, are not
theirs), each with a real Chromium tab open on a notebook (its kernel running, idle), a
terminal (an idle shell) and the SageMaker cost panel (which polls ``smcost/status``):

- ``defaults``: background work at 0.5 CPU over 120 s (the defaults);
- ``sensitive``: 0.05 CPU over 30 s, ten times more sensitive.

For ``--seconds`` (180) it reads ``smcost/status`` every 2 s and counts the reads that list
background work (busy or starting), and measures from outside each namespace's processes'
CPU every 10 s: the server's own (housekeeping: answering the tab, never counted), the
kernel's and the shell's (counted if they worked).

    python benchmarks/bench_false_busy.py [--seconds 180]
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "browser")]
from smcost_browser import CHROMIUM, CHROMIUM_ARGS, LabServer, open_lab, open_panel  # noqa: E402
from support.server_proc import server_pid  # noqa: E402

NOTEBOOK = (
    '{"cells": [{"cell_type": "code", "execution_count": null, "id": "c1", "metadata": {},'
    ' "outputs": [], "source": ["1 + 1"]}], "metadata": {"kernelspec": {"display_name":'
    ' "Python 3", "language": "python", "name": "python3"}}, "nbformat": 4,'
    ' "nbformat_minor": 5}'
)
CONFIGS = {
    "defaults": [],
    "sensitive": ["--SmCostApp.background_cpu_threshold=0.05", "--SmCostApp.background_window=30"],
}


def role(p: psutil.Process, server: int) -> str:
    if p.pid == server:
        return "server (housekeeping)"
    cmd = " ".join(p.cmdline())
    if "ipykernel" in cmd:
        return "kernel"
    return p.name()


def metrics(server: LabServer) -> tuple[float, float]:
    req = urllib.request.Request(server.url + "metrics")
    req.add_header("Authorization", f"token {server.token}")
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
    found = dict(re.findall(r"^smcost_background_(scans|quiet_samples) (\S+)$", text, re.M))
    return float(found["scans"]), float(found["quiet_samples"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="smcost-false-busy-"))
    servers = {
        name: LabServer(tmp / name, extra_args=["--SmCostApp.idle_timeout=3600", *extra])
        for name, extra in CONFIGS.items()
    }
    reads = {name: collections.Counter() for name in servers}
    with_bg = {name: [] for name in servers}
    cpu = {name: collections.defaultdict(list) for name in servers}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for server in servers.values():
                (server.root / "tab.ipynb").write_text(NOTEBOOK)
                server.api("api/terminals", "POST", {})
                page = browser.new_page()
                open_lab(page, server, "lab/tree/tab.ipynb")
                open_panel(page)
            # let the kernels start and settle
            time.sleep(10)
            pids = {n: server_pid(s.proc, s.isolated) for n, s in servers.items()}
            procs = {
                n: [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
                for n, pid in pids.items()
            }
            before = {n: metrics(s) for n, s in servers.items()}
            last = {n: {p.pid: sum(p.cpu_times()[:2]) for p in ps} for n, ps in procs.items()}
            start = time.time()
            next_cpu = start + 10
            while time.time() - start < args.seconds:
                for name, server in servers.items():
                    idle = server.api("smcost/status")["idle"]
                    reads[name][idle["state"]] += 1
                    bg = [r for r in idle["reasons"] if r.startswith("background work")]
                    if bg:
                        with_bg[name].append(bg)
                if time.time() >= next_cpu:
                    next_cpu += 10
                    for name, ps in procs.items():
                        for p in ps:
                            try:
                                now = sum(p.cpu_times()[:2])
                            except psutil.NoSuchProcess:
                                continue
                            cpu[name][role(p, pids[name])].append((now - last[name][p.pid]) / 10)
                            last[name][p.pid] = now
                time.sleep(2)
            after = {n: metrics(s) for n, s in servers.items()}
            browser.close()
    finally:
        for s in servers.values():
            s.stop()
    print(
        f"jupyter lab + a Chromium tab (notebook with its kernel idle, a terminal, the panel "
        f"open), {args.seconds:.0f} s, smcost/status read every 2 s:"
    )
    for name in servers:
        total = sum(reads[name].values())
        scans = after[name][0] - before[name][0]
        quiet = after[name][1] - before[name][1]
        print(
            f"  {name:9s} {CONFIGS[name] or ['0.5 CPU over 120 s']}: {total} reads, "
            f"{len(with_bg[name])} listing background work; states {dict(reads[name])}; "
            f"the detector made {scans:.0f} scans ({quiet:.0f} samples quiet, no scan)"
        )
        for bg in with_bg[name][:3]:
            print(f"      {bg}")
        for who, values in sorted(cpu[name].items()):
            print(
                f"      {who:24s} CPU per 10 s: mean {sum(values) / len(values) * 100:5.2f}%,"
                f" max {max(values) * 100:5.2f}% of a CPU"
            )


if __name__ == "__main__":
    main()
