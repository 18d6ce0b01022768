"""What the server sends for the panel to say in the user's language validates against
openapi.yaml and carries what the frontend's sentences read: prices' detail_message,
fix_message and basis; the refused idle settings' params (src/requestErrorText.ts NEEDS)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support.environments import RecordingEnvironment
from support.rest import fetch_json, validate_response

from jupyterlab_smcost.aws.errors import as_aws_error
from jupyterlab_smcost.messages import Message

ROOT = Path(__file__).resolve().parents[2]
#: what each refused request's sentence needs, as the frontend lists it
NEEDS = {
    key: set(re.findall(r"'([a-z_]+)'", names))
    for key, names in re.findall(
        r"^  '?([a-z_:]+)'?: \[([^\]]*)\]", (ROOT / "src" / "requestErrorText.ts").read_text(), re.M
    )
}


@pytest.fixture
def smcost_config(request: Any) -> dict[str, Any]:
    """The server's config: the defaults, with a test's own by indirect parametrization."""
    return dict(getattr(request, "param", {}))


def needs(error: dict[str, Any], rule: str = "") -> set[str]:
    key = f"{error['code']}:{rule}" if rule else error["code"]
    assert key in NEEDS, f"src/requestErrorText.ts says nothing for {key}"
    return NEEDS[key]


@pytest.mark.parametrize("smcost_config", [{"region": "cn-north-1"}], indirect=True)
async def test_a_china_price_says_why_it_is_unknown_by_code(jp_fetch: Any) -> None:
    code, status = await fetch_json(jp_fetch, "smcost", "status")
    assert code == 200
    validate_response("/status", "get", 200, status)
    price = status["price"]
    assert (price["source"], price["currency"]) == ("unknown", "CNY")
    assert price["detail_message"] == {
        "code": "price.unknown_china_live_off",
        "text": price["detail"],
        "params": {"component": price["component"], "region": "cn-north-1", "type": "ml.m5.xlarge"},
    }
    assert price["fix_message"]["code"] == "fix.live_prices_china"
    assert price["fix_message"]["text"] == price["fix"]
    assert price["fix_message"]["params"] == {"api_region": "cn-northwest-1"}
    assert "basis" not in price


@pytest.mark.parametrize(
    "smcost_config",
    [{"region": "ap-northeast-1", "instance_type": "ml.c5.18xlarge"}],
    indirect=True,
)
async def test_an_estimate_names_its_basis_by_code(jp_fetch: Any) -> None:
    code, status = await fetch_json(jp_fetch, "smcost", "status")
    assert code == 200
    validate_response("/status", "get", 200, status)
    price = status["price"]
    assert price["source"] == "estimated", price
    assert price["detail_message"]["code"] == "price.est_family_size"
    assert price["detail_message"]["text"] == price["detail"]
    sibling = price["detail_message"]["params"]["sibling"]
    assert price["basis"]["instance_type"] == sibling and price["basis"]["source"] == "bundled"
    assert "detail_message" not in price["basis"]  # a citation: said as it is
    code, table = await fetch_json(jp_fetch, "smcost", "prices")
    assert code == 200
    validate_response("/prices", "get", 200, table)
    (row,) = [r for r in table["items"] if r["current"]]
    assert row["price"] == price


@pytest.mark.parametrize(
    "body, rule, params",
    [
        ({"timeout_s": 0}, "positive", {"setting": "timeout_s", "value": 0}),
        ({"timeout_s": 600, "warning_s": 900}, "warning_shorter", {"warning_s": 900}),
        ({"warning_s": -1}, "not_negative", {"setting": "warning_s", "value": -1}),
        ({"timeout_s": 1.5}, "whole_seconds", {"setting": "timeout_s", "value": "1.5"}),
        ({"enabled": "yes"}, "boolean", {"setting": "enabled", "value": '"yes"'}),
        ([], "object", {}),
    ],
)
async def test_a_refused_idle_setting_sends_its_params(
    jp_fetch: Any, body: Any, rule: str, params: dict[str, Any]
) -> None:
    code, err = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body=body)
    assert code == 400, err
    validate_response("/idle", "put", 400, err)
    error = err["error"]
    assert error["code"] == "invalid_setting" and error["params"]["rule"] == rule
    assert params.items() <= error["params"].items()
    assert needs(error, rule) <= set(error["params"])


async def test_other_refusals_send_what_their_sentences_need(jp_fetch: Any) -> None:
    code, err = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body={"nope": 1})
    assert code == 400
    validate_response("/idle", "put", 400, err)
    assert err["error"]["params"]["what"] == "setting"
    assert needs(err["error"]) <= set(err["error"]["params"])
    code, err = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body="{")
    assert (code, err["error"]["code"], err["error"]["params"]["problem"]) == (
        400,
        "invalid_json",
        "malformed",
    )
    assert needs(err["error"], "malformed") <= set(err["error"]["params"])
    code, err = await fetch_json(jp_fetch, "smcost", "switch")
    assert (code, err["error"]["code"]) == (404, "no_switch")
    validate_response("/switch", "get", 404, err)
    code, err = await fetch_json(jp_fetch, "smcost", "history", params={"step": "7"})
    assert code == 400, err
    validate_response("/history", "get", 400, err)
    assert err["error"]["params"]["rule"] == "step"
    assert needs(err["error"], "step") <= set(err["error"]["params"])
    code, err = await fetch_json(jp_fetch, "smcost", "history", params={"range": "week"})
    assert code == 400, err
    assert err["error"]["params"]["rule"] == "one_of"
    assert needs(err["error"], "one_of") <= set(err["error"]["params"])


class UnreadableType(RecordingEnvironment):
    """The role may not describe what this server runs on."""

    def instance_types(self) -> list[str]:
        exc = ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}},
            "DescribeSpace",
        )
        raise as_aws_error(exc, Message.of("action.read_instance_type", "read the instance type"))


@pytest.mark.parametrize("smcost_config", [{"environment_class": UnreadableType}], indirect=True)
async def test_an_unreadable_instance_type_says_why_by_code(jp_fetch: Any) -> None:
    for _ in range(50):
        code, status = await fetch_json(jp_fetch, "smcost", "status")
        assert code == 200
        validate_response("/status", "get", 200, status)
        said = status["price"].get("detail_message", {})
        if said.get("code") == "price.type_unreadable":
            break
        await asyncio.sleep(0.05)  # the first read is under way
    assert said["text"] == status["price"]["detail"]
    assert said["params"]["error_code"] == "aws_access_denied"
    assert said["params"]["error_operation"] == "DescribeSpace"
    assert said["params"]["error_detail"] == "not authorized"
    assert said["params"]["error"].startswith("AWS denied DescribeSpace while trying to read")
