"""What this instance did over time, kept across restarts in one small SQLite file.

Kept:

- **usage**: per minute for 48 hours and per hour for 60 days, per instance type, an
  :class:`~.usage.Aggregate` of the samples (count, mean and maximum of CPU, memory, GPU);
- **spans**: the time this server ran on an instance type, with its region, component and
  the price in force (with the price's source and date).

Writes: the usage sampler's thread (a listener) adds each reading to in-memory aggregates
and writes them once a minute in one transaction, with the running spans' ends. SQLite in
WAL mode with ``synchronous=NORMAL``: a committed transaction survives the process being
killed (kill -9 loses at most the minute not yet written), and a transaction is all or
nothing. Rows older than the tiers' spans are pruned every hour, and each table has a hard
row cap whatever the clock does, so the file stays bounded (README: size measured for 60
days). A file SQLite cannot read, or whose ``quick_check`` fails, is moved aside with one
warning and a new one started.

Every method that touches the file blocks: callers run them off the event loop.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from .usage import Aggregate, Reading, UsageSummary, summarize

log = logging.getLogger(__name__)

MINUTE, HOUR, DAY = 60, 3600, 86400
TIERS = (MINUTE, HOUR)
#: how long each tier keeps its buckets
KEPT_S = {MINUTE: 48 * HOUR, HOUR: 60 * DAY}
#: spans: long enough for 60 days of spend and a whole month to date
SPANS_KEPT_S = 62 * DAY
#: hard caps on rows (twice what the ages allow), against clocks that jump about
MAX_ROWS = {tier: 2 * kept // tier for tier, kept in KEPT_S.items()}
MAX_SPANS = 20_000
#: seconds between two writes (one transaction each), and between two prunes
FLUSH_S = 60.0
PRUNE_S = float(HOUR)
#: seconds to wait before trying a file again that could not be opened (not corrupt)
RETRY_OPEN_S = 600.0
#: unwritten aggregates kept while the file cannot be written (then the oldest go)
MAX_PENDING = 2 * 48 * 60
SCHEMA_VERSION = 1
#: SQLite primary result codes that mean the file is damaged, not busy or unwritable
_CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB

_AGG_COLUMNS = tuple(f.name for f in fields(Aggregate))
_MAXED = {"cpu_max", "mem_max", "gpu_max", "gpu_mem_max", "gpu_count"}
_MINNED = {"gpu_mem_total"}
_LATEST = {"cpu_count", "mem_total"}


def _merge_sql(c: str) -> str:
    """How an additive upsert merges column ``c`` (NULL-safe max/min)."""
    if c in _MAXED:
        return f"{c} = max(coalesce({c}, excluded.{c}), coalesce(excluded.{c}, {c}))"
    if c in _MINNED:
        return f"{c} = min(coalesce({c}, excluded.{c}), coalesce(excluded.{c}, {c}))"
    if c in _LATEST:
        return f"{c} = coalesce(excluded.{c}, {c})"
    return f"{c} = {c} + excluded.{c}"


def _column_type(c: str) -> str:
    return "INTEGER" if c == "n" or c.endswith(("_n", "_count")) else "REAL"


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS usage (
    tier INTEGER NOT NULL,
    t INTEGER NOT NULL,
    instance_type TEXT NOT NULL,
    {", ".join(f"{c} {_column_type(c)}" for c in _AGG_COLUMNS)},
    PRIMARY KEY (tier, t, instance_type)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS spans (
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    ended REAL NOT NULL,
    instance_type TEXT NOT NULL,
    region TEXT NOT NULL,
    component TEXT NOT NULL,
    usd_per_hour REAL,
    price_source TEXT NOT NULL,
    price_as_of TEXT
);
CREATE INDEX IF NOT EXISTS spans_ended ON spans (ended);
"""
_UPSERT = (
    f"INSERT INTO usage (tier, t, instance_type, {', '.join(_AGG_COLUMNS)}) "
    f"VALUES (?, ?, ?, {', '.join('?' * len(_AGG_COLUMNS))}) "
    "ON CONFLICT (tier, t, instance_type) DO UPDATE SET "
    + ", ".join(_merge_sql(c) for c in _AGG_COLUMNS)
)
_SELECT_AGG = ", ".join(_AGG_COLUMNS)


def _group_sql(c: str) -> str:
    """How rows merge into one step in SQL (what :meth:`Aggregate.merge` does)."""
    if c in _MAXED or c in _LATEST:  # the latest sizes: constant for one instance type
        return f"max({c})"
    if c in _MINNED:
        return f"min({c})"
    return f"sum({c})"


_GROUPED_AGG = ", ".join(_group_sql(c) for c in _AGG_COLUMNS)

BucketKey = tuple[int, int, str]  # (tier, bucket start in UNIX seconds, instance type)


def _agg(row: Sequence[Any]) -> Aggregate:
    return Aggregate(*row)  # the columns are the fields, in order


@dataclass(frozen=True)
class Running:
    """One instance type billed now, with the price in force."""

    instance_type: str
    region: str
    component: str
    usd_per_hour: Optional[float]
    price_source: str
    price_as_of: Optional[str]
    #: apps of the same type billed at once (Studio Classic): 0, 1, ... (not kept)
    slot: int = 0


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    running: Running

    @property
    def hours(self) -> float:
        return max(0.0, self.end - self.start) / HOUR


class HistoryStore:
    """The SQLite file. Thread-safe: one connection behind one lock (the sampler thread
    writes, request workers read). Opened on first use."""

    def __init__(self, path: Path, log: logging.Logger = log, clock: Any = time.time) -> None:
        self.path = Path(path)
        self.log = log
        self._clock = clock
        self._lock = threading.RLock()
        self._conn: Optional[sqlite3.Connection] = None
        self._retry_at = 0.0
        self._warned: set[str] = set()
        #: where a damaged file went (the last one), for tests and the log
        self.moved_aside: Optional[Path] = None

    # -- opening, repair
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # keep the write-ahead log small: checkpoint every ~400 KiB, truncate it after
            conn.execute("PRAGMA wal_autocheckpoint=100")
            conn.execute("PRAGMA journal_size_limit=524288")
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check}")
            with conn:
                conn.executescript(_SCHEMA)
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
                    )
                elif int(row[0]) != SCHEMA_VERSION:
                    raise sqlite3.DatabaseError(f"schema version {row[0]}, not {SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _open(self) -> Optional[sqlite3.Connection]:
        if self._conn is not None:
            return self._conn
        if self._clock() < self._retry_at:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = self._connect()
        except sqlite3.DatabaseError as e:
            if not _damaged(e):
                return self._unavailable(e)
            self._move_aside(e)
            try:
                self._conn = self._connect()
            except (sqlite3.Error, OSError) as e2:
                return self._unavailable(e2)
        except OSError as e:
            return self._unavailable(e)
        return self._conn

    def _unavailable(self, e: BaseException) -> None:
        self._retry_at = self._clock() + RETRY_OPEN_S
        self._warn_once(
            "open",
            "smcost: usage history is not kept: cannot open %s (%s); trying again in %d min",
            self.path,
            e,
            RETRY_OPEN_S // 60,
        )
        return None

    def _warn_once(self, what: str, msg: str, *args: Any) -> None:
        if what not in self._warned:
            self._warned.add(what)
            self.log.warning(msg, *args)

    def _move_aside(self, e: BaseException) -> None:
        stamp = datetime.fromtimestamp(self._clock(), timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                src.replace(Path(str(target) + suffix))
        self.moved_aside = target
        self.log.warning(
            "smcost: the usage history %s is damaged (%s): moved it to %s and started a new one",
            self.path,
            e,
            target,
        )

    def _run(self, fn: Any, default: Any = None) -> Any:
        """``fn(conn)`` under the lock; a damaged file found meanwhile is moved aside and
        ``fn`` tried once on a new one; other errors are logged once and give ``default``."""
        with self._lock:
            for attempt in (1, 2):
                conn = self._open()
                if conn is None:
                    return default
                try:
                    return fn(conn)
                except sqlite3.DatabaseError as e:
                    if attempt == 2 or not _damaged(e):
                        self._warn_once(
                            type(e).__name__, "smcost: usage history %s: %s", self.path, e
                        )
                        if _damaged(e):
                            self._close()
                        return default
                    self._close()
                    self._move_aside(e)
            return default

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._close()

    # -- writing
    def write(
        self,
        buckets: dict[BucketKey, Aggregate],
        spans: Sequence[tuple[Optional[int], Span]],
        prune_before: Optional[float] = None,
    ) -> Optional[list[int]]:
        """One transaction: add ``buckets`` to what is kept, insert or extend ``spans``
        (``(id or None, span)``), prune when ``prune_before`` (now) is given. Returns the
        spans' ids, or None when nothing could be written."""

        def tx(conn: sqlite3.Connection) -> list[int]:
            ids: list[int] = []
            with conn:
                conn.executemany(
                    _UPSERT,
                    (
                        (tier, t, itype, *(getattr(a, c) for c in _AGG_COLUMNS))
                        for (tier, t, itype), a in buckets.items()
                    ),
                )
                for span_id, s in spans:
                    if span_id is None:
                        r = s.running
                        cur = conn.execute(
                            "INSERT INTO spans (started, ended, instance_type, region, component, "
                            "usd_per_hour, price_source, price_as_of) VALUES (?,?,?,?,?,?,?,?)",
                            (
                                s.start,
                                s.end,
                                r.instance_type,
                                r.region,
                                r.component,
                                r.usd_per_hour,
                                r.price_source,
                                r.price_as_of,
                            ),
                        )
                        span_id = int(cur.lastrowid or 0)
                    else:
                        conn.execute("UPDATE spans SET ended = ? WHERE id = ?", (s.end, span_id))
                    ids.append(span_id)
                if prune_before is not None:
                    self._prune(conn, prune_before)
            return ids

        return self._run(tx)

    @staticmethod
    def _prune(conn: sqlite3.Connection, now: float) -> None:
        for tier in TIERS:
            conn.execute("DELETE FROM usage WHERE tier = ? AND t < ?", (tier, now - KEPT_S[tier]))
            conn.execute(
                "DELETE FROM usage WHERE tier = :tier AND t < (SELECT t FROM usage "
                "WHERE tier = :tier ORDER BY t DESC LIMIT 1 OFFSET :cap)",
                {"tier": tier, "cap": MAX_ROWS[tier]},
            )
        conn.execute("DELETE FROM spans WHERE ended < ?", (now - SPANS_KEPT_S,))
        conn.execute(
            "DELETE FROM spans WHERE id < (SELECT id FROM spans ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (MAX_SPANS,),
        )

    def set_meta(self, key: str, value: str) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            with conn:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

        self._run(tx)

    # -- reading
    def get_meta(self, key: str) -> Optional[str]:
        def q(conn: sqlite3.Connection) -> Optional[str]:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            return row[0] if row else None

        return self._run(q)

    def buckets(
        self, tier: int, since: float, until: float, step: Optional[int] = None
    ) -> list[tuple[int, str, Aggregate]]:
        """``(t, instance_type, aggregate)`` of one tier with ``since <= t < until``;
        with ``step``, merged per step (``t``: the step's start) by SQLite."""

        def q(conn: sqlite3.Connection) -> list[tuple[int, str, Aggregate]]:
            args = (tier, math.floor(since), math.ceil(until))
            if step is None or step <= tier:
                rows = conn.execute(
                    f"SELECT t, instance_type, {_SELECT_AGG} FROM usage "
                    "WHERE tier = ? AND t >= ? AND t < ? ORDER BY t",
                    args,
                )
            else:
                rows = conn.execute(
                    f"SELECT t / {int(step)} * {int(step)} AS k, instance_type, {_GROUPED_AGG} "
                    "FROM usage WHERE tier = ? AND t >= ? AND t < ? "
                    "GROUP BY k, instance_type ORDER BY k",
                    args,
                )
            return [(r[0], r[1], _agg(r[2:])) for r in rows]

        return self._run(q, [])

    def newest_first(
        self, tier: int, instance_type: str, before: float, limit: int
    ) -> list[tuple[int, Aggregate]]:
        """Up to ``limit`` buckets of one type that end by ``before``, newest first."""

        def q(conn: sqlite3.Connection) -> list[tuple[int, Aggregate]]:
            rows = conn.execute(
                f"SELECT t, {_SELECT_AGG} FROM usage WHERE tier = ? AND instance_type = ? "
                "AND t <= ? ORDER BY t DESC LIMIT ?",
                (tier, instance_type, math.floor(before - tier), limit),
            )
            return [(r[0], _agg(r[1:])) for r in rows]

        return self._run(q, [])

    def spans(self, since: float) -> list[tuple[int, Span]]:
        """Spans that ran at or after ``since``, oldest first."""

        def q(conn: sqlite3.Connection) -> list[tuple[int, Span]]:
            rows = conn.execute(
                "SELECT id, started, ended, instance_type, region, component, usd_per_hour, "
                "price_source, price_as_of FROM spans WHERE ended >= ? ORDER BY started",
                (since,),
            )
            return [(r[0], Span(r[1], r[2], Running(*r[3:]))) for r in rows]

        return self._run(q, [])

    def oldest(self) -> Optional[float]:
        """When the oldest thing kept started (UNIX seconds), or None when empty."""

        def q(conn: sqlite3.Connection) -> Optional[float]:
            a = conn.execute("SELECT min(t) FROM usage").fetchone()[0]
            b = conn.execute("SELECT min(started) FROM spans").fetchone()[0]
            found = [x for x in (a, b) if x is not None]
            return float(min(found)) if found else None

        return self._run(q)

    def counts(self) -> dict[str, int]:
        """Rows per table (tests, the benchmark)."""

        def q(conn: sqlite3.Connection) -> dict[str, int]:
            out = {
                f"usage_{tier}": conn.execute(
                    "SELECT count(*) FROM usage WHERE tier = ?", (tier,)
                ).fetchone()[0]
                for tier in TIERS
            }
            out["spans"] = conn.execute("SELECT count(*) FROM spans").fetchone()[0]
            return out

        return self._run(q, {})

    def checkpoint(self) -> None:
        """Write the log into the file and truncate it (tests measure the file this way)."""
        self._run(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"))


def _damaged(e: BaseException) -> bool:
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    # raised by this module (quick_check, schema) or without a code: a plain DatabaseError
    return type(e) is sqlite3.DatabaseError


class HistoryRecorder:
    """Feeds the store: readings (the sampler thread's listener) and what runs at what
    price (``set_running``, from the event loop). Batches writes: one transaction every
    ``flush_s`` seconds, from the thread that notices it is due."""

    def __init__(
        self,
        store: HistoryStore,
        clock: Any = time.time,
        flush_s: float = FLUSH_S,
        log: logging.Logger = log,
    ) -> None:
        self.store = store
        self._clock = clock
        self.flush_s = flush_s
        self.log = log
        self.started_at = clock()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[BucketKey, Aggregate] = {}
        self._usage_type = ""
        self._running: tuple[Running, ...] = ()
        self._changed_at = self.started_at
        #: spans this process has open: running -> (id or None until written, start)
        self._open: dict[Running, tuple[Optional[int], float]] = {}
        self._last_flush = self.started_at
        self._last_prune = 0.0
        self.flushes = 0

    # -- from the event loop (cheap, no I/O)
    def set_running(self, running: Sequence[Running], usage_type: Optional[str]) -> None:
        """What is billed now (one per instance type) and the type usage samples are
        tagged with (None: samples that describe no single billed type, never used for a
        recommendation)."""
        with self._lock:
            new = tuple(running)
            if new != self._running:
                self._running = new
                self._changed_at = self._clock()
            self._usage_type = usage_type or ""

    # -- from the sampler thread
    def on_sample(self, ts: float, reading: Reading) -> None:
        with self._lock:
            for tier in TIERS:
                key = (tier, int(ts // tier * tier), self._usage_type)
                agg = self._pending.get(key)
                if agg is None:
                    self._pending[key] = Aggregate.of(reading)
                else:
                    agg.add(reading)
        self.tick()

    def tick(self) -> None:
        """Write if a flush is due (sampler thread; or a worker when sampling is off)."""
        if self._clock() - self._last_flush >= self.flush_s:
            self.flush()

    def flush(self) -> bool:
        """Write what is pending and the running spans, in one transaction."""
        with self._flush_lock:
            now = self._clock()
            with self._lock:
                pending, self._pending = self._pending, {}
                running, changed_at = self._running, self._changed_at
            spans: list[tuple[Optional[int], Span]] = []
            closing = [r for r in self._open if r not in running]
            for r in closing:
                span_id, start = self._open[r]
                spans.append((span_id, Span(start, max(start, changed_at), r)))
            for r in running:
                span_id, start = self._open.get(r, (None, changed_at))
                spans.append((span_id, Span(start, now, r)))
            prune = now if now - self._last_prune >= PRUNE_S else None
            ids = self.store.write(pending, spans, prune)
            self._last_flush = now
            if ids is None:
                self._keep(pending)
                return False
            for r in closing:
                del self._open[r]
            for (_, s), span_id in zip(spans[len(closing) :], ids[len(closing) :], strict=True):
                self._open[s.running] = (span_id, s.start)
            if prune is not None:
                self._last_prune = now
            self.flushes += 1
            return True

    def _keep(self, pending: dict[BucketKey, Aggregate]) -> None:
        """Put unwritten aggregates back (bounded: the oldest go first)."""
        with self._lock:
            for key, agg in pending.items():
                mine = self._pending.get(key)
                if mine is None:
                    self._pending[key] = agg
                else:
                    agg.merge(mine)
                    self._pending[key] = agg
            if len(self._pending) > MAX_PENDING:
                for key in sorted(self._pending, key=lambda k: k[1])[:-MAX_PENDING]:
                    del self._pending[key]

    def close(self) -> None:
        self.flush()
        self.store.close()

    # -- reads (blocking)
    def pending(self) -> list[tuple[BucketKey, Aggregate]]:
        with self._lock:
            return [(k, Aggregate(**vars(a))) for k, a in self._pending.items()]

    def spans(self, since: float) -> list[Span]:
        """Kept spans from ``since``, the ones open in this process running to now."""
        with self._flush_lock:  # no write in between: each span counted once
            now = self._clock()
            open_ids = {span_id for span_id, _ in self._open.values() if span_id is not None}
            out = []
            for span_id, s in self.store.spans(since):
                out.append(Span(s.start, now, s.running) if span_id in open_ids else s)
            with self._lock:
                running, changed_at = self._running, self._changed_at
            for r in running:  # not written yet
                if self._open.get(r, (None, 0.0))[0] is None:
                    out.append(Span(changed_at, now, r))
            return out

    def kept_window(
        self, instance_type: str, need_s: float, interval_s: float
    ) -> list[tuple[int, Aggregate]]:
        """Kept buckets of ``instance_type`` from before this process started, newest
        first, until they cover ``need_s`` seconds of running time: minutes, then hours
        older than the oldest minute. A bucket covers its samples x ``interval_s`` (at
        most its length). Gaps (the server was not running) are skipped, not counted."""
        out: list[tuple[int, Aggregate]] = []
        covered, before = 0.0, self.started_at
        if need_s <= 0 or not instance_type:
            return out
        for tier in TIERS:
            limit = int(need_s // (min(tier, interval_s) or 1)) + 2
            for t, agg in self.store.newest_first(tier, instance_type, before, limit):
                out.append((t, agg))
                covered += min(float(tier), agg.n * interval_s)
                before = t
                if covered >= need_s:
                    return out
        return out


# ---------------------------------------------------------------------------- pure functions


def window_summary(
    window_s: float,
    raw: Sequence[tuple[float, Reading]],
    kept: Sequence[tuple[int, Aggregate]],
    interval_s: float,
) -> UsageSummary:
    """This run's readings (``raw``, oldest first) and kept buckets from before it
    (``kept``, newest first) as one window. ``span_s`` is the running time covered."""
    raw_span = raw[-1][0] - raw[0][0] if raw else 0.0
    kept_s = sum(min(float(HOUR), a.n * interval_s) for _, a in kept)
    aggs = [a for _, a in reversed(kept)] + [Aggregate.of(r) for _, r in raw]
    return summarize(window_s, min(window_s, raw_span + kept_s), aggs)


#: the steps GET history accepts (seconds): divisors of an hour, then of a day
STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_POINTS = 1500


def choose_step(step: int, since: float, until: float) -> int:
    """``step``, or the smallest accepted step that gives at most MAX_POINTS points."""
    for s in STEPS:
        if s >= step and (until - since) / s <= MAX_POINTS:
            return s
    return STEPS[-1]


def read_usage(
    store: HistoryStore,
    pending: Iterable[tuple[BucketKey, Aggregate]],
    since: float,
    until: float,
    step: int,
) -> list[tuple[int, str, Aggregate]]:
    """Buckets for a series at ``step``: minutes where kept (when the step is under an
    hour), hours before that (and for steps of an hour or more), written or pending."""
    end = math.floor(until) + 1  # the bucket ``until`` falls in counts
    if step < HOUR:
        cutoff = max(since, math.ceil((until - KEPT_S[MINUTE]) / HOUR) * HOUR)
        parts = [(HOUR, since, cutoff), (MINUTE, cutoff, end)]
    else:
        parts = [(HOUR, since, end)]
    # buckets that started before ``since`` but reach into it count too
    rows: list[tuple[int, str, Aggregate]] = []
    for tier, a, b in parts:
        if b <= a:
            continue
        start = a // tier * tier
        rows.extend(store.buckets(tier, start, b, step))
        rows.extend(
            (t, itype, agg)
            for (k_tier, t, itype), agg in pending
            if k_tier == tier and start <= t < b
        )
    return rows


def _r(x: Optional[float], n: int = 4) -> Optional[float]:
    return None if x is None else round(x, n)


def series(rows: Iterable[tuple[int, str, Aggregate]], step: int) -> list[dict[str, Any]]:
    """Points at ``step`` (t: UNIX seconds at the step's start), each with its samples'
    mean and maximum; steps without samples are left out (the chart shows a gap)."""
    by_t: dict[int, list[tuple[str, Aggregate]]] = {}
    for t, itype, agg in rows:
        by_t.setdefault(t // step * step, []).append((itype, agg))
    out = []
    for t in sorted(by_t):
        parts = by_t[t]
        if len(parts) == 1:  # the usual case: SQLite merged the step already
            itype, a = parts[0]
        else:
            a, types = Aggregate(), {}
            for it, agg in sorted(parts, key=lambda p: p[1].n):
                a.merge(agg)
                types[it] = types.get(it, 0) + agg.n
            itype = max(types.items(), key=lambda kv: kv[1])[0]
        if not a.n:
            continue
        out.append(_point(t, itype or None, a))
    return out


def _point(t: int, itype: Optional[str], a: Aggregate) -> dict[str, Any]:
    total = a.mem_total or 0.0
    return {
        "t": t,
        "instance_type": itype,
        "samples": a.n,
        "cpu_count": a.cpu_count,
        "cpu_mean": round(a.cpu_sum / a.cpu_n, 4) if a.cpu_n else None,
        "cpu_max": _r(a.cpu_max),
        "mem_total_gib": _r(a.mem_total, 2),
        "mem_mean": round(a.mem_sum / a.n / total, 4) if total else None,
        "mem_max": round(a.mem_max / total, 4) if total and a.mem_max is not None else None,
        "mem_max_gib": _r(a.mem_max, 2),
        "gpu_count": a.gpu_count,
        "gpu_mean": round(a.gpu_sum / a.gpu_n, 4) if a.gpu_n else None,
        "gpu_max": _r(a.gpu_max),
        "gpu_mem_max_gib": _r(a.gpu_mem_max, 2),
        "gpu_mem_total_gib": _r(a.gpu_mem_total, 2),
    }


def _utc_day(ts: float) -> date:
    return datetime.fromtimestamp(ts, timezone.utc).date()


def _day_start(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()


class _Tally:
    """Hours and dollars of some spans, with what each price was and where it came from."""

    def __init__(self) -> None:
        self.hours = 0.0
        self.unpriced_hours = 0.0
        self.usd = 0.0
        self.by_price: dict[Running, list[float]] = {}  # running -> [hours, usd]

    def add(self, r: Running, hours: float) -> None:
        if hours <= 0:
            return
        r = replace(r, slot=0)
        self.hours += hours
        row = self.by_price.setdefault(r, [0.0, 0.0])
        row[0] += hours
        if r.usd_per_hour is None:
            self.unpriced_hours += hours
        else:
            self.usd += hours * r.usd_per_hour
            row[1] += hours * r.usd_per_hour

    def to_json(self) -> dict[str, Any]:
        return {
            "usd": round(self.usd, 4),
            "hours": round(self.hours, 4),
            "unpriced_hours": round(self.unpriced_hours, 4),
            "prices": [
                {
                    "instance_type": r.instance_type,
                    "usd_per_hour": r.usd_per_hour,
                    "source": r.price_source,
                    "as_of": r.price_as_of,
                    "hours": round(h, 4),
                    "usd": None if r.usd_per_hour is None else round(usd, 4),
                }
                for r, (h, usd) in sorted(
                    self.by_price.items(), key=lambda kv: (kv[0].instance_type, -kv[1][0])
                )
            ],
        }


def _overlap(s: Span, a: float, b: float) -> float:
    return max(0.0, min(s.end, b) - max(s.start, a)) / HOUR


def spend(spans: Sequence[Span], first_day: date, now: float) -> dict[str, Any]:
    """Spend per UTC day from ``first_day`` to today (days without spans are zero), and
    this month to date: each span's hours in the day x the price in force in that span."""
    today = _utc_day(now)
    days = []
    for d in iter_days(first_day, today):
        a, b = _day_start(d), _day_start(d + timedelta(days=1))
        tally = _Tally()
        for s in spans:
            tally.add(s.running, _overlap(s, a, b))
        days.append({"date": d.isoformat(), **tally.to_json()})
    month = today.replace(day=1)
    mtd = _Tally()
    for s in spans:
        mtd.add(s.running, _overlap(s, _day_start(month), now))
    return {
        "days": days,
        "month_to_date": {"month": month.strftime("%Y-%m"), **mtd.to_json()},
    }


def iter_days(first: date, last: date) -> Iterator[date]:
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)
