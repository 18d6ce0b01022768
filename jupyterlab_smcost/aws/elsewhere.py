"""What else bills for the user of this IDE (blocking boto3 reads; callers run them off the
event loop): the other InService apps of the Studio spaces they own, the endpoints and jobs
tagged with their space's or user profile's ARN, and (when the administrator allows it) the
other InService notebook instances the role can see.

A section the role may not read raises :class:`Denied` naming the IAM permission; the caller
hides that section with that one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from botocore.exceptions import ClientError

from ..janitor.endpoints import (
    _ConfigCache,
    describe_endpoint_usage,
    fetch_sums,
    invocation_queries,
)
from .errors import ACCESS_CODES, AwsError, error_code

#: Studio app type -> the Price List component its instance is billed under
APP_COMPONENTS = {
    "JupyterLab": "Studio-JupyterLab",
    "CodeEditor": "studio-codeeditor",
    "KernelGateway": "Studio-Notebook",
}
#: the tags SageMaker puts on what is created from a Studio space or user profile
SPACE_ARN_TAG = "sagemaker:space-arn"
USER_PROFILE_ARN_TAG = "sagemaker:user-profile-arn"
TAGGED_TYPES = ("sagemaker:endpoint", "sagemaker:training-job", "sagemaker:processing-job")
_IAM_PREFIX = {"sagemaker": "sagemaker", "tagging": "tag", "cloudwatch": "cloudwatch"}


class Denied(Exception):
    """The role may not do ``permission`` (``sagemaker:ListApps``)."""

    def __init__(self, permission: str) -> None:
        super().__init__(permission)
        self.permission = permission


def _denied(exc: ClientError, service: str) -> Optional[Denied]:
    if error_code(exc) not in ACCESS_CODES:
        return None
    op = getattr(exc, "operation_name", "") or "?"
    return Denied(f"{_IAM_PREFIX.get(service, service)}:{op}")


def _converted(exc: AwsError, service: str) -> Optional[Denied]:
    """An access denied the janitor's helpers already turned into an AwsError."""
    if exc.code != "aws_access_denied":
        return None
    m = re.search(r"AWS denied (\w+)", exc.message)
    return Denied(f"{_IAM_PREFIX.get(service, service)}:{m.group(1) if m else '?'}")


def _call(service: str, fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except ClientError as exc:
        denied = _denied(exc, service)
        if denied:
            raise denied from exc
        raise


def _pages(service: str, client: Any, op: str, key: str, **kwargs: Any) -> list[dict]:
    out: list[dict] = []
    try:
        for page in client.get_paginator(op).paginate(**kwargs):
            out.extend(page.get(key, []))
    except ClientError as exc:
        denied = _denied(exc, service)
        if denied:
            raise denied from exc
        raise
    return out


def _utc(value: Any) -> Optional[datetime]:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


@dataclass
class Running:
    """One thing that bills right now."""

    kind: str  # app | endpoint | training_job | processing_job | notebook_instance
    name: str
    instance_type: Optional[str]
    instance_count: int
    component: Optional[str]  # Price List component; None: not priced here
    started_at: Optional[datetime]
    space: Optional[str] = None
    app_type: Optional[str] = None
    app_name: Optional[str] = None
    shared: bool = False
    stoppable: bool = False
    note: Optional[str] = None  # e.g. no invocations for a day
    parts: list[tuple[str, int]] = field(default_factory=list)  # endpoint variants


@dataclass
class StudioIdentity:
    """This IDE in Studio: a space's app, or (``space_name`` None) a Studio Classic user's
    JupyterServer, whose KernelGateway apps the panel already counts as its own."""

    domain_id: str
    space_name: Optional[str]
    app_type: str
    app_name: str
    user_profile: Optional[str] = None


def studio_apps(sm: Any, me: StudioIdentity) -> tuple[list[Running], dict[str, str]]:
    """The other InService apps of the spaces this space's owner owns (and their own
    user-profile apps); with ``{"space_arn", "user_profile", "user_profile_arn"}``. For a
    Studio Classic user: the apps of the spaces they own (their own user-profile apps are
    this IDE's, in the panel's figures)."""
    if me.space_name is None:
        return _classic_user_apps(sm, me)
    space = _call("sagemaker", sm.describe_space, DomainId=me.domain_id, SpaceName=me.space_name)
    owner = (space.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
    spaces = _pages("sagemaker", sm, "list_spaces", "Spaces", DomainIdEquals=me.domain_id)
    owned = _owned_spaces(spaces, owner)
    owned.setdefault(me.space_name, (space.get("SpaceSharingSettings") or {}).get("SharingType"))
    out = _owned_apps(sm, me, owner, owned, own_profile_apps=True)
    domain_arn_head = space["SpaceArn"].split(":space/")[0]
    ident = {"space_arn": space["SpaceArn"], "user_profile": owner or ""}
    if owner:
        ident["user_profile_arn"] = f"{domain_arn_head}:user-profile/{me.domain_id}/{owner}"
    return out, ident


def _owned_spaces(spaces: list[dict], owner: Optional[str]) -> dict[str, Optional[str]]:
    """The spaces ``owner`` owns: name -> sharing type."""
    return {
        s["SpaceName"]: (s.get("SpaceSharingSettingsSummary") or {}).get("SharingType")
        for s in spaces
        if owner and (s.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName") == owner
    }


def _owned_apps(
    sm: Any,
    me: StudioIdentity,
    owner: Optional[str],
    owned: dict[str, Optional[str]],
    *,
    own_profile_apps: bool,
) -> list[Running]:
    """The InService apps of the ``owned`` spaces (name -> sharing type), and of ``owner``'s
    user profile when ``own_profile_apps``; never this very IDE."""
    apps = _pages("sagemaker", sm, "list_apps", "Apps", DomainIdEquals=me.domain_id)
    out: list[Running] = []
    for a in apps:
        if a.get("Status") != "InService":
            continue
        in_space = a.get("SpaceName") in owned
        mine = own_profile_apps and owner and a.get("UserProfileName") == owner
        if not in_space and not mine:
            continue
        if (a.get("SpaceName"), a["AppType"], a["AppName"]) == (
            me.space_name,
            me.app_type,
            me.app_name,
        ):
            continue  # this very IDE: the panel's own figures
        where = (
            {"SpaceName": a["SpaceName"]} if in_space else {"UserProfileName": a["UserProfileName"]}
        )
        d = _call(
            "sagemaker",
            sm.describe_app,
            DomainId=me.domain_id,
            AppType=a["AppType"],
            AppName=a["AppName"],
            **where,
        )
        itype = (d.get("ResourceSpec") or {}).get("InstanceType")
        if itype in (None, "system"):
            continue  # the free system instance of a Classic JupyterServer
        out.append(
            Running(
                kind="app",
                name=f"{a.get('SpaceName') or a.get('UserProfileName')}/{a['AppType']}",
                instance_type=itype,
                instance_count=1,
                component=APP_COMPONENTS.get(a["AppType"]),
                started_at=_utc(d.get("CreationTime") or a.get("CreationTime")),
                space=a.get("SpaceName"),
                app_type=a["AppType"],
                app_name=a["AppName"],
                shared=in_space and owned.get(a["SpaceName"]) == "Shared",
                stoppable=in_space,
            )
        )
    return out


def _classic_user_apps(sm: Any, me: StudioIdentity) -> tuple[list[Running], dict[str, str]]:
    profile = _call(
        "sagemaker",
        sm.describe_user_profile,
        DomainId=me.domain_id,
        UserProfileName=me.user_profile,
    )
    owner = me.user_profile
    spaces = _pages("sagemaker", sm, "list_spaces", "Spaces", DomainIdEquals=me.domain_id)
    owned = _owned_spaces(spaces, owner)
    out = _owned_apps(sm, me, owner, owned, own_profile_apps=False)
    return out, {"user_profile": owner or "", "user_profile_arn": profile["UserProfileArn"]}


def tagged_resources(
    tagging: Any, sm: Any, cloudwatch: Any, tags: dict[str, str], now: datetime
) -> list[Running]:
    """Endpoints (InService), training and processing jobs (InProgress) that carry one of
    ``tags`` (key -> value); an endpoint not invoked in the last 24 h says so."""
    arns: set[str] = set()
    for key, value in tags.items():
        for r in _pages(
            "tagging",
            tagging,
            "get_resources",
            "ResourceTagMappingList",
            TagFilters=[{"Key": key, "Values": [value]}],
            ResourceTypeFilters=list(TAGGED_TYPES),
        ):
            arns.add(r["ResourceARN"])
    out: list[Running] = []
    endpoints = []
    configs = _ConfigCache(sm)
    for arn in sorted(arns):
        kind, _, name = arn.split(":", 5)[-1].partition("/")
        if kind == "endpoint":
            summary = {"EndpointName": name, "EndpointArn": arn}
            try:
                usage = describe_endpoint_usage(sm, summary, configs)
            except AwsError as exc:
                raise _converted(exc, "sagemaker") or exc from exc
            if usage is not None:
                endpoints.append(usage)
        elif kind == "training-job":
            d = _call("sagemaker", sm.describe_training_job, TrainingJobName=name)
            if d.get("TrainingJobStatus") == "InProgress":
                rc = d.get("ResourceConfig") or {}
                out.append(
                    Running(
                        "training_job",
                        name,
                        rc.get("InstanceType"),
                        int(rc.get("InstanceCount") or 1),
                        "Training",
                        _utc(d.get("TrainingStartTime") or d.get("CreationTime")),
                    )
                )
        elif kind == "processing-job":
            d = _call("sagemaker", sm.describe_processing_job, ProcessingJobName=name)
            if d.get("ProcessingJobStatus") == "InProgress":
                cc = (d.get("ProcessingResources") or {}).get("ClusterConfig") or {}
                out.append(
                    Running(
                        "processing_job",
                        name,
                        cc.get("InstanceType"),
                        int(cc.get("InstanceCount") or 1),
                        "Processing",
                        _utc(d.get("ProcessingStartTime") or d.get("CreationTime")),
                    )
                )
    if endpoints:
        start, end = now - timedelta(hours=24), now
        queries = invocation_queries(endpoints, 24 * 3600)
        try:
            sums = fetch_sums(cloudwatch, [q for _, q in queries], start, end)
        except AwsError as exc:
            raise _converted(exc, "cloudwatch") or exc from exc
        for v, q in queries:
            v.invocations = sums[q["Id"]]
        for e in endpoints:
            variants = [v for v in e.variants if not v.serverless and v.instance_type]
            out.append(
                Running(
                    "endpoint",
                    e.name,
                    variants[0].instance_type if len(variants) == 1 else None,
                    sum(v.instance_count for v in variants),
                    "Hosting",
                    _utc(datetime.fromisoformat(e.created_at)) if e.created_at else None,
                    note="no invocations in the last 24 h" if e.idle else None,
                    parts=[(v.instance_type or "", v.instance_count) for v in variants],
                )
            )
    return out


def notebook_instances(sm: Any, own_name: Optional[str]) -> list[Running]:
    """The InService notebook instances the role can list, this one left out."""
    found = _pages(
        "sagemaker",
        sm,
        "list_notebook_instances",
        "NotebookInstances",
        StatusEquals="InService",
    )
    return [
        Running(
            "notebook_instance",
            n["NotebookInstanceName"],
            n.get("InstanceType"),
            1,
            "Notebook",
            _utc(n.get("LastModifiedTime") or n.get("CreationTime")),
        )
        for n in found
        if n["NotebookInstanceName"] != own_name
    ]


def delete_app(sm: Any, domain_id: str, space: str, app_type: str, app_name: str) -> None:
    _call(
        "sagemaker",
        sm.delete_app,
        DomainId=domain_id,
        SpaceName=space,
        AppType=app_type,
        AppName=app_name,
    )
