"""The recommendation over the horizon in Chromium: a history with a busy morning and an
idle last hour; the panel says which window it read and recommends a larger type
(screenshot in test-output/horizon-usage.png)."""

from __future__ import annotations

import os
import shutil
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
