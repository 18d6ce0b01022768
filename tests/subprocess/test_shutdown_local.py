"""A real local server stops at its idle deadline, and not before while work runs.

These start ``jupyter server`` subprocesses with short timeouts; they take real seconds.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from support.server_proc import ServerProcess, config_env, kernel_client

SHORT = ["--SmCostApp.min_idle_timeout=1", "--SmCostApp.warning_period=1"]


def deadline_of(server: ServerProcess) -> float:
    st = server.get("/smcost/status")
    return datetime.fromisoformat(st["idle"]["deadline"]).timestamp()


def test_untouched_server_stops_at_its_deadline() -> None:
    with ServerProcess("--SmCostApp.idle_timeout=4", *SHORT) as server:
        deadline = deadline_of(server)
        assert server.get("/smcost/status")["idle"]["last_activity_source"] == "server start"
        # polling the way an open lab tab does keeps nothing alive
        while time.time() < deadline - 0.5:
            for path in ("/api/sessions", "/api/kernels", "/api/terminals", "/smcost/status"):
                server.request("GET", path)
            time.sleep(0.3)
        exited = server.wait_exit(15)
        assert exited is not None, server.log()
        assert exited >= deadline - 0.05, "stopped before its deadline"
        assert exited - deadline < 3.0, f"stopped {exited - deadline:.2f} s late"
        assert "smcost: shutting down" in server.log()


def test_busy_cell_keeps_it_alive_then_it_stops() -> None:
    with ServerProcess("--SmCostApp.idle_timeout=3", *SHORT) as server:
        code, sess = server.request(
            "POST",
            "/api/sessions",
            {
                "path": "long.ipynb",
                "type": "notebook",
                "name": "long.ipynb",
                "kernel": {"name": "python3"},
            },
        )
        assert code == 201
        client = kernel_client(server, sess["kernel"]["id"])
        try:
            t_exec = time.time()
            client.execute("import time; time.sleep(9)")  # silent for 9 s, 3x the timeout
            for _ in range(300):  # the server sees the kernel go busy within moments
                st = server.get("/smcost/status")
                if st["idle"]["reasons"] == ["kernel busy: long.ipynb"]:
                    break
                time.sleep(0.1)
            assert st["idle"]["state"] == "busy", st["idle"]
            assert st["idle"]["reasons"] == ["kernel busy: long.ipynb"]
            exited = server.wait_exit(40)
            assert exited is not None, server.log()
            # the cell ends no earlier than t_exec + 9; then the 3 s timeout runs from there
            assert exited - t_exec >= 9 + 3 - 0.2, exited - t_exec
        finally:
            client.stop_channels()


def test_terminal_job_keeps_it_alive_then_it_stops() -> None:
    with ServerProcess("--SmCostApp.idle_timeout=6", *SHORT) as server:
        code, term = server.request("POST", "/api/terminals", {})
        assert code == 200
        # run a foreground job through the terminal's websocket, as a user would
        import asyncio

        from tornado.websocket import websocket_connect

        async def type_command() -> None:
            ws = await websocket_connect(
                f"ws://127.0.0.1:{server.port}/terminals/websocket/{term['name']}"
                f"?token=smcost-test-token"
            )
            await ws.write_message('["stdin", "sleep 12\\r"]')
            await asyncio.sleep(1.0)
            ws.close()

        t_typed = time.time()
        asyncio.run(type_command())
        expected = [f"terminal {term['name']} running: sleep 12"]
        # the shell may take a moment to start the job on a loaded machine; the typing
        # itself was activity, so the server cannot stop before t_typed + 6
        while time.time() < t_typed + 5:
            st = server.get("/smcost/status")
            if st["idle"]["reasons"] == expected:
                break
            time.sleep(0.1)
        assert st["idle"]["state"] == "busy", st["idle"]
        assert st["idle"]["reasons"] == expected
        exited = server.wait_exit(60)
        assert exited is not None, server.log()
        # sleep 12 ends no earlier than t_typed + 12; then the 6 s timeout runs from there
        assert exited - t_typed >= 12 + 6 - 0.2, exited - t_typed


def test_settings_survive_a_restart(tmp_path: Path) -> None:
    with ServerProcess(workdir=tmp_path) as server:
        code, body = server.request("PUT", "/smcost/idle", {"timeout_s": 1234, "warning_s": 100})
        assert code == 200 and body["timeout_s"] == 1234
    with ServerProcess(workdir=tmp_path) as again:
        idle = again.get("/smcost/idle")
        assert (idle["timeout_s"], idle["warning_s"]) == (1234, 100)
        assert again.get("/smcost/status")["idle"]["timeout_s"] == 1234
    # an admin bound set later clamps the saved value
    with ServerProcess("--SmCostApp.max_idle_timeout=600", workdir=tmp_path) as bounded:
        assert bounded.get("/smcost/idle")["timeout_s"] == 600


def test_command_line_traits_reach_the_extension() -> None:
    with ServerProcess(
        "--SmCostApp.instance_type=ml.g4dn.xlarge",
        "--SmCostApp.local_price_component=Notebook",
        "--SmCostApp.idle_timeout=1800",
    ) as server:
        st = server.get("/smcost/status")
        assert st["instance"]["gpu_model"] == "NVIDIA T4"
        assert (st["price"]["per_hour"], st["price"]["component"]) == (0.736, "Notebook")
        assert st["idle"]["timeout_s"] == 1800
        code, err = server.request("GET", "/smcost/status", token=None)
        assert code == 403 and err["error"]["code"] == "forbidden"


def test_stops_without_any_request_to_the_extension() -> None:
    spawned = time.time()
    server = ServerProcess("--SmCostApp.idle_timeout=3", *SHORT)
    try:
        server.wait_ready()  # polls /api/status only
        exited = server.wait_exit(20)
        assert exited is not None, server.log()
        assert exited - spawned >= 3.0
        assert "smcost: shutting down: idle for 3 s" in server.log()
    finally:
        server.stop()


def test_config_file_reaches_the_extension(tmp_path: Path) -> None:
    env = config_env(
        tmp_path,
        "jupyter_server_config.json",
        '{"SmCostApp": {"instance_type": "ml.r5.4xlarge", "idle_timeout": 2400,'
        ' "idle_timeout_by_price": {"1.0": 1200}}}',
    )
    with ServerProcess(env=env) as server:
        st = server.get("/smcost/status")
        assert (st["instance"]["type"], st["instance"]["memory_gib"]) == ("ml.r5.4xlarge", 128.0)
        assert st["price"]["per_hour"] == 1.21
        assert (st["idle"]["user_timeout_s"], st["idle"]["timeout_s"]) == (2400, 1200)


def _by_price_server(tmp_path: Path) -> ServerProcess:
    """ml.g4dn.xlarge ($0.7364/h) with a 1 h user timeout and 4 s over $0.5/h: the price,
    so the short timeout, is known only once the instance type has been read."""
    env = config_env(
        tmp_path,
        "jupyter_server_config.json",
        '{"SmCostApp": {"instance_type": "ml.g4dn.xlarge", "idle_timeout": 3600,'
        ' "idle_timeout_by_price": {"0.5": 4}, "warning_period": 1}}',
    )
    return ServerProcess(env=env)


def test_timeout_by_price_stops_at_its_short_deadline_unwatched(tmp_path: Path) -> None:
    server = _by_price_server(tmp_path)
    try:
        server.wait_ready()  # polls /api/status only: nobody asks the extension anything
        exited = server.wait_exit(30)
        assert exited is not None, "still running long after its 4 s deadline\n" + server.log()
        assert "smcost: shutting down: idle for 4 s (timeout 4 s)" in server.log()
    finally:
        server.stop()


def test_timeout_by_price_status_and_loop_agree(tmp_path: Path) -> None:
    """Polled like the panel polls it: the status never shows the deadline passed while the
    server goes on running, and the server stops at the deadline the status showed."""
    server = _by_price_server(tmp_path)
    try:
        server.wait_ready()
        seen: list[dict] = []
        while server.proc.poll() is None:
            try:
                code, st = server.request("GET", "/smcost/status")
            except OSError:
                break  # the server is going away
            if code != 200:
                break
            idle = st["idle"]
            seen.append(idle)
            assert (idle["timeout_s"], idle["user_timeout_s"]) == (4, 3600), idle
            assert idle["remaining_s"] is None or idle["remaining_s"] > -2, seen[-5:]
            time.sleep(0.2)
        deadlines = {i["deadline"] for i in seen if i["deadline"]}
        assert len(deadlines) == 1, deadlines  # nothing moved it
        exited = server.wait_exit(15)
        assert exited is not None, server.log()
        late = exited - datetime.fromisoformat(deadlines.pop()).timestamp()
        assert -0.05 < late < 3.0, f"stopped {late:.2f} s after its deadline"
    finally:
        server.stop()
