"""The usage history store (SQLite): downsampling, spans and spend, the size bound, kill -9,
a damaged file moved aside, and the window the recommendation reads from it."""

from __future__ import annotations

import logging
import os
import random
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from jupyterlab_smcost.history import (
    HOUR,
    KEPT_S,
    MAX_POINTS,
    MAX_ROWS,
    MINUTE,
    HistoryRecorder,
    HistoryStore,
    Running,
    Span,
    choose_step,
    read_usage,
    series,
    spend,
    window_summary,
)
from jupyterlab_smcost.history.reports import session_cost
from jupyterlab_smcost.usage import (
    Aggregate,
    GpuReading,
    Reading,
    UsageWindow,
    percentile,
    weighted_percentile,
)

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z, on a whole hour
G5 = Running("ml.g5.xlarge", "us-east-1", "Studio-JupyterLab", 1.41, "bundled", "2026-09-24")
M5 = Running("ml.m5.xlarge", "us-east-1", "Studio-JupyterLab", 0.23, "live", "2026-11-20")


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def recorder(path: Path, clock: Clock, **kw: Any) -> HistoryRecorder:
    return HistoryRecorder(HistoryStore(path, clock=clock), clock=clock, **kw)


def reading(cpu: float, mem: float = 4.0, gpu: float | None = None) -> Reading:
    gpus = () if gpu is None else (GpuReading(0, gpu, 3.0, 22.5), GpuReading(1, gpu / 2, 5.0, 22.5))
    return Reading(cpu, 4, mem, 16.0, gpus)


def feed(rec: HistoryRecorder, clock: Clock, values: list[float], interval: float = 10.0) -> None:
    for v in values:
        clock.t += interval
        rec.on_sample(clock.t, reading(v, mem=2.0 + 10 * v, gpu=v))


# ---------------------------------------------------------------------------- percentiles


def test_weighted_percentile_equals_the_percentile_of_repeated_values() -> None:
    rnd = random.Random(7)
    for _ in range(200):
        pairs = [(rnd.random(), rnd.randint(0, 6)) for _ in range(rnd.randint(1, 30))]
        expanded = [v for v, w in pairs for _ in range(w)]
        for q in (0, 50, 95, 100):
            want = percentile(expanded, q)
            got = weighted_percentile(pairs, q)
            assert (got is None and want is None) or got == pytest.approx(want)


# ---------------------------------------------------------------------------- downsampling


def test_minute_and_hour_buckets_keep_counts_means_and_maxima(tmp_path: Path) -> None:
    clock = Clock(T0 - 10)  # samples at T0, T0+10 ...: minute buckets start at T0
    rec = recorder(tmp_path / "h.sqlite", clock)
    rec.set_running([G5], "ml.g5.xlarge")
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.9] + [0.05] * 6  # two minutes of 10 s samples
    feed(rec, clock, values)
    assert rec.flush()
    [(t1, type1, a), (t2, _, b)] = rec.store.buckets(MINUTE, T0, T0 + 3600)
    assert (t1, t2, type1) == (T0, T0 + 60, "ml.g5.xlarge")
    assert (a.n, a.cpu_n, a.cpu_mean, a.cpu_max) == (6, 6, pytest.approx(0.4), 0.9)
    assert (a.mem_mean, a.mem_max, a.mem_total) == (pytest.approx(6.0), 11.0, 16.0)
    # GPU: the busiest device per sample (utilisation), the fullest (memory)
    assert (a.gpu_count, a.gpu_n, a.gpu_max, a.gpu_mean) == (2, 6, 0.9, pytest.approx(0.4))
    assert (a.gpu_mem_max, a.gpu_mem_total) == (5.0, 22.5)
    assert (b.n, b.cpu_max) == (6, 0.05)
    [(th, _, h)] = rec.store.buckets(HOUR, T0, T0 + 3600)
    assert (th, h.n, h.cpu_max) == (T0, 12, 0.9)
    assert h.cpu_mean == pytest.approx(sum(values) / 12)


def test_writes_are_batched_and_a_reopened_file_adds_up(tmp_path: Path) -> None:
    clock = Clock(T0 - 10)
    rec = recorder(tmp_path / "h.sqlite", clock)
    rec.set_running([G5], "ml.g5.xlarge")
    feed(rec, clock, [0.5] * 5)  # 50 s: no flush due yet (once a minute)
    assert rec.flushes == 0 and rec.store.buckets(MINUTE, T0, T0 + 60) == []
    feed(rec, clock, [0.5])  # 60 s since the start: one transaction
    assert rec.flushes == 1 and len(rec.pending()) == 0
    feed(rec, clock, [0.5])
    rec.close()
    # a second process in the same minute adds to the same buckets
    clock.t = T0 + 35
    rec2 = recorder(tmp_path / "h.sqlite", clock)
    rec2.set_running([G5], "ml.g5.xlarge")
    rec2.on_sample(clock.t, reading(0.95))
    rec2.close()
    [(_, _, a), _] = rec2.store.buckets(MINUTE, T0, T0 + 120)
    assert (a.n, a.cpu_max) == (7, 0.95)


def test_series_at_a_coarser_step_merges_buckets(tmp_path: Path) -> None:
    clock = Clock(T0 - 10)
    rec = recorder(tmp_path / "h.sqlite", clock)
    rec.set_running([G5], "ml.g5.xlarge")
    feed(rec, clock, [0.2] * 30 + [0.8] * 30)  # 10 minutes
    rec.flush()
    rows = read_usage(rec.store, rec.pending(), T0, clock.t, 300)
    points = series(rows, 300)
    assert [p["t"] for p in points] == [T0, T0 + 300]
    assert [p["samples"] for p in points] == [30, 30]
    assert [p["cpu_mean"] for p in points] == [0.2, 0.8]
    assert points[0]["mem_max"] == round(4.0 / 16, 4)  # memory as a fraction of 16 GiB
    assert points[1]["instance_type"] == "ml.g5.xlarge"
    # what is not written yet is in the series too
    feed(rec, clock, [0.6])
    rows = read_usage(rec.store, rec.pending(), T0, clock.t, 300)
    assert series(rows, 300)[-1]["samples"] == 1


def test_old_steps_come_from_the_hour_tier(tmp_path: Path) -> None:
    clock = Clock(T0)
    store = HistoryStore(tmp_path / "h.sqlite", clock=clock)
    a = Aggregate.of(reading(0.5))
    old = T0 - 3 * 86400  # beyond the minute tier's 48 hours
    store.write({(HOUR, int(old), "x"): a, (MINUTE, int(old), "x"): a}, [])
    store.write({(MINUTE, int(T0 - 600), "x"): a, (HOUR, int(T0 - 3600), "x"): a}, [])
    rows = read_usage(store, [], T0 - 4 * 86400, T0, 60)
    assert [(t, agg.n) for t, _, agg in rows] == [(old, 1), (T0 - 600, 1)]
    # steps of an hour or more read only hours
    rows = read_usage(store, [], T0 - 4 * 86400, T0, 3600)
    assert [t for t, _, _ in rows] == [old, T0 - 3600]


def test_step_is_raised_to_keep_the_points_bounded() -> None:
    assert choose_step(60, T0 - 3600, T0) == 60
    assert choose_step(300, T0 - 3600, T0) == 300
    step = choose_step(60, T0 - 30 * 86400, T0)
    assert step == 1800 and 30 * 86400 / step <= MAX_POINTS
    assert choose_step(60, T0 - 60 * 86400, T0) == 3600


# ---------------------------------------------------------------------------- spans and spend


def test_spans_follow_type_and_price_changes(tmp_path: Path) -> None:
    clock = Clock(T0)
    rec = recorder(tmp_path / "h.sqlite", clock)
    rec.set_running([M5], "ml.m5.xlarge")
    clock.t += 1800
    rec.flush()
    live = Running("ml.m5.xlarge", "us-east-1", "Studio-JupyterLab", 0.25, "live", "2026-12-01")
    rec.set_running([live], "ml.m5.xlarge")  # a newer live price
    clock.t += 1800
    rec.flush()
    rec.close()
    spans = [s for _, s in rec.store.spans(0)]
    assert [(s.start, s.end, s.running.per_hour) for s in spans] == [
        (T0, T0 + 1800, 0.23),
        (T0 + 1800, T0 + 3600, 0.25),
    ]
    out = spend(spans, date(2027, 1, 15), clock.t)
    [day] = out["days"]
    assert day["amount"] == pytest.approx(0.5 * 0.23 + 0.5 * 0.25) and day["hours"] == 1.0
    assert out["currency"] == "USD"
    quotes = [p["price"] for p in day["prices"]]
    assert [(q["per_hour"], q["source"], q["as_of"]) for q in quotes] == [
        (0.23, "live", "2026-11-20"),
        (0.25, "live", "2026-12-01"),
    ]


def test_cost_since_start_counts_each_span_at_the_price_in_force(tmp_path: Path) -> None:
    """Half an hour at 0.23, then half an hour at a newer 0.25 (and a second app of the same
    type and price, a slot of its own, for ten minutes): each at its own price, from memory
    (no read of the file), whether or not a write happened in between."""
    clock = Clock(T0)
    rec = recorder(tmp_path / "h.sqlite", clock)
    assert session_cost(rec.session_hours()) == 0.0  # nothing billed yet
    rec.set_running([M5], "ml.m5.xlarge")
    clock.t += 1800
    rec.flush()
    newer = Running("ml.m5.xlarge", "us-east-1", "Studio-JupyterLab", 0.25, "live", "2026-12-01")
    rec.set_running([newer], "ml.m5.xlarge")
    clock.t += 1200
    rec.set_running([newer, replace(newer, slot=1)], None)
    clock.t += 600
    rec.set_running([newer], "ml.m5.xlarge")
    expected = 0.5 * 0.23 + (0.5 + 1 / 6) * 0.25
    assert session_cost(rec.session_hours()) == pytest.approx(expected, abs=1e-4)
    unknown = Running("ml.x9.huge", "us-east-1", "Studio-JupyterLab", None, "unknown", None)
    rec.set_running([G5, unknown], None)
    clock.t += 60
    assert session_cost(rec.session_hours()) is None  # some of it ran at an unknown price
    rec.close()


def test_spend_splits_days_counts_unpriced_hours_and_the_month(tmp_path: Path) -> None:
    unknown = Running("ml.x9.huge", "us-east-1", "Studio-JupyterLab", None, "unknown", None)
    midnight = datetime(2027, 1, 15, tzinfo=timezone.utc).timestamp()
    spans = [
        Span(midnight - 2 * HOUR, midnight + 3 * HOUR, G5),  # 2 h on the 14th, 3 h on the 15th
        Span(midnight + 4 * HOUR, midnight + 5 * HOUR, unknown),
        Span(midnight - 20 * 86400, midnight - 20 * 86400 + HOUR, G5),  # December
    ]
    out = spend(spans, date(2027, 1, 13), midnight + 6 * HOUR)
    days = {d["date"]: d for d in out["days"]}
    assert list(days) == ["2027-01-13", "2027-01-14", "2027-01-15"]
    assert days["2027-01-13"]["amount"] == 0.0 and days["2027-01-13"]["prices"] == []
    assert days["2027-01-14"]["amount"] == pytest.approx(2 * 1.41)
    assert days["2027-01-15"]["amount"] == pytest.approx(3 * 1.41)
    assert days["2027-01-15"]["unpriced_hours"] == 1.0 and days["2027-01-15"]["hours"] == 4.0
    mtd = out["month_to_date"]
    assert mtd["month"] == "2027-01" and mtd["amount"] == pytest.approx(5 * 1.41)
    assert mtd["unpriced_hours"] == 1.0


def test_open_spans_run_to_now_and_a_killed_run_ends_at_its_last_write(tmp_path: Path) -> None:
    clock = Clock(T0)
    rec = recorder(tmp_path / "h.sqlite", clock)
    rec.set_running([G5], "ml.g5.xlarge")
    clock.t += 120
    rec.flush()
    clock.t += 50  # not written yet: the open span still counts to now
    [s] = rec.spans(0)
    assert (s.start, s.end) == (T0, T0 + 170)
    # the process dies here (no close): the next one sees the span end at the last write
    clock.t += 600
    rec2 = recorder(tmp_path / "h.sqlite", clock)
    [(_, kept)] = rec2.store.spans(0)
    assert (kept.start, kept.end) == (T0, T0 + 120)


# ---------------------------------------------------------------------------- bounded size


def test_sixty_days_stay_bounded(tmp_path: Path) -> None:
    """70 days with every field set (random fractions: the widest rows), one sample an
    hour, then the last 3 days one a minute (every minute row the tier keeps): rows stay
    within the tiers' spans, the file under 1 MiB and its write-ahead log under its
    512 KiB limit (docs/users/history.md and benchmarks/bench_history.py: the figures at
    10 s)."""
    clock = Clock(T0)
    path = tmp_path / "h.sqlite"
    rec = recorder(path, clock, flush_s=600)
    rec.set_running([G5], "ml.g5.xlarge")
    rnd = random.Random(3)
    for i in range(67 * 24 + 3 * 1440):
        clock.t += 3600 if i < 67 * 24 else 60
        rec.on_sample(
            clock.t,
            Reading(
                rnd.random(),
                4,
                rnd.uniform(1, 15),
                15.5,
                (GpuReading(0, rnd.random(), rnd.uniform(0, 20), 22.5),),
            ),
        )
    rec.flush()
    counts = rec.store.counts()
    # pruned once an hour: at most an hour over each tier's span
    assert KEPT_S[MINUTE] // 60 <= counts["usage_60"] <= KEPT_S[MINUTE] // 60 + 61
    assert KEPT_S[HOUR] // 3600 <= counts["usage_3600"] <= KEPT_S[HOUR] // 3600 + 2
    wal = Path(str(path) + "-wal")
    assert path.stat().st_size < 1024 * 1024
    assert wal.stat().st_size <= 600 * 1024
    print(f"60+ days: {counts}, file {path.stat().st_size} B, log {wal.stat().st_size} B")


def test_row_caps_hold_when_the_clock_jumps(tmp_path: Path) -> None:
    """A clock set years ahead, then back: age pruning cannot drop the future rows, the
    caps do."""
    clock = Clock(T0 + 10 * 365 * 86400)
    store = HistoryStore(tmp_path / "h.sqlite", clock=clock)
    a = Aggregate.of(reading(0.5))
    future = {(MINUTE, int(clock.t) + 60 * i, "x"): a for i in range(MAX_ROWS[MINUTE] + 500)}
    store.write(future, [])
    clock.t = T0
    store.write({(MINUTE, int(T0), "x"): a}, [], prune_before=T0)
    assert store.counts()["usage_60"] == MAX_ROWS[MINUTE] + 1


# ---------------------------------------------------------------------------- crashes


def test_a_garbage_file_is_moved_aside_with_one_warning(tmp_path: Path, caplog: Any) -> None:
    path = tmp_path / "smcost" / "history.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"this is not a database, " * 100)
    clock = Clock()
    caplog.set_level(logging.WARNING)
    rec = recorder(path, clock)
    rec.set_running([G5], "ml.g5.xlarge")
    feed(rec, clock, [0.5] * 7)
    assert rec.flushes == 1
    rec.flush()
    assert rec.store.counts()["usage_60"] >= 1  # the new file works
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "damaged" in warnings[0].getMessage()
    aside = rec.store.moved_aside
    assert aside is not None and aside.read_bytes().startswith(b"this is not a database")
    assert aside.name.startswith("history.sqlite.corrupt-")


def test_a_damaged_page_is_found_and_the_file_moved_aside(tmp_path: Path, caplog: Any) -> None:
    path = tmp_path / "h.sqlite"
    clock = Clock(T0 - 10)
    rec = recorder(path, clock)
    rec.set_running([G5], "ml.g5.xlarge")
    feed(rec, clock, [0.3] * 6 * 240)  # four hours: a few pages of rows
    rec.close()
    rec.store.checkpoint()
    rec.store.close()
    raw = bytearray(path.read_bytes())
    assert len(raw) > 8 * 4096
    raw[3 * 4096 : 6 * 4096] = os.urandom(3 * 4096)  # pages 4-6: b-tree pages
    path.write_bytes(bytes(raw))
    caplog.set_level(logging.WARNING)
    store = HistoryStore(path, clock=clock)
    assert store.counts() == {"usage_60": 0, "usage_3600": 0, "spans": 0}
    assert store.moved_aside is not None and store.moved_aside.exists()
    assert sum("damaged" in r.getMessage() for r in caplog.records) == 1


def test_an_unwritable_place_is_one_warning_and_nothing_lost_meanwhile(
    tmp_path: Path, caplog: Any
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the directory should be")
    clock = Clock(T0 - 10)
    caplog.set_level(logging.WARNING)
    rec = recorder(blocker / "h.sqlite", clock)
    rec.set_running([G5], "ml.g5.xlarge")
    feed(rec, clock, [0.4] * 30)  # five minutes: five failed flushes
    assert rec.flushes == 0
    assert sum("not kept" in r.getMessage() for r in caplog.records) == 1
    assert sum(a.n for (tier, _, _), a in rec.pending() if tier == MINUTE) == 30


# ---------------------------------------------------------------------------- the window


def test_kept_window_takes_the_newest_minutes_of_this_type_and_skips_gaps(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.sqlite"
    clock = Clock(T0 - 10)
    rec = recorder(path, clock)
    rec.set_running([G5], "ml.g5.xlarge")
    feed(rec, clock, [0.3] * 6 * 30)  # 30 min at 30% on g5.xlarge
    rec.set_running([M5], "ml.m5.xlarge")
    feed(rec, clock, [0.9] * 6 * 30)  # 30 min at 90% on m5.xlarge
    clock.t += 8 * 3600  # stopped overnight (8 hours of nothing)
    rec.set_running([G5], "ml.g5.xlarge")
    feed(rec, clock, [0.2] * 6 * 40)  # 40 min at 20% on g5.xlarge
    rec.close()
    clock.t += 600
    rec2 = recorder(path, clock)
    kept = rec2.kept_window("ml.g5.xlarge", 3600, 10)
    # the newest 40 minutes, then 20 of the older g5 run: the gap and m5 skipped
    assert [a.cpu_max for _, a in kept] == [0.2] * 40 + [0.3] * 20
    assert kept[0][0] > kept[-1][0]  # newest first
    summary = window_summary(3600, [], kept, 10)
    assert (summary.samples, summary.span_s, summary.cpu_max) == (360, 3600, 0.3)
    assert summary.cpu_p50 == pytest.approx(0.2)
    # only this type's samples count: m5's are its own
    assert [a.cpu_max for _, a in rec2.kept_window("ml.m5.xlarge", 3600, 10)] == [0.9] * 30
    assert rec2.kept_window("ml.c5.xlarge", 3600, 10) == []


def test_kept_minutes_count_at_their_peak_for_p95(tmp_path: Path) -> None:
    """Against the same samples read one by one: p50 from the means, p95 and max from the
    peaks (never below what the samples said)."""
    rnd = random.Random(5)
    values = [rnd.random() * 0.5 for _ in range(6 * 60)]
    clock = Clock(T0 - 10)
    rec = recorder(tmp_path / "h.sqlite", clock)
    rec.set_running([G5], "ml.g5.xlarge")
    feed(rec, clock, values)
    rec.close()
    clock.t += 120
    kept = recorder(tmp_path / "h.sqlite", clock).kept_window("ml.g5.xlarge", 3600, 10)
    from_kept = window_summary(3600, [], kept, 10)
    w = UsageWindow(3600, clock=lambda: 0.0)
    w.extend(reading(v) for v in values)
    exact = w.summary()
    assert from_kept.samples == exact.samples == 360
    assert from_kept.cpu_max == exact.cpu_max
    assert exact.cpu_p95 <= from_kept.cpu_p95 <= exact.cpu_max
    assert abs(from_kept.cpu_p50 - exact.cpu_p50) < 0.05


def test_this_runs_samples_come_first_and_kept_fill_the_rest(tmp_path: Path) -> None:
    clock = Clock(T0 - 10)
    rec = recorder(tmp_path / "h.sqlite", clock)
    rec.set_running([G5], "ml.g5.xlarge")
    feed(rec, clock, [0.1] * 6 * 45)
    rec.close()
    clock.t += 300
    rec2 = recorder(tmp_path / "h.sqlite", clock)
    raw = [(float(i * 10), reading(0.6)) for i in range(91)]  # this run: 15 minutes
    kept = rec2.kept_window("ml.g5.xlarge", 3600 - 900, 10)
    assert len(kept) == 45
    s = window_summary(3600, raw, kept, 10)
    assert s.samples == 91 + 270 and s.span_s == 3600
    assert s.cpu_max == 0.6 and s.cpu_p50 == pytest.approx(0.1)
