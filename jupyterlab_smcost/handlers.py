"""Thin REST handlers under ``{base_url}smcost/``: one service call each.

Every handler is authenticated and authorized (resource ``smcost``) and sets
``_track_activity = False`` so that polling them never keeps a server alive.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado import web

from .errors import SmCostError
from .history import STEPS
from .jobs import JobService
from .requests import (
    parse_bool,
    parse_elsewhere_stop,
    parse_history_query,
    parse_idle_update,
    parse_job_request,
    parse_json_body,
    parse_shutdown_saves,
    parse_switch,
)
from .service import SmCostService

AUTH_RESOURCE = "smcost"


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
        update = parse_idle_update(self.json_body())
        await self._run(lambda: self.service.put_idle(update))


class KeepAliveHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self._run(self.service.keepalive)


class ShutdownSavesHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        saves = parse_shutdown_saves(self.json_body())
        await self._run(lambda: self.service.shutdown_saves(saves))


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
        request = parse_switch(self.json_body())
        await self._run(lambda: self.service.start_switch(request), status=202)


class RecommendationsHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self.service.recommendations)


class HistoryHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = parse_history_query(
            self.request.query_arguments, lambda name: self.get_query_argument(name, None), STEPS
        )
        await self._run(lambda: self.service.get_history(query))


class LedgerHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self.service.ledger)


class _JobsRoute(BaseHandler):
    """The training jobs' routes (issue 17): over the jobs service."""

    @property
    def jobs(self) -> JobService:
        assert self.service.jobs is not None  # build.py always sets it
        return self.service.jobs


class JobsHandler(_JobsRoute):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self.jobs.list)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        request = parse_job_request(self.json_body())
        await self._run(lambda: self.jobs.submit(request), status=202)


class JobEstimateHandler(_JobsRoute):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        request = parse_job_request(self.json_body())
        await self._run(lambda: self.jobs.estimate(request))


class JobTypesHandler(_JobsRoute):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self.jobs.types)


class JobHandler(_JobsRoute):
    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        # any name reaches here (a 404 in JSON, never the server's HTML page)
        await self._run(lambda: self.jobs.stop(name), status=202)


class ElsewhereHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._run(self.service.elsewhere.get)


class ElsewhereStopHandler(BaseHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        request = parse_elsewhere_stop(self.json_body())
        await self._run(lambda: self.service.elsewhere.stop(request))


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
    ("ledger", LedgerHandler),
    ("jobs", JobsHandler),
    ("jobs/estimate", JobEstimateHandler),
    ("jobs/types", JobTypesHandler),
    (r"jobs/(?P<name>[^/]+)", JobHandler),
    ("elsewhere", ElsewhereHandler),
    ("elsewhere/stop", ElsewhereStopHandler),
]


def handlers() -> list[tuple[str, type[BaseHandler]]]:
    """Routes relative to the server's base_url (ExtensionApp prefixes it)."""
    return [(url_path_join("/smcost", path), cls) for path, cls in ROUTES]
