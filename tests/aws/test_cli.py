"""``jupyter smcost`` end to end: tables, --json, prices, exit codes (moto and Stubber)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import boto3
import pytest
from support.moto_server import (
    aws_env,
    make_endpoints,
    make_notebooks,
    put_invocations,
)
from support.rest import write_price_cache

from jupyterlab_smcost import cli


def refresh_hosting_prices(cache_dir) -> tuple[int, str, str]:
    """`jupyter smcost prices` refreshing eu-west-1 Hosting prices into cache_dir."""
    return run_cli(
        "prices",
        "--region",
        "eu-west-1",
        "--component",
        "Hosting",
        "--refresh",
        "--cache-dir",
        str(cache_dir),
    )


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def endpoints(aws):
    sm = boto3.client("sagemaker")
    make_endpoints(sm, ["team-a-llm"], [("AllTraffic", "ml.g4dn.12xlarge", 1)], "llm")
    make_endpoints(sm, ["team-a-xgb", "team-b-xgb"], [("AllTraffic", "ml.m5.xlarge", 2)], "xgb")
    make_endpoints(sm, ["team-b-busy"], [("AllTraffic", "ml.m5.xlarge", 1)], "busy")
    put_invocations(boto3.client("cloudwatch"), [("team-b-busy", "AllTraffic", 12)])


def test_endpoints_idle_table(endpoints):
    rc, out, err = run_cli("endpoints", "idle", "--hours", "24")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["ENDPOINT", "VARIANTS", "$/DAY", "PRICE", "CREATED", "(UTC)"]
    # most expensive first, $/day right-aligned, price source and date on each row
    assert [line.split()[:7] for line in lines[2:5]] == [
        ["team-a-llm", "AllTraffic:", "1", "x", "ml.g4dn.12xlarge", "$130.87", "bundled"],
        ["team-a-xgb", "AllTraffic:", "2", "x", "ml.m5.xlarge", "$12.34", "bundled"],
        ["team-b-xgb", "AllTraffic:", "2", "x", "ml.m5.xlarge", "$12.34", "bundled"],
    ]
    assert lines[-1] == (
        "3 of 4 InService endpoints in eu-west-1 had no invocations in the last 24 h: $155.54/day."
    )


def test_endpoints_idle_json_with_name_filter(endpoints):
    rc, out, err = run_cli("endpoints", "idle", "--name-contains", "team-b", "--json")
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    assert doc["checked"] == 2 and doc["idle_count"] == 1
    assert doc["idle_per_day"] == pytest.approx(12.336) and doc["currency"] == "USD"
    assert doc["message_id"] is None
    (only,) = doc["idle"]
    assert only["name"] == "team-b-xgb"
    assert only["variants"] == [
        {
            "name": "AllTraffic",
            "instance_type": "ml.m5.xlarge",
            "instance_count": 2,
            "serverless": False,
            "invocations": 0.0,
            "shadow": False,
            "price": {
                "per_hour": 0.257,
                "currency": "USD",
                "source": "bundled",
                "as_of": "2023-12",
                "detail": only["variants"][0]["price"]["detail"],
                "fix": None,
                "region": "eu-west-1",
                "component": "Hosting",
                "instance_type": "ml.m5.xlarge",
                "parts": None,
                "range": None,
            },
            "per_day": pytest.approx(12.336),
        }
    ]


def test_endpoints_idle_notify_topic(endpoints):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="idle")["TopicArn"]
    q = sqs.create_queue(QueueName="idle-q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    rc, out, err = run_cli("endpoints", "idle", "--notify-topic", topic)
    assert (rc, err) == (0, "")
    msgs = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
    assert len(msgs) == 1
    envelope = json.loads(msgs[0]["Body"])
    assert out.splitlines()[-1] == f"Notified {topic} (message {envelope['MessageId']})."
    assert envelope["Subject"] == "SageMaker: 3 idle endpoints in eu-west-1 ($155.54/day)"
    assert (
        "- team-a-llm: $130.87/day (AllTraffic: 1 x ml.g4dn.12xlarge; price bundled 2023-12)"
        in envelope["Message"]
    )


def test_notebooks_stop_dry_run_then_stop_table(aws):
    make_notebooks({"dev-1": False, "dev-2": True, "ops-1": False})
    rc, out, err = run_cli("notebooks", "stop", "--name-contains", "dev-", "--dry-run")
    assert (rc, err) == (0, "")
    assert [line.split() for line in out.splitlines()] == [
        ["NOTEBOOK", "INSTANCE", "RESULT"],
        ["-----------------", "-------------------------"],
        ["dev-1", "would", "be", "stopped"],
        ["dev-2", "skipped", "(already", "Stopped)"],
        [],
        [
            "1",
            "would",
            "be",
            "stopped,",
            "1",
            "skipped,",
            "0",
            "failed",
            "(name",
            "contains",
            "'dev-')",
            "[dry",
            "run:",
            "nothing",
            "changed].",
        ],
    ]
    sm = boto3.client("sagemaker")
    assert (
        sm.describe_notebook_instance(NotebookInstanceName="dev-1")["NotebookInstanceStatus"]
        == "InService"
    )

    rc, out, err = run_cli("notebooks", "stop", "--name-contains", "dev-", "--json")
    assert (rc, err) == (0, "")
    assert json.loads(out) == {
        "action": "stop",
        "name_contains": "dev-",
        "dry_run": False,
        "stopped": ["dev-1"],
        "skipped": [{"name": "dev-2", "status": "Stopped", "reason": "already Stopped"}],
        "failed": [],
    }
    assert (
        sm.describe_notebook_instance(NotebookInstanceName="dev-1")["NotebookInstanceStatus"]
        == "Stopped"
    )
    assert (
        sm.describe_notebook_instance(NotebookInstanceName="ops-1")["NotebookInstanceStatus"]
        == "InService"
    )


def test_notebooks_name_filter_is_required():
    with pytest.raises(SystemExit) as info:
        run_cli("notebooks", "start")
    assert info.value.code == 2


# --------------------------------------------------------------------------- prices


def test_prices_bundled_table(tmp_path):
    rc, out, err = run_cli(
        "prices", "--region", "eu-west-1", "--component", "Hosting", "--cache-dir", str(tmp_path)
    )
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Hosting on-demand prices in eu-west-1:"
    assert lines[1].split() == [
        "TYPE",
        "$/HOUR",
        "$/MONTH",
        "LIKELY/H",
        "VCPU",
        "GIB",
        "GPU",
        "SOURCE",
    ]
    assert lines[3].split() == [
        "ml.m5.xlarge",
        "$0.2570",
        "$188",
        "-",  # a bundled price has no range
        "4",
        "16",
        "-",
        "bundled",
        "2023-12",
        "[1]",
    ]
    assert [line.split()[0] for line in lines[3:8]] == [
        "ml.m5.xlarge",
        "ml.g4dn.xlarge",
        "ml.g4dn.4xlarge",
        "ml.g4dn.12xlarge",
        "ml.g5.12xlarge",
    ]
    # the citation of each source, once, under the table
    assert lines[8:] == [
        "",
        "[1] github:aws-samples/sagemaker-ssh-helper@b6bf9ba39119784eb6ce6683ae9a6a2ed8ef4cd3:"
        "Sample_Costs.md (AWS bill line items, EU (Ireland), Dec 2023)",
    ]


def test_prices_of_given_types_say_where_each_comes_from(tmp_path):
    """A GPU type in ap-northeast-1 is estimated from us-east-1 with the g5 ratio; a type
    nothing is known of is unknown; the order is the order asked."""
    rc, out, err = run_cli(
        "prices",
        "--region",
        "ap-northeast-1",
        "--type",
        "ml.g5.4xlarge",
        "--type",
        "ml.g5.2xlarge",
        "--type",
        "ml.zz9.large",
        "--cache-dir",
        str(tmp_path),
    )
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Studio-JupyterLab on-demand prices in ap-northeast-1:"
    assert [line.split()[0] for line in lines[3:6]] == [
        "ml.g5.4xlarge",
        "ml.g5.2xlarge",
        "ml.zz9.large",
    ]
    assert lines[3].split()[1:] == [
        "$2.9433",
        "$2,149",
        "$2.93-$2.962",  # the same rule through every region with a g5 ratio
        "16",
        "64",
        "1",
        "x",
        "NVIDIA",
        "A10G",
        "estimated",
        "2026-09-24",
        "[1]",
    ]
    assert lines[4].split()[-3:] == ["bundled", "2026-09-24", "[2]"]
    assert lines[5].split()[1:] == ["unknown", "unknown", "-", "?", "?", "?", "unknown", "[3]"]
    assert lines[7] == (
        "[1] ml.g5.4xlarge in us-east-1 ($2.03/h, bundled 2026-09-24) x 1.45, the "
        "ap-northeast-1 / us-east-1 ratio over the 6 g5 types both price; its range: the "
        "same rule through 4 regions"
    )
    assert lines[9].startswith("[3] no Studio-JupyterLab price is known for ml.zz9.large")

    rc, out, err = run_cli(
        "prices", "--region", "ap-northeast-1", "--type", "ml.g5.4xlarge", "--json"
    )
    (item,) = json.loads(out)["items"]
    price = item["price"]
    assert (item["type"], price["per_hour"], price["source"], price["as_of"]) == (
        "ml.g5.4xlarge",
        2.9433,
        "estimated",
        "2026-09-24",
    )
    assert price["detail"].startswith("ml.g5.4xlarge in us-east-1")
    assert price["range"] == {"low": 2.9298, "high": 2.9615}
    assert item["per_day"] == pytest.approx(2.9433 * 24)


@pytest.mark.parametrize("given", ["studio-codeeditor", "Studio-CodeEditor", "STUDIO-CODEEDITOR"])
def test_prices_component_in_any_case(tmp_path, given):
    rc, out, err = run_cli(
        "prices",
        "--region",
        "us-east-1",
        "--component",
        given,
        "--type",
        "ml.t3.medium",
        "--json",
        "--cache-dir",
        str(tmp_path),
    )
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    assert doc["component"] == "studio-codeeditor"
    (item,) = doc["items"]
    assert (item["price"]["per_hour"], item["price"]["source"]) == (0.05, "estimated")
    assert item["price"]["detail"].startswith("ml.t3.medium Studio-JupyterLab price in us-east-1")


def test_prices_unknown_component_is_bad_usage(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["prices", "--component", "SpotTraining"])
    assert done.value.code == 2
    assert "unknown component 'SpotTraining' (choose from Studio-JupyterLab, studio-codeeditor" in (
        capsys.readouterr().err
    )


def test_prices_hosting_in_us_east_1(tmp_path):
    rc, out, err = run_cli(
        "prices",
        "--region",
        "us-east-1",
        "--component",
        "Hosting",
        "--json",
        "--cache-dir",
        str(tmp_path),
    )
    doc = json.loads(out)
    assert doc["as_of"] == "2025-01"
    items = {i["type"]: i for i in doc["items"]}
    assert len(items) == 29
    g5 = items["ml.g5.xlarge"]["price"]
    assert (g5["per_hour"], g5["source"]) == (1.4084, "bundled")
    assert "us-east-1" in g5["detail"]


def test_prices_json_unknown_region(tmp_path):
    rc, out, err = run_cli(
        "prices",
        "--region",
        "ap-south-2",
        "--component",
        "Hosting",
        "--cache-dir",
        str(tmp_path),
        "--json",
    )
    assert (rc, err) == (0, "")
    assert json.loads(out) == {
        "region": "ap-south-2",
        "component": "Hosting",
        "as_of": None,
        "refreshed": None,
        "items": [],
    }


def price_item(itype: str, usd: str, region="eu-west-1", component="Hosting") -> str:
    return json.dumps(
        {
            "product": {
                "sku": f"SKU-{itype}",
                "attributes": {
                    "instanceName": itype,
                    "component": component,
                    "platoinstancetype": component,
                    "regionCode": region,
                    "locationType": "AWS Region",
                },
            },
            "terms": {
                "OnDemand": {
                    "T1": {
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "priceDimensions": {"D1": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}},
                    }
                }
            },
            "publicationDate": "2026-11-20T00:00:00Z",
        }
    )


def pricing_params(field: str) -> dict:
    return {
        "ServiceCode": "AmazonSageMaker",
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"},
            {"Type": "TERM_MATCH", "Field": field, "Value": "Hosting"},
        ],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }


def test_prices_refresh_fills_the_cache(stubs, tmp_path):
    items = [price_item("ml.c5.large", "0.1150000000"), price_item("ml.m5.xlarge", "0.2600000000")]
    for field in ("platoinstancetype", "component"):
        stubs("pricing").add_response(
            "get_products",
            {"PriceList": items, "FormatVersion": "aws_v1"},
            pricing_params(field),
        )
    rc, out, err = refresh_hosting_prices(tmp_path)
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"Fetched 2 live prices into {tmp_path}."
    assert lines[4].split() == [
        "ml.c5.large",
        "$0.1150",
        "$84",
        "-",
        "2",
        "4",
        "-",
        "live",
        "2026-11-20",
        "[1]",
    ]
    assert lines[5].split()[:2] == ["ml.m5.xlarge", "$0.2600"]
    assert (tmp_path / "prices-eu-west-1__Hosting.json").exists()

    # the cache is used afterwards without a refresh (no pricing call: no stub left)
    rc, out, err = run_cli(
        "prices",
        "--region",
        "eu-west-1",
        "--component",
        "Hosting",
        "--cache-dir",
        str(tmp_path),
        "--json",
    )
    doc = json.loads(out)
    assert doc["refreshed"] is None and doc["as_of"] == "2026-11-20"
    prices = {i["type"]: i["price"] for i in doc["items"]}
    assert (prices["ml.c5.large"]["per_hour"], prices["ml.c5.large"]["source"]) == (0.115, "live")


def test_prices_refresh_access_denied_exits_1(stubs, tmp_path):
    stubs("pricing").add_client_error(
        "get_products",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: pricing:GetProducts",
        http_status_code=400,
        expected_params=pricing_params("platoinstancetype"),
    )
    rc, out, err = refresh_hosting_prices(tmp_path)
    assert rc == 1 and out == ""
    assert err == (
        "jupyter smcost: error: AWS denied GetProducts while trying to fetch Hosting prices for "
        "eu-west-1 (Price List API): not authorized to perform: pricing:GetProducts. The role "
        "needs permission for this action (see the IAM page of the documentation).\n"
    )


def test_idle_endpoints_use_the_live_price_cache(aws, tmp_path):
    items = {"ml.c5.large": {"usd_per_hour": 0.115, "as_of": "2026-11-01"}}
    write_price_cache(tmp_path, "eu-west-1", "Hosting", items)
    make_endpoints(boto3.client("sagemaker"), ["c5"], [("AllTraffic", "ml.c5.large", 1)], "c5")
    rc, out, err = run_cli("endpoints", "idle", "--json", "--cache-dir", str(tmp_path))
    (e,) = json.loads(out)["idle"]
    assert (e["per_day"], e["source"], e["as_of"]) == (
        pytest.approx(0.115 * 24),
        "live",
        "2026-11-01",
    )


# --------------------------------------------------------------------------- real processes


def test_module_process_exit_codes(aws):
    env = {**os.environ}
    ok = subprocess.run(
        [sys.executable, "-m", "jupyterlab_smcost.cli", "endpoints", "idle", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["checked"] == 0

    env.pop("AWS_ACCESS_KEY_ID")
    env.pop("AWS_SECRET_ACCESS_KEY")
    bad = subprocess.run(
        [sys.executable, "-m", "jupyterlab_smcost.cli", "endpoints", "idle"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("jupyter smcost: error: No AWS credentials were found")


@pytest.mark.skipif(not shutil.which("jupyter-smcost"), reason="package not installed")
def test_jupyter_smcost_entry_point(no_aws):
    done = subprocess.run(
        ["jupyter", "smcost", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert "{endpoints,notebooks,prices}" in done.stdout or "endpoints" in done.stdout
    env = aws_env("http://127.0.0.1:9")
    done = subprocess.run(
        ["jupyter", "smcost", "prices", "--region", "eu-west-1", "--component", "Notebook"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert done.returncode == 0
    assert "ml.t3.medium" in done.stdout


def no_aws_config_env(tmp_path) -> dict[str, str]:
    """A shell with no AWS configuration at all (no region, credentials, profile, endpoint)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in ("BOTO_CONFIG",)
    }
    env.update(
        {
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data"),
        }
    )
    return env


def run_process(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jupyterlab_smcost.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_prices_without_any_aws_configuration_show_us_east_1(tmp_path):
    """The docs say prices need no account: with no region configured the command shows
    us-east-1 and says so on stderr (stdout stays a clean table or JSON document)."""
    env = no_aws_config_env(tmp_path)
    notice = (
        "jupyter smcost: no AWS region is configured: showing us-east-1 "
        "(pass --region or set AWS_REGION)\n"
    )
    done = run_process("prices", env=env)
    assert (done.returncode, done.stderr) == (0, notice)
    lines = done.stdout.splitlines()
    assert lines[0] == "Studio-JupyterLab on-demand prices in us-east-1:"
    assert "ml.m5.xlarge" in done.stdout
    done = run_process("prices", "--json", env=env)
    assert (done.returncode, done.stderr) == (0, notice)
    doc = json.loads(done.stdout)
    assert doc["region"] == "us-east-1" and doc["items"]
    # a configured region is used as is, silently
    done = run_process("prices", "--json", env={**env, "AWS_DEFAULT_REGION": "eu-west-1"})
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["region"] == "eu-west-1"


@pytest.mark.parametrize("argv", [["prices", "--json"], ["prices"]], ids=["json", "table"])
def test_a_closed_pipe_ends_quietly(tmp_path, argv):
    """`jupyter smcost prices --json | head`: the reader goes away before the output is
    written; the command stops without a traceback, with 141 like other Unix tools."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab_smcost.cli", *argv, "--region", "eu-west-1"],
        env=no_aws_config_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # long before the command has imported anything, let alone written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""
