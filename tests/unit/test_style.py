"""Every stylesheet reaches JupyterLab: style/index.js (what the federated extension
imports, ``styleModule``) and style/index.css (``style``) import each of style/*.css."""

from __future__ import annotations

import re
from pathlib import Path

STYLE = Path(__file__).resolve().parents[2] / "style"


def test_every_stylesheet_is_imported_by_both_entry_points() -> None:
    sheets = {p.name for p in STYLE.glob("*.css")} - {"index.css"}
    assert sheets, "no stylesheet found"
    js = set(re.findall(r"import '\./([\w.-]+\.css)';", (STYLE / "index.js").read_text()))
    css = set(re.findall(r"@import url\('([\w.-]+\.css)'\);", (STYLE / "index.css").read_text()))
    assert js == sheets, f"style/index.js imports {sorted(js)}, not {sorted(sheets)}"
    assert css == sheets, f"style/index.css imports {sorted(css)}, not {sorted(sheets)}"
