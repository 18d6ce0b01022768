"""What idle stops and switches saved, by the ledger's definition, on hand-made events with
the clock injected."""

from __future__ import annotations

import pytest

from jupyterlab_smcost.history.ledger import Event, ledger

H = 3600.0


def test_an_idle_stop_saves_the_gap_until_the_next_start_at_the_price_at_the_stop() -> None:
    events = [
        Event("stop", 10 * H, "ml.g5.2xlarge", 1.52),
        Event("start", 22 * H),  # 12 h not billed
        Event("stop", 30 * H, "ml.g5.2xlarge", 1.52),
        Event("start", 31 * H),  # 1 h
    ]
    t = ledger(events, now=40 * H)["USD"]
    assert (t.stops, t.stopped_hours, t.still_stopped) == (2, 13.0, False)
    assert t.idle_saved == pytest.approx(13 * 1.52)
    doc = t.to_json("USD")
    assert doc["estimate"] is True and doc["saved"] == round(13 * 1.52, 2)


def test_a_stop_never_followed_by_a_start_counts_until_now_and_says_so() -> None:
    t = ledger([Event("stop", 0.0, "ml.m5.xlarge", 0.23)], now=5 * H)["USD"]
    assert (t.stopped_hours, t.still_stopped) == (5.0, True)
    assert t.idle_saved == pytest.approx(5 * 0.23)
    later = ledger([Event("stop", 0.0, "ml.m5.xlarge", 0.23)], now=7 * H)["USD"]
    assert later.idle_saved == pytest.approx(7 * 0.23)


def test_a_switch_saves_the_difference_for_the_hours_on_the_new_type() -> None:
    events = [
        Event("switch", 0.0, "ml.g5.2xlarge", 1.52, from_type="ml.g5.12xlarge", from_price=7.09),
        Event("stop", 3 * H, "ml.g5.2xlarge", 1.52),  # 3 h on the cheaper type
        Event("start", 4 * H),
    ]
    t = ledger(events, now=4 * H)["USD"]
    assert (t.switches, t.switched_hours) == (1, 3.0)
    assert t.switch_saved == pytest.approx(3 * (7.09 - 1.52))
    assert t.idle_saved == pytest.approx(1 * 1.52)
    # a switch to a dearer type counts against the total
    up = [Event("switch", 0.0, "ml.m5.2xlarge", 0.46, from_type="ml.m5.xlarge", from_price=0.23)]
    assert ledger(up, now=2 * H)["USD"].switch_saved == pytest.approx(-0.46)


def test_unknown_prices_give_unknown_money_and_currencies_stay_apart() -> None:
    events = [
        Event("stop", 0.0, "ml.zz.large", None),
        Event("start", H),
        Event("stop", 10 * H, "ml.m5.xlarge", 1.8, currency="CNY"),
        Event("start", 12 * H),
    ]
    result = ledger(events, now=13 * H)
    assert result["USD"].idle_saved is None and result["USD"].stopped_hours == 1.0
    assert result["USD"].to_json("USD")["saved"] is None
    assert "ml.zz.large" in result["USD"].unknown[0]
    assert result["CNY"].idle_saved == pytest.approx(3.6)
