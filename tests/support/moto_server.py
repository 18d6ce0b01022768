"""A moto server for the janitor tests and benchmark (a helper module, not a conftest).

boto3 reaches it only through the standard resolution: ``AWS_ENDPOINT_URL``, dummy
credentials, ``AWS_DEFAULT_REGION``; retries are set to one attempt because moto answers
HTTP 500 for what it does not implement. Its fixtures (``aws``, ``moto_url``) reach every
test: tests/conftest.py loads this module as a plugin.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account

_CLEARED_PREFIXES = ("AWS_ENDPOINT_URL_",)
_CLEARED = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def aws_env(url: str, region: str = REGION) -> dict[str, str]:
    """The environment that points boto3 at the moto server at ``url``."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for key in list(os.environ):
        if key in _CLEARED or key.startswith(_CLEARED_PREFIXES):
            del os.environ[key]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def moto_server() -> Iterator[str]:
    """Start a ThreadedMotoServer on 127.0.0.1 (free port); yields its URL. moto keeps its
    resources per process, not per server: each server starts from none."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        reset(f"http://{host}:{port}")
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def reset(url: str) -> None:
    """Forget every resource (moto's reset API)."""
    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 (127.0.0.1 only)
        resp.read()


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def aws(moto_url: str) -> Iterator[str]:
    """A clean moto account for one test, with the environment pointing at it."""
    reset(moto_url)
    with patched_environ(aws_env(moto_url)):
        yield moto_url


@pytest.fixture
def no_aws() -> Iterator[None]:
    """Dummy credentials and region, no endpoint: for Stubber tests (nothing leaves)."""
    env = aws_env("http://127.0.0.1:9")  # a port nothing listens on
    with patched_environ(env):
        yield


@pytest.fixture
def stubs(no_aws, monkeypatch):
    """Stubbed clients, handed out by the package's client factory (aws.clients.make_client);
    all responses must be used."""
    from botocore.stub import Stubber

    from jupyterlab_smcost.aws import clients as aws_clients

    real_make_client = aws_clients.make_client
    clients: dict[str, tuple] = {}

    def factory(service, region=None, **kwargs):
        if service not in clients:
            client = real_make_client(service, region, **kwargs)
            stubber = Stubber(client)
            stubber.activate()
            clients[service] = (client, stubber)
        return clients[service][0]

    monkeypatch.setattr(aws_clients, "make_client", factory)

    def stub(service):
        factory(service)
        return clients[service][1]

    yield stub
    for _client, stubber in clients.values():
        stubber.assert_no_pending_responses()


# ------------------------------------------------------------------------- resource makers


def make_notebooks(stopped_by_name: dict[str, bool]) -> None:
    """Create notebook instances in moto; those mapped to True are stopped."""
    import boto3

    sm = boto3.client("sagemaker")
    for name, stopped in stopped_by_name.items():
        sm.create_notebook_instance(
            NotebookInstanceName=name,
            InstanceType="ml.t3.medium",
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
        )
        if stopped:
            sm.stop_notebook_instance(NotebookInstanceName=name)


def make_endpoints(
    sagemaker,
    names: list[str],
    variants: list[tuple[str, str, int]],
    config_name: str = "cfg",
) -> None:
    """Endpoints sharing one config whose variants are (variant, instance type, count)."""
    sagemaker.create_model(
        ModelName=f"{config_name}-model",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
        PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/m:latest"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=config_name,
        ProductionVariants=[
            {
                "VariantName": v,
                "ModelName": f"{config_name}-model",
                "InstanceType": t,
                "InitialInstanceCount": n,
                "InitialVariantWeight": 1.0,
            }
            for v, t, n in variants
        ],
    )
    for name in names:
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name)


def put_invocations(cloudwatch, items: list[tuple[str, str, float]], when=None) -> None:
    """Invocations data points for (endpoint, variant, count), both dimensions set."""
    from datetime import datetime, timedelta, timezone

    when = when or datetime.now(timezone.utc) - timedelta(minutes=5)
    data = [
        {
            "MetricName": "Invocations",
            "Dimensions": [
                {"Name": "EndpointName", "Value": e},
                {"Name": "VariantName", "Value": v},
            ],
            "Timestamp": when,
            "Value": float(n),
            "Unit": "None",
        }
        for e, v, n in items
    ]
    for i in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=data[i : i + 1000])
