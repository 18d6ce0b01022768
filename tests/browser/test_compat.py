"""Opt-in (SMCOST_COMPAT=1): the built wheel installs beside, and loads in, the JupyterLab
versions SageMaker ships (4.4 in SageMaker Distribution 3.x, 4.5 in 4.x) and current 4.6,
with no "Unsatisfied version ... of shared singleton module" error in the browser console.

Builds the wheel once from this checkout (`pip wheel --no-build-isolation`: run
`jlpm build:prod` first; the hatch hook reuses that build), then for each version a venv
(cached under SMCOST_COMPAT_DIR, default ~/.cache/smcost-compat) with `jupyterlab==X.*`
and the wheel, a `jupyter lab` from that venv, and Chromium. Needs PyPI.
SMCOST_COMPAT_VERSIONS picks the versions (default "4.4,4.5,4.6"); SMCOST_COMPAT_WHEEL
uses a given wheel instead of building one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from smcost_browser import REPO, open_lab, open_panel, output_dir, status_item

pytestmark = [pytest.mark.compat, pytest.mark.browser]

VERSIONS = [v.strip() for v in os.environ.get("SMCOST_COMPAT_VERSIONS", "4.4,4.5,4.6").split(",")]
CACHE = Path(os.environ.get("SMCOST_COMPAT_DIR", Path.home() / ".cache" / "smcost-compat"))
SHARED_ERRORS = ("Unsatisfied version", "shared singleton", "No satisfying version")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("SMCOST_COMPAT_WHEEL")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(REPO),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
    )
    return next(out.glob("jupyterlab_smcost-*.whl"))


def venv_with(version: str, wheel: Path) -> Path:
    venv = CACHE / f"jl{version}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, f"jupyterlab=={version}.*", str(wheel)], check=True)
    subprocess.run([*pip, "--force-reinstall", "--no-deps", str(wheel)], check=True)
    return python


@pytest.mark.parametrize("version", VERSIONS)
def test_wheel_loads_without_shared_module_errors(
    version: str, wheel: Path, lab_server: Any, page: Any
) -> None:
    python = venv_with(version, wheel)
    installed = subprocess.run(
        [str(python), "-c", "import jupyterlab; print(jupyterlab.__version__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert installed.startswith(version + "."), installed
    server = lab_server(python=str(python), use_checkout_build=False)
    open_lab(page, server)
    status_item(page, "idle stop in")
    panel = open_panel(page)
    panel.locator(".jp-SmCost-instanceType").wait_for()
    assert panel.locator(".jp-SmCost-instanceType").inner_text() == "ml.t3.medium"
    page.wait_for_timeout(1000)  # late console messages
    report = output_dir() / f"compat-jupyterlab-{installed}.txt"
    report.write_text("\n".join(page.console.messages) + "\n")
    panel.screenshot(path=str(output_dir() / f"compat-jupyterlab-{installed}.png"))
    errors = page.console.matching(*SHARED_ERRORS)
    assert not errors, errors
    failures = [m for m in page.console.matching("smcost") if m.startswith(("error", "pageerror"))]
    assert not failures, failures
