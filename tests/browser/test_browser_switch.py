"""Switching from the panel, in Chromium, on a notebook instance served by moto: with no
switcher function configured the server answers `manual`; the panel shows the steps and
the manual step, stops polling, and the Switch buttons work again."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from smcost_browser import PANEL_ID, open_lab, open_panel, output_dir, screenshot_panel
from support.env_helpers import create_notebook_instance, notebook_metadata
from support.moto_server import aws_env, moto_server, patched_environ

pytestmark = pytest.mark.browser

REGION = "us-east-1"  # the bundled price snapshot has us-east-1 Notebook prices
NAME = "dev-alice"
CURRENT = "ml.m5.4xlarge"  # 16 vCPU, 64 GiB: this machine's use fits something cheaper


def wait_for(what: str, check: Any, timeout: float) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.5)


def test_switch_ends_in_a_manual_step_and_the_buttons_work_again(
    lab_server: Any, page: Any, tmp_path: Any
) -> None:
    with moto_server() as url:
        env = aws_env(url, REGION)
        with patched_environ(env):
            arn = create_notebook_instance(NAME, CURRENT, region=REGION)
        server = lab_server(
            env=env,
            extra_args=[
                f"--SmCostApp.metadata_path={notebook_metadata(tmp_path, NAME, arn)}",
                "--SmCostApp.live_prices=False",
                f"--SmCostApp.price_cache_dir={tmp_path / 'prices'}",
                # recommendations from real samples of this machine, taken quickly
                "--SmCostApp.usage_sample_interval=0.5",
                "--SmCostApp.recommend_min_samples=4",
            ],
        )
        status = server.api("smcost/status")
        assert status["environment"]["kind"] == "notebook-instance"
        assert status["environment"]["can_switch"] is True
        wait_for(
            "recommendations",
            lambda: server.api("smcost/recommendations")["items"],
            timeout=60,
        )

        switch_gets: list[str] = []
        page.on(
            "request",
            lambda r: (
                switch_gets.append(r.url)
                if r.method == "GET" and "/smcost/switch" in r.url
                else None
            ),
        )
        open_lab(page, server)
        panel = open_panel(page)
        buttons = panel.locator(".jp-SmCost-switchButton")
        buttons.first.wait_for(timeout=30_000)
        assert all(b.is_enabled() for b in buttons.all())
        # what is recommended follows this machine's load: take what the panel shows
        label = buttons.first.get_attribute("aria-label") or ""
        assert label.startswith("Switch to ml."), label
        target = label.removeprefix("Switch to ")
        assert target != CURRENT

        buttons.first.click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for()
        assert f"Switch to {target}?" in dialog.inner_text()
        dialog.get_by_role("button", name=f"Switch to {target}").click()

        progress = panel.locator(".jp-SmCost-switch[data-state=manual]")
        progress.wait_for(timeout=30_000)
        assert f"Switch to {target}" in progress.inner_text()
        assert "one step is left for you" in progress.inner_text()
        steps = progress.locator(".jp-SmCost-step")
        assert steps.count() == 2
        # the stable step name is an attribute; the label is said in the user's words
        assert steps.nth(0).get_attribute("data-step") == "describe"
        assert steps.nth(0).locator(".jp-SmCost-stepName").inner_text() == (
            "check the current type"
        )
        assert steps.nth(0).locator(".jp-SmCost-stepStatus").inner_text() == "done"
        assert f"{NAME} is InService on {CURRENT}" in steps.nth(0).inner_text()
        assert steps.nth(1).get_attribute("data-step") == "stop_update_start"
        assert steps.nth(1).locator(".jp-SmCost-stepName").inner_text() == (
            "stop, change type, start"
        )
        assert steps.nth(1).locator(".jp-SmCost-stepStatus").inner_text() == "manual"
        manual = progress.locator(".jp-SmCost-manualStep")
        text = manual.inner_text()
        assert text == server.api("smcost/switch")["manual_step"]
        assert (
            f"aws sagemaker update-notebook-instance --notebook-instance-name {NAME} "
            f"--instance-type {target}"
        ) in text
        # readable and copyable: selectable text that wraps inside the panel
        assert manual.evaluate("el => getComputedStyle(el).userSelect") != "none"
        assert manual.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        progress.get_by_role("button", name="Copy").click()
        progress.get_by_role("button", name="Copied").wait_for()

        # the switch is over: every Switch button works again, and polling stopped
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-SmCost-switchButton')]"
            ".every(b => !b.disabled)"
        )
        seen = len(switch_gets)
        page.wait_for_timeout(7_000)  # more than two polling intervals
        assert len(switch_gets) == seen, switch_gets[seen:]
        # nothing was changed on AWS: the user does the last step
        with patched_environ(env):
            nb = boto3.client("sagemaker", region_name=REGION).describe_notebook_instance(
                NotebookInstanceName=NAME
            )
        assert (nb["InstanceType"], nb["NotebookInstanceStatus"]) == (CURRENT, "InService")

        progress.scroll_into_view_if_needed()
        progress.screenshot(path=str(output_dir() / "panel-switch-manual-progress.png"))
        page.screenshot(path=str(output_dir() / "lab-switch-manual.png"))
        screenshot_panel(page, "switch-manual")

        # a Switch button opens its dialog again
        buttons.first.click()
        dialog.wait_for()
        dialog.get_by_role("button", name="Cancel").click()
        dialog.wait_for(state="detached")
        assert server.api("smcost/switch")["state"] == "manual"

        errors = page.console.matching("smcost", "pageerror")
        assert not [e for e in errors if e.startswith(("error", "pageerror"))], errors
        assert page.locator(f"#{PANEL_ID} .jp-SmCost-message-error[role=alert]").count() == 0
