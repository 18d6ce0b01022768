"""Sphinx configuration for the jupyterlab-smcost documentation (MyST Markdown pages).

Two pages are generated at build time so that they cannot drift from the code: the
configuration reference (from the ``SmCostApp`` traits) and the REST API reference (from
``jupyterlab_smcost/data/openapi.yaml``); see ``_ext/smcost_docs.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
# document the checkout's code, whatever version of the package is installed
sys.path.insert(0, str(ROOT))

_package = json.loads((ROOT / "package.json").read_text())

project = "jupyterlab-smcost"
author = "jupyterlab-smcost contributors"
copyright = "jupyterlab-smcost contributors"
release = version = _package["version"]

extensions = ["myst_parser", "smcost_docs"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store"]

# Every internal link and cross-reference must resolve (the test command builds with -W -n).
nitpicky = True
# help texts and examples quote Python and JSON values: keep their quotes straight
smartquotes = False
myst_enable_extensions = ["colon_fence", "deflist"]
# headings up to ### get anchors that [text](page.md#anchor) links are checked against
myst_heading_anchors = 3
myst_links_external_new_tab = False

html_theme = "pydata_sphinx_theme"
html_title = "jupyterlab-smcost"
html_static_path = ["_static"]
html_css_files = ["smcost.css"]
html_theme_options = {
    "logo": {"text": "jupyterlab-smcost"},
    "github_url": _package["homepage"],
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
# the two generated references are wide tables: no section navigation on their left
html_sidebars = {"operators/configuration": [], "developers/rest-api": []}
html_last_updated_fmt = None

# repository files are linked on GitHub (external: not checked by the build)
smcost_repo_url = _package["homepage"] + "/blob/main/"
