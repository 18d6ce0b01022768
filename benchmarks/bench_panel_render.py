"""Browser main-thread time with the SageMaker cost panel open vs closed.

One real ``jupyter lab`` (local mode, priced as ml.g4dn.xlarge, with an hour of usage and a
month of spend kept, so the panel shows both charts and a recommendation) and one Chromium
tab on it. The status bar item is shown throughout. The tab alternates, ``--rounds`` times,
between the left sidebar collapsed (panel closed) and the panel open, ``--seconds`` / rounds
each time, and reads the renderer's main-thread task time from the Chrome DevTools Protocol
(``Performance.getMetrics``, ``TaskDuration``) around each phase. It prints both totals and
their ratio (open / closed). Target: at most 1.10 (the panel costs little beyond the status
bar while it is open: only the countdown follows the one-second tick). It also prints the main
thread's CPU time (``ThreadTime``), which counts less of the waits on a busy machine.

    python benchmarks/bench_panel_render.py [--seconds 80] [--rounds 8] [--labextension DIR]

``--labextension`` runs another build of the extension (a copy of an older
``jupyterlab_smcost/labextension``), to compare builds on the same machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "browser")]
import smcost_browser  # noqa: E402
from smcost_browser import CHROMIUM, CHROMIUM_ARGS, PANEL_ID, LabServer, open_lab  # noqa: E402
from test_browser_charts import G4, fill  # noqa: E402

METRICS = ("TaskDuration", "ThreadTime")


def read(cdp) -> dict[str, float]:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return {m["name"]: m["value"] for m in metrics if m["name"] in METRICS}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=80, help="seconds each way (default 80)")
    ap.add_argument("--rounds", type=int, default=8, help="closed/open alternations (default 8)")
    ap.add_argument("--labextension", type=Path, help="another build (default: this checkout's)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    if args.labextension:
        smcost_browser.LABEXTENSION = args.labextension.resolve()

    tmp = Path(tempfile.mkdtemp(prefix="smcost-panel-render-"))
    history = tmp / "history.sqlite"
    fill(history)
    server = LabServer(
        tmp / "lab",
        extra_args=[f"--SmCostApp.instance_type={G4}", "--SmCostApp.idle_timeout=7200"],
        history=history,
    )
    phase_s = args.seconds / args.rounds
    totals = {name: dict.fromkeys(METRICS, 0.0) for name in ("closed", "open")}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            open_lab(page, server)
            page.locator(".jp-SmCost-status").wait_for(timeout=30_000)
            tab = page.locator(f'.jp-SideBar .lm-TabBar-tab[data-id="{PANEL_ID}"]')
            panel = page.locator(f"#{PANEL_ID}")

            def show(opened: bool) -> None:
                if panel.is_visible() != opened:
                    tab.click()
                panel.wait_for(state="visible" if opened else "hidden")

            # warm up: the panel's first render, both charts and the recommendation drawn
            show(True)
            panel.locator(".jp-SmCost-usage svg").first.wait_for(timeout=60_000)
            panel.locator(".jp-SmCost-spendHistory .jp-SmCost-bar").first.wait_for()
            panel.locator(".jp-SmCost-recommendations").wait_for(timeout=60_000)
            page.wait_for_timeout(3000)
            show(False)
            page.wait_for_timeout(3000)

            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            for _ in range(args.rounds):
                for name in ("closed", "open"):
                    show(name == "open")
                    page.wait_for_timeout(500)  # the show/hide itself is not the steady state
                    before = read(cdp)
                    time.sleep(phase_s)
                    after = read(cdp)
                    for metric in METRICS:
                        totals[name][metric] += after[metric] - before[metric]
            browser.close()
    finally:
        server.stop()
    print(
        f"JupyterLab in Chromium, status bar item shown, {args.seconds:.0f} s each way "
        f"({args.rounds} alternations of {phase_s:.0f} s):"
    )
    for metric, what in (("TaskDuration", "task time"), ("ThreadTime", "CPU time")):
        closed, opened = totals["closed"][metric], totals["open"][metric]
        target = " (target <= 1.10)" if metric == "TaskDuration" else ""
        print(
            f"  main-thread {what} ({metric}): panel closed {closed:.2f} s, "
            f"open {opened:.2f} s, ratio open/closed {opened / closed:.2f}x{target}"
        )


if __name__ == "__main__":
    main()
