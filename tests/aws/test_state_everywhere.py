"""Where state lives, one answer for the server and the CLI: a price cache file put where
the server keeps its cache is the one both the server (GET smcost/prices) and ``jupyter
smcost prices`` read, on a notebook instance (moto), in local mode and with configured
paths; the users' settings and the history are kept there too."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from support.env_helpers import create_notebook_instance, notebook_metadata
from support.rest import fetch_json, write_price_cache

from jupyterlab_smcost import cli
from jupyterlab_smcost.state import NOTEBOOK_VOLUME

NB_REGION = "us-east-1"  # the notebook instance's region (its ARN)
M5 = "ml.m5.xlarge"
CACHED = 0.2468  # in no bundled table: only the cache file says it
LAB = "Studio-JupyterLab"


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
    assert (row["price"]["per_hour"], row["price"]["source"]) == (CACHED, "live")
    args = ["--component", body["component"]]
    if case == "configured":  # the CLI knows no SmCostApp configuration: it is told
        args += ["--cache-dir", str(kept / "prices")]
    item = cli_price(*args, metadata_path=smcost_config.get("metadata_path") or tmp_path / "none")
    assert (item["price"]["per_hour"], item["price"]["source"]) == (CACHED, "live")
    # the users' settings and the history are kept there too
    code, _ = await fetch_json(jp_fetch, "smcost", "idle", method="PUT", body={"timeout_s": 900})
    assert code == 200
    assert json.loads((kept / "idle-settings.json").read_text())["timeout_s"] == 900
    code, history = await fetch_json(jp_fetch, "smcost", "history")
    assert code == 200 and history["enabled"], history
    assert (kept / "history.sqlite").exists()
    if case != "local":
        assert not (jp_data_dir / "smcost").exists()
