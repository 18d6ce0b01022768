"""The entry script of a training job started by jupyterlab-smcost (shipped to the job as
its own input channel; standard library only: it runs in the job's image, not here).

It reads ``job.json`` from its channel, installs the requirements first, then runs the
notebook with papermill (parameters injected; the executed notebook, outputs included, is
written to ``/opt/ml/output/data`` even when a cell fails) or the script with python, in the
folder the files were shipped to. A failed cell or script makes the job *fail*: the exit
status is not 0 and ``/opt/ml/output/failure`` says why (SageMaker shows it as the job's
FailureReason). ``SM_CHECKPOINT_DIR`` is ``/opt/ml/checkpoints`` (synced to S3 on Spot jobs).
On SIGTERM (a Spot interruption, a stop) the notebook run is interrupted and saved as far as
it got; a script gets the SIGTERM itself. Everything it prints goes to the job's log.

``SMCOST_JOB_ROOT`` replaces ``/opt/ml`` (tests run it in a sandbox shaped like the job's
container).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

#: seconds a notebook run gets to save after SIGTERM (SageMaker allows 120 before SIGKILL)
SAVE_GRACE_S = 90
#: kernelspec names the job's image is not expected to have, mapped to the one it has
FALLBACK_KERNEL = "python3"
#: the cells papermill adds (its error banner, the injected parameters)
PAPERMILL_TAGS = {"papermill-error-cell-tag", "injected-parameters"}


class Paths:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.channel = root / "input" / "data" / "smcost"
        self.code = root / "input" / "data" / "code"
        self.output = root / "output" / "data"
        self.failure = root / "output" / "failure"
        self.checkpoints = root / "checkpoints"
        self.model = root / "model"


def log(message: str) -> None:
    print(f"smcost-job: {message}", flush=True)


def fail(paths: Paths, reason: str, status: int = 1) -> int:
    """Say why the job failed where SageMaker reads it; the exit status to end with."""
    log(f"FAILED: {reason}")
    paths.failure.parent.mkdir(parents=True, exist_ok=True)
    paths.failure.write_text(reason[:1000])
    return status or 1


def available_kernels() -> Optional[set[str]]:
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return None
    return set(KernelSpecManager().find_kernel_specs())


def choose_kernel(wanted: Optional[str]) -> str:
    """The notebook's kernel if the image has it, else python3 (said in the log)."""
    have = available_kernels()
    if wanted and (have is None or wanted in have):
        return wanted
    log(
        f"kernel {wanted or '(none named)'} is not in this image "
        f"(it has: {', '.join(sorted(have or [])) or 'unknown'}): using {FALLBACK_KERNEL}"
    )
    return FALLBACK_KERNEL


def first_error(notebook: Path) -> Optional[str]:
    """``ename: evalue`` of the first error output of an executed notebook."""
    try:
        nb = json.loads(notebook.read_text())
    except (OSError, ValueError):
        return None
    number = 0
    for cell in nb.get("cells", []):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") != "code" or set(tags) & PAPERMILL_TAGS:
            continue  # numbered as the user's notebook numbers its code cells
        number += 1
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                return f"code cell {number}: {out.get('ename')}: {out.get('evalue')}"
    return None


class Runner:
    """Runs one child process; SIGTERM is passed on as ``forward`` (SIGINT for papermill,
    which then saves the notebook as far as it got)."""

    def __init__(self, forward: int) -> None:
        self.forward = forward
        self.child: Optional[subprocess.Popen] = None
        self.terminated = False
        signal.signal(signal.SIGTERM, self._on_term)

    def _on_term(self, signum: int, frame: Any) -> None:
        self.terminated = True
        log("SIGTERM received (Spot interruption or stop): saving what the run has")
        if self.child and self.child.poll() is None:
            self.child.send_signal(self.forward)

    def run(self, argv: list[str], cwd: Path, env: dict[str, str]) -> int:
        log("running: " + " ".join(argv))
        self.child = subprocess.Popen(argv, cwd=str(cwd), env=env)
        deadline = None
        while True:
            try:
                return self.child.wait(timeout=1)
            except subprocess.TimeoutExpired:
                if self.terminated:
                    deadline = deadline or time.monotonic() + SAVE_GRACE_S
                    if time.monotonic() > deadline:
                        self.child.kill()


def pip_install(argv: list[str]) -> int:
    log("installing: " + " ".join(argv))
    return subprocess.call([sys.executable, "-m", "pip", "install", "-q", *argv])


def run(paths: Paths) -> int:
    job = json.loads((paths.channel / "job.json").read_text())
    for folder in (paths.output, paths.checkpoints, paths.model):
        folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("SM_CHECKPOINT_DIR", str(paths.checkpoints))
    env.setdefault("SM_OUTPUT_DATA_DIR", str(paths.output))
    env.setdefault("SM_MODEL_DIR", str(paths.model))
    os.environ.update(env)
    source = paths.code / job["path"]
    workdir = source.parent
    log(f"job {job.get('name')}: {job['kind']} {job['path']} in {workdir}")
    if job.get("requirements"):
        if pip_install(["-r", str(paths.code / job["requirements"])]) != 0:
            return fail(paths, f"pip install -r {job['requirements']} failed (see the log)")
    if job["kind"] == "script":
        runner = Runner(signal.SIGTERM)
        status = runner.run([sys.executable, str(source)], workdir, env)
        if runner.terminated:
            (paths.output / "smcost-interrupted.txt").write_text(
                f"{job['path']} got SIGTERM (Spot interruption or stop); exit status {status}\n"
            )
        if status != 0:
            return fail(paths, f"{job['path']} exited with status {status}", status)
        return 0
    try:
        import papermill  # noqa: F401
    except ImportError:
        if pip_install(["papermill"]) != 0:
            return fail(paths, "papermill is not in the image and could not be installed")
    kernel = choose_kernel(job.get("kernel"))
    executed = paths.output / source.name
    params = Path(tempfile.gettempdir()) / "smcost-parameters.json"  # input may be read-only
    params.write_text(json.dumps(job.get("parameters") or {}))
    runner = Runner(signal.SIGINT)
    argv = [sys.executable, "-m", "papermill", str(source), str(executed)]
    argv += ["-k", kernel, "-f", str(params), "--cwd", str(workdir), "--log-output"]
    status = runner.run(argv, workdir, env)
    if runner.terminated:
        return fail(
            paths,
            f"interrupted by SIGTERM: {executed.name} saved as far as it ran",
            status or 143,
        )
    if status != 0:
        reason = first_error(executed) or f"papermill exited with status {status}"
        return fail(paths, f"{job['path']} failed at {reason} (executed notebook kept)", status)
    log(f"done: {executed.name} written with its outputs")
    return 0


def main() -> int:
    paths = Paths(Path(os.environ.get("SMCOST_JOB_ROOT", "/opt/ml")))
    try:
        return run(paths)
    except Exception as e:  # the job must fail with a reason, not a bare traceback
        import traceback

        traceback.print_exc()
        return fail(paths, f"the smcost entry script failed: {type(e).__name__}: {e}")


if __name__ == "__main__":
    sys.exit(main())
