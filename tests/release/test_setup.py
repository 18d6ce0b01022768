"""scripts/setup.sh is idempotent: run twice in a fresh copy of this checkout, the wheel
still builds (the README's `scripts/dev.sh` then `scripts/test.sh` run it twice).

Slow (two installs, a few minutes): `-m "not slow"` deselects it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINK = Path(".venv/share/jupyter/labextensions/jupyterlab-smcost")


def fresh_copy(dest: Path) -> Path:
    """The files a fresh clone of this working tree has (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        src = ROOT / os.fsdecode(name)
        if src.is_file():  # not a file deleted but not yet committed
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{cmd} failed:\n{(proc.stdout + proc.stderr)[-5000:]}"


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_setup_twice_then_the_wheel_builds(tmp_path: Path) -> None:
    if shutil.which("git") is None or shutil.which("node") is None:
        pytest.skip("needs git and node")
    repo = fresh_copy(tmp_path / "clone")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    try:
        for _ in range(2):
            run(["bash", "scripts/setup.sh"], repo, env)
            # the checkout's build folder holds what the build wrote, nothing installed
            built = repo / "jupyterlab_smcost" / "labextension"
            assert sorted(p.name for p in built.iterdir()) == ["package.json", "schemas", "static"]
            # and JupyterLab in .venv still loads this checkout's build (later builds show)
            assert (repo / LINK).is_symlink()
            assert (repo / LINK).resolve() == built.resolve()
        py = str(repo / ".venv" / "bin" / "python")
        out = tmp_path / "wheel"
        run(
            [
                py,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                "-w",
                str(out),
                ".",
            ],
            repo,
            env,
        )
        (wheel,) = out.glob("*.whl")
        names = zipfile.ZipFile(wheel).namelist()
        share = ".data/data/share/jupyter/labextensions/jupyterlab-smcost/"
        assert len([n for n in names if n.endswith(share + "install.json")]) == 1
        assert [n for n in names if n.endswith(share + "package.json")]
    finally:
        shutil.rmtree(tmp_path / "clone", ignore_errors=True)
