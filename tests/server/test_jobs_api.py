"""smcost/jobs in a real jupyter_server (local mode, no AWS): every bad request is a 400 with
a sentence before anything is uploaded, local mode says why jobs are unavailable, the cost
before is priced from the Training component, and every route needs auth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.rest import fetch_json, validate_response
from tornado.httpclient import HTTPClientError

NOTEBOOK = {
    "cells": [],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture
def root(jp_root_dir: Path) -> Path:
    (jp_root_dir / "train.ipynb").write_text(json.dumps(NOTEBOOK))
    (jp_root_dir / "prep.py").write_text("print('prep')\n")
    (jp_root_dir / "notes.txt").write_text("x")
    return jp_root_dir


async def post(jp_fetch: Any, body: Any, *path: str) -> tuple[int, Any]:
    code, data = await fetch_json(jp_fetch, "smcost", "jobs", *path, method="POST", body=body)
    validate_response("/jobs/" + "/".join(path) if path else "/jobs", "post", code, data)
    return code, data


JOB = {"path": "train.ipynb", "instance_type": "ml.m5.xlarge", "max_runtime_s": 7200}


@pytest.mark.parametrize(
    "change, code, words",
    [
        ({"path": "../outside.ipynb"}, "path_outside_root", "outside the server root"),
        ({"path": "/etc/passwd"}, "path_missing", "does not exist"),
        ({"path": "missing.ipynb"}, "path_missing", "does not exist"),
        ({"path": "notes.txt"}, "invalid_path", "notebook (.ipynb) or a Python script"),
        ({"instance_type": "ml.t3.bogus"}, "invalid_instance_type", "training jobs accept"),
        ({"spot": False, "max_wait_s": 9000}, "invalid_input", "for Spot jobs only"),
        ({"max_wait_s": 60}, "invalid_input", "at least max_runtime_s"),
        ({"max_runtime_s": 0}, "invalid_input", "from 1 to"),
        ({"instance_count": 0}, "invalid_input", "instance_count"),
        ({"include": ["../../x"]}, "path_outside_root", "outside the server root"),
        ({"include": ["a"] * 101}, "invalid_input", "at most 100 paths"),
        ({"path": "prep.py", "parameters": {"lr": 0.1}}, "invalid_input", "notebooks"),
        ({"parameters": {"not an id": 1}}, "invalid_input", "identifiers"),
        ({"colour": "red"}, "unknown_field", "unknown field"),
        ({"max_wait_s": None, "requirements": None}, "invalid_input", "must not be null"),
        ({"path": "a\u0000.ipynb"}, "invalid_input", "a path under the server root"),
        ({"path": "x" * 300 + ".ipynb"}, "path_missing", "not a usable path"),
        ({"path": "."}, "invalid_path", "notebook (.ipynb) or a Python script"),
    ],
)
async def test_bad_requests_are_400_with_a_sentence(jp_fetch, root, change, code, words):
    status, body = await post(jp_fetch, {**JOB, **change})
    assert status == 400, body
    assert body["error"]["code"] == code
    assert words in body["error"]["message"]


@pytest.mark.parametrize("smcost_config", [{"job_instance_types": ["ml.g5.xlarge"]}])
async def test_the_administrators_list_is_enforced(jp_fetch, root):
    status, body = await post(jp_fetch, {**JOB, "instance_type": "ml.m5.xlarge"})
    assert status == 400
    assert body["error"]["code"] == "instance_type_not_allowed"
    assert "SmCostApp.job_instance_types" in body["error"]["message"]
    code, types = await fetch_json(jp_fetch, "smcost", "jobs", "types")
    validate_response("/jobs/types", "get", code, types)
    assert [t["instance_type"] for t in types["types"]] == ["ml.g5.xlarge"]


async def test_too_much_to_ship_is_400(jp_fetch, root, monkeypatch):
    from jupyterlab_smcost.jobs import files

    monkeypatch.setattr(files, "MAX_SHIP_BYTES", 10)
    (root / "data").mkdir()
    (root / "data" / "big.csv").write_text("x" * 11)
    status, body = await post(jp_fetch, {**JOB, "include": ["data"]})
    assert status == 400 and body["error"]["code"] == "too_large"


async def test_local_mode_says_why_jobs_are_unavailable(jp_fetch, root):
    status, body = await post(jp_fetch, JOB)
    assert status == 409
    assert body["error"]["code"] == "jobs_unavailable"
    assert body["error"]["message"].startswith("Not on SageMaker")
    code, jobs = await fetch_json(jp_fetch, "smcost", "jobs")
    validate_response("/jobs", "get", code, jobs)
    assert jobs["available"] is False and jobs["jobs"] == []
    assert "SmCostApp.job_role_arn" in jobs["unavailable_reason"]
    # the same, by code, for the panel to say in the user's language
    assert body["error"]["params"] == {"where": "local"}
    assert jobs["unavailable_message"] == {
        "code": "jobs.local",
        "text": jobs["unavailable_reason"],
        "params": {},
    }


async def test_cost_before_is_the_training_price_times_the_worst_case(jp_fetch, root):
    status, body = await post(jp_fetch, {**JOB, "instance_count": 2}, "estimate")
    assert status == 200
    price = body["price"]
    assert price["component"] == "Training" and price["instance_type"] == "ml.m5.xlarge"
    assert price["source"] in ("bundled", "estimated") and price["per_hour"] > 0
    assert body["worst_case"] == pytest.approx(round(price["per_hour"] * 2 * 2, 4))
    assert body["spot"] is True and body["spot_up_to"] == 0.9
    status, body = await post(jp_fetch, {**JOB, "spot": False}, "estimate")
    assert body["spot_up_to"] is None


async def test_delete_of_an_unknown_job_is_404_and_needs_auth(jp_fetch, http_server_client, root):
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch("smcost", "jobs", "smcost-nope-1", method="DELETE")
    body = json.loads(e.value.response.body)
    validate_response("/jobs/{name}", "delete", e.value.code, body)
    assert e.value.code == 404 and body["error"]["code"] == "job_not_found"
    code, body = await fetch_json(jp_fetch, "smcost", "jobs", "%C2%84 x", method="DELETE")
    assert code == 404 and body["error"]["code"] == "job_not_found"
    for method, path in (("DELETE", "jobs/x"), ("POST", "jobs"), ("POST", "jobs/estimate")):
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(
                f"/smcost/{path}",
                method=method,
                body=None if method == "DELETE" else json.dumps(JOB),
                headers={"Authorization": "token wrong"},
            )
        assert info.value.code == 403


@pytest.mark.parametrize(
    "smcost_config", [{"instance_type": "ml.g5.12xlarge", "offload_after": 600}]
)
async def test_offload_is_recommended_for_sustained_work(jp_fetch, smcost_service, monkeypatch):
    import time

    from jupyterlab_smcost.background.work import BackgroundState, Work

    assert smcost_service.background is not None
    work = Work("process", "pgid:812", 0.97, time.time() - 3600, pid=812, command="python3 t.py")
    monkeypatch.setattr(smcost_service.background, "state", lambda: BackgroundState(busy=(work,)))
    code, body = await fetch_json(jp_fetch, "smcost", "recommendations")
    validate_response("/recommendations", "get", code, body)
    [item] = [i for i in body["items"] if i["rule"] == "offload"]
    assert item["reason"].startswith("python3 t.py kept ml.g5.12xlarge busy for 60 min")
    assert "up to 90% less on Spot" in item["reason"]


def test_links_out_of_the_root_are_never_shipped(root, tmp_path):
    from jupyterlab_smcost.jobs.files import collect
    from jupyterlab_smcost.requests import JobRequest

    secret = tmp_path / "outside-secret.txt"
    secret.write_text("key")
    (root / "data").mkdir()
    (root / "data" / "ok.csv").write_text("1")
    (root / "data" / "link.txt").symlink_to(secret)
    shipped = collect(root, JobRequest("train.ipynb", "ml.m5.xlarge", include=("data",)))
    assert [rel for _, rel in shipped.files] == ["data/ok.csv", "train.ipynb"]
    assert shipped.kernel == "python3" and shipped.kind == "notebook"
