"""deploy/janitor.yaml: cfn-lint clean, the three functions, schedules, least privilege.

The IAM check is behavioural: each handler runs against moto with its AWS calls recorded,
and every call must be allowed by that function's policy (and nothing more is granted).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import boto3
import pytest
import yaml
from support.cfn import cfn_lint
from support.moto_server import (
    make_endpoints,
    make_notebooks,
    put_invocations,
)

from jupyterlab_smcost.aws import clients
from jupyterlab_smcost.janitor import lambdas

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "janitor.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {("Ref" if suffix == "Ref" else f"Fn::{suffix}"): value}


_CfnLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 (SafeLoader)


def test_cfn_lint_clean():
    done = cfn_lint(TEMPLATE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


FUNCTIONS = {
    "StartNotebooksFunction": ("start_notebooks", "StartSchedule", "cron(0 7 ? * MON-FRI *)"),
    "StopNotebooksFunction": ("stop_notebooks", "StopSchedule", "cron(0 21 ? * MON-FRI *)"),
    "ReportIdleEndpointsFunction": (
        "report_idle_endpoints",
        "EndpointCheckSchedule",
        "cron(0 8 * * ? *)",
    ),
}


def test_functions_handlers_and_schedules(template):
    res = template["Resources"]
    functions = {k: v for k, v in res.items() if v["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == set(FUNCTIONS)
    assert template["Globals"]["Function"]["CodeUri"] == "build/"
    for name, (handler, param, cron) in FUNCTIONS.items():
        props = functions[name]["Properties"]
        module, _, attr = props["Handler"].rpartition(".")
        assert module == "jupyterlab_smcost.janitor.lambdas" and attr == handler
        assert callable(getattr(importlib.import_module(module), attr))
        (event,) = props["Events"].values()
        assert event["Type"] == "Schedule"
        assert event["Properties"]["Schedule"] == {"Ref": param}
        assert template["Parameters"][param]["Default"] == cron
    env = functions["ReportIdleEndpointsFunction"]["Properties"]["Environment"]["Variables"]
    assert env == {
        "NAME_CONTAINS": {"Ref": "EndpointNameContains"},
        "HOURS": {"Ref": "IdleHours"},
        "TOPIC_ARN": {"Ref": "JanitorTopic"},
    }
    for name in ("StartNotebooksFunction", "StopNotebooksFunction"):
        env = functions[name]["Properties"]["Environment"]["Variables"]
        assert env == {
            "NAME_CONTAINS": {"Ref": "NotebookNameContains"},
            "DRY_RUN": {"Ref": "DryRun"},
        }
    assert res["JanitorTopic"]["Type"] == "AWS::SNS::Topic"
    alarms = [v for v in res.values() if v["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 3
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "JanitorTopic"}] for a in alarms)


def granted(template, function: str) -> dict[str, list]:
    """IAM action -> resources, from the function's inline policies."""
    out: dict[str, list] = {}
    for policy in template["Resources"][function]["Properties"]["Policies"]:
        for st in policy["Statement"]:
            assert st["Effect"] == "Allow"
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            for a in actions:
                assert "*" not in a, f"wildcard action {a} in {function}"
                out.setdefault(a, []).extend(resources)
    return out


IAM_PREFIX = {"sagemaker": "sagemaker", "cloudwatch": "cloudwatch", "sns": "sns"}


@pytest.fixture
def recorded(aws, monkeypatch):
    """Every AWS call the handlers make, as IAM actions (service:Operation)."""
    actions: set[str] = set()
    real = clients.make_client

    def make(service, region=None, **kwargs):
        client = real(service, region, **kwargs)
        client.meta.events.register(
            "before-call.*.*",
            lambda model, **kw: actions.add(f"{IAM_PREFIX[service]}:{model.name}"),
        )
        return client

    monkeypatch.setattr(clients, "make_client", make)
    return actions


def test_iam_covers_exactly_what_the_handlers_call(template, recorded, monkeypatch):
    make_notebooks({"dev-1": False, "dev-2": True})
    sm = boto3.client("sagemaker")
    make_endpoints(sm, ["ep-1"], [("AllTraffic", "ml.m5.xlarge", 1)], "c")
    make_endpoints(sm, ["ep-2"], [("AllTraffic", "ml.m5.xlarge", 1)], "c2")
    put_invocations(boto3.client("cloudwatch"), [("ep-2", "AllTraffic", 1)])
    topic = boto3.client("sns").create_topic(Name="t")["TopicArn"]
    monkeypatch.setenv("NAME_CONTAINS", "dev-")
    monkeypatch.setenv("TOPIC_ARN", topic)

    for function, handler in (
        ("StartNotebooksFunction", lambdas.start_notebooks),
        ("StopNotebooksFunction", lambdas.stop_notebooks),
        ("ReportIdleEndpointsFunction", lambdas.report_idle_endpoints),
    ):
        recorded.clear()
        if function == "ReportIdleEndpointsFunction":
            monkeypatch.delenv("NAME_CONTAINS")
        summary = handler({}, None)
        assert summary
        allowed = granted(template, function)
        assert recorded == set(allowed), function  # all needed, nothing extra

    # start/stop are scoped to the matching notebook ARNs, never "*"
    for function, action in (
        ("StartNotebooksFunction", "sagemaker:StartNotebookInstance"),
        ("StopNotebooksFunction", "sagemaker:StopNotebookInstance"),
    ):
        (resource,) = granted(template, function)[action]
        assert resource == {
            "Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:"
            "${AWS::AccountId}:notebook-instance/*"
            "${NotebookNameContains}*"
        }
    assert granted(template, "ReportIdleEndpointsFunction")["sns:Publish"] == [
        {"Ref": "JanitorTopic"}
    ]
