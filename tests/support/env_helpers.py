"""Helpers for the environment tests (moto through AWS_ENDPOINT_URL, metadata files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole"


def create_notebook_instance(
    name: str, instance_type: str = "ml.t3.medium", region: str = REGION
) -> str:
    """Create one in moto (through AWS_ENDPOINT_URL); returns its ARN."""
    sm = boto3.client("sagemaker", region_name=region)
    arn = sm.create_notebook_instance(
        NotebookInstanceName=name, InstanceType=instance_type, RoleArn=ROLE
    )["NotebookInstanceArn"]
    return arn


def notebook_metadata(tmp_path: Path, name: str, arn: str) -> Path:
    """The resource-metadata.json a notebook instance has."""
    path = tmp_path / "resource-metadata.json"
    path.write_text(json.dumps({"ResourceArn": arn, "ResourceName": name}))
    return path


def write_metadata(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "resource-metadata.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path
