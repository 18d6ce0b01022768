"""Idle semantics with real kernels and terminals inside a real jupyter_server."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from support.rest import fetch_json

from jupyterlab_smcost.activity import utcnow


async def wait_for(predicate, timeout: float = 60.0, every: float = 0.1) -> Any:
    """Poll an async predicate until it returns something truthy (event-driven tests)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)


async def status(jp_fetch: Any) -> dict:
    code, body = await fetch_json(jp_fetch, "smcost", "status")
    assert code == 200
    return body


async def start_session(jp_fetch: Any, path: str) -> str:
    r = await jp_fetch(
        "api",
        "sessions",
        method="POST",
        body=json.dumps(
            {"path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}}
        ),
    )
    return json.loads(r.body)["kernel"]["id"]


async def test_silent_busy_cell_blocks_and_is_named(jp_fetch: Any, jp_serverapp: Any) -> None:
    kid = await start_session(jp_fetch, "train.ipynb")
    km = jp_serverapp.kernel_manager
    # a kernel nobody has talked to stays "starting" (counted busy until stuck_kernel_timeout)
    assert (await status(jp_fetch))["idle"]["reasons"] == ["kernel starting"]
    client = km.get_kernel(kid).client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=30)
        await _until_server_sees_idle(km, kid, client)
        assert (await status(jp_fetch))["idle"]["state"] == "active"
        client.execute("import time; time.sleep(10)")  # prints nothing for 10 s
        st = await wait_for(lambda: _busy_status(jp_fetch))
        assert st["idle"]["reasons"] == ["kernel busy: train.ipynb"]
        assert st["idle"]["deadline"] is None
        # it stays busy while silent
        await asyncio.sleep(1.5)
        assert (await status(jp_fetch))["idle"]["state"] == "busy"
        done = await wait_for(lambda: _not_busy(jp_fetch), timeout=30)
        # the end of the cell is activity: the clock restarts from it
        assert done["idle"]["last_activity_source"] == "kernel"
    finally:
        client.stop_channels()


async def _until_server_sees_idle(km: Any, kid: str, client: Any) -> None:
    """The server's execution_state comes from the kernel's status messages; one sent before
    the server listened is missed, so ask again (kernel_info: busy, then idle) until it sees
    idle."""
    for _ in range(60):
        if await _state_is(km, kid, "idle"):
            return
        client.kernel_info()
        await asyncio.sleep(1)
    raise AssertionError("the server never saw the kernel idle")


async def _state_is(km: Any, kid: str, state: str) -> bool:
    return getattr(km.get_kernel(kid), "execution_state", None) == state


async def _busy_status(jp_fetch: Any) -> dict | None:
    st = await status(jp_fetch)
    return st if st["idle"]["state"] == "busy" else None


async def _not_busy(jp_fetch: Any) -> dict | None:
    st = await status(jp_fetch)
    return st if st["idle"]["state"] != "busy" else None


async def test_terminal_job_blocks_until_it_ends(jp_fetch: Any, jp_serverapp: Any) -> None:
    r = await jp_fetch("api", "terminals", method="POST", body="{}")
    name = json.loads(r.body)["name"]
    tm = jp_serverapp.web_app.settings["terminal_manager"]
    term = tm.terminals[name]
    await asyncio.sleep(0.5)  # let the shell print its prompt
    term.ptyproc.write("sleep 30\n")
    expected = [f"terminal {name} running: sleep 30"]

    async def job_seen() -> dict | None:
        # under load the shell's own start-up commands can be the foreground job first
        st = await _busy_status(jp_fetch)
        return st if st and st["idle"]["reasons"] == expected else None

    st = await wait_for(job_seen)
    assert st["idle"]["reasons"] == expected
    # the user may choose not to count terminals
    code, _ = await fetch_json(
        jp_fetch, "smcost", "idle", method="PUT", body={"count_terminals": False}
    )
    assert code == 200
    assert (await status(jp_fetch))["idle"]["state"] != "busy"
    await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body={"count_terminals": True})
    assert (await status(jp_fetch))["idle"]["state"] == "busy"
    term.ptyproc.write("\x03")  # Ctrl-C ends the job
    await wait_for(lambda: _not_busy(jp_fetch))
    await jp_fetch("api", "terminals", name, method="DELETE")


async def test_terminal_output_is_activity(jp_fetch: Any, jp_serverapp: Any) -> None:
    r = await jp_fetch("api", "terminals", method="POST", body="{}")
    name = json.loads(r.body)["name"]
    before = (await status(jp_fetch))["idle"]["last_activity"]
    term = jp_serverapp.web_app.settings["terminal_manager"].terminals[name]
    # the terminal manager reads the pty only while a client listens; emulate one read
    term.ptyproc.write("echo hello\n")
    await asyncio.sleep(0.3)
    jp_serverapp.web_app.settings["terminal_manager"].pre_pty_read_hook(term)
    after = await status(jp_fetch)
    assert after["idle"]["last_activity"] > before
    assert after["idle"]["last_activity_source"] == "terminal"


@pytest.mark.parametrize("smcost_config", [{"ignore_connections": False}])
async def test_browser_connection_counts_only_when_not_ignored(
    jp_fetch: Any, jp_ws_fetch: Any, jp_serverapp: Any
) -> None:
    kid = await start_session(jp_fetch, "conn.ipynb")
    ws = await jp_ws_fetch("api", "kernels", kid, "channels")
    try:
        await wait_for(lambda: _connected(jp_serverapp, kid))
        st = await status(jp_fetch)
        assert st["idle"]["last_activity_source"] == "browser connection"
        await asyncio.sleep(0.2)
        again = await status(jp_fetch)  # an open connection keeps moving the clock
        assert again["idle"]["last_activity"] > st["idle"]["last_activity"]
        await fetch_json(
            jp_fetch, "smcost", "idle", method="PUT", body={"ignore_connections": True}
        )
        st = await status(jp_fetch)
        await asyncio.sleep(0.2)
        again = await status(jp_fetch)  # ignored: the connection moves it no more
        assert again["idle"]["last_activity"] == st["idle"]["last_activity"]
        assert again["idle"]["deadline"] == st["idle"]["deadline"]
    finally:
        ws.close()


async def _connected(app: Any, kid: str) -> bool:
    return app.kernel_manager._kernel_connections.get(kid, 0) > 0


@pytest.mark.parametrize("smcost_config", [{"stuck_kernel_timeout": 60}])
async def test_starting_kernel_blocks_until_stuck_and_dead_never(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    kid = await start_session(jp_fetch, "s.ipynb")
    kernel = jp_serverapp.kernel_manager.get_kernel(kid)
    # drive the states jupyter_server records; the monitor reads them as they are
    kernel.execution_state = "starting"
    kernel.last_activity = utcnow()
    st = await status(jp_fetch)
    assert st["idle"]["state"] == "busy" and st["idle"]["reasons"] == ["kernel starting"]
    kernel.last_activity = utcnow() - timedelta(seconds=61)
    assert (await status(jp_fetch))["idle"]["state"] != "busy"
    kernel.execution_state = "dead"
    kernel.last_activity = utcnow()
    st = await status(jp_fetch)
    assert st["idle"]["state"] != "busy"
    # a dead kernel's timestamps are not activity (what it did while alive stays counted)
    assert datetime.fromisoformat(st["idle"]["last_activity"]) < kernel.last_activity


def test_which_requests_count() -> None:
    from jupyterlab_smcost.activity import ActivityMonitor

    t = utcnow()
    mon = ActivityMonitor(
        None,
        lambda: None,
        None,
        t,
        300,
        clock=lambda: t,
        api_prefix_excluded=("/base%40x/smcost", "/base%40x/lab/api/workspaces"),
        contents_prefix="/base%40x/api/contents/",
    )
    assert mon.observe_request("PUT", "/base%40x/api/contents/a.ipynb", 200)
    assert mon.observe_request("POST", "/base@x/api/sessions", 201)
    assert mon.observe_request("DELETE", "/base@x/api/kernels/k", 204)
    assert not mon.observe_request("GET", "/base@x/api/kernels", 200)
    assert not mon.observe_request("PUT", "/base@x/api/contents/a.ipynb", 403)
    assert not mon.observe_request("POST", "/base%40x/smcost/idle/keepalive", 200)
    assert not mon.observe_request("PUT", "/base@x/lab/api/workspaces/default", 204)
    mon.expect_shutdown_saves(["dir/a b.ipynb"])
    assert not mon.observe_request("PUT", "/base%40x/api/contents/dir/a%20b.ipynb", 200)
    assert not mon.observe_request("POST", "/base@x/api/contents/dir/a b.ipynb/checkpoints", 201)
    assert mon.observe_request("PUT", "/base@x/api/contents/dir/other.ipynb", 200)


class _NoKernels:
    _kernels: dict = {}
    _kernel_connections: dict = {}

    def list_kernel_ids(self) -> list[str]:
        return []


async def test_shutdown_saves_expire_by_time_and_are_bounded() -> None:
    from jupyterlab_smcost.activity import ActivityMonitor

    now = [utcnow()]
    mon = ActivityMonitor(_NoKernels(), lambda: None, None, now[0], 300, clock=lambda: now[0])
    # a heavy load: 200 announcements of 1000 paths of 1 KB each (200 MB of paths)
    for i in range(200):
        mon.expect_shutdown_saves([f"{i:03d}/{j:04d}-" + "p" * 1000 for j in range(1000)])
        count, chars = mon.shutdown_saves_size()
        assert count <= mon.MAX_SHUTDOWN_SAVES and chars <= mon.MAX_SHUTDOWN_SAVES_CHARS
    # the newest announcements are the ones kept
    assert mon._is_shutdown_save("/api/contents/199/0999-" + "p" * 1000)
    assert not mon._is_shutdown_save("/api/contents/000/0000-" + "p" * 1000)
    # expired by time, with no save arriving: the idle loop's next look drops them
    now[0] += timedelta(seconds=61)
    await mon.snapshot(True, True)
    assert mon._shutdown_saves == {}
    # many small ones: the count bound holds too
    mon.expect_shutdown_saves([f"n{j}" for j in range(5000)])
    assert mon.shutdown_saves_size()[0] == mon.MAX_SHUTDOWN_SAVES


async def test_shutdown_saves_stay_bounded_through_the_api(
    jp_fetch: Any, smcost_service: Any
) -> None:
    for i in range(40):  # 40 x 60 paths of 1000 characters: 2.4 M characters announced
        code, _ = await fetch_json(
            jp_fetch,
            "smcost",
            "idle",
            "shutdown-saves",
            method="POST",
            body={"paths": [f"{i}/{j}-" + "q" * 1000 for j in range(60)]},
        )
        assert code == 200
    count, chars = smcost_service.monitor.shutdown_saves_size()
    assert chars <= smcost_service.monitor.MAX_SHUTDOWN_SAVES_CHARS
    assert 0 < count < 40 * 60


async def test_a_kernel_that_goes_never_moves_the_clock_back(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    """A kernel culled or crashed takes its timestamps with it; the activity it had stays
    counted (else the deadline would jump back, past the one the idle loop armed)."""
    kid = await start_session(jp_fetch, "gone.ipynb")
    km = jp_serverapp.kernel_manager
    kernel = km.get_kernel(kid)
    kernel.execution_state, kernel.last_activity = "idle", utcnow()  # as its messages would
    before = await status(jp_fetch)
    assert before["idle"]["last_activity_source"] == "kernel"
    await km.shutdown_kernel(kid)  # as jupyter_server's culler does: no API request
    assert kid not in km.list_kernel_ids()
    after = await status(jp_fetch)
    assert after["idle"]["last_activity"] == before["idle"]["last_activity"]
    assert after["idle"]["deadline"] == before["idle"]["deadline"]
