"""What the horizon keeps between requests (history/horizon_cache.py) gives what reading the
file afresh gives: the kept counts held in memory against SQLite's, the kept part summed up
once against summing it on every call, through writes, prunes, gaps, two instance types,
another process writing the file and the file replaced."""

from __future__ import annotations

import random
from pathlib import Path

from jupyterlab_smcost.history import HistoryRecorder, HistoryStore
from jupyterlab_smcost.history.horizon import horizon_of
from jupyterlab_smcost.history.horizon_cache import HorizonReader
from jupyterlab_smcost.usage import GpuReading, Reading

T0 = 1_800_000_000
A, B = "ml.g5.12xlarge", "ml.m5.xlarge"
INTERVAL = 30.0
HORIZON = 2 * 86400
WINDOW = 3600.0


def reading(rnd: random.Random) -> Reading:
    busy = rnd.random() < 0.05
    return Reading(
        rnd.uniform(0.5, 0.9) if busy else rnd.uniform(0.01, 0.1),
        48,
        rnd.uniform(8, 30),
        192.0,
        tuple(GpuReading(k, rnd.uniform(0, 0.9 if busy else 0.2), 4.0, 22.5) for k in range(4)),
    )


class World:
    """A recorder on a file with a simulated clock, and the raw window of this run."""

    def __init__(self, path: Path, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.t = float(T0)
        self.path = path
        self.store = HistoryStore(path, clock=lambda: self.t)
        self.rec = HistoryRecorder(self.store, clock=lambda: self.t)
        self.rec.set_running([], A)
        self.raw: list[tuple[float, Reading]] = []

    def run(self, seconds: float, itype: str = A) -> None:
        self.rec.set_running([], itype)
        end = self.t + seconds
        while self.t < end:
            self.t += INTERVAL
            r = reading(self.rnd)
            self.rec.on_sample(self.t, r)
            self.raw = [(ts, x) for ts, x in self.raw if ts > self.t - WINDOW] + [(self.t, r)]

    def gap(self, seconds: float) -> None:
        self.rec.flush()
        self.t += seconds
        self.raw = []


def plain(w: World, itype: str) -> tuple[list, object]:
    """Everything read from the file, nothing kept between calls."""
    raw = w.raw
    raw_start = raw[0][0] if raw else w.t
    raw_span = raw[-1][0] - raw[0][0] if raw else 0.0
    index = w.rec.kept_index(itype, HORIZON - raw_span, INTERVAL, raw_start, cached=False)
    load = lambda part: w.rec.load_kept(itype, part)  # noqa: E731
    return index, horizon_of(HORIZON, WINDOW, raw, raw_start, index, load, INTERVAL)


def cached(w: World, reader: HorizonReader, itype: str) -> tuple[list, object]:
    raw = w.raw
    raw_start = raw[0][0] if raw else w.t
    return reader.read(w.rec, itype, HORIZON, WINDOW, raw, raw_start, INTERVAL)


def test_the_kept_horizon_read_from_memory_is_what_the_file_gives(tmp_path: Path) -> None:
    w = World(tmp_path / "h.sqlite", seed=7)
    reader = HorizonReader()
    checked = 0
    for step in range(40):
        # two and a half days of running with gaps and another type now and then
        w.run(w.rnd.choice([600, 1800, 3600, 7200]), B if step % 9 == 4 else A)
        if w.rnd.random() < 0.2:
            w.gap(w.rnd.choice([120, 5400, 3 * 3600]))
        for itype in (A, B):
            got, want = cached(w, reader, itype), plain(w, itype)
            assert got == want, (step, itype)
            checked += bool(want[0])
    assert checked > 40
    # a request a minute for 50 minutes: each minute's write is applied to the counts
    # held, which are read again only after the hourly prune (2 tiers of each type)
    rows, reads, summed = w.rec.kept_rows, w.rec.kept_rows.reads, reader.summed
    for _ in range(50):
        w.run(60)
        w.rec.flush()
        assert cached(w, reader, A) == plain(w, A)
    assert rows.reads - reads <= 4
    assert reader.summed - summed == 50  # a minute closed each time: summed up again
    for _ in range(3):  # nothing closed since: kept
        assert cached(w, reader, A) == plain(w, A)
    assert reader.summed - summed == 50


def test_another_process_writing_the_file_is_seen(tmp_path: Path) -> None:
    w = World(tmp_path / "h.sqlite", seed=3)
    reader = HorizonReader()
    w.run(6 * 3600)
    w.gap(3600)
    assert cached(w, reader, A) == plain(w, A)
    # another server on the same file writes hours of its own, older than the window
    other_t = [w.t - 5 * 3600]
    other = HistoryRecorder(
        HistoryStore(w.path, clock=lambda: other_t[0]), clock=lambda: other_t[0]
    )
    other.set_running([], A)
    for _ in range(240):
        other_t[0] += INTERVAL
        other.on_sample(other_t[0], Reading(0.99, 48, 180.0, 192.0, ()))
    other.close()
    got, want = cached(w, reader, A), plain(w, A)
    assert got == want
    assert got[1].summary.cpu_max == 0.99  # the other process's busy hours count


def test_a_replaced_file_is_read_afresh(tmp_path: Path) -> None:
    w = World(tmp_path / "h.sqlite", seed=5)
    reader = HorizonReader()
    w.run(4 * 3600)
    w.gap(600)
    first = cached(w, reader, A)
    assert first == plain(w, A) and first[0]
    # the file goes (closed, deleted) and a new one holds one busy hour
    w.store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(w.path) + suffix).unlink(missing_ok=True)
    t = [w.t - 2 * 3600]
    other = HistoryRecorder(HistoryStore(w.path, clock=lambda: t[0]), clock=lambda: t[0])
    other.set_running([], A)
    for _ in range(120):
        t[0] += INTERVAL
        other.on_sample(t[0], Reading(0.97, 48, 10.0, 192.0, ()))
    other.close()
    got, want = cached(w, reader, A), plain(w, A)
    assert got == want and got != first
    assert sum(n for _, _, n in got[0]) == 120
