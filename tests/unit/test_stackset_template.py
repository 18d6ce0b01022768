"""deploy/janitor-stackset.json: generated from the SAM template, plain, agrees with it."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import pytest
from support.cfn import cfn_lint

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "stackset_template.py"
PLAIN = ROOT / "deploy" / "janitor-stackset.json"

_spec = importlib.util.spec_from_file_location("stackset_template", SCRIPT)
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def test_committed_template_is_fresh():
    assert PLAIN.read_text() == gen.render(), "run python scripts/stackset_template.py"


def test_no_transform_and_no_serverless_types():
    plain = gen.to_plain(gen.load_sam())
    assert "Transform" not in plain and "Globals" not in plain
    types = {r["Type"] for r in plain["Resources"].values()}
    assert not any(t.startswith("AWS::Serverless::") for t in types)


def test_every_sam_function_and_schedule_agrees():
    sam = gen.load_sam()
    plain = gen.to_plain(sam)["Resources"]
    glob = sam["Globals"]["Function"]
    functions = {
        n: r for n, r in sam["Resources"].items() if r["Type"] == "AWS::Serverless::Function"
    }
    assert functions
    for name, res in functions.items():
        props = res["Properties"]
        fn = plain[name]["Properties"]
        assert plain[name]["Type"] == "AWS::Lambda::Function"
        assert fn["Handler"] == props["Handler"]
        assert fn["Runtime"] == glob["Runtime"]
        assert fn["Timeout"] == props.get("Timeout", glob["Timeout"])
        assert fn["Environment"] == props["Environment"]
        assert fn["Code"]["S3Bucket"] == {"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"}
        role = plain[fn["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert [p["PolicyDocument"] for p in role["Policies"]] == props["Policies"]
        for event, spec in props["Events"].items():
            rule = plain[f"{name}{event}"]["Properties"]
            assert rule["ScheduleExpression"] == spec["Properties"]["Schedule"]
            assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [name, "Arn"]}
            assert plain[f"{name}{event}Permission"]["Properties"]["Principal"] == (
                "events.amazonaws.com"
            )
    # Everything that is not a SAM function is carried over unchanged.
    for name, res in sam["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            assert plain[name] == res


ORG_TOPIC = ROOT / "deploy" / "org-topic.yaml"


@pytest.mark.parametrize("template", [PLAIN, ORG_TOPIC], ids=lambda p: p.name)
def test_cfn_lint_clean(template: Path):
    done = cfn_lint(template)
    assert done.returncode == 0, done.stdout + done.stderr


def test_org_topic_policy_only_lets_the_organisation_publish():
    tpl = gen.load_sam(ORG_TOPIC)
    assert "Transform" not in tpl
    policy = tpl["Resources"]["OrganisationTopicPolicy"]["Properties"]["PolicyDocument"]
    (statement,) = policy["Statement"]
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == {"Ref": "OrganisationTopic"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}
    }


def _cron_hour(expr: str) -> tuple[str, int]:
    """cron(M H DoM Mon DoW Y) -> (day of week, minutes after midnight)."""
    minute, hour, _dom, _mon, dow, _year = expr.removeprefix("cron(").removesuffix(")").split()
    return dow, int(hour) * 60 + int(minute)


def test_org_digest_queue_takes_only_the_organisation_topic():
    res = gen.load_sam(ORG_TOPIC)["Resources"]
    (statement,) = res["DigestQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert res["DigestQueuePolicy"]["Properties"]["Queues"] == [{"Ref": "DigestQueue"}]
    assert statement == {
        "Sid": "OrganisationTopicDelivers",
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": {"Fn::GetAtt": ["DigestQueue", "Arn"]},
        "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": "OrganisationTopic"}}},
    }
    sub = res["DigestQueueSubscription"]
    # the digest reads the SNS envelope's MessageAttributes: not raw
    assert sub["Properties"]["RawMessageDelivery"] is False
    assert sub["DependsOn"] == "DigestQueuePolicy"
    queue = res["DigestQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["DigestDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    fn = res["DigestFunction"]["Properties"]
    # a received report stays invisible longer than a run lasts
    assert queue["VisibilityTimeout"] > fn["Timeout"]
    assert queue["MessageRetentionPeriod"] == 4 * 86400
    assert res["DigestDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"] == 14 * 86400


def test_org_digest_function_code_schedule_and_subscribers():
    tpl = gen.load_sam(ORG_TOPIC)
    res = tpl["Resources"]
    fn = res["DigestFunction"]["Properties"]
    member_fn = json.loads(PLAIN.read_text())["Resources"]["ReportFleetFunction"]["Properties"]
    assert fn["Code"] == member_fn["Code"]  # the same <prefix>-<region> bucket and key
    assert (fn["Runtime"], fn["Architectures"]) == (
        member_fn["Runtime"],
        member_fn["Architectures"],
    )
    module, _, attr = fn["Handler"].rpartition(".")
    assert callable(getattr(importlib.import_module(module), attr))
    assert fn["Environment"]["Variables"] == {
        "QUEUE_URL": {"Ref": "DigestQueue"},
        "DIGEST_TOPIC_ARN": {"Ref": "DigestTopic"},
    }
    assert res["DigestFunctionInvokeConfig"]["Properties"]["MaximumRetryAttempts"] == 0
    rule = res["DigestFunctionSchedule"]["Properties"]
    assert rule["ScheduleExpression"] == {"Ref": "DigestSchedule"}
    assert rule["Targets"] == [{"Arn": {"Fn::GetAtt": ["DigestFunction", "Arn"]},
                                "Id": "DigestFunction"}]  # fmt: skip
    perm = res["DigestFunctionSchedulePermission"]["Properties"]
    assert perm["SourceArn"] == {"Fn::GetAtt": ["DigestFunctionSchedule", "Arn"]}
    # by default after the member stacks' fleet reports, on the same days
    fleet = gen.load_sam()["Parameters"]["FleetSchedule"]["Default"]
    digest = tpl["Parameters"]["DigestSchedule"]["Default"]
    (f_days, f_at), (d_days, d_at) = _cron_hour(fleet), _cron_hour(digest)
    assert f_days == d_days and d_at > f_at
    # subscribers get the digest, one message a run; the members' topic has no subscriber
    (email,) = [r for r in res.values() if r["Type"] == "AWS::SNS::Subscription"
                and r["Properties"]["Protocol"] == "email"]  # fmt: skip
    assert email["Properties"]["TopicArn"] == {"Ref": "DigestTopic"}
    assert res["DigestFunctionErrors"]["Properties"]["AlarmActions"] == [{"Ref": "DigestTopic"}]
    role = res["DigestFunctionRole"]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    resources = {
        tuple(st["Action"]) if isinstance(st["Action"], list) else (st["Action"],): st["Resource"]
        for policy in role["Policies"]
        for st in policy["PolicyDocument"]["Statement"]
    }
    assert resources == {
        ("sqs:ReceiveMessage", "sqs:DeleteMessage"): {"Fn::GetAtt": ["DigestQueue", "Arn"]},
        ("sns:Publish",): {"Ref": "DigestTopic"},
    }
