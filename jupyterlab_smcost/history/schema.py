"""The history file's schema: its tables, the SQL that merges usage aggregates, and the
migration of older files (:data:`SCHEMA_VERSION`). Pure definitions; :mod:`.store` runs them."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from ..usage import Aggregate

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
#: 2: usage keeps how many GPUs each sample found in use (``gpu_used_*``); a file of
#: schema 1 is migrated in place (:func:`migrate`)
SCHEMA_VERSION = 2
#: SQLite primary result codes that mean the file is damaged, not busy or unwritable
_CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB

AGG_COLUMNS = tuple(f.name for f in fields(Aggregate))
_MAXED = {"cpu_max", "mem_max", "gpu_max", "gpu_mem_max", "gpu_count", "gpu_used_max"}
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


SCHEMA_SQL = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS usage (
    tier INTEGER NOT NULL,
    t INTEGER NOT NULL,
    instance_type TEXT NOT NULL,
    {", ".join(f"{c} {_column_type(c)}" for c in AGG_COLUMNS)},
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
UPSERT_SQL = (
    f"INSERT INTO usage (tier, t, instance_type, {', '.join(AGG_COLUMNS)}) "
    f"VALUES (?, ?, ?, {', '.join('?' * len(AGG_COLUMNS))}) "
    "ON CONFLICT (tier, t, instance_type) DO UPDATE SET "
    + ", ".join(_merge_sql(c) for c in AGG_COLUMNS)
)
SELECT_AGG = ", ".join(AGG_COLUMNS)


def _group_sql(c: str) -> str:
    """How rows merge into one step in SQL (what :meth:`Aggregate.merge` does)."""
    if c in _MAXED or c in _LATEST:  # the latest sizes: constant for one instance type
        return f"max({c})"
    if c in _MINNED:
        return f"min({c})"
    return f"sum({c})"


GROUPED_AGG = ", ".join(_group_sql(c) for c in AGG_COLUMNS)

BucketKey = tuple[int, int, str]  # (tier, bucket start in UNIX seconds, instance type)


def agg_of(row: Sequence[Any]) -> Aggregate:
    return Aggregate(*row)  # the columns are the fields, in order


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a file of an older schema up to :data:`SCHEMA_VERSION` in one transaction
    (nothing kept is lost); a newer schema than this code knows is refused (the file is
    then moved aside, not overwritten)."""
    if version > SCHEMA_VERSION or version < 1:
        raise sqlite3.DatabaseError(f"schema version {version}, not {SCHEMA_VERSION}")
    conn.execute("BEGIN IMMEDIATE")  # another process may be migrating the same file
    try:
        now = int(conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0])
        if now < 2:  # 1 -> 2: the GPUs-in-use columns, 0 samples counted in the old rows
            have = {r[1] for r in conn.execute("PRAGMA table_info(usage)")}
            for c in AGG_COLUMNS:
                if c in have:
                    continue
                additive = not (c in _MAXED or c in _MINNED or c in _LATEST)
                default = " NOT NULL DEFAULT 0" if additive else ""
                conn.execute(f"ALTER TABLE usage ADD COLUMN {c} {_column_type(c)}{default}")
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    log.info("smcost: usage history migrated from schema %d to %d", version, SCHEMA_VERSION)


def damaged(e: BaseException) -> bool:
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    # raised by this module (quick_check, schema) or without a code: a plain DatabaseError
    return type(e) is sqlite3.DatabaseError
