"""deploy/org-topic.yaml in moto's CloudFormation, for the organisation digest tests.

moto's CloudFormation does not create ``AWS::SNS::Subscription`` (nor the topic and queue
policies, the EventInvokeConfig and the alarm: it warns and skips them), so
:func:`deploy_org` makes the queue's subscription through the SNS API with the template's own
properties (protocol, raw delivery); the policies are checked statically
(tests/unit/test_stackset_template.py).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]
ORG_TOPIC = ROOT / "deploy" / "org-topic.yaml"
ORG_ID = "o-abcdefghij"

_spec = importlib.util.spec_from_file_location(
    "stackset_template", ROOT / "scripts" / "stackset_template.py"
)
_gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_gen)


def org_template() -> dict[str, Any]:
    """The template as data (short tags expanded, ``!GetAtt A.B`` as ``[A, B]``)."""
    return _gen.load_sam(ORG_TOPIC)


def deploy_org(region: str = "eu-west-1", code_prefix: str = "acme") -> dict[str, Any]:
    """Create the stack ``org`` (the code bucket ``<code_prefix>-<region>`` must hold the
    zip); its outputs, plus ``DigestFunction`` (the function's configuration) and
    ``DigestQueueArn``."""
    template = org_template()
    cfn = boto3.client("cloudformation", region_name=region)
    cfn.create_stack(
        StackName="org",
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[
            {"ParameterKey": "OrganizationId", "ParameterValue": ORG_ID},
            {"ParameterKey": "CodeBucketPrefix", "ParameterValue": code_prefix},
        ],
    )
    stack = cfn.describe_stacks(StackName="org")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    out: dict[str, Any] = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    sqs = boto3.client("sqs", region_name=region)
    out["DigestQueueArn"] = sqs.get_queue_attributes(
        QueueUrl=out["DigestQueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    sub = template["Resources"]["DigestQueueSubscription"]["Properties"]
    assert sub["TopicArn"] == {"Ref": "OrganisationTopic"}
    assert sub["Endpoint"] == {"Fn::GetAtt": ["DigestQueue", "Arn"]}
    boto3.client("sns", region_name=region).subscribe(
        TopicArn=out["OrganisationTopicArn"],
        Protocol=sub["Protocol"],
        Endpoint=out["DigestQueueArn"],
        Attributes={"RawMessageDelivery": str(sub["RawMessageDelivery"]).lower()},
    )
    out["DigestFunction"] = boto3.client("lambda", region_name=region).get_function(
        FunctionName=out["DigestFunctionName"]
    )["Configuration"]
    return out


def reader(topic_arn: str, name: str, region: str = "eu-west-1") -> str:
    """A queue subscribed to ``topic_arn`` (the SNS envelope: Subject, Message): what a
    subscriber receives; its URL."""
    sqs = boto3.client("sqs", region_name=region)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns", region_name=region).subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=arn
    )
    return url


def received(url: str, region: str = "eu-west-1") -> list[dict[str, Any]]:
    """The SNS notifications waiting in a :func:`reader` queue (deleted)."""
    sqs = boto3.client("sqs", region_name=region)
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return out
        for m in got:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
