"""GPUs in use per sample (through NvmlGpus and a fake NVML), kept in the history, and a
history file of schema 1 (a real one, written by the schema-1 code) migrated in place."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from support.nvml import FakeNvml

from jupyterlab_smcost.history import HOUR, MINUTE, HistoryRecorder, HistoryStore
from jupyterlab_smcost.history.store import SCHEMA_VERSION
from jupyterlab_smcost.usage import Aggregate, NvmlGpus, Reading, UsageWindow, summarize

SCHEMA_1 = Path(__file__).parent.parent / "data" / "history" / "schema-1.sqlite"
#: what the schema-1 file holds (see tests/data/history/README.md)
V1_T0, V1_TYPE = 1764763200, "ml.g5.12xlarge"


def sample(nvml: FakeNvml, cpu: float = 0.2) -> Reading:
    return Reading(cpu, 48, 30.0, 192.0, NvmlGpus(nvml).read())


def test_gpus_in_use_count_utilisation_or_memory_above_a_small_threshold() -> None:
    # busy; memory only (a model loaded, idle); a CUDA context alone; nothing
    r = sample(FakeNvml([(60, 9.0), (0, 5.0), (0, 0.4), (3, 0.0)]))
    assert r.gpus_in_use == 2
    assert r.gpu_mem_peak_gib == pytest.approx(9.0)
    assert sample(FakeNvml([(0, 0.0)] * 4)).gpus_in_use == 0
    assert Reading(0.1, 4, 1.0, 16.0).gpu_mem_peak_gib is None


def test_without_utilisation_memory_alone_tells() -> None:
    nvml = FakeNvml([(0, 3.0), (0, 0.2)])
    nvml.no_utilization = True
    r = sample(nvml)
    assert [g.utilization for g in r.gpus] == [None, None]
    assert r.gpus_in_use == 1


def test_the_summary_has_the_gpus_in_use_and_the_peak_per_gpu_memory() -> None:
    t = [0.0]
    w = UsageWindow(3600, clock=lambda: t[0])
    for i in range(100):
        t[0] = 10.0 * i
        # one GPU all along; a second one for 3 samples of 100 (under p95)
        second = (70, 6.0) if i < 3 else (0, 0.0)
        w.add(sample(FakeNvml([(40, 8.0 + i / 100), second, (0, 0.0), (0, 0.0)])))
    s = w.summary()
    assert s.gpus_in_use_p95 == 1.0 and s.gpus_in_use_max == 2.0 and s.gpu_count == 4
    assert s.gpu_mem_max_gib == pytest.approx(8.99)
    j = s.to_json()
    assert (j["gpus_in_use_p95"], j["gpus_in_use_max"], j["gpu_mem_max_gib"]) == (1.0, 2.0, 8.99)


def test_the_history_keeps_the_gpus_in_use(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    rec = HistoryRecorder(HistoryStore(tmp_path / "h.sqlite", clock=clock), clock=clock)
    rec.set_running([], "ml.g5.12xlarge")
    for i in range(12):
        now[0] += 10
        second = (0, 2.0 if i < 6 else 0.0)  # memory only, half the time
        rec.on_sample(now[0], sample(FakeNvml([(50, 9.0), second, (0, 0), (0, 0)])))
    assert rec.flush()
    rec.store.close()
    store = HistoryStore(tmp_path / "h.sqlite", clock=lambda: now[0])
    rows = store.buckets(MINUTE, 0, now[0] + 60) + store.buckets(HOUR, 0, now[0] + 3600)
    merged = Aggregate()
    for _, _, a in rows:
        assert a.gpu_used_n == a.gpu_mem_n and a.gpu_used_max is not None
    for _, _, a in store.buckets(HOUR, 0, now[0] + 3600):
        merged.merge(a)
    assert (merged.gpu_used_n, merged.gpu_used_sum, merged.gpu_used_max) == (12, 18.0, 2.0)
    assert merged.gpu_mem_max == pytest.approx(9.0)


# ---------------------------------------------------------------------------- schema 1 -> 2


def test_the_schema_1_file_is_what_it_says(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    shutil.copy(SCHEMA_1, path)  # never opened in place: WAL mode writes beside it
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("1",)
        cols = {r[1] for r in conn.execute("PRAGMA table_info(usage)")}
        assert "gpu_mem_max" in cols and not any(c.startswith("gpu_used") for c in cols)
    finally:
        conn.close()


def test_a_schema_1_file_is_migrated_in_place_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    shutil.copy(SCHEMA_1, path)
    store = HistoryStore(path, clock=lambda: V1_T0 + 7200.0)
    assert SCHEMA_VERSION == 2 and store.get_meta("schema") == "2"
    assert store.moved_aside is None
    assert store.counts() == {"usage_60": 120, "usage_3600": 2, "spans": 1}
    minutes = store.buckets(MINUTE, V1_T0, V1_T0 + 7200)
    assert len(minutes) == 120
    t, itype, a = minutes[0]
    assert (t, itype, a.n, a.gpu_count) == (V1_T0, V1_TYPE, 6, 4)
    assert (a.gpu_used_n, a.gpu_used_sum, a.gpu_used_max) == (0, 0.0, None)
    assert a.gpu_mem_max == pytest.approx(9.0) and a.cpu_sum == pytest.approx(1.2)
    ((_, span),) = store.spans(0)
    assert (span.running.instance_type, span.running.per_hour, span.hours) == (V1_TYPE, 7.09, 2.0)

    # the old minutes' GPU samples count as all 4 GPUs in use (never fewer than the truth)
    old = summarize(7200, 7200, [m for _, _, m in minutes])
    assert old.gpus_in_use_p95 == 4.0 and old.gpus_in_use_p50 == 4.0

    # a new minute adds to a migrated one: the new columns add up from 0
    new = Aggregate.of(sample(FakeNvml([(60, 9.0), (0, 0), (0, 0), (0, 0)])))
    assert store.write({(MINUTE, V1_T0, V1_TYPE): new}, []) == []
    ((_, _, a),) = store.buckets(MINUTE, V1_T0, V1_T0 + 1)
    assert (a.n, a.gpu_used_n, a.gpu_used_sum, a.gpu_used_max) == (7, 1, 1.0, 1.0)
    mixed = summarize(60, 60, [a])
    assert mixed.gpus_in_use_p50 == 4.0  # 6 of 7 samples unknown: counted as 4
    store.close()

    # opened again: already schema 2, nothing migrated twice
    again = HistoryStore(path)
    assert again.get_meta("schema") == "2" and again.counts()["usage_60"] == 120
    again.close()


def test_a_newer_schema_is_moved_aside_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    shutil.copy(SCHEMA_1, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    conn.close()
    store = HistoryStore(path, clock=lambda: V1_T0 + 7200.0)
    assert store.counts() == {"usage_60": 0, "usage_3600": 0, "spans": 0}
    assert store.moved_aside is not None and store.moved_aside.exists()
    store.close()


def test_a_table_added_later_survives_the_migration(tmp_path: Path) -> None:
    """Other features add tables with CREATE TABLE IF NOT EXISTS (additive): the migration
    keeps them and their rows."""
    path = tmp_path / "history.sqlite"
    shutil.copy(SCHEMA_1, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE IF NOT EXISTS extra (id INTEGER PRIMARY KEY, what TEXT)")
        conn.execute("INSERT INTO extra (what) VALUES ('kept')")
    conn.close()
    store = HistoryStore(path)
    assert store.get_meta("schema") == "2"
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT what FROM extra").fetchall() == [("kept",)]
    conn.close()
