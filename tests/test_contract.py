"""Keep the docs true: OpenAPI matches the registered routes; README lists every trait."""

from __future__ import annotations

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


def test_readme_documents_every_trait() -> None:
    readme = (ROOT / "README.md").read_text()
    traits = SmCostApp.class_own_traits(config=True)
    missing = [name for name in traits if f"`{name}`" not in readme]
    assert not missing, f"README lacks: {missing}"
    for name, trait in traits.items():
        assert trait.help.strip(), f"{name} has no help text"
