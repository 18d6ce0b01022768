"""Keep the docs true: OpenAPI matches the registered routes; README lists every trait."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from openapi_spec_validator import validate

from jupyterlab_smcost.app import SmCostApp
from jupyterlab_smcost.handlers import ROUTES, BaseHandler

ROOT = Path(__file__).resolve().parent.parent
DOC = yaml.safe_load((ROOT / "jupyterlab_smcost" / "data" / "openapi.yaml").read_text())


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
                served.add((f"/{path}", method))
    assert served == documented


#: traits whose default is computed (a path, or "depends on the environment"): the README
#: says it in words
COMPUTED_DEFAULTS = {"settings_file", "price_cache_dir", "live_prices"}


def _documented_default(value: object) -> str:
    """A default as the README's Configuration table writes it (in backticks)."""
    if isinstance(value, str):
        return value or '""'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def test_readme_documents_every_trait_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {
        m.group(1): m.group(2).strip()
        for m in re.finditer(r"^\| `(\w+)` \| (.+?) \|", section, re.MULTILINE)
    }
    traits = SmCostApp.class_own_traits(config=True)
    missing = [name for name in traits if name not in rows]
    assert not missing, f"the README's Configuration table lacks: {missing}"
    for name, trait in traits.items():
        assert trait.help.strip(), f"{name} has no help text"
        if name not in COMPUTED_DEFAULTS:
            expected = f"`{_documented_default(trait.default())}`"
            assert rows[name] == expected, f"{name}: README says {rows[name]}, not {expected}"
