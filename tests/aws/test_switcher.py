"""The switcher (jupyterlab_smcost.aws.switcher.handler): Stubber for every status path, a moto
server for the notebook instance's stop/start part, cfn-lint for deploy/switcher.yaml."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from support.cfn import cfn_lint
from support.env_helpers import (
    ACCOUNT,
    REGION,
    create_notebook_instance,
)
from support.sm_stub import client_error, stubbed

from jupyterlab_smcost.aws import clients, switcher
from jupyterlab_smcost.aws.switcher import Switch, SwitchError, handler, run, validate_event

ROOT = Path(__file__).resolve().parents[2]
NB = {"NotebookInstanceName": "dev-alice"}
D = "d-abc123"
IMAGE = f"arn:aws:sagemaker:{REGION}:885854791233:image/sagemaker-distribution-cpu"
IDENT = {"DomainId": D, "SpaceName": "alice-space", "AppType": "JupyterLab", "AppName": "default"}


def nb(status, itype, **extra):
    return {
        "NotebookInstanceName": "dev-alice",
        "NotebookInstanceStatus": status,
        "InstanceType": itype,
        **extra,
    }


def space_app(status, itype=None, **extra):
    out = {
        "DomainId": D,
        "SpaceName": "alice-space",
        "AppType": "JupyterLab",
        "AppName": "default",
        "Status": status,
        "CreationTime": datetime(2026, 11, 1, tzinfo=timezone.utc),
        **extra,
    }
    if itype:
        out["ResourceSpec"] = {
            "InstanceType": itype,
            "SageMakerImageArn": IMAGE,
            "SageMakerImageVersionAlias": "3.1.0",
        }
    return out


def sw(sm, sleeps, **kw):
    return Switch(sm, sleep=sleeps.append, clock=lambda: 0.0, interval_s=15.0, **kw)


# -- notebook instance
def test_notebook_stop_update_start_full_path():
    sm, stub = stubbed()
    sleeps = []
    stub.add_response("describe_notebook_instance", nb("InService", "ml.t3.medium"), NB)
    stub.add_response("stop_notebook_instance", {}, NB)
    stub.add_response("describe_notebook_instance", nb("Stopping", "ml.t3.medium"), NB)
    stub.add_response("describe_notebook_instance", nb("Stopped", "ml.t3.medium"), NB)
    # throttled, then OK
    client_error(
        stub,
        "update_notebook_instance",
        "ThrottlingException",
        "Rate exceeded",
        expected={**NB, "InstanceType": "ml.g4dn.xlarge"},
    )
    stub.add_response("update_notebook_instance", {}, {**NB, "InstanceType": "ml.g4dn.xlarge"})
    stub.add_response("describe_notebook_instance", nb("Updating", "ml.g4dn.xlarge"), NB)
    stub.add_response("describe_notebook_instance", nb("Stopped", "ml.g4dn.xlarge"), NB)
    # still settling: the known transient validation error, then OK
    client_error(
        stub,
        "start_notebook_instance",
        "ValidationException",
        "Status (Updating) not in ([Stopped, Failed]). Unable to transition to "
        "(Pending) for Notebook Instance (arn:...)",
        expected=NB,
    )
    stub.add_response("start_notebook_instance", {}, NB)
    stub.add_response("describe_notebook_instance", nb("Pending", "ml.g4dn.xlarge"), NB)
    stub.add_response("describe_notebook_instance", nb("InService", "ml.g4dn.xlarge"), NB)
    s = sw(sm, sleeps)
    assert s.notebook_instance("dev-alice", "ml.g4dn.xlarge") == "InService"
    stub.assert_no_pending_responses()
    assert [(x["name"], x["status"]) for x in s.steps] == [
        ("stop", "done"),
        ("update", "done"),
        ("start", "running"),
        ("start", "done"),
    ]
    # 15 s after each action and while Stopping/Updating/Pending; 2 s backoff for each retry
    assert sleeps == [15.0, 15.0, 2.0, 15.0, 15.0, 2.0, 15.0, 15.0]


def test_notebook_already_on_target_does_nothing():
    sm, stub = stubbed()
    stub.add_response("describe_notebook_instance", nb("InService", "ml.m5.large"), NB)
    s = sw(sm, [])
    assert s.notebook_instance("dev-alice", "ml.m5.large") == "InService"
    stub.assert_no_pending_responses()


def test_notebook_start_failure_is_reported():
    sm, stub = stubbed()
    stub.add_response("describe_notebook_instance", nb("Stopped", "ml.m5.large"), NB)
    stub.add_response("start_notebook_instance", {}, NB)
    stub.add_response(
        "describe_notebook_instance",
        nb("Failed", "ml.m5.large", FailureReason="InsufficientInstanceCapacity"),
        NB,
    )
    with pytest.raises(
        SwitchError, match="did not start on ml.m5.large: InsufficientInstanceCapacity"
    ):
        sw(sm, []).notebook_instance("dev-alice", "ml.m5.large")


def test_notebook_quota_error_is_not_retried():
    sm, stub = stubbed()
    stub.add_response("describe_notebook_instance", nb("Stopped", "ml.t3.medium"), NB)
    client_error(
        stub,
        "update_notebook_instance",
        "ResourceLimitExceeded",
        "The account-level service limit 'ml.p3.2xlarge for notebook instance usage' "
        "is 0 Instances",
    )
    sleeps = []
    with pytest.raises(ClientError) as e:
        sw(sm, sleeps).notebook_instance("dev-alice", "ml.p3.2xlarge")
    assert e.value.response["Error"]["Code"] == "ResourceLimitExceeded"
    assert sleeps == []


def test_notebook_runs_out_of_time_and_raises_for_the_retry():
    sm, stub = stubbed()
    stub.add_response("describe_notebook_instance", nb("Stopping", "ml.t3.medium"), NB)
    s = Switch(sm, sleep=lambda s: None, clock=lambda: 0.0, budget_s=10.0, interval_s=15.0)
    with pytest.raises(switcher.WaitTimeout):
        s.notebook_instance("dev-alice", "ml.m5.large")


# -- Studio space
@pytest.mark.parametrize("gone", ["Deleted", "ResourceNotFound"])
def test_space_delete_update_create_full_path(gone):
    sm, stub = stubbed()
    sleeps = []
    stub.add_response("describe_app", space_app("InService", "ml.t3.medium"), IDENT)
    stub.add_response("delete_app", {}, IDENT)
    stub.add_response("describe_app", space_app("Deleting", "ml.t3.medium"), IDENT)
    if gone == "Deleted":
        stub.add_response("describe_app", space_app("Deleted", "ml.t3.medium"), IDENT)
    else:
        client_error(stub, "describe_app", "ResourceNotFound", "App does not exist", expected=IDENT)
    spec = {
        "SageMakerImageArn": IMAGE,
        "SageMakerImageVersionAlias": "3.1.0",
        "InstanceType": "ml.g4dn.xlarge",
    }
    stub.add_response(
        "update_space",
        {"SpaceArn": "arn:s"},
        {
            "DomainId": D,
            "SpaceName": "alice-space",
            "SpaceSettings": {"JupyterLabAppSettings": {"DefaultResourceSpec": spec}},
        },
    )
    # the space's storage is still detaching from the old app: retried
    client_error(
        stub,
        "create_app",
        "ValidationException",
        "Unable to create app: the space's EBS volume is not yet available",
        expected={**IDENT, "ResourceSpec": spec},
    )
    stub.add_response("create_app", {"AppArn": "arn:a"}, {**IDENT, "ResourceSpec": spec})
    stub.add_response("describe_app", space_app("Pending", "ml.g4dn.xlarge"), IDENT)
    stub.add_response("describe_app", space_app("InService", "ml.g4dn.xlarge"), IDENT)
    s = sw(sm, sleeps)
    assert s.space(D, "alice-space", "JupyterLab", "default", "ml.g4dn.xlarge") == "InService"
    stub.assert_no_pending_responses()
    assert [(x["name"], x["status"]) for x in s.steps] == [
        ("delete_app", "done"),
        ("update_space", "done"),
        ("create_app", "running"),
        ("create_app", "done"),
    ]
    assert sleeps == [15.0, 15.0, 2.0, 15.0, 15.0]


def test_space_previously_failed_app_is_recreated_with_retry():
    sm, stub = stubbed()
    ce = {"DomainId": D, "SpaceName": "alice-space", "AppType": "CodeEditor", "AppName": "default"}
    failed = dict(
        space_app("Failed", "ml.t3.medium"),
        AppType="CodeEditor",
        FailureReason="previous start failed",
    )
    stub.add_response("describe_app", failed, ce)
    spec = {
        "SageMakerImageArn": IMAGE,
        "SageMakerImageVersionAlias": "3.1.0",
        "InstanceType": "ml.m5.large",
    }
    stub.add_response(
        "update_space",
        {"SpaceArn": "arn:s"},
        {
            "DomainId": D,
            "SpaceName": "alice-space",
            "SpaceSettings": {"CodeEditorAppSettings": {"DefaultResourceSpec": spec}},
        },
    )
    client_error(
        stub,
        "create_app",
        "ResourceInUse",
        "App default previously failed and is being cleaned up",
        expected={**ce, "ResourceSpec": spec},
    )
    stub.add_response("create_app", {"AppArn": "arn:a"}, {**ce, "ResourceSpec": spec})
    stub.add_response(
        "describe_app", dict(space_app("InService", "ml.m5.large"), AppType="CodeEditor"), ce
    )
    s = sw(sm, [])
    assert s.space(D, "alice-space", "CodeEditor", "default", "ml.m5.large") == "InService"
    stub.assert_no_pending_responses()


def test_space_new_app_failed():
    sm, stub = stubbed()
    client_error(stub, "describe_app", "ResourceNotFound", "no app", expected=IDENT)
    stub.add_response("update_space", {"SpaceArn": "arn:s"})
    stub.add_response("create_app", {"AppArn": "arn:a"})
    stub.add_response("describe_app", space_app("Pending", "ml.g5.xlarge"), IDENT)
    stub.add_response(
        "describe_app",
        space_app("Failed", "ml.g5.xlarge", FailureReason="InsufficientCapacityError"),
        IDENT,
    )
    with pytest.raises(SwitchError) as e:
        sw(sm, []).space(
            D, "alice-space", "JupyterLab", "default", "ml.g5.xlarge", {"SageMakerImageArn": IMAGE}
        )
    assert str(e.value) == "the JupyterLab app failed on ml.g5.xlarge: InsufficientCapacityError"


# -- events and the handler
@pytest.mark.parametrize(
    "event, words",
    [
        ({"kind": "notebook-instance", "instance_type": "ml.t3.medium"}, "notebook_instance_name"),
        (
            {"kind": "notebook-instance", "notebook_instance_name": "a", "instance_type": "m5"},
            "not a notebook instance type",
        ),
        (
            {
                "kind": "studio-space",
                "domain_id": D,
                "space_name": "s",
                "app_type": "JupyterLab",
                "instance_type": "ml.nope",
            },
            "not a Studio app instance type",
        ),
        ({"kind": "studio-classic", "instance_type": "ml.t3.medium"}, "unknown kind"),
        ([], "JSON object"),
    ],
)
def test_bad_events_are_refused_before_any_call(event, words):
    with pytest.raises(SwitchError, match=words):
        validate_event(event)


def test_handler_notebook_instance_on_moto(moto_endpoint, monkeypatch):
    """The whole handler through AWS_ENDPOINT_URL: stop and start really happen in moto;
    moto lacks UpdateNotebookInstance, so that one call is answered by a botocore hook that
    applies it to moto's in-process backend."""
    create_notebook_instance("dev-alice", "ml.t3.medium")
    updates = []
    real_make_client = clients.make_client

    def make_client(service, region=None, **kwargs):
        client = real_make_client(service, region, **kwargs)

        def update(params, **kwargs):
            from moto.sagemaker.models import sagemaker_backends

            params = json.loads(params["body"])  # the serialized request
            updates.append(params)
            backend = sagemaker_backends[ACCOUNT][REGION]
            inst = backend.notebook_instances[params["NotebookInstanceName"]]
            assert inst.status == "Stopped"  # SageMaker refuses to update a running instance
            inst.instance_type = params["InstanceType"]
            http = AWSResponse("http://moto/", 200, {}, None)
            return http, {"ResponseMetadata": {"HTTPStatusCode": 200}}

        client.meta.events.register("before-call.sagemaker.UpdateNotebookInstance", update)
        return client

    monkeypatch.setattr(clients, "make_client", make_client)
    sleeps = []
    monkeypatch.setattr(switcher, "SLEEP", sleeps.append)

    class Context:
        def get_remaining_time_in_millis(self):
            return 900_000

    result = handler(
        {
            "kind": "notebook-instance",
            "region": REGION,
            "notebook_instance_name": "dev-alice",
            "instance_type": "ml.g4dn.xlarge",
        },
        Context(),
    )
    assert updates == [{"NotebookInstanceName": "dev-alice", "InstanceType": "ml.g4dn.xlarge"}]
    assert result["ok"] is True and result["state"] == "InService"
    assert [s["name"] for s in result["steps"]] == ["stop", "update", "start", "start"]
    assert sleeps == [15.0, 15.0, 15.0]  # after each action (moto's changes are immediate)
    d = boto3.client("sagemaker", region_name=REGION).describe_notebook_instance(
        NotebookInstanceName="dev-alice"
    )
    assert (d["NotebookInstanceStatus"], d["InstanceType"]) == ("InService", "ml.g4dn.xlarge")


def test_handler_stop_start_only_on_moto(moto_endpoint):
    """Already the right type but stopped: the switcher just starts it (moto, no stubs)."""
    create_notebook_instance("dev-bob", "ml.m5.xlarge")
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.stop_notebook_instance(NotebookInstanceName="dev-bob")
    result = run(
        {
            "kind": "notebook-instance",
            "notebook_instance_name": "dev-bob",
            "instance_type": "ml.m5.xlarge",
        },
        sm,
        sleep=lambda s: None,
    )
    assert result["state"] == "InService"
    assert (
        sm.describe_notebook_instance(NotebookInstanceName="dev-bob")["NotebookInstanceStatus"]
        == "InService"
    )


def test_handler_raises_on_aws_errors(monkeypatch):
    sm, stub = stubbed()
    client_error(stub, "describe_notebook_instance", "AccessDeniedException", "not authorized")
    monkeypatch.setattr(clients, "make_client", lambda service, region=None, **kw: sm)
    with pytest.raises(ClientError):
        handler(
            {
                "kind": "notebook-instance",
                "notebook_instance_name": "dev-alice",
                "instance_type": "ml.m5.xlarge",
            },
            None,
        )


def test_switcher_imports_no_jupyter():
    code = (
        "import sys, jupyterlab_smcost.aws.switcher; "
        "bad = [m for m in sys.modules if m.startswith(('jupyter_server', 'tornado', "
        "'traitlets', 'jupyterlab_smcost.app'))]; print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# -- the template
def test_template_is_cfn_lint_clean():
    out = cfn_lint(ROOT / "deploy" / "switcher.yaml")
    assert out.returncode == 0, out.stdout + out.stderr


def test_template_is_least_privilege():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    for tag in ("!Ref", "!Sub", "!GetAtt"):
        Loader.add_constructor(tag, lambda loader, node: loader.construct_scalar(node))
    doc = yaml.load((ROOT / "deploy" / "switcher.yaml").read_text(), Loader=Loader)
    fn = doc["Resources"]["SwitcherFunction"]["Properties"]
    assert fn["Handler"] == "jupyterlab_smcost.aws.switcher.handler"
    assert fn["Timeout"] == 900
    statements = fn["Policies"][0]["Statement"]
    actions = {a for s in statements if s["Effect"] == "Allow" for a in s["Action"]}
    assert actions == {
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:StopNotebookInstance",
        "sagemaker:StartNotebookInstance",
        "sagemaker:UpdateNotebookInstance",
        "sagemaker:DescribeApp",
        "sagemaker:DeleteApp",
        "sagemaker:CreateApp",
        "sagemaker:UpdateSpace",
    }
    for s in statements:
        assert "*" not in "".join(s["Action"])
        if s["Effect"] == "Allow":
            assert s["Resource"].startswith(
                "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:"
            )
        if s["Effect"] == "Allow" and set(s["Action"]) & {
            "sagemaker:UpdateNotebookInstance",
            "sagemaker:CreateApp",
            "sagemaker:UpdateSpace",
        }:
            assert s["Condition"] == {
                "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": "AllowedInstanceTypes"}
            }


# -- rollback: never leave the user without a notebook
def test_notebook_quota_at_start_rolls_back_to_the_original_type():
    sm, stub = stubbed()
    stub.add_response("describe_notebook_instance", nb("Stopped", "ml.t3.medium"), NB)
    stub.add_response("update_notebook_instance", {}, {**NB, "InstanceType": "ml.p3.2xlarge"})
    stub.add_response("describe_notebook_instance", nb("Stopped", "ml.p3.2xlarge"), NB)
    client_error(
        stub,
        "start_notebook_instance",
        "ResourceLimitExceeded",
        "The account-level service limit 'ml.p3.2xlarge for notebook instance usage' "
        "is 0 Instances",
        expected=NB,
    )
    # rollback
    stub.add_response("describe_notebook_instance", nb("Stopped", "ml.p3.2xlarge"), NB)
    stub.add_response("update_notebook_instance", {}, {**NB, "InstanceType": "ml.t3.medium"})
    stub.add_response("describe_notebook_instance", nb("Stopped", "ml.t3.medium"), NB)
    stub.add_response("start_notebook_instance", {}, NB)
    stub.add_response("describe_notebook_instance", nb("InService", "ml.t3.medium"), NB)
    result = run(
        {
            "kind": "notebook-instance",
            "notebook_instance_name": "dev-alice",
            "instance_type": "ml.p3.2xlarge",
            "from_instance_type": "ml.t3.medium",
        },
        sm,
        sleep=lambda s: None,
    )
    stub.assert_no_pending_responses()
    assert result["ok"] is False
    assert result["rolled_back_to"] == "ml.t3.medium"
    assert result["state"] == "InService"
    assert result["error"].startswith(
        "AWS quota reached while trying to switch to ml.p3.2xlarge: The account-level service limit"
    )
    assert "rollback" in [s["name"] for s in result["steps"]]


def test_space_failed_app_rolls_back():
    sm, stub = stubbed()
    client_error(stub, "describe_app", "ResourceNotFound", "gone", expected=IDENT)
    stub.add_response("update_space", {"SpaceArn": "arn:s"})
    stub.add_response(
        "create_app",
        {"AppArn": "arn:a"},
        {**IDENT, "ResourceSpec": {"SageMakerImageArn": IMAGE, "InstanceType": "ml.g5.xlarge"}},
    )
    stub.add_response(
        "describe_app",
        space_app("Failed", "ml.g5.xlarge", FailureReason="InsufficientCapacityError"),
        IDENT,
    )
    # rollback: the Failed app is replaced by one on the original type
    stub.add_response("describe_app", space_app("Failed", "ml.g5.xlarge"), IDENT)
    stub.add_response(
        "update_space",
        {"SpaceArn": "arn:s"},
        {
            "DomainId": D,
            "SpaceName": "alice-space",
            "SpaceSettings": {
                "JupyterLabAppSettings": {
                    "DefaultResourceSpec": {
                        "SageMakerImageArn": IMAGE,
                        "InstanceType": "ml.t3.medium",
                    }
                }
            },
        },
    )
    stub.add_response(
        "create_app",
        {"AppArn": "arn:a"},
        {**IDENT, "ResourceSpec": {"SageMakerImageArn": IMAGE, "InstanceType": "ml.t3.medium"}},
    )
    stub.add_response("describe_app", space_app("InService", "ml.t3.medium"), IDENT)
    result = run(
        {
            "kind": "studio-space",
            "domain_id": D,
            "space_name": "alice-space",
            "app_type": "JupyterLab",
            "instance_type": "ml.g5.xlarge",
            "from_instance_type": "ml.t3.medium",
            "resource_spec": {"SageMakerImageArn": IMAGE},
        },
        sm,
        sleep=lambda s: None,
    )
    stub.assert_no_pending_responses()
    assert (result["ok"], result["rolled_back_to"], result["state"]) == (
        False,
        "ml.t3.medium",
        "InService",
    )
    assert result["error"] == (
        "the JupyterLab app failed on ml.g5.xlarge: InsufficientCapacityError"
    )
