"""A notebook run as a SageMaker training job from its toolbar, in Chromium, on a notebook
instance served by moto (which creates, describes and lists training jobs, and serves S3):
the dialog shows the Training price with its source and the worst case, submits, and the job
appears in the panel's Jobs section."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from smcost_browser import PANEL_ID, open_lab, open_panel, output_dir
from support.env_helpers import create_notebook_instance, notebook_metadata
from support.moto_server import aws_env, moto_server, patched_environ

pytestmark = pytest.mark.browser

REGION = "us-east-1"  # the bundled snapshot has us-east-1 Training prices
SHOTS = Path("/work/wt/shots/i17-jobs")


def shot(locator: Any, name: str) -> None:
    path = output_dir() / name
    locator.screenshot(path=str(path))
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(path, SHOTS / name)


def notebook_instance_lab(lab_server: Any, tmp_path: Path, url: str) -> Any:
    """A lab on notebook instance dev-alice (moto at ``url``), with ``train.ipynb``."""
    env = aws_env(url, REGION)
    with patched_environ(env):
        arn = create_notebook_instance("dev-alice", "ml.t3.medium", region=REGION)
    server = lab_server(
        env=env,
        extra_args=[
            f"--SmCostApp.metadata_path={notebook_metadata(tmp_path, 'dev-alice', arn)}",
            "--SmCostApp.live_prices=False",
            f"--SmCostApp.price_cache_dir={tmp_path / 'prices'}",
            f"--SmCostApp.job_records_file={tmp_path / 'jobs.json'}",
        ],
    )
    nb = {
        "cells": [{"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": []}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (server.root / "train.ipynb").write_text(json.dumps(nb))
    return server


def test_run_a_notebook_as_a_job_from_its_toolbar(lab_server: Any, page: Any, tmp_path) -> None:
    with moto_server() as url:
        server = notebook_instance_lab(lab_server, tmp_path, url)
        open_lab(page, server, "lab/tree/train.ipynb")
        button = page.locator(".jp-NotebookPanel-toolbar .jp-SmCost-runAsJob")
        button.wait_for(timeout=30_000)
        button.click()

        dialog = page.locator(".jp-Dialog")
        dialog.wait_for()
        assert "Run as SageMaker job" in dialog.inner_text()
        dialog.locator(".jp-SmCost-jobType").select_option("ml.m5.xlarge")
        dialog.locator(".jp-SmCost-jobCount").fill("2")
        price = dialog.locator(".jp-SmCost-jobPrice")
        price.wait_for()
        estimate = server.api(
            "smcost/jobs/estimate",
            "POST",
            {"path": "train.ipynb", "instance_type": "ml.m5.xlarge", "instance_count": 2},
        )
        # the dialog asks again as the count changes: wait for the answer for 2 instances
        page.wait_for_function(
            """want => {
              const t = document.querySelector('.jp-SmCost-jobWorst')?.textContent ?? '';
              return /^\\$[0-9.]+$/.test(t) && Math.abs(Number(t.slice(1)) - want) < 0.006;
            }""",
            arg=estimate["worst_case"],
        )
        per_hour = estimate["price"]["per_hour"]
        assert estimate["price"]["source"] == "bundled"
        assert price.inner_text().startswith("$") and price.inner_text().endswith("/h")
        worst = dialog.locator(".jp-SmCost-jobWorst").inner_text()
        assert float(worst.lstrip("$")) == pytest.approx(estimate["worst_case"], abs=0.006)
        assert estimate["worst_case"] == pytest.approx(per_hour * 2, abs=1e-4)
        text = dialog.inner_text()
        assert "Spot: you pay only billable seconds, up to 90% less" in text
        assert "2 instances" in text
        assert dialog.locator(".jp-SmCost-badge-bundled").count() == 1
        assert dialog.locator(".jp-SmCost-jobNotebookPrice").count() == 1
        shot(dialog.locator(".jp-Dialog-content"), "dialog-run-as-job.png")

        dialog.get_by_role("button", name="Start job").click()
        dialog.wait_for(state="detached")
        panel = open_panel(page)
        job = panel.locator(".jp-SmCost-job")
        job.first.wait_for(timeout=30_000)
        assert "train.ipynb" in job.first.inner_text()
        page.wait_for_function(
            "() => document.querySelector('.jp-SmCost-jobState')?.textContent"
            ".startsWith('Completed')"
        )
        assert "ml.m5.xlarge ×2 (Spot)" in job.first.inner_text()
        assert "Your jobs keep running after this space stops." in panel.inner_text()
        # moto reports no billable time: the month's job spend says one is of unknown cost
        assert "(+1 job of unknown cost)" in panel.locator("section.jp-SmCost-jobs").inner_text()
        name = server.api("smcost/jobs")["jobs"][0]["name"]
        with patched_environ(aws_env(url, REGION)):
            sm = boto3.client("sagemaker", region_name=REGION)
            described = sm.describe_training_job(TrainingJobName=name)
        assert described["EnableManagedSpotTraining"] is True
        assert described["ResourceConfig"]["InstanceCount"] == 2
        section = panel.locator("section.jp-SmCost-jobs")
        section.scroll_into_view_if_needed()
        shot(section, "panel-jobs.png")
        errors = page.console.matching("pageerror")
        assert not errors, errors
        assert page.locator(f"#{PANEL_ID} .jp-SmCost-message-error[role=alert]").count() == 0


def test_run_from_the_file_browser_and_the_jobs_series(
    lab_server: Any, page: Any, tmp_path
) -> None:
    """Right-click a notebook in the file browser: "Run as SageMaker job…" opens the dialog
    for it (a text file has no such item); once the job ended its spend is a series of the
    spend chart, said for screen readers (moto reports no billable time: of unknown cost)."""
    with moto_server() as url:
        server = notebook_instance_lab(lab_server, tmp_path, url)
        (server.root / "notes.txt").write_text("not runnable\n")
        open_lab(page, server, "lab")
        menu = page.locator(".lm-Menu")
        item = menu.locator(".lm-Menu-item", has_text="Run as SageMaker job…")

        text_file = page.locator(".jp-DirListing-item", has_text="notes.txt")
        text_file.wait_for(timeout=30_000)
        text_file.click(button="right")
        menu.first.wait_for()
        assert item.count() == 0
        page.keyboard.press("Escape")

        notebook = page.locator('.jp-DirListing-item[data-file-type="notebook"]')
        notebook.click(button="right")
        item.wait_for()
        item.click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for()
        assert "Run as SageMaker job" in dialog.inner_text()
        assert "train.ipynb" in dialog.inner_text()
        dialog.locator(".jp-SmCost-jobType").select_option("ml.m5.xlarge")
        page.wait_for_function(
            "() => /^\\$[0-9.]+$/.test(document.querySelector('.jp-SmCost-jobWorst')?.textContent)"
        )
        dialog.get_by_role("button", name="Start job").click()
        dialog.wait_for(state="detached")
        deadline = time.monotonic() + 30
        while not (jobs := server.api("smcost/jobs")["jobs"]) and time.monotonic() < deadline:
            time.sleep(0.2)  # the POST is under way once the dialog closes
        [job] = jobs
        assert job["path"] == "train.ipynb" and job["started_here"] is True
        assert job["state"] == "Completed"  # moto: at once, with no billable time

        series = server.api("smcost/history")["spend"]["jobs"]
        assert series["unknown"] == 1 and series["running"] == 0
        page.reload()
        panel = open_panel(page)
        chart = panel.locator(".jp-SmCost-spendChart")
        chart.wait_for(timeout=30_000)
        legend = chart.locator(".jp-SmCost-jobsLegend")
        legend.wait_for(timeout=30_000)
        assert "training jobs started from here" in legend.inner_text()
        assert "(+1 job of unknown cost)" in legend.inner_text()
        said = chart.locator(".jp-SmCost-srOnly").inner_text()
        assert "1 job ended with no billable time known: not included." in said
        shot(chart, "spend-with-jobs.png")
        errors = page.console.matching("pageerror")
        assert not errors, errors
