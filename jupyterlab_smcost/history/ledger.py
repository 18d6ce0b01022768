"""What the extension saved, as an estimate of what was not billed (issue 19, part 3). Pure:
events in, per-currency figures out, ``now`` injected.

- An idle stop saves the hours between the stop and the next start of this space or
  instance (up to ``now`` while it is still stopped, and then says so), times the price in
  force at the stop (an estimated price at the low end of its likely range). The next
  start is the earlier of when the server started and when the machine (or container)
  booted, when that was after the stop: billing starts with the machine, not the server.
- A switch saves the price difference times the hours run on the new type since (until the
  next switch, up to ``now``): with ``spans`` (the running spans kept in the history), the
  hours each span of the new type ran; without, until the next stop. A switch to a dearer
  type counts as what it cost more (negative), so the total never overstates.
- An unknown price makes that event's money unknown (its hours still count). Amounts are
  per currency, never summed across currencies.

The events are recorded by :mod:`.events`; the REST answer is built by
:mod:`.ledger_report`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Event:
    """``stop`` (idle shutdown: ``instance_type``, ``price``), ``start`` (``booted``: when
    the machine started, if known), or ``switch`` (``from_type``/``from_price`` ->
    ``instance_type``/``price``); ``at`` in epoch seconds; prices per hour (None: unknown)
    in ``currency``. ``source``/``as_of`` (and ``from_*``) say where each price came from."""

    kind: str
    at: float
    instance_type: Optional[str] = None
    price: Optional[float] = None
    currency: str = "USD"
    from_type: Optional[str] = None
    from_price: Optional[float] = None
    booted: Optional[float] = None
    source: str = "unknown"
    as_of: Optional[str] = None
    from_source: str = "unknown"
    from_as_of: Optional[str] = None
    region: str = ""
    component: str = ""


@dataclass(frozen=True)
class Piece:
    """One event's saving: from ``start`` to ``end`` at ``rate`` per hour (None: unknown)
    in ``currency``; ``open`` while it runs to now (a stop not yet followed by a start)."""

    kind: str  # "idle" | "switch"
    event: Event
    start: float
    end: float
    rate: Optional[float]
    currency: str
    open: bool = False
    #: a switch's hours on the new type (with spans, not all of start..end ran)
    ran: Optional[tuple[tuple[float, float], ...]] = None

    def hours(self, a: float = float("-inf"), b: float = float("inf")) -> float:
        """Hours of this piece within ``a..b``."""
        parts = self.ran if self.ran is not None else ((self.start, self.end),)
        return sum(max(0.0, min(e, b, self.end) - max(s, a, self.start)) for s, e in parts) / 3600

    def saved(self, a: float = float("-inf"), b: float = float("inf")) -> Optional[float]:
        return None if self.rate is None else self.rate * self.hours(a, b)


@dataclass
class Tally:
    """One currency's figures."""

    stops: int = 0
    stopped_hours: float = 0.0
    idle_saved: Optional[float] = 0.0
    still_stopped: bool = False
    switches: int = 0
    switched_hours: float = 0.0
    switch_saved: Optional[float] = 0.0
    unknown: list[str] = field(default_factory=list)

    def to_json(self, currency: str) -> dict[str, Any]:
        saved = None
        if self.idle_saved is not None and self.switch_saved is not None:
            saved = round(self.idle_saved + self.switch_saved, 4)
        return {
            "currency": currency,
            "estimate": True,
            "idle": {
                "stops": self.stops,
                "hours_not_billed": round(self.stopped_hours, 4),
                "saved": None if self.idle_saved is None else round(self.idle_saved, 4),
                "still_stopped": self.still_stopped,
            },
            "switches": {
                "count": self.switches,
                "hours_on_new_type": round(self.switched_hours, 4),
                "saved": None if self.switch_saved is None else round(self.switch_saved, 4),
            },
            "saved": saved,
            "unknown": self.unknown,
        }

    def add(self, p: Piece, a: float, b: float) -> None:
        """Count ``p``'s part within ``a..b``."""
        hours, saved = p.hours(a, b), p.saved(a, b)
        if p.kind == "idle":
            self.stops += 1
            self.stopped_hours += hours
            self.still_stopped = self.still_stopped or p.open
            self.idle_saved = _add(self.idle_saved, saved)
            if p.rate is None:
                self.unknown.append(f"the price of {p.event.instance_type} at a stop is unknown")
        else:
            self.switches += 1
            self.switched_hours += hours
            self.switch_saved = _add(self.switch_saved, saved)
            if p.rate is None:
                self.unknown.append(
                    f"the price of {p.event.from_type} or {p.event.instance_type} "
                    "at a switch is unknown"
                )


def _add(total: Optional[float], amount: Optional[float]) -> Optional[float]:
    return None if total is None or amount is None else total + amount


def pieces(
    events: Iterable[Event],
    now: float,
    spans: Optional[Sequence[tuple[float, float, str]]] = None,
) -> list[Piece]:
    """Each idle stop's and switch's saving, oldest first. ``spans``: ``(start, end,
    instance_type)`` of the time the server ran (when kept)."""
    ordered = sorted(events, key=lambda e: e.at)
    by_type: dict[Optional[str], list[tuple[float, float]]] = {}
    for a, b, t in spans or ():
        by_type.setdefault(t, []).append((a, b))
    # one pass from the newest: the next event of each kind after each one
    following: list[dict[str, Event]] = []
    nearest: dict[str, Event] = {}
    for ev in reversed(ordered):
        following.append(dict(nearest))
        nearest[ev.kind] = ev
    following.reverse()

    def first(after: dict[str, Event], kinds: tuple[str, ...]) -> Optional[Event]:
        found = [after[k] for k in kinds if k in after]
        return min(found, key=lambda e: e.at) if found else None

    out: list[Piece] = []
    for ev, after in zip(ordered, following, strict=True):
        if ev.kind == "stop":
            # the next start ends it; a second stop before any start (a start not recorded)
            # ends it too, so no hour counts twice
            nxt = first(after, ("start", "stop"))
            start = nxt if nxt is not None and nxt.kind == "start" else None
            end = nxt.at if nxt is not None else now
            if start is not None and start.booted is not None and ev.at < start.booted < end:
                end = start.booted
            out.append(
                Piece("idle", ev, ev.at, max(ev.at, end), ev.price, ev.currency, start is None)
            )
        elif ev.kind == "switch":
            if spans is None:
                nxt = first(after, ("stop", "switch"))
                ran = None
            else:
                nxt = first(after, ("switch",))
            end = nxt.at if nxt is not None else now
            if spans is not None:
                ran = tuple(
                    (a, b) for a, b in by_type.get(ev.instance_type, ()) if b > ev.at and a < end
                )
            rate = None
            if ev.price is not None and ev.from_price is not None:
                rate = ev.from_price - ev.price
            out.append(Piece("switch", ev, ev.at, max(ev.at, end), rate, ev.currency, ran=ran))
    return out


def ledger(
    events: Iterable[Event],
    now: float,
    since: float = float("-inf"),
    spans: Optional[Sequence[tuple[float, float, str]]] = None,
) -> dict[str, Tally]:
    """Per currency, what the idle stops and switches among ``events`` saved from ``since``
    up to ``now`` (a stop or switch counts when some of its time falls in it)."""
    tallies: dict[str, Tally] = {}
    for p in pieces(events, now, spans):
        if p.end < since or (p.end == since and p.start < since):
            continue
        tallies.setdefault(p.currency, Tally()).add(p, since, now)
    return tallies
