"""``jupyter smcost deploy``: the StackSet calls pinned by Stubber (real CloudFormation model),
the code published to moto S3 in two regions, the plain template deployed into moto's
CloudFormation there with its functions run, and the organisation digest of three member
accounts publishing cross-account to the central topic."""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from support.moto_server import aws_env, make_endpoints, patched_environ
from support.studio_standin import StudioStandin
from test_fleet import populate

from jupyterlab_smcost import cli
from jupyterlab_smcost.aws import stacksets as ss

ROOT = Path(__file__).resolve().parents[2]
PLAIN = ROOT / "deploy" / "janitor-stackset.json"
REGIONS = ["eu-west-1", "us-west-2"]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(list(argv), out, err)
    return rc, out.getvalue(), err.getvalue()


def test_stackset_requests_are_service_managed_with_auto_deployment(stubs):
    stub = stubs("cloudformation")
    stub.add_response(
        "create_stack_set",
        {"StackSetId": "jupyterlab-smcost-janitor:1234"},
        {
            "StackSetName": "jupyterlab-smcost-janitor",
            "Description": "jupyterlab-smcost janitor (idle endpoints, notebook schedule, fleet)",
            "TemplateBody": PLAIN.read_text(),
            "Parameters": [
                {"ParameterKey": "CodeBucketPrefix", "ParameterValue": "acme-smcost"},
                {"ParameterKey": "CodeKey", "ParameterValue": "jupyterlab-smcost-janitor.zip"},
                {"ParameterKey": "OrgTopicArn", "ParameterValue": "arn:aws:sns:eu-west-1:1:org"},
            ],
            "Capabilities": ["CAPABILITY_IAM"],
            "PermissionModel": "SERVICE_MANAGED",
            "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            "CallAs": "DELEGATED_ADMIN",
        },
    )
    stub.add_response(
        "create_stack_instances",
        {"OperationId": "op-1"},
        {
            "StackSetName": "jupyterlab-smcost-janitor",
            "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-cdefgh34", "ou-ab12-zz"]},
            "Regions": REGIONS,
            "OperationPreferences": {
                "RegionConcurrencyType": "PARALLEL",
                "MaxConcurrentPercentage": 100,
                "FailureTolerancePercentage": 0,
            },
            "CallAs": "DELEGATED_ADMIN",
        },
    )
    rc, out, err = run_cli(
        "deploy", "stackset", "--bucket-prefix", "acme-smcost",
        "--ous", "ou-ab12-cdefgh34,ou-ab12-zz", "--regions", ",".join(REGIONS),
        "--parameter", "OrgTopicArn=arn:aws:sns:eu-west-1:1:org", "--delegated-admin", "--json",
    )  # fmt: skip
    assert (rc, err) == (0, "")
    assert json.loads(out) == {
        "stack_set_id": "jupyterlab-smcost-janitor:1234",
        "operation_id": "op-1",
    }


def test_teardown_deletes_instances_waits_then_the_stackset(stubs):
    stub = stubs("cloudformation")
    who = {"StackSetName": "s", "CallAs": "SELF"}
    stub.add_response(
        "delete_stack_instances",
        {"OperationId": "op-del"},
        {**who, "DeploymentTargets": {"OrganizationalUnitIds": ["ou-1"]}, "Regions": REGIONS,
         "RetainStacks": False},
    )  # fmt: skip
    for status in ("RUNNING", "SUCCEEDED"):
        stub.add_response(
            "describe_stack_set_operation",
            {"StackSetOperation": {"OperationId": "op-del", "Status": status}},
            {**who, "OperationId": "op-del"},
        )
    stub.add_response("delete_stack_set", {}, who)
    sleeps: list[float] = []
    cfn = cli.clients.make_client("cloudformation")
    assert ss.teardown(cfn, "s", ["ou-1"], REGIONS, sleep=sleeps.append) == "op-del"
    assert sleeps == [15.0]


def test_failed_operation_is_one_sentence(stubs):
    stub = stubs("cloudformation")
    stub.add_response(
        "describe_stack_set_operation",
        {"StackSetOperation": {"OperationId": "op", "Status": "FAILED"}},
        {"StackSetName": "s", "OperationId": "op", "CallAs": "SELF"},
    )
    with pytest.raises(ss.CommandError, match="StackSet s operation op FAILED"):
        ss.wait_operation(cli.clients.make_client("cloudformation"), "s", "op")


def context(fn: dict) -> SimpleNamespace:
    return SimpleNamespace(invoked_function_arn=fn["FunctionArn"])


def run_function(fn: dict, region: str, extra_env: dict, creds: dict):
    """Lambda in moto needs docker to invoke: run the deployed function's handler here, with
    the environment CloudFormation gave it and the credentials of its account."""
    module, _, attr = fn["Handler"].rpartition(".")
    env = {**creds, **extra_env, "AWS_DEFAULT_REGION": region}
    # (moto keeps a Number parameter's value as a number: Lambda's are strings)
    env.update(
        {k: str(v) for k, v in ((fn.get("Environment") or {}).get("Variables") or {}).items()}
    )
    with patched_environ(env):
        return getattr(importlib.import_module(module), attr)({}, context(fn))


def deploy(region: str, params: dict) -> dict[str, dict]:
    session = boto3.session.Session()  # the credentials of now (boto3's default one caches)
    cfn = session.client("cloudformation", region_name=region)
    cfn.create_stack(
        StackName="janitor",
        TemplateBody=PLAIN.read_text(),
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
    )
    assert cfn.describe_stacks(StackName="janitor")["Stacks"][0]["StackStatus"] == (
        "CREATE_COMPLETE"
    )
    lam = session.client("lambda", region_name=region)
    return {
        f["Handler"].rpartition(".")[2]: lam.get_function(FunctionName=f["FunctionName"])[
            "Configuration"
        ]
        for f in lam.list_functions()["Functions"]
    }


def test_publish_then_the_template_in_two_regions(aws, tmp_path):
    rc, out, err = run_cli(
        "deploy", "publish", "--bucket-prefix", "acme-smcost", "--regions", ",".join(REGIONS),
        "--json",
    )  # fmt: skip
    assert (rc, err) == (0, "")
    assert json.loads(out)["published"] == {
        r: f"s3://acme-smcost-{r}/jupyterlab-smcost-janitor.zip" for r in REGIONS
    }
    for region in REGIONS:
        s3 = boto3.client("s3", region_name=region)
        assert s3.get_bucket_location(Bucket=f"acme-smcost-{region}")["LocationConstraint"] == (
            region
        )
        body = s3.get_object(Bucket=f"acme-smcost-{region}", Key=ss.DEFAULT_KEY)["Body"].read()
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        assert "jupyterlab_smcost/fleet/lambdas.py" in names
        assert not any("labextension" in n or n.endswith(".pyc") for n in names)
    creds = {k: v for k, v in aws_env(aws).items() if k.startswith("AWS_")}
    with StudioStandin() as st:
        populate(st)
        for region in REGIONS:
            fns = deploy(region, {"CodeBucketPrefix": "acme-smcost"})
            assert set(fns) == {
                "start_notebooks",
                "stop_notebooks",
                "report_idle_endpoints",
                "report_rightsize_endpoints",
                "report_fleet",
            }
            assert all(
                f["Role"].startswith("arn:aws:iam::123456789012:role/") for f in fns.values()
            )
            rules = boto3.client("events", region_name=region).list_rules()["Rules"]
            assert {r["ScheduleExpression"] for r in rules} == {
                "cron(0 7 ? * MON-FRI *)",
                "cron(0 21 ? * MON-FRI *)",
                "cron(0 8 * * ? *)",
                "cron(0 9 ? * MON-FRI *)",
                "cron(0 9 ? * MON *)",
            }
            sm = boto3.client("sagemaker", region_name=region)
            make_endpoints(sm, [f"ep-{region}"], [("AllTraffic", "ml.m5.xlarge", 1)], "c")
            idle = run_function(fns["report_idle_endpoints"], region, {}, creds)
            assert (idle["region"], idle["idle_count"]) == (region, 1) and idle["message_id"]
            sized = run_function(fns["report_rightsize_endpoints"], region, {}, creds)
            assert [i["endpoint"] for i in sized["items"]] == [f"ep-{region}"]
            assert sized["message_id"]
            fleet = run_function(
                fns["report_fleet"], region, {"AWS_ENDPOINT_URL_SAGEMAKER": st.url}, creds
            )
            assert fleet["region"] == region and fleet["message_id"]
            assert fleet["domains"][0]["running_apps"] == 4


def assume(account: str) -> dict[str, str]:
    c = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/janitor", RoleSessionName="test"
    )["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": c["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
        "AWS_SESSION_TOKEN": c["SessionToken"],
    }


@pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning")
def test_organisation_digest_of_three_member_accounts(aws, tmp_path):
    from support.org_stack import deploy_org, reader, received

    # the management account: the code, then deploy/org-topic.yaml (topic, queue, digest)
    ss.publish(lambda r: boto3.client("s3", region_name=r), "acme", REGIONS, b"zip", ss.DEFAULT_KEY)
    org = deploy_org("eu-west-1", "acme")
    org_topic = org["OrganisationTopicArn"]
    subscriber = reader(org["DigestTopicArn"], "subscriber")

    members = [("111111111111", "eu-west-1"), ("222222222222", "eu-west-1"),
               ("333333333333", "eu-west-1"), ("333333333333", "us-west-2")]  # fmt: skip
    with StudioStandin() as st:
        populate(st)
        for account, region in members:
            creds = assume(account)
            with patched_environ({**aws_env(aws, region), **creds}):
                fns = deploy(region, {"CodeBucketPrefix": "acme", "OrgTopicArn": org_topic})
            fn = fns["report_fleet"]
            assert fn["FunctionArn"].split(":")[4] == account
            summary = run_function(
                fn,
                region,
                {"AWS_ENDPOINT_URL_SAGEMAKER": st.url, **aws_env(aws, region), **creds},
                {},
            )
            assert summary["account"] == account and summary["org_message_id"]
    # the management account's DigestFunction, as its schedule runs it
    mgmt = {k: v for k, v in aws_env(aws).items() if k.startswith("AWS_")}
    doc = run_function(org["DigestFunction"], "eu-west-1", {}, mgmt)
    assert [(a["account"], [r["region"] for r in a["regions"]]) for a in doc["accounts"]] == [
        ("111111111111", ["eu-west-1"]),
        ("222222222222", ["eu-west-1"]),
        ("333333333333", ["eu-west-1", "us-west-2"]),
    ]
    assert doc["running_apps"] == 16 and doc["uncovered_apps"] == 4 and not doc["unreadable"]
    (msg,) = received(subscriber)  # one message for the organisation, not one per member
    assert msg["Message"].startswith("Organisation: 3 accounts, 4 account-regions, 16 running")
    assert msg["Message"].count("no idle shutdown: c-code (ml.t3.medium, carol)") == 4
    rc, text, err = run_cli("deploy", "digest", "--queue-url", org["DigestQueueUrl"])
    assert (rc, err) == (0, "")
    assert text.startswith("Organisation: no fleet report arrived")  # the function drained it


def test_publish_lets_the_organisation_read_the_code(aws):
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(
        Bucket="acme-smcost-eu-west-1",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    theirs = {"Sid": "Theirs", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
              "Resource": "arn:aws:s3:::acme-smcost-eu-west-1"}  # fmt: skip
    s3.put_bucket_policy(
        Bucket="acme-smcost-eu-west-1",
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [theirs]}),
    )
    argv = ["deploy", "publish", "--bucket-prefix", "acme-smcost", "--regions",
            ",".join(REGIONS), "--org-id", "o-abcdefghij"]  # fmt: skip
    for _ in range(2):  # a second publish replaces our statement, keeps theirs
        rc, out, err = run_cli(*argv)
        assert (rc, err) == (0, "")
    assert "readable by organisation o-abcdefghij" in out
    ours = {
        "Sid": "OrganisationReadsJanitorCode",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}},
    }
    for region in REGIONS:
        bucket = f"acme-smcost-{region}"
        policy = json.loads(
            boto3.client("s3", region_name=region).get_bucket_policy(Bucket=bucket)["Policy"]
        )
        key = f"arn:aws:s3:::{bucket}/{ss.DEFAULT_KEY}"
        expected = [theirs] if region == "eu-west-1" else []
        assert policy["Statement"] == expected + [{**ours, "Resource": key}]
    assert ss.org_read_statement("b", "k", "o-abcdefghij", "cn-north-1")["Resource"] == (
        "arn:aws-cn:s3:::b/k"
    )


def test_publish_refuses_what_is_not_an_organisation_id(no_aws, capsys):
    with pytest.raises(SystemExit) as done:
        run_cli("deploy", "publish", "--bucket-prefix", "p", "--regions", "eu-west-1",
                "--org-id", "123456789012")  # fmt: skip
    assert done.value.code == 2 and "an AWS Organizations id" in capsys.readouterr().err
    with pytest.raises(ss.CommandError, match="not an AWS Organizations id"):
        ss.publish(lambda r: None, "p", ["eu-west-1"], b"", ss.DEFAULT_KEY, "o-UPPER")


def test_a_template_too_large_to_send_inline_needs_a_url(stubs, tmp_path):
    stub = stubs("cloudformation")
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"Description": "x" * ss.TEMPLATE_BODY_MAX}))
    argv = ["deploy", "stackset", "--bucket-prefix", "p", "--ous", "ou-1", "--regions", "eu-west-1"]
    rc, out, err = run_cli(*argv, "--template", str(big))
    assert rc == 1 and "upload it to S3 and pass --template-url" in err
    url = "https://acme.s3.eu-west-1.amazonaws.com/janitor-stackset.json"
    stub.add_response(
        "create_stack_set",
        {"StackSetId": "s:1"},
        {
            "StackSetName": "jupyterlab-smcost-janitor",
            "Description": "jupyterlab-smcost janitor (idle endpoints, notebook schedule, fleet)",
            "TemplateURL": url,
            "Parameters": [
                {"ParameterKey": "CodeBucketPrefix", "ParameterValue": "p"},
                {"ParameterKey": "CodeKey", "ParameterValue": "jupyterlab-smcost-janitor.zip"},
            ],
            "Capabilities": ["CAPABILITY_IAM"],
            "PermissionModel": "SERVICE_MANAGED",
            "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            "CallAs": "SELF",
        },
    )
    stub.add_response("create_stack_instances", {"OperationId": "op"}, None)
    rc, out, err = run_cli(*argv, "--template-url", url)
    assert (rc, err) == (0, "")
    assert "operation op" in out
