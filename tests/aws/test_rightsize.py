"""``endpoints rightsize`` against a moto server: endpoints, CloudWatch data put through
PutMetricData, Application Auto Scaling; the rules' output checked number by number."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import boto3
import pytest
from support.endpoint_metrics import hours_back, put_series, steady
from support.moto_server import ACCOUNT, REGION, make_endpoints

from jupyterlab_smcost import cli
from jupyterlab_smcost.aws import clients
from jupyterlab_smcost.aws.errors import AwsError
from jupyterlab_smcost.janitor import rightsize
from jupyterlab_smcost.pricing import PriceBook

HOURS = 48  # a 2-day window keeps moto's per-period scan quick
#: one clock for the data put and the window read (no flake at an hour's turn)
NOW = datetime.now(timezone.utc)
RULES = "jupyterlab_smcost.janitor.rightsize_rules"


@pytest.fixture
def g5_in_moto(monkeypatch):
    """moto 5.2.5's CreateEndpointConfig enum predates ml.g5 (a real Hosting type)."""
    from moto.sagemaker import models

    original = models.FakeEndpointConfig.validate_instance_type

    def validate(self, instance_type):
        if instance_type != "ml.g5.xlarge":
            original(self, instance_type)

    monkeypatch.setattr(models.FakeEndpointConfig, "validate_instance_type", validate)


def count_calls(*clients_) -> dict:
    calls: dict[str, int] = {}

    def hook(model, **kw):
        calls[model.name] = calls.get(model.name, 0) + 1

    for c in clients_:
        c.meta.events.register("before-call.*.*", hook)
    return calls


@pytest.fixture
def fleet(aws, g5_in_moto):
    """The issue's endpoints, with 48 hours of data each."""
    sm = boto3.client("sagemaker")
    cw = boto3.client("cloudwatch")
    aas = boto3.client("application-autoscaling")
    when = hours_back(HOURS, NOW)
    # over-provisioned: 2 x ml.m5.4xlarge (16 vCPU, 64 GiB), steady 600 invocations an hour,
    # CPU 100 % (one vCPU of 16) with 3 hours at 120 % and 2 spikes the p95 leaves out
    make_endpoints(sm, ["big"], [("AllTraffic", "ml.m5.4xlarge", 2)], "big")
    cpu = steady(100, HOURS - 5) + [120, 120, 120, 900, 900]
    put_series(
        cw,
        "big",
        "AllTraffic",
        {
            "Invocations": steady(600, HOURS),
            "CPUUtilization": cpu,
            "MemoryUtilization": steady(10, HOURS),
        },
        when,
    )
    arn = sm.describe_endpoint(EndpointName="big")["EndpointArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
    # a GPU type whose GPU stays idle: 1 x ml.g5.xlarge (4 vCPU, 16 GiB, 1 x A10G 24 GiB)
    make_endpoints(sm, ["gpu"], [("AllTraffic", "ml.g5.xlarge", 1)], "gpu")
    put_series(
        cw,
        "gpu",
        "AllTraffic",
        {
            "Invocations": steady(120, HOURS),
            "CPUUtilization": steady(30, HOURS),
            "MemoryUtilization": steady(20, HOURS),
            "GPUUtilization": steady(1, HOURS),
            "GPUMemoryUtilization": steady(30, HOURS),
        },
        when,
    )
    # idle: utilisation data, no invocations
    make_endpoints(sm, ["idle"], [("AllTraffic", "ml.c5.xlarge", 1)], "idle")
    put_series(cw, "idle", "AllTraffic", {"CPUUtilization": steady(3, HOURS)}, when)
    # autoscaled: 2 x ml.m5.xlarge, min 1 max 4, a target-tracking policy
    make_endpoints(sm, ["auto"], [("AllTraffic", "ml.m5.xlarge", 2)], "auto")
    put_series(
        cw,
        "auto",
        "AllTraffic",
        {
            "Invocations": steady(3000, HOURS),
            "CPUUtilization": steady(60, HOURS),
            "MemoryUtilization": steady(30, HOURS),
        },
        when,
    )
    rid = "endpoint/auto/variant/AllTraffic"
    dim = "sagemaker:variant:DesiredInstanceCount"
    aas.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=rid,
        ScalableDimension=dim,
        MinCapacity=1,
        MaxCapacity=4,
    )
    aas.put_scaling_policy(
        PolicyName="auto-invocations",
        ServiceNamespace="sagemaker",
        ResourceId=rid,
        ScalableDimension=dim,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
    )
    # three low-traffic endpoints of one model (one image) on ml.c5.xlarge
    make_endpoints(sm, ["tiny-0", "tiny-1", "tiny-2"], [("AllTraffic", "ml.c5.xlarge", 1)], "tiny")
    for name in ("tiny-0", "tiny-1", "tiny-2"):
        put_series(
            cw,
            name,
            "AllTraffic",
            {
                "Invocations": steady(30, HOURS),
                "CPUUtilization": steady(20, HOURS),
                "MemoryUtilization": steady(15, HOURS),
            },
            when,
        )
    return sm


def run_rightsize(**kwargs) -> tuple[rightsize.RightsizeReport, dict]:
    sm = clients.make_client("sagemaker")
    cw = clients.make_client("cloudwatch")
    aas = clients.make_client("application-autoscaling")
    calls = count_calls(sm, cw, aas)
    report = rightsize.find_rightsizing(sm, cw, aas, days=HOURS / 24, now=NOW, **kwargs)
    return report, calls


def price(itype: str) -> float:
    return PriceBook().price(REGION, "Hosting", itype).per_hour


def by_rule(report, endpoint: str) -> dict:
    item = next(i for i in report.items if i.variant.endpoint == endpoint)
    return {r.rule: r for r in item.recommendations}


def test_rightsize_rules_number_by_number(fleet):
    report, calls = run_rightsize()

    assert sorted(i.variant.endpoint for i in report.items) == [
        "auto",
        "big",
        "gpu",
        "idle",
        "tiny-0",
        "tiny-1",
        "tiny-2",
    ]
    # batched: every metric of the 7 variants in one GetMetricData call; two autoscaling
    # listings for the region; one DescribeModel per model
    assert calls["GetMetricData"] == 1
    assert calls.get("GetMetricStatistics", 0) == 0
    assert calls["DescribeScalableTargets"] == 1 and calls["DescribeScalingPolicies"] == 1
    assert calls["DescribeModel"] == 5

    m5_4x, m5x, g5x, c5x = (
        price(t) for t in ("ml.m5.4xlarge", "ml.m5.xlarge", "ml.g5.xlarge", "ml.c5.xlarge")
    )
    big = next(i for i in report.items if i.variant.endpoint == "big")
    u = big.variant.usage
    assert u.invocations == 600 * HOURS
    assert u.per_instance_minute == 5.0  # 600 an hour / 60 / 2 instances
    assert u.cpu_pct == 120.0  # p95 of 48 hourly maxima: the two 900 % spikes left out
    assert u.memory_pct == 10.0
    assert u.gpu_pct is None and not big.variant.scaling.managed
    rec = by_rule(report, "big")
    assert set(rec) == {"smaller_type", "fewer_instances"}
    # need 1.2 vCPU x 1.3 = 1.56, 6.4 GiB x 1.3 = 8.32 GiB: ml.m5.large's 8 GiB is short
    small = rec["smaller_type"]
    assert (small.instance_type, small.instance_count) == ("ml.m5.xlarge", 2)
    assert small.figures["need_vcpu"] == 1.56 and small.figures["need_memory_gib"] == 8.32
    assert small.savings_per_month == pytest.approx(round((m5_4x - m5x) * 2 * 730, 2))
    assert small.price_source == "estimated"  # m5.4xlarge Hosting in eu-west-1 is estimated
    fewer = rec["fewer_instances"]
    # load 120 / 1600 = 0.075 of an instance on each of 2: ceil(2 x 0.075 x 1.3) = 1
    assert fewer.instance_count == 1 and fewer.figures["load_p95"] == 0.075
    assert fewer.savings_per_month == pytest.approx(round(m5_4x * 730, 2))
    # no autoscaling: target = 5 / (0.075 x 1.3) = 51.3 invocations per instance per minute
    assert fewer.figures["target_invocations_per_instance_minute"] == 51.3
    register, policy = fewer.commands
    assert (
        "register-scalable-target" in register and "--min-capacity 1 --max-capacity 2" in register
    )
    assert "--resource-id endpoint/big/variant/AllTraffic" in register
    assert '"TargetValue": 51.3' in policy and "SageMakerVariantInvocationsPerInstance" in policy
    assert big.best_saving == pytest.approx(max(small.savings_per_month, fewer.savings_per_month))

    gpu = next(i for i in report.items if i.variant.endpoint == "gpu")
    assert (gpu.variant.usage.gpu_pct, gpu.variant.usage.gpu_memory_pct) == (1.0, 30.0)
    rec = by_rule(report, "gpu")
    assert set(rec) == {"smaller_type"}  # one instance: nothing fewer
    # GPU under 5 %: a CPU type holding 3.2 GiB + 30 % of 24 GiB = 10.4 GiB, x 1.3 = 13.52
    g = rec["smaller_type"]
    assert g.instance_type == "ml.m5.xlarge" and g.figures["need_memory_gib"] == 13.52
    assert g.savings_per_month == pytest.approx(round((g5x - m5x) * 730, 2))
    assert "a CPU type" in g.reason

    rec = by_rule(report, "idle")
    assert set(rec) == {"idle"}
    assert rec["idle"].instance_count == 0 and rec["idle"].instance_type is None
    assert rec["idle"].savings_per_month == pytest.approx(round(c5x * 730, 2))
    assert rec["idle"].commands == ("aws sagemaker delete-endpoint --endpoint-name idle",)

    auto = next(i for i in report.items if i.variant.endpoint == "auto")
    assert auto.variant.scaling.managed
    assert (auto.variant.scaling.min_capacity, auto.variant.scaling.max_capacity) == (1, 4)
    assert auto.variant.scaling.policies == ("auto-invocations",)
    rec = by_rule(report, "auto")
    # load 0.15 would fit 1, but autoscaling (min 1) already scales on it: no fewer_instances
    assert set(rec) == {"smaller_type"}
    # need 0.78 vCPU and 4.8 x 1.3 = 6.24 GiB: ml.m5.large (2 vCPU, 8 GiB)
    assert rec["smaller_type"].instance_type == "ml.m5.large"
    assert rec["smaller_type"].savings_per_month == pytest.approx(
        round((m5x - price("ml.m5.large")) * 2 * 730, 2)
    )

    # three endpoints of one image on ml.c5.xlarge, load 0.05 each, models 0.45 of an
    # instance together: ceil(0.45 x 1.3) = 1 instance frees 2
    for name in ("tiny-0", "tiny-1", "tiny-2"):
        rec = by_rule(report, name)
        assert set(rec) == {"consolidate", "smaller_type", "serverless"}
        c = rec["consolidate"]
        assert c.group == ("tiny-0", "tiny-1", "tiny-2")
        assert (c.figures["instances"], c.instance_count, c.figures["frees"]) == (3, 1, 2)
        assert c.savings_per_month == pytest.approx(round(round(c5x * 2 * 730, 2) / 3, 2))
        assert c.figures["frees"] == 2
        # 30 an hour: 0.5 a minute, sparse: serverless mentioned, without a figure
        s = rec["serverless"]
        assert s.savings_per_month is None and "no price" in s.reason
        assert rec["smaller_type"].instance_type == "ml.c5.large"

    doc = report.to_json()
    assert doc["region"] == REGION and doc["days"] == 2 and doc["currency"] == "USD"
    expected = sum(i.best_saving or 0 for i in report.items)
    assert doc["savings_per_month"] == pytest.approx(round(expected, 2))
    item = next(i for i in doc["items"] if i["endpoint"] == "big")
    assert item["per_hour"] == m5_4x and item["price_source"] == "estimated"
    assert item["autoscaling"] is False and item["usage"]["cpu_utilization_p95"] == 120.0
    assert {r["rule"] for r in item["recommendations"]} == {"smaller_type", "fewer_instances"}
    assert all(
        set(r)
        >= {"rule", "instance_type", "instance_count", "savings_per_month", "currency", "reason"}
        for r in item["recommendations"]
    )
    json.dumps(doc)


def test_metric_queries_name_both_dimensions_and_gpu_metrics_only_for_gpu_types(fleet):
    cw = clients.make_client("cloudwatch")
    seen: list[dict] = []
    cw.meta.events.register(
        "before-parameter-build.cloudwatch.GetMetricData",
        lambda params, **kw: seen.extend(params["MetricDataQueries"]),
    )
    rightsize.find_rightsizing(
        clients.make_client("sagemaker"),
        cw,
        clients.make_client("application-autoscaling"),
        days=2,
    )
    metrics: dict[str, set] = {}
    for q in seen:
        stat = q["MetricStat"]
        dims = stat["Metric"]["Dimensions"]
        assert [d["Name"] for d in dims] == ["EndpointName", "VariantName"]
        assert stat["Period"] == 3600
        metrics.setdefault(dims[0]["Value"], set()).add(
            (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Stat"])
        )
    cpu_set = {
        ("AWS/SageMaker", "Invocations", "Sum"),
        ("/aws/sagemaker/Endpoints", "CPUUtilization", "Maximum"),
        ("/aws/sagemaker/Endpoints", "MemoryUtilization", "Maximum"),
    }
    assert metrics["big"] == cpu_set
    assert metrics["gpu"] == cpu_set | {
        ("/aws/sagemaker/Endpoints", "GPUUtilization", "Maximum"),
        ("/aws/sagemaker/Endpoints", "GPUMemoryUtilization", "Maximum"),
    }


def test_filters_by_name_and_tag_and_batches(fleet):
    report, calls = run_rightsize(tags={"team": "ml"})
    assert [i.variant.endpoint for i in report.items] == ["big"]
    assert calls["ListTags"] == 7
    report, _ = run_rightsize(name_contains="tiny")
    assert [i.variant.endpoint for i in report.items] == ["tiny-0", "tiny-1", "tiny-2"]
    # with batches of 5 queries, the same figures in ceil(25 / 5) = 5 calls
    report, calls = run_rightsize(batch_size=5)
    assert calls["GetMetricData"] == 5
    assert by_rule(report, "big")["fewer_instances"].instance_count == 1


def test_unknown_price_says_the_saving_is_unknown(aws):
    sm = boto3.client("sagemaker")
    make_endpoints(sm, ["odd"], [("AllTraffic", "ml.c5.9xlarge", 2)], "odd")  # no price
    when = hours_back(HOURS, NOW)
    put_series(
        boto3.client("cloudwatch"),
        "odd",
        "AllTraffic",
        {
            "Invocations": steady(600, HOURS),
            "CPUUtilization": steady(100, HOURS),
            "MemoryUtilization": steady(5, HOURS),
        },
        when,
    )
    report, _ = run_rightsize()
    item = report.items[0]
    assert item.variant.price.source == "unknown"
    rec = {r.rule: r for r in item.recommendations}
    # the load fits one instance; what that saves is unknown, and no type is compared
    assert set(rec) == {"fewer_instances"}
    assert rec["fewer_instances"].savings_per_month is None
    assert report.unknown_savings == 1 and report.savings_per_month == 0


def test_cli_table_json_and_notify(fleet, tmp_path):
    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    topic = sns.create_topic(Name="rightsize")["TopicArn"]
    queue = sqs.create_queue(QueueName="rightsize-q")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)

    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(
        [
            "endpoints",
            "rightsize",
            "--days",
            "2",
            "--cache-dir",
            str(tmp_path),
            "--notify-topic",
            topic,
        ],
        out=out,
        err=err,
    )
    assert rc == 0, err.getvalue()
    text = out.getvalue()
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["ENDPOINT/VARIANT", "INSTANCES", "$/HOUR", "PRICE"]
    big = next(line for line in lines if line.startswith("big/AllTraffic"))
    assert (
        "2 x ml.m5.4xlarge" in big and "120%" in big and "fewer_instances 1 x ml.m5.4xlarge" in big
    )
    assert "big/AllTraffic: aws application-autoscaling register-scalable-target" in text
    assert "7 endpoint variants in eu-west-1 could cost less" in text.replace("7 of 7", "7")
    assert "Notified " + topic in text
    msgs = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(msgs) == 1
    body = json.loads(msgs[0]["Body"])
    assert body["Subject"].startswith("SageMaker: 7 endpoint variants to right-size in eu-west-1")
    assert "- idle/AllTraffic: 1 x ml.c5.xlarge" in body["Message"]
    assert "put-scaling-policy" in body["Message"]

    out = io.StringIO()
    rc = cli.main(
        [
            "endpoints",
            "rightsize",
            "--days",
            "2",
            "--json",
            "--tag",
            "team=ml",
            "--cache-dir",
            str(tmp_path),
        ],
        out=out,
        err=err,
    )
    assert rc == 0
    doc = json.loads(out.getvalue())
    assert [i["endpoint"] for i in doc["items"]] == ["big"]
    assert doc["message_id"] is None

    rc = cli.main(["endpoints", "rightsize", "--tag", "team"], out=io.StringIO(), err=err)
    assert rc == 1 and "KEY=VALUE" in err.getvalue()


def test_access_denied_names_the_action(stubs):
    sm = stubs("sagemaker")
    sm.add_response(
        "list_endpoints",
        {
            "Endpoints": [
                {
                    "EndpointName": "e",
                    "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/e",
                    "CreationTime": "2026-01-01T00:00:00Z",
                    "LastModifiedTime": "2026-01-01T00:00:00Z",
                    "EndpointStatus": "InService",
                }
            ]
        },
        {"StatusEquals": "InService", "MaxResults": 100},
    )
    sm.add_response(
        "describe_endpoint",
        {
            "EndpointName": "e",
            "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/e",
            "EndpointConfigName": "c",
            "EndpointStatus": "InService",
            "CreationTime": "2026-01-01T00:00:00Z",
            "LastModifiedTime": "2026-01-01T00:00:00Z",
            "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1}],
        },
        {"EndpointName": "e"},
    )
    sm.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "c",
            "EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/c",
            "CreationTime": "2026-01-01T00:00:00Z",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 1,
                }
            ],
        },
        {"EndpointConfigName": "c"},
    )
    sm.add_client_error("describe_model", "ValidationException", "Could not find model m")
    aas = stubs("application-autoscaling")
    aas.add_client_error(
        "describe_scalable_targets",
        "AccessDeniedException",
        "User is not authorized to perform: application-autoscaling:DescribeScalableTargets",
    )
    with pytest.raises(AwsError, match="DescribeScalableTargets"):
        rightsize.find_rightsizing(
            clients.make_client("sagemaker", REGION),
            clients.make_client("cloudwatch", REGION),
            clients.make_client("application-autoscaling", REGION),
            days=1,
        )


def test_days_must_be_positive():
    with pytest.raises(AwsError, match="--days"):
        rightsize.rightsize_window(0)


def test_lambda_publishes_the_digest(fleet, monkeypatch):
    from jupyterlab_smcost.janitor import lambdas

    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    topic = sns.create_topic(Name="digest")["TopicArn"]
    queue = sqs.create_queue(QueueName="digest-q")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    monkeypatch.setenv("TOPIC_ARN", topic)
    monkeypatch.setenv("DAYS", "2")
    monkeypatch.setenv("TAGS", "team=ml")

    summary = lambdas.report_rightsize_endpoints({}, None)

    assert [i["endpoint"] for i in summary["items"]] == ["big"]
    assert summary["message_id"]
    (msg,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(msg["Body"])["Message"]
    assert "- big/AllTraffic: 2 x ml.m5.4xlarge" in body and "fewer_instances" in body
    json.dumps(summary)

    monkeypatch.setenv("DAYS", "0")
    with pytest.raises(AwsError, match="DAYS"):
        lambdas.report_rightsize_endpoints({}, None)
