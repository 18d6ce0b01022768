"""smcost/jobs end to end on a notebook instance: a real jupyter_server, moto for the
notebook instance, S3 and STS, and a botocore Stubber (checked against the API model) that
pins the exact CreateTrainingJob request, for Spot and on demand, and answers
DescribeTrainingJob / StopTrainingJob as SageMaker does (moto runs no container and has no
StopTrainingJob)."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from support.aws import StubbedClients
from support.env_helpers import ACCOUNT, ROLE, create_notebook_instance, notebook_metadata
from support.rest import fetch_json, validate_response
from support.sm_stub import client_error, stubbed

from jupyterlab_smcost.aws.clients import make_client

REGION = "us-east-1"  # the bundled snapshot has us-east-1 Training prices
NOW = datetime(2026, 12, 3, 10, 45, 1, tzinfo=timezone.utc)
NAME = "smcost-train-20261203-104501"
BUCKET = f"sagemaker-{REGION}-{ACCOUNT}"
BASE = f"s3://{BUCKET}/smcost-jobs/{NAME}"
IMAGE = "885854791233.dkr.ecr.us-east-1.amazonaws.com/sagemaker-distribution-prod:3.0.0-cpu"
TRAINING_CALLS = ("create_training_job", "describe_training_job", "stop_training_job")


class TrainingStub:
    """A SageMaker client: training-job calls go to the Stubber, the rest to moto."""

    def __init__(self, moto: Any, stub_client: Any) -> None:
        self._moto, self._stub = moto, stub_client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stub if name in TRAINING_CALLS else self._moto, name)


@pytest.fixture
def training(moto_endpoint):
    client, stub = stubbed("sagemaker", REGION)
    yield client, stub
    stub.assert_no_pending_responses()


@pytest.fixture
def jp_server_config(moto_endpoint, training, tmp_path):
    arn = create_notebook_instance("dev-alice", "ml.t3.medium", region=REGION)
    factory = StubbedClients(fallback=make_client)
    factory.add("sagemaker", TrainingStub(make_client("sagemaker", REGION), training[0]))
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_smcost": True}},
        "SmCostApp": {
            "metadata_path": str(notebook_metadata(tmp_path, "dev-alice", arn)),
            "live_prices": False,
            "settings_file": str(tmp_path / "idle-settings.json"),
            "history_file": "",
            "job_records_file": str(tmp_path / "jobs.json"),
            "aws_client_factory": factory,
        },
    }


@pytest.fixture
def jobs(jp_serverapp, jp_root_dir):
    svc = jp_serverapp.web_app.settings["smcost_service"].jobs
    svc.clock = lambda: NOW
    nb = {
        "cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": []}],
        "metadata": {
            "kernelspec": {"name": "python3__SAGEMAKER_INTERNAL__kernel", "display_name": "P"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (jp_root_dir / "train.ipynb").write_text(json.dumps(nb))
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "a.csv").write_text("1,2\n")
    (jp_root_dir / "requirements.txt").write_text("tqdm\n")
    return svc


def expected_request(spot: bool) -> dict[str, Any]:
    s3 = {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}
    request: dict[str, Any] = {
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
                "DataSource": {"S3DataSource": {**s3, "S3Uri": f"{BASE}/input/{name}/"}},
                "InputMode": "File",
            }
            for name in ("smcost", "code")
        ],
        "OutputDataConfig": {"S3OutputPath": f"{BASE}/output"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 2,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "Environment": {"SM_CHECKPOINT_DIR": "/opt/ml/checkpoints"},
        "Tags": [
            {
                "Key": "smcost:notebook-instance-arn",
                "Value": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/dev-alice",
            },
            {"Key": "smcost:started-by", "Value": "dev-alice"},
        ],
    }
    if spot:
        request["EnableManagedSpotTraining"] = True
        request["StoppingCondition"]["MaxWaitTimeInSeconds"] = 5400
        request["CheckpointConfig"] = {
            "S3Uri": f"{BASE}/checkpoints",
            "LocalPath": "/opt/ml/checkpoints",
        }
    return request


def described(status: str, billable: int | None = None, spot: bool = True, **extra: Any) -> dict:
    out: dict[str, Any] = {
        "TrainingJobName": NAME,
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{NAME}",
        "ModelArtifacts": {"S3ModelArtifacts": f"{BASE}/output/{NAME}/output/model.tar.gz"},
        "TrainingJobStatus": status,
        "SecondaryStatus": "Completed" if status == "Completed" else "Training",
        "AlgorithmSpecification": {"TrainingInputMode": "File"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 2,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": NOW,
        "TrainingStartTime": NOW + timedelta(minutes=2),
        "EnableManagedSpotTraining": spot,
        **extra,
    }
    if billable is not None:
        out.update(
            BillableTimeInSeconds=billable,
            TrainingTimeInSeconds=1800,
            TrainingEndTime=NOW + timedelta(minutes=32),
        )
    return out


JOB = {
    "path": "train.ipynb",
    "instance_type": "ml.m5.xlarge",
    "instance_count": 2,
    "max_runtime_s": 3600,
    "include": ["data"],
    "requirements": "requirements.txt",
    "parameters": {"epochs": 3},
}


def arn_response() -> dict[str, str]:
    return {"TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{NAME}"}


def put_outputs(s3: Any, files: dict[str, bytes]) -> None:
    """What SageMaker uploads when the job ends: /opt/ml/output/data as output.tar.gz."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    key = f"smcost-jobs/{NAME}/output/{NAME}/output/output.tar.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=buf.getvalue())


async def test_spot_job_request_upload_cost_after_and_outputs(
    jp_fetch, jp_root_dir, jobs, training
):
    _, stub = training
    stub.add_response("create_training_job", arn_response(), {**expected_request(spot=True)})
    code, job = await fetch_json(
        jp_fetch, "smcost", "jobs", method="POST", body={**JOB, "max_wait_s": 5400}
    )
    validate_response("/jobs", "post", code, job)
    assert code == 202 and job["name"] == NAME and job["state"] == "InProgress"
    before = job["cost_before"]
    assert before["price"]["component"] == "Training" and before["spot_up_to"] == 0.9
    assert before["worst_case"] == pytest.approx(round(before["price"]["per_hour"] * 2, 4))

    # what reached S3 (moto): the default bucket was created, everything under <job>/input
    s3 = boto3.client("s3", region_name=REGION)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    prefix = f"smcost-jobs/{NAME}/input/"
    assert keys == {
        prefix + "smcost/entry.py",
        prefix + "smcost/job.json",
        prefix + "code/train.ipynb",
        prefix + "code/data/a.csv",
        prefix + "code/requirements.txt",
    }
    doc = json.loads(s3.get_object(Bucket=BUCKET, Key=prefix + "smcost/job.json")["Body"].read())
    assert doc == {
        "name": NAME,
        "kind": "notebook",
        "path": "train.ipynb",
        "kernel": "python3",  # SageMaker's internal kernelspec name, mapped
        "parameters": {"epochs": 3},
        "requirements": "requirements.txt",
    }

    # running: no cost after yet
    stub.add_response("describe_training_job", described("InProgress"), {"TrainingJobName": NAME})
    code, listed = await fetch_json(jp_fetch, "smcost", "jobs")
    validate_response("/jobs", "get", code, listed)
    assert listed["available"] is True
    [job] = listed["jobs"]
    assert job["state"] == "InProgress" and job["cost_after"]["amount"] is None

    # ended: billable 600 s of 1800 s on 2 instances; the outputs come down next to it
    put_outputs(s3, {"train.ipynb": b'{"executed": true}', "metrics.json": b"{}"})
    (jp_root_dir / f"train-{NAME}").mkdir()  # a folder of that name exists: never touched
    stub.add_response(
        "describe_training_job", described("Completed", billable=600), {"TrainingJobName": NAME}
    )
    code, listed = await fetch_json(jp_fetch, "smcost", "jobs")
    validate_response("/jobs", "get", code, listed)
    [job] = listed["jobs"]
    per_hour = job["cost_after"]["price"]["per_hour"]
    assert job["state"] == "Completed" and job["elapsed_s"] == 1800
    assert job["cost_after"]["amount"] == pytest.approx(round(600 / 3600 * 2 * per_hour, 4))
    assert job["cost_after"]["spot_saving"] == pytest.approx(0.6667)
    assert job["cost_after"]["saved"] == pytest.approx(round(1200 / 3600 * 2 * per_hour, 4))
    amount = job["cost_after"]["amount"]
    assert job["ended_at"] == (NOW + timedelta(minutes=32)).isoformat()
    assert listed["spend"] == {
        "currency": "USD",
        "days": [{"date": "2026-12-03", "amount": amount}],
        "month_to_date": amount,
        "unknown": 0,
        "running": 0,
    }
    folder = f"train-{NAME}-2"
    assert job["outputs"]["dir"] == folder
    assert job["outputs"]["files"] == [f"{folder}/metrics.json", f"{folder}/train.ipynb"]
    assert (jp_root_dir / folder / "train.ipynb").read_bytes() == b'{"executed": true}'
    assert list((jp_root_dir / f"train-{NAME}").iterdir()) == []

    # ended jobs are not described again, and cannot be stopped
    code, listed = await fetch_json(jp_fetch, "smcost", "jobs")
    assert listed["jobs"][0]["cost_after"]["billable_s"] == 600
    code, body = await fetch_json(jp_fetch, "smcost", "jobs", NAME, method="DELETE")
    assert code == 409 and body["error"]["code"] == "job_ended"


async def test_on_demand_request_has_no_spot_fields_and_stop_works(jp_fetch, jobs, training):
    _, stub = training
    stub.add_response("create_training_job", arn_response(), expected_request(spot=False))
    code, job = await fetch_json(
        jp_fetch, "smcost", "jobs", method="POST", body={**JOB, "spot": False}
    )
    assert code == 202, job
    assert job["cost_before"]["spot_up_to"] is None
    stub.add_response("stop_training_job", {}, {"TrainingJobName": NAME})
    stub.add_response(
        "describe_training_job",
        described("Stopping", spot=False),
        {"TrainingJobName": NAME},
    )
    code, job = await fetch_json(jp_fetch, "smcost", "jobs", NAME, method="DELETE")
    validate_response("/jobs/{name}", "delete", code, job)
    assert code == 202 and job["state"] == "Stopping"


@pytest.mark.parametrize(
    "aws_code, message, expected_code, words",
    [
        (
            "AccessDeniedException",
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/x is not authorized to perform: "
            f"iam:PassRole on resource: {ROLE}",
            "aws_pass_role",
            "iam:PassRole",
        ),
        (
            "ResourceLimitExceeded",
            "The account-level service limit 'ml.m5.xlarge for spot training job usage' is 0 "
            "Instances, with current utilization of 0 Instances and a request delta of 2",
            "aws_quota",
            "ml.m5.xlarge for spot training job usage",
        ),
    ],
)
async def test_refusals_are_sentences(
    jp_fetch, jobs, training, aws_code, message, expected_code, words
):
    _, stub = training
    client_error(stub, "create_training_job", aws_code, message)
    code, body = await fetch_json(jp_fetch, "smcost", "jobs", method="POST", body=JOB)
    validate_response("/jobs", "post", code, body)
    assert code == 502
    assert body["error"]["code"] == expected_code
    assert words in body["error"]["message"]
    if expected_code == "aws_quota":
        assert "Service Quotas" in body["error"]["message"]
