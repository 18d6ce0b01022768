"""Account janitor against a moto server: idle endpoints, SNS, notebook start/stop, Lambdas."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from support.moto_server import (
    REGION,
    aws_env,
    make_endpoints,
    make_notebooks,
    patched_environ,
    put_invocations,
    reset,
)

from jupyterlab_smcost.aws import clients
from jupyterlab_smcost.aws.errors import AwsError
from jupyterlab_smcost.janitor import endpoints, lambdas, notebooks


def count_calls(*clients) -> Counter:
    """Operation name -> calls made, through botocore's before-call event."""
    calls: Counter = Counter()
    for client in clients:
        client.meta.events.register(
            "before-call.*.*", lambda model, **kw: calls.update([model.name])
        )
    return calls


def capture_metric_queries(cloudwatch) -> list[dict]:
    seen: list[dict] = []

    def hook(params, model, **kw):
        if model.name == "GetMetricData":
            seen.extend(params["MetricDataQueries"])

    cloudwatch.meta.events.register("before-parameter-build.cloudwatch.GetMetricData", hook)
    return seen


SMALL = [f"small-{i:03d}" for i in range(110)]  # 1 x AllTraffic, 2 x ml.m5.xlarge
AB = [f"ab-{i}" for i in range(5)]  # A: 1 x ml.g4dn.xlarge, B: 1 x ml.m5.xlarge


@pytest.fixture
def fleet(aws):
    """117 InService endpoints over 4 configs, some invoked in the last 24 h."""
    sm = boto3.client("sagemaker")
    cw = boto3.client("cloudwatch")
    make_endpoints(sm, SMALL, [("AllTraffic", "ml.m5.xlarge", 2)], "small")
    make_endpoints(sm, AB, [("A", "ml.g4dn.xlarge", 1), ("B", "ml.m5.xlarge", 1)], "ab")
    make_endpoints(sm, ["odd-0"], [("AllTraffic", "ml.c5d.large", 1)], "odd")  # no price anywhere
    make_endpoints(sm, ["big-0"], [("AllTraffic", "ml.m5.2xlarge", 3)], "big")  # estimated
    put_invocations(
        cw,
        [
            ("small-000", "AllTraffic", 5),
            ("ab-0", "B", 3),  # one busy variant makes the endpoint busy
            ("ab-1", "C", 7),  # a variant ab-1 does not have: still idle
            ("nosuch", "AllTraffic", 9),  # another endpoint: nobody's business
        ],
    )
    # invoked, but 30 h ago: idle over 24 h, busy over 48 h
    put_invocations(
        cw,
        [("small-001", "AllTraffic", 4)],
        when=datetime.now(timezone.utc) - timedelta(hours=30),
    )
    return sm, cw


def test_idle_endpoints_paginated_priced_and_batched(fleet):
    sm = clients.make_client("sagemaker")
    cw = clients.make_client("cloudwatch")
    calls = count_calls(sm, cw)
    queries = capture_metric_queries(cw)

    report = endpoints.find_idle_endpoints(sm, cw, hours=24)

    assert len(report.endpoints) == 117
    idle = {e.name for e in report.idle}
    assert idle == set(SMALL + AB + ["odd-0", "big-0"]) - {"small-000", "ab-0"}
    # 117 endpoints: two list pages; one config describe per config; 122 variant queries
    # fit one get_metric_data call
    assert calls["ListEndpoints"] == 2
    assert calls["DescribeEndpoint"] == 117
    assert calls["DescribeEndpointConfig"] == 4
    assert calls["GetMetricData"] == 1
    assert calls["GetMetricStatistics"] == 0

    # every query names both dimensions (real CloudWatch matches dimensions exactly)
    assert len(queries) == 110 + 5 * 2 + 1 + 1
    pairs = set()
    for q in queries:
        stat = q["MetricStat"]
        assert stat["Metric"]["Namespace"] == "AWS/SageMaker"
        assert stat["Metric"]["MetricName"] == "Invocations"
        assert stat["Stat"] == "Sum"
        assert stat["Period"] == 24 * 3600
        dims = stat["Metric"]["Dimensions"]
        assert [d["Name"] for d in dims] == ["EndpointName", "VariantName"]
        pairs.add((dims[0]["Value"], dims[1]["Value"]))
    assert {("ab-3", "A"), ("ab-3", "B"), ("small-109", "AllTraffic")} <= pairs
    assert len(pairs) == len(queries)

    by_name = {e.name: e for e in report.endpoints}
    assert by_name["small-000"].invocations == 5.0
    assert by_name["ab-0"].invocations == 3.0
    assert [v.invocations for v in by_name["ab-0"].variants] == [0.0, 3.0]
    assert by_name["ab-1"].invocations == 0.0
    assert by_name["small-001"].invocations == 0.0

    small = by_name["small-005"]
    assert [(v.name, v.instance_type, v.instance_count) for v in small.variants] == [
        ("AllTraffic", "ml.m5.xlarge", 2)
    ]
    assert small.per_day == pytest.approx(0.257 * 2 * 24)  # 12.336
    assert (small.source, small.as_of) == ("bundled", "2023-12")
    assert by_name["ab-2"].per_day == pytest.approx((0.821 + 0.257) * 24)  # 25.872
    big = by_name["big-0"]
    # the same type's Studio-JupyterLab price in eu-west-1 (another component)
    assert big.per_day == pytest.approx(0.514 * 3 * 24)
    assert big.source == "estimated"
    odd = by_name["odd-0"]
    assert odd.per_day is None and odd.source == "unknown"

    expected = 109 * 0.257 * 2 * 24 + 4 * (0.821 + 0.257) * 24 + 0.514 * 3 * 24
    assert report.idle_per_day == pytest.approx(expected)
    assert report.idle_unpriced == 1
    doc = report.to_json()
    assert doc["checked"] == 117 and doc["idle_count"] == 115
    assert doc["idle_per_day"] == pytest.approx(expected)

    # smaller batches: the same answer in ceil(122 / 50) = 3 calls
    calls.clear()
    again = endpoints.find_idle_endpoints(sm, cw, hours=24, batch_size=50)
    assert calls["GetMetricData"] == 3
    assert {e.name for e in again.idle} == idle

    # a 48 h window sees small-001's invocations of 30 h ago
    wide = endpoints.find_idle_endpoints(sm, cw, hours=48)
    assert "small-001" not in {e.name for e in wide.idle}
    assert len(wide.idle) == 114


@pytest.fixture
def aws_us_east_1(moto_url):
    """A clean moto account, boto3 pointed at it in us-east-1."""
    reset(moto_url)
    with patched_environ(aws_env(moto_url, region="us-east-1")):
        yield moto_url


def test_idle_endpoints_in_us_east_1_are_priced_from_bundled_hosting_rates(aws_us_east_1):
    sm = boto3.client("sagemaker")
    make_endpoints(sm, ["llm-0"], [("AllTraffic", "ml.g4dn.12xlarge", 1)], "llm")
    make_endpoints(sm, ["xgb-0", "xgb-1"], [("AllTraffic", "ml.m5.xlarge", 2)], "xgb")
    make_endpoints(sm, ["mix-0"], [("A", "ml.c5.xlarge", 1), ("B", "ml.p3.2xlarge", 1)], "mix")
    put_invocations(boto3.client("cloudwatch"), [("xgb-1", "AllTraffic", 3)])

    report = endpoints.find_idle_endpoints(
        clients.make_client("sagemaker"), clients.make_client("cloudwatch"), hours=24
    )

    assert report.region == "us-east-1"
    by_name = {e.name: e for e in report.idle}
    assert set(by_name) == {"llm-0", "xgb-0", "mix-0"}
    for e in by_name.values():
        assert (e.source, e.as_of) == ("bundled", "2025-01"), e.name
        for v in e.variants:
            assert "foundation-model-benchmarking-tool" in v.price.detail
    assert by_name["llm-0"].per_day == pytest.approx(4.89 * 24)
    assert by_name["xgb-0"].per_day == pytest.approx(0.23 * 2 * 24)
    assert by_name["mix-0"].per_day == pytest.approx((0.204 + 3.825) * 24)
    assert report.idle_unpriced == 0
    assert report.idle_per_day == pytest.approx((4.89 + 0.46 + 0.204 + 3.825) * 24)


def test_name_filter_and_current_instance_count(fleet):
    sm, _ = fleet
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ab-4",
        DesiredWeightsAndCapacities=[{"VariantName": "A", "DesiredInstanceCount": 3}],
    )
    report = endpoints.find_idle_endpoints(
        clients.make_client("sagemaker"),
        clients.make_client("cloudwatch"),
        hours=24,
        name_contains="ab-",
    )
    assert sorted(e.name for e in report.endpoints) == AB
    assert sorted(e.name for e in report.idle) == ["ab-1", "ab-2", "ab-3", "ab-4"]
    ab4 = next(e for e in report.endpoints if e.name == "ab-4")
    # the count the endpoint runs now (after scaling), not the config's initial count
    assert [(v.name, v.instance_count) for v in ab4.variants] == [("A", 3), ("B", 1)]
    assert ab4.per_day == pytest.approx((3 * 0.821 + 0.257) * 24)


def test_no_endpoints(aws):
    report = endpoints.find_idle_endpoints(
        clients.make_client("sagemaker"), clients.make_client("cloudwatch")
    )
    assert report.endpoints == [] and report.idle == [] and report.idle_per_day == 0


def test_window_rejects_nonpositive_hours():
    with pytest.raises(AwsError, match="positive"):
        endpoints.window(0)
    start, end, period = endpoints.window(
        1.5, now=datetime(2026, 1, 1, 10, 0, 30, tzinfo=timezone.utc)
    )
    assert end == datetime(2026, 1, 1, 10, 1, tzinfo=timezone.utc)
    assert (end - start).total_seconds() == period == 5400


# --------------------------------------------------------------------------- SNS


def sqs_subscribed_to(topic_name: str) -> tuple[str, str]:
    """(topic ARN, queue URL) with the queue subscribed to the topic."""
    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{topic_name}-q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue_url


def drain(queue_url: str) -> list[dict]:
    sqs = boto3.client("sqs")
    out = []
    while True:
        msgs = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            out.append(json.loads(m["Body"]))  # the SNS envelope
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def test_notify_publishes_one_message_read_back_through_sqs(aws):
    sm = boto3.client("sagemaker")
    make_endpoints(sm, ["ep-a", "ep-b"], [("AllTraffic", "ml.g4dn.xlarge", 2)], "g")
    make_endpoints(sm, ["ep-busy"], [("AllTraffic", "ml.m5.xlarge", 1)], "m")
    make_endpoints(sm, ["ep-c"], [("AllTraffic", "ml.c5d.large", 1)], "c")
    put_invocations(boto3.client("cloudwatch"), [("ep-busy", "AllTraffic", 1)])
    topic, queue = sqs_subscribed_to("idle")

    report = endpoints.find_idle_endpoints(
        clients.make_client("sagemaker"), clients.make_client("cloudwatch"), hours=24
    )
    message_id = endpoints.notify_idle(clients.make_client("sns"), topic, report)

    got = drain(queue)
    assert len(got) == 1
    assert got[0]["MessageId"] == message_id
    assert got[0]["TopicArn"] == topic
    assert got[0]["Subject"] == "SageMaker: 3 idle endpoints in eu-west-1 ($78.82/day)"
    lines = got[0]["Message"].splitlines()
    assert lines[0].startswith("3 SageMaker endpoints in eu-west-1 had no invocations in the 24 h")
    assert lines[0].endswith("together they cost $78.82/day (1 without a known price).")
    assert lines[2:5] == [
        "- ep-a: $39.41/day (AllTraffic: 2 x ml.g4dn.xlarge; price bundled 2023-12)",
        "- ep-b: $39.41/day (AllTraffic: 2 x ml.g4dn.xlarge; price bundled 2023-12)",
        "- ep-c: price unknown (AllTraffic: 1 x ml.c5d.large; price unknown)",
    ]
    assert "ep-busy" not in got[0]["Message"]


def test_notify_sends_nothing_when_none_is_idle(aws):
    sm = boto3.client("sagemaker")
    make_endpoints(sm, ["ep-busy"], [("AllTraffic", "ml.m5.xlarge", 1)], "m")
    put_invocations(boto3.client("cloudwatch"), [("ep-busy", "AllTraffic", 1)])
    topic, queue = sqs_subscribed_to("idle")
    report = endpoints.find_idle_endpoints(
        clients.make_client("sagemaker"), clients.make_client("cloudwatch"), hours=24
    )
    assert endpoints.notify_idle(clients.make_client("sns"), topic, report) is None
    assert drain(queue) == []


# --------------------------------------------------------------------------- notebooks


def statuses() -> dict[str, str]:
    sm = boto3.client("sagemaker")
    pages = sm.get_paginator("list_notebook_instances").paginate()
    return {
        n["NotebookInstanceName"]: n["NotebookInstanceStatus"]
        for p in pages
        for n in p["NotebookInstances"]
    }


NOTEBOOKS = {
    "dev-a": False,
    "dev-b": True,
    "dev-c": False,
    "xdev-d": True,
    "prod-a": False,
    "prod-b": True,
}


def test_notebooks_stop_then_start_only_matching_and_right_states(aws):
    make_notebooks(NOTEBOOKS)
    sm = clients.make_client("sagemaker")
    calls = count_calls(sm)

    dry = notebooks.schedule_notebooks(sm, "stop", "dev-", dry_run=True)
    assert dry.acted == ["dev-a", "dev-c"]
    assert calls["StopNotebookInstance"] == 0
    assert statuses()["dev-a"] == "InService"

    stop = notebooks.schedule_notebooks(sm, "stop", "dev-")
    assert stop.acted == ["dev-a", "dev-c"]
    assert stop.skipped == [
        {"name": "dev-b", "status": "Stopped", "reason": "already Stopped"},
        {"name": "xdev-d", "status": "Stopped", "reason": "already Stopped"},
    ]
    assert stop.failed == []
    assert calls["StopNotebookInstance"] == 2
    assert statuses() == {
        "dev-a": "Stopped",
        "dev-b": "Stopped",
        "dev-c": "Stopped",
        "xdev-d": "Stopped",
        "prod-a": "InService",
        "prod-b": "Stopped",
    }

    start = notebooks.schedule_notebooks(sm, "start", "dev-")
    assert start.acted == ["dev-a", "dev-b", "dev-c", "xdev-d"]
    assert start.skipped == []
    assert calls["StartNotebookInstance"] == 4
    assert statuses() == {
        "dev-a": "InService",
        "dev-b": "InService",
        "dev-c": "InService",
        "xdev-d": "InService",
        "prod-a": "InService",
        "prod-b": "Stopped",
    }
    assert start.to_json()["started"] == ["dev-a", "dev-b", "dev-c", "xdev-d"]


def test_notebooks_require_a_name_filter(aws):
    with pytest.raises(AwsError, match="name filter is required"):
        notebooks.schedule_notebooks(clients.make_client("sagemaker"), "stop", "")


# --------------------------------------------------------------------------- Lambda handlers


def test_lambda_stop_and_start_notebooks(aws, monkeypatch):
    make_notebooks(NOTEBOOKS)
    monkeypatch.setenv("NAME_CONTAINS", "dev-")
    monkeypatch.setenv("DRY_RUN", "true")
    summary = lambdas.stop_notebooks({}, None)
    assert summary["stopped"] == ["dev-a", "dev-c"] and summary["dry_run"] is True
    assert statuses()["dev-a"] == "InService"

    monkeypatch.setenv("DRY_RUN", "false")
    summary = lambdas.stop_notebooks({}, None)
    assert summary["stopped"] == ["dev-a", "dev-c"]
    assert [s["name"] for s in summary["skipped"]] == ["dev-b", "xdev-d"]
    json.dumps(summary)  # a Lambda result must serialise

    summary = lambdas.start_notebooks({"source": "aws.events"}, None)
    assert summary["started"] == ["dev-a", "dev-b", "dev-c", "xdev-d"]
    assert statuses()["prod-b"] == "Stopped"


def test_lambda_refuses_without_name_filter(aws, monkeypatch):
    make_notebooks({"dev-a": False})
    monkeypatch.delenv("NAME_CONTAINS", raising=False)
    with pytest.raises(AwsError, match="name filter is required"):
        lambdas.stop_notebooks({}, None)
    monkeypatch.setenv("NAME_CONTAINS", "dev-")
    monkeypatch.setenv("DRY_RUN", "maybe")
    with pytest.raises(AwsError, match="DRY_RUN"):
        lambdas.stop_notebooks({}, None)
    assert statuses()["dev-a"] == "InService"


def test_lambda_report_idle_endpoints_publishes(aws, monkeypatch):
    sm = boto3.client("sagemaker")
    make_endpoints(sm, ["ep-a"], [("AllTraffic", "ml.m5.xlarge", 1)], "m")
    make_endpoints(sm, ["ep-busy"], [("AllTraffic", "ml.m5.xlarge", 1)], "m2")
    put_invocations(boto3.client("cloudwatch"), [("ep-busy", "AllTraffic", 2)])
    topic, queue = sqs_subscribed_to("janitor")
    monkeypatch.setenv("TOPIC_ARN", topic)
    monkeypatch.setenv("HOURS", "24")

    summary = lambdas.report_idle_endpoints({}, None)

    assert summary["checked"] == 2 and summary["idle_count"] == 1
    assert [e["name"] for e in summary["idle"]] == ["ep-a"]
    assert summary["idle_per_day"] == pytest.approx(0.257 * 24)
    got = drain(queue)
    assert [m["MessageId"] for m in got] == [summary["message_id"]]
    assert (
        "- ep-a: $6.17/day (AllTraffic: 1 x ml.m5.xlarge; price bundled 2023-12)"
        in got[0]["Message"]
    )
    json.dumps(summary)

    monkeypatch.setenv("HOURS", "-1")
    with pytest.raises(AwsError, match="HOURS"):
        lambdas.report_idle_endpoints({}, None)


def test_region_of_the_report_is_the_clients(aws):
    sm = clients.make_client("sagemaker")
    assert sm.meta.region_name == REGION


def test_serverless_and_deleted_config_variants(aws):
    sm = boto3.client("sagemaker")
    make_endpoints(sm, ["orphan"], [("AllTraffic", "ml.m5.xlarge", 1)], "gone")
    sm.delete_endpoint_config(EndpointConfigName="gone")  # allowed while the endpoint runs
    sm.create_endpoint_config(
        EndpointConfigName="sl",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "gone-model",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
            }
        ],
    )
    sm.create_endpoint(EndpointName="sl", EndpointConfigName="sl")
    report = endpoints.find_idle_endpoints(
        clients.make_client("sagemaker"), clients.make_client("cloudwatch"), hours=24
    )
    by_name = {e.name: e for e in report.idle}
    assert set(by_name) == {"orphan", "sl"}
    (orphan,) = by_name["orphan"].variants
    assert (orphan.instance_type, orphan.instance_count, orphan.serverless) == (None, 1, False)
    assert orphan.per_day is None and orphan.price.source == "unknown"
    assert orphan.price.detail == "endpoint config gone was deleted: type unknown"
    assert orphan.describe() == "AllTraffic: 1 x unknown type"
    (sl,) = by_name["sl"].variants
    assert (sl.serverless, sl.per_day, sl.price.source) == (True, 0.0, "not_billed")
    assert sl.price.detail == "serverless: billed per request, not per hour"
    assert sl.describe() == "AllTraffic: serverless"
    assert report.idle_per_day == 0.0 and report.idle_unpriced == 1


def test_a_failing_describe_stops_the_other_describes(aws):
    from botocore.awsrequest import AWSResponse

    make_endpoints(
        boto3.client("sagemaker"),
        [f"ep-{i:02d}" for i in range(40)],
        [("AllTraffic", "ml.m5.xlarge", 1)],
        "c",
    )
    sm = clients.make_client("sagemaker")
    calls = count_calls(sm)

    def deny(**kw):
        return AWSResponse("http://127.0.0.1", 400, {}, None), {
            "Error": {"Code": "AccessDeniedException", "Message": "no describe for you"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    sm.meta.events.register("before-call.sagemaker.DescribeEndpoint", deny)
    with pytest.raises(AwsError) as info:
        endpoints.find_idle_endpoints(sm, clients.make_client("cloudwatch"), workers=2)
    assert info.value.code == "aws_access_denied"
    assert "AWS denied DescribeEndpoint while trying to describe endpoint ep-" in str(info.value)
    assert 1 <= calls["DescribeEndpoint"] <= 2  # one per thread at most, not 40
