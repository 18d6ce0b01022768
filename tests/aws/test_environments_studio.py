"""Studio Classic and Studio space adapters, with botocore Stubber (moto has no apps/spaces):
exact request parameters, each status path."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY
from support.sm_stub import REGION, app, client_error, factory, stubbed

from jupyterlab_smcost.environments import (
    IdleContext,
    NotebookInstanceEnvironment,
    StudioClassicEnvironment,
    StudioSpaceEnvironment,
    SwitchProgress,
)
from jupyterlab_smcost.errors import SmCostError

D = "d-abc123"
USER = {"UserProfileName": "alice"}
IMAGE = f"arn:aws:sagemaker:{REGION}:470317259841:image/datascience-1.0"
SM_IMAGE_SPACE = f"arn:aws:sagemaker:{REGION}:885854791233:image/sagemaker-distribution-cpu"


def kg(name, itype, status="InService", created=None):
    return app(D, name, "KernelGateway", status, itype, IMAGE, USER, created)


def listed(a):
    """A ListApps AppDetails entry for a DescribeApp response."""
    return {
        k: a[k]
        for k in ("DomainId", "UserProfileName", "AppType", "AppName", "Status", "CreationTime")
        if k in a
    }


def ident(name):
    return {"DomainId": D, "UserProfileName": "alice", "AppType": "KernelGateway", "AppName": name}


class Kernels:
    def __init__(self, *ids):
        self.ids = list(ids)
        self.shut = []

    def shutdown(self, kid):
        self.shut.append(kid)
        self.ids.remove(kid)


def classic(sm, kernels=None, **kw):
    kernels = kernels or Kernels()
    sleeps: list[float] = []
    env = StudioClassicEnvironment(
        REGION,
        D,
        user_profile="alice",
        client_factory=factory(sagemaker=sm),
        shutdown_kernel=kernels.shutdown,
        sleep=sleeps.append,
        clock=lambda: 0.0,
        poll_interval_s=5.0,
        **kw,
    )
    env.app_suffix = lambda: "abcd1234"
    return env, sleeps


JS = app(D, "default", "JupyterServer", "InService", "system", None, USER)
A1 = kg(
    "datascience-1-0-ml-t3-medium-1a2b3c",
    "ml.t3.medium",
    created=datetime(2026, 11, 1, tzinfo=timezone.utc),
)
A2 = kg(
    "datascience-1-0-ml-g4dn-xlarge-4d5e6f",
    "ml.g4dn.xlarge",
    "Pending",
    created=datetime(2026, 11, 2, tzinfo=timezone.utc),
)
OLD = kg("datascience-1-0-ml-t3-medium-0000", "ml.t3.medium", status="Deleted")


def expect_listing(stub, *apps, page_size=2):
    pages = [apps[i : i + page_size] for i in range(0, len(apps), page_size)] or [()]
    for i, page in enumerate(pages):
        req = {"DomainIdEquals": D, "UserProfileNameEquals": "alice"}
        if i:
            req["NextToken"] = f"t{i}"
        resp = {"Apps": [listed(a) for a in page]}
        if i + 1 < len(pages):
            resp["NextToken"] = f"t{i + 1}"
        stub.add_response("list_apps", resp, req)


# -- Studio Classic
def test_classic_instance_types_sum_of_running_kernel_gateway_apps():
    sm, stub = stubbed()
    env, _ = classic(sm)
    expect_listing(stub, JS, A1, A2, OLD)  # two pages
    stub.add_response("describe_app", A1, ident(A1["AppName"]))
    stub.add_response("describe_app", A2, ident(A2["AppName"]))
    assert env.instance_types() == ["ml.t3.medium", "ml.g4dn.xlarge"]
    stub.assert_no_pending_responses()
    assert env.component == "Studio-Notebook"
    assert env.shutdown_ends_server is False


def test_classic_shutdown_kills_idle_kernels_and_deletes_kernel_apps_never_the_ide():
    sm, stub = stubbed()
    kernels = Kernels("k1", "k2")
    env, _ = classic(sm, kernels)
    a2 = dict(A2, Status="InService")
    expect_listing(stub, JS, A1, a2)
    stub.add_response("describe_app", A1, ident(A1["AppName"]))
    stub.add_response("describe_app", a2, ident(a2["AppName"]))
    stub.add_response("delete_app", {}, ident(A1["AppName"]))
    stub.add_response("delete_app", {}, ident(a2["AppName"]))
    done = env.shutdown(IdleContext(idle_kernel_ids=("k1", "k2"), kernel_ids=("k1", "k2")))
    stub.assert_no_pending_responses()
    assert kernels.shut == ["k1", "k2"]
    assert done == (
        "shut down 2 idle kernel(s) and deleted KernelGateway apps: "
        "datascience-1-0-ml-t3-medium-1a2b3c (ml.t3.medium), "
        "datascience-1-0-ml-g4dn-xlarge-4d5e6f (ml.g4dn.xlarge); "
        "the Studio Classic IDE keeps running"
    )


def test_classic_shutdown_keeps_apps_while_a_kernel_is_busy():
    sm, stub = stubbed()
    kernels = Kernels("k1", "busy")
    env, _ = classic(sm, kernels)
    done = env.shutdown(
        IdleContext(idle_kernel_ids=("k1",), busy_kernel_ids=("busy",), kernel_ids=("k1", "busy"))
    )
    stub.assert_no_pending_responses()  # no AWS call at all
    assert kernels.shut == ["k1"]
    assert "1 kernel(s) still run, so no KernelGateway app was deleted" in done


def test_classic_shutdown_access_denied_propagates():
    sm, stub = stubbed()
    env, _ = classic(sm, Kernels())
    expect_listing(stub, A1)
    stub.add_response("describe_app", A1, ident(A1["AppName"]))
    client_error(stub, "delete_app", "AccessDeniedException", "not authorized: sagemaker:DeleteApp")
    with pytest.raises(ClientError) as e:
        env.shutdown(IdleContext())
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"


def test_classic_switch_creates_app_waits_and_retires_old_one():
    sm, stub = stubbed()
    kernels = Kernels("k1")
    env, sleeps = classic(sm, kernels)
    expect_listing(stub, JS, A1)
    stub.add_response("describe_app", A1, ident(A1["AppName"]))
    new = "datascience-1-0-ml-g4dn-xlarge-abcd1234"
    stub.add_response(
        "create_app",
        {"AppArn": "arn:x"},
        {
            **ident(new),
            "ResourceSpec": {"InstanceType": "ml.g4dn.xlarge", "SageMakerImageArn": IMAGE},
        },
    )
    for status in ("Pending", "Pending", "InService"):
        stub.add_response("describe_app", kg(new, "ml.g4dn.xlarge", status), ident(new))
    progress = SwitchProgress(id="s1", target="ml.g4dn.xlarge")
    env.start_switch("ml.g4dn.xlarge", progress, IdleContext(kernel_ids=("k1",)))
    stub.assert_no_pending_responses()
    assert sleeps == [5.0, 5.0]
    assert progress.state == "succeeded"
    assert [(s["name"], s["status"]) for s in progress.steps] == [
        ("find_app", "done"),
        ("create_app", "done"),
        ("wait_in_service", "done"),
        ("delete_old_app", "waiting"),
    ]
    assert progress.steps[2]["detail"] == f"{new}: InService"
    assert env.retiring == {A1["AppName"]: {"k1"}}
    # the kernel still runs: nothing deleted
    assert env.needs_housekeeping()
    env.housekeeping(IdleContext(kernel_ids=("k1",)))
    assert env.retiring == {A1["AppName"]: {"k1"}}
    # the user restarts the kernel on the new app: the old app goes
    stub.add_response("delete_app", {}, ident(A1["AppName"]))
    assert env.retire_pending({"k9"}) == [A1["AppName"]]
    stub.assert_no_pending_responses()
    assert env.retiring == {} and not env.needs_housekeeping()
    env.close()


def test_classic_switch_without_kernels_deletes_old_app_at_once():
    sm, stub = stubbed()
    env, _ = classic(sm, Kernels())
    expect_listing(stub, A1)
    stub.add_response("describe_app", A1, ident(A1["AppName"]))
    new = "datascience-1-0-ml-m5-large-abcd1234"
    stub.add_response(
        "create_app",
        {"AppArn": "arn:x"},
        {**ident(new), "ResourceSpec": {"InstanceType": "ml.m5.large", "SageMakerImageArn": IMAGE}},
    )
    stub.add_response("describe_app", kg(new, "ml.m5.large"), ident(new))
    stub.add_response("delete_app", {}, ident(A1["AppName"]))
    progress = SwitchProgress(id="s1", target="ml.m5.large")
    env.start_switch("ml.m5.large", progress)
    stub.assert_no_pending_responses()
    assert progress.steps[-1] == {
        "name": "delete_old_app",
        "status": "done",
        "detail": f"{A1['AppName']} deleted",
        "message": {
            "code": "step.app_deleted",
            "text": f"{A1['AppName']} deleted",
            "params": {"app": A1["AppName"]},
        },
    }


def test_classic_switch_new_app_failed():
    sm, stub = stubbed()
    env, _ = classic(sm, Kernels())
    expect_listing(stub, A1)
    stub.add_response("describe_app", A1, ident(A1["AppName"]))
    new = "datascience-1-0-ml-g4dn-xlarge-abcd1234"
    stub.add_response("create_app", {"AppArn": "arn:x"}, {**ident(new), "ResourceSpec": ANY})
    stub.add_response("describe_app", kg(new, "ml.g4dn.xlarge", "Pending"), ident(new))
    failed = dict(kg(new, "ml.g4dn.xlarge", "Failed"), FailureReason="InsufficientCapacity")
    stub.add_response("describe_app", failed, ident(new))
    stub.add_response("describe_app", failed, ident(new))
    progress = SwitchProgress(id="s1", target="ml.g4dn.xlarge")
    with pytest.raises(SmCostError) as e:
        env.start_switch("ml.g4dn.xlarge", progress)
    assert e.value.message == f"app {new} is Failed: InsufficientCapacity"
    assert progress.steps[-1]["status"] == "failed"
    assert env.retiring == {}  # the old app is kept


def test_classic_switch_quota_error_propagates_readable():
    from jupyterlab_smcost.aws.errors import describe_aws_error

    sm, stub = stubbed()
    env, _ = classic(sm, Kernels())
    expect_listing(stub, A1)
    stub.add_response("describe_app", A1, ident(A1["AppName"]))
    client_error(
        stub,
        "create_app",
        "ResourceLimitExceeded",
        "The account-level service limit 'Studio KernelGateway Apps running on "
        "ml.g4dn.xlarge instance' is 0 Instances",
    )
    with pytest.raises(ClientError) as e:
        env.start_switch("ml.g4dn.xlarge", SwitchProgress(id="s", target="ml.g4dn.xlarge"))
    code, message, status = describe_aws_error(e.value, "switch to ml.g4dn.xlarge")
    assert (code, status) == ("aws_quota", 502)
    assert message.startswith(
        "AWS quota reached while trying to switch to ml.g4dn.xlarge: "
        "The account-level service limit"
    )


def test_classic_switch_needs_a_running_kernel_app():
    sm, stub = stubbed()
    env, _ = classic(sm, Kernels())
    expect_listing(stub, JS)
    with pytest.raises(SmCostError) as e:
        env.start_switch("ml.m5.large", SwitchProgress(id="s", target="ml.m5.large"))
    assert (e.value.code, e.value.status) == ("no_kernel_app", 409)


def test_new_app_name_fits_the_pattern():
    sm, _ = stubbed()
    env, _ = classic(sm)
    assert (
        env.new_app_name("datascience-1-0-ml-t3-medium-1a2b3c", "ml.t3.medium", "ml.p4d.24xlarge")
        == "datascience-1-0-ml-p4d-24xlarge-abcd1234"
    )
    long = env.new_app_name("x" * 80, None, "ml.g4dn.xlarge")
    assert len(long) <= 63 and long.endswith("-ml-g4dn-xlarge-abcd1234")


# -- Studio space
SPACE_IDENT = {
    "DomainId": D,
    "SpaceName": "alice-space",
    "AppType": "JupyterLab",
    "AppName": "default",
}


def space_app(status="InService", itype="ml.t3.medium"):
    return app(
        D, "default", "JupyterLab", status, itype, SM_IMAGE_SPACE, {"SpaceName": "alice-space"}
    )


def space(sm, lam=None, switcher=""):
    clients = {"sagemaker": sm}
    if lam is not None:
        clients["lambda"] = lam
    return StudioSpaceEnvironment(
        REGION,
        D,
        "alice-space",
        client_factory=factory(**clients),
        switcher_function=switcher,
        sleep=lambda s: None,
    )


def test_space_type_and_shutdown():
    sm, stub = stubbed()
    env = space(sm)
    stub.add_response("describe_app", space_app(), SPACE_IDENT)
    assert env.instance_types() == ["ml.t3.medium"]
    stub.add_response("delete_app", {}, SPACE_IDENT)
    assert env.shutdown(IdleContext()) == (
        "deleted the JupyterLab app of space alice-space (the space and its storage stay)"
    )
    stub.assert_no_pending_responses()
    assert env.component == "Studio-JupyterLab"
    assert env.info().resource == "d-abc123/alice-space/JupyterLab/default"


def test_space_switch_without_switcher_updates_space_and_leaves_one_step():
    sm, stub = stubbed()
    env = space(sm)
    stub.add_response("describe_app", space_app(), SPACE_IDENT)
    stub.add_response(
        "update_space",
        {"SpaceArn": "arn:s"},
        {
            "DomainId": D,
            "SpaceName": "alice-space",
            "SpaceSettings": {
                "JupyterLabAppSettings": {
                    "DefaultResourceSpec": {
                        "InstanceType": "ml.g4dn.xlarge",
                        "SageMakerImageArn": SM_IMAGE_SPACE,
                    }
                }
            },
        },
    )
    progress = SwitchProgress(id="s", target="ml.g4dn.xlarge")
    env.start_switch("ml.g4dn.xlarge", progress)
    stub.assert_no_pending_responses()
    assert progress.state == "manual"
    assert progress.manual_step.startswith(
        "Save your work, then in SageMaker Studio stop space alice-space and run it again: "
        "it starts on ml.g4dn.xlarge."
    )


def test_space_switch_update_rejected_still_gives_the_manual_step():
    sm, stub = stubbed()
    env = space(sm)
    stub.add_response("describe_app", space_app(), SPACE_IDENT)
    client_error(stub, "update_space", "ValidationException", "Space alice-space has a running app")
    progress = SwitchProgress(id="s", target="ml.m5.large")
    env.start_switch("ml.m5.large", progress)
    assert progress.state == "manual"
    assert progress.steps[-1]["status"] == "failed"
    assert "Space alice-space has a running app" in progress.steps[-1]["detail"]
    assert progress.manual_step.startswith(
        "In SageMaker Studio, stop space alice-space, choose ml.m5.large as its instance type"
    )


def capture_invoke(lam):
    seen = {}

    def grab(params, **kwargs):
        seen.update(params)

    lam.meta.events.register("provide-client-params.lambda.Invoke", grab)
    return seen


def test_space_switch_with_switcher_invokes_it_asynchronously():
    sm, stub = stubbed()
    lam, lstub = stubbed("lambda")
    seen = capture_invoke(lam)
    env = space(sm, lam, switcher="smcost-switcher")
    stub.add_response("describe_app", space_app(), SPACE_IDENT)
    lstub.add_response(
        "invoke",
        {"StatusCode": 202},
        {"FunctionName": "smcost-switcher", "InvocationType": "Event", "Payload": ANY},
    )
    progress = SwitchProgress(id="s", target="ml.g4dn.xlarge")
    env.start_switch("ml.g4dn.xlarge", progress)
    stub.assert_no_pending_responses()
    lstub.assert_no_pending_responses()
    assert json.loads(seen["Payload"]) == {
        "kind": "studio-space",
        "region": REGION,
        "domain_id": D,
        "space_name": "alice-space",
        "app_type": "JupyterLab",
        "app_name": "default",
        "instance_type": "ml.g4dn.xlarge",
        "from_instance_type": "ml.t3.medium",
        "resource_spec": {"SageMakerImageArn": SM_IMAGE_SPACE},
    }
    assert progress.state == "waiting_external"
    assert progress.manual_step is None


def test_switcher_refusal_is_an_error():
    sm, stub = stubbed()
    lam, lstub = stubbed("lambda")
    env = NotebookInstanceEnvironment(
        REGION,
        "dev-alice",
        switcher_function="sw",
        client_factory=factory(sagemaker=sm, **{"lambda": lam}),
    )
    stub.add_response(
        "describe_notebook_instance",
        {
            "NotebookInstanceName": "dev-alice",
            "NotebookInstanceStatus": "InService",
            "InstanceType": "ml.t3.medium",
        },
        {"NotebookInstanceName": "dev-alice"},
    )
    client_error(lstub, "invoke", "ResourceNotFoundException", "Function not found: sw", http=404)
    with pytest.raises(ClientError):
        env.start_switch("ml.m5.large", SwitchProgress(id="s", target="ml.m5.large"))


def test_notebook_switch_with_and_without_switcher():
    sm, stub = stubbed()
    lam, lstub = stubbed("lambda")
    seen = capture_invoke(lam)
    desc = {
        "NotebookInstanceName": "dev-alice",
        "NotebookInstanceStatus": "InService",
        "InstanceType": "ml.t3.medium",
    }
    env = NotebookInstanceEnvironment(
        REGION,
        "dev-alice",
        switcher_function=f"arn:aws:lambda:{REGION}:123456789012:function:sw",
        client_factory=factory(sagemaker=sm, **{"lambda": lam}),
    )
    stub.add_response("describe_notebook_instance", desc, {"NotebookInstanceName": "dev-alice"})
    lstub.add_response(
        "invoke",
        {"StatusCode": 202},
        {
            "FunctionName": f"arn:aws:lambda:{REGION}:123456789012:function:sw",
            "InvocationType": "Event",
            "Payload": ANY,
        },
    )
    progress = SwitchProgress(id="s", target="ml.g4dn.xlarge")
    env.start_switch("ml.g4dn.xlarge", progress)
    assert json.loads(seen["Payload"]) == {
        "kind": "notebook-instance",
        "region": REGION,
        "notebook_instance_name": "dev-alice",
        "instance_type": "ml.g4dn.xlarge",
        "from_instance_type": "ml.t3.medium",
    }
    assert progress.state == "waiting_external"

    env.switcher_function = ""
    stub.add_response("describe_notebook_instance", desc, {"NotebookInstanceName": "dev-alice"})
    progress = SwitchProgress(id="s2", target="ml.g4dn.xlarge")
    env.start_switch("ml.g4dn.xlarge", progress)
    assert progress.state == "manual"
    assert (
        "aws sagemaker update-notebook-instance --notebook-instance-name dev-alice "
        "--instance-type ml.g4dn.xlarge" in progress.manual_step
    )
    stub.assert_no_pending_responses()
