"""The entry script a training job runs (jupyterlab_smcost/jobs/entry.py), for real: a
sandbox shaped like the job's container (``input/data/{smcost,code}``, ``output/data``,
``checkpoints``: ``SMCOST_JOB_ROOT`` replaces ``/opt/ml``), papermill and a real python3
kernel, real signals. A few seconds per run (papermill starts a kernel)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

import pytest

from jupyterlab_smcost.jobs.service import ENTRY_FILE


def cell(source: str, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "source": source,
        "metadata": {"tags": list(tags)},
        "outputs": [],
        "execution_count": None,
    }


def notebook(*cells: dict[str, Any], kernel: str = "python3") -> dict[str, Any]:
    return {
        "cells": list(cells),
        "metadata": {"kernelspec": {"name": kernel, "display_name": kernel, "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def sandbox(tmp: Path, files: dict[str, Any], job: dict[str, Any]) -> Path:
    root = tmp / "opt-ml"
    (root / "input" / "data" / "smcost").mkdir(parents=True)
    for rel, content in files.items():
        path = root / "input" / "data" / "code" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    doc = {"name": "smcost-t-1", "parameters": {}, "requirements": None, "kernel": None, **job}
    (root / "input" / "data" / "smcost" / "job.json").write_text(json.dumps(doc))
    return root


def start(root: Path) -> subprocess.Popen:
    env = {**os.environ, "SMCOST_JOB_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    env.pop("SM_CHECKPOINT_DIR", None)
    return subprocess.Popen(
        [sys.executable, str(ENTRY_FILE)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run(root: Path, timeout: float = 120) -> tuple[int, str]:
    proc = start(root)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def outputs_of(nb_path: Path) -> list[str]:
    nb = json.loads(nb_path.read_text())
    texts = []
    for c in nb["cells"]:
        for o in c.get("outputs", []):
            texts.append("".join(o.get("text", "")) or f"{o.get('ename')}: {o.get('evalue')}")
    return texts


def failure(root: Path) -> Optional[str]:
    path = root / "output" / "failure"
    return path.read_text() if path.exists() else None


def test_a_notebook_runs_with_its_parameters_and_keeps_its_outputs(tmp_path):
    nb = notebook(
        cell("epochs = 1\nname = 'x'", tags=("parameters",)),
        cell("import os\nprint('epochs', epochs, name)\nprint(os.environ['SM_CHECKPOINT_DIR'])"),
        cell("open('wrote.txt', 'w').write(open('data/a.csv').read())"),
    )
    root = sandbox(
        tmp_path,
        {"work/train.ipynb": nb, "work/data/a.csv": "1,2\n"},
        {
            "kind": "notebook",
            "path": "work/train.ipynb",
            "kernel": "python3",
            "parameters": {"epochs": 7, "name": "run"},
        },
    )
    status, log = run(root)
    assert status == 0, log
    executed = root / "output" / "data" / "train.ipynb"
    texts = outputs_of(executed)
    assert "epochs 7 run\n" in texts[-2] or any("epochs 7 run" in t for t in texts)
    assert any(str(root / "checkpoints") in t for t in texts)
    # it ran in the notebook's own folder, where its data files were shipped
    assert (root / "input" / "data" / "code" / "work" / "wrote.txt").read_text() == "1,2\n"
    assert failure(root) is None


def test_a_failing_cell_fails_the_job_and_keeps_the_executed_notebook(tmp_path):
    nb = notebook(
        cell("print('before')"),
        cell("raise ValueError('bad data in row 3')"),
        cell("print('never')"),
        kernel="python3__SAGEMAKER_INTERNAL__missing",
    )
    root = sandbox(
        tmp_path,
        {"nb.ipynb": nb},
        {"kind": "notebook", "path": "nb.ipynb", "kernel": "python3__SAGEMAKER_INTERNAL__missing"},
    )
    status, log = run(root)
    assert status != 0, log
    assert "is not in this image" in log and "using python3" in log
    executed = root / "output" / "data" / "nb.ipynb"
    texts = outputs_of(executed)
    assert "before\n" in texts and "ValueError: bad data in row 3" in texts
    assert "never\n" not in texts
    reason = failure(root)
    assert reason and "code cell 2: ValueError: bad data in row 3" in reason
    assert "executed notebook kept" in reason


def test_a_script_runs_and_its_exit_status_is_the_jobs(tmp_path):
    script = (
        "import os, sys\n"
        "open(os.path.join(os.environ['SM_CHECKPOINT_DIR'], 'ckpt'), 'w').write('1')\n"
        "open(os.path.join(os.environ['SM_OUTPUT_DATA_DIR'], 'result.txt'), 'w').write('ok')\n"
        "sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)\n"
    )
    root = sandbox(tmp_path, {"prep.py": script}, {"kind": "script", "path": "prep.py"})
    status, log = run(root)
    assert status == 0, log
    assert (root / "checkpoints" / "ckpt").read_text() == "1"
    assert (root / "output" / "data" / "result.txt").read_text() == "ok"

    bad = sandbox(
        tmp_path / "b", {"prep.py": "raise SystemExit(3)\n"}, {"kind": "script", "path": "prep.py"}
    )
    status, log = run(bad)
    assert status == 3
    assert failure(bad) == "prep.py exited with status 3"


def test_failed_requirements_fail_the_job_before_it_runs(tmp_path):
    root = sandbox(
        tmp_path,
        {"prep.py": "open('ran', 'w')\n", "req.txt": "./no-such-local-package\n"},
        {"kind": "script", "path": "prep.py", "requirements": "req.txt"},
    )
    status, log = run(root)
    assert status != 0
    assert "pip install -r req.txt failed" in (failure(root) or "")
    assert not (root / "input" / "data" / "code" / "ran").exists()


def test_sigterm_saves_the_notebook_as_far_as_it_ran(tmp_path):
    nb = notebook(
        cell("print('first cell done', flush=True)"),
        cell("import time\nprint('long cell started', flush=True)\ntime.sleep(120)"),
        cell("print('never')"),
    )
    root = sandbox(
        tmp_path,
        {"long.ipynb": nb},
        {"kind": "notebook", "path": "long.ipynb", "kernel": "python3"},
    )
    proc = start(root)
    executed = root / "output" / "data" / "long.ipynb"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if executed.exists() and "first cell done\n" in outputs_of(executed):
            break
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the first cell never ran: " + (proc.communicate()[0] or ""))
    time.sleep(2)  # the long cell is running
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=100)
    assert time.monotonic() - t0 < 60, out
    assert proc.returncode != 0
    assert "SIGTERM received" in out
    texts = outputs_of(executed)
    assert "first cell done\n" in texts and "never\n" not in texts
    assert "interrupted by SIGTERM" in (failure(root) or "")
