"""``jupyter smcost lifecycle``: the script's settings, and the AWS calls that create, attach,
show and remove the lifecycle configurations.

moto answers what it implements (notebook instances; create/describe/delete of notebook
instance lifecycle configurations); botocore's Stubber, with the exact parameters, answers
what it does not (UpdateNotebookInstance, UpdateNotebookInstanceLifecycleConfig, every Studio
lifecycle configuration call, UpdateDomain, Describe/UpdateUserProfile). For a flow that needs
both, :class:`Mixed` sends each operation to the one that implements it.
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from support.moto_server import (
    ACCOUNT,
    REGION,
    make_notebooks,
)
from support.sandbox import Sandbox

from jupyterlab_smcost import cli
from jupyterlab_smcost.aws import lifecycle as lc
from jupyterlab_smcost.aws import lifecycle_script as lcs
from jupyterlab_smcost.aws.errors import CommandError

REPO = Path(__file__).resolve().parents[2]
SOURCE = "jupyterlab-smcost==0.1.0"
POLICY = {"idle_timeout": 1800, "max_idle_timeout": 7200}
DOMAIN = "d-abc123"
OTHER = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:studio-lifecycle-config/team-setup"
IMAGE = f"arn:aws:sagemaker:{REGION}:470317259841:image/sagemaker-distribution-cpu"


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


POLICY_ARGS = ("--set", "idle_timeout=1800", "--set", "max_idle_timeout=7200", "--source", SOURCE)


def attach_domain(*extra: str) -> tuple[int, str, str]:
    """`jupyter smcost lifecycle attach --domain DOMAIN` with POLICY."""
    return run_cli("lifecycle", "attach", "--domain", DOMAIN, *extra, *POLICY_ARGS)


def script(target: str, policy: dict[str, Any] = POLICY, source: str = SOURCE) -> str:
    return lcs.render(lcs.Settings(target, source, policy))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def studio(policy: dict[str, Any] = POLICY, app: str = "jupyterlab") -> tuple[str, str, str]:
    """(name, arn, content) of the Studio configuration for this policy."""
    content = b64(script(app, policy))
    name = lc.studio_name(lc.DEFAULT_NAMES[app], content)
    return name, f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:studio-lifecycle-config/{name}", content


class Mixed:
    """A SageMaker client: the operations in ``stubbed`` go to a Stubber, the rest to moto."""

    def __init__(self, *stubbed: str) -> None:
        self.moto = boto3.client("sagemaker")
        self.stub_client = boto3.client("sagemaker")
        self.stub = Stubber(self.stub_client)
        self.stub.activate()
        self.stubbed = set(stubbed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stub_client if name in self.stubbed else self.moto, name)


def instance_with(config: str, stopped: bool) -> Any:
    """Notebook instance dev-alice in moto with lifecycle configuration ``config`` (ours,
    created first, when it is named smcost); the moto client."""
    sm = boto3.client("sagemaker")
    if config == "smcost":
        lc.Lifecycle(sm).ensure_notebook_config("smcost", script("notebook-instance"))
    sm.create_notebook_instance(
        NotebookInstanceName="dev-alice",
        InstanceType="ml.t3.medium",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
        LifecycleConfigName=config,
    )
    if stopped:
        sm.stop_notebook_instance(NotebookInstanceName="dev-alice")
    return sm


def expect_update(**params: Any) -> Mixed:
    """moto, but UpdateNotebookInstance (which moto lacks) stubbed for exactly ``params``."""
    sm = Mixed("update_notebook_instance")
    sm.stub.add_response(
        "update_notebook_instance", {}, {"NotebookInstanceName": "dev-alice", **params}
    )
    return sm


def never_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds} s: moto's state changes are immediate")


# ------------------------------------------------------------------------------ the script


def test_render_fills_the_settings_and_reads_them_back() -> None:
    settings = lcs.Settings(
        "jupyterlab", "s3://bucket/wheels/", {"idle_timeout": 900}, "/home/p.json"
    )
    text = lcs.render(settings)
    assert lcs.parse(text) == settings
    assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0
    # explanations dropped (the API's 16384 characters are tight), the settings block kept
    lines = text.splitlines()
    assert lines[0] == "#!/bin/bash" and "# >>> smcost settings" in lines
    assert "# <<< smcost settings" in lines
    assert not [x for x in lines[3:] if x.lstrip().startswith("# ") and "smcost settings" not in x]
    assert len(lcs.encode(text)) <= lcs.MAX_CONTENT
    assert lcs.parse("#!/bin/bash\necho someone else's script\n") is None


def test_the_script_command_prints_what_is_uploaded() -> None:
    rc, out, err = run_cli("lifecycle", "script", "--target", "notebook-instance", *POLICY_ARGS)
    assert (rc, err) == (0, "")
    assert out == script("notebook-instance")
    assert lcs.script_path() == REPO / "deploy" / "lifecycle" / "smcost-lifecycle.sh"


def test_a_policy_too_long_for_sagemaker_is_refused() -> None:
    big = {"allowed_instance_types": [f"ml.type{i}.xlarge" for i in range(300)]}
    with pytest.raises(CommandError, match=r"is \d+ characters in base64; SageMaker takes 16384"):
        lcs.encode(script("jupyterlab", big))


def test_policy_mistakes_are_sentences(tmp_path: Path) -> None:
    rc, out, err = run_cli(
        "lifecycle", "script", "--set", "idle_timout=5", "--set", 'idle_timeout="x"'
    )
    assert rc == 1 and out == ""
    assert err == (
        "jupyter smcost: error: The policy is not valid: SmCostApp has no setting "
        "'idle_timout'; SmCostApp.idle_timeout: expected an int, not the str 'x'\n"
    )
    bad = tmp_path / "p.json"
    bad.write_text("{not json")
    rc, _out, err = run_cli("lifecycle", "script", "--policy", str(bad))
    assert rc == 1 and f"{bad} is not JSON" in err
    good = tmp_path / "policy.json"
    good.write_text(json.dumps({"SmCostApp": {"idle_timeout": 600, "dry_run": True}}))
    rc, out, _err = run_cli(
        "lifecycle", "script", "--policy", str(good), "--set", "idle_timeout=900"
    )
    assert rc == 0 and lcs.parse(out).policy == {"idle_timeout": 900, "dry_run": True}


def test_the_script_says_why_it_does_nothing(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    text = script("auto", {})
    out = box.run_script(text)  # no metadata file
    assert "nothing to do here (unknown: no " in out
    box.metadata({"AppType": "CodeEditor", "DomainId": DOMAIN, "SpaceName": "s"})
    assert "nothing to do here (unknown: Studio app type CodeEditor)" in box.run_script(text)
    out = box.run_script(script("jupyterlab", {}), {"SMCOST_ENV_PREFIX": str(tmp_path / "none")})
    assert "ERROR: no Python at" in out and "FAILED (see above)" in out


# ------------------------------------------------------------------------------ notebook instances


def test_notebook_config_created_then_left_alone(aws) -> None:
    tool = lc.Lifecycle(boto3.client("sagemaker"))
    assert tool.ensure_notebook_config("smcost", script("notebook-instance")) == "created"
    found = boto3.client("sagemaker").describe_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="smcost"
    )
    assert lcs.decode(found["OnStart"][0]["Content"]) == script("notebook-instance")
    again = lc.Lifecycle(boto3.client("sagemaker"))
    assert again.ensure_notebook_config("smcost", script("notebook-instance")) == "unchanged"
    assert again.changes == []


def test_notebook_config_updated_with_the_new_policy(aws) -> None:
    lc.Lifecycle(boto3.client("sagemaker")).ensure_notebook_config(
        "smcost", script("notebook-instance")
    )
    sm = Mixed("update_notebook_instance_lifecycle_config")
    new = script("notebook-instance", {"idle_timeout": 600})
    sm.stub.add_response(
        "update_notebook_instance_lifecycle_config",
        {},
        {"NotebookInstanceLifecycleConfigName": "smcost", "OnStart": [{"Content": b64(new)}]},
    )
    assert lc.Lifecycle(sm).ensure_notebook_config("smcost", new) == "updated"
    sm.stub.assert_no_pending_responses()


def test_someone_elses_notebook_config_is_not_overwritten(aws) -> None:
    boto3.client("sagemaker").create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="smcost", OnStart=[{"Content": b64("echo theirs")}]
    )
    with pytest.raises(
        CommandError, match="exists and was not made by jupyterlab-smcost: choose another --name"
    ):
        lc.Lifecycle(boto3.client("sagemaker")).ensure_notebook_config(
            "smcost", script("notebook-instance")
        )


def test_attach_to_a_stopped_instance(aws) -> None:
    make_notebooks({"dev-alice": True})
    sm = expect_update(LifecycleConfigName="smcost")
    assert lc.Lifecycle(sm).attach_notebook_instance("dev-alice", "smcost") == "attached"
    sm.stub.assert_no_pending_responses()


def test_a_running_instance_must_be_stopped_first(aws) -> None:
    make_notebooks({"dev-alice": False})
    rc, out, err = run_cli(
        "lifecycle", "attach", "--notebook-instance", "dev-alice", "--source", SOURCE
    )
    assert rc == 1
    assert err == (
        "jupyter smcost: error: Notebook instance dev-alice is InService: SageMaker changes the "
        "lifecycle configuration of a stopped instance only. Stop it first, or run again with "
        "--restart to stop it, make the change and start it again.\n"
    )
    assert out == "lifecycle configuration smcost: created\n"  # the configuration is ready


def test_attach_with_restart_stops_attaches_and_starts(aws) -> None:
    make_notebooks({"dev-alice": False})
    sm = expect_update(LifecycleConfigName="smcost")
    said: list[str] = []
    tool = lc.Lifecycle(sm, sleep=never_sleep, say=said.append)
    assert (
        tool.attach_notebook_instance("dev-alice", "smcost", restart=True)
        == "attached; the instance is starting"
    )
    assert [c.operation for c in tool.changes] == [
        "StopNotebookInstance",
        "UpdateNotebookInstance",
        "StartNotebookInstance",
    ]
    assert (
        sm.moto.describe_notebook_instance(NotebookInstanceName="dev-alice")[
            "NotebookInstanceStatus"
        ]
        == "InService"
    )
    assert said == ["waiting for notebook instance dev-alice to be Stopped"] * 2
    sm.stub.assert_no_pending_responses()


def test_attach_twice_changes_nothing(aws) -> None:
    instance_with("smcost", stopped=False)
    rc, out, err = run_cli("lifecycle", "attach", "--notebook-instance", "dev-alice", *POLICY_ARGS)
    assert (rc, err) == (0, "")
    assert out == (
        "lifecycle configuration smcost: unchanged\n"
        "notebook instance dev-alice: already attached\n"
        "The script runs at each start of the instance.\n"
        "Nothing to change.\n"
    )


def test_another_configuration_is_replaced_only_when_asked(aws) -> None:
    sm = instance_with("mount-efs", stopped=True)
    with pytest.raises(
        CommandError,
        match=r"already runs lifecycle configuration mount-efs, and an instance has one: "
        r"add this script to it .* or run again with --replace",
    ):
        lc.Lifecycle(sm).attach_notebook_instance("dev-alice", "smcost")
    mixed = expect_update(LifecycleConfigName="smcost")
    assert (
        lc.Lifecycle(mixed).attach_notebook_instance("dev-alice", "smcost", replace=True)
        == "attached"
    )
    mixed.stub.assert_no_pending_responses()


def test_dry_run_lists_the_changes_and_makes_none(aws) -> None:
    make_notebooks({"dev-alice": True})
    rc, out, err = run_cli(
        "lifecycle", "attach", "--notebook-instance", "dev-alice", "--dry-run", "--source", SOURCE
    )
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert re.fullmatch(
        r"would call sagemaker\.create_notebook_instance_lifecycle_config\("
        r"NotebookInstanceLifecycleConfigName='smcost', "
        r"OnStart=\[\{'Content': '<\d+ characters>'\}\]\)",
        lines[0],
    )
    assert lines[1:] == [
        "lifecycle configuration smcost: created",
        "would call sagemaker.update_notebook_instance(NotebookInstanceName='dev-alice', "
        "LifecycleConfigName='smcost')",
        "notebook instance dev-alice: attached",
        "The script runs at each start of the instance.",
        "[dry run: 2 change(s) listed above, none made]",
    ]
    assert (
        boto3.client("sagemaker")
        .list_notebook_instances()["NotebookInstances"][0]
        .get("NotebookInstanceLifecycleConfigName")
        is None
    )
    with pytest.raises(Exception, match="does not exist"):
        boto3.client("sagemaker").describe_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName="smcost"
        )


def test_show_then_remove_and_delete(aws) -> None:
    instance_with("smcost", stopped=True)
    rc, out, _err = run_cli("lifecycle", "show", "--notebook-instance", "dev-alice")
    assert rc == 0
    assert out == (
        "notebook instance dev-alice (Stopped): lifecycle configuration smcost\n"
        f"  jupyterlab-smcost from {SOURCE} (target notebook-instance)\n"
        '  policy: {"idle_timeout": 1800, "max_idle_timeout": 7200}\n'
    )
    mixed = expect_update(DisassociateLifecycleConfig=True)
    tool = lc.Lifecycle(mixed)
    assert tool.detach_notebook_instance("dev-alice", "smcost") == "detached"
    assert tool.delete_notebook_config("smcost") == "deleted"
    assert tool.delete_notebook_config("smcost") == "not found"
    mixed.stub.assert_no_pending_responses()


# ------------------------------------------------------------------------------ Studio


def expect_config(
    stub: Stubber,
    name: str,
    arn: str,
    content: str,
    app_type: str = "JupyterLab",
    exists: bool = False,
) -> None:
    """The calls that make sure a Studio configuration exists: describe, and create if new."""
    if exists:
        described = {
            "StudioLifecycleConfigArn": arn,
            "StudioLifecycleConfigName": name,
            "StudioLifecycleConfigContent": content,
            "StudioLifecycleConfigAppType": app_type,
        }
        stub.add_response(
            "describe_studio_lifecycle_config", described, {"StudioLifecycleConfigName": name}
        )
        return
    stub.add_client_error(
        "describe_studio_lifecycle_config",
        "ResourceNotFound",
        f"Studio lifecycle config {name} does not exist",
        expected_params={"StudioLifecycleConfigName": name},
    )
    stub.add_response(
        "create_studio_lifecycle_config",
        {"StudioLifecycleConfigArn": arn},
        {
            "StudioLifecycleConfigName": name,
            "StudioLifecycleConfigContent": content,
            "StudioLifecycleConfigAppType": app_type,
        },
    )


def domain(
    user_settings: dict[str, Any], space_settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    doc = {
        "DomainId": DOMAIN,
        "DomainArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/{DOMAIN}",
        "DefaultUserSettings": {
            "ExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/studio",
            **user_settings,
        },
    }
    if space_settings is not None:
        doc["DefaultSpaceSettings"] = {
            "ExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/studio",
            **space_settings,
        }
    return doc


def jupyterlab(arns: list[str], default: str | None = None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"InstanceType": "ml.t3.medium", "SageMakerImageArn": IMAGE}
    if default:
        spec["LifecycleConfigArn"] = default
    return {
        "JupyterLabAppSettings": {"DefaultResourceSpec": spec, "LifecycleConfigArns": arns, **extra}
    }


def test_studio_domain_attach_creates_and_keeps_the_rest(stubs) -> None:
    name, arn, content = studio()
    stub = stubs("sagemaker")
    expect_config(stub, name, arn, content)
    repos = [{"RepositoryUrl": "https://github.com/example/notebooks.git"}]
    stub.add_response(
        "describe_domain",
        domain(
            jupyterlab([OTHER], CodeRepositories=repos),
            {"JupyterLabAppSettings": {"LifecycleConfigArns": []}},
        ),
        {"DomainId": DOMAIN},
    )
    stub.add_response(
        "update_domain",
        {"DomainArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/{DOMAIN}"},
        {
            "DomainId": DOMAIN,
            "DefaultUserSettings": jupyterlab([OTHER, arn], arn, CodeRepositories=repos),
            "DefaultSpaceSettings": {
                "JupyterLabAppSettings": {
                    "LifecycleConfigArns": [arn],
                    "DefaultResourceSpec": {"LifecycleConfigArn": arn},
                }
            },
        },
    )
    rc, out, err = attach_domain()
    assert (rc, err) == (0, "")
    assert out == (
        f"lifecycle configuration {name}: created\n"
        f"domain {DOMAIN}, JupyterLab apps: attached (the default lifecycle configuration)\n"
        "It runs when a JupyterLab app starts: running apps get it when they restart.\n"
    )


def test_studio_attach_twice_changes_nothing(stubs) -> None:
    name, arn, content = studio()
    stub = stubs("sagemaker")
    expect_config(stub, name, arn, content, exists=True)
    stub.add_response(
        "describe_domain", domain(jupyterlab([OTHER, arn], arn)), {"DomainId": DOMAIN}
    )
    rc, out, err = attach_domain("--json")
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    assert (doc["state"], doc["attached"], doc["changes"], doc["superseded"]) == (
        "unchanged",
        {f"domain {DOMAIN}": "already attached"},
        [],
        {},
    )


@pytest.mark.parametrize("delete_error", [None, "ResourceInUse"])
def test_a_new_policy_supersedes_the_old_configuration(stubs, delete_error) -> None:
    old_name, old_arn, _ = studio({"idle_timeout": 600})
    name, arn, content = studio()
    stub = stubs("sagemaker")
    expect_config(stub, name, arn, content)
    stub.add_response(
        "describe_domain", domain(jupyterlab([old_arn, OTHER], old_arn)), {"DomainId": DOMAIN}
    )
    stub.add_response(
        "update_domain",
        {},
        {"DomainId": DOMAIN, "DefaultUserSettings": jupyterlab([OTHER, arn], arn)},
    )
    if delete_error:
        stub.add_client_error(
            "delete_studio_lifecycle_config",
            delete_error,
            "Lifecycle config is in use by apps",
            expected_params={"StudioLifecycleConfigName": old_name},
        )
    else:
        stub.add_response(
            "delete_studio_lifecycle_config", {}, {"StudioLifecycleConfigName": old_name}
        )
    rc, out, err = attach_domain()
    assert (rc, err) == (0, "")
    state = "kept: still in use (running apps or other profiles)" if delete_error else "deleted"
    assert f"superseded {old_name}: {state}\n" in out


def test_studio_classic_user_profile(stubs) -> None:
    name, arn, content = studio(app="jupyter-server")
    assert name.startswith("smcost-jupyterserver-")
    stub = stubs("sagemaker")
    expect_config(stub, name, arn, content, "JupyterServer")
    stub.add_response(
        "describe_user_profile",
        {
            "DomainId": DOMAIN,
            "UserProfileName": "alice",
            "UserSettings": {"ExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/alice"},
        },
        {"DomainId": DOMAIN, "UserProfileName": "alice"},
    )
    stub.add_response(
        "update_user_profile",
        {},
        {
            "DomainId": DOMAIN,
            "UserProfileName": "alice",
            "UserSettings": {
                "JupyterServerAppSettings": {
                    "LifecycleConfigArns": [arn],
                    "DefaultResourceSpec": {"LifecycleConfigArn": arn},
                }
            },
        },
    )
    rc, out, err = attach_domain("--user-profile", "alice", "--app", "jupyter-server")
    assert (rc, err) == (0, "")
    assert (
        "user profile alice, JupyterServer apps: attached (the default lifecycle configuration)"
        in out
    )


def test_another_default_is_replaced_only_when_asked(stubs) -> None:
    name, arn, content = studio()
    stub = stubs("sagemaker")
    expect_config(stub, name, arn, content, exists=True)
    stub.add_response("describe_domain", domain(jupyterlab([OTHER], OTHER)), {"DomainId": DOMAIN})
    rc, _out, err = attach_domain()
    assert rc == 1
    assert err == (
        f"jupyter smcost: error: The JupyterLab apps of domain {DOMAIN} already run team-setup by "
        "default, and an app has one default: add this script to it (`jupyter smcost lifecycle "
        "script`) or run again with --replace (it stays attached, as a non-default).\n"
    )
    expect_config(stub, name, arn, content, exists=True)
    stub.add_response("describe_domain", domain(jupyterlab([OTHER], OTHER)), {"DomainId": DOMAIN})
    stub.add_response(
        "update_domain",
        {},
        {"DomainId": DOMAIN, "DefaultUserSettings": jupyterlab([OTHER, arn], arn)},
    )
    rc, _out, err = attach_domain("--replace")
    assert (rc, err) == (0, "")


def test_access_denied_names_the_missing_action(stubs) -> None:
    name, arn, content = studio()
    stub = stubs("sagemaker")
    expect_config(stub, name, arn, content, exists=True)
    stub.add_response("describe_domain", domain({}), {"DomainId": DOMAIN})
    stub.add_client_error(
        "update_domain",
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: "
        "sagemaker:UpdateDomain "
        f"on resource: arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/{DOMAIN}",
        http_status_code=403,
    )
    rc, _out, err = attach_domain()
    assert rc == 1
    assert err.startswith(
        f"jupyter smcost: error: AWS denied sagemaker:UpdateDomain while trying to attach {name} "
        f"to the JupyterLab apps of domain {DOMAIN}: User: arn:aws:iam::{ACCOUNT}:user/bob is not "
        "authorized to perform: sagemaker:UpdateDomain on resource:"
    )
    assert err.endswith(
        "The identity running this command needs the IAM action sagemaker:UpdateDomain "
        "(see the IAM page of the documentation).\n"
    )


def test_studio_dry_run(stubs) -> None:
    name, _arn, _content = studio()
    stub = stubs("sagemaker")  # reads only: a change would find no response and fail
    stub.add_client_error(
        "describe_studio_lifecycle_config",
        "ResourceNotFound",
        "not found",
        expected_params={"StudioLifecycleConfigName": name},
    )
    stub.add_response("describe_domain", domain({}), {"DomainId": DOMAIN})
    rc, out, err = attach_domain("--dry-run")
    assert (rc, err) == (0, "")
    arn = f"arn:aws:sagemaker:{REGION}:ACCOUNT:studio-lifecycle-config/{name}"
    lines = out.splitlines()
    assert re.fullmatch(
        r"would call sagemaker\.create_studio_lifecycle_config\("
        rf"StudioLifecycleConfigName='{name}', "
        r"StudioLifecycleConfigContent='<\d+ characters>', "
        r"StudioLifecycleConfigAppType='JupyterLab'\)",
        lines[0],
    )
    assert lines[1] == f"lifecycle configuration {name}: created"
    assert lines[2] == (
        f"would call sagemaker.update_domain(DomainId='{DOMAIN}', DefaultUserSettings={{"
        f"'JupyterLabAppSettings': {{'LifecycleConfigArns': ['{arn}'], "
        f"'DefaultResourceSpec': {{'LifecycleConfigArn': '{arn}'}}}}}})"
    )
    assert lines[-1] == "[dry run: 2 change(s) listed above, none made]"


def test_studio_show_and_remove(stubs) -> None:
    name, arn, content = studio()
    stub = stubs("sagemaker")
    stub.add_response(
        "describe_domain", domain(jupyterlab([OTHER, arn], arn)), {"DomainId": DOMAIN}
    )
    expect_config(stub, "team-setup", OTHER, b64("#!/bin/bash\ngit clone x\n"), exists=True)
    expect_config(stub, name, arn, content, exists=True)
    rc, out, _err = run_cli("lifecycle", "show", "--domain", DOMAIN)
    assert rc == 0
    assert out == (
        f"domain {DOMAIN}:\n"
        "  DefaultUserSettings JupyterLab: team-setup (available)\n"
        "    (not a jupyterlab-smcost script)\n"
        f"  DefaultUserSettings JupyterLab: {name} (default)\n"
        f"    jupyterlab-smcost from {SOURCE} (target jupyterlab)\n"
        '    policy: {"idle_timeout": 1800, "max_idle_timeout": 7200}\n'
    )
    stub.add_response(
        "describe_domain", domain(jupyterlab([OTHER, arn], arn)), {"DomainId": DOMAIN}
    )
    stub.add_response(
        "update_domain",
        {},
        {
            "DomainId": DOMAIN,
            "DefaultUserSettings": jupyterlab([OTHER], "None"),
        },
    )
    stub.add_response("delete_studio_lifecycle_config", {}, {"StudioLifecycleConfigName": name})
    rc, out, err = run_cli("lifecycle", "remove", "--domain", DOMAIN, "--delete")
    assert (rc, err) == (0, "")
    assert out == f"domain {DOMAIN}, JupyterLab apps: {name} detached\n{name}: deleted\n"


def test_studio_names_follow_the_content() -> None:
    a, _, _ = studio({"idle_timeout": 600})
    b, _, _ = studio({"idle_timeout": 900})
    assert re.fullmatch(r"smcost-jupyterlab-[0-9a-f]{8}", a) and a != b
    assert lc.is_ours(a, "smcost-jupyterlab") and not lc.is_ours("team-setup", "smcost-jupyterlab")
    assert len(lc.studio_name("x" * 80, "c")) == 63  # the API's limit
