"""A month so far in a history file, as a previous server would have left it: two idle stops
of Studio JupyterLab apps and a switch (the ledger's events, the switched type's span), with
the figures the ledger must find (the browser test and scripts/readme_screenshot.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyterlab_smcost.history import HistoryStore, Running, Span
from jupyterlab_smcost.history.events import LedgerEvents, event_of
from jupyterlab_smcost.history.ledger import Event
from jupyterlab_smcost.history.ledger_report import month_start
from jupyterlab_smcost.pricing import PriceBook

REGION, COMPONENT = "us-east-1", "Studio-JupyterLab"
BIG, SMALL = "ml.g5.12xlarge", "ml.g5.2xlarge"


def prepare(path: Path, now: float) -> dict[str, Any]:
    """This month so far (``el`` seconds): a stop of BIG at 10%, started again at 40%; a
    switch BIG -> SMALL at 50%, SMALL running until a stop at 70%, started again at 80%."""
    book = PriceBook()
    big, small = (book.price(REGION, COMPONENT, t) for t in (BIG, SMALL))
    ms = month_start(now)
    el = now - ms
    at = lambda f: ms + f * el  # noqa: E731
    store = HistoryStore(path)
    events = LedgerEvents(store)
    for ev in (
        Event("start", ms),
        event_of("stop", at(0.1), big),
        Event("start", at(0.4)),
        event_of(
            "switch",
            at(0.5),
            small,
            from_type=BIG,
            from_price=big.per_hour,
            from_source=big.source,
            from_as_of=big.as_of,
        ),
        event_of("stop", at(0.7), small),
        Event("start", at(0.8)),
    ):
        assert events.add(ev)
    running = Running(SMALL, REGION, COMPONENT, small.per_hour, small.source, small.as_of)
    assert store.write({}, [(None, Span(at(0.5), at(0.7), running))]) is not None
    store.close()
    assert big.per_hour is not None and small.per_hour is not None
    h = el / 3600
    return {
        "idle_hours": 0.4 * h,
        "idle_saved": 0.3 * h * big.per_hour + 0.1 * h * small.per_hour,
        "switch_hours": 0.2 * h,
        "switch_saved": 0.2 * h * (big.per_hour - small.per_hour),
    }
