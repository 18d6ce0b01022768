"""Users' idle settings: validation, admin bounds, atomic persistence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyterlab_smcost.errors import SmCostError
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
        store.update(update)
    assert info.value.status == 400 and info.value.code == code
    assert words in info.value.message
    assert store.settings == D and not path.exists()


def test_update_persists_atomically_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "s.json"
    store = SettingsStore(path, D, B)
    new = store.update({"timeout_s": 1800, "count_terminals": False, "warning_s": 60})
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
    assert store.update({"enabled": False}).enabled is False
    assert store.update({"timeout_s": 10**6}).timeout_s == 10**6
