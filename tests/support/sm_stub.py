"""botocore Stubber helpers: real clients (request/response checked against the API model),
no network."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import boto3
from botocore.stub import Stubber

REGION = "eu-west-1"


def stubbed(service: str = "sagemaker", region: str = REGION) -> tuple[Any, Stubber]:
    client = boto3.client(
        service,
        region_name=region,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        endpoint_url=f"https://{service}.{region}.amazonaws.com",
    )
    stub = Stubber(client)
    stub.activate()
    return client, stub


def factory(**clients: Any):
    """client_factory for the adapters: {'sagemaker': client, 'lambda': client}."""

    def make(service: str) -> Any:
        return clients[service]

    return make


def app(
    domain: str,
    name: str,
    app_type: str,
    status: str,
    itype: str | None = None,
    image: str | None = None,
    owner: dict[str, str] | None = None,
    created: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A DescribeApp response."""
    out: dict[str, Any] = {
        "AppArn": f"arn:aws:sagemaker:{REGION}:123456789012:app/{domain}/x/{app_type}/{name}",
        "AppType": app_type,
        "AppName": name,
        "DomainId": domain,
        "Status": status,
        "CreationTime": created or datetime(2026, 11, 1, tzinfo=timezone.utc),
        **(owner or {}),
        **extra,
    }
    if itype:
        spec = {"InstanceType": itype}
        if image:
            spec["SageMakerImageArn"] = image
        out["ResourceSpec"] = spec
    return out


def client_error(
    stub: Stubber,
    method: str,
    code: str,
    message: str = "",
    expected: dict[str, Any] | None = None,
    http: int = 400,
) -> None:
    stub.add_client_error(
        method,
        service_error_code=code,
        service_message=message or code,
        http_status_code=http,
        expected_params=expected,
    )
