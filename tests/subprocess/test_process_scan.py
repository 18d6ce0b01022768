"""The process scan on this machine's real processes: a CPU burner found by pid and group,
and the /proc and psutil scans agreeing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Optional

from jupyterlab_smcost.background import (
    BackgroundDetector,
    ProcScanner,
    Rules,
    Work,
)


def burner(seconds: float = 30.0) -> subprocess.Popen:
    code = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass\n"
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def test_real_scan_finds_a_real_burner_by_pid_and_group() -> None:
    proc = burner()
    try:
        det = BackgroundDetector(Rules(cpu_threshold=0.3, gpu_threshold=0, window_s=1.0))
        found: Optional[Work] = None
        end = time.time() + 30
        while time.time() < end and found is None:
            det.refresh()
            found = next((w for w in det.state().busy if w.pid == proc.pid), None)
            time.sleep(0.3)
        assert found is not None, det.state()
        assert found.pgid == proc.pid and found.load > 0.3
        assert found.command.startswith(os.path.basename(sys.executable) + " -c import time")
        assert det.tracker.own_pid == os.getpid()
        assert all(w.pid != os.getpid() for w in det.state().busy + det.state().starting)
    finally:
        proc.kill()
        proc.wait()


def test_proc_and_psutil_scans_agree() -> None:
    import psutil

    proc = burner(5)
    try:
        time.sleep(0.5)
        by_proc = {p.pid: p for p in ProcScanner().scan()}
        by_psutil = {p.pid: p for p in ProcScanner(proc_root="/nonexistent").scan()}
        p, q = by_proc[proc.pid], by_psutil[proc.pid]
        assert (p.pgid, p.comm) == (q.pgid, q.comm) == (proc.pid, psutil.Process(proc.pid).name())
        assert abs(p.start - q.start) < 1.5 and abs(p.cpu_s - q.cpu_s) < 0.5
        assert os.getpid() in by_proc and os.getpid() in by_psutil
        # kernel threads (kthreadd's children, where this namespace shows them) are no work
        kthreads = {
            p.pid
            for p in psutil.process_iter(["ppid", "name"])
            if p.pid == 2 and p.info["name"] == "kthreadd" or p.info["ppid"] == 2
        }
        if psutil.pid_exists(2) and psutil.Process(2).name() == "kthreadd":
            assert kthreads and not kthreads & set(by_proc)
    finally:
        proc.kill()
        proc.wait()
