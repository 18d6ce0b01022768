"""The ledger's recording (issue 19, part 3): events in the history file, written where idle
stops, starts and switches happen, read back as GET smcost/ledger; the clock injected."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from support.rest import validate_response
from support.service import make_service

from jupyterlab_smcost.history import HistoryRecorder, HistoryStore, Running, Span
from jupyterlab_smcost.history.events import LedgerEvents
from jupyterlab_smcost.history.ledger import Event
from jupyterlab_smcost.pricing import Quote
from jupyterlab_smcost.savings import Savings

H = 3600.0
T0 = datetime(2026, 11, 10, tzinfo=timezone.utc).timestamp()
REGION, COMPONENT = "us-east-1", "Studio-JupyterLab"


def quote(itype: str, per_hour: float | None, **kw) -> Quote:
    return Quote(per_hour, "bundled", "2026-09-24", "", REGION, COMPONENT, itype, **kw)


def savings(path: Path, started_at: float, now: dict, booted=lambda: None) -> Savings:
    store = HistoryStore(path)
    return Savings(
        LedgerEvents(store),
        None,
        logging.getLogger("test.ledger"),
        started_at=started_at,
        clock=lambda: now["t"],
        booted=booted,
    )


def test_a_file_written_before_the_events_table_keeps_its_data_and_gains_events(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite"
    old = HistoryStore(path)
    r = Running("ml.m5.xlarge", REGION, COMPONENT, 0.23, "bundled", "2026-09-24")
    assert old.write({}, [(None, Span(T0, T0 + H, r))]) is not None
    old.close()
    with sqlite3.connect(path) as conn:  # no events table yet
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "events" not in names and "spans" in names
    again = HistoryStore(path)
    events = LedgerEvents(again)
    assert events.add(Event("start", T0 + 2 * H)) is True
    assert again.counts()["spans"] == 1
    assert [e.event.kind for e in events.since(0)] == ["start"]


def test_an_idle_stop_then_a_start_gives_the_gap_at_the_price_in_force(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    now = {"t": T0}
    first = savings(path, T0 - H, now)
    first.started()
    first.stopped(quote("ml.g5.2xlarge", 1.52))
    # the next server starts 10 h later on the same file
    now["t"] = T0 + 10 * H
    second = savings(path, T0 + 10 * H, now)
    second.started()
    now["t"] = T0 + 11 * H
    body = second.report()
    validate_response("/ledger", "get", 200, body)
    (usd,) = body["currencies"]
    assert usd["currency"] == "USD" and usd["estimate"] is True
    assert usd["idle"] == {
        "stops": 1,
        "hours_not_billed": 10.0,
        "saved": pytest.approx(15.2),
        "still_stopped": False,
    }
    (stop,) = body["stops"]
    assert stop["price"] == {
        "per_hour": 1.52,
        "currency": "USD",
        "source": "bundled",
        "as_of": "2026-09-24",
    }
    assert stop["until"] == datetime.fromtimestamp(T0 + 10 * H, timezone.utc).isoformat()
    day = next(d for d in usd["days"] if d["date"] == "2026-11-10")
    assert day["hours_not_billed"] == 10.0 and day["idle_saved"] == pytest.approx(15.2)
    assert "not billed" in body["definition"] and body["month"] == "2026-11"


def test_a_stop_not_followed_by_a_start_counts_until_now_and_says_so(tmp_path: Path) -> None:
    now = {"t": T0}
    s = savings(tmp_path / "h.sqlite", T0 - H, now)
    s.started()
    s.stopped(quote("ml.m5.xlarge", 0.23))
    # read by another process (the CLI, a report) 4 h later, nothing started since
    now["t"] = T0 + 4 * H
    reader = savings(tmp_path / "h.sqlite", T0 - H, now)
    usd = reader.report()["currencies"][0]
    assert usd["idle"]["still_stopped"] is True
    assert usd["idle"]["hours_not_billed"] == 4.0
    assert usd["idle"]["saved"] == pytest.approx(0.92)


def test_the_machine_boot_ends_the_gap_when_it_came_before_the_server(tmp_path: Path) -> None:
    now = {"t": T0}
    savings(tmp_path / "h.sqlite", T0 - H, now).stopped(quote("ml.m5.xlarge", 0.23))
    now["t"] = T0 + 3 * H
    later = savings(tmp_path / "h.sqlite", T0 + 3 * H, now, booted=lambda: T0 + 2.5 * H)
    later.started()
    assert later.report()["currencies"][0]["idle"]["hours_not_billed"] == 2.5


def test_an_estimated_price_counts_at_the_low_end_and_unknown_gives_unknown_money(
    tmp_path: Path,
) -> None:
    now = {"t": T0}
    s = savings(tmp_path / "h.sqlite", T0 - H, now)
    s.stopped(quote("ml.g5.48xlarge", 20.0, low=17.0, high=21.0))
    now["t"] = T0 + H
    s2 = savings(tmp_path / "h.sqlite", T0 + H, now)
    s2.started()
    s2.stopped(quote("ml.zz.large", None))
    now["t"] = T0 + 3 * H
    s3 = savings(tmp_path / "h.sqlite", T0 + 3 * H, now)
    s3.started()
    body = s3.report()
    validate_response("/ledger", "get", 200, body)
    usd = body["currencies"][0]
    assert usd["idle"]["hours_not_billed"] == 3.0  # both stops' hours count
    assert usd["idle"]["saved"] is None and usd["saved"] is None
    assert "ml.zz.large" in usd["unknown"][0]
    assert [s["saved"] for s in body["stops"]] == [None, 17.0]  # newest first


def test_recording_into_a_file_that_cannot_be_opened_is_logged_never_raised(
    tmp_path: Path, caplog
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    now = {"t": T0}
    s = savings(blocker / "history.sqlite", T0, now)
    with caplog.at_level(logging.WARNING):
        s.stopped(quote("ml.m5.xlarge", 0.23))
        s.started()
    assert "could not record the stop" in caplog.text
    assert s.report()["currencies"] == []


def test_a_switch_handed_off_is_counted_from_the_next_start_that_runs_it(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    now = {"t": T0}
    s = savings(path, T0 - H, now)
    s.started()
    s.handed_off(quote("ml.g5.12xlarge", 7.09), "ml.g5.2xlarge")
    # the switcher restarts the instance on the new type 10 minutes later
    now["t"] = T0 + 600
    after = savings(path, T0 + 600, now)
    after.started()
    after.confirm(["ml.g5.2xlarge"], lambda t: quote(t, 1.52))
    now["t"] = T0 + 600 + 2 * H
    body = after.report()
    validate_response("/ledger", "get", 200, body)
    usd = body["currencies"][0]
    assert usd["switches"]["count"] == 1 and usd["switches"]["hours_on_new_type"] == 2.0
    assert usd["switches"]["saved"] == pytest.approx(2 * (7.09 - 1.52))
    (sw,) = body["switches"]
    assert (sw["from_type"], sw["to_type"]) == ("ml.g5.12xlarge", "ml.g5.2xlarge")
    assert (sw["from_price"]["per_hour"], sw["to_price"]["per_hour"]) == (7.09, 1.52)
    # a start on another type (the switch did not happen) records nothing
    other = tmp_path / "other.sqlite"
    now["t"] = T0
    savings(other, T0 - H, now).handed_off(quote("ml.g5.12xlarge", 7.09), "ml.g5.2xlarge")
    now["t"] = T0 + 600
    same = savings(other, T0 + 600, now)
    same.confirm(["ml.g5.12xlarge"], lambda t: quote(t, 7.09))
    assert same.report()["currencies"] == []


def test_the_service_records_idle_stops_not_a_users_and_its_own_start(tmp_path: Path) -> None:
    recorder = HistoryRecorder(HistoryStore(tmp_path / "history.sqlite"))
    service = make_service(history=recorder)

    async def run() -> None:
        service.start()
        await service.refresh_instance_types()
        await service.idle._shutdown("idle for 3600 s")  # the loop's stop at a deadline
        service.idle.state.shutting_down = False
        await service.idle.shutdown_now("requested by the user")
        await asyncio.sleep(0.2)

    try:
        asyncio.run(run())
        events = [r.event for r in service.savings.events.since(0)]
    finally:
        service.stop()
    assert sorted(e.kind for e in events) == ["start", "stop"]
    stop = next(e for e in events if e.kind == "stop")
    assert (stop.instance_type, stop.price, stop.source) == ("ml.m5.xlarge", 0.23, "bundled")
    assert stop.currency == "USD"


def test_the_service_records_a_switch_done_here_from_the_type_that_went(tmp_path: Path) -> None:
    recorder = HistoryRecorder(HistoryStore(tmp_path / "history.sqlite"))
    service = make_service(history=recorder)

    class Current:
        target = "ml.m5.large"

    async def run() -> None:
        service.switching.current = Current()  # type: ignore[assignment]
        # Studio Classic: two apps, the g4dn one moved to m5.large
        await service.ledger_hooks.switched(
            ["ml.t3.medium", "ml.g4dn.xlarge"], ["ml.t3.medium", "ml.m5.large"]
        )
        await service.ledger_hooks.switched(
            ["ml.t3.medium"], ["ml.t3.medium"]
        )  # nothing went: no record

    try:
        asyncio.run(run())
        events = [r.event for r in service.savings.events.since(0)]
    finally:
        service.stop()
    (sw,) = events
    assert (sw.kind, sw.from_type, sw.instance_type) == ("switch", "ml.g4dn.xlarge", "ml.m5.large")
    assert sw.from_price is not None and sw.price is not None and sw.from_price > sw.price


def test_the_panel_spells_out_the_same_definition_as_the_route() -> None:
    """The panel's (translated) definition is the route's sentence, word for word."""
    from jupyterlab_smcost.history.ledger_report import DEFINITION

    view = (Path(__file__).parents[2] / "src" / "ledgerView.tsx").read_text()
    assert f"'{DEFINITION}'" in view
