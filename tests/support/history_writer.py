"""A process that writes usage history as fast as it can, for the kill -9 test.

    python tests/support/history_writer.py FILE START_SAMPLE

Writes one reading per simulated 10 s and flushes after each (one transaction per sample),
then prints ``flushed N`` once that transaction is committed (N: samples written so far
by all runs). The test kills it with SIGKILL at some point, reopens the file and checks
that every acknowledged sample is there.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jupyterlab_smcost.history import HistoryRecorder, HistoryStore, Running
from jupyterlab_smcost.usage import GpuReading, Reading

T0 = 1_800_000_000.0


def main() -> None:
    path, start = Path(sys.argv[1]), int(sys.argv[2])
    t = [T0 + 10 * start]
    store = HistoryStore(path, clock=lambda: t[0])
    rec = HistoryRecorder(store, clock=lambda: t[0], flush_s=0)
    rec.set_running(
        [Running("ml.g5.xlarge", "us-east-1", "Studio-JupyterLab", 1.41, "bundled", None)],
        "ml.g5.xlarge",
    )
    n = start
    while True:
        n += 1
        t[0] = T0 + 10 * n
        gpu = (GpuReading(0, (n % 100) / 100, 3.5, 22.5),)
        rec.on_sample(t[0], Reading((n % 7) / 7, 4, 2.0 + (n % 5), 16.0, gpu))
        if rec.flushes and not rec.pending():
            print(f"flushed {n}", flush=True)


if __name__ == "__main__":
    main()
