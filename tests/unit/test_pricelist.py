"""Reading the real Price List: product documents of each known shape (tests/data/pricelist),
parsed one by one and fetched through a botocore Stubber with the exact get_products calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from test_pricing import _stubbed_client, expected_params

from jupyterlab_smcost.pricing import (
    LivePriceCache,
    PriceBook,
    parse_price_list_item,
    price_list_requests,
)

FIXTURES = Path(__file__).resolve().parent / "data" / "pricelist"
REGION = "us-east-1"


def product(name: str) -> str:
    """A fixture as get_products returns it: one JSON string per product."""
    return (FIXTURES / f"{name}.json").read_text()


def calls(region: str, component: str, field: str, token: str | None = None) -> dict[str, Any]:
    """The exact parameters of one get_products call."""
    return expected_params(region, component, token, field=field)


def page(names: list[str], token: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"PriceList": [product(n) for n in names], "FormatVersion": "aws_v1"}
    if token:
        out["NextToken"] = token
    return out


def stubbed() -> tuple[Any, Stubber]:
    return _stubbed_client()


# ------------------------------------------------------------------------ one product


def test_a_plain_product_gives_its_hourly_price_and_both_dates() -> None:
    entry = parse_price_list_item(product("jupyterlab-m5-xlarge"), "Studio-JupyterLab")
    assert entry is not None
    assert (entry.region, entry.component, entry.instance_type, entry.usd_per_hour) == (
        REGION,
        "Studio-JupyterLab",
        "ml.m5.xlarge",
        0.23,
    )
    # as_of is the offer's publication date; the term's effectiveDate is kept apart
    assert (entry.as_of, entry.effective_date) == ("2026-11-20", "2026-11-01")


def test_an_outposts_duplicate_is_not_a_region_price() -> None:
    assert parse_price_list_item(product("jupyterlab-m5-xlarge-outposts")) is None


def test_a_spot_training_sku_is_not_training() -> None:
    # component says Training, platoinstancetype says SpotTraining: the kinds disagree
    assert parse_price_list_item(product("spottraining-m5-xlarge"), "Training") is None
    assert parse_price_list_item(product("spottraining-m5-xlarge")) is None
    assert parse_price_list_item(product("training-m5-xlarge"), "Training").usd_per_hour == 0.23


def test_the_type_is_the_instance_name_not_the_suffixed_instance_type() -> None:
    entry = parse_price_list_item(product("hosting-g7e-2xlarge-suffix"), "Hosting")
    assert entry.instance_type == "ml.g7e.2xlarge"  # instanceType is ml.g7e.2xlarge-hosting


@pytest.mark.parametrize("asked", ["Studio-JupyterLab", "studio-jupyterlab", "STUDIO-JUPYTERLAB"])
def test_the_kind_matches_in_any_case(asked: str) -> None:
    entry = parse_price_list_item(product("jupyterlab-t3-medium-lowercase-component"), asked)
    assert (entry.instance_type, entry.usd_per_hour) == ("ml.t3.medium", 0.05)


def test_a_product_with_only_platoinstancetype_is_read() -> None:
    entry = parse_price_list_item(
        product("jupyterlab-g5-xlarge-platoinstancetype-only"), "Studio-JupyterLab"
    )
    assert (entry.component, entry.instance_type, entry.usd_per_hour) == (
        "Studio-JupyterLab",
        "ml.g5.xlarge",
        1.41,
    )
    assert (
        parse_price_list_item(product("jupyterlab-g5-xlarge-platoinstancetype-only"), "Hosting")
        is None
    )


def test_a_non_hourly_unit_is_no_instance_price() -> None:
    assert (
        parse_price_list_item(product("jupyterlab-t3-large-gb-month"), "Studio-JupyterLab") is None
    )


def test_another_kind_is_refused() -> None:
    assert parse_price_list_item(product("jupyterlab-m5-xlarge"), "Notebook") is None


def test_zero_and_garbage_prices_are_refused() -> None:
    doc = json.loads(product("jupyterlab-m5-xlarge"))
    (term,) = doc["terms"]["OnDemand"].values()
    (dim,) = term["priceDimensions"].values()
    for bad in ("0.0000000000", "n/a", None):
        dim["pricePerUnit"] = {"USD": bad}
        assert parse_price_list_item(json.dumps(doc)) is None
    assert parse_price_list_item("[]") is None


# --------------------------------------------------------------------- the whole fetch


def test_the_fetch_asks_both_kind_attributes_and_keeps_only_region_on_demand_hourly(
    tmp_path: Path,
) -> None:
    client, stub = stubbed()
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
            "usd_per_hour": 0.23,
            "as_of": "2026-11-20",
            "effective_date": "2026-11-01",
        },
        "ml.t3.medium": {
            "usd_per_hour": 0.05,
            "as_of": "2026-11-20",
            "effective_date": "2026-11-01",
        },
        "ml.g5.xlarge": {
            "usd_per_hour": 1.41,
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
    client, stub = stubbed()
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
    assert items["ml.m5.xlarge"]["usd_per_hour"] == 0.23


def test_a_hosting_fetch_keys_on_the_instance_name(tmp_path: Path) -> None:
    client, stub = stubbed()
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


def test_the_requests_are_what_the_stubs_expect() -> None:
    assert price_list_requests("eu-west-1", "studio-codeeditor") == [
        calls("eu-west-1", "studio-codeeditor", "platoinstancetype"),
        calls("eu-west-1", "studio-codeeditor", "component"),
    ]
