"""The live Price List path: the fetch's requests, pagination, the disk cache, refusals
(a botocore-Stubber pricing client, checked against the API model)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.pricelist import (
    calls,
    expected_params,
    page,
    product,
    stubbed_pricing_client,
)

from jupyterlab_smcost.pricing import LivePriceCache, PriceBook

REGION = "us-east-1"


def test_live_fetch_paginates_caches_and_wins_over_bundled(tmp_path: Path) -> None:
    client, stub = stubbed_pricing_client()
    stub.add_response(
        "get_products",
        {
            "PriceList": [
                product("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge", "0.2400000000"),
                product("us-east-1", "Studio-JupyterLab", "ml.t3.medium", "0.0500000000"),
            ],
            "FormatVersion": "aws_v1",
            "NextToken": "page2",
        },
        expected_params("us-east-1", "Studio-JupyterLab"),
    )
    stub.add_response(
        "get_products",
        {
            "PriceList": [
                product("us-east-1", "Studio-JupyterLab", "ml.g5.xlarge", "1.4100000000"),
                product("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge", "0.1", "GB-Mo"),
            ],
            "FormatVersion": "aws_v1",
        },
        expected_params("us-east-1", "Studio-JupyterLab", "page2"),
    )
    stub.add_response(
        "get_products",
        {"PriceList": [], "FormatVersion": "aws_v1"},
        expected_params("us-east-1", "Studio-JupyterLab", field="component"),
    )
    now = [1_000_000.0]
    cache = LivePriceCache(
        tmp_path, ttl_s=3600, client_factory=lambda: client, clock=lambda: now[0]
    )
    book = PriceBook(live=cache)
    with stub:
        cache.refresh("us-east-1", "Studio-JupyterLab")
        stub.assert_no_pending_responses()
        # fresh: a second refresh makes no call (the stub has no responses left)
        cache.refresh("us-east-1", "Studio-JupyterLab")
    p = book.price("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge")
    assert (p.per_hour, p.source, p.as_of) == (0.24, "live", "2026-11-01")
    assert book.specs("ml.m5.xlarge").vcpu == 4
    # the cache survives a new process (new objects reading the same dir)
    cache2 = LivePriceCache(tmp_path, ttl_s=3600, client_factory=lambda: None, clock=lambda: now[0])
    book2 = PriceBook(live=cache2)
    book2.load_live("us-east-1", "Studio-JupyterLab")
    assert book2.price("us-east-1", "Studio-JupyterLab", "ml.g5.xlarge").source == "live"
    assert cache2.is_fresh("us-east-1", "Studio-JupyterLab")
    now[0] += 3601
    assert not cache2.is_fresh("us-east-1", "Studio-JupyterLab")
    assert not list(tmp_path.glob(".prices-*"))  # atomic write left no temp file


def test_live_error_propagates_and_bundled_still_answers(tmp_path: Path) -> None:
    client, stub = stubbed_pricing_client()
    stub.add_client_error("get_products", "AccessDeniedException", "not allowed", 400)
    cache = LivePriceCache(tmp_path, client_factory=lambda: client)
    with stub, pytest.raises(Exception) as info:
        cache.refresh("us-east-1", "Notebook")
    assert "AccessDenied" in str(info.value)
    book = PriceBook(live=cache)
    assert book.price("us-east-1", "Notebook", "ml.t3.medium").source == "bundled"


def test_the_fetch_asks_both_kind_attributes_and_keeps_only_region_on_demand_hourly(
    tmp_path: Path,
) -> None:
    client, stub = stubbed_pricing_client()
    # platoinstancetype = Studio-JupyterLab: two pages
    stub.add_response(
        "get_products",
        page(
            [
                "jupyterlab-m5-xlarge",
                "jupyterlab-m5-xlarge-outposts",  # after the real one: must not overwrite
                "jupyterlab-t3-medium-lowercase-component",
            ],
            token="page-2",
        ),
        calls(REGION, "Studio-JupyterLab", "platoinstancetype"),
    )
    stub.add_response(
        "get_products",
        page(["jupyterlab-g5-xlarge-platoinstancetype-only", "jupyterlab-t3-large-gb-month"]),
        calls(REGION, "Studio-JupyterLab", "platoinstancetype", "page-2"),
    )
    # component = Studio-JupyterLab: the same products again, found the other way
    stub.add_response(
        "get_products",
        page(["jupyterlab-m5-xlarge", "jupyterlab-t3-medium-lowercase-component"]),
        calls(REGION, "Studio-JupyterLab", "component"),
    )
    cache = LivePriceCache(tmp_path, client_factory=lambda: client, clock=lambda: 1000.0)
    with stub:
        data = cache.refresh(REGION, "Studio-JupyterLab", force=True)
        stub.assert_no_pending_responses()
    assert data["items"] == {
        "ml.m5.xlarge": {
            "per_hour": 0.23,
            "currency": "USD",
            "as_of": "2026-11-20",
            "effective_date": "2026-11-01",
        },
        "ml.t3.medium": {
            "per_hour": 0.05,
            "currency": "USD",
            "as_of": "2026-11-20",
            "effective_date": "2026-11-01",
        },
        "ml.g5.xlarge": {
            "per_hour": 1.41,
            "currency": "USD",
            "as_of": "2026-11-20",
            "effective_date": "2026-11-01",
        },
    }
    book = PriceBook(live=LivePriceCache(tmp_path, client_factory=lambda: None))
    book.load_live(REGION, "Studio-JupyterLab")
    p = book.price(REGION, "Studio-JupyterLab", "ml.m5.xlarge")
    assert (p.per_hour, p.source, p.as_of) == (0.23, "live", "2026-11-20")
    assert "offer published 2026-11-20" in p.detail and "term effective 2026-11-01" in p.detail


def test_a_spot_training_sku_does_not_overwrite_training(tmp_path: Path) -> None:
    client, stub = stubbed_pricing_client()
    stub.add_response(
        "get_products", page(["training-m5-xlarge"]), calls(REGION, "Training", "platoinstancetype")
    )
    stub.add_response(
        "get_products",
        page(["training-m5-xlarge", "spottraining-m5-xlarge"]),  # the SpotTraining SKU last
        calls(REGION, "Training", "component"),
    )
    cache = LivePriceCache(tmp_path, client_factory=lambda: client)
    with stub:
        items = cache.refresh(REGION, "Training", force=True)["items"]
    assert items["ml.m5.xlarge"]["per_hour"] == 0.23


def test_a_hosting_fetch_keys_on_the_instance_name(tmp_path: Path) -> None:
    client, stub = stubbed_pricing_client()
    stub.add_response(
        "get_products",
        page(["hosting-g7e-2xlarge-suffix"]),
        calls(REGION, "Hosting", "platoinstancetype"),
    )
    stub.add_response("get_products", page([]), calls(REGION, "Hosting", "component"))
    cache = LivePriceCache(tmp_path, client_factory=lambda: client)
    with stub:
        items = cache.refresh(REGION, "Hosting", force=True)["items"]
    assert list(items) == ["ml.g7e.2xlarge"]
