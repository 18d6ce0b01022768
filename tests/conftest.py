"""Shared fixtures: a real jupyter_server (pytest-jupyter) with the extension enabled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator

pytest_plugins = ("pytest_jupyter.jupyter_server",)

OPENAPI = Path(__file__).resolve().parent.parent / "jupyterlab_smcost" / "data" / "openapi.yaml"


@pytest.fixture
def smcost_config() -> dict[str, Any]:
    """Override per test (e.g. with ``@pytest.mark.parametrize`` or a local fixture)."""
    return {}


@pytest.fixture
def jp_server_config(tmp_path: Path, smcost_config: dict[str, Any]) -> dict[str, Any]:
    cfg = {
        "instance_type": "ml.m5.xlarge",
        "region": "us-east-1",
        "live_prices": False,
        "settings_file": str(tmp_path / "smcost" / "idle-settings.json"),
        "price_cache_dir": str(tmp_path / "smcost" / "prices"),
        "metadata_path": str(tmp_path / "no-such-metadata.json"),
    }
    cfg.update(smcost_config)
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_smcost": True}},
        "SmCostApp": cfg,
    }


@pytest.fixture
def smcost_service(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["smcost_service"]


def _openapi() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI.read_text())


def validate_response(path: str, method: str, status: int, body: Any) -> None:
    """Validate a real response body against the shipped OpenAPI document."""
    doc = _openapi()
    op = doc["paths"][path][method.lower()]
    response = op["responses"][str(status)]
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    schema = dict(response["content"]["application/json"]["schema"])
    schema["components"] = doc["components"]
    OAS30Validator(schema).validate(body)


async def fetch_json(
    jp_fetch: Any, *parts: str, method: str = "GET", body: Any = None, **kwargs: Any
) -> tuple[int, Any]:
    """(status, parsed JSON) without raising on 4xx/5xx."""
    if body is not None and not isinstance(body, str | bytes):
        body = json.dumps(body)
    if method in ("POST", "PUT", "PATCH") and body is None:
        body = b""
    r = await jp_fetch(*parts, method=method, body=body, raise_error=False, **kwargs)
    text = r.body.decode() if r.body else ""
    return r.code, (json.loads(text) if text else None)
