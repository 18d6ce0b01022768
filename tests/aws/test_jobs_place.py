"""Where a job runs, as each environment adapter knows it (Stubber-checked SageMaker calls):
a Studio space's custom image (DescribeApp -> DescribeImageVersion's ECR base image), its
domain's default role for a shared space, SageMaker's own images left to the region's
default; a notebook instance's role; local mode says why it cannot."""

from __future__ import annotations

import pytest
from support.sm_stub import REGION, factory, stubbed

from jupyterlab_smcost.environments import (
    LocalEnvironment,
    NotebookInstanceEnvironment,
    StudioSpaceEnvironment,
)
from jupyterlab_smcost.errors import SmCostError

ACCOUNT = "123456789012"
D, SPACE = "d-abc", "team-space"
SPACE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:space/{D}/{SPACE}"
APP = {"DomainId": D, "SpaceName": SPACE, "AppType": "JupyterLab", "AppName": "default"}
BASE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/team-image:7"


def space(stub_client):
    return StudioSpaceEnvironment(
        REGION, D, SPACE, client_factory=factory(sagemaker=stub_client), sleep=lambda s: None
    )


def described_app(image_arn: str) -> dict:
    return {
        "AppArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:app/{D}/{SPACE}/JupyterLab/default",
        "AppType": "JupyterLab",
        "AppName": "default",
        "DomainId": D,
        "Status": "InService",
        "ResourceSpec": {"InstanceType": "ml.t3.medium", "SageMakerImageVersionArn": image_arn},
    }


@pytest.fixture(autouse=True)
def no_space_image(monkeypatch):
    monkeypatch.delenv("SAGEMAKER_INTERNAL_IMAGE_URI", raising=False)


def shared_space_answers(stub) -> None:
    # a shared space has no owner: the domain's default space role
    stub.add_response(
        "describe_space",
        {"DomainId": D, "SpaceName": SPACE, "SpaceArn": SPACE_ARN},
        {"DomainId": D, "SpaceName": SPACE},
    )
    stub.add_response(
        "describe_domain",
        {
            "DomainId": D,
            "DefaultSpaceSettings": {"ExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/space"},
            "DefaultUserSettings": {"ExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/user"},
        },
        {"DomainId": D},
    )


def test_a_custom_image_gives_its_ecr_base_image_and_the_domains_space_role():
    client, stub = stubbed()
    shared_space_answers(stub)
    version = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:image-version/team-image/7"
    stub.add_response("describe_app", described_app(version), APP)
    stub.add_response(
        "describe_image_version",
        {"BaseImage": BASE, "ImageVersionArn": version},
        {"ImageName": "team-image", "Version": 7},
    )
    place = space(client).job_place()
    stub.assert_no_pending_responses()
    assert place.image == BASE and "custom image" in place.image_source
    assert place.role_arn == f"arn:aws:iam::{ACCOUNT}:role/space"
    assert place.account == ACCOUNT and place.tags == (("smcost:space-arn", SPACE_ARN),)


def test_sagemakers_own_image_is_left_to_the_regions_default():
    client, stub = stubbed()
    shared_space_answers(stub)
    # SageMaker Distribution in Studio: an image of an AWS-owned account, not a training image
    owned = f"arn:aws:sagemaker:{REGION}:470317259841:image-version/sagemaker-distribution-cpu/3"
    stub.add_response("describe_app", described_app(owned), APP)
    place = space(client).job_place()
    stub.assert_no_pending_responses()
    assert place.image is None


def test_a_notebook_instance_gives_its_own_role():
    client, stub = stubbed()
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/dev"
    stub.add_response(
        "describe_notebook_instance",
        {
            "NotebookInstanceArn": arn,
            "NotebookInstanceName": "dev",
            "InstanceType": "ml.t3.medium",
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/nb",
        },
        {"NotebookInstanceName": "dev"},
    )
    env = NotebookInstanceEnvironment(REGION, "dev", client_factory=factory(sagemaker=client))
    place = env.job_place()
    assert place.role_arn == f"arn:aws:iam::{ACCOUNT}:role/nb" and place.account == ACCOUNT
    assert place.image is None and place.tags == (("smcost:notebook-instance-arn", arn),)


def test_local_mode_says_why():
    env = LocalEnvironment("us-east-1", "ml.t3.medium", "Studio-JupyterLab", lambda: None, [])
    with pytest.raises(SmCostError) as e:
        env.job_place()
    assert e.value.code == "jobs_unavailable" and e.value.status == 409
    assert e.value.message.startswith("Not on SageMaker")
