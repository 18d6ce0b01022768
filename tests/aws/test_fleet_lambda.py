"""The scheduled fleet digest (ReportFleetFunction): its IAM grants exactly the calls the
handler makes (SageMaker on the Studio stand-in, SNS and Cost Explorer on moto), the digest
reaches the account's topic, the report reaches the organisation's topic with its account
and region."""

from __future__ import annotations

import json

import boto3
import pytest
import yaml
from support.moto_server import aws_env, patched_environ
from support.studio_standin import StudioStandin
from test_fleet import populate
from test_janitor_template import TEMPLATE, _CfnLoader

from jupyterlab_smcost.aws import clients
from jupyterlab_smcost.janitor import lambdas

PREFIX = {"sagemaker": "sagemaker", "sns": "sns", "ce": "ce"}


def granted(template: dict, function: str, org_topic: bool) -> dict[str, list]:
    out: dict[str, list] = {}
    for policy in template["Resources"][function]["Properties"]["Policies"]:
        for st in policy["Statement"]:
            if "Fn::If" in st:
                cond, yes, no = st["Fn::If"]
                assert cond == "HasOrgTopic" and no == {"Ref": "AWS::NoValue"}
                if not org_topic:
                    continue
                st = yes
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            for a in actions:
                assert "*" not in a
                res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                out.setdefault(a, []).extend(res)
    return out


@pytest.fixture
def queue(aws):
    """An SQS queue subscribed to a topic: what is published can be read back."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")

    def make(name: str) -> tuple[str, str]:
        topic = sns.create_topic(Name=name)["TopicArn"]
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        return topic, url

    return make


def read(url: str) -> list[dict]:
    msgs = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in msgs.get("Messages", [])]


@pytest.mark.parametrize("org", [False, True])
def test_fleet_digest_iam_exact_and_published(aws, queue, monkeypatch, org):
    template = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506
    topic, topic_q = queue("janitor")
    org_topic, org_q = queue("org")
    calls: set[str] = set()
    real = clients.make_client

    def make(service, region=None, **kwargs):
        client = real(service, region, **kwargs)
        client.meta.events.register(
            "before-call.*.*", lambda model, **kw: calls.add(f"{PREFIX[service]}:{model.name}")
        )
        return client

    monkeypatch.setattr(clients, "make_client", make)
    with StudioStandin() as st:
        populate(st)
        env = {**aws_env(aws), "AWS_ENDPOINT_URL_SAGEMAKER": st.url, "TOPIC_ARN": topic}
        if org:
            env["ORG_TOPIC_ARN"] = org_topic
        with patched_environ(env):
            summary = lambdas.report_fleet({}, None)
        assert not st.problems
    assert calls == set(granted(template, "ReportFleetFunction", org))
    assert summary["account"] == "123456789012" and summary["region"] == "eu-west-1"
    (digest,) = read(topic_q)
    assert digest["Subject"].startswith("SageMaker fleet 123456789012 eu-west-1: 1 apps")
    assert "no idle shutdown: c-code (CodeEditor, ml.t3.medium, carol" in digest["Message"]
    assert "quiet GPU: b-gpu (ml.g5.xlarge)" in digest["Message"]
    org_msgs = read(org_q)
    if not org:
        assert org_msgs == [] and summary["org_message_id"] is None
        return
    (msg,) = org_msgs
    assert msg["MessageAttributes"]["account"]["Value"] == "123456789012"
    assert msg["MessageAttributes"]["region"]["Value"] == "eu-west-1"
    body = json.loads(msg["Message"])
    assert body["domains"][0]["uncovered"][0]["space"] == "c-code"
    assert body["domains"][0]["running_apps"] == 4
