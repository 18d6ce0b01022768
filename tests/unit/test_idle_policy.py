"""Pure idle policy and the timer loop, with an injected clock: no sleeping."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import pytest

from jupyterlab_smcost.activity import Activity, Busy
from jupyterlab_smcost.aws.errors import AwsError
from jupyterlab_smcost.errors import INTERNAL_ERROR
from jupyterlab_smcost.idle import IdleLoop, decide, effective_timeout
from jupyterlab_smcost.settings import IdleSettings

T0 = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)
S = IdleSettings(
    enabled=True, timeout_s=600, ignore_connections=True, count_terminals=True, warning_s=120
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_active_then_idle_then_past_deadline() -> None:
    act = Activity(T0, "kernel")
    st = decide(S, act, at(10), 600)
    assert (st.state, st.idle_s, st.remaining_s) == ("active", 10, 590)
    assert st.deadline == at(600) and st.deadline.tzinfo is timezone.utc
    st = decide(S, act, at(300), 600)
    assert st.state == "idle" and st.remaining_s == 300
    st = decide(S, act, at(601), 600)
    assert st.state == "idle" and st.remaining_s == -1


def test_inside_warning_window_reads_idle_even_if_recent() -> None:
    st = decide(S, Activity(T0, "x"), at(30), 100)
    assert st.state == "idle" and st.remaining_s == 70  # 70 <= warning 120


def test_busy_blocks_and_lists_reasons() -> None:
    act = Activity(
        T0,
        "kernel",
        (
            Busy("kernel", "k1", "kernel busy: a.ipynb"),
            Busy("terminal", "1", "terminal 1 running: sleep 30"),
        ),
    )
    st = decide(S, act, at(10_000), 600)
    assert st.state == "busy"
    assert st.reasons == ("kernel busy: a.ipynb", "terminal 1 running: sleep 30")
    assert st.deadline is None and st.remaining_s is None


def test_disabled_by_user_or_admin() -> None:
    off = IdleSettings(False, 600, True, True, 120)
    assert decide(off, Activity(T0, "x"), at(1), 600).state == "disabled"
    st = decide(S, Activity(T0, "x"), at(1), 600, shutdown_enabled=False)
    assert st.state == "disabled" and "administrator" in st.reasons[0]


def test_error_and_shutting_down() -> None:
    st = decide(S, Activity(T0, "x"), at(700), 600, error="AWS denied StopNotebookInstance")
    assert st.state == "error" and st.reasons == ("AWS denied StopNotebookInstance",)
    assert decide(S, Activity(T0, "x"), at(1), 600, shutting_down=True).state == "shutting_down"


def test_effective_timeout_by_price() -> None:
    rules = {2.0: 900, 10.0: 300}
    assert effective_timeout(3600, 0.05, rules) == 3600
    assert effective_timeout(3600, 2.5, rules) == 900
    assert effective_timeout(3600, 28.0, rules) == 300
    assert effective_timeout(600, 2.5, rules) == 600  # never longer than the user's
    assert effective_timeout(3600, None, rules) == 3600


class FakeMonitor:
    """Stands in for ActivityMonitor's reads; the loop under test is the real IdleLoop."""

    def __init__(self, last: datetime, clock=None) -> None:
        self.activity = Activity(last, "server start")
        self.marks: list[str] = []
        self.clock = clock

    async def snapshot(
        self, ignore_connections: bool, count_terminals: bool, count_background: bool = True
    ) -> Activity:
        return self.activity

    def mark(self, source: str, when: datetime | None = None) -> None:
        self.marks.append(source)
        self.activity = Activity(when or self.clock(), source)


async def settle(n: int = 10) -> None:
    """Let scheduled callbacks and tasks run (no wall-clock sleeping)."""
    for _ in range(n):
        await asyncio.sleep(0)


def make_loop(monitor: FakeMonitor, clock, acted: list, **kw) -> IdleLoop:
    async def act() -> str:
        acted.append(clock())
        return "stopped"

    return IdleLoop(
        monitor, lambda: S, lambda s: s.timeout_s, act, logging.getLogger("test"), clock=clock, **kw
    )


async def test_loop_arms_timer_for_the_deadline_and_rearms_on_activity() -> None:
    loop = asyncio.get_running_loop()
    base = loop.time()
    now = {"t": T0}
    clock = lambda: now["t"]  # noqa: E731
    mon = FakeMonitor(T0)
    acted: list = []
    idle = make_loop(mon, clock, acted)
    idle.start()
    await settle()  # the first evaluation runs
    assert idle._armed_for == pytest.approx(base + 600, abs=0.5)
    # activity at t=300 moves the deadline; the timer fires at the old deadline and re-arms
    mon.activity = Activity(at(300), "kernel")
    now["t"] = at(600)
    idle._fire()
    await settle()
    assert acted == []
    assert idle._armed_for == pytest.approx(loop.time() + 300, abs=0.5)
    # nothing more happens: at the new deadline it acts
    now["t"] = at(900)
    idle._fire()
    await settle()
    assert acted == [at(900)]
    assert idle.state.shutting_down
    idle.stop()


async def test_loop_rechecks_while_busy_and_never_acts() -> None:
    now = {"t": at(10_000)}
    mon = FakeMonitor(T0)
    mon.activity = Activity(T0, "kernel", (Busy("kernel", "k", "kernel busy: x"),))
    acted: list = []
    idle = make_loop(mon, lambda: now["t"], acted, busy_recheck_s=5)
    idle.start()
    await settle()
    assert acted == []
    assert idle._armed_for == pytest.approx(asyncio.get_running_loop().time() + 5, abs=0.5)
    assert idle.last_status.state == "busy"
    idle.stop()


async def test_failed_stop_reports_error_and_backs_off() -> None:
    now = {"t": at(700)}
    mon = FakeMonitor(T0)

    async def act() -> str:
        raise AwsError("aws_access_denied", "AWS denied StopNotebookInstance")

    idle = IdleLoop(
        mon, lambda: S, lambda s: s.timeout_s, act, logging.getLogger("t"), clock=lambda: now["t"]
    )
    idle.start()
    await settle()
    assert not idle.state.shutting_down
    assert idle.state.error == "AWS denied StopNotebookInstance"
    assert idle._armed_for == pytest.approx(asyncio.get_running_loop().time() + 60, abs=0.5)
    st = await idle.status()
    assert st.state == "error"
    idle.stop()


async def test_a_bug_in_the_stop_is_logged_with_its_traceback_and_the_loop_keeps_going(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A programming error in the environment's stop is not an AWS refusal: the log gets its
    traceback (once per attempt), the status a generic reason, and the next due deadline
    acts again."""
    now = {"t": at(700)}
    mon = FakeMonitor(T0)
    calls: list[datetime] = []

    async def act() -> str:
        calls.append(now["t"])
        if len(calls) == 1:
            raise KeyError("private detail of a bug")
        return "stopped"

    idle = IdleLoop(
        mon, lambda: S, lambda s: s.timeout_s, act, logging.getLogger("t"), clock=lambda: now["t"]
    )
    with caplog.at_level(logging.ERROR, logger="t"):
        idle.start()
        await settle()
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.exc_info[0] is KeyError
    assert not idle.state.shutting_down
    assert idle.state.error == INTERNAL_ERROR
    st = await idle.status()
    assert st.state == "error" and st.reasons == (INTERNAL_ERROR,)
    assert "private" not in " ".join(st.reasons)
    # backed off, still armed: when the timer fires (the deadline is still due) it acts again
    assert idle._armed_for == pytest.approx(asyncio.get_running_loop().time() + 60, abs=0.5)
    now["t"] = at(760)
    idle._fire()
    await settle()
    assert calls == [at(700), at(760)]
    assert idle.state.error is None and idle.state.shutting_down
    idle.stop()


async def test_dry_run_logs_once_and_does_not_act(caplog) -> None:
    now = {"t": at(700)}
    mon = FakeMonitor(T0)
    acted: list = []
    idle = make_loop(mon, lambda: now["t"], acted, dry_run=True)
    with caplog.at_level(logging.WARNING):
        idle.start()
        await settle()
        idle._fire()
        await settle()
    assert acted == []
    assert sum("dry run" in r.message for r in caplog.records) == 1
    idle.stop()


async def test_environment_that_keeps_running_restarts_the_clock() -> None:
    now = {"t": at(700)}
    mon = FakeMonitor(T0, clock=lambda: now["t"])
    acted: list = []
    idle = make_loop(mon, lambda: now["t"], acted, ends_server=False)
    idle.start()
    await settle()
    assert len(acted) == 1 and not idle.state.shutting_down
    assert mon.marks == ["idle clean-up"]
    assert idle.last_status.deadline == at(700 + 600)  # a fresh clock from the clean-up
    idle.stop()


def test_reasons_carry_codes_and_params_for_the_frontend() -> None:
    busy = Busy("kernel", "k1", "kernel busy: a.ipynb", "busy.kernel", (("name", "a.ipynb"),))
    st = decide(S, Activity(T0, "kernel", busy=(busy,)), at(30), 600)
    assert st.to_json()["messages"] == [
        {"code": "busy.kernel", "text": "kernel busy: a.ipynb", "params": {"name": "a.ipynb"}}
    ]
    assert st.to_json()["reasons"] == ["kernel busy: a.ipynb"]
    quiet = decide(S, Activity(T0, "kernel"), at(90), 600).to_json()
    assert quiet["messages"] == [
        {"code": "idle.quiet", "text": "no activity for 90 s", "params": {"seconds": 90}}
    ]
    active = decide(S, Activity(T0, "kernel"), at(5), 600).to_json()
    assert active["messages"][0]["code"] == "idle.last_activity"
    assert active["messages"][0]["params"] == {"source": "kernel"}
    off = decide(IdleSettings(False, 600, True, True, 120), Activity(T0, "x"), at(5), 600)
    assert [m["code"] for m in off.to_json()["messages"]] == ["idle.off"]
