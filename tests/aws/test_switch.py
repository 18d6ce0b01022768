"""The extension in a real jupyter_server: detection from a metadata file, status, idle stop,
and POST/GET smcost/switch, against moto (notebook instances) or Stubber-wrapped clients."""

from __future__ import annotations

import asyncio
import json
import threading

import boto3
import pytest
from support.aws import StubbedClients
from support.env_helpers import create_notebook_instance, notebook_metadata, write_metadata
from support.rest import validate_response
from support.sm_stub import REGION as SREGION
from support.sm_stub import app, client_error, stubbed
from tornado.httpclient import HTTPClientError

NB_REGION = "us-east-1"  # the bundled snapshot has us-east-1 Notebook prices


@pytest.fixture
def smcost_config(request):
    return getattr(request, "param", {})


@pytest.fixture
def notebook(moto_endpoint, tmp_path):
    arn = create_notebook_instance("dev-alice", "ml.t3.medium", region=NB_REGION)
    return notebook_metadata(tmp_path, "dev-alice", arn)


@pytest.fixture
def jp_server_config(request, smcost_config, tmp_path):
    config = {}
    if "classic" in request.fixturenames:
        path, _, _, clients = request.getfixturevalue("classic")
        config["aws_client_factory"] = clients
    else:
        path = request.getfixturevalue("notebook")
        if "denied_stop" in request.fixturenames:
            config["aws_client_factory"] = request.getfixturevalue("denied_stop")[2]
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_smcost": True}},
        "SmCostApp": {
            "metadata_path": str(path),
            "live_prices": False,
            "settings_file": str(tmp_path / "idle-settings.json"),
            **config,
            **smcost_config,
        },
    }


def service(jp_serverapp):
    return jp_serverapp.web_app.settings["smcost_service"]


async def start(jp_serverapp):
    """The service, started by the extension's start hook (conftest's jp_serverapp)."""
    svc = service(jp_serverapp)
    assert svc._started
    return svc


async def fetch_json(jp_fetch, *path, method="GET", body=None):
    kwargs = {"method": method}
    if body is not None:
        kwargs["body"] = body if isinstance(body, str) else json.dumps(body)
    r = await jp_fetch("smcost", *path, **kwargs)
    data = json.loads(r.body)
    validate_response("/" + "/".join(path), method, r.code, data)  # the shipped OpenAPI
    return r.code, data


async def fetch_error(jp_fetch, *path, method="GET", body=None):
    with pytest.raises(HTTPClientError) as e:
        await fetch_json(jp_fetch, *path, method=method, body=body)
    data = json.loads(e.value.response.body)
    validate_response("/" + "/".join(path), method, e.value.code, data)
    return e.value.code, data


async def until(predicate, timeout=10.0):
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


# -- notebook instance on moto, through a real server
async def test_status_on_a_notebook_instance(jp_fetch, jp_serverapp):
    await start(jp_serverapp)
    code, st = await fetch_json(jp_fetch, "status")
    assert code == 200
    assert st["environment"]["kind"] == "notebook-instance"
    assert st["environment"]["region"] == NB_REGION
    assert st["environment"]["resource"] == "dev-alice"
    assert st["environment"]["can_switch"] is True
    assert st["instance"]["type"] == "ml.t3.medium"
    assert st["price"]["component"] == "Notebook"
    assert st["price"]["per_hour"] == 0.05
    assert st["price"]["source"] == "bundled"


async def test_switch_404_before_any(jp_fetch, jp_serverapp):
    await start(jp_serverapp)
    code, body = await fetch_error(jp_fetch, "switch")
    assert code == 404
    assert body["error"]["code"] == "no_switch"


@pytest.mark.parametrize(
    "smcost_config",
    [{"allowed_instance_types": ["ml.t3.medium", "ml.m5.xlarge", "ml.g4dn.xlarge"]}],
    indirect=True,
)
async def test_switch_validation_400_before_anything_stops(jp_fetch, jp_serverapp):
    await start(jp_serverapp)
    sm = boto3.client("sagemaker", region_name=NB_REGION)

    async def refused(body, code):
        status, err = await fetch_error(jp_fetch, "switch", method="POST", body=body)
        assert (status, err["error"]["code"]) == (400, code), err
        assert (
            sm.describe_notebook_instance(NotebookInstanceName="dev-alice")[
                "NotebookInstanceStatus"
            ]
            == "InService"
        )
        return err["error"]["message"], err["error"].get("params")

    assert await refused({"instance_type": "ml.nope.large"}, "invalid_instance_type") == (
        "ml.nope.large is not an instance type this environment (notebook-instance) accepts",
        {"type": "ml.nope.large", "kind": "notebook-instance"},  # for the translated sentence
    )
    # a real notebook type, not allowed by the administrator
    msg, params = await refused({"instance_type": "ml.m5.2xlarge"}, "instance_type_not_allowed")
    assert msg == (
        "ml.m5.2xlarge is not allowed here; allowed: ml.t3.medium, ml.m5.xlarge, ml.g4dn.xlarge"
    )
    assert params == {
        "type": "ml.m5.2xlarge",
        "allowed": "ml.t3.medium, ml.m5.xlarge, ml.g4dn.xlarge",
    }
    # a Studio-only type is not valid for notebook instances
    await refused({"instance_type": "ml.m5.large"}, "invalid_instance_type")
    await refused({"instance_type": "ml.t3.medium"}, "same_instance_type")
    await refused({"type": "ml.m5.xlarge"}, "unknown_field")
    r = await fetch_error(jp_fetch, "switch", method="POST", body="")
    assert r == (
        400,
        {
            "error": {
                "code": "invalid_json",
                "message": "a JSON body is required",
                "params": {"problem": "empty"},
            }
        },
    )


async def test_switch_without_switcher_gives_the_manual_step(jp_fetch, jp_serverapp):
    svc = await start(jp_serverapp)
    code, sw = await fetch_json(
        jp_fetch, "switch", method="POST", body={"instance_type": "ml.g4dn.xlarge"}
    )
    assert code == 202
    assert set(sw) <= {"id", "state", "target", "steps", "error", "manual_step", "manual_message"}
    assert {"id", "state", "target", "steps", "error", "manual_step"} <= set(sw)
    assert sw["target"] == "ml.g4dn.xlarge"
    svc = service(jp_serverapp)
    await until(lambda: svc.switch.state not in ("pending", "running"))
    code, sw2 = await fetch_json(jp_fetch, "switch")
    assert sw2["id"] == sw["id"]
    assert sw2["state"] == "manual"
    assert sw2["error"] is None
    # each detail in English, and with its code and params for the panel to translate
    assert sw2["steps"][0] == {
        "name": "describe",
        "status": "done",
        "detail": "dev-alice is InService on ml.t3.medium",
        "message": {
            "code": "step.instance_status",
            "text": "dev-alice is InService on ml.t3.medium",
            "params": {"name": "dev-alice", "status": "InService", "type": "ml.t3.medium"},
        },
    }
    assert (
        "aws sagemaker update-notebook-instance --notebook-instance-name dev-alice "
        "--instance-type ml.g4dn.xlarge" in sw2["manual_step"]
    )
    manual = sw2["manual_message"]
    assert (manual["code"], manual["text"]) == ("manual.notebook_instance", sw2["manual_step"])
    assert manual["params"]["command"] in sw2["manual_step"]
    assert (manual["params"]["name"], manual["params"]["type"]) == ("dev-alice", "ml.g4dn.xlarge")
    assert "switch" not in svc.idle.state.extra_busy
    # nothing was stopped from inside
    sm = boto3.client("sagemaker", region_name=NB_REGION)
    assert (
        sm.describe_notebook_instance(NotebookInstanceName="dev-alice")["NotebookInstanceStatus"]
        == "InService"
    )


@pytest.mark.parametrize(
    "smcost_config", [{"idle_timeout": 1, "min_idle_timeout": 0}], indirect=True
)
async def test_idle_stop_really_stops_the_notebook_instance(jp_fetch, jp_serverapp):
    await start(jp_serverapp)
    sm = boto3.client("sagemaker", region_name=NB_REGION)

    def stopped():
        return (
            sm.describe_notebook_instance(NotebookInstanceName="dev-alice")[
                "NotebookInstanceStatus"
            ]
            == "Stopped"
        )

    await until(stopped, timeout=20)
    code, st = await fetch_json(jp_fetch, "status")
    assert st["idle"]["state"] == "shutting_down"


@pytest.fixture
def denied_stop():
    """(SageMaker client, its Stubber, the server's client factory): it describes dev-alice
    at start, then refuses to stop it."""
    sm, stub = stubbed(region=NB_REGION)
    stub.add_response(
        "describe_notebook_instance",
        {
            "NotebookInstanceName": "dev-alice",
            "InstanceType": "ml.t3.medium",
            "NotebookInstanceStatus": "InService",
        },
        {"NotebookInstanceName": "dev-alice"},
    )
    client_error(
        stub,
        "stop_notebook_instance",
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/x/y is not authorized to "
        "perform: sagemaker:StopNotebookInstance",
        expected={"NotebookInstanceName": "dev-alice"},
    )
    return sm, stub, StubbedClients(sagemaker=sm)


async def test_idle_stop_access_denied_is_an_error_state(denied_stop, jp_fetch, jp_serverapp):
    _, stub, _ = denied_stop
    svc = await start(jp_serverapp)
    assert await svc.instance_types() == ["ml.t3.medium"]
    await svc.idle.shutdown_now("test")
    code, st = await fetch_json(jp_fetch, "status")
    assert st["idle"]["state"] == "error"
    assert st["idle"]["reasons"] == [
        "AWS denied StopNotebookInstance while trying to stop for idleness: User: "
        "arn:aws:sts::123456789012:assumed-role/x/y is not authorized to perform: "
        "sagemaker:StopNotebookInstance. The role needs permission for this action (see the "
        "IAM page of the documentation)."
    ]
    assert svc.idle.state.failures == 1 and svc.idle.state.shutting_down is False
    stub.assert_no_pending_responses()


# -- Studio Classic through a real server; Stubber-wrapped clients (SmCostApp.aws_client_factory)
D = "d-abc123"
USER = {"UserProfileName": "alice"}
IMAGE = f"arn:aws:sagemaker:{SREGION}:470317259841:image/datascience-1.0"
OLD = "datascience-1-0-ml-t3-medium-1a2b3c"
NEW = "datascience-1-0-ml-g4dn-xlarge-abcd1234"


def kg(name, itype, status="InService"):
    return app(D, name, "KernelGateway", status, itype, IMAGE, USER)


JS = app(D, "default", "JupyterServer", "InService", "system", None, USER)


def listed(*apps):
    return {
        "Apps": [
            {
                k: a[k]
                for k in (
                    "DomainId",
                    "UserProfileName",
                    "AppType",
                    "AppName",
                    "Status",
                    "CreationTime",
                )
            }
            for a in apps
        ]
    }


def ident(name):
    return {"DomainId": D, "UserProfileName": "alice", "AppType": "KernelGateway", "AppName": name}


LIST_REQ = {"DomainIdEquals": D, "UserProfileNameEquals": "alice"}


@pytest.fixture
def classic(moto_endpoint, tmp_path):
    """(metadata file, SageMaker client, its Stubber, the client factory of the server)."""
    sm, stub = stubbed()
    path = write_metadata(
        tmp_path,
        {
            "AppType": "JupyterServer",
            "DomainId": D,
            "UserProfileName": "alice",
            "ResourceArn": f"arn:aws:sagemaker:{SREGION}:123456789012:app/{D}/alice/"
            "JupyterServer/default",
            "ResourceName": "default",
        },
    )
    # startup: the instance types
    stub.add_response("list_apps", listed(JS, kg(OLD, "ml.t3.medium")), LIST_REQ)
    stub.add_response("describe_app", kg(OLD, "ml.t3.medium"), ident(OLD))
    return path, sm, stub, StubbedClients(sagemaker=sm)


def expect_refresh(stub, *apps):
    stub.add_response("list_apps", listed(JS, *apps), LIST_REQ)
    for a in apps:
        stub.add_response("describe_app", a, ident(a["AppName"]))


def expect_idle_stop(stub, app):
    """Studio Classic's idle stop: the apps are listed, then the billed one is deleted."""
    expect_refresh(stub, app)
    stub.add_response("delete_app", {}, ident(app["AppName"]))


def expect_classic_switch(stub, *new_app_statuses):
    """A switch of the old app on ml.t3.medium to a new one on ml.g4dn.xlarge."""
    old = kg(OLD, "ml.t3.medium")
    expect_refresh(stub, old)  # validation reads the current types
    expect_refresh(stub, old)  # the switch finds the app to move
    stub.add_response(
        "create_app",
        {"AppArn": "arn:x"},
        {
            **ident(NEW),
            "ResourceSpec": {"InstanceType": "ml.g4dn.xlarge", "SageMakerImageArn": IMAGE},
        },
    )
    for status in new_app_statuses:
        stub.add_response("describe_app", kg(NEW, "ml.g4dn.xlarge", status), ident(NEW))


async def test_classic_with_no_kernel_app_bills_nothing_and_says_so(
    classic, jp_fetch, jp_serverapp
):
    """No KernelGateway app runs: the price is not a made-up $0 labelled live but
    ``not_billed``, and nothing is projected."""
    _, sm, stub, _ = classic
    svc = await start(jp_serverapp)
    assert await svc.instance_types() == ["ml.t3.medium"]
    expect_refresh(stub)  # the JupyterServer app alone
    assert await svc.refresh_instance_types() == []
    code, st = await fetch_json(jp_fetch, "status")
    assert code == 200
    validate_response("/status", "get", 200, st)
    assert st["instance"]["types"] == []
    price = st["price"]
    assert (price["per_hour"], price["source"], price["instance_type"]) == (0.0, "not_billed", None)
    assert price["detail"] == "no billed app is running"
    assert (st["cost"]["projected_per_day"], st["cost"]["projected_per_month"]) == (0.0, 0.0)
    stub.assert_no_pending_responses()


async def test_classic_switch_runs_blocks_idle_and_409s(classic, jp_fetch, jp_serverapp):
    _, sm, stub, clients = classic
    svc = await start(jp_serverapp)
    assert svc.env.kind == "studio-classic"
    assert await svc.instance_types() == ["ml.t3.medium"]
    assert set(clients.made) == {("sagemaker", SREGION)}  # the region of the metadata's ARN
    svc.env.app_suffix = lambda: "abcd1234"
    gate = threading.Event()
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        assert gate.wait(10)

    svc.env.sleep = sleep
    expect_classic_switch(stub, "Pending", "InService")
    stub.add_response("delete_app", {}, ident(OLD))  # no kernel uses the old app
    expect_refresh(stub, kg(NEW, "ml.g4dn.xlarge"))  # after success

    code, sw = await fetch_json(
        jp_fetch, "switch", method="POST", body={"instance_type": "ml.g4dn.xlarge"}
    )
    assert code == 202
    await until(lambda: waits)  # waiting for InService
    code, err = await fetch_error(
        jp_fetch, "switch", method="POST", body={"instance_type": "ml.m5.large"}
    )
    assert (code, err["error"]["code"]) == (409, "switch_in_progress")
    assert err["error"]["params"] == {"type": "ml.g4dn.xlarge"}
    code, st = await fetch_json(jp_fetch, "status")
    assert st["idle"]["state"] == "busy"
    assert "switching to ml.g4dn.xlarge" in st["idle"]["reasons"]
    code, running = await fetch_json(jp_fetch, "switch")
    assert running["state"] == "running"
    assert running["steps"][-1] == {
        "name": "wait_in_service",
        "status": "running",
        "detail": f"{NEW}: Pending",
        "message": {
            "code": "step.app_waiting",
            "text": f"{NEW}: Pending",
            "params": {"app": NEW, "status": "Pending"},
        },
    }
    gate.set()
    await until(lambda: svc.switch.state == "succeeded")
    await until(lambda: svc.types.known == ["ml.g4dn.xlarge"])
    code, done = await fetch_json(jp_fetch, "switch")
    assert [(s["name"], s["status"]) for s in done["steps"]] == [
        ("find_app", "done"),
        ("create_app", "done"),
        ("wait_in_service", "done"),
        ("delete_old_app", "done"),
    ]
    code, st = await fetch_json(jp_fetch, "status")
    assert st["idle"]["state"] != "busy"
    assert st["instance"]["types"] == ["ml.g4dn.xlarge"]
    assert st["price"]["component"] == "Studio-Notebook"
    # the ledger (issue 19): the switch with both prices, its difference x the hours since
    ledger = {}

    async def recorded():
        nonlocal ledger
        ledger = (await fetch_json(jp_fetch, "ledger"))[1]
        return ledger["switches"]

    for _ in range(100):
        if await recorded():
            break
        await asyncio.sleep(0.05)
    (sw,) = ledger["switches"]
    assert (sw["from_type"], sw["to_type"]) == ("ml.t3.medium", "ml.g4dn.xlarge")
    book = svc.prices
    dear = book.price(SREGION, "Studio-Notebook", "ml.g4dn.xlarge")
    cheap = book.price(SREGION, "Studio-Notebook", "ml.t3.medium")
    assert (sw["from_price"]["per_hour"], sw["to_price"]["per_hour"]) == (
        cheap.per_hour,
        dear.per_hour,
    )
    assert sw["to_price"]["source"] == dear.source and sw["to_price"]["currency"] == "USD"
    # to a dearer type: what it cost more, counted against the total
    assert sw["saved"] < 0 and sw["hours_on_new_type"] > 0
    assert sw["saved"] == pytest.approx(
        sw["hours_on_new_type"] * (cheap.per_hour - dear.per_hour), abs=1e-4
    )
    stub.assert_no_pending_responses()


async def test_classic_switch_quota_error_is_readable(classic, jp_fetch, jp_serverapp):
    svc = await start(jp_serverapp)
    _, sm, stub, _ = classic
    svc = service(jp_serverapp)
    await svc.instance_types()
    old = kg(OLD, "ml.t3.medium")
    expect_refresh(stub, old)
    expect_refresh(stub, old)
    client_error(
        stub,
        "create_app",
        "ResourceLimitExceeded",
        "The account-level service limit 'Studio KernelGateway Apps running on "
        "ml.g4dn.xlarge instance' is 0 Instances, with current utilization of 0 "
        "Instances and a request delta of 1 Instances.",
    )
    code, sw = await fetch_json(
        jp_fetch, "switch", method="POST", body={"instance_type": "ml.g4dn.xlarge"}
    )
    assert code == 202
    await until(lambda: svc.switch.state == "failed")
    code, failed = await fetch_json(jp_fetch, "switch")
    assert failed["error"] == (
        "AWS quota reached while trying to switch to ml.g4dn.xlarge: The account-level service "
        "limit 'Studio KernelGateway Apps running on ml.g4dn.xlarge instance' is 0 Instances, "
        "with current utilization of 0 Instances and a request delta of 1 Instances.. Ask for "
        "a quota increase in Service Quotas or pick another instance type."
    )
    # with its code and params, the action by its code too, for the panel to translate
    validate_response("/switch", "get", 200, failed)
    assert failed["error_code"] == "aws_quota"
    assert failed["error_params"]["action_code"] == "action.switch"
    assert failed["error_params"]["action_type"] == "ml.g4dn.xlarge"
    assert failed["error_params"]["detail"].startswith("The account-level service limit")
    assert "switch" not in svc.idle.state.extra_busy
    stub.assert_no_pending_responses()


async def test_classic_idle_shuts_real_kernels_and_deletes_apps(classic, jp_fetch, jp_serverapp):
    _, sm, stub, _ = classic
    svc = await start(jp_serverapp)
    await svc.instance_types()
    r = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    kid = json.loads(r.body)["id"]
    assert kid in jp_serverapp.kernel_manager.list_kernel_ids()
    expect_idle_stop(stub, kg(OLD, "ml.t3.medium"))
    await svc.idle.shutdown_now("test")
    stub.assert_no_pending_responses()
    assert jp_serverapp.kernel_manager.list_kernel_ids() == []
    code, st = await fetch_json(jp_fetch, "status")
    # the IDE stays: a new idle clock, not "shutting_down"
    assert st["idle"]["state"] in ("active", "idle")
    assert svc.idle.state.shutting_down is False and svc.idle.state.error is None


@pytest.fixture
def kernel_list_threads(jp_serverapp, monkeypatch):
    """The threads the kernel manager's kernel list is read from. The kernel manager is not
    thread-safe: only the event loop's thread (this test's) may read it."""
    km = jp_serverapp.kernel_manager
    threads: list[int] = []
    real = km.list_kernel_ids

    def recording():
        threads.append(threading.get_ident())
        return real()

    monkeypatch.setattr(km, "list_kernel_ids", recording)
    return threads


async def test_classic_kernels_are_read_on_the_loop_only(
    classic, jp_fetch, jp_serverapp, kernel_list_threads
):
    """A switch while a kernel runs on the old app: the old app waits for the kernel, then
    goes in a housekeeping round; the idle stop shuts the kernels. Every read of the kernel
    list, all along, happens on the event loop."""
    _, sm, stub, _ = classic
    svc = await start(jp_serverapp)
    await svc.instance_types()
    svc.env.app_suffix = lambda: "abcd1234"
    svc.env.sleep = lambda s: None
    r = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    kid = json.loads(r.body)["id"]
    expect_classic_switch(stub, "InService")
    expect_refresh(stub, kg(NEW, "ml.g4dn.xlarge"))  # after success
    code, _ = await fetch_json(
        jp_fetch, "switch", method="POST", body={"instance_type": "ml.g4dn.xlarge"}
    )
    assert code == 202
    await until(lambda: svc.switch.state == "succeeded")
    assert svc.switch.steps[-1]["status"] == "waiting"  # the kernel still runs on OLD
    await svc.housekeeping.run_once()  # a round while it runs: nothing deleted
    assert svc.env.retiring == {OLD: {kid}}
    await jp_fetch("api", "kernels", kid, method="DELETE")
    stub.add_response("delete_app", {}, ident(OLD))
    await svc.housekeeping.run_once()  # the kernel has gone: so does the old app
    assert svc.env.retiring == {}
    # the idle stop: kernels are listed on the loop and shut down from the worker
    r = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    expect_idle_stop(stub, kg(NEW, "ml.g4dn.xlarge"))
    await svc.idle.shutdown_now("test")
    stub.assert_no_pending_responses()
    assert jp_serverapp.kernel_manager.list_kernel_ids() == []
    assert kernel_list_threads and set(kernel_list_threads) == {threading.get_ident()}
