"""The lifecycle script of ``jupyter smcost lifecycle``: where it is, its settings block
(target, where the wheel comes from, the admin policy) filled in and read back, its base64
content checked against the API's limit, and the policy checked against ``SmCostApp``'s
traits. No AWS call here (:mod:`.lifecycle` makes them)."""

from __future__ import annotations

import base64
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .errors import CommandError

#: the API's limit on a configuration's (base64) content
MAX_CONTENT = 16384
MARKER = "# >>> smcost settings"
HEADER = (
    "# jupyterlab-smcost lifecycle configuration, explained in its deploy/lifecycle/"
    "smcost-lifecycle.sh;\n# `jupyter smcost lifecycle show` reads its settings back.\n"
)
_BLOCK_RE = re.compile(r"# >>> smcost settings\n.*?# <<< smcost settings\n", re.S)
_SCRIPT = "smcost-lifecycle.sh"
_NOT_FOUND = re.compile(r"does not exist|not found|cannot find", re.I)


def script_path() -> Path:
    """The script: in the wheel (``jupyterlab_smcost/data/lifecycle``), else the checkout's."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (
        here / "data" / "lifecycle" / _SCRIPT,
        here.parent / "deploy" / "lifecycle" / _SCRIPT,
    ):
        if candidate.is_file():
            return candidate
    raise CommandError("missing_script", f"the lifecycle script {_SCRIPT} is not installed")


@dataclass(frozen=True)
class Settings:
    """What ``jupyter smcost lifecycle`` fills into the script."""

    target: str = "auto"
    source: str = "jupyterlab-smcost"
    policy: dict[str, Any] = field(default_factory=dict)
    policy_uri: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "source": self.source,
            "policy": self.policy,
            "policy_uri": self.policy_uri,
        }


def render(settings: Settings, template: Optional[str] = None, strip: bool = True) -> str:
    """The script with ``settings`` in its settings block (comment lines dropped if ``strip``:
    the content limit is tight)."""
    text = template if template is not None else script_path().read_text()
    policy = json.dumps(settings.policy, indent=2, sort_keys=True)
    block = (
        f"{MARKER}\n"
        f"SMCOST_TARGET={shlex.quote(settings.target)}\n"
        f"SMCOST_SOURCE={shlex.quote(settings.source)}\n"
        f"SMCOST_POLICY_URI={shlex.quote(settings.policy_uri) if settings.policy_uri else ''}\n"
        f"SMCOST_POLICY=$(cat <<'SMCOST_POLICY_END'\n{policy}\nSMCOST_POLICY_END\n)\n"
        "# <<< smcost settings\n"
    )
    if not _BLOCK_RE.search(text):
        raise CommandError("bad_script", f"{_SCRIPT} has no settings block")
    text = _BLOCK_RE.sub(lambda _m: block, text, count=1)
    if strip:
        lines = text.splitlines(keepends=True)
        keep = [lines[0], HEADER] + [
            line
            for line in lines[1:]
            if not re.match(r"\s*#( |$)", line) or "smcost settings" in line
        ]
        text = "".join(keep)
    return text


def parse(script: str) -> Optional[Settings]:
    """The settings of a rendered script, or None if it is not this project's script."""
    m = _BLOCK_RE.search(script)
    if not m:
        return None
    values: dict[str, str] = {}
    for name in ("TARGET", "SOURCE", "POLICY_URI"):
        found = re.search(rf"^SMCOST_{name}=(.*)$", m.group(0), re.M)
        words = shlex.split(found.group(1)) if found else []
        values[name] = words[0] if words else ""
    body = re.search(r"<<'SMCOST_POLICY_END'\n(.*?)\nSMCOST_POLICY_END", m.group(0), re.S)
    try:
        policy = json.loads(body.group(1)) if body else {}
    except ValueError:
        policy = {}
    return Settings(values["TARGET"], values["SOURCE"], policy, values["POLICY_URI"])


def encode(script: str) -> str:
    """Base64 content for the API, checked against its length limit."""
    content = base64.b64encode(script.encode()).decode()
    if len(content) > MAX_CONTENT:
        raise CommandError(
            "script_too_long",
            f"The lifecycle script is {len(content)} characters in base64; SageMaker takes "
            f"{MAX_CONTENT}. Shorten the policy, or keep it in a file (--policy-uri).",
        )
    return content


def decode(content: Optional[str]) -> str:
    try:
        return base64.b64decode(content or "").decode()
    except ValueError:
        return ""


def parse_policy(pairs: list[str], base: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """``key=value`` pairs (values parsed as JSON when they are JSON) over ``base``."""
    policy = dict(base or {})
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError("bad_policy", f"--set wants name=value, not {pair!r}")
        try:
            policy[name.strip()] = json.loads(raw)
        except ValueError:
            policy[name.strip()] = raw
    return policy


def policy_from_json(text: str, where: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise CommandError("bad_policy", f"{where} is not JSON: {e}") from e
    if isinstance(doc, dict) and list(doc) == ["SmCostApp"]:
        doc = doc["SmCostApp"]
    if not isinstance(doc, dict):
        raise CommandError("bad_policy", f"{where} must be a JSON object of SmCostApp traits")
    return doc


def policy_problems(policy: dict[str, Any]) -> list[str]:
    """Unknown traits and values of the wrong type (checked against SmCostApp when the server
    extension can be imported here; empty otherwise)."""
    try:
        from traitlets import HasTraits, TraitError

        from ..app import SmCostApp
    except ImportError:  # pragma: no cover - the CLI runs where the package is installed
        return []
    traits = SmCostApp.class_traits(config=True)
    problems = []
    probe = HasTraits()
    for name, value in policy.items():
        trait = traits.get(name)
        if trait is None:
            problems.append(f"SmCostApp has no setting {name!r}")
            continue
        try:
            if value is not None or not trait.allow_none:
                trait.validate(probe, value)
        except TraitError as e:
            why = re.sub(r"^The '\w+' trait of an? \w+ instance ", "", " ".join(str(e).split()))
            problems.append(f"SmCostApp.{name}: {why[:160].rstrip('.')}")
    return problems
