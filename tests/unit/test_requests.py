"""Request bodies and query strings become typed values, or a 400 that says what is wrong."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import pytest

from jupyterlab_smcost.errors import SmCostError
from jupyterlab_smcost.history import STEPS
from jupyterlab_smcost.requests import (
    HistoryQuery,
    IdleSettingsUpdate,
    ShutdownSaves,
    SwitchRequest,
    parse_history_query,
    parse_idle_update,
    parse_json_body,
    parse_shutdown_saves,
    parse_switch,
)


def refused(parse: Any, *args: Any) -> SmCostError:
    with pytest.raises(SmCostError) as info:
        parse(*args)
    return info.value


def test_an_idle_update_keeps_only_what_was_given() -> None:
    update = parse_idle_update({"timeout_s": 1800.0, "count_terminals": False})
    assert update == IdleSettingsUpdate(count_terminals=False, timeout_s=1800)
    assert isinstance(update.timeout_s, int)
    assert update.changes() == {"count_terminals": False, "timeout_s": 1800}
    assert parse_idle_update({}).changes() == {}


@pytest.mark.parametrize(
    "body, code, words",
    [
        ([1, 2], "invalid_setting", "JSON object"),
        ({"colour": "red", "size": 1}, "unknown_field", 'unknown setting(s): "colour, size"'),
        ({"enabled": "yes"}, "invalid_setting", "enabled must be true or false"),
        ({"timeout_s": True}, "invalid_setting", "number of seconds"),
        ({"warning_s": 2.5}, "invalid_setting", "whole number"),
        ({"timeout_s": 10**9}, "invalid_setting", "a year"),
    ],
)
def test_an_idle_update_of_the_wrong_shape_is_refused(body: Any, code: str, words: str) -> None:
    e = refused(parse_idle_update, body)
    assert (e.status, e.code) == (400, code) and words in e.message


def test_a_switch_request_names_one_type() -> None:
    assert parse_switch({"instance_type": " ml.g5.xlarge "}) == SwitchRequest("ml.g5.xlarge")
    assert refused(parse_switch, {"instance_type": 5}).code == "invalid_input"
    assert refused(parse_switch, ["ml.g5.xlarge"]).code == "invalid_input"
    e = refused(parse_switch, {"instance_type": "ml.g5.xlarge", "force": True})
    assert e.code == "unknown_field" and "known: instance_type" in e.message


def test_a_shutdown_saves_announcement_lists_document_paths() -> None:
    assert parse_shutdown_saves({"paths": ["a.ipynb", "/b/c.py"]}) == ShutdownSaves(
        ("a.ipynb", "/b/c.py")
    )
    for body in ({"paths": "a.ipynb"}, {"paths": ["/"]}, {"paths": ["x" * 4097]}, {}):
        assert refused(parse_shutdown_saves, body).code == "invalid_paths"
    assert refused(parse_shutdown_saves, {"paths": ["x"] * 1001}).code == "invalid_paths"
    assert refused(parse_shutdown_saves, {"paths": [], "more": 1}).code == "unknown_field"


def test_a_json_body_is_small_standard_and_shallow() -> None:
    assert parse_json_body(b'{"a": [1]}') == {"a": [1]}
    assert refused(parse_json_body, b"x" * (64 * 1024 + 1)).status == 413
    for raw in (b"", b"  ", b"{oops", b'{"a": NaN}', b"[" * 40 + b"]" * 40):
        e = refused(parse_json_body, raw)
        assert (e.status, e.code) == (400, "invalid_json")


def query(**args: str) -> tuple[dict[str, list[bytes]], Any]:
    """``args`` as tornado holds them, and its ``get_query_argument``."""
    arguments = {k: [v.encode()] for k, v in args.items()}

    def get(name: str) -> Optional[str]:
        return args.get(name)

    return arguments, get


def test_a_history_query_reads_since_and_step() -> None:
    got = parse_history_query(*query(since="2026-11-27T09:00:00Z", step="300"), STEPS)
    assert got == HistoryQuery(datetime(2026, 11, 27, 9, tzinfo=timezone.utc), 300)
    assert parse_history_query(*query(), STEPS) == HistoryQuery(None, STEPS[0])
    # JupyterLab's cache buster (a bare number) is not a parameter
    arguments, get = query()
    arguments["1733000000000"] = [b""]
    assert parse_history_query(arguments, get, STEPS) == HistoryQuery(None, STEPS[0])


def test_a_history_query_with_unknown_repeated_or_bad_parameters_is_refused() -> None:
    assert refused(parse_history_query, *query(until="now"), STEPS).code == "unknown_parameter"
    arguments, get = query(step="60")
    arguments["step"].append(b"120")
    e = refused(parse_history_query, arguments, get, STEPS)
    assert e.code == "invalid_parameter" and "more than once" in e.message
    for bad in (
        {"step": "61"},
        {"since": "yesterday"},
        {"since": "2026-11-27T09:00:00"},
        {"range": "week"},
        {"range": "horizon", "since": "2026-11-27T09:00:00Z"},
    ):
        assert refused(parse_history_query, *query(**bad), STEPS).code == "invalid_parameter"


def test_the_horizon_range_defaults_to_hours() -> None:
    assert parse_history_query(*query(range="horizon"), STEPS) == HistoryQuery(
        None, 3600, "horizon"
    )
    got = parse_history_query(*query(range="horizon", step="600"), STEPS)
    assert got == HistoryQuery(None, 600, "horizon")
    assert parse_history_query(*query(range="window"), STEPS) == HistoryQuery(None, STEPS[0])
