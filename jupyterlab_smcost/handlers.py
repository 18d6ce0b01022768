"""Thin REST handlers under ``{base_url}smcost/``: one service call each.

Every handler is authenticated and authorized (resource ``smcost``) and sets
``_track_activity = False`` so that polling them never keeps a server alive.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado import web

from .errors import SmCostError, bad_input
from .service import SmCostService

AUTH_RESOURCE = "smcost"


class BaseHandler(ExtensionHandlerMixin, APIHandler):
    """One error-to-HTTP mapping for all routes: ``{"error": {"code", "message"}}``."""

    _track_activity = False
    auth_resource = AUTH_RESOURCE

    @property
    def service(self) -> SmCostService:
        return self.settings["smcost_service"]

    def json_body(self) -> Any:
        raw = self.request.body or b""
        if not raw.strip():
            raise bad_input("a JSON body is required", "invalid_json")
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, ValueError) as e:
            raise bad_input(f"the body is not valid JSON: {e}", "invalid_json") from e

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, SmCostError):
            body = exc.to_json()
        elif isinstance(exc, web.HTTPError):
            code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
                status_code, "http_error"
            )
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
                "smcost: %s %s: %s", self.request.method, self.request.path, value.message
            )
            return
        super().log_exception(typ, value, tb)

    async def _run(self, make: Callable[[], Any], status: int = 200) -> None:
        """Answer with what ``make()`` returns (awaited if need be), or with the
        SmCostError it raises."""
        try:
            result = make()
            if inspect.isawaitable(result):
                result = await result
        except SmCostError as e:
            self.set_status(e.status)
            self.finish(json.dumps(e.to_json()))
            self.log_exception(type(e), e, None)
            return
        self.reply(result, status)

    async def _run_with_body(
        self, method: Callable[[Any], Awaitable[Any]], status: int = 200
    ) -> None:
        """Parse the JSON body (400 when malformed) and pass it to ``method``."""
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
        refresh = self.get_argument("refresh", "false").lower() in ("1", "true", "yes")
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


ROUTES = [
    ("status", StatusHandler),
    ("idle", IdleHandler),
    ("idle/keepalive", KeepAliveHandler),
    ("idle/shutdown-saves", ShutdownSavesHandler),
    ("shutdown", ShutdownHandler),
    ("prices", PricesHandler),
    ("switch", SwitchHandler),
    ("recommendations", RecommendationsHandler),
]


def handlers() -> list[tuple[str, type[BaseHandler]]]:
    """Routes relative to the server's base_url (ExtensionApp prefixes it)."""
    return [(url_path_join("/smcost", path), cls) for path, cls in ROUTES]
