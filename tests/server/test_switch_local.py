"""Local mode (the lead's conftest server): switching is not available, and says why."""

from __future__ import annotations

import json

import pytest
from support.rest import validate_response
from tornado.httpclient import HTTPClientError


async def test_local_switch_is_409_with_the_reason(jp_fetch, smcost_service):
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch(
            "smcost", "switch", method="POST", body=json.dumps({"instance_type": "ml.g4dn.xlarge"})
        )
    body = json.loads(e.value.response.body)
    validate_response("/switch", "post", e.value.code, body)
    assert e.value.code == 409
    assert body["error"]["code"] == "switch_unavailable"
    assert body["error"]["message"].startswith("Not on SageMaker: there is no instance to switch")
    assert smcost_service.switch is None
