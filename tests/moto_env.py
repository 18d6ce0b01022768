"""A moto server for the environment tests, reached only through AWS_ENDPOINT_URL.

Import the fixtures from a test module: ``from moto_env import moto_server, moto_endpoint``.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point boto3's standard resolution at the moto server (fresh state per test)."""
    req = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(req).read()
    for var in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield moto_server


def create_notebook_instance(name: str, instance_type: str = "ml.t3.medium",
                             region: str = REGION) -> str:
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
