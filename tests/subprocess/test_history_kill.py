"""The history file survives its writer killed with SIGKILL mid-write: every sample the
writer said was committed is there (the writer is support/history_writer.py)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from support import SUPPORT

from jupyterlab_smcost.history import HistoryStore


def test_kill_9_mid_write_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """A real process writing one transaction per sample, killed with SIGKILL three times
    at arbitrary moments; each time the file reopens clean (no damage, no warning) with
    every sample it had acknowledged, and the next run goes on writing to it."""
    path = tmp_path / "h.sqlite"
    acknowledged = 0
    for round_ in range(3):
        proc = subprocess.Popen(
            [sys.executable, str(SUPPORT / "history_writer.py"), str(path), str(acknowledged)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        target = acknowledged + 150 + 37 * round_
        for line in proc.stdout:
            acknowledged = int(line.split()[1])
            if acknowledged >= target:
                break
        os.kill(proc.pid, signal.SIGKILL)  # while it writes the next ones
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        for line in proc.stdout.read().splitlines():  # what it acknowledged before dying
            acknowledged = int(line.split()[1])
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            [(written,)] = conn.execute("SELECT sum(n) FROM usage WHERE tier = 60")
        # every acknowledged sample, and at most the one committed as it was killed
        assert acknowledged <= written <= acknowledged + 1
        acknowledged = written
        store = HistoryStore(path)
        assert store.counts()["spans"] >= 1 and store.moved_aside is None
        store.close()
