"""An unknown price says why when the live Price List cannot be had: the refused fetch
(a botocore-Stubber pricing client) or one that could not get through (every AWS endpoint
at a port nothing listens on) is the reason the panel shows, with what would fix it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support.moto_server import aws_env, patched_environ
from support.pricelist import expected_params, stubbed_pricing_client
from support.rest import fetch_json, validate_response

from jupyterlab_smcost.pricing import LivePriceCache, PriceBook

#: no bundled price in this region (the snapshot covers five others)
REGION, COMPONENT, TYPE = "af-south-1", "Studio-JupyterLab", "ml.m5.xlarge"


def test_a_refused_live_fetch_is_why_the_price_is_unknown(tmp_path: Path) -> None:
    client, stub = stubbed_pricing_client()
    stub.add_client_error(
        "get_products",
        service_error_code="AccessDeniedException",
        service_message="User is not authorized to perform: pricing:GetProducts",
        http_status_code=400,
        expected_params=expected_params(REGION, COMPONENT),
    )
    cache = LivePriceCache(tmp_path, client_factory=lambda: client)
    book = PriceBook(live=cache)
    with stub, pytest.raises(ClientError):
        cache.refresh(REGION, COMPONENT)
    quote = book.price(REGION, COMPONENT, TYPE)
    assert (quote.per_hour, quote.source, quote.currency) == (None, "unknown", "USD")
    assert (quote.region, quote.component, quote.instance_type) == (REGION, COMPONENT, TYPE)
    assert "the live Price List fetch failed: AWS denied GetProducts" in quote.detail
    assert "too little close data" not in quote.detail
    assert quote.fix is not None and "allow pricing:GetProducts" in quote.fix
    assert quote.to_json()["fix"] == quote.fix
    # with its code, for the panel to say in the user's language
    said = quote.to_json()["detail_message"]
    assert said["code"] == "price.unknown_fetch_failed" and said["text"] == quote.detail
    assert said["params"]["error_code"] == "aws_access_denied"
    assert said["params"]["error_operation"] == "GetProducts"
    assert "pricing:GetProducts" in said["params"]["error_detail"]
    assert "error_action" not in said["params"]  # the sentence says what was fetched
    assert quote.to_json()["fix_message"]["code"] == "fix.allow_get_products"

    # a fetch that gets through clears the reason: the Price List has no such price
    stub.add_response(
        "get_products",
        {"PriceList": [], "FormatVersion": "aws_v1"},
        expected_params(REGION, COMPONENT),
    )
    stub.add_response(
        "get_products",
        {"PriceList": [], "FormatVersion": "aws_v1"},
        expected_params(REGION, COMPONENT, field="component"),
    )
    with stub:
        cache.refresh(REGION, COMPONENT, force=True)
    quote = book.price(REGION, COMPONENT, TYPE)
    assert quote.source == "unknown" and quote.fix is None
    assert "neither the bundled snapshot nor the Price List has any" in quote.detail
    assert quote.detail_message and quote.detail_message.code == "price.unknown_nowhere"
    assert "fix_message" not in quote.to_json()


@pytest.fixture
def unreachable_price_list() -> Iterator[None]:
    """Dummy credentials; every AWS endpoint at a port nothing listens on (fails at once)."""
    with patched_environ(aws_env("http://127.0.0.1:9", region="us-east-1")):
        yield


@pytest.fixture
def smcost_config(unreachable_price_list: None) -> dict[str, Any]:
    return {"region": REGION, "instance_type": TYPE, "live_prices": True}


async def test_the_panel_hears_the_live_fetch_could_not_get_through(jp_fetch: Any) -> None:
    deadline = time.monotonic() + 30
    while True:  # until the start-up refresh has failed
        code, prices = await fetch_json(jp_fetch, "smcost", "prices")
        assert code == 200, prices
        if prices["live_error"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert "Could not reach the AWS endpoint" in prices["live_error"]
    code, status = await fetch_json(jp_fetch, "smcost", "status")
    assert code == 200
    validate_response("/status", "get", 200, status)
    price = status["price"]
    assert (price["per_hour"], price["source"], price["region"]) == (None, "unknown", REGION)
    assert "the live Price List fetch failed: Could not reach the AWS endpoint" in price["detail"]
    assert "too little close data" not in price["detail"]
    assert "a route from this network to the Price List API" in price["fix"]
    assert status["cost"]["projected_per_day"] is None
