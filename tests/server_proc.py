"""Run a real ``jupyter server`` (or ``jupyter lab``) in a subprocess, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

TOKEN = "smcost-test-token"


def _decode(raw: bytes) -> Any:
    """JSON when it is JSON (our API), else the text (e.g. a 404 page)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(
        self,
        *args: str,
        app: str = "server",
        extension: bool = True,
        workdir: Optional[Path] = None,
        env: Optional[dict[str, str]] = None,
    ) -> None:
        self.port = free_port()
        self._own_dir = workdir is None
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="smcost-srv-"))
        self.root = self.dir / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            app,
            "--no-browser",
            "--allow-root",
            f"--ServerApp.port={self.port}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={self.root}",
            f"--IdentityProvider.token={TOKEN}",
            "--ServerApp.port_retries=0",
            f"--SmCostApp.settings_file={self.dir / 'idle-settings.json'}",
            f"--SmCostApp.price_cache_dir={self.dir / 'prices'}",
            f"--SmCostApp.history_file={self.dir / 'history.sqlite'}",
            f"--SmCostApp.metadata_path={self.dir / 'no-metadata.json'}",
            *args,
        ]
        if not extension:
            cmd.append("--ServerApp.jpserver_extensions={'jupyterlab_smcost': False}")
        full_env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(self.dir / "runtime"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.log_path = self.dir / "server.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, env=full_env, cwd=self.root
        )
        self.exited_at: Optional[float] = None

    def wait_ready(self, timeout: float = 60) -> ServerProcess:
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                self.request("GET", "/api/status")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise TimeoutError(f"server not ready:\n{self.log()}")

    def request(
        self, method: str, path: str, body: Any = None, token: Optional[str] = TOKEN
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        if method in ("POST", "PUT", "PATCH") and data is None:
            data = b"{}"
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            req.add_header("Authorization", f"token {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, _decode(r.read())
        except urllib.error.HTTPError as e:
            return e.code, _decode(e.read())

    def get(self, path: str) -> Any:
        code, body = self.request("GET", path)
        assert code == 200, (code, body)
        return body

    def wait_exit(self, timeout: float) -> Optional[float]:
        """Wall time at which the process exited (polled every 10 ms), or None."""
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                self.exited_at = self.exited_at or time.time()
                return self.exited_at
            time.sleep(0.01)
        return None

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ServerProcess:
        return self.wait_ready()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def config_env(tmp_path: Path, filename: str, text: str) -> dict[str, str]:
    """The environment of a server whose Jupyter config directory holds ``filename``."""
    conf = tmp_path / "config"
    conf.mkdir(exist_ok=True)
    (conf / filename).write_text(text)
    return {"JUPYTER_CONFIG_DIR": str(conf)}


def kernel_client(server: ServerProcess, kernel_id: str) -> Any:
    """A blocking client on the server's kernel, from its connection file."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_file(str(server.dir / "runtime" / f"kernel-{kernel_id}.json"))
    # no heartbeat: on a loaded machine a kernel still starting misses beats, and
    # wait_for_ready would call it dead ("Kernel died before replying to kernel_info")
    client.start_channels(hb=False)
    client.wait_for_ready(timeout=60)
    return client
