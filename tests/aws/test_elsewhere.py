""" "Still running elsewhere" with botocore Stubber (moto has no apps or spaces): the exact
ListApps / DescribeApp / DescribeSpace / GetResources requests, the totals, the rate bound, a
missing permission, and Stop (DeleteApp)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import pytest
from support.rest import validate_response
from support.sm_stub import REGION, app, client_error, factory, stubbed

from jupyterlab_smcost.elsewhere import ElsewhereWatch
from jupyterlab_smcost.environments import StudioSpaceEnvironment
from jupyterlab_smcost.errors import SmCostError
from jupyterlab_smcost.pricing import PriceBook
from jupyterlab_smcost.requests import ElsewhereStop

D = "d-abc123"
ACCOUNT = "123456789012"
SPACE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:space/{D}/alice-space"
PROFILE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/{D}/alice"
EP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/alice-ep"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/alice-train"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def space(name, owner, sharing="Private"):
    return {
        "DomainId": D,
        "SpaceName": name,
        "Status": "InService",
        "SpaceSharingSettingsSummary": {"SharingType": sharing},
        "OwnershipSettingsSummary": {"OwnerUserProfileName": owner},
    }


def listed(name, app_type, status="InService", space_name=None, user=None):
    out = {"DomainId": D, "AppType": app_type, "AppName": name, "Status": status}
    out.update({"SpaceName": space_name} if space_name else {"UserProfileName": user})
    return out


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


async def inline(fn, *args, action="", executor=None):
    return fn(*args)


def stub_listing(sm, tagging, cw, *, endpoint_invocations: list[float]):
    sm.add_response(
        "describe_space",
        {
            "DomainId": D,
            "SpaceArn": SPACE_ARN,
            "SpaceName": "alice-space",
            "OwnershipSettings": {"OwnerUserProfileName": "alice"},
            "SpaceSharingSettings": {"SharingType": "Private"},
        },
        {"DomainId": D, "SpaceName": "alice-space"},
    )
    sm.add_response(
        "list_spaces",
        {
            "Spaces": [
                space("alice-space", "alice"),
                space("alice-gpu", "alice"),
                space("team-shared", "alice", "Shared"),
                space("bob-space", "bob"),
            ]
        },
        {"DomainIdEquals": D},
    )
    sm.add_response(
        "list_apps",
        {
            "Apps": [
                listed("default", "JupyterLab", space_name="alice-space"),  # this IDE
                listed("default", "JupyterLab", space_name="alice-gpu"),
                listed("old", "JupyterLab", "Deleted", space_name="alice-gpu"),
                listed("default", "CodeEditor", space_name="team-shared"),
                listed("default", "JupyterLab", space_name="bob-space"),  # not hers
            ]
        },
        {"DomainIdEquals": D},
    )
    for name, app_type, itype in (
        ("alice-gpu", "JupyterLab", "ml.g4dn.xlarge"),
        ("team-shared", "CodeEditor", "ml.m5.xlarge"),
    ):
        sm.add_response(
            "describe_app",
            app(D, "default", app_type, "InService", itype, None, {"SpaceName": name}, T0),
            {"DomainId": D, "AppType": app_type, "AppName": "default", "SpaceName": name},
        )
    for key, value, arn in (
        ("sagemaker:space-arn", SPACE_ARN, EP_ARN),
        ("sagemaker:user-profile-arn", PROFILE_ARN, JOB_ARN),
    ):
        tagging.add_response(
            "get_resources",
            {"ResourceTagMappingList": [{"ResourceARN": arn}]},
            {
                "TagFilters": [{"Key": key, "Values": [value]}],
                "ResourceTypeFilters": [
                    "sagemaker:endpoint",
                    "sagemaker:training-job",
                    "sagemaker:processing-job",
                ],
            },
        )
    sm.add_response(
        "describe_endpoint",
        {
            "EndpointName": "alice-ep",
            "EndpointArn": EP_ARN,
            "EndpointConfigName": "alice-cfg",
            "EndpointStatus": "InService",
            "CreationTime": T0,
            "LastModifiedTime": T0,
            "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 2}],
        },
        {"EndpointName": "alice-ep"},
    )
    sm.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "alice-cfg",
            "EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/alice-cfg",
            "CreationTime": T0,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 2,
                }
            ],
        },
        {"EndpointConfigName": "alice-cfg"},
    )
    sm.add_response(
        "describe_training_job",
        {
            "TrainingJobName": "alice-train",
            "TrainingJobArn": JOB_ARN,
            "TrainingJobStatus": "InProgress",
            "SecondaryStatus": "Training",
            "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
            "ResourceConfig": {
                "InstanceType": "ml.g4dn.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 30,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "ModelArtifacts": {"S3ModelArtifacts": ""},
            "CreationTime": T0,
            "TrainingStartTime": T0,
        },
        {"TrainingJobName": "alice-train"},
    )
    cw.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "q0", "Label": "x", "Values": endpoint_invocations, "StatusCode": "Complete"}
            ]
        },
    )


@pytest.fixture
def watch():
    sm, sm_stub = stubbed("sagemaker")
    tagging, tag_stub = stubbed("resourcegroupstaggingapi")
    cw, cw_stub = stubbed("cloudwatch")
    env = StudioSpaceEnvironment(
        REGION,
        D,
        "alice-space",
        client_factory=factory(sagemaker=sm, resourcegroupstaggingapi=tagging, cloudwatch=cw),
    )
    clock = Clock()
    w = ElsewhereWatch(
        env, PriceBook(), logging.getLogger("test"), inline, interval_s=300, clock=clock
    )
    yield w, clock, (sm_stub, tag_stub, cw_stub)
    for s in (sm_stub, tag_stub, cw_stub):
        s.assert_no_pending_responses()


def test_listing_totals_rate_and_missing_permission(watch):
    w, clock, (sm, tagging, cw) = watch
    stub_listing(sm, tagging, cw, endpoint_invocations=[])

    doc = asyncio.run(w.get())

    validate_response("/elsewhere", "get", 200, doc)
    assert doc["state"] == "ok"
    assert [(s["name"], s["available"]) for s in doc["sections"]] == [
        ("studio_apps", True),
        ("tagged", True),
    ]
    by_name = {i["name"]: i for i in doc["items"]}
    assert set(by_name) == {
        "alice-gpu/JupyterLab",
        "team-shared/CodeEditor",
        "alice-ep",
        "alice-train",
    }
    book = PriceBook()
    gpu = by_name["alice-gpu/JupyterLab"]
    assert (gpu["instance_type"], gpu["stoppable"], gpu["shared"]) == (
        "ml.g4dn.xlarge",
        True,
        False,
    )
    assert gpu["running_s"] == 3 * 3600 and gpu["started_at"] == T0.isoformat()
    g4 = book.price(REGION, "Studio-JupyterLab", "ml.g4dn.xlarge").per_hour
    assert gpu["price"]["per_hour"] == g4
    shared = by_name["team-shared/CodeEditor"]
    assert shared["shared"] is True and shared["app_type"] == "CodeEditor"
    m5 = book.price(REGION, "studio-codeeditor", "ml.m5.xlarge").per_hour
    assert shared["price"]["per_hour"] == m5
    ep = by_name["alice-ep"]
    hosting = book.price(REGION, "Hosting", "ml.m5.xlarge").per_hour
    assert ep["kind"] == "endpoint" and ep["instance_count"] == 2
    assert ep["price"]["per_hour"] == pytest.approx(2 * hosting)
    assert ep["note"] == "no invocations in the last 24 h"
    train = by_name["alice-train"]
    training = book.price(REGION, "Training", "ml.g4dn.xlarge")
    assert train["kind"] == "training_job" and train["stoppable"] is False
    assert train["price"]["per_hour"] == training.per_hour
    (total,) = doc["totals"]
    known = [i["price"]["per_hour"] for i in doc["items"] if i["price"]["per_hour"] is not None]
    assert total["currency"] == "USD"
    assert total["per_hour"] == pytest.approx(sum(known))
    assert total["per_day"] == pytest.approx(round(sum(known) * 24, 2))
    assert total["unpriced"] == len(doc["items"]) - len(known)

    # within the interval: the same answer, no AWS call (no stubbed response is left)
    clock.now += timedelta(seconds=299)
    assert asyncio.run(w.get()) is doc and w.listings == 1

    # past it: one new listing; ListApps denied hides the apps with the permission named,
    # the tagged section needs the space ARN only
    clock.now += timedelta(seconds=2)
    sm.add_response(
        "describe_space",
        {
            "DomainId": D,
            "SpaceArn": SPACE_ARN,
            "SpaceName": "alice-space",
            "OwnershipSettings": {"OwnerUserProfileName": "alice"},
        },
    )
    sm.add_response("list_spaces", {"Spaces": []})
    client_error(sm, "list_apps", "AccessDeniedException", "not authorized", http=403)

    async def twice():
        first = await w.get()  # starts the listing, answers the old one meanwhile
        await w._task
        return first, await w.get()

    old, new = asyncio.run(twice())
    assert old is doc and w.listings == 2
    assert new["sections"] == [
        {"name": "studio_apps", "available": False, "missing_permission": "sagemaker:ListApps"}
    ]
    assert new["items"] == [] and new["totals"] == []
    validate_response("/elsewhere", "get", 200, new)


def test_stop_deletes_only_a_listed_app_of_her_spaces(watch):
    w, clock, (sm, tagging, cw) = watch
    stub_listing(sm, tagging, cw, endpoint_invocations=[3.0])
    doc = asyncio.run(w.get())
    assert next(i for i in doc["items"] if i["name"] == "alice-ep")["note"] is None

    with pytest.raises(SmCostError) as e:
        asyncio.run(w.stop(ElsewhereStop("bob-space", "JupyterLab", "default")))
    assert e.value.status == 404

    sm.add_response(
        "delete_app",
        {},
        {"DomainId": D, "SpaceName": "alice-gpu", "AppType": "JupyterLab", "AppName": "default"},
    )
    got = asyncio.run(w.stop(ElsewhereStop("alice-gpu", "JupyterLab", "default")))
    assert got["stopped"] == "alice-gpu/JupyterLab"
    assert "alice-gpu/JupyterLab" not in {i["name"] for i in got["items"]}
    validate_response("/elsewhere/stop", "post", 200, got)

    client_error(sm, "delete_app", "AccessDeniedException", "not authorized", http=403)
    with pytest.raises(SmCostError) as e:
        asyncio.run(w.stop(ElsewhereStop("team-shared", "CodeEditor", "default")))
    assert e.value.status == 403 and "sagemaker:DeleteApp" in e.value.message


def test_unavailable_outside_studio():
    from types import SimpleNamespace

    local = SimpleNamespace(kind="local", region="us-east-1")  # only its kind is read
    w = ElsewhereWatch(local, PriceBook(), logging.getLogger("t"), inline)
    doc = asyncio.run(w.get())
    assert doc["state"] == "unavailable" and w.listings == 0
    validate_response("/elsewhere", "get", 200, doc)
