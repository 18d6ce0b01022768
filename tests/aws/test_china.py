"""The AWS China regions end to end: a notebook instance on moto in cn-north-1 (aws-cn ARNs),
a Studio space with an aws-cn ARN (Stubber), the pricing client built for cn-northwest-1 and
a Ningxia Price List answer cached and priced in CNY, the janitor's costs in CNY."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from support.env_helpers import create_notebook_instance, notebook_metadata, write_metadata
from support.pricelist import add_price_list, recorded
from support.sm_stub import app

from jupyterlab_smcost.environments import (
    EnvConfig,
    IdleContext,
    NotebookInstanceEnvironment,
    StudioSpaceEnvironment,
    build_environment,
)
from jupyterlab_smcost.janitor.endpoints import EndpointUsage, IdleReport, VariantUsage
from jupyterlab_smcost.pricing import LivePriceCache, PriceBook
from jupyterlab_smcost.pricing.pricelist import _default_pricing_client

LOG = logging.getLogger("test-smcost")
BEIJING, NINGXIA = "cn-north-1", "cn-northwest-1"


def build(path: Path, **kw: Any) -> Any:
    cfg = EnvConfig(environment="auto", metadata_path=str(path), region=None)
    return build_environment(cfg, stop_server=lambda: None, log=LOG, valid_local_types=[], **kw)


def test_a_notebook_instance_in_beijing_on_moto(moto_endpoint: str, tmp_path: Path) -> None:
    arn = create_notebook_instance("dev-li", "ml.t3.medium", region=BEIJING)
    assert arn.startswith(f"arn:aws-cn:sagemaker:{BEIJING}:")
    env = build(notebook_metadata(tmp_path, "dev-li", arn))
    assert isinstance(env, NotebookInstanceEnvironment)
    assert (env.region, env.instance_types()) == (BEIJING, ["ml.t3.medium"])
    price = PriceBook().price(env.region, env.component, "ml.t3.medium")
    assert (price.source, price.currency, price.per_hour) == ("unknown", "CNY", None)
    assert env.shutdown(IdleContext()) == "stopped notebook instance dev-li"
    sm = boto3.client("sagemaker", region_name=BEIJING)
    status = sm.describe_notebook_instance(NotebookInstanceName="dev-li")
    assert status["NotebookInstanceStatus"] == "Stopped"
    env.close()


def test_a_studio_space_with_an_aws_cn_arn(tmp_path: Path) -> None:
    sm = boto3.client(
        "sagemaker", region_name=BEIJING, aws_access_key_id="x", aws_secret_access_key="x"
    )
    assert sm.meta.endpoint_url == f"https://api.sagemaker.{BEIJING}.amazonaws.com.cn"
    stub = Stubber(sm)
    stub.activate()
    asked: list[tuple[str, Any]] = []

    def factory(service: str, region: Any) -> Any:
        asked.append((service, region))
        return sm

    meta = {
        "AppType": "JupyterLab",
        "DomainId": "d-cn1",
        "SpaceName": "li-space",
        "UserProfileName": "",
        "ResourceArn": f"arn:aws-cn:sagemaker:{BEIJING}:123456789012:app/d-cn1/li-space/"
        "JupyterLab/default",
        "ResourceName": "default",
    }
    env = build(write_metadata(tmp_path, meta), aws_client_factory=factory)
    assert isinstance(env, StudioSpaceEnvironment)
    assert env.region == BEIJING
    ident = {"DomainId": "d-cn1", "SpaceName": "li-space", "AppType": "JupyterLab"}
    answer = app("d-cn1", "default", "JupyterLab", "InService", "ml.t3.medium", None, {})
    answer["AppArn"] = f"arn:aws-cn:sagemaker:{BEIJING}:123456789012:app/d-cn1/li-space/x"
    answer["SpaceName"] = "li-space"
    stub.add_response("describe_app", answer, dict(ident, AppName="default"))
    assert env.instance_types() == ["ml.t3.medium"]
    stub.assert_no_pending_responses()
    assert ("sagemaker", BEIJING) in asked


def test_the_pricing_client_for_china_is_built_in_ningxia() -> None:
    client = _default_pricing_client(NINGXIA)
    assert client.meta.region_name == NINGXIA
    assert client.meta.endpoint_url == "https://api.pricing.cn-northwest-1.amazonaws.com.cn"


def test_beijing_prices_are_fetched_from_ningxia_and_kept_in_cny(tmp_path: Path) -> None:
    client = boto3.client(
        "pricing", region_name=NINGXIA, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(client)
    asked: list[str] = []

    def client_for(api_region: str) -> Any:
        asked.append(api_region)
        return client

    record = json.loads(recorded("ningxia-jupyterlab-m5-xlarge"))
    record["product"]["attributes"]["regionCode"] = BEIJING
    record["product"]["attributes"]["usagetype"] = "CNN1-Studio-JupyterLab:ml.m5.xlarge"
    add_price_list(stub, BEIJING, "Studio-JupyterLab", [json.dumps(record)])
    add_price_list(stub, "us-east-1", "Studio-JupyterLab", [recorded("jupyterlab-m5-xlarge")])
    cache = LivePriceCache(tmp_path, client_for=client_for)
    with stub:
        cache.refresh(BEIJING, "Studio-JupyterLab", force=True)
        cache.refresh("us-east-1", "Studio-JupyterLab", force=True)
        stub.assert_no_pending_responses()
    assert asked == [NINGXIA, "us-east-1"]
    saved = json.loads((tmp_path / f"prices-{BEIJING}__Studio-JupyterLab.json").read_text())
    assert saved["items"]["ml.m5.xlarge"]["currency"] == "CNY"
    book = PriceBook(live=LivePriceCache(tmp_path, client_for=client_for))
    book.load_live(BEIJING, "Studio-JupyterLab")
    q = book.price(BEIJING, "Studio-JupyterLab", "ml.m5.xlarge")
    assert (q.per_hour, q.currency, q.source) == (1.2345, "CNY", "live")
    assert q.to_json()["currency"] == "CNY"
    assert q.describe().startswith("¥1.234")
    us = book.price("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge")
    assert (us.currency, us.per_hour) == ("USD", 0.23)


@pytest.mark.parametrize(
    "region, currency, symbol", [(BEIJING, "CNY", "¥"), ("eu-west-1", "USD", "$")]
)
def test_janitor_costs_carry_the_regions_currency(region: str, currency: str, symbol: str) -> None:
    from datetime import datetime, timezone

    from jupyterlab_smcost.janitor.endpoints import idle_message
    from jupyterlab_smcost.pricing import Quote

    price = Quote(2.0, "live", "2026-11-20", "", region, "Hosting", "ml.m5.xlarge", currency)
    variant = VariantUsage("AllTraffic", "ml.m5.xlarge", 1, price=price)
    odd = Quote(1.0, "live", currency="XXX")
    other = VariantUsage("B", "ml.m5.xlarge", 1, price=odd)
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    e1 = EndpointUsage("e1", f"arn:x:sagemaker:{region}:1:endpoint/e1", "c", None, [variant])
    e2 = EndpointUsage("e2", f"arn:x:sagemaker:{region}:1:endpoint/e2", "c", None, [variant, other])
    report = IdleReport(region, 24, now, now, [e1, e2])
    doc = report.to_json()
    assert (doc["currency"], doc["idle_per_day"], doc["idle_unpriced"]) == (currency, 48.0, 1)
    assert doc["idle"][0]["currency"] == currency
    assert e2.per_day is None  # two currencies in one endpoint: never summed
    subject, body = idle_message(report)
    assert f"{symbol}48.00/day" in subject


def test_billed_spend_of_a_beijing_space_is_read_in_cny() -> None:
    from datetime import date

    from support.sm_stub import factory

    from jupyterlab_smcost.aws.costs import SPACE_TAG, cost_and_usage_request
    from jupyterlab_smcost.errors import SmCostError

    def client(service: str) -> tuple[Any, Stubber]:
        c = boto3.client(
            service, region_name=BEIJING, aws_access_key_id="x", aws_secret_access_key="x"
        )
        s = Stubber(c)
        s.activate()
        return c, s

    sm, sm_stub = client("sagemaker")
    ce, ce_stub = client("ce")
    assert ce.meta.endpoint_url.endswith(".amazonaws.com.cn")
    space_arn = f"arn:aws-cn:sagemaker:{BEIJING}:123456789012:space/d-cn1/li-space"
    sm_stub.add_response(
        "describe_space",
        {"DomainId": "d-cn1", "SpaceArn": space_arn, "SpaceName": "li-space"},
        {"DomainId": "d-cn1", "SpaceName": "li-space"},
    )

    def day(unit: str) -> dict[str, Any]:
        return {
            "ResultsByTime": [
                {
                    "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-02"},
                    "Total": {"UnblendedCost": {"Amount": "12.5", "Unit": unit}},
                    "Groups": [],
                    "Estimated": False,
                }
            ]
        }

    want = cost_and_usage_request(SPACE_TAG, space_arn, date(2026, 11, 1), date(2026, 11, 2))
    ce_stub.add_response("get_cost_and_usage", day("CNY"), want)
    env = StudioSpaceEnvironment(
        BEIJING, "d-cn1", "li-space", client_factory=factory(sagemaker=sm, ce=ce)
    )
    got = env.billed_spend(date(2026, 11, 1), date(2026, 11, 2))
    assert got.tag_value == space_arn
    assert [d.amount for d in got.days] == [12.5]
    # a USD answer for a China account is not taken as CNY
    ce_stub.add_response("get_cost_and_usage", day("USD"), want)
    with pytest.raises(SmCostError, match="answered in USD, not CNY"):
        env.billed_spend(date(2026, 11, 1), date(2026, 11, 2))
