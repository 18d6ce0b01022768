"""The usage and spend charts in Chromium, in the light and dark themes, from a history a
previous server left (screenshots in test-output/charts-*.png)."""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from smcost_browser import open_lab, open_panel, output_dir
from support.history_fill import fill_history

from jupyterlab_smcost.pricing import PriceBook

pytestmark = pytest.mark.browser

G4 = "ml.g4dn.xlarge"
DARK = {("@jupyterlab/apputils-extension", "themes"): {"theme": "JupyterLab Dark"}}


def spans_of_a_month() -> tuple[tuple[float, float], ...]:
    """Working days of the last 29 days: 09:00-17:00 UTC, some shorter; weekends off."""
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for back in range(29, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        hours = 8 if back % 3 else 3
        start = day + timedelta(hours=9)
        out.append((start.timestamp(), (start + timedelta(hours=hours)).timestamp()))
    return tuple(out)


def fill(path: Path) -> float:
    """An hour of a GPU instance whose GPU idles: CPU 5% with a burst to ~40% (a notebook
    cell), memory 5 GiB then 7 GiB of 16; and a month of working days."""
    price = PriceBook().price("us-east-1", "Studio-JupyterLab", G4)
    return fill_history(
        path,
        G4,
        60,
        cpu=lambda i: 0.05 + 0.35 * math.exp(-(((i - 38) / 5) ** 2)),
        mem_gib=lambda i: 5.0 if i < 30 else 7.0,
        gpu=lambda i: 0.01,
        cpu_count=4,
        mem_total=16.0,
        end_ago_s=90,
        usd=price.per_hour,
        source=price.source,
        spans=spans_of_a_month(),
        spread=0.2,
    )


def charts(lab_server: Any, page: Any, tmp_path: Path, theme: str) -> dict[str, Any]:
    history = tmp_path / f"history-{theme}.sqlite"
    fill(history)
    server = lab_server(
        # the rules read the usage window (no horizon): its p95 is theirs, drawn over it
        extra_args=[f"--SmCostApp.instance_type={G4}", "--SmCostApp.recommend_horizon=0"],
        user_settings=DARK if theme == "dark" else None,
        history=history,
    )
    open_lab(page, server)
    panel = open_panel(page)
    usage = panel.locator(".jp-SmCost-usage")
    usage.locator(".jp-SmCost-metric-gpu svg").wait_for(timeout=30_000)
    spend = panel.locator(".jp-SmCost-spendHistory")
    spend.locator(".jp-SmCost-bar").first.wait_for()
    # the recommendation (GPU idle) is computed from the kept hour: its p95 is drawn
    panel.locator(".jp-SmCost-recommendations").wait_for(timeout=30_000)
    usage.locator(".jp-SmCost-p95").first.wait_for(state="attached")
    page.wait_for_timeout(300)
    usage.scroll_into_view_if_needed()
    usage.screenshot(path=str(output_dir() / f"charts-usage-{theme}.png"))
    spend.scroll_into_view_if_needed()
    spend.screenshot(path=str(output_dir() / f"charts-spend-{theme}.png"))
    colours = page.evaluate(
        """() => {
        const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
        return {
            background: css('.jp-SmCost-chartBg', 'fill'),
            panel: css('.jp-SmCost', 'backgroundColor'),
            mean: css('.jp-SmCost-mean', 'stroke'),
            threshold: css('.jp-SmCost-threshold', 'stroke'),
            bar: css('.jp-SmCost-bar', 'fill'),
            text: css('.jp-SmCost-metricLabel', 'color'),
        };
    }"""
    )
    errors = page.console.matching("pageerror", "Error")
    return {
        "usage_summary": usage.locator(".jp-SmCost-srOnly").inner_text(),
        "spend_summary": spend.locator(".jp-SmCost-srOnly").inner_text(),
        "usage_text": usage.inner_text(),
        "spend_text": spend.inner_text(),
        "bars": spend.locator(".jp-SmCost-bar").count(),
        "segments": usage.locator(".jp-SmCost-metric-cpu .jp-SmCost-segment").count(),
        "colours": colours,
        "errors": [e for e in errors if not e.startswith("log")],
        "sections": panel.locator(".jp-SmCost-section").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-labelledby'))"
        ),
    }


def test_charts_in_light_and_dark(lab_server: Any, page: Any, tmp_path: Path) -> None:
    started = time.time()
    light = charts(lab_server, page, tmp_path, "light")
    page.context.clear_cookies()
    dark = charts(lab_server, page, tmp_path, "dark")
    for got in (light, dark):
        assert not got["errors"], got["errors"]
        summary = got["usage_summary"]
        assert summary.startswith("Usage over the last 60 minutes"), summary
        assert "CPU (of 4 vCPUs) averaged" in summary and "short of CPU above 90%" in summary
        assert "GPU (of the GPU) averaged 1%" in summary and "idle below 5%" in summary
        assert "p95" in summary
        # a month of working days: one bar per day with spend (weekends off)
        assert 15 <= got["bars"] <= 23, got["bars"]
        assert "Spend per day from" in got["spend_summary"]
        assert "This month" in got["spend_text"]
        # usage sits right before the recommendations
        sections = got["sections"]
        assert sections.index("jp-SmCost-h-usage") + 1 == sections.index(
            "jp-SmCost-h-recommendations"
        )
        c = got["colours"]
        assert c["background"] != c["panel"] and c["mean"] != c["background"]
        assert c["threshold"] != c["mean"]
    # the theme's variables, not fixed colours
    assert light["colours"]["background"] != dark["colours"]["background"]
    assert light["colours"]["text"] != dark["colours"]["text"]
    for theme in ("light", "dark"):
        for chart in ("usage", "spend"):
            shot = output_dir() / f"charts-{chart}-{theme}.png"
            assert shot.exists() and shot.stat().st_mtime >= started
