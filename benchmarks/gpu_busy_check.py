"""Does GPU work in the background hold the idle shutdown? One short run on a GPU machine.

Starts a torch bf16 matmul loop in a separate background process (its own session, as a
``nohup ... &`` job would be) for ``--seconds`` (40), and prints what the extension computes
before, during and after it:

- mode ``server`` (when ``jupyter_server`` is importable): a real ``jupyter server``
  subprocess with the extension (local mode; idle timeout 30 s, samples every second,
  background window 10 s); prints ``GET smcost/status``'s idle state and reasons, then waits
  for the server to stop by itself and says how long after the load ended it did;
- mode ``detector`` (otherwise): the detector module driven directly with the real NVML and
  psutil readers (same sample interval and window), printing the reasons it computes.

Without torch or CUDA the load runs on the CPU instead and the output says "no GPU".

    python benchmarks/gpu_busy_check.py [--mode auto|server|detector] [--seconds 40]

On a machine without jupyter_server installed, wheels from scripts/gpu_wheels.sh make mode
``server`` possible: ``pip install --no-index --find-links .whl --target /tmp/smcost-site
jupyterlab_smcost`` and ``PYTHONPATH=/tmp/smcost-site``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parent.parent
MARKER = "smcost_gpu_load.py"
TOKEN = "smcost-gpu-check"
TIMEOUT_S = 30
SAMPLE_S = 1.0
WINDOW_S = 10

LOAD = """
import sys, time
seconds = float(sys.argv[1])
try:
    import torch
    if not torch.cuda.is_available():
        raise RuntimeError("torch sees no CUDA device")
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    torch.cuda.synchronize()
    print("load: GPU", torch.cuda.get_device_name(0), "bf16 8192x8192 matmul loop", flush=True)
    start, n = time.time(), 0
    while time.time() - start < seconds:
        c = a @ b
        n += 1
        if n % 50 == 0:
            torch.cuda.synchronize()
    torch.cuda.synchronize()
    took = time.time() - start
    print(f"load: {n} matmuls in {took:.1f} s: {2 * 8192**3 * n / took / 1e12:.0f} TFLOP/s",
          flush=True)
except Exception as e:
    print(f"load: no GPU ({type(e).__name__}: {e}): a CPU loop instead", flush=True)
    start = time.time()
    while time.time() - start < seconds:
        pass
"""


def stamp(t0: float) -> str:
    return f"[{time.time() - t0:6.1f} s]"


class Load:
    """The background job: its own session, like ``nohup ... &`` from a terminal."""

    def __init__(self, seconds: float, workdir: Path) -> None:
        self.seconds = seconds
        script = workdir / MARKER  # named like a user's script: "python3 .../smcost_gpu_load.py"
        script.write_text(LOAD)
        self.proc = subprocess.Popen(
            [sys.executable, str(script), f"{seconds:g}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            # torch with its own packages, not those installed for the server (PYTHONPATH)
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
        self.started: Optional[float] = None  # its loop's start
        self.lines: list[str] = []

    def wait_started(self, timeout: float = 120) -> str:
        assert self.proc.stdout is not None
        end = time.time() + timeout
        while time.time() < end:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip())
            if line.startswith("load: "):
                self.started = time.time()
                return line.rstrip()
        raise RuntimeError("the load did not start:\n" + "\n".join(self.lines))

    def running(self) -> bool:
        return self.proc.poll() is None

    def finish(self) -> float:
        out, _ = self.proc.communicate(timeout=self.seconds + 120)
        ended = time.time()
        self.lines += out.splitlines()
        return ended

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# ---------------------------------------------------------------------------- mode server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir
        (workdir / "root").mkdir()
        args = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={workdir / 'root'}",
            f"--IdentityProvider.token={TOKEN}",
            "--ServerApp.jpserver_extensions={'jupyterlab_smcost': True}",
            "--SmCostApp.environment=local",
            f"--SmCostApp.metadata_path={workdir / 'no-metadata.json'}",
            f"--SmCostApp.settings_file={workdir / 'idle-settings.json'}",
            f"--SmCostApp.price_cache_dir={workdir / 'prices'}",
            f"--SmCostApp.idle_timeout={TIMEOUT_S}",
            "--SmCostApp.min_idle_timeout=1",
            "--SmCostApp.warning_period=5",
            f"--SmCostApp.usage_sample_interval={SAMPLE_S}",
            f"--SmCostApp.background_window={WINDOW_S}",
        ]
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(workdir / "runtime")}
        self.log_path = workdir / "server.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=workdir / "root"
        )

    def get(self, path: str) -> Any:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        req.add_header("Authorization", f"token {TOKEN}")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def wait_ready(self, timeout: float = 120) -> None:
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited:\n" + self.log())
            try:
                self.get("/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start:\n" + self.log())

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()


def show_status(server: Server, t0: float, phase: str) -> dict:
    idle = server.get("/smcost/status")["idle"]
    print(f"{stamp(t0)} {phase:6s} state={idle['state']}  reasons={idle['reasons']}", flush=True)
    return idle


def run_server(seconds: float) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="smcost-gpu-"))
    server = Server(workdir)
    load: Optional[Load] = None
    t0 = time.time()
    try:
        server.wait_ready()
        print(
            f"{stamp(t0)} jupyter server up (pid {server.proc.pid}): idle timeout {TIMEOUT_S} s, "
            f"a sample every {SAMPLE_S:g} s, background window {WINDOW_S} s",
            flush=True,
        )
        for _ in range(3):
            show_status(server, t0, "before")
            time.sleep(2)
        load = Load(seconds, workdir)
        print(f"{stamp(t0)} {load.wait_started()} (pid {load.proc.pid})", flush=True)
        while load.running():
            show_status(server, t0, "during")
            time.sleep(5)
        ended = load.finish()
        for line in load.lines[1:]:
            print(f"{stamp(t0)} {line}", flush=True)
        print(f"{stamp(t0)} the load ended", flush=True)
        for _ in range(2):
            idle = show_status(server, t0, "after")
            print(
                f"{stamp(t0)}        last activity: {idle['last_activity_source']} at "
                f"{idle['last_activity']}, deadline {idle['deadline']}",
                flush=True,
            )
            time.sleep(3)
        while server.proc.poll() is None and time.time() - ended < TIMEOUT_S + 60:
            time.sleep(0.1)
        if server.proc.poll() is None:
            print(f"{stamp(t0)} still running {TIMEOUT_S + 60} s after the load ended: FAIL")
            return 1
        print(
            f"{stamp(t0)} the server stopped by itself {time.time() - ended:.1f} s after the "
            f"load ended (idle timeout {TIMEOUT_S} s)",
            flush=True,
        )
        print("server log, smcost lines:")
        for line in server.log_path.read_text(errors="replace").splitlines():
            if "smcost:" in line:
                print("  " + line[line.index("smcost:") :])
        return 0
    finally:
        if load:
            load.kill()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------- mode detector


def run_detector(seconds: float) -> int:
    sys.path.insert(0, str(REPO))
    from jupyterlab_smcost.background import BackgroundDetector, Rules, reason
    from jupyterlab_smcost.usage import SystemSource, UsageSampler, UsageWindow

    source = SystemSource()
    det = BackgroundDetector(Rules(window_s=WINDOW_S), gpu_users=source.gpus.processes)
    sampler = UsageSampler(source, UsageWindow(3600), SAMPLE_S)
    sampler.add_listener(det.on_reading)
    t0 = time.time()

    def show(phase: str) -> None:
        st, now = det.state(), time.time()
        reasons = [reason(w, now) for w in st.busy]
        reasons += [reason(w, now, starting=True) for w in st.starting]
        gpus = source.gpus
        util = [g.utilization for g in gpus.read()] if gpus.available else None
        print(f"{stamp(t0)} {phase:6s} NVML utilisation={util}  reasons={reasons}", flush=True)

    sampler.start()
    load: Optional[Load] = None
    workdir = Path(tempfile.mkdtemp(prefix="smcost-gpu-"))
    try:
        time.sleep(2)
        if not source.gpus.available:
            print(f"{stamp(t0)} NVML: no GPU ({source.gpus.why_unavailable})", flush=True)
        for _ in range(3):
            show("before")
            time.sleep(2)
        load = Load(seconds, workdir)
        print(f"{stamp(t0)} {load.wait_started()} (pid {load.proc.pid})", flush=True)
        while load.running():
            show("during")
            time.sleep(5)
        ended = load.finish()
        for line in load.lines[1:]:
            print(f"{stamp(t0)} {line}", flush=True)
        for _ in range(3):
            time.sleep(2)
            show("after")
        last = det.state().last_busy_at
        if last is not None:
            print(
                f"{stamp(t0)} the last sample that saw work busy was {last - ended:+.1f} s from "
                f"the load's end: the idle clock restarts there (a {TIMEOUT_S} s timeout would "
                f"stop the server {last + TIMEOUT_S - ended:.1f} s after the end)",
                flush=True,
            )
        print(f"scans: {det.scans}, mean {det.scan_seconds / max(det.scans, 1) * 1e3:.2f} ms")
        return 0
    finally:
        if load:
            load.kill()
        sampler.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("auto", "server", "detector"), default="auto")
    ap.add_argument("--seconds", type=float, default=40)
    args = ap.parse_args()
    mode = args.mode
    if mode == "auto":
        mode = "server" if importlib.util.find_spec("jupyter_server") else "detector"
    print(f"mode {mode}, Python {sys.version.split()[0]}, load {args.seconds:g} s", flush=True)
    sys.exit(run_server(args.seconds) if mode == "server" else run_detector(args.seconds))


if __name__ == "__main__":
    main()
