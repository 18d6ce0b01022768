"""GET smcost/elsewhere and POST smcost/elsewhere/stop through a real jupyter_server (local
mode: nothing else is listed), validated against openapi.yaml; bad bodies get 400."""

from __future__ import annotations

from typing import Any

import pytest
from support.rest import fetch_json, validate_response


async def test_elsewhere_outside_studio(jp_fetch: Any, smcost_service: Any) -> None:
    code, body = await fetch_json(jp_fetch, "smcost", "elsewhere")
    assert code == 200
    validate_response("/elsewhere", "get", 200, body)
    assert body["state"] == "unavailable" and body["items"] == []
    assert smcost_service.elsewhere.listings == 0  # nothing asked of AWS


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"space_name": "s", "app_type": "JupyterLab"},
        {"space_name": "s", "app_type": "Canvas", "app_name": "default"},
        {"space_name": "bad name", "app_type": "JupyterLab", "app_name": "default"},
        {"space_name": "s", "app_type": "JupyterLab", "app_name": "default", "extra": 1},
        [1],
    ],
)
async def test_stop_bad_body_is_400(jp_fetch: Any, body: Any) -> None:
    code, got = await fetch_json(jp_fetch, "smcost", "elsewhere", "stop", method="POST", body=body)
    assert code == 400, got
    assert got["error"]["code"] in ("invalid_app", "unknown_field", "invalid_input")


async def test_stop_of_an_app_not_listed_is_404(jp_fetch: Any) -> None:
    body = {"space_name": "other", "app_type": "JupyterLab", "app_name": "default"}
    code, got = await fetch_json(jp_fetch, "smcost", "elsewhere", "stop", method="POST", body=body)
    assert code == 404 and got["error"]["code"] == "not_found"
