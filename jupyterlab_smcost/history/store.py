"""The SQLite file that keeps what this instance did over time, across restarts.

Kept:

- **usage**: per minute for 48 hours and per hour for 60 days, per instance type, an
  :class:`~jupyterlab_smcost.usage.Aggregate` of the samples (count, mean and maximum of
  CPU, memory, GPU);
- **spans**: the time this server ran on an instance type, with its region, component and
  the price in force (with the price's source and date).

Writes: the usage sampler's thread (a listener) adds each reading to in-memory aggregates
and writes them once a minute in one transaction, with the running spans' ends. SQLite in
WAL mode with ``synchronous=NORMAL``: a committed transaction survives the process being
killed (kill -9 loses at most the minute not yet written), and a transaction is all or
nothing. Rows older than the tiers' spans are pruned every hour, and each table has a hard
row cap whatever the clock does, so the file stays bounded (benchmarks/README.md: the size
measured for 60 days). A file SQLite cannot read, or whose ``quick_check`` fails, is moved
aside with one warning and a new one started.

Every method that touches the file blocks: callers run them off the event loop.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from ..usage import Aggregate
from .schema import (
    AGG_COLUMNS,
    DAY,
    GROUPED_AGG,
    HOUR,
    KEPT_S,
    MAX_ROWS,
    MAX_SPANS,
    MINUTE,
    SCHEMA_SQL,
    SCHEMA_VERSION,
    SELECT_AGG,
    SPANS_KEPT_S,
    TIERS,
    UPSERT_SQL,
    BucketKey,
    agg_of,
    damaged,
    migrate,
)
from .spans import Running, Span

log = logging.getLogger(__name__)

#: what importers of this module have always found here
__all__ = [
    "DAY",
    "HOUR",
    "KEPT_S",
    "MAX_ROWS",
    "MINUTE",
    "SCHEMA_VERSION",
    "BucketKey",
    "HistoryStore",
    "Running",
    "Span",
]

#: seconds between two writes (one transaction each), and between two prunes
FLUSH_S = 60.0
PRUNE_S = float(HOUR)
#: seconds to wait before trying a file again that could not be opened (not corrupt)
RETRY_OPEN_S = 600.0
#: unwritten aggregates kept while the file cannot be written (then the oldest go)
MAX_PENDING = 2 * 48 * 60


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
        self._opened = 0  # connections opened so far (usage_version)

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
                conn.executescript(SCHEMA_SQL)
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
                    )
            if row is not None and int(row[0]) != SCHEMA_VERSION:
                migrate(conn, int(row[0]))
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
            if not damaged(e):
                return self._unavailable(e)
            self._move_aside(e)
            try:
                self._conn = self._connect()
            except (sqlite3.Error, OSError) as e2:
                return self._unavailable(e2)
        except OSError as e:
            return self._unavailable(e)
        self._opened += 1
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
                    if attempt == 2 or not damaged(e):
                        self._warn_once(
                            type(e).__name__, "smcost: usage history %s: %s", self.path, e
                        )
                        if damaged(e):
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
                    UPSERT_SQL,
                    (
                        (tier, t, itype, *(getattr(a, c) for c in AGG_COLUMNS))
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
                                r.per_hour,
                                r.source,
                                r.as_of,
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
                    f"SELECT t, instance_type, {SELECT_AGG} FROM usage "
                    "WHERE tier = ? AND t >= ? AND t < ? ORDER BY t",
                    args,
                )
            else:
                rows = conn.execute(
                    f"SELECT t / {int(step)} * {int(step)} AS k, instance_type, {GROUPED_AGG} "
                    "FROM usage WHERE tier = ? AND t >= ? AND t < ? "
                    "GROUP BY k, instance_type ORDER BY k",
                    args,
                )
            return [(r[0], r[1], agg_of(r[2:])) for r in rows]

        return self._run(q, [])

    def newest_first(
        self, tier: int, instance_type: str, before: float, limit: int
    ) -> list[tuple[int, Aggregate]]:
        """Up to ``limit`` buckets of one type that end by ``before``, newest first."""

        def q(conn: sqlite3.Connection) -> list[tuple[int, Aggregate]]:
            rows = conn.execute(
                f"SELECT t, {SELECT_AGG} FROM usage WHERE tier = ? AND instance_type = ? "
                "AND t <= ? ORDER BY t DESC LIMIT ?",
                (tier, instance_type, math.floor(before - tier), limit),
            )
            return [(r[0], agg_of(r[1:])) for r in rows]

        return self._run(q, [])

    def newest_counts(
        self, tier: int, instance_type: str, before: float, limit: int
    ) -> list[tuple[int, int]]:
        """``(t, samples)`` of :meth:`newest_first`'s buckets, without the rest (cheap)."""

        def q(conn: sqlite3.Connection) -> list[tuple[int, int]]:
            rows = conn.execute(
                "SELECT t, n FROM usage WHERE tier = ? AND instance_type = ? "
                "AND t <= ? ORDER BY t DESC LIMIT ?",
                (tier, instance_type, math.floor(before - tier), limit),
            )
            return [(r[0], r[1]) for r in rows]

        return self._run(q, [])

    def all_counts(self, tier: int, instance_type: str) -> Optional[list[tuple[int, int]]]:
        """``(t, samples)`` of every bucket of one type and tier, newest first (None: the
        file could not be read)."""

        def q(conn: sqlite3.Connection) -> list[tuple[int, int]]:
            rows = conn.execute(
                "SELECT t, n FROM usage WHERE tier = ? AND instance_type = ? ORDER BY t DESC",
                (tier, instance_type),
            )
            return [(r[0], r[1]) for r in rows]

        return self._run(q, None)

    def usage_version(self) -> Optional[tuple[int, int]]:
        """What changes when the file may hold other rows than this connection wrote:
        ``(connections opened, SQLite's data_version)``; data_version changes when another
        connection committed (None: the file cannot be read)."""

        def q(conn: sqlite3.Connection) -> tuple[int, int]:
            return self._opened, int(conn.execute("PRAGMA data_version").fetchone()[0])

        return self._run(q, None)

    def type_buckets(
        self, tier: int, instance_type: str, first: int, last: int
    ) -> dict[int, Aggregate]:
        """One type's buckets of one tier with ``first <= t <= last``, by ``t``."""

        def q(conn: sqlite3.Connection) -> dict[int, Aggregate]:
            rows = conn.execute(
                f"SELECT t, {SELECT_AGG} FROM usage WHERE tier = ? AND instance_type = ? "
                "AND t >= ? AND t <= ?",
                (tier, instance_type, first, last),
            )
            return {r[0]: agg_of(r[1:]) for r in rows}

        return self._run(q, {})

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
