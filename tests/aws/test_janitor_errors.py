"""Failures and paging through botocore's Stubber (checked against the real API model).

The CLI must exit non-zero with one readable line; the Lambda handlers must raise.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from botocore.stub import ANY, Stubber
from support.moto_server import aws_env, patched_environ

from jupyterlab_smcost import cli
from jupyterlab_smcost.aws import clients
from jupyterlab_smcost.aws.errors import AwsError
from jupyterlab_smcost.janitor import endpoints, lambdas, notebooks

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
ACCESS_DENIED_MSG = (
    "User: arn:aws:sts::123456789012:assumed-role/janitor/x is not authorized to perform: "
    "sagemaker:ListEndpoints on resource: arn:aws:sagemaker:eu-west-1:123456789012:endpoint/*"
)


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def endpoint_responses(sm: Stubber, names: list[str]) -> None:
    sm.add_response(
        "list_endpoints",
        {
            "Endpoints": [
                {
                    "EndpointName": n,
                    "EndpointArn": f"arn:aws:sagemaker:eu-west-1:123456789012:endpoint/{n}",
                    "CreationTime": NOW,
                    "LastModifiedTime": NOW,
                    "EndpointStatus": "InService",
                }
                for n in names
            ]
        },
        {"StatusEquals": "InService", "MaxResults": 100},
    )
    for i, n in enumerate(names):
        sm.add_response(
            "describe_endpoint",
            {
                "EndpointName": n,
                "EndpointArn": f"arn:aws:sagemaker:eu-west-1:123456789012:endpoint/{n}",
                "EndpointConfigName": "cfg",
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
                        "CurrentInstanceCount": 2,
                        "DesiredInstanceCount": 2,
                    }
                ],
                "EndpointStatus": "InService",
                "CreationTime": NOW,
                "LastModifiedTime": NOW,
            },
            {"EndpointName": n},
        )
        if i == 0:
            sm.add_response(
                "describe_endpoint_config",
                {
                    "EndpointConfigName": "cfg",
                    "EndpointConfigArn": "arn:aws:sagemaker:eu-west-1:123456789012:"
                    "endpoint-config/cfg",
                    "ProductionVariants": [
                        {
                            "VariantName": "AllTraffic",
                            "ModelName": "m",
                            "InstanceType": "ml.m5.xlarge",
                            "InitialInstanceCount": 1,
                        }
                    ],
                    "CreationTime": NOW,
                },
                {"EndpointConfigName": "cfg"},
            )


def query(i: int, endpoint: str) -> dict:
    return {
        "Id": f"q{i}",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SageMaker",
                "MetricName": "Invocations",
                "Dimensions": [
                    {"Name": "EndpointName", "Value": endpoint},
                    {"Name": "VariantName", "Value": "AllTraffic"},
                ],
            },
            "Period": 86400,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }


def test_get_metric_data_request_shape_and_next_token_pages(stubs):
    sm, cw = stubs("sagemaker"), stubs("cloudwatch")
    endpoint_responses(sm, ["ep-1", "ep-2"])
    start = datetime(2026, 11, 25, 12, 1, tzinfo=timezone.utc)
    end = datetime(2026, 11, 26, 12, 1, tzinfo=timezone.utc)
    expected = {
        "MetricDataQueries": [query(0, "ep-1"), query(1, "ep-2")],
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    cw.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "q0", "Values": [], "Timestamps": [], "StatusCode": "PartialData"},
                {"Id": "q1", "Values": [], "Timestamps": [], "StatusCode": "PartialData"},
            ],
            "NextToken": "page-2",
        },
        expected,
    )
    cw.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {
                    "Id": "q1",
                    "Values": [2.0, 1.0],
                    "Timestamps": [start, start],
                    "StatusCode": "Complete",
                },
            ],
        },
        {**expected, "NextToken": "page-2"},
    )
    report = endpoints.find_idle_endpoints(
        clients.make_client("sagemaker"),
        clients.make_client("cloudwatch"),
        hours=24,
        now=NOW,
        workers=1,
    )
    assert [e.name for e in report.idle] == ["ep-1"]
    assert {e.name: e.invocations for e in report.endpoints} == {"ep-1": 0.0, "ep-2": 3.0}
    assert report.idle[0].per_day == pytest.approx(0.257 * 2 * 24)


def test_endpoint_deleted_while_checking_is_skipped(stubs):
    sm = stubs("sagemaker")
    stubs("cloudwatch")  # no metric call: nothing left to query
    sm.add_response(
        "list_endpoints",
        {
            "Endpoints": [
                {
                    "EndpointName": "gone",
                    "EndpointArn": "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/gone",
                    "CreationTime": NOW,
                    "LastModifiedTime": NOW,
                    "EndpointStatus": "InService",
                }
            ]
        },
    )
    sm.add_client_error(
        "describe_endpoint",
        service_error_code="ValidationException",
        service_message='Could not find endpoint "gone".',
        http_status_code=400,
    )
    report = endpoints.find_idle_endpoints(
        clients.make_client("sagemaker"), clients.make_client("cloudwatch"), now=NOW
    )
    assert report.endpoints == []
    assert report.skipped == [{"name": "gone", "reason": "deleted while checking"}]


def test_forbidden_metric_result_is_an_error_not_idle(stubs):
    sm, cw = stubs("sagemaker"), stubs("cloudwatch")
    endpoint_responses(sm, ["ep-1"])
    cw.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "q0", "Label": "Invocations", "StatusCode": "Forbidden"}]},
        {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY},
    )
    with pytest.raises(AwsError, match="Forbidden"):
        endpoints.find_idle_endpoints(
            clients.make_client("sagemaker"), clients.make_client("cloudwatch"), now=NOW
        )


def test_cli_access_denied_exits_1_with_one_line(stubs):
    stubs("sagemaker").add_client_error(
        "list_endpoints",
        service_error_code="AccessDeniedException",
        service_message=ACCESS_DENIED_MSG,
        http_status_code=400,
        expected_params={"StatusEquals": "InService", "MaxResults": 100},
    )
    stubs("cloudwatch")
    rc, out, err = run_cli("endpoints", "idle", "--hours", "24")
    assert rc == 1
    assert out == ""
    line = one_line(err)
    assert line.startswith(
        "jupyter smcost: error: AWS denied ListEndpoints while trying to "
        "list SageMaker endpoints: User: arn:aws:sts::"
    )
    assert "is not authorized to perform: sagemaker:ListEndpoints" in line


def test_cli_throttled_metric_read_exits_1(stubs):
    sm, cw = stubs("sagemaker"), stubs("cloudwatch")
    endpoint_responses(sm, ["ep-1"])
    cw.add_client_error(
        "get_metric_data",
        service_error_code="Throttling",
        service_message="Rate exceeded",
        http_status_code=400,
    )
    rc, out, err = run_cli("endpoints", "idle", "--json")
    assert rc == 1 and out == ""
    assert one_line(err) == (
        "jupyter smcost: error: AWS throttled GetMetricData while trying to read SageMaker "
        "Invocations from CloudWatch; it will be retried later."
    )


def test_cli_notify_access_denied_exits_1(stubs):
    sm, cw, sns = stubs("sagemaker"), stubs("cloudwatch"), stubs("sns")
    endpoint_responses(sm, ["ep-1"])
    cw.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "q0", "StatusCode": "Complete"}]},
    )
    topic = "arn:aws:sns:eu-west-1:123456789012:idle"
    sns.add_client_error(
        "publish",
        service_error_code="AuthorizationError",
        service_message="not allowed",
        http_status_code=403,
        expected_params={"TopicArn": topic, "Subject": ANY, "Message": ANY},
    )
    rc, out, err = run_cli("endpoints", "idle", "--notify-topic", topic)
    assert rc == 1
    assert one_line(err).startswith(
        "jupyter smcost: error: AWS denied Publish while trying to publish to SNS topic "
        f"{topic}: not allowed."
    )


def test_lambda_report_idle_raises_on_access_denied(stubs, monkeypatch):
    stubs("sagemaker").add_client_error(
        "list_endpoints",
        service_error_code="AccessDeniedException",
        service_message=ACCESS_DENIED_MSG,
        http_status_code=400,
    )
    stubs("cloudwatch")
    with pytest.raises(AwsError) as info:
        lambdas.report_idle_endpoints({}, None)
    assert info.value.code == "aws_access_denied"
    assert "AWS denied ListEndpoints" in str(info.value)


def notebook_list(sm: Stubber, items: list[tuple[str, str]], name_contains="dev-") -> None:
    sm.add_response(
        "list_notebook_instances",
        {
            "NotebookInstances": [
                {
                    "NotebookInstanceName": n,
                    "NotebookInstanceArn": f"arn:aws:sagemaker:eu-west-1:123456789012:"
                    f"notebook-instance/{n}",
                    "NotebookInstanceStatus": s,
                    "InstanceType": "ml.t3.medium",
                }
                for n, s in items
            ]
        },
        {"NameContains": name_contains, "MaxResults": 100},
    )


def test_notebook_states_in_transition_are_skipped(stubs):
    sm = stubs("sagemaker")
    notebook_list(
        sm,
        [
            ("dev-1", "Pending"),
            ("dev-2", "Stopped"),
            ("dev-3", "Stopping"),
            ("dev-4", "Failed"),
            ("dev-5", "InService"),
            ("dev-6", "Updating"),
        ],
    )
    sm.add_response("start_notebook_instance", {}, {"NotebookInstanceName": "dev-2"})
    report = notebooks.schedule_notebooks(clients.make_client("sagemaker"), "start", "dev-")
    assert report.acted == ["dev-2"]
    assert [(s["name"], s["reason"]) for s in report.skipped] == [
        ("dev-1", "Pending: only Stopped instances are started"),
        ("dev-3", "Stopping: only Stopped instances are started"),
        ("dev-4", "Failed: only Stopped instances are started"),
        ("dev-5", "already InService"),
        ("dev-6", "Updating: only Stopped instances are started"),
    ]


def test_notebook_failure_on_one_goes_on_then_fails(stubs, monkeypatch):
    sm = stubs("sagemaker")
    notebook_list(sm, [("dev-1", "InService"), ("dev-2", "InService")])
    sm.add_client_error(
        "stop_notebook_instance",
        service_error_code="ValidationException",
        service_message="Status (Stopping) not in ([InService])",
        http_status_code=400,
        expected_params={"NotebookInstanceName": "dev-1"},
    )
    sm.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": "dev-2"})
    rc, out, err = run_cli("notebooks", "stop", "--name-contains", "dev-")
    assert rc == 1
    assert [line.split() for line in out.splitlines()[3:4]] == [
        ["dev-1", "FAILED:"]
        + (
            "AWS rejected StopNotebookInstance while trying to stop notebook instance dev-1: "
            "Status (Stopping) not in ([InService])".split()
        )
    ]
    assert out.splitlines()[2].split() == ["dev-2", "stopped"]
    assert "1 stopped, 0 skipped, 1 failed (name contains 'dev-')." in out
    assert one_line(err) == (
        "jupyter smcost: error: 1 of 2 notebook instances could not stop: dev-1: AWS rejected "
        "StopNotebookInstance while trying to stop notebook instance dev-1: "
        "Status (Stopping) not in ([InService])"
    )


def test_lambda_stop_raises_on_access_denied_and_stops_trying(stubs, monkeypatch):
    sm = stubs("sagemaker")
    notebook_list(sm, [("dev-1", "InService"), ("dev-2", "InService")])
    sm.add_client_error(
        "stop_notebook_instance",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: sagemaker:StopNotebookInstance",
        http_status_code=400,
        expected_params={"NotebookInstanceName": "dev-1"},
    )
    monkeypatch.setenv("NAME_CONTAINS", "dev-")
    with pytest.raises(AwsError) as info:
        lambdas.stop_notebooks({}, None)
    assert info.value.code == "aws_access_denied"
    assert "StopNotebookInstance" in str(info.value)  # and dev-2 was not tried (no pending)


def test_lambda_start_raises_when_throttled(stubs, monkeypatch):
    stubs("sagemaker").add_client_error(
        "list_notebook_instances",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
    )
    monkeypatch.setenv("NAME_CONTAINS", "dev-")
    with pytest.raises(AwsError) as info:
        lambdas.start_notebooks({}, None)
    assert info.value.code == "aws_throttled"


def test_lambda_partial_failure_raises_after_the_rest(stubs, monkeypatch):
    sm = stubs("sagemaker")
    notebook_list(sm, [("dev-1", "Stopped"), ("dev-2", "Stopped")])
    sm.add_client_error(
        "start_notebook_instance",
        service_error_code="ResourceLimitExceeded",
        service_message="quota",
        http_status_code=400,
        expected_params={"NotebookInstanceName": "dev-1"},
    )
    sm.add_response("start_notebook_instance", {}, {"NotebookInstanceName": "dev-2"})
    monkeypatch.setenv("NAME_CONTAINS", "dev-")
    with pytest.raises(AwsError, match="1 of 2 notebook instances could not start"):
        lambdas.start_notebooks({}, None)


def test_cli_no_credentials_exits_1(tmp_path):
    env = aws_env("http://127.0.0.1:9")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(key)
    with patched_environ(env):
        import os

        os.environ.pop("AWS_ACCESS_KEY_ID", None)
        os.environ.pop("AWS_SECRET_ACCESS_KEY", None)
        rc, out, err = run_cli("notebooks", "start", "--name-contains", "dev-")
    assert rc == 1 and out == ""
    assert one_line(err).startswith(
        "jupyter smcost: error: No AWS credentials were found while trying to list SageMaker "
        "notebook instances."
    )


def test_cli_no_region_exits_1_for_account_commands():
    """Prices need no account (they default to us-east-1, see test_cli); the janitor's
    commands act on one region of an account and need it said."""
    env = aws_env("http://127.0.0.1:9")
    env.pop("AWS_DEFAULT_REGION")
    with patched_environ(env):
        rc, out, err = run_cli("notebooks", "stop", "--name-contains", "dev-")
    assert rc == 1 and out == ""
    assert one_line(err) == (
        "jupyter smcost: error: No AWS region is configured while trying to create the "
        "sagemaker client (set AWS_REGION)."
    )


def test_client_retries_default_and_environment(no_aws, monkeypatch):
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    monkeypatch.delenv("AWS_RETRY_MODE")
    client = clients.make_client("sagemaker")  # the server's: someone waits for it
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}
    client = lambdas._client("sagemaker")  # the janitor's: batches meet rate limits
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 8}
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    client = lambdas._client("sagemaker")
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 2}
