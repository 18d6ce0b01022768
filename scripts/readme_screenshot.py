"""The README's screenshot of the panel (docs/_static/panel.png), made anew.

A real ``jupyter lab`` in local mode, priced as ml.g5.2xlarge, on a history file with a
month so far: running spans (the spend chart) and two idle stops and a switch (the Saved
section); usage from this machine's own samples, taken quickly. Headless Chromium, a narrow
panel, the whole panel as one picture:

    python scripts/readme_screenshot.py [--out docs/_static/panel.png]

Needs the development venv and a production build (``bash scripts/setup.sh``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from smcost_browser import CHROMIUM, CHROMIUM_ARGS, LabServer, open_lab, open_panel  # noqa: E402
from support.ledger_month import BIG, COMPONENT, REGION, SMALL, prepare  # noqa: E402

from jupyterlab_smcost.history import HistoryStore, Running, Span  # noqa: E402
from jupyterlab_smcost.history.ledger_report import month_start  # noqa: E402
from jupyterlab_smcost.pricing import PriceBook  # noqa: E402


def prepare_readme(path: Path, now: float) -> None:
    """The ledger's month (:func:`support.ledger_month.prepare`), and BIG's running time
    before the switch, so that the spend chart has its days too."""
    prepare(path, now)
    big = PriceBook().price(REGION, COMPONENT, BIG)
    ms = month_start(now)
    at = lambda f: ms + f * (now - ms)  # noqa: E731
    running = Running(BIG, REGION, COMPONENT, big.per_hour, big.source, big.as_of)
    store = HistoryStore(path)
    store.write({}, [(None, Span(ms, at(0.1), running)), (None, Span(at(0.4), at(0.5), running))])
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "_static" / "panel.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        history = Path(tmp) / "history.sqlite"
        prepare_readme(history, time.time())
        server = LabServer(
            Path(tmp),
            extra_args=[
                f"--SmCostApp.instance_type={SMALL}",
                "--SmCostApp.usage_sample_interval=0.5",
                "--SmCostApp.recommend_min_samples=4",
            ],
            history=history,
        )
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 2400})
                open_lab(page, server)
                panel = open_panel(page)
                # a wider sidebar than the default: drag the handle beside it
                handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
                box = handle.bounding_box()
                if box:
                    x, y = box["x"] + box["width"] / 2, box["y"] + 200
                    page.mouse.move(x, y)
                    page.mouse.down()
                    page.mouse.move(x + 150, y, steps=5)
                    page.mouse.up()
                panel.locator(".jp-SmCost-saved .jp-SmCost-savedIdleLine").wait_for(timeout=60_000)
                panel.locator(".jp-SmCost-rec").first.wait_for(timeout=90_000)
                page.wait_for_timeout(1500)
                height = panel.evaluate("el => el.scrollHeight")
                page.set_viewport_size({"width": 1280, "height": int(height) + 200})
                page.wait_for_timeout(500)
                # down to the last section, not the empty sidebar below it
                box = panel.evaluate(
                    "el => { const r = el.getBoundingClientRect(); const last ="
                    " Math.max(...[...el.querySelectorAll('.jp-SmCost-section')]"
                    ".map(s => s.getBoundingClientRect().bottom));"
                    " return {x: r.x, y: r.y, width: r.width, height: last - r.y + 12}; }"
                )
                page.screenshot(path=str(args.out), clip=box)
                browser.close()
        finally:
            server.stop()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
