"""Run a real ``jupyter server`` (or ``jupyter lab``) in a subprocess, for tests and benchmarks."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
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


@functools.cache
def pid_namespace() -> tuple[str, ...]:
    """``unshare`` arguments that run a command as init of a PID namespace of its own, with
    its own /proc (as a SageMaker Studio app runs in its container), or () where this
    system does not allow it (then the server sees every process of the machine)."""
    base = ("unshare", "--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL")
    tries = [base] if os.geteuid() == 0 else []
    tries.append(("unshare", "--user", "--map-root-user", *base[1:]))
    for prefix in tries:
        try:
            done = subprocess.run([*prefix, "true"], capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return prefix
    return ()


def server_pid(proc: subprocess.Popen, isolated: bool) -> int:
    """The pid of the command ``proc`` runs (isolated: the child of ``unshare``)."""
    if not isolated:
        return proc.pid
    import psutil

    end = time.time() + 10
    while True:
        children = psutil.Process(proc.pid).children()
        if children or time.time() > end:
            return children[0].pid
        time.sleep(0.05)


def stop_process(proc: subprocess.Popen, isolated: bool, timeout: float = 10) -> None:
    """SIGTERM (to the server itself: ``unshare`` forwards no signal), then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.kill(server_pid(proc, isolated), signal.SIGTERM)
    except (OSError, IndexError):  # gone meanwhile
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # isolated: --kill-child takes the server and its namespace with it
        proc.wait()


class ServerProcess:
    """``isolate``: run the server in a PID namespace of its own (see :func:`pid_namespace`),
    so that the machine's other processes (other tests, other work) are not its background
    work: it sees only itself and what it starts."""

    def __init__(
        self,
        *args: str,
        app: str = "server",
        extension: bool = True,
        workdir: Optional[Path] = None,
        env: Optional[dict[str, str]] = None,
        isolate: bool = True,
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
        self.isolated = bool(isolate and pid_namespace())
        if self.isolated:
            cmd = [*pid_namespace(), *cmd]
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

    @property
    def pid(self) -> int:
        """The server's process id, as this side sees it (isolated: the child of unshare)."""
        return server_pid(self.proc, self.isolated)

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
        stop_process(self.proc, self.isolated)
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
