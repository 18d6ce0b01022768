"""A misconfigured server (pytest-jupyter) says what is wrong in GET status and stops or
switches nothing; a configuration the extension cannot start with still answers."""

from __future__ import annotations

from typing import Any

import pytest
from support.environments import broken_environment
from support.rest import fetch_json, validate_response

from jupyterlab_smcost.environments import LocalEnvironment

#: an environment class that cannot be built, as a bug or a broken host would have it
BROKEN = broken_environment("metadata service exploded")


# -- in a real server (pytest-jupyter)
@pytest.mark.parametrize("smcost_config", [{"idle_timeout": "1800", "dry_run": True}])
async def test_misconfigured_server_says_so_and_refuses_to_stop(
    jp_fetch: Any, smcost_service: Any
) -> None:
    code, st = await fetch_json(jp_fetch, "smcost", "status")
    assert code == 200
    validate_response("/status", "get", 200, st)
    errors = ["SmCostApp.idle_timeout: expected an int, not the str '1800'"]
    assert st["config_errors"] == errors
    assert st["idle"]["state"] == "error" and st["idle"]["reasons"] == errors
    assert st["idle"]["deadline"] is None and st["idle"]["remaining_s"] is None
    assert st["idle"]["dry_run"] is True  # the admin's other settings hold
    code, err = await fetch_json(jp_fetch, "smcost", "shutdown", method="POST")
    assert code == 503 and err["error"]["code"] == "misconfigured"
    assert "SmCostApp.idle_timeout: expected an int" in err["error"]["message"]
    validate_response("/shutdown", "post", 503, err)
    code, err = await fetch_json(
        jp_fetch, "smcost", "switch", method="POST", body={"instance_type": "ml.m5.large"}
    )
    assert code == 503 and err["error"]["code"] == "misconfigured"
    validate_response("/switch", "post", 503, err)
    # prices and the settings still work (the panel shows what is wrong)
    assert (await fetch_json(jp_fetch, "smcost", "prices"))[0] == 200
    assert (await fetch_json(jp_fetch, "smcost", "idle"))[0] == 200
    assert not smcost_service.idle.state.shutting_down


async def test_a_good_config_has_no_errors(jp_fetch: Any) -> None:
    _, st = await fetch_json(jp_fetch, "smcost", "status")
    assert st["config_errors"] == [] and st["idle"]["state"] == "active"


@pytest.mark.parametrize("smcost_config", [{"dry_run": True, "environment_class": BROKEN}])
async def test_a_start_failure_still_answers_misconfigured(
    jp_fetch: Any, smcost_service: Any
) -> None:
    code, st = await fetch_json(jp_fetch, "smcost", "status")
    # tried once; then the server started with every trait at its default
    assert code == 200 and len(BROKEN.attempts) == 1
    assert type(smcost_service.env) is LocalEnvironment
    assert st["config_errors"] == [
        "SmCostApp: cannot start with this configuration: metadata service exploded"
    ]
    code, err = await fetch_json(jp_fetch, "smcost", "shutdown", method="POST")
    assert (code, err["error"]["code"]) == (503, "misconfigured")
