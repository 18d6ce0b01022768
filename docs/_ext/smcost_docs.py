"""Pages generated from the code at build time, so that they cannot drift from it.

- ``_generated/config.md``: every configurable ``SmCostApp`` trait (name, type, default, help),
  as jupyter_server builds its configuration page from its traits;
- ``_generated/rest-api.md``: the REST API from ``jupyterlab_smcost/data/openapi.yaml``
  (routes, parameters, request and response bodies, every schema's fields);
- ``_generated/preferences.md``: the JupyterLab settings in ``schema/*.json``.

The pages in ``docs/`` include them. Each target gets a label (``config-<trait>``,
``api-<method>-<path>``, ``api-schema-<name>``), so a page that links to a trait or a schema
that no longer exists fails the build (``-W -n``). The ``{repo}`` role links a repository
file on GitHub and warns when the file is not in the checkout.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "jupyterlab_smcost" / "data" / "openapi.yaml"
SETTINGS_SCHEMAS = ROOT / "schema"
METHODS = ("get", "put", "post", "patch", "delete")

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~$&])")


def escape(text: str) -> str:
    """Plain text (a trait's help) as Markdown that renders it as written, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def cell(text: str) -> str:
    """Markdown (an OpenAPI description) fit for a table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(text: Any) -> str:
    text = str(text)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


# -- configuration reference ------------------------------------------------------------------


def config_traits() -> list[tuple[str, Any]]:
    """The configurable traits ``SmCostApp`` adds to jupyter_server's ``ExtensionApp``, in the
    order the classes define them."""
    from jupyter_server.extension.application import ExtensionApp

    from jupyterlab_smcost.app import SmCostApp

    base = ExtensionApp.class_traits(config=True)
    traits = {n: t for n, t in SmCostApp.class_traits(config=True).items() if n not in base}
    order: dict[str, int] = {}
    for klass in reversed(SmCostApp.__mro__):
        for name in vars(klass):
            order.setdefault(name, len(order))
    return sorted(traits.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def trait_type(trait: Any) -> str:
    kind = type(trait).__name__
    if kind == "Enum" or kind == "CaselessStrEnum":
        return f"{kind}: " + ", ".join(code(v) for v in trait.values)
    inner = getattr(trait, "_trait", None)
    if inner is not None:
        return f"{kind} of {type(inner).__name__}"
    klass = getattr(trait, "klass", None)
    if kind in ("Type", "Instance") and klass is not None:
        name = klass if isinstance(klass, str) else f"{klass.__module__}.{klass.__qualname__}"
        return f"{kind} ({code(name)})"
    return kind


def default_repr(trait: Any) -> str:
    """The trait's default as the reference writes it (traitlets' own repr, or ``None``:
    a ``Type`` trait whose default is decided at start asserts in ``default_value_repr``)."""
    value = getattr(trait, "default_value", None)
    if value is None:
        return "None"
    if callable(value) and hasattr(value, "__qualname__"):  # a function or class: its name
        return f"{value.__module__}.{value.__qualname__}"
    return trait.default_value_repr()


def config_reference() -> str:
    """The configuration reference page's body (Markdown)."""
    traits = config_traits()
    out = [
        "| trait | type | default |",
        "|---|---|---|",
    ]
    for name, trait in traits:
        out.append(
            f"| [{code(name)}](#config-{name}) | {type(trait).__name__} "
            f"| {code(default_repr(trait))} |"
        )
    out.append("")
    for name, trait in traits:
        out += [
            f"(config-{name})=",
            f"### `SmCostApp.{name}`",
            "",
            f"{trait_type(trait)}, default {code(default_repr(trait))}",
            "",
            escape(trait.help) if trait.help.strip() else "*(no help text)*",
            "",
        ]
    return "\n".join(out)


# -- REST API reference ------------------------------------------------------------------------


def schema_label(name: str) -> str:
    return f"api-schema-{name.lower()}"


def operation_label(method: str, path: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
    return f"api-{method}-{slug}"


class OpenApi:
    """Renders one OpenAPI 3.0 document (the subset a JSON API uses) as Markdown."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.components = doc.get("components", {})

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            parts = node["$ref"].lstrip("#/").split("/")
            target: Any = self.doc
            for part in parts:
                target = target[part]
            node = target
        return node

    @staticmethod
    def ref_name(node: dict[str, Any]) -> str:
        return node["$ref"].rsplit("/", 1)[-1]

    def type_of(self, s: dict[str, Any]) -> str:
        if "$ref" in s:
            name = self.ref_name(s)
            return f"[{code(name)}](#{schema_label(name)})"
        nullable = bool(s.get("nullable"))
        kinds = s.get("type")
        if isinstance(kinds, list):  # OpenAPI 3.1 style
            nullable = nullable or "null" in kinds
            kinds = [k for k in kinds if k != "null"]
            kind = " or ".join(kinds)
        else:
            kind = kinds or ""
        for combo, word in (("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")):
            if combo in s:
                text = word.join(self.type_of(sub) for sub in s[combo])
                break
        else:
            if "enum" in s:
                values = [code(json.dumps(v)) for v in s["enum"] if v is not None]
                text = "one of " + ", ".join(values)
            elif kind == "array":
                text = "array of " + self.type_of(s.get("items", {}))
            elif kind == "object" or "properties" in s:
                extra = s.get("additionalProperties")
                if isinstance(extra, dict) and "properties" not in s:
                    text = "object of " + self.type_of(extra)
                else:
                    text = "object"
            else:
                text = kind or "any"
                if "format" in s:
                    text += f" ({s['format']})"
        return text + (" or null" if nullable else "")

    @staticmethod
    def constraints(s: dict[str, Any]) -> str:
        words = {
            "minimum": "at least {}",
            "maximum": "at most {}",
            "minLength": "at least {} characters",
            "maxLength": "at most {} characters",
            "minItems": "at least {} items",
            "maxItems": "at most {} items",
        }
        parts = [w.format(s[k]) for k, w in words.items() if k in s]
        if "example" in s:
            parts.append(f"e.g. {code(s['example'])}")
        return "; ".join(parts)

    def rows(self, s: dict[str, Any], prefix: str = "") -> list[str]:
        """Table rows for an object's fields; inline objects and arrays of them flattened."""
        out: list[str] = []
        for part in s.get("allOf", []):
            if "$ref" in part:
                out.append(f"| *(every field of {self.type_of(part)})* | | | |")
            else:
                out += self.rows(part, prefix)
        required = set(s.get("required", []))
        for name, prop in s.get("properties", {}).items():
            desc = cell(prop.get("description", ""))
            more = self.constraints(prop)
            if more:
                desc = f"{desc} ({more})" if desc else more
            yes = "yes" if name in required else ""
            out.append(f"| {code(prefix + name)} | {self.type_of(prop)} | {yes} | {desc} |")
            if "$ref" in prop:
                continue
            if prop.get("properties") or prop.get("allOf"):
                out += self.rows(prop, f"{prefix}{name}.")
            items = prop.get("items", {})
            if "$ref" not in items and (items.get("properties") or items.get("allOf")):
                out += self.rows(items, f"{prefix}{name}[].")
        return out

    @staticmethod
    def is_object(s: dict[str, Any]) -> bool:
        return "$ref" not in s and (s.get("type") == "object" or "properties" in s or "allOf" in s)

    def fields(self, s: dict[str, Any]) -> list[str]:
        return [
            "| field | type | required | description |",
            "|---|---|---|---|",
            *self.rows(s),
            "",
        ]

    @staticmethod
    def json_schema(content: dict[str, Any]) -> dict[str, Any] | None:
        media = content.get("application/json")
        return None if media is None else media.get("schema", {})

    def operation(self, method: str, path: str, op: dict[str, Any]) -> list[str]:
        out = [
            f"({operation_label(method, path)})=",
            f"### `{method.upper()} {path}`",
            "",
            cell(op.get("summary", "")),
            "",
        ]
        if op.get("description"):
            out += [cell(op["description"]), ""]
        params = [self.resolve(p) for p in op.get("parameters", [])]
        if params:
            out += [
                "| parameter | in | type | required | description |",
                "|---|---|---|---|---|",
            ]
            for p in params:
                s = p.get("schema", {})
                desc = cell(p.get("description", ""))
                more = self.constraints(s)
                if more:
                    desc = f"{desc} ({more})" if desc else more
                yes = "yes" if p.get("required") else ""
                out.append(
                    f"| {code(p['name'])} | {p['in']} | {self.type_of(s)} | {yes} | {desc} |"
                )
            out.append("")
        request = op.get("requestBody")
        if request:
            request = self.resolve(request)
            schema = self.json_schema(request.get("content", {}))
            if schema is not None:
                required = "required" if request.get("required") else "optional"
                if self.is_object(schema):
                    out += [f"Request body ({required}, JSON): an object with", ""]
                    out += self.fields(schema)
                else:
                    out += [f"Request body ({required}, JSON): {self.type_of(schema)}", ""]
        inline: list[tuple[str, dict[str, Any]]] = []
        out += ["| response | meaning | body |", "|---|---|---|"]
        for status, response in op.get("responses", {}).items():
            response = self.resolve(response)
            schema = self.json_schema(response.get("content", {}))
            if schema is None:
                body = ""
            elif self.is_object(schema):
                body = "an object (below)"
                inline.append((status, schema))
            else:
                body = self.type_of(schema)
            out.append(f"| `{status}` | {cell(response.get('description', ''))} | {body} |")
        out.append("")
        for status, schema in inline:
            out += [f"Response body `{status}`:", ""]
            out += self.fields(schema)
        return out

    def schema(self, name: str, s: dict[str, Any]) -> list[str]:
        out = [f"({schema_label(name)})=", f"### `{name}`", ""]
        if s.get("description"):
            out += [cell(s["description"]), ""]
        if self.rows(s):
            out += self.fields(s)
        else:
            out += [f"Type: {self.type_of({k: v for k, v in s.items() if k != 'description'})}", ""]
        return out

    def render(self) -> str:
        info = self.doc.get("info", {})
        servers = ", ".join(code(sv["url"]) for sv in self.doc.get("servers", []))
        out = [
            f"## {info.get('title', 'API')}",
            "",
            f"Version {code(info.get('version', ''))} of the document; paths are relative to "
            f"{servers or code('/')} (under the server's `base_url`).",
            "",
            cell(info.get("description", "")),
            "",
            "## Routes",
            "",
        ]
        for path, ops in self.doc.get("paths", {}).items():
            for method in METHODS:
                if method in ops:
                    out += self.operation(method, path, ops[method])
        out += ["## Schemas", ""]
        for name, s in self.components.get("schemas", {}).items():
            out += self.schema(name, s)
        return "\n".join(out)


def rest_reference(doc: dict[str, Any] | None = None) -> str:
    """The REST API reference page's body (Markdown), from openapi.yaml."""
    import yaml

    if doc is None:
        doc = yaml.safe_load(OPENAPI.read_text())
    return OpenApi(doc).render()


# -- JupyterLab settings -----------------------------------------------------------------------


def preferences() -> str:
    """The users' JupyterLab settings, from the extension's settings schemas."""
    out = []
    for path in sorted(SETTINGS_SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        out += [
            "| setting | type | default | what it does |",
            "|---|---|---|---|",
        ]
        for name, prop in schema.get("properties", {}).items():
            bounds = [
                f"{word} {prop[key]}"
                for key, word in (("minimum", "min"), ("maximum", "max"))
                if key in prop
            ]
            desc = cell(prop.get("description", prop.get("title", "")))
            if bounds:
                desc += f" ({', '.join(bounds)})"
            default = code(json.dumps(prop.get("default")))
            out.append(
                f"| {code(name)} | {prop.get('type', '')} | {default} "
                f"| **{cell(prop.get('title', name))}**: {desc} |"
            )
        out.append("")
    return "\n".join(out)


# -- Sphinx ------------------------------------------------------------------------------------


def write_if_changed(path: Path, text: str) -> None:
    """Write only a changed page, so that Sphinx re-reads only the pages that include it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def generate(app: Any) -> None:
    out = Path(app.srcdir) / "_generated"
    write_if_changed(out / "config.md", config_reference())
    write_if_changed(out / "rest-api.md", rest_reference())
    write_if_changed(out / "preferences.md", preferences())


def repo_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: Any = None,
    content: Any = None,
) -> tuple[list[Any], list[Any]]:
    """``{repo}`path```: the file on GitHub; a warning when the checkout has no such path."""
    from docutils import nodes

    path = text.strip()
    settings = inliner.document.settings
    messages = []
    if not (ROOT / path).exists():
        messages.append(
            inliner.reporter.warning(f"no such file in the repository: {path}", line=lineno)
        )
    url = settings.env.config.smcost_repo_url + path
    node = nodes.reference(rawtext, "", nodes.literal(path, path), refuri=url)
    return [node], messages


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("smcost_repo_url", "", "env")
    app.connect("builder-inited", generate)
    app.add_role("repo", repo_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
