"""Keep the docs true: OpenAPI matches the registered routes; README lists every trait."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jupyter_core.paths import jupyter_data_dir
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


def readme_table(heading: str) -> dict[str, list[str]]:
    """The first table under ``## heading`` in the README: {first cell: the other cells}."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index(f"## {heading}") + 1
    rows: dict[str, list[str]] = {}
    for line in lines[start:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if set(cells[0]) <= set("-:"):
                continue  # the header's separator
            rows[cells[0]] = cells[1:]
        elif rows:
            break  # the table ended
    assert rows, f"no table under '## {heading}'"
    return rows


def documented_default(value: Any) -> str:
    """How the Configuration table writes a default."""
    if callable(value) and hasattr(value, "__qualname__"):  # a class or function trait
        return f"`{value.__module__}.{value.__qualname__}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value == "":
        return '`""`'
    if isinstance(value, str):
        return f"`{value.replace(jupyter_data_dir(), '<jupyter data dir>')}`"
    return f"`{value!r}`"


def test_readme_configuration_table_lists_every_trait_with_its_default() -> None:
    table = readme_table("Configuration")
    header = next(iter(table.items()))
    assert header == ("trait", ["default", "meaning"]), header
    app = SmCostApp()
    traits = SmCostApp.class_own_traits(config=True)
    for name, trait in traits.items():
        assert trait.help.strip(), f"{name} has no help text"
        row = table.get(f"`{name}`")
        assert row is not None, f"the README's Configuration table lacks {name}"
        default, meaning = row
        assert meaning, f"{name}: no meaning in the README"
        value = getattr(app, name)
        if value is None:  # decided at start (e.g. live_prices): words, not a value
            assert default and "`" not in default, f"{name}: {default}"
        else:
            assert default == documented_default(value), f"{name}: README {default}, real {value!r}"
    extra = {k for k in table if k.startswith("`")} - {f"`{n}`" for n in traits}
    assert not extra, f"rows for no trait: {extra}"


def test_readme_rest_api_table_lists_the_routes() -> None:
    table = readme_table("REST API")
    documented = set()
    for route in table:
        for part in route.split(" / "):
            method, _, path = part.strip("`").partition(" ")
            if method.isupper():
                documented.add((method.lower(), "/" + path.split("[")[0]))
    assert documented == {
        (method, path)
        for path, ops in DOC["paths"].items()
        for method in ops
        if method in ("get", "put", "post", "patch", "delete")
    }
    others = [k for k in table if k != "route" and not k.startswith(("`GET ", "`P"))]
    assert not others, f"rows that are not routes: {others}"
