"""smcost/jobs from a Studio JupyterLab space stand-in: the space's own image
(SAGEMAKER_INTERNAL_IMAGE_URI), its owner's execution role (DescribeSpace ->
DescribeUserProfile, Stubber-checked: moto has no spaces), the space's ARN as a tag; S3 and
STS on moto; the CreateTrainingJob request pinned by the Stubber."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from support.aws import StubbedClients
from support.env_helpers import ACCOUNT, write_metadata
from support.rest import fetch_json, validate_response
from support.sm_stub import stubbed

from jupyterlab_smcost.aws.clients import make_client

REGION = "us-east-1"
DOMAIN, SPACE = "d-abc123", "alice-space"
SPACE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:space/{DOMAIN}/{SPACE}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/alice-execution"
IMAGE = "885854791233.dkr.ecr.us-east-1.amazonaws.com/sagemaker-distribution-prod:2.6-cpu"
NOW = datetime(2026, 12, 3, 11, 0, 0, tzinfo=timezone.utc)
NAME = "smcost-prep-20261203-110000"
APP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/{DOMAIN}/{SPACE}/JupyterLab/default"
PLACE_CALLS = ("describe_space", "describe_user_profile", "describe_domain")
TRAINING_CALLS = ("create_training_job", "describe_training_job", "stop_training_job")


class SpaceSageMaker:
    """The space's SageMaker client: its own DescribeApp answered as Studio does (it is
    polled in the background, so not through a Stubber queue), the job's calls through
    Stubber clients."""

    def __init__(self, place: Any, training: Any) -> None:
        self._place, self._training = place, training

    def describe_app(self, **kwargs: Any) -> dict[str, Any]:
        return {"Status": "InService", "ResourceSpec": {"InstanceType": "ml.t3.medium"}}

    def __getattr__(self, name: str) -> Any:
        if name in PLACE_CALLS:
            return getattr(self._place, name)
        if name in TRAINING_CALLS:
            return getattr(self._training, name)
        raise AssertionError(f"unexpected SageMaker call {name}")


@pytest.fixture
def stubs(moto_endpoint):
    place, place_stub = stubbed("sagemaker", REGION)
    training, training_stub = stubbed("sagemaker", REGION)
    yield place, place_stub, training, training_stub
    place_stub.assert_no_pending_responses()
    training_stub.assert_no_pending_responses()


@pytest.fixture
def jp_server_config(stubs, tmp_path, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_INTERNAL_IMAGE_URI", IMAGE)
    metadata = write_metadata(
        tmp_path,
        {
            "ResourceArn": APP_ARN,
            "ResourceName": "default",
            "DomainId": DOMAIN,
            "SpaceName": SPACE,
            "AppType": "JupyterLab",
        },
    )
    factory = StubbedClients(fallback=make_client)
    factory.add("sagemaker", SpaceSageMaker(stubs[0], stubs[2]))
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_smcost": True}},
        "SmCostApp": {
            "metadata_path": str(metadata),
            "live_prices": False,
            "settings_file": str(tmp_path / "idle-settings.json"),
            "history_file": "",
            "job_records_file": str(tmp_path / "jobs.json"),
            "job_s3_uri": "s3://team-bucket/jobs",
            "aws_client_factory": factory,
        },
    }


async def test_a_space_job_runs_on_the_spaces_image_and_owners_role(
    jp_fetch, jp_serverapp, jp_root_dir, stubs
):
    _, place_stub, _, training_stub = stubs
    svc = jp_serverapp.web_app.settings["smcost_service"]
    assert svc.env.kind == "studio-space"
    svc.jobs.clock = lambda: NOW
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="team-bucket")
    (jp_root_dir / "prep.py").write_text("print('prep')\n")
    place_stub.add_response(
        "describe_space",
        {
            "DomainId": DOMAIN,
            "SpaceName": SPACE,
            "SpaceArn": SPACE_ARN,
            "OwnershipSettings": {"OwnerUserProfileName": "alice"},
        },
        {"DomainId": DOMAIN, "SpaceName": SPACE},
    )
    place_stub.add_response(
        "describe_user_profile",
        {"DomainId": DOMAIN, "UserProfileName": "alice", "UserSettings": {"ExecutionRole": ROLE}},
        {"DomainId": DOMAIN, "UserProfileName": "alice"},
    )
    base = f"s3://team-bucket/jobs/{NAME}"
    s3 = {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}
    training_stub.add_response(
        "create_training_job",
        {"TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{NAME}"},
        {
            "TrainingJobName": NAME,
            "AlgorithmSpecification": {
                "TrainingImage": IMAGE,
                "TrainingInputMode": "File",
                "ContainerEntrypoint": ["python3", "/opt/ml/input/data/smcost/entry.py"],
            },
            "RoleArn": ROLE,
            "InputDataConfig": [
                {
                    "ChannelName": name,
                    "DataSource": {"S3DataSource": {**s3, "S3Uri": f"{base}/input/{name}/"}},
                    "InputMode": "File",
                }
                for name in ("smcost", "code")
            ],
            "OutputDataConfig": {"S3OutputPath": f"{base}/output"},
            "ResourceConfig": {
                "InstanceType": "ml.c5.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 30,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 1200},
            "EnableManagedSpotTraining": True,
            "CheckpointConfig": {
                "S3Uri": f"{base}/checkpoints",
                "LocalPath": "/opt/ml/checkpoints",
            },
            "Environment": {"SM_CHECKPOINT_DIR": "/opt/ml/checkpoints"},
            "Tags": [
                {"Key": "smcost:space-arn", "Value": SPACE_ARN},
                {"Key": "smcost:started-by", "Value": f"{DOMAIN}/{SPACE}/JupyterLab/default"},
            ],
        },
    )
    code, job = await fetch_json(
        jp_fetch,
        "smcost",
        "jobs",
        method="POST",
        body={"path": "prep.py", "instance_type": "ml.c5.xlarge", "max_runtime_s": 600},
    )
    validate_response("/jobs", "post", code, job)
    assert code == 202 and job["kind"] == "script" and job["name"] == NAME
    keys = {
        o["Key"]
        for o in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="team-bucket")[
            "Contents"
        ]
    }
    assert f"jobs/{NAME}/input/code/prep.py" in keys
    doc = json.loads(
        boto3.client("s3", region_name=REGION)
        .get_object(Bucket="team-bucket", Key=f"jobs/{NAME}/input/smcost/job.json")["Body"]
        .read()
    )
    assert doc["kind"] == "script" and doc["kernel"] is None
