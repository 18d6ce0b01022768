"""The recommendation over the horizon in Chromium: a history with a busy morning and an
idle last hour; the panel says which window it read and recommends a larger type
(screenshot in test-output/horizon-usage.png)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from smcost_browser import open_lab, open_panel, output_dir
from support.history_fill import fill_history

pytestmark = pytest.mark.browser

M54 = "ml.m5.4xlarge"


def test_the_panel_says_which_horizon_it_read(lab_server: Any, page: Any, tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    fill_history(history, M54, 180, lambda i: 0.97, lambda i: 40.0, end_ago_s=20 * 3600)
    fill_history(history, M54, 90, lambda i: 0.09, lambda i: 6.0)
    server = lab_server(extra_args=[f"--SmCostApp.instance_type={M54}"], history=history)
    open_lab(page, server)
    panel = open_panel(page)
    note = panel.locator(".jp-SmCost-horizon")
    note.wait_for(timeout=30_000)
    recs = panel.locator(".jp-SmCost-recommendations")
    recs.wait_for(timeout=30_000)
    text = note.inner_text()
    assert "Recommendations read 4h" in text and "of running time on this type" in text
    assert "(up to 7d 0h), since " in text and "busiest hour: CPU from" in text
    assert "short of CPU" in recs.inner_text()
    usage = panel.locator(".jp-SmCost-usage")
    usage.scroll_into_view_if_needed()
    shot = output_dir() / "horizon-usage.png"
    panel.screenshot(path=str(shot))
    shots = os.environ.get("SMCOST_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(shots) / shot.name)


def test_the_usage_chart_shows_the_horizon(lab_server: Any, page: Any, tmp_path: Path) -> None:
    """A prepared history of 40 h with a busy morning (two hours at 95% CPU) a day ago and
    an idle last 90 minutes: the switch draws the horizon per hour with the busiest hour
    marked where the recommendation found it, and says it in words (screenshot in
    test-output/horizon-chart.png)."""
    history = tmp_path / "history.sqlite"
    busy = (30 * 60, 32 * 60)  # minutes 30 h..32 h of 40 h: about a day ago

    def cpu(i: int) -> float:
        return 0.95 if busy[0] <= i < busy[1] else 0.08 + 0.04 * ((i // 60) % 5)

    fill_history(history, M54, 40 * 60, cpu, lambda i: 8.0 + (i // 60) % 7, end_ago_s=100 * 60)
    fill_history(history, M54, 90, lambda i: 0.09, lambda i: 6.0, spread=0.3)
    server = lab_server(extra_args=[f"--SmCostApp.instance_type={M54}"], history=history)
    open_lab(page, server)
    panel = open_panel(page)
    switch = panel.locator(".jp-SmCost-rangeSwitch")
    switch.wait_for(timeout=30_000)
    window = switch.locator("button[data-range=window]")
    over = switch.locator("button[data-range=horizon]")
    assert window.get_attribute("aria-pressed") == "true"
    assert over.inner_text() == "Horizon: 7 days"
    over.click()
    mark = panel.locator(".jp-SmCost-metric-cpu .jp-SmCost-busiest")
    mark.wait_for(timeout=30_000)
    assert over.get_attribute("aria-pressed") == "true"
    # the mark is where the recommendation found the busiest hour, inside the busy morning
    req = urllib.request.Request(
        f"{server.url}smcost/recommendations",
        headers={"Authorization": f"token {server.token}"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        recs = json.load(r)
    busiest = recs["horizon"]["busiest"]["cpu"]
    t = float(mark.get_attribute("data-t")) / 1000
    assert t == datetime.fromisoformat(busiest).timestamp()
    sr = panel.locator(".jp-SmCost-usageChart .jp-SmCost-srOnly").inner_text()
    assert sr.startswith("Usage over the horizon the recommendation read, ")
    assert "p95 95% in its busiest hour, from " in sr
    assert "busiest hour p95 95%" in panel.locator(".jp-SmCost-metric-cpu").inner_text()
    usage = panel.locator(".jp-SmCost-usage")
    usage.scroll_into_view_if_needed()
    shot = output_dir() / "horizon-chart.png"
    usage.screenshot(path=str(shot))
    shots = os.environ.get("SMCOST_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(shots) / shot.name)
    window.click()
    mark.wait_for(state="detached", timeout=10_000)
