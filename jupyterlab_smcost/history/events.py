"""The ledger's events in the history file (issue 19, part 3): each idle stop (when, the
type, the price in force with its source and currency), each start of the server (so the
gap after a stop is known on the next start) and each completed switch (from, to, both
prices, when).

One more table in the same SQLite file, made with ``CREATE TABLE IF NOT EXISTS`` on first
use: files written before it keep working, and the store's repair (a damaged file moved
aside) applies. Pruned like the spans (62 days, a hard row cap). Every method blocks:
callers run them off the event loop; a failure to write is logged by the store (once) and
never raised, so recording never breaks a stop.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Optional

from ..pricing import Quote
from .ledger import Event
from .schema import SPANS_KEPT_S
from .store import HistoryStore

#: hard cap on kept events, whatever the clock does
MAX_EVENTS = 5_000
#: a switch handed to the switcher (or to the user) waits this long for the next start
PENDING_SWITCH_S = 24 * 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    instance_type TEXT,
    region TEXT NOT NULL DEFAULT '',
    component TEXT NOT NULL DEFAULT '',
    currency TEXT NOT NULL DEFAULT 'USD',
    per_hour REAL,
    price_source TEXT NOT NULL DEFAULT 'unknown',
    price_as_of TEXT,
    from_type TEXT,
    from_per_hour REAL,
    from_source TEXT,
    from_as_of TEXT,
    booted REAL
);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
"""
_COLUMNS = (
    "at, kind, instance_type, region, component, currency, per_hour, price_source, "
    "price_as_of, from_type, from_per_hour, from_source, from_as_of, booted"
)
#: kinds kept: what the ledger counts, and a switch waiting for the next start
KINDS = ("stop", "start", "switch", "switch_pending")


def conservative(q: Quote) -> Optional[float]:
    """The price an idle stop is counted at: an estimate's low end, else the price."""
    return q.low if q.per_hour is not None and q.low is not None else q.per_hour


@dataclass(frozen=True)
class Recorded:
    """One row: the ledger's :class:`Event` with its row id."""

    id: int
    event: Event


def booted_at() -> Optional[float]:
    """When this machine (or container) started: its first process's start time (None when
    it cannot be read)."""
    try:
        import psutil

        return float(psutil.Process(1).create_time())
    except Exception:  # no /proc, no permission: the server's start is used alone
        return None


class LedgerEvents:
    """The events table of one history file."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store

    def _tx(self, fn: Any, default: Any = None) -> Any:
        def run(conn: sqlite3.Connection) -> Any:
            conn.executescript(_SCHEMA)
            return fn(conn)

        return self.store._run(run, default)

    def add(self, ev: Event) -> bool:
        """Write one event (and prune); False when it could not be written (logged)."""
        if ev.kind not in KINDS:
            raise ValueError(f"unknown ledger event {ev.kind!r}")

        def tx(conn: sqlite3.Connection) -> bool:
            with conn:
                conn.execute(
                    f"INSERT INTO events ({_COLUMNS}) VALUES ({', '.join('?' * 14)})",
                    (
                        ev.at,
                        ev.kind,
                        ev.instance_type,
                        ev.region,
                        ev.component,
                        ev.currency,
                        ev.price,
                        ev.source,
                        ev.as_of,
                        ev.from_type,
                        ev.from_price,
                        ev.from_source,
                        ev.from_as_of,
                        ev.booted,
                    ),
                )
                conn.execute("DELETE FROM events WHERE at < ?", (ev.at - SPANS_KEPT_S,))
                conn.execute(
                    "DELETE FROM events WHERE id < (SELECT id FROM events "
                    "ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (MAX_EVENTS,),
                )
            return True

        return bool(self._tx(tx, False))

    def since(self, since: float) -> list[Recorded]:
        """Events at or after ``since``, oldest first."""

        def q(conn: sqlite3.Connection) -> list[Recorded]:
            rows = conn.execute(
                f"SELECT id, {_COLUMNS} FROM events WHERE at >= ? ORDER BY at, id", (since,)
            )
            return [Recorded(r[0], _event(r[1:])) for r in rows]

        return self._tx(q, [])

    def last_before(self, before: float, kinds: tuple[str, ...]) -> Optional[Recorded]:
        """The latest event of ``kinds`` before ``before``."""

        def q(conn: sqlite3.Connection) -> Optional[Recorded]:
            marks = ", ".join("?" * len(kinds))
            row = conn.execute(
                f"SELECT id, {_COLUMNS} FROM events WHERE at < ? AND kind IN ({marks}) "
                "ORDER BY at DESC, id DESC LIMIT 1",
                (before, *kinds),
            ).fetchone()
            return None if row is None else Recorded(row[0], _event(row[1:]))

        return self._tx(q)

    def count(self) -> int:
        return int(self._tx(lambda c: c.execute("SELECT count(*) FROM events").fetchone()[0], 0))


def _event(r: tuple[Any, ...]) -> Event:
    (at, kind, itype, region, component, currency, price, source, as_of) = r[:9]
    from_type, from_price, from_source, from_as_of, booted = r[9:]
    return Event(
        kind,
        at,
        itype,
        price,
        currency or "USD",
        from_type,
        from_price,
        booted,
        source or "unknown",
        as_of,
        from_source or "unknown",
        from_as_of,
        region or "",
        component or "",
    )


def event_of(kind: str, at: float, q: Quote, **more: Any) -> Event:
    """An event at ``q``'s price (an idle stop's at :func:`conservative`)."""
    price = conservative(q) if kind == "stop" else q.per_hour
    return Event(
        kind,
        at,
        q.instance_type,
        price,
        q.currency,
        source=q.source,
        as_of=q.as_of,
        region=q.region,
        component=q.component,
        **more,
    )
