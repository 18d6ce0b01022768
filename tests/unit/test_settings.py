"""Users' idle settings: parsed from a request body, validated against the admin's bounds,
persisted atomically."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from jupyterlab_smcost.errors import SmCostError
from jupyterlab_smcost.requests import parse_idle_update
from jupyterlab_smcost.settings import Bounds, IdleSettings, SettingsStore

D = IdleSettings(
    enabled=True, timeout_s=3600, ignore_connections=True, count_terminals=True, warning_s=300
)
B = Bounds(min_timeout_s=300, max_timeout_s=7200)


@pytest.mark.parametrize(
    "update, code, words",
    [
        ({"timeout_s": -5}, "invalid_setting", "positive"),
        ({"timeout_s": "ten"}, "invalid_setting", "number"),
        ({"timeout_s": True}, "invalid_setting", "number"),
        ({"timeout_s": 90.5}, "invalid_setting", "whole"),
        ({"timeout_s": 60}, "out_of_bounds", "between 300 and 7200"),
        ({"timeout_s": 9000}, "out_of_bounds", "between 300 and 7200"),
        ({"enabled": "yes"}, "invalid_setting", "true or false"),
        ({"colour": "red"}, "unknown_field", "unknown setting"),
        ({"warning_s": 3600}, "invalid_setting", "shorter"),
        ({"warning_s": -1}, "invalid_setting", "negative"),
        ({"enabled": False}, "out_of_bounds", "cannot be turned off"),
        ([1, 2], "invalid_setting", "JSON object"),
    ],
)
def test_bad_updates_are_refused_and_change_nothing(tmp_path: Path, update, code, words) -> None:
    path = tmp_path / "s.json"
    store = SettingsStore(path, D, B)
    with pytest.raises(SmCostError) as info:
        store.update(parse_idle_update(update))
    assert info.value.status == 400 and info.value.code == code
    assert words in info.value.message
    assert store.settings == D and not path.exists()


def test_update_persists_atomically_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "s.json"
    store = SettingsStore(path, D, B)
    new = store.update(
        parse_idle_update({"timeout_s": 1800, "count_terminals": False, "warning_s": 60})
    )
    assert (new.timeout_s, new.count_terminals, new.warning_s) == (1800, False, 60)
    assert json.loads(path.read_text())["timeout_s"] == 1800
    assert [p.name for p in path.parent.iterdir()] == ["s.json"]
    again = SettingsStore(path, D, B)
    assert again.settings == new


def test_saved_settings_are_clamped_to_new_admin_bounds(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps({**D.to_json(), "timeout_s": 100, "warning_s": 30, "enabled": False})
    )
    store = SettingsStore(path, D, Bounds(min_timeout_s=600, max_timeout_s=1200))
    assert store.settings.timeout_s == 600
    assert store.settings.enabled  # a maximum means it cannot stay off


def test_unreadable_file_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{oops")
    assert SettingsStore(path, D, B).settings == D
    path.write_text(json.dumps({"timeout_s": "soon"}))
    assert SettingsStore(path, D, B).settings == D


def test_no_upper_bound_allows_off(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "s.json", D, Bounds(60, 0))
    assert store.update(parse_idle_update({"enabled": False})).enabled is False
    assert store.update(parse_idle_update({"timeout_s": 10**6})).timeout_s == 10**6


@pytest.mark.parametrize(
    "saved",
    [
        {"enabled": "no", "timeout_s": True, "warning_s": False},
        {"timeout_s": 300000000000},
        {"timeout_s": 600, "warning_s": 600},
        {"timeout_s": 600, "colour": "red"},
        [1, 2],
    ],
)
def test_saved_file_is_validated_like_a_put(tmp_path: Path, saved, caplog) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(saved))
    with caplog.at_level("WARNING"):
        store = SettingsStore(path, D, B)
    assert store.settings == D
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "using the defaults" in warnings[0], warnings
    assert len(warnings[0]) < 400


def test_partial_saved_file_keeps_the_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"timeout_s": 1800}))
    assert SettingsStore(path, D, B).settings == IdleSettings(True, 1800, True, True, 300)


def test_leftover_temp_files_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    old = [tmp_path / f".settings-{i}.tmp" for i in range(3)]
    for i, p in enumerate(old):
        p.write_text("" if i else '{"timeout_s"')  # empty or cut short, as kill -9 leaves them
        os.utime(p, (time.time() - 3600, time.time() - 3600))
    fresh = tmp_path / ".settings-now.tmp"  # another writer's, in flight: not ours to touch
    fresh.write_text("{}")
    other = tmp_path / "notes.tmp"
    other.write_text("x")
    os.utime(other, (time.time() - 3600, time.time() - 3600))
    SettingsStore(path, D, B)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".settings-now.tmp", "notes.tmp"]
    # and the next save cleans what has gone stale since
    os.utime(fresh, (time.time() - 3600, time.time() - 3600))
    SettingsStore(path, D, B).update(parse_idle_update({"timeout_s": 1200}))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.tmp", "s.json"]


def test_unwritable_settings_dir_is_503_and_changes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the settings directory should be")
    store = SettingsStore(blocker / "smcost" / "s.json", D, B)
    with pytest.raises(SmCostError) as info:
        store.update(parse_idle_update({"timeout_s": 1200}))
    assert (info.value.status, info.value.code) == (503, "settings_unwritable")
    assert "nothing was changed" in info.value.message
    assert store.settings == D
