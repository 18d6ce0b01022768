"""The panel's "Saved" section in Chromium, from a history file a previous server left with
two idle stops and a switch this month (screenshot in test-output/ledger-saved.png)."""

from __future__ import annotations

import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from smcost_browser import open_lab, open_panel, output_dir
from support.ledger_month import BIG, SMALL, prepare

pytestmark = pytest.mark.browser


def half_up(v: float, digits: str) -> Decimal:
    """``v`` (the route's, 4 decimals) rounded as Intl.NumberFormat does: ties up."""
    return Decimal(str(v)).quantize(Decimal(digits), ROUND_HALF_UP)


def money(v: float) -> str:
    """Format.money for USD amounts from $0.01 up."""
    if v >= 1000:
        return f"${half_up(v, '1'):,}"
    if v >= 1:
        return f"${half_up(v, '0.01'):,}"
    three = half_up(v, "0.001")
    return f"${three}" if three % Decimal("0.01") else f"${half_up(v, '0.01')}"


def hours(h: float) -> str:
    return f"{half_up(h, '0.1')} h"


def test_the_saved_section_shows_the_prepared_ledger(
    lab_server: Any, page: Any, tmp_path: Path
) -> None:
    history = tmp_path / "history.sqlite"
    want = prepare(history, time.time())
    # this server runs another type: its own running time is not the switch's
    server = lab_server(extra_args=["--SmCostApp.instance_type=ml.t3.medium"], history=history)
    open_lab(page, server)
    panel = open_panel(page)
    panel.locator(".jp-SmCost-spendHistory .jp-SmCost-bar").first.wait_for(timeout=30_000)
    saved = panel.locator(".jp-SmCost-saved")
    saved.locator(".jp-SmCost-savedIdleLine").wait_for(timeout=30_000)
    # the route's figures are the prepared ones; the panel shows the route's
    (usd,) = server.api("smcost/ledger")["currencies"]
    assert usd["idle"]["stops"] == 2 and usd["switches"]["count"] == 1
    assert usd["idle"]["hours_not_billed"] == pytest.approx(want["idle_hours"], abs=1e-4)
    assert usd["idle"]["saved"] == pytest.approx(want["idle_saved"], abs=1e-3)
    assert usd["switches"]["hours_on_new_type"] == pytest.approx(want["switch_hours"], abs=1e-4)
    assert usd["switches"]["saved"] == pytest.approx(want["switch_saved"], abs=1e-3)
    idle_line = saved.locator(".jp-SmCost-savedIdleLine").inner_text()
    switch_line = saved.locator(".jp-SmCost-savedSwitchLine").inner_text()
    assert idle_line == (
        f"Idle shutdown: 2 stops this month, {hours(usd['idle']['hours_not_billed'])} not "
        f"billed, {money(usd['idle']['saved'])} saved (estimate)"
    )
    assert switch_line == (
        f"Switches: 1 switch, {hours(usd['switches']['hours_on_new_type'])} on the new type, "
        f"{money(usd['switches']['saved'])} saved (estimate)"
    )
    total = saved.locator(".jp-SmCost-savedTotal").inner_text()
    assert total == money(usd["saved"])
    # a bar for a day something was saved; the chart's text for screen readers
    assert saved.locator(".jp-SmCost-savedIdle").count() >= 1
    summary = saved.locator(".jp-SmCost-savedChart .jp-SmCost-srOnly").inner_text()
    assert summary.startswith("Estimated savings per day this month"), summary
    assert money(usd["saved"]) in summary
    # the definition, one click away, with each event and its price
    saved.locator(".jp-SmCost-savedDefinition summary").click()
    text = saved.inner_text()
    assert "times the price in force at the stop" in text
    assert f"idle stop of {BIG} at $7.09/h (Bundled" in text
    assert f"switch from {BIG} ($7.09/h) to {SMALL} ($1.52/h)" in text
    # beside the spend chart: the section after "Spend per day"
    order = panel.locator(".jp-SmCost-section").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-labelledby'))"
    )
    assert order.index("jp-SmCost-h-saved") == order.index("jp-SmCost-h-spendHistory") + 1
    page.wait_for_timeout(200)
    saved.scroll_into_view_if_needed()
    saved.screenshot(path=str(output_dir() / "ledger-saved.png"))
    errors = [e for e in page.console.matching("pageerror", "Error") if not e.startswith("log")]
    assert not errors, errors
