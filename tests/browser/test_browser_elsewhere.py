""" "Still running elsewhere" in Chromium: two other apps and an endpoint (Stubber-backed
Studio answers in the server), the totals, and Stop's confirmation; a screenshot."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from smcost_browser import PANEL_ID, open_lab, open_panel, output_dir

pytestmark = pytest.mark.browser

TESTS = Path(__file__).resolve().parents[1]
SHOTS = Path("/work/wt/shots/i18-billing")


def test_elsewhere_section_and_stop(lab_server: Any, page: Any) -> None:
    server = lab_server(
        extra_args=["--SmCostApp.environment_class=support.elsewhere_env.ElsewhereStudio"],
        env={"PYTHONPATH": str(TESTS)},
    )
    open_lab(page, server)
    panel = open_panel(page)
    section = panel.locator(".jp-SmCost-elsewhere")
    section.wait_for(timeout=30_000)
    text = section.inner_text()
    assert "still running elsewhere" in text.lower()
    names = section.locator(".jp-SmCost-elsewhereName").all_inner_texts()
    assert names == ["alice-gpu/JupyterLab", "team-shared/CodeEditor", "alice-train", "alice-ep"]
    assert "app, shared space" in text
    assert "no invocations in the last 24 h" in text
    assert "elsewhere: $" in text and "/day" in text
    # Stop only on her own apps
    stops = section.locator(".jp-SmCost-elsewhereStop")
    assert stops.count() == 2
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(output_dir() / "panel-elsewhere.png"))

    stops.first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    assert "Stop alice-gpu/JupyterLab?" in dialog.inner_text()
    assert "The space and its files stay" in dialog.inner_text()
    page.screenshot(path=str(output_dir() / "lab-elsewhere-stop.png"))
    dialog.locator("button.jp-mod-warn").click()
    page.wait_for_function(
        "() => !document.querySelector('#" + PANEL_ID + " .jp-SmCost-elsewhere')"
        ".textContent.includes('alice-gpu/JupyterLab')",
        timeout=15_000,
    )
    assert section.locator(".jp-SmCost-elsewhereStop").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("panel-elsewhere.png", "lab-elsewhere-stop.png"):
        shutil.copy(output_dir() / name, SHOTS / name)
