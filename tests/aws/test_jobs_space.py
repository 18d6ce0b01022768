"""GET smcost/jobs in a Studio space also lists the space's training jobs not started from
here, found by their tags (``smcost:space-arn``, or Studio's propagated
``sagemaker:space-arn``): moto for ListTrainingJobs, ListTags and DescribeTrainingJob; a
Stubber for the refusal. Listed at a bounded rate; marked not started here; a job the records
know is listed once, as started here."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from support.env_helpers import ACCOUNT, ROLE
from support.rest import validate_response
from support.sm_stub import client_error, stubbed

from jupyterlab_smcost.aws.clients import make_client
from jupyterlab_smcost.aws.training import TrainingJobs
from jupyterlab_smcost.environments import JobPlace
from jupyterlab_smcost.jobs import JobConfig, JobService
from jupyterlab_smcost.jobs.records import JobRecords
from jupyterlab_smcost.pricing import PriceBook, load_bundled

REGION = "us-east-1"
SPACE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:space/d-abc123/alice-space"
OTHER_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:space/d-abc123/bob-space"


class SpaceEnv:
    """What the jobs service reads of a Studio space adapter."""

    kind = "studio-space"
    region = REGION

    def job_place(self) -> JobPlace:
        return JobPlace(role_arn=ROLE, tags=(("smcost:space-arn", SPACE_ARN),))


async def blocking(fn: Any, *args: Any, action: str = "") -> Any:
    return await asyncio.to_thread(fn, *args)


def service(training: TrainingJobs, tmp_path: Path, clock: Any) -> JobService:
    return JobService(
        SpaceEnv(),  # type: ignore[arg-type]
        PriceBook(load_bundled()),
        training,
        JobRecords(tmp_path / "jobs.json", logging.getLogger("test")),
        tmp_path,
        JobConfig(),
        blocking,
        logging.getLogger("test"),
        clock=clock,
    )


def create_job(sm: Any, name: str, tags: dict[str, str], itype: str = "ml.m5.xlarge") -> None:
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": "img:1", "TrainingInputMode": "File"},
        RoleArn=ROLE,
        OutputDataConfig={"S3OutputPath": "s3://b/out"},
        ResourceConfig={"InstanceType": itype, "InstanceCount": 2, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 1800},
        EnableManagedSpotTraining=True,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )


async def test_the_spaces_other_jobs_are_listed_by_their_tags(moto_endpoint, tmp_path):
    sm = boto3.client("sagemaker", region_name=REGION)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="team-bucket")  # outputs: none
    create_job(sm, "ours-elsewhere", {"smcost:space-arn": SPACE_ARN})
    create_job(sm, "sdk-fit", {"sagemaker:space-arn": SPACE_ARN}, "ml.g5.xlarge")
    create_job(sm, "bobs", {"sagemaker:space-arn": OTHER_ARN})
    create_job(sm, "untagged", {})
    create_job(sm, "from-here", {"smcost:space-arn": SPACE_ARN})
    now = [datetime.now(timezone.utc)]
    training = TrainingJobs(lambda s: make_client(s, REGION), REGION)
    jobs = service(training, tmp_path, lambda: now[0])
    jobs.records.put(
        {
            "name": "from-here",
            "path": "train.ipynb",
            "kind": "notebook",
            "instance_type": "ml.m5.xlarge",
            "instance_count": 2,
            "spot": True,
            "max_runtime_s": 1800,
            "started_at": now[0].isoformat(),
            "bucket": "team-bucket",
            "prefix": "p",
            "state": "InProgress",
        }
    )
    listed = await jobs.list()
    validate_response("/jobs", "get", 200, listed)
    by_name = {j["name"]: j for j in listed["jobs"]}
    assert sorted(by_name) == ["from-here", "ours-elsewhere", "sdk-fit"]
    assert [j["name"] for j in listed["jobs"]].count("from-here") == 1  # never twice
    assert by_name["from-here"]["started_here"] is True
    other = by_name["sdk-fit"]
    assert other["started_here"] is False and other["path"] is None
    assert other["outputs"] is None  # nothing downloaded for a job not started here
    assert other["instance_type"] == "ml.g5.xlarge" and other["instance_count"] == 2
    assert other["spot"] is True and other["state"] == "Completed"
    price = jobs.price("ml.g5.xlarge")
    assert other["cost_before"]["worst_case"] == price.for_hours(1800 / 3600 * 2)
    assert other["cost_after"]["price"]["source"] == price.source
    assert listed["space_jobs"] == {"listed": True, "missing_permission": None, "message": None}
    assert jobs.space.listings == 1

    # within the interval: no new listing, even with a new tagged job
    create_job(sm, "later", {"smcost:space-arn": SPACE_ARN})
    listed = await jobs.list()
    assert jobs.space.listings == 1 and "later" not in {j["name"] for j in listed["jobs"]}
    now[0] += timedelta(seconds=jobs.space.interval_s)
    listed = await jobs.list()
    assert jobs.space.listings == 2 and "later" in {j["name"] for j in listed["jobs"]}
    # the spend counts only the jobs started from here
    assert listed["spend"]["running"] == 0 and listed["spend"]["unknown"] == 1


async def test_a_refused_listing_says_the_permission_and_keeps_the_own_jobs(tmp_path):
    sm, stub = stubbed("sagemaker", REGION)
    client_error(
        stub,
        "list_training_jobs",
        "AccessDeniedException",
        "User is not authorized to perform: sagemaker:ListTrainingJobs",
    )
    training = TrainingJobs(lambda s: sm, REGION)
    jobs = service(training, tmp_path, lambda: datetime.now(timezone.utc))
    listed = await jobs.list()
    validate_response("/jobs", "get", 200, listed)
    assert listed["jobs"] == []
    assert listed["space_jobs"] == {
        "listed": False,
        "missing_permission": "sagemaker:ListTrainingJobs",
        "message": None,
    }
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("kind", ["local", "notebook-instance"])
async def test_elsewhere_there_is_no_space_listing(tmp_path, kind):
    env = SpaceEnv()  # the same tags: only the kind differs
    env.kind = kind  # type: ignore[misc]
    sm, stub = stubbed("sagemaker", REGION)  # any call would fail: none is queued
    jobs = service(TrainingJobs(lambda s: sm, REGION), tmp_path, lambda: datetime.now(timezone.utc))
    jobs.env = env  # type: ignore[assignment]
    listed = await jobs.list()
    assert listed["space_jobs"] is None and listed["jobs"] == []
