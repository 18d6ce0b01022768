"""``jupyter smcost fleet`` against a Studio domain: the SageMaker calls moto lacks (user
profiles, spaces, apps) on a model-checked HTTP stand-in, Cost Explorer on Stubber, S3 on
moto."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta, timezone

import boto3
import pytest
from support.moto_server import aws_env, patched_environ
from support.sm_stub import stubbed
from support.studio_standin import StudioStandin

from jupyterlab_smcost import cli
from jupyterlab_smcost.aws import lifecycle_script as lcs
from jupyterlab_smcost.aws.errors import AwsError
from jupyterlab_smcost.fleet.billed import grouped_request
from jupyterlab_smcost.fleet.collect import DomainReader
from jupyterlab_smcost.fleet_cli import fleet_report
from jupyterlab_smcost.pricing import PriceBook

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
NATIVE_60 = {
    "AppLifecycleManagement": {
        "IdleSettings": {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 60}
    }
}


def smcost_content(policy: dict) -> str:
    return lcs.encode(lcs.render(lcs.Settings("jupyterlab", "jupyterlab-smcost", policy)))


def populate(st: StudioStandin, now: datetime = NOW) -> None:
    """alice: smcost lifecycle, 30 min; bob: GPU, SageMaker idle 60 min from his profile,
    quiet for 5 h; carol: Code Editor, nothing; a shared space covered by the domain's
    default space settings; a deleted app and two spaces with nothing running."""
    st.add_domain("d-1", DefaultSpaceSettings={"JupyterLabAppSettings": NATIVE_60})
    st.add_user("d-1", "alice")
    st.add_user("d-1", "bob", UserSettings={"JupyterLabAppSettings": NATIVE_60})
    st.add_user("d-1", "carol")
    st.add_user("d-1", "dave")
    arn = st.add_config("smcost-jupyterlab-0123abcd", smcost_content({"idle_timeout": 1800}))
    st.add_space("d-1", "a-lab", owner="alice")
    st.add_space("d-1", "b-gpu", owner="bob")
    st.add_space("d-1", "c-code", owner="carol", app_type="CodeEditor")
    st.add_space("d-1", "team", app_type="JupyterLab")
    st.add_space("d-1", "d-lab", owner="dave")
    st.add_space("d-1", "d-old", owner="dave")
    st.add_app(
        "d-1",
        "a-lab",
        instance_type="ml.m5.large",
        created=now - timedelta(hours=3),
        last_activity=now - timedelta(minutes=10),
        lifecycle_config_arn=arn,
    )
    st.add_app(
        "d-1",
        "b-gpu",
        instance_type="ml.g5.xlarge",
        created=now - timedelta(hours=9),
        last_activity=now - timedelta(hours=5),
    )
    st.add_app(
        "d-1",
        "c-code",
        app_type="CodeEditor",
        instance_type="ml.t3.medium",
        created=now - timedelta(hours=30),
    )
    st.add_app("d-1", "team", instance_type="ml.t3.medium", created=now - timedelta(hours=1))
    st.add_app("d-1", "d-old", instance_type="ml.g5.xlarge", status="Deleted")


def sm_client(st: StudioStandin):
    return boto3.client(
        "sagemaker",
        region_name="eu-west-1",
        endpoint_url=st.url,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=__import__("botocore.config").config.Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def standin():
    with StudioStandin() as st:
        yield st
    assert not st.problems, st.problems


def test_fleet_report_covers_every_running_app(standin):
    populate(standin)
    report = fleet_report(sm_client(standin), "d-1", PriceBook(), now=NOW)
    apps = {a.space: a for a in report.apps}
    assert set(apps) == {"a-lab", "b-gpu", "c-code", "team"}  # d-old is Deleted
    assert report.apps[0].space == "c-code"  # no idle shutdown: first
    assert apps["c-code"].cover.mechanism == "none"
    assert apps["a-lab"].cover.mechanism == "smcost"
    assert apps["a-lab"].cover.idle_timeout_minutes == 30
    assert apps["a-lab"].cover.lifecycle_config == "smcost-jupyterlab-0123abcd"
    bob = apps["b-gpu"]
    assert bob.cover.mechanism == "native" and bob.cover.native.set_on == "user profile"
    assert bob.cover.caveats and "kernel or terminal" in bob.cover.caveats[0]
    assert apps["team"].cover.native.set_on == "domain (space default)"
    assert apps["team"].owner is None and apps["team"].shared
    assert bob.owner == "bob" and bob.hours_running == 9 and bob.hours_since_activity == 5
    assert [a.space for a in report.gpu_quiet] == ["b-gpu"]
    # prices come from the book, with their source, never made up
    book = PriceBook()
    assert bob.price == book.price("eu-west-1", "Studio-JupyterLab", "ml.g5.xlarge")
    assert apps["c-code"].price == book.price("eu-west-1", "studio-codeeditor", "ml.t3.medium")
    per_user = {t.key: t for t in report.per_user}
    assert per_user["bob"].per_hour == pytest.approx(bob.price.per_hour)
    assert per_user["(no owner)"].apps == 1
    assert sum(t.apps for t in report.per_type) == 4
    assert report.user_profiles == 4 and report.spaces == 6


def test_calls_are_bounded_by_what_runs(standin):
    populate(standin)
    fleet_report(sm_client(standin), "d-1", PriceBook(), now=NOW)
    counts = {op: standin.count(op) for op, _ in standin.calls}
    assert counts == {
        "DescribeDomain": 1,
        "ListUserProfiles": 1,
        "ListSpaces": 1,
        "ListApps": 1,
        "DescribeApp": 4,  # InService apps only
        "DescribeSpace": 4,  # spaces running one
        "DescribeUserProfile": 3,  # their owners
        "DescribeStudioLifecycleConfig": 1,
    }


def test_throttled_listing_resumes_from_its_token(standin):
    standin.add_domain("d-1")
    for i in range(250):
        standin.add_space("d-1", f"s{i:03}", owner=None)
    standin.throttle_next("ListSpaces", 3, after=2)  # the third page: throttled 3 times
    sleeps: list[float] = []
    reader = DomainReader(sm_client(standin), sleep=sleeps.append, workers=1)
    data = reader.read("d-1")
    assert len(data.spaces) == 250
    tokens = [p.get("NextToken") for op, p in standin.calls if op == "ListSpaces"]
    assert tokens[0] is None and tokens.count(None) == 1  # never started over
    assert len(tokens) == 6 and len(set(tokens[2:])) == 1  # page 3 asked 4 times
    assert data.retried_calls == 3 and len(sleeps) == 3


def test_throttling_past_the_bound_is_one_sentence(standin):
    standin.add_domain("d-1")
    standin.throttle_next("ListUserProfiles", 99)
    reader = DomainReader(sm_client(standin), sleep=lambda s: None, resume_attempts=3)
    with pytest.raises(AwsError) as info:
        reader.read("d-1")
    assert info.value.code == "aws_throttled"
    assert "list the user profiles of domain d-1" in info.value.message
    assert standin.count("ListUserProfiles") == 3


def test_listing_is_bounded(standin):
    standin.add_domain("d-1")
    for i in range(250):
        standin.add_user("d-1", f"u{i:03}")
    data = DomainReader(sm_client(standin), max_pages=2).read("d-1")
    assert len(data.user_profiles) == 200
    assert data.truncated == ["list the user profiles of domain d-1: stopped after 2 pages of 100"]


def _ce_answer(groups: list[tuple[str, str]]) -> dict:
    return {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": "2026-11-03", "End": "2026-12-01"},
                "Total": {},
                "Groups": [
                    {"Keys": [k], "Metrics": {"UnblendedCost": {"Amount": a, "Unit": "USD"}}}
                    for k, a in groups
                ],
                "Estimated": False,
            }
        ],
        "DimensionValueAttributes": [],
    }


def test_billed_per_user_from_cost_explorer(standin):
    populate(standin)
    ce, stub = stubbed("ce", "us-east-1")
    start, end = date(2026, 11, 3), date(2026, 12, 3)
    prefix = "arn:aws:sagemaker:eu-west-1:123456789012"
    stub.add_response(
        "get_cost_and_usage",
        _ce_answer(
            [
                (f"sagemaker:user-profile-arn${prefix}:user-profile/d-1/alice", "4.5"),
                (f"sagemaker:user-profile-arn${prefix}:user-profile/d-other/zed", "99"),
                ("sagemaker:user-profile-arn$", "1000"),  # untagged spend
            ]
        ),
        grouped_request("sagemaker:user-profile-arn", start, end),
    )
    stub.add_response(
        "get_cost_and_usage",
        _ce_answer(
            [
                (f"sagemaker:space-arn${prefix}:space/d-1/b-gpu", "30.25"),
                (f"sagemaker:space-arn${prefix}:space/d-1/a-lab", "1.5"),
                (f"sagemaker:space-arn${prefix}:space/d-1/team", "2"),
            ]
        ),
        grouped_request("sagemaker:space-arn", start, end),
    )
    report = fleet_report(sm_client(standin), "d-1", PriceBook(), ce=ce, now=NOW)
    stub.assert_no_pending_responses()
    assert report.billed["users"] == [
        {"user_profile": "bob", "amount": 30.25, "currency": "USD"},
        {"user_profile": "alice", "amount": 6.0, "currency": "USD"},
        {"user_profile": "(shared spaces)", "amount": 2.0, "currency": "USD"},
    ]
    assert "note" not in report.billed


def test_cost_explorer_denied_is_one_sentence(standin):
    populate(standin)
    ce, stub = stubbed("ce", "us-east-1")
    stub.add_client_error("get_cost_and_usage", "AccessDeniedException", "not authorized")
    report = fleet_report(sm_client(standin), "d-1", PriceBook(), ce=ce, now=NOW)
    assert report.billed["users"] == []
    assert report.billed["note"] == (
        "Cost Explorer figures are left out: AWS denied ce:GetCostAndUsage (the identity "
        "needs it, see the IAM page)."
    )
    assert len(report.apps) == 4  # the rest of the report stands


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(list(argv), out, err)
    return rc, out.getvalue(), err.getvalue()


def test_cli_json_table_html_and_publish(aws, standin, tmp_path):
    now = datetime.now(timezone.utc)
    populate(standin, now)
    standin.add_user("d-1", "<script>x</script>")
    boto3.client("s3").create_bucket(
        Bucket="reports", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    with patched_environ({**aws_env(aws), "AWS_ENDPOINT_URL_SAGEMAKER": standin.url}):
        rc, out, err = run_cli(
            "fleet",
            "--domain",
            "d-1",
            "--no-billed",
            "--json",
            "--cache-dir",
            str(tmp_path / "prices"),
            "--html",
            str(tmp_path / "fleet.html"),
            "--publish",
            "s3://reports/d-1/fleet.html",
        )
        assert (rc, err) == (0, "")
        doc = json.loads(out)
        assert doc["running_apps"] == 4 and doc["uncovered_apps"] == 1
        assert doc["apps"][0]["space"] == "c-code"
        assert doc["apps"][0]["coverage"]["mechanism"] == "none"
        first = doc["apps"][0]["price"]
        assert first["source"] in ("bundled", "live", "estimated", "unknown")
        assert first["currency"] == "USD"
        page = (tmp_path / "fleet.html").read_text()
        published = boto3.client("s3").get_object(Bucket="reports", Key="d-1/fleet.html")
        assert published["Body"].read().decode() == page
        assert published["ContentType"].startswith("text/html")
        rc, table_out, err = run_cli(
            "fleet", "--domain", "d-1", "--no-billed", "--cache-dir", str(tmp_path / "prices")
        )
    assert rc == 0
    assert "<svg" in page and page.count('class="bar"') == 4  # alice, bob, carol, shared
    assert "<script" not in page and "src=" not in page  # self-contained, names escaped
    assert table_out.splitlines()[2].split()[:2] == ["carol", "c-code"]
    assert "kernel or terminal session is open" in table_out
    assert "GPU apps with no activity in 2 h: b-gpu." in table_out
    assert table_out.rstrip().endswith("1 GPU apps with no activity in 2 h.")


def test_cli_unknown_domain_is_one_line(aws, standin):
    with patched_environ({**aws_env(aws), "AWS_ENDPOINT_URL_SAGEMAKER": standin.url}):
        rc, out, err = run_cli("fleet", "--domain", "d-nope", "--no-billed")
    assert rc == 1 and out == ""
    assert err.startswith(
        "jupyter smcost: error: AWS rejected DescribeDomain while trying to read domain d-nope"
    )
    assert err.count("\n") == 1


def test_what_went_away_meanwhile_is_left_out(standin):
    populate(standin)
    standin.gone = {("DescribeSpace", "b-gpu"), ("DescribeUserProfile", "alice")}
    report = fleet_report(sm_client(standin), "d-1", PriceBook(), now=NOW)
    apps = {a.space: a for a in report.apps}
    assert set(apps) == {"a-lab", "b-gpu", "c-code", "team"}
    assert apps["b-gpu"].owner == "bob"  # from the listing's ownership summary
    assert apps["a-lab"].cover.mechanism == "smcost"


def test_the_standin_checks_requests_against_the_model():
    import urllib.error
    import urllib.request

    with StudioStandin() as st:
        req = urllib.request.Request(
            st.url,
            data=json.dumps({"DomainIdEquals": "d-1", "MaxResults": "many"}).encode(),
            headers={"X-Amz-Target": "SageMaker.ListSpaces"},
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)  # noqa: S310 (127.0.0.1)
    assert info.value.code == 400
    assert st.problems and st.problems[0].startswith("ListSpaces: ")
