"""The fleet report as one self-contained HTML page (no script, no external file): a bar
chart of what each user's running apps cost per day (inline SVG), the apps with no idle
shutdown first, the GPU apps with no recent activity, and Cost Explorer's figures."""

from __future__ import annotations

from html import escape
from typing import Any

from ..pricing import HOURS_PER_DAY
from ..pricing.quote import money
from .report import FleetApp, FleetReport, Total

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;
text-align:left}td.n{text-align:right}.none{background:#fde8e8}.warn{color:#a15c00}
.bar{fill:#3b7dd8}.label{font-size:12px}
"""


def _chart(per_user: list[Total], width: int = 640) -> str:
    rows = [t for t in per_user if t.per_hour > 0][:40]
    if not rows:
        return "<p>No running app has a known price.</p>"
    top = max(t.per_hour for t in rows)
    bar_h, label_w, gap = 18, 180, 4
    height = len(rows) * (bar_h + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width + label_w + 120}" '
        f'height="{height}" aria-label="cost per user per day">'
    ]
    for i, t in enumerate(rows):
        y = i * (bar_h + gap)
        w = max(1, round(width * t.per_hour / top))
        value = money(t.per_hour * HOURS_PER_DAY, t.currency) + "/day"
        parts.append(
            f'<text class="label" x="0" y="{y + 13}">{escape(t.key[:28])}</text>'
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar_h}">'
            f"<title>{escape(t.key)}: {escape(value)}</title></rect>"
            f'<text class="label" x="{label_w + w + 6}" y="{y + 13}">{escape(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _app_row(a: FleetApp) -> str:
    cls = ' class="none"' if a.cover.mechanism == "none" else ""
    caveat = (
        f'<br><span class="warn">{escape("; ".join(a.cover.caveats))}</span>'
        if a.cover.caveats
        else ""
    )
    cells = [
        escape(a.owner or ""),
        escape(a.space or ""),
        escape(a.app_type),
        escape(a.instance_type or ""),
        escape(money(a.price.per_hour, a.price.currency, significant=4)),
        escape(a.price.source + (f" {a.price.as_of}" if a.price.as_of else "")),
        escape(_h(a.hours_running)),
        escape(_h(a.hours_since_activity) + (" ago" if a.hours_since_activity is not None else "")),
        escape(a.cover.describe()) + caveat,
    ]
    numeric = {4, 6, 7}
    tds = "".join(
        f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(cells)
    )
    return f"<tr{cls}>{tds}</tr>"


def _h(hours: Any) -> str:
    return "unknown" if hours is None else f"{hours:.1f} h"


def render_html(report: FleetReport) -> str:
    heads = [
        "Owner",
        "Space",
        "App",
        "Instance",
        "Per hour",
        "Price source",
        "Running",
        "Last activity",
        "Idle shutdown",
    ]
    body = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>SageMaker fleet: {escape(report.domain_id)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>SageMaker fleet: {escape(report.domain_id)} ({escape(report.region)})</h1>",
        f"<p>{escape(report.summary_line())} Generated {escape(report.generated.isoformat())}.</p>",
        "<h2>Running cost per user</h2>",
        _chart(report.per_user),
        "<h2>Running apps</h2><p>Apps no idle shutdown covers come first.</p>",
        "<table><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>",
        *(_app_row(a) for a in report.apps),
        "</table>",
        "<h2>Per instance type</h2><table><tr><th>Type</th><th>Apps</th><th>Per day</th>"
        "<th>Unpriced</th></tr>",
        *(
            f'<tr><td>{escape(t.key)}</td><td class="n">{t.apps}</td><td class="n">'
            f"{escape(money(t.per_hour * HOURS_PER_DAY, t.currency))}</td>"
            f'<td class="n">{t.unpriced}</td></tr>'
            for t in report.per_type
        ),
        "</table>",
        f"<h2>GPU apps with no activity in {report.gpu_quiet_hours:g} h</h2><ul>",
        *(
            f"<li>{escape(a.space or a.app_name)} ({escape(a.instance_type or '')}, "
            f"{escape(a.owner or '')})</li>"
            for a in report.gpu_quiet
        ),
        "</ul>",
    ]
    billed = report.billed or {}
    if billed:
        body.append(
            f"<h2>Billed {escape(billed.get('start', ''))} to {escape(billed.get('end', ''))} "
            "(Cost Explorer)</h2>"
        )
        if billed.get("note"):
            body.append(f"<p>{escape(billed['note'])}</p>")
        if billed.get("users"):
            body.append("<table><tr><th>User profile</th><th>Billed</th></tr>")
            body += [
                f'<tr><td>{escape(u["user_profile"])}</td><td class="n">'
                f"{escape(money(u['amount'], u['currency']))}</td></tr>"
                for u in billed["users"]
            ]
            body.append("</table>")
    for line in report.truncated + report.problems:
        body.append(f'<p class="warn">{escape(line)}</p>')
    body.append("</body></html>\n")
    return "\n".join(body)
