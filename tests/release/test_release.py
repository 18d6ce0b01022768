"""Release artifacts: ``python -m build`` makes an sdist and a wheel that carry the prebuilt
labextension, the server-extension config and the lifecycle script; ``twine check`` passes;
the wheel installs into a clean venv with no Node.js on PATH, and both extension lists show it
enabled. (RELEASE.md's "Build and check" section is these steps.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from support.sandbox import REPO, built_dists, must, needs_sandbox

from jupyterlab_smcost.aws import lifecycle_script as lcs

pytestmark = needs_sandbox

LABEXT = "share/jupyter/labextensions/jupyterlab-smcost"
ZH_CN = "jupyterlab_smcost/locale/zh_CN/LC_MESSAGES/jupyterlab_smcost"
CLASSIFIERS = (
    "Framework :: Jupyter :: JupyterLab :: 4",
    "Framework :: Jupyter :: JupyterLab :: Extensions",
    "Framework :: Jupyter :: JupyterLab :: Extensions :: Prebuilt",
)


def npm_version() -> str:
    return json.loads((REPO / "package.json").read_text())["version"]


def test_sdist_and_wheel(capsys) -> None:
    sdist, wheel = built_dists()
    with capsys.disabled():
        for dist in (sdist, wheel):
            print(f"\n{dist.name}: {dist.stat().st_size:,} bytes", end="")
    checked = must([sys.executable, "-m", "twine", "check", "--strict", sdist, wheel])
    assert checked.count("PASSED") == 2, checked

    version = npm_version()
    assert wheel.name == f"jupyterlab_smcost-{version}-py3-none-any.whl"  # one version number
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        data = f"jupyterlab_smcost-{version}.data/data/"
        meta = zf.read(f"jupyterlab_smcost-{version}.dist-info/METADATA").decode()
        entry_points = zf.read(f"jupyterlab_smcost-{version}.dist-info/entry_points.txt").decode()
        zh_cn = json.loads(zf.read(f"{ZH_CN}.json"))
        labext_package = json.loads(zf.read(f"{data}{LABEXT}/package.json"))
        server_config = json.loads(
            zf.read(f"{data}etc/jupyter/jupyter_server_config.d/jupyterlab_smcost.json")
        )
    assert f"{data}{LABEXT}/install.json" in names
    assert f"{data}{LABEXT}/static/style.js" in names
    assert any(re.fullmatch(rf"{data}{LABEXT}/static/remoteEntry\.[0-9a-f]+\.js", n) for n in names)
    assert f"{data}{LABEXT}/schemas/jupyterlab-smcost/plugin.json" in names
    assert "jupyterlab_smcost/data/lifecycle/smcost-lifecycle.sh" in names
    assert "jupyterlab_smcost/data/openapi.yaml" in names
    assert "jupyterlab_smcost/data/janitor-stackset.json" in names  # `jupyter smcost deploy`
    # the zh_CN catalogue, where JupyterLab looks for it (the jupyterlab.locale entry point)
    assert f"{ZH_CN}.po" in names and zh_cn[""]["language"] == "zh-CN"
    assert "[jupyterlab.locale]\njupyterlab_smcost = jupyterlab_smcost" in entry_points
    assert server_config == {"ServerApp": {"jpserver_extensions": {"jupyterlab_smcost": True}}}
    assert labext_package["version"] == version
    assert re.search(rf"^Version: {re.escape(version)}$", meta, re.M)
    for classifier in CLASSIFIERS:
        assert f"Classifier: {classifier}\n" in meta
    assert "Requires-Dist: jupyter-server" in meta.replace("_", "-")

    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    for needed in (
        "pyproject.toml",
        "package.json",
        "CHANGELOG.md",
        "install.json",
        "deploy/lifecycle/smcost-lifecycle.sh",
        "jupyterlab_smcost/labextension/package.json",
        "jupyterlab_smcost/labextension/static/style.js",
        "jupyter-config/server-config/jupyterlab_smcost.json",
    ):
        assert needed in members, needed
    assert "jupyterlab_smcost/labextension/install.json" not in members
    assert f"## {version}" in (REPO / "CHANGELOG.md").read_text()


def test_the_wheel_installs_without_nodejs(tmp_path: Path, capsys) -> None:
    wheel = built_dists()[1]
    venv = tmp_path / "clean"
    must([sys.executable, "-m", "venv", venv])
    bin_dir = venv / "bin"
    env = {**os.environ, "PATH": str(bin_dir)}  # no /usr/bin: no node, no npm
    env.pop("VIRTUAL_ENV", None)
    assert (
        shutil.which("node", path=env["PATH"]) is None
        and shutil.which("jlpm", path=env["PATH"]) is None
    )
    must(
        [bin_dir / "python", "-m", "pip", "install", "-q", wheel, "jupyterlab==4.4.*"],
        env=env,
        cwd=tmp_path,
    )
    server = must([bin_dir / "jupyter", "server", "extension", "list"], env=env, cwd=tmp_path)
    lab = must([bin_dir / "jupyter", "labextension", "list"], env=env, cwd=tmp_path)
    mine = [
        line.strip()
        for line in re.sub(r"\x1b\[[0-9;]*m", "", server + lab).splitlines()
        if "smcost" in line and "Validating" not in line
    ]
    with capsys.disabled():
        print("\n" + "\n".join(mine))
    version = npm_version()
    assert "jupyterlab_smcost enabled" in mine
    assert f"jupyterlab_smcost {version} OK" in mine
    assert f"jupyterlab-smcost v{version} enabled OK (python, jupyterlab_smcost)" in mine
    # the lifecycle command works from the wheel (the script is found inside it)
    out = must(
        [bin_dir / "jupyter", "smcost", "lifecycle", "script", "--target", "jupyterlab"],
        env=env,
        cwd=tmp_path,
    )
    assert lcs.parse(out) == lcs.Settings("jupyterlab", f"jupyterlab-smcost=={version}", {}, "")


def test_a_stray_install_json_does_not_break_the_wheel(tmp_path: Path) -> None:
    """`jupyter labextension develop` (scripts/setup.sh) leaves labextension/install.json in
    the checkout; building a wheel from there failed with 'A second file is being added'."""
    src = tmp_path / "src"
    files = must(["git", "ls-files"], cwd=REPO).splitlines()
    for name in files:
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    shutil.copytree(
        REPO / "jupyterlab_smcost" / "labextension", src / "jupyterlab_smcost" / "labextension"
    )
    (src / "jupyterlab_smcost" / "labextension" / "install.json").write_text("{}")
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    with zipfile.ZipFile(next(out.glob("*.whl"))) as zf:
        installs = [n for n in zf.namelist() if n.endswith("/install.json")]
        assert (
            len(installs) == 1
            and json.loads(zf.read(installs[0]))["packageName"] == "jupyterlab_smcost"
        )
