"""Helpers for the real-browser tests: a `jupyter lab` subprocess and page helpers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from support.server_proc import pid_namespace, stop_process  # noqa: E402

LABEXTENSION = REPO / "jupyterlab_smcost" / "labextension"
OUTPUT = REPO / "test-output"
CHROMIUM = os.environ.get("SMCOST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PANEL_ID = "jupyterlab-smcost-panel"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LabServer:
    """One `jupyter lab` subprocess on 127.0.0.1 with a temp root, settings and data dirs."""

    def __init__(
        self,
        tmp: Path,
        extra_args: list[str] = (),  # type: ignore[assignment]
        python: str = sys.executable,
        use_checkout_build: bool = True,
        user_settings: Optional[dict[tuple[str, str], dict[str, Any]]] = None,
        server_extension: bool = True,
        env: Optional[dict[str, str]] = None,
        history: Optional[Path] = None,
    ) -> None:
        self.tmp = tmp
        #: the usage history file (a test may fill it before the server starts)
        self.history = history or tmp / "history.sqlite"
        self.root = tmp / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.token = "smcost-test-token"
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = tmp / "server.log"
        self.settings_dir = tmp / "lab-settings"
        extra_env = env or {}
        env = dict(os.environ)
        env.update(extra_env)
        env.update(
            JUPYTER_CONFIG_DIR=str(tmp / "config"),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(self.settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
            PYTHONUNBUFFERED="1",
        )
        env.pop("JUPYTER_PATH", None)
        if use_checkout_build:
            if not (LABEXTENSION / "package.json").exists():
                pytest.fail(
                    f"{LABEXTENSION} is missing: run `jlpm build:prod` before the browser tests"
                )
            data = tmp / "data" / "labextensions"
            data.mkdir(parents=True)
            (data / "jupyterlab-smcost").symlink_to(LABEXTENSION, target_is_directory=True)
            env["JUPYTER_PATH"] = str(tmp / "data")
        # no news / update toasts in the way
        self.write_user_settings(
            "@jupyterlab/apputils-extension",
            "notification",
            {"fetchNews": "false", "checkForUpdates": False},
        )
        for (pkg, plugin), values in (user_settings or {}).items():
            self.write_user_settings(pkg, plugin, values)
        # in a PID namespace of its own where the system allows: the browser and whatever
        # else runs on this machine are not its background work (on SageMaker the browser
        # runs elsewhere)
        self.isolated = bool(pid_namespace())
        self.args = [
            *pid_namespace(),
            python,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--ServerApp.jpserver_extensions={{'jupyterlab_smcost': {server_extension}}}",
            f"--SmCostApp.settings_file={tmp / 'smcost-settings.json'}",
            f"--SmCostApp.history_file={self.history}",
            *extra_args,
        ]
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            self.args, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.started = time.monotonic()
        self.wait_ready()

    def write_user_settings(self, package: str, plugin: str, values: dict[str, Any]) -> None:
        path = self.settings_dir / package / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    def api(self, path: str, method: str = "GET", body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def wait_ready(self, timeout: float = 90) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log()}")
            try:
                self.api("api/status")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not start in {timeout} s:\n{self.log()}")

    def lab_url(self, path: str = "lab") -> str:
        return f"{self.url}{path}?token={self.token}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        stop_process(self.proc, self.isolated, timeout=15)
        self._log.close()


class Console:
    """Collects browser console messages and page errors."""

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        page.on("console", lambda m: self.messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))

    def matching(self, *needles: str) -> list[str]:
        return [m for m in self.messages if any(n in m for n in needles)]


def open_lab(page: Any, server: LabServer, path: str = "lab") -> None:
    page.goto(server.lab_url(path))
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)


def status_item(page: Any, text: str) -> Any:
    """The status bar item, once its text matches the regular expression ``text``."""
    item = page.locator(".jp-SmCost-status")
    item.wait_for(timeout=30_000)
    page.wait_for_function(
        "re => new RegExp(re).test(document.querySelector('.jp-SmCost-status').textContent)",
        arg=text,
    )
    return item


def open_panel(page: Any) -> Any:
    tab = page.locator(f'.jp-SideBar .lm-TabBar-tab[data-id="{PANEL_ID}"]')
    tab.wait_for(timeout=30_000)
    panel = page.locator(f"#{PANEL_ID}")
    if not panel.is_visible():
        tab.click()
    panel.wait_for(state="visible")
    return panel


def screenshot_panel(page: Any, name: str) -> None:
    """Screenshots of the whole page and of the panel (scrolled to the top)."""
    panel = page.locator(f"#{PANEL_ID}")
    panel.evaluate("el => { el.scrollTop = 0; }")
    page.wait_for_timeout(200)
    panel.screenshot(path=str(output_dir() / f"panel-{name}.png"))
    page.screenshot(path=str(output_dir() / f"lab-{name}.png"))


def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
