"""deploy/janitor-stackset.json: generated from the SAM template, plain, agrees with it."""

from __future__ import annotations

import importlib.util
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
