"""Helpers for the REST tests: OpenAPI validation of real responses, JSON fetches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator

OPENAPI = Path(__file__).resolve().parents[2] / "jupyterlab_smcost" / "data" / "openapi.yaml"


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


def write_price_cache(
    cache_dir: Path,
    region: str,
    component: str,
    items: dict[str, dict[str, Any]],
    fetched_at: float = 0.0,
) -> Path:
    """A live price cache file where and as the server keeps one (0 = stale at once)."""
    from jupyterlab_smcost.pricing import LivePriceCache

    cache = LivePriceCache(cache_dir, client_factory=lambda: None)
    path = cache._path(region, component)
    data = {"region": region, "component": component, "fetched_at": fetched_at, "items": items}
    cache._write(path, data)
    return path
