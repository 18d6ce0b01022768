"""An unknown price says why it is unknown and what would make it known: live prices off,
too little close data; nothing billed running is its own source (a live fetch refused or
unreachable: aws/test_unknown_prices_live.py)."""

from __future__ import annotations

from jupyterlab_smcost.pricing import PriceBook

#: no bundled price in this region (the snapshot covers five others)
REGION, COMPONENT, TYPE = "af-south-1", "Studio-JupyterLab", "ml.m5.xlarge"


def test_with_live_prices_off_the_fix_is_to_turn_them_on() -> None:
    quote = PriceBook().price(REGION, COMPONENT, TYPE)
    assert quote.source == "unknown"
    assert f"none is bundled for {REGION}, and live prices are off" in quote.detail
    assert quote.fix is not None and "SmCostApp.live_prices" in quote.fix


def test_where_close_prices_are_known_the_reason_is_too_little_data() -> None:
    quote = PriceBook().price("us-east-1", "Notebook", "ml.zz9.large")
    assert quote.source == "unknown" and quote.fix is None
    assert "too little close data to estimate one" in quote.detail


def test_nothing_billed_is_not_a_price_of_zero_labelled_live() -> None:
    quote = PriceBook().total("us-east-1", "Studio-Notebook", [])
    assert (quote.per_hour, quote.source, quote.instance_type) == (0.0, "not_billed", None)
    assert quote.detail == "no billed app is running"
    both = PriceBook().total("us-east-1", "Studio-Notebook", ["ml.t3.medium", "ml.zz9.large"])
    assert both.source == "unknown" and both.instance_type is None
    assert [p.instance_type for p in both.parts or ()] == ["ml.t3.medium", "ml.zz9.large"]
