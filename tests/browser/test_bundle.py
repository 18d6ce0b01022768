"""Static checks of the built labextension (fast, no browser): the shared modules it asks
for are all satisfied by JupyterLab 4.4.0, and our own code stays small."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from smcost_browser import LABEXTENSION

# The lowest version of each shared package that JupyterLab 4.4.0 ships (the ranges
# @jupyterlab/application 4.4.0 and @jupyterlab/apputils 4.5.0 themselves require).
FLOOR_44 = {
    "@jupyterlab/application": (4, 4, 0),
    "@jupyterlab/apputils": (4, 5, 0),
    "@jupyterlab/coreutils": (6, 4, 0),
    "@jupyterlab/filebrowser": (4, 4, 0),
    "@jupyterlab/services": (7, 4, 0),
    "@jupyterlab/settingregistry": (4, 4, 0),
    "@jupyterlab/statusbar": (4, 4, 0),
    "@jupyterlab/translation": (4, 4, 0),
    "@jupyterlab/ui-components": (4, 4, 0),
    "@lumino/commands": (2, 3, 2),
    "@lumino/coreutils": (2, 2, 1),
    "@lumino/disposable": (2, 1, 4),
    "@lumino/messaging": (2, 0, 3),
    "@lumino/polling": (2, 1, 4),
    "@lumino/signaling": (2, 1, 4),
    "@lumino/widgets": (2, 7, 0),
    "react": (18, 2, 0),
}
GZIP_BUDGET = 60 * 1024


def static_js() -> list:
    static = LABEXTENSION / "static"
    if not static.is_dir():
        pytest.fail(f"{static} is missing: run `jlpm build:prod` first")
    return sorted(p for p in static.glob("*.js"))


def consumed() -> dict[str, tuple[int, ...]]:
    """{package: required version} from the module-federation consumes in the bundle."""
    found: dict[str, tuple[int, ...]] = {}
    pattern = re.compile(r'"((?:@[\w.-]+/)?[\w.-]+)",(?:!1|false),\[1,(\d+),(\d+),(\d+)\]')
    for path in static_js():
        for name, *version in pattern.findall(path.read_text(errors="replace")):
            found[name] = tuple(int(v) for v in version)
    return found


def test_shared_modules_are_satisfied_by_jupyterlab_4_4() -> None:
    found = consumed()
    assert "@jupyterlab/coreutils" in found, "no shared-module requirements found"
    for name, version in found.items():
        assert name in FLOOR_44, f"{name} is new: check the version 4.4.0 ships, add it here"
        assert version <= FLOOR_44[name], f"{name} requires ^{version}: JupyterLab 4.4 fails"


def test_shared_packages_cover_every_dependency() -> None:
    package = json.loads((LABEXTENSION.parents[1] / "package.json").read_text())
    shared = package["jupyterlab"]["sharedPackages"]
    for name, spec in package["dependencies"].items():
        assert name in shared, f"{name}: add it to jupyterlab.sharedPackages"
        assert shared[name]["requiredVersion"] == spec
        assert shared[name]["bundled"] is False


def test_gzipped_size_of_our_code() -> None:
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in static_js())
    print(f"gzipped static JS: {total / 1024:.1f} KiB")
    assert total < GZIP_BUDGET, f"{total} bytes gzipped"
