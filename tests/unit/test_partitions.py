"""The AWS China partition: region -> partition, ARN prefix, Price List API region and
currency; a Ningxia Price List record parsed into CNY; no China price is ever a converted USD
one; amounts never summed across currencies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.pricelist import product, recorded

from jupyterlab_smcost.aws.partitions import (
    build_arn,
    currency_of,
    parse_arn,
    partition_of,
    price_list_api_region,
)
from jupyterlab_smcost.aws.sagemaker import region_from_arn
from jupyterlab_smcost.history.reports import Tally, session_cost, spend
from jupyterlab_smcost.history.store import Running, Span
from jupyterlab_smcost.pricing import LivePriceCache, PriceBook, parse_price_list_item
from jupyterlab_smcost.pricing.pricelist import fix_for, validate_table
from jupyterlab_smcost.pricing.quote import Quote


@pytest.mark.parametrize(
    "region, partition, api, currency",
    [
        ("cn-north-1", "aws-cn", "cn-northwest-1", "CNY"),
        ("cn-northwest-1", "aws-cn", "cn-northwest-1", "CNY"),
        ("eu-west-1", "aws", "us-east-1", "USD"),
        ("ap-south-1", "aws", "us-east-1", "USD"),
        ("us-gov-west-1", "aws-us-gov", "us-east-1", None),
    ],
)
def test_partition_api_region_and_currency(region, partition, api, currency) -> None:
    assert partition_of(region) == partition
    assert price_list_api_region(region) == api
    assert currency_of(region) == currency


def test_arns_of_the_china_partition_parse_and_build() -> None:
    arn = "arn:aws-cn:sagemaker:cn-north-1:123456789012:space/d-abc123/alice-space"
    got = parse_arn(arn)
    assert got is not None
    assert (got.partition, got.region, got.account, got.resource) == (
        "aws-cn",
        "cn-north-1",
        "123456789012",
        "space/d-abc123/alice-space",
    )
    assert str(got) == arn
    assert region_from_arn(arn) == "cn-north-1"
    assert build_arn("sagemaker", "cn-northwest-1", "1", "notebook-instance/x") == (
        "arn:aws-cn:sagemaker:cn-northwest-1:1:notebook-instance/x"
    )
    assert build_arn("sagemaker", "eu-west-1", "1", "notebook-instance/x").startswith("arn:aws:")
    assert parse_arn("not-an-arn") is None


def test_a_ningxia_record_parses_into_a_cny_price() -> None:
    entry = parse_price_list_item(recorded("ningxia-jupyterlab-m5-xlarge"), "Studio-JupyterLab")
    assert entry is not None
    assert (entry.region, entry.instance_type, entry.per_hour, entry.currency) == (
        "cn-northwest-1",
        "ml.m5.xlarge",
        1.2345,
        "CNY",
    )
    assert entry.effective_date == "2026-11-01"


def test_a_china_record_with_only_a_usd_dimension_is_not_read_as_cny() -> None:
    # a record of a China region priced in USD is not what China's Price List answers: refused
    doc = json.loads(product("cn-north-1", "Studio-JupyterLab", "ml.m5.xlarge", "0.3"))
    assert parse_price_list_item(doc, "Studio-JupyterLab") is None
    # and a US record keyed CNY is not read as USD
    us = json.loads(recorded("ningxia-jupyterlab-m5-xlarge"))
    us["product"]["attributes"]["regionCode"] = "us-east-1"
    assert parse_price_list_item(us, "Studio-JupyterLab") is None


def test_a_china_cache_table_must_be_in_cny() -> None:
    item = {"per_hour": 1.2, "currency": "USD", "as_of": None}
    with pytest.raises(ValueError, match="not cn-north-1's CNY"):
        validate_table({"fetched_at": 0, "items": {"ml.m5.xlarge": item}}, "cn-north-1", "Notebook")
    ok = validate_table(
        {"fetched_at": 0, "items": {"ml.m5.xlarge": dict(item, currency="CNY")}},
        "cn-north-1",
        "Notebook",
    )
    assert ok["items"]["ml.m5.xlarge"]["currency"] == "CNY"
    # an earlier version's file (usd_per_hour) is USD: refused for China, read elsewhere
    legacy = {"fetched_at": 0, "items": {"ml.m5.xlarge": {"usd_per_hour": 0.2, "as_of": None}}}
    with pytest.raises(ValueError):
        validate_table(legacy, "cn-north-1", "Notebook")
    assert validate_table(legacy, "eu-west-1", "Notebook")["items"]["ml.m5.xlarge"] == {
        "per_hour": 0.2,
        "currency": "USD",
        "as_of": None,
        "effective_date": None,
    }


def test_no_bundled_china_price_is_unknown_never_converted_from_usd(tmp_path: Path) -> None:
    book = PriceBook()
    for region in ("cn-north-1", "cn-northwest-1"):
        q = book.price(region, "Studio-JupyterLab", "ml.m5.xlarge")
        assert (q.per_hour, q.source, q.currency) == (None, "unknown", "CNY")
        assert "no China (CNY) price is bundled" in q.detail
        assert "cn-northwest-1" in (q.fix or "")
    # live CNY prices in Ningxia for a few types: Beijing still gets no USD-derived figure,
    # and an estimate in Ningxia stays in CNY
    items = {
        t: {"per_hour": p, "currency": "CNY", "as_of": "2026-11-20"}
        for t, p in (("ml.m5.xlarge", 1.2345), ("ml.m5.2xlarge", 2.469))
    }
    (tmp_path / "prices-cn-northwest-1__Studio-JupyterLab.json").write_text(
        json.dumps({"fetched_at": 1e12, "items": items})
    )
    live = LivePriceCache(tmp_path, client_factory=lambda: None)
    book = PriceBook(live=live)
    book.load_live("cn-northwest-1", "Studio-JupyterLab")
    live_q = book.price("cn-northwest-1", "Studio-JupyterLab", "ml.m5.xlarge")
    assert (live_q.per_hour, live_q.source, live_q.currency) == (1.2345, "live", "CNY")
    est = book.price("cn-northwest-1", "Studio-JupyterLab", "ml.m5.4xlarge")
    assert (est.source, est.currency, est.per_hour) == ("estimated", "CNY", 4.938)
    assert "¥" in est.detail and "$" not in est.detail
    beijing = book.price("cn-north-1", "Studio-JupyterLab", "ml.m5.xlarge")
    assert beijing.source in ("unknown", "estimated")
    assert beijing.currency == "CNY" and "$" not in beijing.detail
    # a US region is not estimated from China's prices either
    us = book.price("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge")
    assert us.currency == "USD" and "¥" not in us.detail


def test_totals_are_never_summed_across_currencies() -> None:
    cny = Quote(1.0, "live", None, "", "cn-north-1", "Notebook", "ml.t3.medium", currency="CNY")
    usd = Quote(0.05, "bundled", None, "", "us-east-1", "Notebook", "ml.t3.medium")
    tally = Tally("CNY")
    tally.add(Running.of(cny), 2.0)
    tally.add(Running.of(usd), 3.0)
    assert (tally.amount, tally.unpriced_hours) == (2.0, 3.0)
    assert session_cost([(Running.of(cny), 2.0)]) == 2.0
    assert session_cost([(Running.of(cny), 2.0), (Running.of(usd), 1.0)]) is None


def test_history_spend_of_a_china_server_is_in_cny() -> None:
    from datetime import date, datetime, timezone

    now = datetime(2026, 11, 20, 12, tzinfo=timezone.utc).timestamp()
    r = Running.of(
        Quote(2.0, "live", "2026-11-20", "", "cn-north-1", "Notebook", "ml.t3.medium", "CNY")
    )
    doc = spend([Span(now - 3 * 3600, now, r)], date(2026, 11, 20), now)
    assert doc["currency"] == "CNY"
    assert doc["days"][-1]["amount"] == 6.0
    assert doc["days"][-1]["prices"][0]["price"]["currency"] == "CNY"


def test_fixes_name_the_partitions_price_list_endpoint() -> None:
    assert "api.pricing.cn-northwest-1.amazonaws.com.cn" in (
        fix_for("aws_unreachable", "cn-north-1") or ""
    )
    assert "(api.pricing.us-east-1.amazonaws.com)" in (
        fix_for("aws_unreachable", "eu-west-1") or ""
    )
