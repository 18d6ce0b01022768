"""The server's message codes (messages.py CODES), openapi.yaml's MessageCode and the
frontend's renderings (src/messages.ts and the modules it delegates to) list the same codes;
every code the package emits is one of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from jupyterlab_smcost.messages import CODES, Message

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "jupyterlab_smcost"
SPEC = yaml.safe_load((PKG / "data" / "openapi.yaml").read_text())
#: the frontend's renderings: messages.ts and the modules it delegates to
MESSAGES_TS = "\n".join(
    (ROOT / "src" / f).read_text()
    for f in (
        "messages.ts",
        "recommendationText.ts",
        "errorText.ts",
        "switchText.ts",
        "priceText.ts",
        "actionText.ts",
        "requestErrorText.ts",
    )
)
#: AWS error codes (aws/errors.py) the frontend says in the user's language
AWS_CODES = {
    "aws_access_denied",
    "aws_pass_role",
    "aws_throttled",
    "aws_quota",
    "aws_rejected",
    "aws_timeout",
    "aws_no_credentials",
    "aws_no_region",
    "aws_unreachable",
    "aws_error",
}


def ts_cases() -> set[str]:
    return set(re.findall(r"case '([a-z_.]+)':", MESSAGES_TS))


def test_openapi_lists_the_server_codes() -> None:
    assert SPEC["components"]["schemas"]["MessageCode"]["enum"] == list(CODES)


def test_every_code_has_a_frontend_rendering() -> None:
    missing = set(CODES) - ts_cases()
    assert not missing, f"src/messages.ts renders no {sorted(missing)}"


def test_every_aws_error_code_has_a_frontend_rendering() -> None:
    source = (PKG / "aws" / "errors.py").read_text()
    emitted = set(re.findall(r'\(\s*"(aws_[a-z_]+)",', source))  # (code, message, status)
    assert emitted == AWS_CODES
    assert AWS_CODES <= ts_cases()


def test_codes_in_the_package_source_are_known() -> None:
    """A code literal anywhere in the package (``Message.of("rec.x", ...)``, ``Busy(...,
    "busy.x")``) must be in CODES; ``rec.<rule>`` codes come from the rules' names."""
    pattern = re.compile(r'"((?:idle|busy|rec|env|step|manual|price|fix|action)\.[a-z_]+)"')
    found = {c for f in PKG.rglob("*.py") for c in pattern.findall(f.read_text())}
    found |= {f"rec.{r}" for r in ("under_provisioned", "gpu_idle", "over_provisioned")}
    assert found, "the scan found no code at all"
    assert found - set(CODES) == set()


def test_unknown_codes_and_wrong_params_are_bugs() -> None:
    with pytest.raises(ValueError, match="unknown message code"):
        Message.of("idle.nope", "x")
    with pytest.raises(ValueError, match="params"):
        Message.of("busy.kernel", "kernel busy: a", nme="a")
    assert Message.of("busy.kernel", "kernel busy: a", name="a").to_json()["params"] == {
        "name": "a"
    }


def test_the_frontend_says_the_rules_own_margins() -> None:
    from jupyterlab_smcost import recommend

    consts = dict(
        re.findall(r"^const (HEADROOM|BURSTABLE_BASELINE) = ([0-9.]+);", MESSAGES_TS, re.M)
    )
    assert float(consts["HEADROOM"]) == pytest.approx(1 - recommend.HEADROOM)
    assert float(consts["BURSTABLE_BASELINE"]) == recommend.BURSTABLE_BASELINE


#: the other error codes the frontend says itself, with the params they carry
USER_ERRORS = {
    "switch_in_progress": {"type"},
    "invalid_instance_type": {"type", "kind"},
    "instance_type_not_allowed": {"type", "allowed"},
    "shutting_down": set(),
    "already_shutting_down": set(),
    "shutdown_unavailable": set(),
    # training jobs (jobs/) and the "still running elsewhere" list's stop
    "job_not_found": {"name"},
    "job_ended": {"name"},
    "path_outside_root": {"path"},
    "path_missing": {"path"},
    "invalid_path": {"path"},
    "not_stoppable": {"name"},
}


def test_user_facing_errors_have_a_rendering_and_send_their_params() -> None:
    assert set(USER_ERRORS) <= ts_cases()
    for code, params in USER_ERRORS.items():
        for name in params:
            # the rendering reads what the server sends
            assert f"str(params, '{name}')" in MESSAGES_TS, (code, name)
    from jupyterlab_smcost.errors import bad_input

    body = bad_input("x is not allowed", "instance_type_not_allowed", type="x", allowed="a, b")
    assert body.to_json() == {
        "error": {
            "code": "instance_type_not_allowed",
            "message": "x is not allowed",
            "params": {"type": "x", "allowed": "a, b"},
        }
    }
    assert "params" not in bad_input("plain").to_json()["error"]


def test_every_switch_step_name_has_a_translated_rendering() -> None:
    """Switch steps are named by code (``progress.step("stop", ...)``); the panel says
    each name in the user's language."""
    pattern = re.compile(r'\.step\(\s*"([a-z_]+)"', re.S)
    names = {n for f in PKG.rglob("*.py") for n in pattern.findall(f.read_text())}
    assert {"stop", "create_app", "invoke_switcher"} <= names
    body = MESSAGES_TS[MESSAGES_TS.index("export function stepName") :]
    missing = names - set(re.findall(r"case '([a-z_]+)':", body))
    assert not missing, f"src/messages.ts stepName() does not name {sorted(missing)}"


#: where an AWS action may stay English words: the command line, the Lambda handlers and
#: what they call (their output is read in a terminal or a log, never in the panel)
ENGLISH_ACTIONS = ("cli.py", "_cli.py", "janitor/", "fleet/", "aws/stacksets.py")


def test_the_server_names_every_aws_action_by_code() -> None:
    """What the server was doing when AWS failed reaches the panel inside the AWS error's
    sentence: each such action is an ``action.*`` code the frontend translates."""
    literal = re.compile(r'(?:\baction=|aws_errors\()\s*f?"')
    english = [
        str(f.relative_to(PKG))
        for f in PKG.rglob("*.py")
        if not str(f.relative_to(PKG)).endswith(ENGLISH_ACTIONS)
        and not str(f.relative_to(PKG)).startswith(ENGLISH_ACTIONS)
        and literal.search(f.read_text().replace('action="store', "").replace('action="append', ""))
    ]
    assert english == []


def test_an_action_code_travels_in_the_aws_error_params() -> None:
    from botocore.exceptions import ClientError

    from jupyterlab_smcost.aws.errors import as_aws_error

    exc = ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "StopNotebookInstance"
    )
    action = Message.of("action.switch", "switch to ml.m5.large", type="ml.m5.large")
    error = as_aws_error(exc, action)
    assert error.code == "aws_throttled"
    assert "while trying to switch to ml.m5.large" in error.message
    assert error.params["action"] == "switch to ml.m5.large"
    assert error.params["action_code"] == "action.switch"
    assert error.params["action_type"] == "ml.m5.large"
    # English words alone: no code
    assert "action_code" not in as_aws_error(exc, "do a thing").params
    # the frontend reads the params as sent
    assert "arg('type')" in MESSAGES_TS and "`action_${name}`" in MESSAGES_TS
