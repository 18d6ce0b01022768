"""A programming error is never dressed up as a user's or AWS's error: a route answers a
generic 500 and the server log gets the traceback; background work logs the traceback and
keeps going. AWS failures still read as sentences."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support.environments import BuggyShutdown, BuggyValidTypes, DeniedValidTypes
from support.rest import fetch_json, validate_response

from jupyterlab_smcost.errors import INTERNAL_ERROR

GENERIC = {"error": {"code": "internal_error", "message": INTERNAL_ERROR}}


def _tracebacks(caplog: pytest.LogCaptureFixture, kind: type[BaseException]) -> list[Any]:
    return [r for r in caplog.records if r.exc_info and r.exc_info[0] is kind]


async def _until(check: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("smcost_config", [{"environment_class": BuggyValidTypes}])
async def test_a_bug_in_a_route_answers_a_generic_500_and_logs_the_traceback(
    jp_fetch: Any, smcost_service: Any, caplog: Any
) -> None:
    """The environment's code runs in a worker thread (run_blocking): a KeyError there reaches
    the handler's internal-error branch as it is, not as a message quoting it."""
    with caplog.at_level(logging.ERROR):
        code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert (code, body) == (500, GENERIC)
    assert _tracebacks(caplog, KeyError), "no traceback in the server log"
    assert smcost_service.env.threads("valid_instance_types")  # it was the one that failed


@pytest.mark.parametrize("smcost_config", [{"environment_class": DeniedValidTypes}])
async def test_an_aws_failure_in_a_route_still_reads_as_a_sentence(
    jp_fetch: Any, caplog: Any
) -> None:
    with caplog.at_level(logging.WARNING):
        code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    assert code == 502 and body["error"]["code"] == "aws_access_denied"
    assert "AWS denied ListApps" in body["error"]["message"]
    assert not _tracebacks(caplog, ClientError)  # a sentence in the log, no traceback


@pytest.mark.parametrize("smcost_config", [{"environment_class": BuggyShutdown}])
async def test_a_bug_in_the_shutdown_is_logged_and_the_idle_loop_backs_off(
    jp_fetch: Any, smcost_service: Any, caplog: Any
) -> None:
    """POST shutdown answers 202 and the stop runs in the background (it may end this
    server): its KeyError goes to the log with its traceback, the status shows a generic
    reason, and the loop is armed to try again after its backoff."""
    with caplog.at_level(logging.ERROR):
        code, body = await fetch_json(jp_fetch, "smcost", "shutdown", method="POST")
        assert code == 202
        validate_response("/shutdown", "post", 202, body)
        await _until(lambda: smcost_service.idle.state.error is not None)
    assert len(smcost_service.env.threads("shutdown")) == 1
    assert len(_tracebacks(caplog, KeyError)) == 1
    code, status = await fetch_json(jp_fetch, "smcost", "status")
    assert code == 200
    assert status["idle"]["state"] == "error"
    assert status["idle"]["reasons"] == [INTERNAL_ERROR]
    loop = asyncio.get_running_loop()
    assert smcost_service.idle._armed_for == pytest.approx(loop.time() + 60, abs=5)
