"""The zh_CN catalogue: every string the frontend translates (src/, the settings schema) is in
it, translated, with the same placeholders; the compiled JSON is what JupyterLab loads (header
``zh-CN``, plural entries as lists of two or more) and matches the .po; the package registers
it with the ``jupyterlab.locale`` entry point. (Rebuild with scripts/translations.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "jupyterlab_smcost"
MESSAGES = ROOT / DOMAIN / "locale" / "zh_CN" / "LC_MESSAGES"
PO = polib.pofile(str(MESSAGES / f"{DOMAIN}.po"))
JSON = json.loads((MESSAGES / f"{DOMAIN}.json").read_text(encoding="utf-8"))

_LIT = r"'((?:[^'\\]|\\.)*)'"
#: trans.__('a'), trans._n('a', 'b', ...), trans._p('ctx', 'a'), whatever precedes ``trans``
CALL = re.compile(rf"\btrans\.(__|_n|_p)\(\s*{_LIT}(?:\s*,\s*{_LIT})?", re.S)
PLACEHOLDER = re.compile(r"%\d+")
HAN = re.compile(r"[\u4e00-\u9fff]")


def unescape(s: str) -> str:
    """A JavaScript single-quoted literal's text (``\\u00d7``, ``\\'``)."""
    return re.sub(
        r"\\u([0-9a-fA-F]{4})|\\(.)",
        lambda m: chr(int(m[1], 16)) if m[1] else {"n": "\n"}.get(m[2], m[2]),
        s,
    )


def source_strings() -> set[tuple[str | None, str]]:
    """(context, msgid) of every translation call in src/ (tests aside)."""
    found: set[tuple[str | None, str]] = set()
    for f in (ROOT / "src").rglob("*.ts*"):
        if "__tests__" in f.parts or f.name == "api.ts":
            continue
        for kind, a, b in CALL.findall(f.read_text(encoding="utf-8")):
            if kind == "_p":
                found.add((unescape(a), unescape(b)))
            else:
                found.add((None, unescape(a)))
    return found


def schema_strings() -> set[tuple[str | None, str]]:
    schema = json.loads((ROOT / "schema" / "plugin.json").read_text())
    out = {("schema", schema["title"]), ("schema", schema["description"])}
    for prop in schema["properties"].values():
        out |= {("settings", prop[k]) for k in ("title", "description") if k in prop}
    return out


def test_every_source_string_is_in_the_catalogue() -> None:
    wanted = source_strings()
    assert len(wanted) > 200, "the scan of src/ found too few strings"
    have = {(e.msgctxt, e.msgid) for e in PO}
    assert wanted - have == set(), "run scripts/translations.py extract, then translate"
    assert schema_strings() - have == set()


def test_every_entry_is_translated_with_its_placeholders() -> None:
    assert len(PO) > 200
    for e in PO:
        texts = list(e.msgstr_plural.values()) if e.msgid_plural else [e.msgstr]
        assert texts and all(t.strip() or e.msgid.isspace() for t in texts), e.msgid
        assert "fuzzy" not in e.flags, e.msgid
        want = set(PLACEHOLDER.findall(e.msgid + (e.msgid_plural or "")))
        for t in texts:
            assert set(PLACEHOLDER.findall(t)) == want, (e.msgid, t)
    # really Chinese: most entries carry Han characters (the rest are e.g. "%1 %2", "GPU")
    han = sum(1 for e in PO if HAN.search(e.msgstr or "".join(e.msgstr_plural.values())))
    assert han >= 0.85 * len(PO)


def test_the_json_is_what_jupyterlab_loads_and_matches_the_po() -> None:
    head = JSON[""]
    assert head["language"] == "zh-CN" and head["domain"] == DOMAIN
    assert head["plural_forms"] == "nplurals=1; plural=0;"
    entries = {k: v for k, v in JSON.items() if k}
    assert len(entries) == len(PO)
    for e in PO:
        key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid
        if e.msgid_plural:
            # JupyterLab takes a plural entry only as a list of two or more
            assert entries[key] == [e.msgstr_plural[0], ""], e.msgid
        else:
            assert entries[key] == [e.msgstr], e.msgid


@pytest.mark.parametrize("msgid", ["Shut down now?", "Idle shutdown", "Keep running"])
def test_a_few_translations(msgid: str) -> None:
    assert HAN.search(JSON[msgid][0])


def test_the_entry_point_names_the_domain() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'[project.entry-points."jupyterlab.locale"]\n{DOMAIN} = "{DOMAIN}"' in pyproject
    # the frontend asks for the same domain
    assert f"DOMAIN = '{DOMAIN}'" in (ROOT / "src" / "formatValues.ts").read_text()
    schema = json.loads((ROOT / "schema" / "plugin.json").read_text())
    assert schema["jupyter.lab.internationalization"]["domain"] == DOMAIN
