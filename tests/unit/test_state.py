"""Where state lives, per environment: a configured path wins, notebook instances keep state
on the notebook volume, elsewhere it is the Jupyter data dir (the server and the CLI using
it: aws/test_state_everywhere.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jupyterlab_smcost import state
from jupyterlab_smcost.state import state_dir, state_path

KINDS = ("local", "notebook-instance", "studio-classic", "studio-space")


# ---------------------------------------------------------------------------- the function


@pytest.mark.parametrize("kind", KINDS)
def test_a_configured_path_wins_everywhere(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_path("~/admin/idle.json", kind, "idle-settings.json") == (
        tmp_path / "admin" / "idle.json"
    )
    assert state_path("/srv/smcost/h.sqlite", kind, "history.sqlite") == Path(
        "/srv/smcost/h.sqlite"
    )


def test_notebook_instances_keep_state_on_the_notebook_volume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the volume mounted at /home/ec2-user/SageMaker survives a stop; a server run as
    another user finds it as ~/SageMaker."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    volume = tmp_path / "ec2-user" / "SageMaker"
    assert state_dir("notebook-instance", notebook_volume=volume) == (
        tmp_path / "home" / "SageMaker" / ".smcost"
    )
    volume.mkdir(parents=True)
    assert state_dir("notebook-instance", notebook_volume=volume) == volume / ".smcost"
    assert state_path(None, "notebook-instance", "prices", notebook_volume=volume) == (
        volume / ".smcost" / "prices"
    )


@pytest.mark.parametrize("kind", ["local", "studio-classic", "studio-space"])
def test_elsewhere_state_is_in_the_jupyter_data_dir(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    assert state_dir(kind) == tmp_path / "data" / "smcost"
    assert state_path(None, kind, "history.sqlite") == tmp_path / "data" / "smcost" / (
        "history.sqlite"
    )


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the Linux rules")
@pytest.mark.parametrize(
    "env",
    [
        {"JUPYTER_DATA_DIR": "{tmp}/explicit"},
        {"XDG_DATA_HOME": "{tmp}/xdg"},
        {},
    ],
    ids=["JUPYTER_DATA_DIR", "XDG_DATA_HOME", "home"],
)
def test_without_jupyter_core_the_data_dir_is_jupyter_cores(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where only boto3 is installed the same folder comes out as jupyter_core's."""
    from jupyter_core.paths import jupyter_data_dir

    for var in ("JUPYTER_DATA_DIR", "XDG_DATA_HOME", "JUPYTER_PLATFORM_DIRS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var, value in env.items():
        monkeypatch.setenv(var, value.format(tmp=tmp_path))
    assert state._data_dir_without_jupyter() == Path(jupyter_data_dir())
    assert state.jupyter_data_dir() == Path(jupyter_data_dir())


# ------------------------------------------------------------- the server and the CLI agree
