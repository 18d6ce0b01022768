"""The frontend's translation catalogues (jupyterlab_smcost/locale), with jupyterlab-translate.

    python scripts/translations.py extract   # src/ + schema/ -> .pot, merged into every .po
    python scripts/translations.py compile   # every .po -> the .json JupyterLab loads

``extract`` keeps existing translations; new strings come with an empty msgstr for a
translator to fill (tests/unit/test_translations.py fails until none is empty). ``compile``
writes the JSON afresh (jupyterlab-translate merges into an old one, which would keep
removed strings) and leaves no ``.mo`` (JupyterLab reads only the JSON). A new language:
``python scripts/translations.py extract --add ll_CC``. See docs/contributors/translations.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "jupyterlab_smcost"
LOCALE = ROOT / DOMAIN / "locale"


def locales() -> list[str]:
    return sorted(p.name for p in LOCALE.iterdir() if (p / "LC_MESSAGES").is_dir())


def translate(*args: str) -> None:
    subprocess.run(["jupyterlab-translate", *args, str(ROOT), DOMAIN], check=True)


def fix_header(locale: str) -> None:
    """The header JupyterLab wants: ``Language: zh_CN`` (the JSON says ``zh-CN``; Babel
    would write ``zh_Hans_CN``) and the domain as the version; and no ``python-format``
    flag: Babel guesses it from a ``30% h`` in a JavaScript string, and then rejects a
    translation without the same "placeholder"."""
    path = LOCALE / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    po = polib.pofile(str(path))
    for entry in po:
        if "python-format" in entry.flags:
            entry.flags.remove("python-format")
    # strings no longer in src/: gone (git keeps their history)
    po[:] = [e for e in po if not e.obsolete]
    po.metadata["Language"] = locale
    po.metadata["Language-Team"] = locale
    po.metadata["Project-Id-Version"] = DOMAIN
    po.save(str(path))


def extract(add: list[str]) -> None:
    # afresh: jupyterlab-translate merges into an old template, keeping removed strings
    (LOCALE / f"{DOMAIN}.pot").unlink(missing_ok=True)
    translate("extract")
    for locale in sorted(set(locales()) | set(add)):
        translate("update", "-l", locale)
        fix_header(locale)


def compile_() -> None:
    for locale in locales():
        out = LOCALE / locale / "LC_MESSAGES"
        (out / f"{DOMAIN}.json").unlink(missing_ok=True)
        fix_header(locale)
        translate("compile", "-l", locale)
        (out / f"{DOMAIN}.mo").unlink(missing_ok=True)


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["extract", "compile"])
    ap.add_argument("--add", action="append", default=[], metavar="ll_CC")
    args = ap.parse_args(argv)
    if args.what == "extract":
        extract(args.add)
    else:
        compile_()


if __name__ == "__main__":
    main(sys.argv[1:])
