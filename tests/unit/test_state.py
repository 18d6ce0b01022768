"""Where state lives: one answer for the server and the CLI. A price cache file put where the
server keeps its cache is the one both the server (GET smcost/prices) and ``jupyter smcost
prices`` read, on a notebook instance (moto), in local mode and with configured paths."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from env_helpers import create_notebook_instance, notebook_metadata
from smcost_testing import fetch_json, write_price_cache

from jupyterlab_smcost import cli, state
from jupyterlab_smcost.state import NOTEBOOK_VOLUME, state_dir, state_path

pytest_plugins = ("moto_env",)

KINDS = ("local", "notebook-instance", "studio-classic", "studio-space")
NB_REGION = "us-east-1"  # the notebook instance's region (its ARN)
M5 = "ml.m5.xlarge"
CACHED = 0.2468  # in no bundled table: only the cache file says it
LAB = "Studio-JupyterLab"


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


def cli_price(*args: str, metadata_path: Path) -> dict[str, Any]:
    """``jupyter smcost prices --json --type ml.m5.xlarge ...``: the row of ml.m5.xlarge."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["prices", "--json", "--region", NB_REGION, "--type", M5, *args]
    rc = cli.main(argv, out=out, err=err, metadata_path=str(metadata_path))
    assert rc == 0, err.getvalue()
    (item,) = json.loads(out.getvalue())["items"]
    return item


def put_cache(cache_dir: Path, component: str) -> None:
    write_price_cache(
        cache_dir,
        NB_REGION,
        component,
        {M5: {"usd_per_hour": CACHED, "as_of": "2026-11-20"}},
        fetched_at=time.time(),  # fresh: nobody fetches
    )


@pytest.fixture
def smcost_config(request: Any, tmp_path: Path, jp_home_dir: Path, jp_data_dir: Path) -> Any:
    """The server of each case (``indirect`` parameter), with a fresh price cache file where
    the case says it belongs (nobody fetches a fresh one)."""
    config: dict[str, Any] = {"live_prices": True}
    if request.param == "notebook-instance":
        if NOTEBOOK_VOLUME.is_dir():
            pytest.skip("on a notebook instance: the real notebook volume would be used")
        request.getfixturevalue("moto_endpoint")
        arn = create_notebook_instance("dev-alice", "ml.t3.medium", region=NB_REGION)
        config["metadata_path"] = str(notebook_metadata(tmp_path, "dev-alice", arn))
    if request.param == "configured":
        admin = tmp_path / "admin"
        config.update(
            price_cache_dir=str(admin / "prices"),
            settings_file=str(admin / "idle-settings.json"),
            history_file=str(admin / "history.sqlite"),
        )
    else:  # the defaults
        config.update(settings_file=None, price_cache_dir=None, history_file=None)
    kept = kept_in(request.param, tmp_path, jp_home_dir, jp_data_dir)
    put_cache(kept / "prices", "Notebook" if request.param == "notebook-instance" else LAB)
    return config


def kept_in(case: str, tmp_path: Path, jp_home_dir: Path, jp_data_dir: Path) -> Path:
    """Where the test expects the state, worked out from the rules (not from the code)."""
    if case == "notebook-instance":
        # ~/SageMaker: the notebook volume as a server run by another user than ec2-user
        # finds it (the real /home/ec2-user/SageMaker is absent on a test machine)
        return jp_home_dir / "SageMaker" / ".smcost"
    if case == "configured":
        return tmp_path / "admin"
    return jp_data_dir / "smcost"


@pytest.mark.parametrize(
    "smcost_config", ["notebook-instance", "local", "configured"], indirect=True
)
async def test_the_server_and_the_cli_keep_state_in_the_same_place(
    smcost_config: dict[str, Any],
    request: Any,
    jp_fetch: Any,
    tmp_path: Path,
    jp_home_dir: Path,
    jp_data_dir: Path,
) -> None:
    case = request.node.callspec.params["smcost_config"]
    kept = kept_in(case, tmp_path, jp_home_dir, jp_data_dir)
    code, st = await fetch_json(jp_fetch, "smcost", "status")
    assert st["environment"]["kind"] == (
        "notebook-instance" if case == "notebook-instance" else "local"
    )
    code, body = await fetch_json(jp_fetch, "smcost", "prices")
    assert code == 200, body
    row = next(i for i in body["items"] if i["type"] == M5)
    assert (row["usd_per_hour"], row["source"]) == (CACHED, "live")
    args = ["--component", body["component"]]
    if case == "configured":  # the CLI knows no SmCostApp configuration: it is told
        args += ["--cache-dir", str(kept / "prices")]
    item = cli_price(*args, metadata_path=smcost_config.get("metadata_path") or tmp_path / "none")
    assert (item["usd_per_hour"], item["source"]) == (CACHED, "live")
    # the users' settings and the history are kept there too
    code, _ = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body={"timeout_s": 900})
    assert code == 200
    assert json.loads((kept / "idle-settings.json").read_text())["timeout_s"] == 900
    code, history = await fetch_json(jp_fetch, "smcost", "history")
    assert code == 200 and history["enabled"], history
    assert (kept / "history.sqlite").exists()
    if case != "local":
        assert not (jp_data_dir / "smcost").exists()
