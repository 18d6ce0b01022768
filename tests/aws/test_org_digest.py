"""The organisation digest (deploy/org-topic.yaml's DigestFunction, ``jupyter smcost deploy
digest``): the template deployed into moto's CloudFormation, member accounts' reports
published cross-account to its topic, the deployed function run in-process (moto runs Lambda
only with docker) with the environment CloudFormation gave it; its IAM grants exactly the
calls it makes."""

from __future__ import annotations

import json

import boto3
import pytest
from support.moto_server import aws_env, patched_environ
from support.org_stack import deploy_org, org_template, reader, received
from test_deploy import assume, run_cli, run_function

from jupyterlab_smcost.aws import clients
from jupyterlab_smcost.aws import stacksets as ss
from jupyterlab_smcost.aws.errors import AwsError
from jupyterlab_smcost.fleet import lambdas

#: what moto's CloudFormation skips (support/org_stack.py says how the tests make up for it)
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning")

#: the IAM action that authorises an API call, where the two differ
IAM_ACTION = {"sqs:DeleteMessageBatch": "sqs:DeleteMessage"}


def domain(domain_id: str, running: int, uncovered: list[str], per_hour: float) -> dict:
    """A domain of an account's fleet summary (FleetReport.to_json's shape, what
    lambdas.compact reads)."""
    apps = [
        {
            "space": space,
            "app_type": "JupyterLab",
            "instance_type": "ml.m5.large",
            "owner": space.split("-")[0],
            "per_day": 2.76,
            "coverage": {"mechanism": "none"},
        }
        for space in uncovered
    ]
    return {
        "domain_id": domain_id,
        "running_apps": running,
        "uncovered_apps": len(uncovered),
        "per_user": [],
        "per_instance_type": [
            {"key": "ml.m5.large", "apps": running, "per_hour": per_hour,
             "per_day": round(per_hour * 24, 2), "currency": "USD", "unpriced": 0}
        ],
        "gpu_quiet": [],
        "truncated": [],
        "apps": apps,
    }  # fmt: skip


def publish_report(org: dict, account: str, region: str, generated: str, domains: list) -> None:
    """What a member account's ReportFleetFunction sends: through the organisation topic's
    policy, with that account's credentials."""
    summary = {"account": account, "region": region, "generated": generated, "domains": domains}
    sns = boto3.session.Session(
        **{k.lower(): v for k, v in assume(account).items()}, region_name="eu-west-1"
    ).client("sns")
    lambdas.publish_to_org(sns, org["OrganisationTopicArn"], account, region, summary)


@pytest.fixture
def org(aws):
    """The management account's stack (code zip published first), a subscriber's queue on
    the digest topic, the credentials its function runs with."""
    ss.publish(lambda r: boto3.client("s3", region_name=r), "acme", ["eu-west-1"], b"zip",
               ss.DEFAULT_KEY)  # fmt: skip
    out = deploy_org()
    out["subscriber"] = reader(out["DigestTopicArn"], "subscriber")
    out["creds"] = {k: v for k, v in aws_env(aws).items() if k.startswith("AWS_")}
    return out


def granted() -> set[str]:
    role = org_template()["Resources"]["DigestFunctionRole"]["Properties"]
    out: set[str] = set()
    for policy in role["Policies"]:
        for st in policy["PolicyDocument"]["Statement"]:
            assert st["Effect"] == "Allow"
            out |= set(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    return out


@pytest.fixture
def calls(monkeypatch):
    """The IAM actions of every AWS call the package's clients make."""
    seen: set[str] = set()
    real = clients.make_client

    def make(service, region=None, **kwargs):
        client = real(service, region, **kwargs)
        client.meta.events.register(
            "before-call.*.*",
            lambda model, **kw: seen.add(
                IAM_ACTION.get(f"{service}:{model.name}", f"{service}:{model.name}")
            ),
        )
        return client

    monkeypatch.setattr(clients, "make_client", make)
    return seen


def digest(org: dict) -> dict:
    return run_function(org["DigestFunction"], "eu-west-1", {}, org["creds"])


def queue_counts(url: str) -> tuple[int, int]:
    a = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    a = a["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def test_three_accounts_give_one_digest_grouped_by_account_and_region(org, calls):
    early, late = "2026-03-02T09:00:05Z", "2026-03-02T09:01:00Z"
    publish_report(org, "333333333333", "us-west-2", late, [domain("d-c2", 1, [], 0.23)])
    publish_report(org, "111111111111", "eu-west-1", early, [domain("d-old", 9, [], 1.0)])
    publish_report(
        org, "111111111111", "eu-west-1", late, [domain("d-a", 3, ["ann-lab"], 0.345)]
    )  # fmt: skip  (the later one wins)
    publish_report(org, "222222222222", "eu-west-1", late, [])
    publish_report(org, "333333333333", "eu-west-1", late,
                   [domain("d-c1", 2, ["cy-lab", "cid-lab"], 0.23)])  # fmt: skip
    doc = digest(org)
    assert calls == granted()  # all it needs, nothing more
    assert [(a["account"], [r["region"] for r in a["regions"]]) for a in doc["accounts"]] == [
        ("111111111111", ["eu-west-1"]),
        ("222222222222", ["eu-west-1"]),
        ("333333333333", ["eu-west-1", "us-west-2"]),
    ]
    assert (doc["received_messages"], doc["reports"], doc["unreadable"]) == (5, 4, [])
    assert (doc["running_apps"], doc["uncovered_apps"]) == (6, 3)
    assert doc["per_day"] == [{"amount": round(24 * (0.345 + 0.23 + 0.23), 2), "currency": "USD"}]
    (msg,) = received(org["subscriber"])  # one message for the organisation
    assert msg["MessageId"] == doc["message_id"]
    assert msg["Subject"] == (
        "SageMaker fleet, organisation: 3 accounts, 3 apps without idle shutdown"
    )
    assert msg["Message"].splitlines() == [
        "Organisation: 3 accounts, 4 account-regions, 6 running apps, 3 with no idle shutdown, "
        "$19.32/day.",
        "account 111111111111:",
        "  eu-west-1 d-a: 3 running, 1 without idle shutdown, $8.28/day",
        "    no idle shutdown: ann-lab (ml.m5.large, ann)",
        "account 222222222222:",
        f"  eu-west-1: no Studio domain (report {late})",
        "account 333333333333:",
        "  eu-west-1 d-c1: 2 running, 2 without idle shutdown, $5.52/day",
        "    no idle shutdown: cy-lab (ml.m5.large, cy)",
        "    no idle shutdown: cid-lab (ml.m5.large, cid)",
        "  us-west-2 d-c2: 1 running, 0 without idle shutdown, $5.52/day",
        "Cost per day: the running apps' hourly prices x 24 as each member's report priced "
        "them; each account's own digest gives every app's price and its source.",
    ]
    assert queue_counts(org["DigestQueueUrl"]) == (0, 0)  # deleted once the digest was out


def test_an_empty_queue_still_sends_a_digest_saying_so(org):
    doc = digest(org)
    assert (doc["received_messages"], doc["accounts"]) == (0, [])
    (msg,) = received(org["subscriber"])
    assert msg["Subject"] == "SageMaker fleet, organisation: no report arrived"
    assert msg["Message"].startswith("Organisation: no fleet report arrived since the last")


def test_unreadable_messages_are_listed_not_fatal(org):
    sqs, url = boto3.client("sqs"), org["DigestQueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="not json at all")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"Type": "Notification"}))
    odd = {"Message": "{}", "MessageAttributes": {"kind": "fleet"}}  # attributes not SNS's shape
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(odd))
    sns, topic = boto3.client("sns"), org["OrganisationTopicArn"]
    who = (("account", "444444444444"), ("region", "eu-west-1"), ("kind", "fleet"))
    attrs = {k: {"DataType": "String", "StringValue": v} for k, v in who}
    sns.publish(TopicArn=topic, Message="{truncated", MessageAttributes=attrs)
    sns.publish(TopicArn=topic, Message=json.dumps({"generated": "x"}), MessageAttributes=attrs)
    bad_domain = {"generated": "2026-03-02T09:00:00Z", "domains": [{"domain_id": "d-x"}]}
    sns.publish(TopicArn=topic, Message=json.dumps(bad_domain), MessageAttributes=attrs)
    sns.publish(TopicArn=topic, Message="{}", MessageAttributes={**attrs, "kind": {
        "DataType": "String", "StringValue": "other"}})  # fmt: skip
    publish_report(org, "111111111111", "eu-west-1", "2026-03-02T09:00:00Z",
                   [domain("d-a", 1, [], 0.1)])  # fmt: skip
    doc = digest(org)
    assert doc["reports"] == 1 and doc["skipped_messages"] == 2  # "other", and no kind
    assert sorted(u["problem"] for u in doc["unreadable"]) == [
        "domain d-x: 'running_apps' is not a number",
        "the message is not JSON (not an SNS notification)",
        "the message is not an SNS notification (no 'Message')",
        "the report has no 'domains' list",
        "the report is not JSON",
    ]
    (msg,) = received(org["subscriber"])
    text = msg["Message"]
    assert "account 111111111111:\n  eu-west-1 d-a: 1 running" in text
    assert "5 messages could not be read (deleted):" in text
    assert "2 messages that are not fleet reports: dropped." in text
    assert "from account 444444444444 eu-west-1: the report is not JSON: '" in text
    assert "from account unknown unknown: the message is not JSON" in text
    assert queue_counts(org["DigestQueueUrl"]) == (0, 0)


def test_a_digest_that_cannot_be_sent_leaves_the_reports_queued(org):
    publish_report(org, "111111111111", "eu-west-1", "2026-03-02T09:00:00Z", [])
    fn = {**org["DigestFunction"]}
    gone = {**fn["Environment"]["Variables"], "DIGEST_TOPIC_ARN": org["DigestTopicArn"] + "-x"}
    fn["Environment"] = {"Variables": gone}
    with pytest.raises(AwsError, match="publish the organisation digest"):
        run_function(fn, "eu-west-1", {}, org["creds"])
    assert queue_counts(org["DigestQueueUrl"]) == (0, 1)  # received, invisible, not deleted
    assert received(org["subscriber"]) == []


def test_the_cli_digest_is_the_same_code(org):
    publish_report(org, "111111111111", "eu-west-1", "2026-03-02T09:00:00Z",
                   [domain("d-a", 2, ["ann-lab"], 0.1)])  # fmt: skip
    rc, out, err = run_cli(
        "deploy", "digest", "--queue-url", org["DigestQueueUrl"],
        "--notify-topic", org["DigestTopicArn"], "--json",
    )  # fmt: skip
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    assert [a["account"] for a in doc["accounts"]] == ["111111111111"]
    (msg,) = received(org["subscriber"])
    assert msg["MessageId"] == doc["message_id"]
    rc, text, err = run_cli("deploy", "digest", "--queue-url", org["DigestQueueUrl"])
    assert text.startswith("Organisation: no fleet report arrived")  # drained by the first


def test_handler_needs_its_queue_and_topic():
    with patched_environ({"QUEUE_URL": "", "DIGEST_TOPIC_ARN": ""}):
        with pytest.raises(lambdas.CommandError, match="QUEUE_URL and DIGEST_TOPIC_ARN"):
            lambdas.organisation_digest({}, None)


def test_more_than_a_run_takes_waits_for_the_next(org, monkeypatch):
    from jupyterlab_smcost.fleet import org_digest

    monkeypatch.setattr(org_digest, "MAX_RECEIVES", 1)  # 10 messages a run
    sqs, url = boto3.client("sqs"), org["DigestQueueUrl"]
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"junk {i}")
    doc = digest(org)
    assert doc["more_waiting"] and doc["received_messages"] == 10
    (msg,) = received(org["subscriber"])
    assert "More than 10 messages were waiting: the rest go to the next digest." in msg["Message"]
    assert queue_counts(url) == (2, 0)


def test_a_digest_over_the_sns_size_is_cut_at_a_line():
    from jupyterlab_smcost.fleet import org_digest

    summary = {
        "account": "?",
        "region": "eu-west-1",
        "generated": "2026-03-02T09:00:00Z",
        "domains": [domain("d-1", 30, [f"u{j}-lab" for j in range(25)], 1.0)],
    }
    report = json.dumps(lambdas.compact(summary))  # what the members send

    def envelope(i: int) -> dict:
        attrs = {"account": f"{i:012d}", "region": "eu-west-1", "kind": "fleet"}
        return {
            "MessageId": str(i),
            "Message": report,
            "MessageAttributes": {k: {"Type": "String", "Value": v} for k, v in attrs.items()},
        }

    big = [{"Body": json.dumps(envelope(i))} for i in range(1200)]
    text = org_digest.digest_text(org_digest.org_digest(big))
    assert len(text.encode()) <= org_digest.MESSAGE_MAX
    last = text.splitlines()[-1]
    assert last.startswith("... ") and last.endswith(
        "more lines: over SNS's message size (--json has them all)."
    )
    assert text.splitlines()[-2].startswith(("account ", "  eu-west-1", "    no idle", "    and"))
    assert "    no idle shutdown: u19-lab (ml.m5.large, u19)\n    and 5 more without idle" in text
