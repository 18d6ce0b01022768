"""Thin REST handlers under ``{base_url}smcost/``: one service call each.

Every handler is authenticated and authorized (resource ``smcost``) and sets
``_track_activity = False`` so that polling them never keeps a server alive.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any, Optional

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado import web

from .errors import SmCostError, bad_input, excerpt
from .history import STEPS
from .service import SmCostService

AUTH_RESOURCE = "smcost"
#: request bodies are small JSON objects: anything larger is refused unread
MAX_BODY_BYTES = 64 * 1024
#: deeper JSON than this is not a request body of this API
MAX_JSON_DEPTH = 32


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers more than ``limit`` deep (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


def parse_json_body(raw: bytes) -> Any:
    """The request body as JSON: 413 when too large; 400 ``invalid_json`` when empty,
    malformed, non-standard (NaN, Infinity) or nested too deeply."""
    if len(raw) > MAX_BODY_BYTES:
        raise SmCostError(
            "body_too_large",
            f"the request body is {len(raw)} bytes; at most {MAX_BODY_BYTES} are accepted",
            413,
        )
    if not raw.strip():
        raise bad_input("a JSON body is required", "invalid_json")
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as e:
        raise bad_input("the body is not valid JSON: nested too deeply", "invalid_json") from e
    except (UnicodeDecodeError, ValueError) as e:
        raise bad_input(f"the body is not valid JSON: {str(e)[:80]}", "invalid_json") from e
    if _too_deep(value, MAX_JSON_DEPTH):
        raise bad_input(
            f"the body is not valid JSON for this API: nested more than {MAX_JSON_DEPTH} deep",
            "invalid_json",
        )
    return value


def parse_bool(name: str, raw: Optional[str], default: bool) -> bool:
    """A boolean query parameter (``true`` or ``false``, as openapi.yaml declares)."""
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise bad_input(f"{name} must be true or false, got {excerpt(raw)}", "invalid_parameter")
    return value == "true"


def parse_since(raw: Optional[str]) -> Optional[datetime]:
    """An RFC 3339 date-time with a time zone (``2026-11-27T09:00:00Z``), or None."""
    if raw is None:
        return None
    text = raw.strip().upper()
    if len(text) > 64:
        raise bad_input(f"since is not a date-time: {excerpt(raw)}", "invalid_parameter")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    leap = re.match(r"^(.{17})60(.*)$", text)  # RFC 3339 allows a leap second: :60
    try:
        value = datetime.fromisoformat(leap.expand(r"\g<1>59\2") if leap else text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or "T" not in text:
        raise bad_input(
            f"since must be an RFC 3339 date-time with a time zone, e.g. "
            f"2026-11-27T09:00:00Z; got {excerpt(raw)}",
            "invalid_parameter",
        )
    try:
        value.timestamp()
    except (OverflowError, ValueError, OSError):  # e.g. 0001-01-01T00:00:00+23:59
        value = datetime(1970 if value.year < 5000 else 9999, 1, 1, tzinfo=timezone.utc)
    return value


def parse_step(raw: Optional[str], steps: tuple[int, ...], default: int) -> int:
    """One of ``steps`` (seconds)."""
    if raw is None:
        return default
    text = raw.strip()
    if not text.isdigit() or int(text) not in steps:
        raise bad_input(
            f"step must be one of {', '.join(map(str, steps))} (seconds), got {excerpt(raw)}",
            "invalid_parameter",
        )
    return int(text)


class BaseHandler(ExtensionHandlerMixin, APIHandler):
    """One error-to-HTTP mapping for all routes, in ``write_error``:
    ``{"error": {"code", "message"}}``. Handlers raise; they never write errors."""

    _track_activity = False
    auth_resource = AUTH_RESOURCE

    @property
    def service(self) -> SmCostService:
        return self.settings["smcost_service"]

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The HTTP methods this route serves (for 405's ``Allow`` header)."""
        return [
            m
            for m in ("GET", "PUT", "POST", "PATCH", "DELETE")
            if getattr(cls, m.lower()) is not getattr(web.RequestHandler, m.lower())
        ]

    def json_body(self) -> Any:
        return parse_json_body(self.request.body or b"")

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, SmCostError):
            self.set_status(exc.status)
            body = exc.to_json()
        elif isinstance(exc, web.HTTPError):
            code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
                status_code, "http_error"
            )
            if status_code == 405:
                self.set_header("Allow", ", ".join(self.allowed_methods()))
            body = {"error": {"code": code, "message": exc.log_message or self._reason}}
        else:
            body = {
                "error": {"code": "internal_error", "message": "internal error: see the server log"}
            }
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, SmCostError):
            self.log.warning(
                "smcost: %s %s: %s %s",
                self.request.method,
                self.request.path,
                value.status,
                value.message,
            )
            return
        super().log_exception(typ, value, tb)

    async def _run(self, make: Callable[[], Any], status: int = 200) -> None:
        """Answer with what ``make()`` returns (awaited if need be); what it raises goes to
        ``write_error``."""
        result = make()
        if inspect.isawaitable(result):
            result = await result
        self.reply(result, status)

    async def _run_with_body(
        self, method: Callable[[Any], Awaitable[Any]], status: int = 200
    ) -> None:
        """Parse the JSON body (413/400 when refused) and pass it to ``method``."""
        await self._run(lambda: method(self.json_body()), status)


class StatusHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self.service.status)


class IdleHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self.service.get_idle)

    @web.authenticated
    @authorized
    async def put(self) -> None:
        await self._run_with_body(self.service.put_idle)


class KeepAliveHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self._run(self.service.keepalive)


class ShutdownSavesHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self._run_with_body(self.service.shutdown_saves)


class ShutdownHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self._run(self.service.shutdown, status=202)


class PricesHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        refresh = parse_bool("refresh", self.get_query_argument("refresh", None), False)
        await self._run(lambda: self.service.price_table(refresh=refresh))


class SwitchHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self.service.get_switch)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self._run_with_body(self.service.start_switch, status=202)


class RecommendationsHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self.service.recommendations)


class HistoryHandler(BaseHandler):
    PARAMETERS = ("since", "step")

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self._history)

    async def _history(self) -> Any:
        args = {
            k: v
            for k, v in self.request.query_arguments.items()
            # JupyterLab's ServerConnection appends a bare timestamp to GETs (cache buster)
            if not (k.isdigit() and v == [b""])
        }
        unknown = sorted(set(args) - set(self.PARAMETERS))
        if unknown:
            raise bad_input(
                f"unknown parameter(s): {excerpt(', '.join(unknown))}; known: "
                + ", ".join(self.PARAMETERS),
                "unknown_parameter",
            )
        repeated = sorted(k for k, v in args.items() if len(v) > 1)
        if repeated:
            raise bad_input(f"{repeated[0]} is given more than once", "invalid_parameter")
        since = parse_since(self.get_query_argument("since", None))
        step = parse_step(self.get_query_argument("step", None), STEPS, STEPS[0])
        return await self.service.get_history(since, step)


ROUTES = [
    ("status", StatusHandler),
    ("idle", IdleHandler),
    ("idle/keepalive", KeepAliveHandler),
    ("idle/shutdown-saves", ShutdownSavesHandler),
    ("shutdown", ShutdownHandler),
    ("prices", PricesHandler),
    ("switch", SwitchHandler),
    ("recommendations", RecommendationsHandler),
    ("history", HistoryHandler),
]


def handlers() -> list[tuple[str, type[BaseHandler]]]:
    """Routes relative to the server's base_url (ExtensionApp prefixes it)."""
    return [(url_path_join("/smcost", path), cls) for path, cls in ROUTES]
