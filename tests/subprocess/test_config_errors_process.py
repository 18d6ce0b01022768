"""A real ``jupyter server`` process, configured as an administrator would (a config file,
command-line flags), with mistakes: it runs, says what is wrong, and stops nothing."""

from __future__ import annotations

import time
from pathlib import Path

from support.server_proc import ServerProcess, config_env


# -- a real `jupyter server` process, configured as an administrator would
def _misconfigured(server: ServerProcess, errors: list[str]) -> None:
    st = server.get("/smcost/status")
    assert st["config_errors"] == errors
    assert st["idle"]["dry_run"] is True
    assert (st["idle"]["state"], st["idle"]["deadline"]) == ("error", None)
    code, err = server.request("POST", "/smcost/shutdown")
    assert (code, err["error"]["code"]) == (503, "misconfigured"), err
    time.sleep(1.0)
    assert server.proc.poll() is None, server.log()
    assert server.get("/smcost/status")["idle"]["state"] == "error"
    log = server.log()
    for message in errors:
        assert f"smcost: configuration error: {message}" in log


def test_config_file_mistakes(tmp_path: Path) -> None:
    env = config_env(
        tmp_path,
        "jupyter_server_config.py",
        "c.SmCostApp.dry_run = True\n"
        "c.SmCostApp.idle_timeout = '1800'\n"
        "c.SmCostApp.usage_window = 0\n"
        "c.SmCostApp.min_idle_timeout = 600\n"
        "c.SmCostApp.max_idle_timeout = 60\n",
    )
    with ServerProcess(env=env) as server:
        _misconfigured(
            server,
            [
                "SmCostApp.idle_timeout: expected an int, not the str '1800'",
                "SmCostApp.max_idle_timeout: 60 is below SmCostApp.min_idle_timeout (600)",
                "SmCostApp.usage_window: must be from 1 to 31622400 seconds, not 0",
            ],
        )
        assert server.get("/smcost/idle")["bounds"]["min_timeout_s"] == 600


def test_command_line_mistakes() -> None:
    with ServerProcess(
        "--SmCostApp.dry_run=True",
        "--SmCostApp.environment=moon",
        "--SmCostApp.idle_timeout=abc",
        "--SmCostApp.warning_period=100",
        "--SmCostApp.warning_period=200",
    ) as server:
        _misconfigured(
            server,
            [
                "SmCostApp.environment: expected any of ['auto', 'local', 'notebook-instance', "
                "'studio-classic', 'studio-space'], not the str 'moon'",
                "SmCostApp.idle_timeout: expected an int, not the str 'abc'",
                "SmCostApp.warning_period: only accepts one value, got 2: ['100', '200']",
            ],
        )
