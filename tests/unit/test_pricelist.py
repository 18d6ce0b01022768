"""Reading the real Price List: product documents of each known shape (tests/data/pricelist),
parsed one by one, and the requests a fetch makes."""

from __future__ import annotations

import json

import pytest
from support.pricelist import calls, recorded

from jupyterlab_smcost.pricing import (
    parse_price_list_item,
    price_list_requests,
)

REGION = "us-east-1"


# ------------------------------------------------------------------------ one product


def test_a_plain_product_gives_its_hourly_price_and_both_dates() -> None:
    entry = parse_price_list_item(recorded("jupyterlab-m5-xlarge"), "Studio-JupyterLab")
    assert entry is not None
    assert (entry.region, entry.component, entry.instance_type, entry.per_hour) == (
        REGION,
        "Studio-JupyterLab",
        "ml.m5.xlarge",
        0.23,
    )
    # as_of is the offer's publication date; the term's effectiveDate is kept apart
    assert (entry.as_of, entry.effective_date) == ("2026-11-20", "2026-11-01")


def test_an_outposts_duplicate_is_not_a_region_price() -> None:
    assert parse_price_list_item(recorded("jupyterlab-m5-xlarge-outposts")) is None


def test_a_spot_training_sku_is_not_training() -> None:
    # component says Training, platoinstancetype says SpotTraining: the kinds disagree
    assert parse_price_list_item(recorded("spottraining-m5-xlarge"), "Training") is None
    assert parse_price_list_item(recorded("spottraining-m5-xlarge")) is None
    assert parse_price_list_item(recorded("training-m5-xlarge"), "Training").per_hour == 0.23


def test_the_type_is_the_instance_name_not_the_suffixed_instance_type() -> None:
    entry = parse_price_list_item(recorded("hosting-g7e-2xlarge-suffix"), "Hosting")
    assert entry.instance_type == "ml.g7e.2xlarge"  # instanceType is ml.g7e.2xlarge-hosting


@pytest.mark.parametrize("asked", ["Studio-JupyterLab", "studio-jupyterlab", "STUDIO-JUPYTERLAB"])
def test_the_kind_matches_in_any_case(asked: str) -> None:
    entry = parse_price_list_item(recorded("jupyterlab-t3-medium-lowercase-component"), asked)
    assert (entry.instance_type, entry.per_hour) == ("ml.t3.medium", 0.05)


def test_a_product_with_only_platoinstancetype_is_read() -> None:
    entry = parse_price_list_item(
        recorded("jupyterlab-g5-xlarge-platoinstancetype-only"), "Studio-JupyterLab"
    )
    assert (entry.component, entry.instance_type, entry.per_hour) == (
        "Studio-JupyterLab",
        "ml.g5.xlarge",
        1.41,
    )
    assert (
        parse_price_list_item(recorded("jupyterlab-g5-xlarge-platoinstancetype-only"), "Hosting")
        is None
    )


def test_a_non_hourly_unit_is_no_instance_price() -> None:
    assert (
        parse_price_list_item(recorded("jupyterlab-t3-large-gb-month"), "Studio-JupyterLab") is None
    )


def test_another_kind_is_refused() -> None:
    assert parse_price_list_item(recorded("jupyterlab-m5-xlarge"), "Notebook") is None


def test_zero_and_garbage_prices_are_refused() -> None:
    doc = json.loads(recorded("jupyterlab-m5-xlarge"))
    (term,) = doc["terms"]["OnDemand"].values()
    (dim,) = term["priceDimensions"].values()
    for bad in ("0.0000000000", "n/a", None):
        dim["pricePerUnit"] = {"USD": bad}
        assert parse_price_list_item(json.dumps(doc)) is None
    assert parse_price_list_item("[]") is None


# --------------------------------------------------------------------- the whole fetch


def test_the_requests_are_what_the_stubs_expect() -> None:
    assert price_list_requests("eu-west-1", "studio-codeeditor") == [
        calls("eu-west-1", "studio-codeeditor", "platoinstancetype"),
        calls("eu-west-1", "studio-codeeditor", "component"),
    ]
