""" "Still running elsewhere": what else bills for the user of this IDE, read at a slow,
bounded rate, and Stop (``DeleteApp``) for their other Studio apps.

Read only when the panel asks (``GET smcost/elsewhere``: the frontend polls it with standby,
so a hidden page asks nothing), and then at most once per ``interval_s``: an answer older than
that starts one listing in the background and is returned meanwhile. A section the role may
not read is hidden, with one line naming the permission that would enable it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Optional, Protocol

from botocore.exceptions import ClientError

from .activity import utcnow
from .aws import elsewhere as reads
from .aws.errors import RunBlocking
from .environments import Environment
from .errors import SmCostError, log_bug
from .messages import Message
from .pricing import HOURS_PER_DAY, SOURCES, PriceBook, Quote
from .requests import ElsewhereStop

SECTIONS = ("studio_apps", "started_jobs", "tagged", "notebook_instances")


class StartedJobs(Protocol):
    """The training jobs this server started (the jobs service, over its records)."""

    def has_running(self) -> bool:
        """Whether a record says a job may still run (in memory, no AWS call)."""

    def running(self) -> list[reads.Running]:
        """The jobs started from here that run now (blocking: describes them)."""


def _price(prices: PriceBook, region: str, r: reads.Running) -> Quote:
    """Per hour for all of ``r``'s instances."""
    if r.component is None or (r.instance_type is None and not r.parts):
        return Quote(
            None,
            "unknown",
            detail=f"no price is known for a {r.kind} of this kind",
            region=region,
            instance_type=r.instance_type,
        )
    parts = r.parts or [(r.instance_type or "", r.instance_count)]
    quotes = [(prices.price(region, r.component, t), n) for t, n in parts]
    currency = quotes[0][0].currency
    if any(q.per_hour is None or q.currency != currency for q, _ in quotes):
        unknown = next(q for q, _ in quotes if q.per_hour is None or q.currency != currency)
        return Quote(
            None,
            "unknown",
            None,
            unknown.detail,
            region,
            r.component,
            r.instance_type,
            currency=currency,
            fix=unknown.fix,
            detail_message=unknown.detail_message,
            fix_message=unknown.fix_message,
        )
    worst = max((q for q, _ in quotes), key=lambda q: SOURCES.index(q.source))
    total = round(sum((q.per_hour or 0.0) * n for q, n in quotes), 4)
    detail = "; ".join(f"{n} x {q.instance_type} {q.describe()}" for q, n in quotes)
    return Quote(
        total,
        worst.source,
        worst.as_of,
        detail,
        region,
        r.component,
        r.instance_type,
        currency=currency,
    )


def totals(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per hour and per day by currency (never summed across), with how many are unpriced."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        price = item["price"]
        t = out.setdefault(
            price["currency"], {"currency": price["currency"], "per_hour": 0.0, "unpriced": 0}
        )
        if price["per_hour"] is None:
            t["unpriced"] += 1
        else:
            t["per_hour"] = round(t["per_hour"] + price["per_hour"], 4)
    for t in out.values():
        t["per_day"] = round(t["per_hour"] * HOURS_PER_DAY, 2)
    return sorted(out.values(), key=lambda t: t["currency"])


class ElsewhereWatch:
    """``interval_s``: the least time between two listings (``SmCostApp.elsewhere_interval``);
    ``notebook_instances``: list the role's other notebook instances too
    (``SmCostApp.elsewhere_notebook_instances``)."""

    def __init__(
        self,
        env: Environment,
        prices: PriceBook,
        log: logging.Logger,
        run_blocking: RunBlocking,
        *,
        interval_s: float = 300.0,
        notebook_instances: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.env = env
        self.prices = prices
        self.log = log
        self.run_blocking = run_blocking
        self.interval_s = interval_s
        self.notebook_instances = notebook_instances
        self.clock = clock
        self._state: Optional[dict[str, Any]] = None
        self._read_at: Optional[datetime] = None
        self._task: Optional[asyncio.Future[None]] = None
        self.listings = 0  # how many listings ran (the rate bound is tested on it)
        #: the jobs this server started (set by build.py): listed even untagged
        self.started: Optional[StartedJobs] = None

    # -- what applies here
    def _studio(self) -> Optional[reads.StudioIdentity]:
        """This IDE in Studio: a space's app (what a Studio space adapter has: a domain, a
        space, its app and AWS clients), or a Studio Classic user's JupyterServer (a domain
        and a user profile; a Classic shared space has no owner to list for)."""
        e: Any = self.env
        if not callable(getattr(e, "client", None)):
            return None
        names = [getattr(e, a, None) for a in ("domain_id", "space_name", "app_type", "app_name")]
        if all(isinstance(n, str) and n for n in names):
            return reads.StudioIdentity(*names)
        domain, user = getattr(e, "domain_id", None), getattr(e, "user_profile", None)
        if e.kind == "studio-classic" and domain and user and not getattr(e, "space", None):
            return reads.StudioIdentity(domain, None, e.app_type, e.app_name, user)
        return None

    def _client(self, service: str) -> Any:
        return self.env.client(service)  # type: ignore[attr-defined]

    def _sections(self) -> list[str]:
        out = []
        if self._studio():
            out += ["studio_apps", "tagged"]
        if self.started is not None and self.started.has_running():
            out.append("started_jobs")
        if self.notebook_instances and self.env.kind != "local":
            out.append("notebook_instances")
        return out

    # -- the listing (blocking: a worker thread)
    def _read(self) -> dict[str, Any]:
        now = self.clock()
        region = self.env.region
        found: list[reads.Running] = []
        sections: list[dict[str, Any]] = []
        ident: dict[str, str] = {}

        def section(name: str, fn: Callable[[], list[reads.Running]]) -> None:
            try:
                got = fn()
            except reads.Denied as d:
                sections.append(
                    {"name": name, "available": False, "missing_permission": d.permission}
                )
                return
            listed = {(r.kind, r.name) for r in found}
            found.extend(r for r in got if (r.kind, r.name) not in listed)  # never twice
            sections.append({"name": name, "available": True, "missing_permission": None})

        started = self.started
        if started is not None and "started_jobs" in self._sections():
            # first: a job found by its tags too is listed once, as started from here

            def from_here() -> list[reads.Running]:
                try:
                    return started.running()
                except ClientError as exc:
                    denied = reads._denied(exc, "sagemaker")
                    if denied:
                        raise denied from exc
                    raise

            section("started_jobs", from_here)
        me = self._studio()
        if me is not None:
            sm = self._client("sagemaker")

            def apps() -> list[reads.Running]:
                items, got = reads.studio_apps(sm, me)
                ident.update(got)
                return items

            section("studio_apps", apps)
            tags = {reads.SPACE_ARN_TAG: ident["space_arn"]} if ident.get("space_arn") else {}
            if ident.get("user_profile_arn"):
                tags[reads.USER_PROFILE_ARN_TAG] = ident["user_profile_arn"]
            if tags:
                section(
                    "tagged",
                    lambda: reads.tagged_resources(
                        self._client("resourcegroupstaggingapi"),
                        sm,
                        self._client("cloudwatch"),
                        tags,
                        now,
                    ),
                )
        if "notebook_instances" in self._sections():
            own = self.env.info().resource if self.env.kind == "notebook-instance" else None
            section(
                "notebook_instances",
                lambda: reads.notebook_instances(self._client("sagemaker"), own),
            )
        for component in sorted({r.component for r in found if r.component}):
            self.prices.load_live(region, component)
        items = [self._item(r, region, now) for r in found]
        return {
            "state": "ok",
            "message": None,
            "sections": sections,
            "items": items,
            "totals": totals(items),
            "read_at": now.isoformat(),
            "interval_s": self.interval_s,
        }

    def _item(self, r: reads.Running, region: str, now: datetime) -> dict[str, Any]:
        price = _price(self.prices, region, r)
        return {
            "kind": r.kind,
            "name": r.name,
            "instance_type": r.instance_type,
            "instance_count": r.instance_count,
            "price": price.to_json(),
            "started_at": r.started_at.isoformat() if r.started_at else None,
            "running_s": int((now - r.started_at).total_seconds()) if r.started_at else None,
            "space": r.space,
            "app_type": r.app_type,
            "app_name": r.app_name,
            "shared": r.shared,
            "stoppable": r.stoppable,
            "note": r.note,
        }

    # -- the REST side
    def _empty(self, state: str, message: Optional[str]) -> dict[str, Any]:
        return {
            "state": state,
            "message": message,
            "sections": [],
            "items": [],
            "totals": [],
            "read_at": None,
            "interval_s": self.interval_s,
        }

    async def refresh(self) -> None:
        self.listings += 1
        try:
            self._state = await self.run_blocking(
                self._read, action=Message.of("action.list_elsewhere", "list what else runs")
            )
        except SmCostError as e:
            self.log.warning("smcost: elsewhere: %s", e.message)
            self._state = self._empty("error", e.message)
            self._state["error"] = {"code": e.code, "params": e.params}
        except Exception as e:  # a bug: logged with its traceback, retried next interval
            self._state = self._empty("error", log_bug(self.log, "listing elsewhere", e))
        self._read_at = self.clock()

    async def get(self) -> dict[str, Any]:
        """The last listing; one new listing when it is older than ``interval_s`` (the first
        one is awaited)."""
        if not self._sections():
            return self._empty(
                "unavailable",
                "nothing else to list here: other apps, endpoints and jobs are listed in "
                "SageMaker Studio spaces",
            )
        now = self.clock()
        stale = self._read_at is None or (now - self._read_at).total_seconds() >= self.interval_s
        running = self._task is not None and not self._task.done()
        if stale and not running:
            self._task = asyncio.ensure_future(self.refresh())
        if self._state is None and self._task is not None:
            await asyncio.shield(self._task)
        return self._state or self._empty("pending", "listing")

    async def stop(self, request: ElsewhereStop) -> dict[str, Any]:
        """Delete one of the listed Studio apps (the user's own spaces only)."""
        me = self._studio()
        items = (self._state or {}).get("items", [])
        match = next(
            (
                i
                for i in items
                if i["kind"] == "app"
                and (i["space"], i["app_type"], i["app_name"])
                == (request.space_name, request.app_type, request.app_name)
            ),
            None,
        )
        if me is None or match is None:
            raise SmCostError(
                "not_found",
                f"no running app {request.app_type}/{request.app_name} of space "
                f"{request.space_name} is listed here",
                404,
            )
        if not match["stoppable"]:
            raise SmCostError(
                "not_stoppable",
                f"{match['name']} cannot be stopped from here",
                409,
                {"name": match["name"]},
            )
        sm = self._client("sagemaker")
        try:
            await self.run_blocking(
                reads.delete_app,
                sm,
                me.domain_id,
                request.space_name,
                request.app_type,
                request.app_name,
                action=Message.of("action.stop_app", f"stop {match['name']}", name=match["name"]),
            )
        except reads.Denied as d:
            raise SmCostError(
                "aws_access_denied",
                f"the role may not stop {match['name']}: it needs {d.permission}",
                403,
                {"name": match["name"], "permission": d.permission},
            ) from d
        state = self._state or {}
        state["items"] = [i for i in items if i is not match]
        state["totals"] = totals(state["items"])
        return {**state, "stopped": match["name"], "message": f"{match['name']} is stopping"}
