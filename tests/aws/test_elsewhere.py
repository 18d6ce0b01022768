""" "Still running elsewhere" with botocore Stubber (moto has no apps or spaces): the exact
ListApps / DescribeApp / DescribeSpace / GetResources requests, the totals, the rate bound, a
missing permission, and Stop (DeleteApp)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from support.elsewhere_stubs import NOW, SPACE_ARN, T0, D, stub_listing
from support.rest import validate_response
from support.sm_stub import REGION, client_error, factory, stubbed

from jupyterlab_smcost.elsewhere import ElsewhereWatch
from jupyterlab_smcost.environments import StudioSpaceEnvironment
from jupyterlab_smcost.errors import SmCostError
from jupyterlab_smcost.pricing import PriceBook
from jupyterlab_smcost.requests import ElsewhereStop


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


async def inline(fn, *args, action="", executor=None):
    return fn(*args)


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
    assert e.value.params == {"name": "team-shared/CodeEditor", "permission": "sagemaker:DeleteApp"}


def test_unavailable_outside_studio():
    from types import SimpleNamespace

    local = SimpleNamespace(kind="local", region="us-east-1")  # only its kind is read
    w = ElsewhereWatch(local, PriceBook(), logging.getLogger("t"), inline)
    doc = asyncio.run(w.get())
    assert doc["state"] == "unavailable" and w.listings == 0
    validate_response("/elsewhere", "get", 200, doc)


def test_a_failed_listing_carries_its_error_code(watch):
    """An AWS failure of the whole listing: ``message`` in English and ``error`` (code and
    params) for the panel to say it in the user's language."""
    from botocore.exceptions import ClientError

    from jupyterlab_smcost.aws.errors import as_aws_error

    w, _, _ = watch
    exc = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "ListApps")

    async def throttled(fn, *args, action="", executor=None):
        raise as_aws_error(exc, action)

    failing = ElsewhereWatch(w.env, PriceBook(), logging.getLogger("t"), throttled)
    doc = asyncio.run(failing.get())
    assert doc["state"] == "error" and "AWS throttled ListApps" in doc["message"]
    assert doc["error"]["code"] == "aws_throttled"
    assert doc["error"]["params"]["operation"] == "ListApps"
    assert doc["error"]["params"]["action"] == "list what else runs"
    validate_response("/elsewhere", "get", 200, doc)


# ------------------------------------------------- the jobs this server started (issue 18 §2)


def started_jobs(env, tmp_path, records):
    """A real jobs service over ``records``, its DescribeTrainingJob on a Stubber."""
    from jupyterlab_smcost.aws.training import TrainingJobs
    from jupyterlab_smcost.jobs import JobConfig, JobService
    from jupyterlab_smcost.jobs.records import JobRecords

    sm, stub = stubbed("sagemaker")
    jobs = JobService(
        env,
        PriceBook(),
        TrainingJobs(lambda s: sm, REGION),
        JobRecords(tmp_path / "jobs.json", logging.getLogger("t")),
        tmp_path,
        JobConfig(),
        inline,
        logging.getLogger("t"),
        clock=lambda: NOW,
    )
    for i, (name, state, itype) in enumerate(records):
        jobs.records.put(
            {
                "name": name,
                "path": f"{name}.py",
                "kind": "script",
                "instance_type": itype,
                "instance_count": 1,
                "spot": False,
                "max_runtime_s": 3600,
                "started_at": (T0 + timedelta(minutes=i)).isoformat(),
                "bucket": "team-bucket",
                "prefix": f"jobs/{name}",
                "state": state,
            }
        )
    return jobs, stub


def described(name, state, itype):
    return {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/{name}",
        "TrainingJobStatus": state,
        "SecondaryStatus": "Training",
        "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
        "ResourceConfig": {"InstanceType": itype, "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "ModelArtifacts": {"S3ModelArtifacts": ""},
        "CreationTime": T0,
        "TrainingStartTime": T0,
    }


def test_jobs_started_here_are_listed_untagged_and_never_twice(watch, tmp_path):
    w, clock, (sm, tagging, cw) = watch
    jobs, job_stub = started_jobs(
        w.env,
        tmp_path,
        [
            ("alice-train", "InProgress", "ml.g4dn.xlarge"),  # tagged too: found both ways
            ("smcost-prep-untagged", "InProgress", "ml.c5.xlarge"),  # tags not propagated
            ("smcost-old", "Completed", "ml.c5.xlarge"),  # ended: not described, not listed
        ],
    )
    w.started = jobs
    for name, itype in (
        ("smcost-prep-untagged", "ml.c5.xlarge"),
        ("alice-train", "ml.g4dn.xlarge"),
    ):
        job_stub.add_response(
            "describe_training_job",
            described(name, "InProgress", itype),
            {"TrainingJobName": name},
        )
    stub_listing(sm, tagging, cw, endpoint_invocations=[3.0])

    doc = asyncio.run(w.get())

    validate_response("/elsewhere", "get", 200, doc)
    job_stub.assert_no_pending_responses()
    assert [(s["name"], s["available"]) for s in doc["sections"]] == [
        ("started_jobs", True),
        ("studio_apps", True),
        ("tagged", True),
    ]
    names = [i["name"] for i in doc["items"] if i["kind"] == "training_job"]
    assert sorted(names) == ["alice-train", "smcost-prep-untagged"]  # alice-train once
    by_name = {i["name"]: i for i in doc["items"]}
    untagged = by_name["smcost-prep-untagged"]
    assert untagged["note"] == "started from this server"
    assert by_name["alice-train"]["note"] == "started from this server"
    c5 = PriceBook().price(REGION, "Training", "ml.c5.xlarge")
    assert untagged["price"]["per_hour"] == c5.per_hour
    assert untagged["price"]["source"] == c5.source
    assert untagged["running_s"] == int((NOW - T0).total_seconds()) - 60
    assert doc["totals"][0]["per_hour"] == pytest.approx(
        sum(i["price"]["per_hour"] for i in doc["items"] if i["price"]["per_hour"] is not None)
    )


def test_outside_studio_the_running_jobs_started_here_are_listed(tmp_path):
    from types import SimpleNamespace

    local = SimpleNamespace(kind="notebook-instance", region=REGION)
    w = ElsewhereWatch(local, PriceBook(), logging.getLogger("t"), inline, clock=lambda: NOW)
    jobs, job_stub = started_jobs(local, tmp_path, [("smcost-a", "Completed", "ml.c5.xlarge")])
    w.started = jobs
    assert asyncio.run(w.get())["state"] == "unavailable"  # nothing runs: nothing to list
    jobs.records.put({**jobs.records.get("smcost-a"), "name": "smcost-b", "state": "InProgress"})
    job_stub.add_response(
        "describe_training_job",
        described("smcost-b", "InProgress", "ml.c5.xlarge"),
        {"TrainingJobName": "smcost-b"},
    )
    doc = asyncio.run(w.get())
    validate_response("/elsewhere", "get", 200, doc)
    assert doc["sections"] == [
        {"name": "started_jobs", "available": True, "missing_permission": None}
    ]
    assert [i["name"] for i in doc["items"]] == ["smcost-b"]
    job_stub.assert_no_pending_responses()


def test_a_studio_classic_user_sees_the_apps_of_the_spaces_they_own():
    """Studio Classic: the user's own JupyterServer and KernelGateway apps are this IDE (the
    panel's figures); the JupyterLab and Code Editor apps of the spaces they own are listed,
    and resources tagged with their user profile's ARN."""
    from support.elsewhere_stubs import JOB_ARN, PROFILE_ARN, listed, space, stub_training_job
    from support.sm_stub import app

    from jupyterlab_smcost.environments import StudioClassicEnvironment

    sm, sm_stub = stubbed("sagemaker")
    tagging, tag_stub = stubbed("resourcegroupstaggingapi")
    cw, cw_stub = stubbed("cloudwatch")
    env = StudioClassicEnvironment(
        REGION,
        D,
        user_profile="alice",
        client_factory=factory(sagemaker=sm, resourcegroupstaggingapi=tagging, cloudwatch=cw),
    )
    w = ElsewhereWatch(env, PriceBook(), logging.getLogger("t"), inline, clock=Clock())
    sm_stub.add_response(
        "describe_user_profile",
        {"DomainId": D, "UserProfileName": "alice", "UserProfileArn": PROFILE_ARN},
        {"DomainId": D, "UserProfileName": "alice"},
    )
    sm_stub.add_response(
        "list_spaces",
        {"Spaces": [space("alice-gpu", "alice"), space("bob-space", "bob")]},
        {"DomainIdEquals": D},
    )
    sm_stub.add_response(
        "list_apps",
        {
            "Apps": [
                listed("default", "JupyterServer", user="alice"),  # this IDE
                listed("datascience-1-0-ml-t3-medium-1a2b", "KernelGateway", user="alice"),
                listed("default", "JupyterLab", space_name="alice-gpu"),
                listed("default", "JupyterLab", space_name="bob-space"),  # not hers
            ]
        },
        {"DomainIdEquals": D},
    )
    sm_stub.add_response(
        "describe_app",
        app(D, "default", "JupyterLab", "InService", "ml.g4dn.xlarge", None,
            {"SpaceName": "alice-gpu"}, T0),
        {"DomainId": D, "AppType": "JupyterLab", "AppName": "default", "SpaceName": "alice-gpu"},
    )  # fmt: skip
    tag_stub.add_response(
        "get_resources",
        {"ResourceTagMappingList": [{"ResourceARN": JOB_ARN}]},
        {
            "TagFilters": [{"Key": "sagemaker:user-profile-arn", "Values": [PROFILE_ARN]}],
            "ResourceTypeFilters": [
                "sagemaker:endpoint",
                "sagemaker:training-job",
                "sagemaker:processing-job",
            ],
        },
    )
    stub_training_job(sm_stub)

    doc = asyncio.run(w.get())

    validate_response("/elsewhere", "get", 200, doc)
    for s in (sm_stub, tag_stub, cw_stub):
        s.assert_no_pending_responses()
    assert [(s["name"], s["available"]) for s in doc["sections"]] == [
        ("studio_apps", True),
        ("tagged", True),
    ]
    by_name = {i["name"]: i for i in doc["items"]}
    assert set(by_name) == {"alice-gpu/JupyterLab", "alice-train"}
    gpu = by_name["alice-gpu/JupyterLab"]
    assert (gpu["instance_type"], gpu["stoppable"]) == ("ml.g4dn.xlarge", True)


def test_a_studio_classic_shared_space_lists_no_apps():
    """A Classic shared space has no owner to list for: no Studio sections (nothing asked)."""
    from jupyterlab_smcost.environments import StudioClassicEnvironment

    sm, sm_stub = stubbed("sagemaker")
    env = StudioClassicEnvironment(REGION, D, space="team", client_factory=factory(sagemaker=sm))
    w = ElsewhereWatch(env, PriceBook(), logging.getLogger("t"), inline, clock=Clock())
    doc = asyncio.run(w.get())
    assert doc["state"] == "unavailable" and w.listings == 0
    sm_stub.assert_no_pending_responses()
