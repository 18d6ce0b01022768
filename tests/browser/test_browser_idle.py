"""Idle shutdown end to end: warning, save of an unsaved notebook, server exit."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

import pytest
from smcost_browser import open_lab, open_panel, output_dir

pytestmark = pytest.mark.browser

EDIT = "print('saved by smcost before the idle shutdown')"


def test_warning_and_save_before_idle_shutdown(lab_server: Any, page: Any) -> None:
    server = lab_server(
        extra_args=[
            "--SmCostApp.idle_timeout=40",
            "--SmCostApp.min_idle_timeout=10",
            "--SmCostApp.warning_period=20",
        ]
    )
    nb = server.root / "edit.ipynb"
    nb.write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "id": "c1",
                        "metadata": {},
                        "outputs": [],
                        "source": [],
                    }
                ],
                "metadata": {
                    "kernelspec": {
                        "display_name": "Python 3",
                        "language": "python",
                        "name": "python3",
                    }
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    open_lab(page, server, "lab/tree/edit.ipynb")
    editor = page.locator(".jp-Notebook .jp-Cell .cm-content").first
    editor.wait_for(timeout=30_000)
    editor.click()
    page.keyboard.type(EDIT)
    page.locator(".jp-mod-dirty").first.wait_for()  # edited, not saved
    assert EDIT not in nb.read_text()
    panel = open_panel(page)

    # the warning notification; its Keep running action moves the deadline
    toast = page.locator(".Toastify__toast", has_text="Idle shutdown in")
    toast.wait_for(timeout=75_000)
    assert "Open documents will be saved first" in toast.inner_text()
    # within the warning period the panel's clock shows seconds, ticking locally
    first = panel.locator(".jp-SmCost-clock").inner_text()
    assert re.fullmatch(r"0:[0-2]\d", first), first
    page.wait_for_function(
        "(t) => document.querySelector('.jp-SmCost-clock').textContent !== t", arg=first
    )
    page.wait_for_timeout(800)  # let the toast finish sliding in
    page.screenshot(path=str(output_dir() / "idle-warning.png"))
    before = server.api("smcost/status")["idle"]["deadline"]
    toast.get_by_role("button", name="Keep running").click()
    page.locator(".Toastify__toast", has_text="Keeping it running").wait_for()
    toast.wait_for(state="detached")
    assert server.api("smcost/status")["idle"]["deadline"] > before
    assert EDIT not in nb.read_text()  # keep running does not save

    # the second warning: this time nobody answers
    toast.wait_for(timeout=75_000)
    final = datetime.fromisoformat(server.api("smcost/status")["idle"]["deadline"]).timestamp()

    # the notebook is saved before the deadline, then the server stops by itself
    deadline = time.monotonic() + 150
    while EDIT not in nb.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
        assert server.proc.poll() is None or EDIT in nb.read_text(), server.log()
    assert EDIT in nb.read_text(), server.log()
    try:
        server.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except Exception:
        pytest.fail(f"the server did not stop at its idle deadline:\n{server.log()}")
    assert server.proc.returncode is not None
    # the save before the deadline was announced: it did not postpone the shutdown
    assert time.time() - final < 5, f"stopped {time.time() - final:.1f} s after the deadline"
    assert "shutting down" in server.log().lower()
