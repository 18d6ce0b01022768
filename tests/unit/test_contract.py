"""Keep the docs true: OpenAPI matches the registered routes, and the reference pages the
docs build generates (docs/_ext/smcost_docs.py) cover every trait, route, schema field and
JupyterLab setting."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jupyter_server.extension.application import ExtensionApp
from openapi_spec_validator import validate

from jupyterlab_smcost.app import SmCostApp
from jupyterlab_smcost.handlers import ROUTES, BaseHandler

ROOT = Path(__file__).resolve().parents[2]
DOC = yaml.safe_load((ROOT / "jupyterlab_smcost" / "data" / "openapi.yaml").read_text())
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import smcost_docs  # noqa: E402


def test_openapi_document_is_valid() -> None:
    validate(DOC)


def test_openapi_paths_and_methods_match_the_handlers() -> None:
    documented = {
        (path, method)
        for path, ops in DOC["paths"].items()
        for method in ops
        if method in ("get", "put", "post", "patch", "delete")
    }
    served = set()
    for path, handler in ROUTES:
        for method in ("get", "put", "post", "patch", "delete"):
            if method in vars(handler) and getattr(handler, method) is not getattr(
                BaseHandler, method, None
            ):
                # a route's named groups are the document's path parameters
                served.add((re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", f"/{path}"), method))
    assert served == documented


def admin_traits() -> dict[str, Any]:
    """Every configurable trait SmCostApp adds to jupyter_server's ExtensionApp."""
    base = ExtensionApp.class_traits(config=True)
    return {n: t for n, t in SmCostApp.class_traits(config=True).items() if n not in base}


def test_every_admin_trait_has_help_text() -> None:
    """The configuration reference is the traits' own help: a trait without it is undocumented."""
    missing = [name for name, trait in admin_traits().items() if not trait.help.strip()]
    assert not missing, f"traits without help=: {missing}"


def section(page: str, label: str) -> str:
    """The text from ``(label)=`` to the next label of a generated page."""
    start = page.find(f"({label})=\n")
    assert start >= 0, f"the generated page has no section {label}"
    end = page.find("\n(", start + 1)
    return page[start : end if end > 0 else None]


def test_configuration_reference_has_every_trait_with_its_type_default_and_help() -> None:
    page = smcost_docs.config_reference()
    for name, trait in admin_traits().items():
        text = section(page, f"config-{name}")
        assert f"### `SmCostApp.{name}`" in text
        assert type(trait).__name__ in text
        assert smcost_docs.default_repr(trait) in text, f"{name}: default missing"
        assert smcost_docs.escape(trait.help) in text, f"{name}: help missing"


def fields(schema: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Every field name a schema defines inline, nested ones dotted as the reference writes
    them (``bounds.min_timeout_s``, ``steps[].status``)."""
    for part in schema.get("allOf", []):
        yield from fields(part, prefix)
    for name, prop in schema.get("properties", {}).items():
        yield prefix + name
        yield from fields(prop, f"{prefix}{name}.")
        yield from fields(prop.get("items", {}), f"{prefix}{name}[].")


def test_rest_reference_has_every_operation_schema_and_field() -> None:
    page = smcost_docs.rest_reference(DOC)
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            text = section(page, smcost_docs.operation_label(method, path))
            assert f"### `{method.upper()} {path}`" in text
            for status in op["responses"]:
                assert f"| `{status}` |" in text, f"{method} {path}: {status} missing"
            for param in op.get("parameters", []):
                assert f"| `{param['name']}` |" in text
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            for name in fields(body.get("schema", {})):
                assert f"| `{name}` |" in text, f"{method} {path}: request field {name}"
    for name, schema in DOC["components"]["schemas"].items():
        text = section(page, smcost_docs.schema_label(name))
        for field in fields(schema):
            assert f"| `{field}` |" in text, f"{name}.{field} missing"


def test_preferences_table_has_every_jupyterlab_setting() -> None:
    page = smcost_docs.preferences()
    schema = json.loads((ROOT / "schema" / "plugin.json").read_text())
    assert schema["properties"]
    for name, prop in schema["properties"].items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
        assert f"`{json.dumps(prop['default'])}`" in row
        assert prop["description"] in row
