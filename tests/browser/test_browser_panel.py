"""The panel, status bar, Keep running, settings validation and themes in Chromium."""

from __future__ import annotations

import json
import re
import time
import urllib.error
from typing import Any

import pytest
from smcost_browser import PANEL_ID, open_lab, open_panel, screenshot_panel, status_item

pytestmark = pytest.mark.browser

DARK = {("@jupyterlab/apputils-extension", "themes"): {"theme": "JupyterLab Dark"}}


def test_panel_status_bar_keep_running_and_settings(lab_server: Any, page: Any) -> None:
    server = lab_server()
    open_lab(page, server)

    # status bar item: "ml.t3.medium · $0.05/h · idle stop in 59m"; a click opens the panel
    item = status_item(page, "idle stop in")
    assert re.fullmatch(
        r"ml\.t3\.medium · \$0\.05/h · idle stop in (59|60)m", item.inner_text().strip()
    ), item.inner_text()
    item.click()
    panel = page.locator(f"#{PANEL_ID}")
    panel.wait_for(state="visible")

    # instance, specs, price with its source badge and date, environment label, spend
    assert panel.locator(".jp-SmCost-instanceType").inner_text() == "ml.t3.medium"
    text = panel.inner_text()
    assert "2 vCPU · 4 GiB" in text
    assert panel.locator(".jp-SmCost-price").inner_text() == "$0.05/h"
    badge = panel.locator(".jp-SmCost-badge")
    assert badge.inner_text().strip().lower() == "bundled"
    assert "as of 20" in text  # the price date
    assert "not on SageMaker: priced as ml.t3.medium" in text
    assert "$1.20" in text and "$36.50" in text  # per day, per month

    # an hour away, the clock shows whole minutes (seconds only within the warning
    # period: test_browser_idle sees them tick)
    clock = panel.locator(".jp-SmCost-clock")
    assert re.fullmatch(r"(59m|1h 00m)", clock.inner_text()), clock.inner_text()
    live = panel.locator(".jp-SmCost-countdown [aria-live]")
    assert "Idle shutdown in about" in live.inner_text()
    assert "last activity" in panel.locator(".jp-SmCost-reasons").inner_text()

    # recommendations: the route does not exist (404): no section, no error
    assert panel.locator(".jp-SmCost-recommendations").count() == 0
    assert panel.locator(".jp-SmCost-message-error").count() == 0

    # Keep running moves the deadline (in the panel and on the server)
    countdown = panel.locator(".jp-SmCost-countdown")
    before = countdown.get_attribute("data-deadline")
    time.sleep(1.2)
    panel.get_by_role("button", name="Keep running").click()
    page.wait_for_function(
        "(d) => document.querySelector('.jp-SmCost-countdown').dataset.deadline !== d",
        arg=before,
    )
    after = countdown.get_attribute("data-deadline")
    assert after > before
    assert server.api("smcost/status")["idle"]["deadline"] == after

    # settings: the server's validation message is shown
    timeout = panel.get_by_label("Idle timeout (minutes)")
    assert timeout.input_value() == "60"
    timeout.fill("0.05")
    panel.get_by_role("button", name="Save settings").click()
    alert = panel.locator(".jp-SmCost-settings [role=alert]")
    alert.wait_for()
    assert "outside the administrator's bounds" in alert.inner_text()
    timeout.fill("90")
    panel.get_by_role("button", name="Save settings").click()
    panel.get_by_text("Saved.").wait_for()
    assert server.api("smcost/idle")["timeout_s"] == 5400

    # commands in the palette, category "SageMaker cost"
    page.keyboard.press("Control+Shift+c")
    page.locator(".lm-CommandPalette-input").fill("SageMaker cost")
    palette = page.locator(".lm-CommandPalette-content")
    palette.get_by_text("Keep running (reset the idle clock)").wait_for()
    assert "Open SageMaker cost panel" in palette.inner_text()
    assert "Shut down now" in palette.inner_text()
    page.keyboard.press("Escape")

    screenshot_panel(page, "light")
    errors = page.console.matching("Unsatisfied version", "smcost", "pageerror")
    assert not [e for e in errors if not e.startswith("log")], errors


def test_panel_dark_theme(lab_server: Any, page: Any) -> None:
    server = lab_server(user_settings=DARK)
    open_lab(page, server)
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    panel = open_panel(page)
    panel.locator(".jp-SmCost-clock").wait_for()
    page.wait_for_function(
        "() => /\\d+m/.test(document.querySelector('.jp-SmCost-clock').textContent)"
    )
    # readable: text colour differs clearly from the background
    fg, bg = page.evaluate(
        """(id) => {
        const el = document.querySelector('.jp-SmCost-instanceType');
        const panel = document.getElementById(id);
        return [getComputedStyle(el).color, getComputedStyle(panel).backgroundColor];
    }""",
        PANEL_ID,
    )
    assert fg != bg
    screenshot_panel(page, "dark")


def test_shut_down_now_asks_first(lab_server: Any, page: Any) -> None:
    server = lab_server()
    open_lab(page, server)
    panel = open_panel(page)
    button = panel.get_by_role("button", name="Shut down now")
    button.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    assert "Shut down now?" in dialog.inner_text()
    assert "this Jupyter server will stop" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="detached")
    assert server.proc.poll() is None
    assert server.api("smcost/status")["idle"]["state"] != "shutting_down"

    button.click()
    page.locator(".jp-Dialog").get_by_role("button", name="Shut down", exact=True).click()
    server.proc.wait(timeout=30)
    assert "requested by the user" in server.log()


def test_says_server_extension_not_installed(lab_server: Any, page: Any) -> None:
    server = lab_server(server_extension=False)
    open_lab(page, server)
    item = status_item(page, "unavailable")
    assert "server extension not installed" in (item.get_attribute("title") or "")
    panel = open_panel(page)
    alert = panel.locator("[role=alert]")
    alert.wait_for()
    assert "server extension is not installed" in alert.inner_text()


def test_config_mistake_shows_a_banner_and_stops_nothing(lab_server: Any, page: Any) -> None:
    """An admin's typo loads the extension misconfigured: the panel says so, the status bar
    says `config error`, and Shut down now is off (the server refuses it with 503 too)."""
    server = lab_server(extra_args=["--SmCostApp.idle_timeout=abc", "--SmCostApp.dry_run=True"])
    errors = server.api("smcost/status")["config_errors"]
    assert len(errors) == 1 and errors[0].startswith("SmCostApp.idle_timeout"), errors
    open_lab(page, server)
    status_item(page, "config error")
    panel = open_panel(page)
    banner = panel.locator(".jp-SmCost-configErrors")
    banner.wait_for()
    assert "SmCostApp.idle_timeout" in banner.inner_text()
    assert "idle shutdown and switching are off" in banner.inner_text()
    assert panel.get_by_role("button", name="Shut down now").is_disabled()
    with pytest.raises(urllib.error.HTTPError) as refused:
        server.api("smcost/shutdown", method="POST", body={})
    assert refused.value.code == 503
    assert json.loads(refused.value.read())["error"]["code"] == "misconfigured"
    assert server.proc.poll() is None
    screenshot_panel(page, "config-error")
