"""The fleet report of one Studio domain: every running app with its price, how long it has
run, its last activity, its owner and what idle shutdown covers it; totals per user and per
instance type; the GPU apps with no recent activity (pure: built from what
:mod:`.collect` read, a price book and a clock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from ..aws.partitions import currency_of
from ..pricing import HOURS_PER_DAY, USD, PriceBook, Quote
from ..pricing.quote import money
from .collect import DomainData
from .coverage import ORDER, Coverage, coverage, native_idle

#: Price List component of each Studio app type (apps on ``system`` are not billed)
APP_COMPONENTS = {
    "JupyterLab": "Studio-JupyterLab",
    "CodeEditor": "studio-codeeditor",
    "KernelGateway": "Studio-Notebook",
    "JupyterServer": "Studio-Notebook",
}
GPU_QUIET_HOURS = 2.0


@dataclass(frozen=True)
class FleetApp:
    app_type: str
    app_name: str
    space: Optional[str]
    owner: Optional[str]  # the user profile: the space's owner, or the app's own profile
    shared: bool
    instance_type: Optional[str]
    price: Quote
    created: Optional[datetime]
    last_activity: Optional[datetime]
    hours_running: Optional[float]
    hours_since_activity: Optional[float]
    gpu: bool
    cover: Coverage

    def to_json(self) -> dict[str, Any]:
        return {
            "app_type": self.app_type,
            "app_name": self.app_name,
            "space": self.space,
            "owner": self.owner,
            "shared": self.shared,
            "instance_type": self.instance_type,
            "price": self.price.to_json(),
            "per_day": self.price.for_hours(HOURS_PER_DAY),
            "currency": self.price.currency,
            "created": _iso(self.created),
            "last_activity": _iso(self.last_activity),
            "hours_running": _round(self.hours_running),
            "hours_since_activity": _round(self.hours_since_activity),
            "gpu": self.gpu,
            "coverage": self.cover.to_json(),
        }


@dataclass(frozen=True)
class Total:
    """What a group of apps costs per hour in one currency (unknown prices counted apart)."""

    key: str
    apps: int
    per_hour: float
    currency: str
    unpriced: int

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "apps": self.apps,
            "per_hour": round(self.per_hour, 4),
            "per_day": round(self.per_hour * HOURS_PER_DAY, 2),
            "currency": self.currency,
            "unpriced": self.unpriced,
        }


@dataclass
class FleetReport:
    domain_id: str
    region: str
    generated: datetime
    user_profiles: int
    spaces: int
    apps: list[FleetApp]
    per_user: list[Total]
    per_type: list[Total]
    gpu_quiet: list[FleetApp]
    gpu_quiet_hours: float
    truncated: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    retried_calls: int = 0
    #: Cost Explorer, last 30 days per user profile: {"users": [...], "currency", "note"}
    billed: Optional[dict[str, Any]] = None
    domain_arn: Optional[str] = None

    @property
    def uncovered(self) -> list[FleetApp]:
        return [a for a in self.apps if a.cover.mechanism == "none"]

    def to_json(self) -> dict[str, Any]:
        return {
            "domain_id": self.domain_id,
            "region": self.region,
            "generated": _iso(self.generated),
            "user_profiles": self.user_profiles,
            "spaces": self.spaces,
            "running_apps": len(self.apps),
            "uncovered_apps": len(self.uncovered),
            "apps": [a.to_json() for a in self.apps],
            "per_user": [t.to_json() for t in self.per_user],
            "per_instance_type": [t.to_json() for t in self.per_type],
            "gpu_quiet_hours": self.gpu_quiet_hours,
            "gpu_quiet": [
                a.app_name + (f" ({a.space})" if a.space else "") for a in self.gpu_quiet
            ],
            "billed_last_30_days": self.billed,
            "truncated": self.truncated,
            "problems": self.problems,
            "retried_calls": self.retried_calls,
        }

    def summary_line(self) -> str:
        per_day = {
            c: sum(t.per_hour for t in self.per_type if t.currency == c) * HOURS_PER_DAY
            for c in sorted({t.currency for t in self.per_type})
        }
        cost = "; ".join(f"{money(v, c)}/day" for c, v in per_day.items())
        unpriced = sum(t.unpriced for t in self.per_type)
        return (
            f"Domain {self.domain_id} ({self.region}): {len(self.apps)} running apps in "
            f"{self.spaces} spaces of {self.user_profiles} user profiles"
            + (f", {cost}" if cost else "")
            + (f" ({unpriced} without a known price)" if unpriced else "")
            + f"; {len(self.uncovered)} with no idle shutdown, "
            f"{len(self.gpu_quiet)} GPU apps with no activity in {self.gpu_quiet_hours:g} h."
        )


def _iso(t: Optional[datetime]) -> Optional[str]:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if t else None


def _round(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 2)


def _hours(now: datetime, then: Optional[datetime]) -> Optional[float]:
    if then is None:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return max(0.0, (now - then) / timedelta(hours=1))


def price_app(book: PriceBook, region: str, app_type: str, itype: Optional[str]) -> Quote:
    """The app's on-demand price: ``system`` instances are not billed; an app type with no
    known Price List component, or no instance type, is unknown (never made up)."""
    if itype == "system":
        return Quote(
            0.0,
            "not_billed",
            None,
            "runs on a system instance: not billed",
            region,
            currency=currency_of(region) or USD,
        )
    component = APP_COMPONENTS.get(app_type)
    if component is None or not itype:
        what = f"no Price List component is known for {app_type} apps" if not component else ""
        return Quote(
            None,
            "unknown",
            None,
            what or f"the {app_type} app reports no instance type",
            region,
            component or "",
            itype,
            currency=currency_of(region) or USD,
        )
    return book.price(region, component, itype)


def totals(apps: list[FleetApp], key: Any) -> list[Total]:
    """Per-hour totals grouped by ``key(app)`` and currency, dearest first."""
    groups: dict[tuple[str, str], list[FleetApp]] = {}
    for a in apps:
        groups.setdefault((key(a), a.price.currency), []).append(a)
    out = [
        Total(
            k,
            len(group),
            sum(a.price.per_hour or 0.0 for a in group),
            currency,
            sum(1 for a in group if a.price.per_hour is None),
        )
        for (k, currency), group in groups.items()
    ]
    return sorted(out, key=lambda t: (-t.per_hour, t.key))


def build_report(
    data: DomainData,
    book: PriceBook,
    now: datetime,
    gpu_quiet_hours: float = GPU_QUIET_HOURS,
) -> FleetReport:
    domain_users = data.domain.get("DefaultUserSettings") or {}
    domain_spaces = data.domain.get("DefaultSpaceSettings") or {}
    listed_spaces = {s["SpaceName"]: s for s in data.spaces if s.get("SpaceName")}
    apps: list[FleetApp] = []
    for a in data.apps:
        space_name = a.get("SpaceName")
        space = data.space_details.get(space_name or "") or {}
        summary = listed_spaces.get(space_name or "") or {}
        owner = (
            (space.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
            or (summary.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName")
            or a.get("UserProfileName")
        )
        shared = (
            (space.get("SpaceSharingSettings") or {}).get("SharingType")
            or (summary.get("SpaceSharingSettingsSummary") or {}).get("SharingType")
        ) == "Shared"
        user = (data.user_details.get(owner or "") or {}).get("UserSettings")
        spec = a.get("ResourceSpec") or {}
        itype = spec.get("InstanceType")
        arn = spec.get("LifecycleConfigArn")
        native = native_idle(
            a.get("AppType", ""),
            space.get("SpaceSettings"),
            user,
            domain_users,
            domain_spaces,
            shared=shared,
        )
        cover = coverage(
            a.get("AppType", ""),
            arn.rsplit("/", 1)[-1] if arn else None,
            data.smcost_policies.get(arn) if arn else None,
            native,
        )
        kind = book.kind(itype) if itype and itype != "system" else None
        last = a.get("LastUserActivityTimestamp")
        apps.append(
            FleetApp(
                app_type=a.get("AppType", ""),
                app_name=a.get("AppName", ""),
                space=space_name,
                owner=owner,
                shared=shared,
                instance_type=itype,
                price=price_app(book, data.region, a.get("AppType", ""), itype),
                created=a.get("CreationTime"),
                last_activity=last,
                hours_running=_hours(now, a.get("CreationTime")),
                hours_since_activity=_hours(now, last),
                gpu=kind == "GPU",
                cover=cover,
            )
        )
    apps.sort(key=lambda x: (ORDER[x.cover.mechanism], -(x.price.per_hour or 0.0), x.space or ""))
    quiet = [
        a
        for a in apps
        if a.gpu and (a.hours_since_activity is None or a.hours_since_activity >= gpu_quiet_hours)
    ]
    return FleetReport(
        domain_id=data.domain_id,
        region=data.region,
        generated=now,
        user_profiles=len(data.user_profiles),
        spaces=len(data.spaces),
        apps=apps,
        per_user=totals(apps, lambda x: x.owner or "(no owner)"),
        per_type=totals(apps, lambda x: x.instance_type or "(none)"),
        gpu_quiet=quiet,
        gpu_quiet_hours=gpu_quiet_hours,
        truncated=list(data.truncated),
        problems=list(data.problems),
        retried_calls=data.retried_calls,
        domain_arn=data.domain.get("DomainArn"),
    )
