"""Bad input gets a 400 (or 413) with a short message, and changes nothing."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from support.rest import fetch_json, validate_response

BODY_ROUTES = [
    (("smcost", "idle"), "PUT", "/idle", "put"),
    (("smcost", "idle", "shutdown-saves"), "POST", "/idle/shutdown-saves", "post"),
    (("smcost", "switch"), "POST", "/switch", "post"),
]


async def settings_unchanged(jp_fetch: Any, before: dict, smcost_service: Any) -> None:
    assert (await fetch_json(jp_fetch, "smcost", "idle"))[1] == before
    assert not smcost_service.store.path.exists()  # nothing was ever saved
    # and everything that reads the settings still answers
    assert (await fetch_json(jp_fetch, "smcost", "status"))[0] == 200
    assert (await fetch_json(jp_fetch, "smcost", "idle", "keepalive", method="POST"))[0] == 200


@pytest.mark.parametrize(
    "raw",
    [
        '{"timeout_s": 300000000000}',
        '{"timeout_s": 1000000000000000000000000000000}',
        '{"timeout_s": 9223372036854775808}',
        '{"timeout_s": 1e308}',
        '{"warning_s": 1e308}',
        '{"timeout_s": NaN}',
        '{"timeout_s": Infinity}',
        '{"warning_s": -Infinity}',
        '{"timeout_s": 3600, "warning_s": 300000000000}',
    ],
)
async def test_huge_numbers_are_refused_and_nothing_is_saved(
    jp_fetch: Any, smcost_service: Any, raw: str
) -> None:
    _, before = await fetch_json(jp_fetch, "smcost", "idle")
    code, err = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body=raw)
    assert code == 400, err
    validate_response("/idle", "put", 400, err)
    assert err["error"]["code"] in ("invalid_setting", "invalid_json")
    assert len(err["error"]["message"]) < 200
    await settings_unchanged(jp_fetch, before, smcost_service)


@pytest.mark.parametrize("depth", [5000, 100])
@pytest.mark.parametrize("parts, method, path, op", BODY_ROUTES)
async def test_deep_json_is_invalid_json_on_every_body_route(
    jp_fetch: Any, parts: tuple, method: str, path: str, op: str, depth: int
) -> None:
    raw = "[" * depth + "]" * depth
    code, err = await fetch_json(jp_fetch, *parts, method=method, body=raw)
    assert (code, err["error"]["code"]) == (400, "invalid_json"), err
    validate_response(path, op, 400, err)
    code, err = await fetch_json(jp_fetch, *parts, method=method, body='{"paths": ' + raw + "}")
    assert (code, err["error"]["code"]) == (400, "invalid_json"), err


@pytest.mark.parametrize("parts, method, path, op", BODY_ROUTES)
async def test_bodies_over_64_kib_get_413(
    jp_fetch: Any, parts: tuple, method: str, path: str, op: str
) -> None:
    raw = '{"enabled": "' + "x" * (64 * 1024) + '"}'
    code, err = await fetch_json(jp_fetch, *parts, method=method, body=raw)
    assert (code, err["error"]["code"]) == (413, "body_too_large"), err
    validate_response(path, op, 413, err)
    assert len(err["error"]["message"]) < 200


async def test_errors_and_log_lines_quote_a_short_excerpt(
    jp_fetch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    big = "y" * 60_000
    with caplog.at_level(logging.DEBUG):
        for parts, method, body in [
            (("smcost", "idle"), "PUT", {"enabled": big}),
            (("smcost", "idle"), "PUT", {"timeout_s": big}),
            (("smcost", "idle"), "PUT", {big: 1}),
            (("smcost", "switch"), "POST", {"instance_type": big}),
            (("smcost", "switch"), "POST", {big: 1}),
            (("smcost", "idle", "shutdown-saves"), "POST", {"paths": [big]}),
        ]:
            code, err = await fetch_json(jp_fetch, *parts, method=method, body=body)
            assert code in (400, 409), err
            assert len(err["error"]["message"]) < 300, err["error"]["message"][:300]
    longest = max(len(r.getMessage()) for r in caplog.records)
    assert longest < 1000


async def test_unknown_fields_are_refused(jp_fetch: Any, smcost_service: Any) -> None:
    code, err = await fetch_json(
        jp_fetch,
        "smcost",
        "idle",
        "shutdown-saves",
        method="POST",
        body={"paths": ["a"], "evil": True},
    )
    assert (code, err["error"]["code"]) == (400, "unknown_field"), err
    assert smcost_service.monitor.shutdown_saves_size() == (0, 0)
    code, err = await fetch_json(
        jp_fetch,
        "smcost",
        "switch",
        method="POST",
        body={"instance_type": "ml.m5.large", "evil": 1},
    )
    assert (code, err["error"]["code"]) == (400, "unknown_field"), err
    assert smcost_service.switch is None
    code, err = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body={"evil": 1})
    assert (code, err["error"]["code"]) == (400, "unknown_field"), err
    assert err["error"]["message"] == (
        'unknown setting(s): "evil"; known: enabled, ignore_connections, count_terminals, '
        "count_background, timeout_s, warning_s"
    )


@pytest.mark.parametrize("value", ["null", "1", "yes", "", "TRUEISH", "0"])
async def test_prices_refresh_must_be_a_boolean(jp_fetch: Any, value: str) -> None:
    code, err = await fetch_json(jp_fetch, "smcost", "prices", params={"refresh": value})
    assert (code, err["error"]["code"]) == (400, "invalid_parameter"), err
    validate_response("/prices", "get", 400, err)


async def test_prices_refresh_booleans(jp_fetch: Any) -> None:
    assert (await fetch_json(jp_fetch, "smcost", "prices", params={"refresh": "false"}))[0] == 200
    code, err = await fetch_json(jp_fetch, "smcost", "prices", params={"refresh": "True"})
    assert (code, err["error"]["code"]) == (400, "live_prices_off")  # read as true


async def test_bounds_message_is_a_sentence(jp_fetch: Any) -> None:
    code, err = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body={"timeout_s": 10})
    assert (code, err["error"]["code"]) == (400, "out_of_bounds")
    assert err["error"]["message"] == (
        "timeout_s 10 is outside the administrator's bounds: at least 60 seconds "
        "(and at most 31622400, a year)"
    )


@pytest.fixture
def wrongly_typed_settings_file(tmp_path: Path) -> Path:
    """What a hand edit (or another tool) may leave in the user's settings file."""
    path = tmp_path / "smcost" / "idle-settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"enabled": "no", "timeout_s": True, "warning_s": False}))
    return path


async def test_a_wrongly_typed_settings_file_is_not_served(
    wrongly_typed_settings_file: Path, jp_fetch: Any
) -> None:
    code, idle = await fetch_json(jp_fetch, "smcost", "idle")
    assert code == 200
    validate_response("/idle", "get", 200, idle)
    assert (idle["enabled"], idle["timeout_s"], idle["warning_s"]) == (True, 3600, 300)


async def test_unwritable_settings_dir_is_503_and_nothing_changes(
    jp_fetch: Any, smcost_service: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "read-only"
    blocker.write_text("a file where the settings directory should be")
    smcost_service.store.path = blocker / "smcost" / "idle-settings.json"
    _, before = await fetch_json(jp_fetch, "smcost", "status")
    code, err = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body={"timeout_s": 900})
    assert (code, err["error"]["code"]) == (503, "settings_unwritable"), err
    validate_response("/idle", "put", 503, err)
    assert (await fetch_json(jp_fetch, "smcost", "idle"))[1]["timeout_s"] == 3600
    _, after = await fetch_json(jp_fetch, "smcost", "status")
    assert after["idle"]["deadline"] == before["idle"]["deadline"]


@pytest.mark.parametrize("path", ["/" + "a" * 4096, "a" * 4097, "/", ""])
async def test_announced_paths_follow_the_document(jp_fetch: Any, path: str) -> None:
    code, err = await fetch_json(
        jp_fetch, "smcost", "idle", "shutdown-saves", method="POST", body={"paths": [path]}
    )
    assert (code, err["error"]["code"]) == (400, "invalid_paths")
    code, _ = await fetch_json(
        jp_fetch, "smcost", "idle", "shutdown-saves", method="POST", body={"paths": ["a" * 4096]}
    )
    assert code == 200
