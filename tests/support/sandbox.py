"""Sandboxes with the shape of the SageMaker platforms, for the lifecycle script and release
tests (a helper module, not a conftest).

- :func:`built_dists`: ``python -m build`` of this checkout, once per test process (the
  release artifacts; the sandboxes install that wheel).
- :func:`platform_env`: a venv standing in for the environment that runs Jupyter on the
  platform (``JupyterSystemEnv`` on a notebook instance, ``/opt/conda`` in a SageMaker
  Distribution image, ``/opt/conda/envs/studio`` in Studio Classic): ``jupyterlab==X.*`` and
  what the wheel depends on, cached under SMCOST_COMPAT_DIR (as test_compat's venvs), and put
  back to "no jupyterlab-smcost, no policy" for each test.
- :class:`Sandbox`: a temporary HOME with a user's ``.jupyter``, fake ``systemctl``,
  ``initctl``, ``restart-jupyter-server`` and ``supervisorctl`` on PATH that record what they
  are asked, and a way to run the script as SageMaker runs it (``bash script``, PATH as in a
  notebook instance's lifecycle hook: ``/sbin:bin:/usr/sbin:/usr/bin``).

SMCOST_SANDBOX=0 skips these tests (they need PyPI the first time and take a minute or two).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

import pytest

from .server_proc import free_port

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("SMCOST_COMPAT_DIR", Path.home() / ".cache" / "smcost-compat"))
POLICY_FILE = "etc/jupyter/jupyter_jupyterlab_smcost_config.json"
FAKES = ("systemctl", "initctl", "restart-jupyter-server", "supervisorctl")
WHEEL_DEPS = ("boto3", "psutil", "prometheus_client")

needs_sandbox = pytest.mark.skipif(
    os.environ.get("SMCOST_SANDBOX") == "0", reason="SMCOST_SANDBOX=0 skips the sandboxes"
)


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run([str(c) for c in cmd], **kwargs)


def must(cmd: list[str], **kwargs: Any) -> str:
    proc = run(cmd, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@functools.cache
def built_dists() -> tuple[Path, Path]:
    """(sdist, wheel) from ``python -m build`` of this checkout (isolated, as a release)."""
    out = Path(tempfile.mkdtemp(prefix="smcost-dist-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    must([sys.executable, "-m", "build", "--outdir", out, REPO])
    return next(out.glob("*.tar.gz")), next(out.glob("*.whl"))


def platform_env(version: str = "4.4") -> Path:
    """The cached venv with ``jupyterlab==<version>.*`` and no jupyterlab-smcost installed."""
    venv = CACHE / f"lcc-jl{version}"
    python = venv / "bin" / "python"
    ready = venv / ".smcost-ready"
    if not ready.exists():
        shutil.rmtree(venv, ignore_errors=True)
        must([sys.executable, "-m", "venv", venv])
        must([python, "-m", "pip", "install", "-q", f"jupyterlab=={version}.*", *WHEEL_DEPS])
        ready.touch()
    run([python, "-m", "pip", "uninstall", "-y", "-q", "jupyterlab_smcost"])
    (venv / POLICY_FILE).unlink(missing_ok=True)
    assert run([python, "-I", "-c", "import jupyterlab_smcost"]).returncode != 0
    return venv


def snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every file under ``roots`` (compiled bytecode aside)."""
    out = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                p = Path(dirpath) / name
                st = p.lstat()
                out[str(p)] = (st.st_mtime_ns, st.st_size)
    return out


class Sandbox:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.home = tmp / "home"
        (self.home / ".jupyter").mkdir(parents=True)
        # a user's own Jupyter config: the script must leave it alone
        (self.home / ".jupyter" / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"terminado_settings": {"shell_command": ["/bin/bash"]}}})
        )
        self.bin = tmp / "fakebin"
        self.bin.mkdir()
        self.record = tmp / "restarts.log"
        for name in FAKES:
            fake = self.bin / name
            fake.write_text(f'#!/bin/sh\necho "{name} $*" >> "{self.record}"\n')
            fake.chmod(0o755)
        self.log = tmp / "smcost-lifecycle.log"
        self.env = {
            "HOME": str(self.home),
            "PATH": f"{self.bin}:/sbin:bin:/usr/sbin:/usr/bin",
            "LANG": "C.UTF-8",
            "SMCOST_LOG": str(self.log),
            "SMCOST_METADATA": str(tmp / "no-metadata.json"),
        }

    def restarts(self) -> list[str]:
        lines = self.record.read_text().splitlines() if self.record.exists() else []
        return [line.strip() for line in lines]

    def metadata(self, doc: dict[str, Any]) -> None:
        path = self.tmp / "resource-metadata.json"
        path.write_text(json.dumps(doc))
        self.env["SMCOST_METADATA"] = str(path)

    def run_script(self, script: str, env: Optional[dict[str, str]] = None) -> str:
        """Run the lifecycle script as SageMaker would (a file, bash, from /); its output."""
        path = self.tmp / "lifecycle.sh"
        path.write_text(script)
        start = time.monotonic()
        proc = run(["bash", path], env={**self.env, **(env or {})}, cwd="/", timeout=290)
        took = time.monotonic() - start
        out = proc.stdout + proc.stderr
        print(f"--- lifecycle script ({took:.1f} s, exit {proc.returncode})\n{out}")
        assert proc.returncode == 0, out  # it never fails the start
        return out


def extension_lines(venv: Path, env: dict[str, str]) -> tuple[str, str]:
    """What ``jupyter server extension list`` / ``jupyter labextension list`` say about us."""
    lines = []
    for args in (["server", "extension", "list"], ["labextension", "list"]):
        out = re.sub(r"\x1b\[[0-9;]*m", "", must([venv / "bin" / "jupyter", *args], env=env))
        mine = [
            line.strip() for line in out.splitlines() if "smcost" in line and "Valid" not in line
        ]
        lines.append("\n".join(mine))
    return lines[0], lines[1]


class LabProcess:
    """``jupyter lab`` (or server) from a sandbox venv; requests with its token."""

    TOKEN = "smcost-sandbox-token"

    def __init__(
        self,
        venv: Path,
        env: dict[str, str],
        tmp: Path,
        *,
        app: str = "jupyterlab",
        base_url: str = "/",
        args: tuple[str, ...] = (),
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}{base_url}"
        root = tmp / "work"
        root.mkdir(exist_ok=True)
        self.log_path = tmp / f"{app}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [
                str(venv / "bin" / "python"),
                "-m",
                app,
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.base_url={base_url}",
                f"--IdentityProvider.token={self.TOKEN}",
                f"--ServerApp.root_dir={root}",
                *args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=root,
        )

    def get(self, path: str) -> tuple[int, Any]:
        req = urllib.request.Request(self.base + path)
        req.add_header("Authorization", f"token {self.TOKEN}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> LabProcess:
        end = time.time() + 90
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log()[-4000:]}")
            try:
                self.get("api/status")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        raise TimeoutError(f"server not ready:\n{self.log()[-4000:]}")

    def __exit__(self, *exc: Any) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
