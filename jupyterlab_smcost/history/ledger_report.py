"""``GET smcost/ledger``: what the idle stops and switches saved this month (UTC), as
openapi.yaml's ``Ledger``. Pure: the events and spans in, ``now`` injected."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from .ledger import Event, Piece, Tally, ledger, pieces

DEFINITION = (
    "Estimates of what was not billed, not amounts billed. Idle shutdown: the hours between "
    "an idle stop and the next start of this space or instance (up to now while it is "
    "still stopped, and then said so), times the price in force at the stop (an estimated "
    "price at the low end of its likely range). Switches: the price difference between the "
    "old and the new type times the hours run on the new type since the switch (a switch "
    "to a dearer type counts against the total). Stops by a user, and stops not made by "
    "this extension, are not counted. An unknown price makes the money unknown."
)
#: the most stops and switches listed one by one (the newest)
MAX_LISTED = 100


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def month_start(now: float) -> float:
    d = datetime.fromtimestamp(now, timezone.utc)
    return datetime(d.year, d.month, 1, tzinfo=timezone.utc).timestamp()


def _r(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 4)


def _price(price: Optional[float], currency: str, source: str, as_of: Optional[str]) -> dict:
    return {"per_hour": price, "currency": currency, "source": source, "as_of": as_of}


def _days(ps: Sequence[Piece], first: float, now: float) -> list[dict[str, Any]]:
    """Per UTC day from ``first`` to today: what each kind saved that day."""
    out = []
    day = datetime.fromtimestamp(first, timezone.utc)
    while day.timestamp() <= now:
        a = day.timestamp()
        b = min(now, (day + timedelta(days=1)).timestamp())
        t = Tally()
        for p in ps:
            if p.end > a and p.start < b or p.start == p.end and a <= p.start < b:
                t.add(p, a, b)
        out.append(
            {
                "date": day.date().isoformat(),
                "hours_not_billed": round(t.stopped_hours, 4),
                "idle_saved": _r(t.idle_saved),
                "switch_saved": _r(t.switch_saved),
            }
        )
        day += timedelta(days=1)
    return out


def _unknown(ps: Sequence[Piece]) -> list[str]:
    out: list[str] = []
    for p in ps:
        if p.rate is not None:
            continue
        e = p.event
        line = (
            f"the price of {e.instance_type} at the stop of {_iso(e.at)} is unknown"
            if p.kind == "idle"
            else f"the price of {e.from_type} or {e.instance_type} at the switch of "
            f"{_iso(e.at)} is unknown"
        )
        out.append(line)
    return out


def ledger_json(
    events: Sequence[Event],
    spans: Optional[Sequence[tuple[float, float, str]]],
    now: float,
) -> dict[str, Any]:
    """This month's figures per currency, each stop and switch, and the definition."""
    since = month_start(now)
    all_pieces = pieces(events, now, spans)
    month = [p for p in all_pieces if not (p.end < since or (p.end == since and p.start < since))]
    tallies = ledger(events, now, since, spans)
    currencies = []
    for currency in sorted(tallies, key=lambda c: (c != "USD", c)):
        mine = [p for p in month if p.currency == currency]
        doc = tallies[currency].to_json(currency)
        doc["unknown"] = _unknown(mine)
        doc["days"] = _days(mine, since, now)
        currencies.append(doc)
    stops, switches = [], []
    for p in reversed(month):
        e = p.event
        if p.kind == "idle":
            stops.append(
                {
                    "at": _iso(e.at),
                    "instance_type": e.instance_type,
                    "price": _price(e.price, e.currency, e.source, e.as_of),
                    "until": None if p.open else _iso(p.end),
                    "still_stopped": p.open,
                    "hours_not_billed": round(p.hours(since, now), 4),
                    "saved": _r(p.saved(since, now)),
                }
            )
        else:
            switches.append(
                {
                    "at": _iso(e.at),
                    "from_type": e.from_type,
                    "to_type": e.instance_type,
                    "from_price": _price(e.from_price, e.currency, e.from_source, e.from_as_of),
                    "to_price": _price(e.price, e.currency, e.source, e.as_of),
                    "hours_on_new_type": round(p.hours(since, now), 4),
                    "saved": _r(p.saved(since, now)),
                }
            )
    return {
        "enabled": True,
        "reason": None,
        "estimate": True,
        "month": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m"),
        "since": _iso(since),
        "until": _iso(now),
        "definition": DEFINITION,
        "currencies": currencies,
        "stops": stops[:MAX_LISTED],
        "switches": switches[:MAX_LISTED],
    }


def ledger_off(reason: str, now: float) -> dict[str, Any]:
    """The answer when nothing is recorded (history off)."""
    doc = ledger_json([], None, now)
    doc.update(enabled=False, reason=reason)
    return doc
