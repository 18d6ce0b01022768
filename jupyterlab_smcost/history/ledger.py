"""What the extension saved, as an estimate of what was not billed (issue 19, part 3). Pure:
events in, per-currency figures out, ``now`` injected.

- An idle stop saves the hours between the stop and the next start of this space or
  instance (up to ``now`` while it is still stopped, and then says so), times the price in
  force at the stop.
- A switch saves the price difference times the hours run on the new type since (until the
  next stop or switch, up to ``now`` while it runs); a switch to a dearer type counts as
  what it cost more (negative), so the total never overstates.
- An unknown price makes that event's money unknown (its hours still count). Amounts are
  per currency, never summed across currencies.

Not yet recorded by the server nor served over REST: the events come from the caller."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Event:
    """``stop`` (idle shutdown: ``instance_type``, ``price``), ``start``, or ``switch``
    (``from_type``/``from_price`` -> ``instance_type``/``price``); ``at`` in epoch seconds;
    prices per hour (None: unknown) in ``currency``."""

    kind: str
    at: float
    instance_type: Optional[str] = None
    price: Optional[float] = None
    currency: str = "USD"
    from_type: Optional[str] = None
    from_price: Optional[float] = None


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
            saved = round(self.idle_saved + self.switch_saved, 2)
        return {
            "currency": currency,
            "estimate": True,
            "idle": {
                "stops": self.stops,
                "hours_not_billed": round(self.stopped_hours, 2),
                "saved": None if self.idle_saved is None else round(self.idle_saved, 2),
                "still_stopped": self.still_stopped,
            },
            "switches": {
                "count": self.switches,
                "hours_on_new_type": round(self.switched_hours, 2),
                "saved": None if self.switch_saved is None else round(self.switch_saved, 2),
            },
            "saved": saved,
            "unknown": self.unknown,
        }


def _add(total: Optional[float], amount: Optional[float]) -> Optional[float]:
    return None if total is None or amount is None else total + amount


def ledger(events: Iterable[Event], now: float) -> dict[str, Tally]:
    """Per currency, what the idle stops and switches among ``events`` saved up to ``now``."""
    ordered = sorted(events, key=lambda e: e.at)
    tallies: dict[str, Tally] = {}
    for i, ev in enumerate(ordered):
        if ev.kind not in ("stop", "switch"):
            continue
        t = tallies.setdefault(ev.currency, Tally())
        later = ordered[i + 1 :]
        if ev.kind == "stop":
            start = next((e for e in later if e.kind == "start"), None)
            end = start.at if start else now
            hours = max(0.0, end - ev.at) / 3600
            t.stops += 1
            t.stopped_hours += hours
            t.still_stopped = t.still_stopped or start is None
            if ev.price is None:
                t.unknown.append(f"the price of {ev.instance_type} at a stop is unknown")
            t.idle_saved = _add(t.idle_saved, None if ev.price is None else ev.price * hours)
        else:
            # the new type runs until the next stop or switch (or now)
            nxt = next((e for e in later if e.kind in ("stop", "switch")), None)
            hours = max(0.0, (nxt.at if nxt else now) - ev.at) / 3600
            t.switches += 1
            t.switched_hours += hours
            diff = None
            if ev.price is not None and ev.from_price is not None:
                diff = (ev.from_price - ev.price) * hours
            else:
                t.unknown.append(
                    f"the price of {ev.from_type} or {ev.instance_type} at a switch is unknown"
                )
            t.switch_saved = _add(t.switch_saved, diff)
    return tallies
