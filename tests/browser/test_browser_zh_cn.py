"""The UI in 简体中文: with jupyterlab-language-pack-zh-CN installed and the JupyterLab locale
set to zh_CN, the panel, the status bar, the idle warning notification and the Shut down dialog
show the extension's own zh_CN catalogue (jupyterlab_smcost/locale), and no English sentence
of it is left. The English run (the same steps, screenshots to compare) is opt-in with
SMCOST_COMPAT=1. Screenshots: test-output/zh_CN-*.png, en-*.png."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from smcost_browser import REPO, open_lab, open_panel, output_dir, status_item

pytestmark = pytest.mark.browser

CATALOGUE = json.loads(
    (REPO / "jupyterlab_smcost/locale/zh_CN/LC_MESSAGES/jupyterlab_smcost.json").read_text(
        encoding="utf-8"
    )
)
LOCALE = ("@jupyterlab/translation-extension", "plugin")
HAN = re.compile(r"[\u4e00-\u9fff]")


def english_fragments() -> list[str]:
    """The catalogue's English sentences, cut at their placeholders: the pieces of three
    words or more (short words such as "CPU" or "live" also occur in instance names)."""
    out = set()
    for key in CATALOGUE:
        if not key:
            continue
        msgid = key.split("\x04", 1)[-1]
        for piece in re.split(r"%\d+", msgid):
            piece = piece.strip(" .,:;()·")
            if len(piece.split()) >= 3:
                out.add(piece)
    return sorted(out)


def zh(msgid: str) -> str:
    return CATALOGUE[msgid][0]


def run_ui(lab_server: Any, page: Any, locale: str) -> dict[str, str]:
    """Panel, status bar, warning toast and Shut down dialog; their texts and screenshots."""
    settings = {LOCALE: {"locale": locale}} if locale != "en" else {}
    server = lab_server(
        extra_args=[
            "--SmCostApp.idle_timeout=40",
            "--SmCostApp.min_idle_timeout=10",
            "--SmCostApp.warning_period=30",
            "--SmCostApp.dry_run=True",  # the dialog is cancelled; dry run as a safety net
        ],
        user_settings=settings,
    )
    open_lab(page, server)
    texts: dict[str, str] = {}
    item = status_item(page, ".")
    panel = open_panel(page)
    panel.locator(".jp-SmCost-clock").wait_for(timeout=30_000)
    toast = page.locator(".Toastify__toast").filter(has=page.get_by_role("button"))
    toast.first.wait_for(timeout=75_000)
    page.wait_for_timeout(800)  # let the toast finish sliding in
    texts["toast"] = toast.first.inner_text()
    texts["panel"] = panel.inner_text()
    texts["status"] = item.inner_text() + "\n" + (item.get_attribute("title") or "")
    shots = output_dir()
    page.screenshot(path=str(shots / f"{locale}-warning.png"))
    panel.screenshot(path=str(shots / f"{locale}-panel.png"))

    name = "Shut down now" if locale == "en" else zh("Shut down now")
    panel.get_by_role("button", name=name, exact=True).click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    page.wait_for_timeout(300)
    texts["dialog"] = dialog.inner_text()
    page.screenshot(path=str(shots / f"{locale}-shutdown-dialog.png"))
    cancel = "Cancel" if locale == "en" else zh("Cancel")
    dialog.get_by_role("button", name=cancel, exact=True).click()
    dialog.wait_for(state="detached")
    assert server.proc.poll() is None
    errors = page.console.matching("smcost", "pageerror")
    assert not [e for e in errors if not e.startswith("log")], errors
    return texts


def test_the_ui_in_chinese(lab_server: Any, page: Any) -> None:
    texts = run_ui(lab_server, page, "zh_CN")
    panel, toast, dialog, status = (texts[k] for k in ("panel", "toast", "dialog", "status"))
    # a few strings of each part, from the catalogue
    for msgid in ("Instance", "Price", "Idle shutdown", "Usage", "Idle settings"):
        assert zh(msgid) in panel, (msgid, panel)
    assert zh("Keep running") in toast and "后空闲关机" in toast, toast
    assert zh("Shut down now?") in dialog and zh("this Jupyter server will stop") in dialog
    assert zh("Shut down") in dialog and zh("Cancel") in dialog
    assert "SageMaker 费用" in status and zh("Click to open the SageMaker cost panel") in status
    assert "空闲停止" in status or zh("busy") in status, status
    # no English sentence of the catalogue is left anywhere
    everything = "\n".join(texts.values())
    left = [f for f in english_fragments() if f in everything]
    assert not left, left
    for part, text in texts.items():
        assert HAN.search(text), (part, text)


def test_an_unknown_china_price_says_why_in_chinese(lab_server: Any, page: Any) -> None:
    """In a China region without live prices the panel says, in Chinese, why the price is
    unknown (no CNY price is bundled, a USD one is never converted) and what would fix it:
    the server's reason and fix come with their codes."""
    server = lab_server(
        extra_args=["--SmCostApp.region=cn-north-1", "--SmCostApp.instance_type=ml.t3.medium"],
        user_settings={LOCALE: {"locale": "zh_CN"}},
    )
    open_lab(page, server)
    panel = open_panel(page)
    unknown = panel.locator(".jp-SmCost-unknownPrice")
    unknown.wait_for(timeout=30_000)
    text = unknown.inner_text()
    reason = zh(
        "no %1 price is known for %2 in %3: no China (CNY) price is bundled, a USD price is "
        "never converted, and live prices are off"
    )
    fix = zh(
        "turn live prices on (SmCostApp.live_prices; the role needs pricing:GetProducts), "
        "served for China from %1"
    )
    said = reason.replace("%1", "Studio-JupyterLab").replace("%2", "ml.t3.medium")
    assert said.replace("%3", "cn-north-1") in text, text
    assert fix.replace("%1", "cn-northwest-1") in text, text
    left = [f for f in english_fragments() if f in text]
    assert not left and "never converted" not in text, left
    panel.screenshot(path=str(output_dir() / "zh_CN-china-unknown-price.png"))


@pytest.mark.compat
def test_the_same_ui_in_english(lab_server: Any, page: Any) -> None:
    """The control: the same steps without a locale show the English sentences (and no
    Chinese), so the checks above are the catalogue's doing."""
    texts = run_ui(lab_server, page, "en")
    assert "Shut down now?" in texts["dialog"] and "Idle shutdown" in texts["panel"]
    assert "Keep running" in texts["toast"]
    assert not any(HAN.search(t) for t in texts.values()), texts


def test_fragments_are_real_sentences() -> None:
    frags = english_fragments()
    assert len(frags) > 100 and "this Jupyter server will stop" in frags
    assert Path(output_dir()).is_dir()
