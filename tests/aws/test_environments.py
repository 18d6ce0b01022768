"""Detection, and the notebook-instance adapter against a moto server (AWS_ENDPOINT_URL only)."""

from __future__ import annotations

import logging
from pathlib import Path

import botocore.session
import pytest
from support.env_helpers import (
    REGION,
    create_notebook_instance,
    notebook_metadata,
    write_metadata,
)
from support.sm_stub import client_error, factory, stubbed

from jupyterlab_smcost.aws.sagemaker import (
    app_instance_types,
    is_transient,
    notebook_instance_types,
    region_from_arn,
)
from jupyterlab_smcost.environments import (
    EnvConfig,
    IdleContext,
    LocalEnvironment,
    NotebookInstanceEnvironment,
    StudioClassicEnvironment,
    StudioSpaceEnvironment,
    build_environment,
    detect,
)
from jupyterlab_smcost.pricing import PriceBook

LOG = logging.getLogger("test-smcost")
NB_ARN = f"arn:aws:sagemaker:{REGION}:123456789012:notebook-instance/dev-alice"
CLASSIC = {
    "AppType": "JupyterServer",
    "DomainId": "d-abc123",
    "UserProfileName": "alice",
    "ResourceArn": "arn:aws:sagemaker:us-west-2:123456789012:app/d-abc123/alice/"
    "JupyterServer/default",
    "ResourceName": "default",
    "AppImageVersion": "",
}
SPACE = {
    "AppType": "JupyterLab",
    "DomainId": "d-abc123",
    "SpaceName": "alice-space",
    "UserProfileName": "",
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/x",
    "ResourceArn": "arn:aws:sagemaker:ap-southeast-2:123456789012:app/d-abc123/alice-space/"
    "JupyterLab/default",
    "ResourceName": "default",
    "AppImageVersion": "",
}


def build(path: Path | str, environment: str = "auto", **kw):
    cfg = EnvConfig(environment=environment, metadata_path=str(path), region="us-east-1")
    return build_environment(cfg, stop_server=lambda: None, log=LOG, valid_local_types=[], **kw)


# -- detection
def test_detect_notebook_instance():
    d = detect({"ResourceArn": NB_ARN, "ResourceName": "dev-alice"})
    assert (d.kind, d.region, d.resource_name, d.problem) == (
        "notebook-instance",
        "eu-west-1",
        "dev-alice",
        None,
    )


def test_detect_studio_classic_user_and_shared_space():
    d = detect(CLASSIC)
    assert (d.kind, d.region, d.domain_id, d.user_profile, d.space, d.app_type) == (
        "studio-classic",
        "us-west-2",
        "d-abc123",
        "alice",
        None,
        "JupyterServer",
    )
    kg = dict(CLASSIC, AppType="KernelGateway", UserProfileName=None, SpaceName="team")
    d = detect(kg)
    assert (d.kind, d.space, d.user_profile) == ("studio-classic", "team", None)


@pytest.mark.parametrize("app_type", ["JupyterLab", "CodeEditor"])
def test_detect_studio_space(app_type):
    d = detect(dict(SPACE, AppType=app_type))
    assert (d.kind, d.region, d.space, d.app_type, d.resource_name) == (
        "studio-space",
        "ap-southeast-2",
        "alice-space",
        app_type,
        "default",
    )


def test_build_from_files(tmp_path):
    env = build(write_metadata(tmp_path, CLASSIC))
    assert isinstance(env, StudioClassicEnvironment)
    assert (env.region, env.component, env.shutdown_ends_server) == (
        "us-west-2",
        "Studio-Notebook",
        False,
    )
    env = build(write_metadata(tmp_path, SPACE))
    assert isinstance(env, StudioSpaceEnvironment)
    assert (env.region, env.component, env.app_name) == (
        "ap-southeast-2",
        "Studio-JupyterLab",
        "default",
    )
    env = build(write_metadata(tmp_path, dict(SPACE, AppType="CodeEditor")))
    assert env.component == "studio-codeeditor"
    env = build(write_metadata(tmp_path, {"ResourceArn": NB_ARN, "ResourceName": "dev-alice"}))
    assert isinstance(env, NotebookInstanceEnvironment)
    assert (env.region, env.component, env.name, env.info().resource) == (
        "eu-west-1",
        "Notebook",
        "dev-alice",
        "dev-alice",
    )


def test_labels_carry_their_code_for_the_panel(tmp_path):
    """Each environment's label comes with a code and params (messages.py), the same text."""
    cases = [
        (CLASSIC, "env.studio_classic"),
        (SPACE, "env.studio_space"),
        ({"ResourceArn": NB_ARN, "ResourceName": "dev-alice"}, "env.notebook_instance"),
    ]
    for meta, code in cases:
        info = build(write_metadata(tmp_path, meta)).info().to_json()
        assert info["label_message"]["code"].startswith(code), info
        assert info["label_message"]["text"] == info["label"]
        assert all(str(v) in info["label"] for v in info["label_message"]["params"].values())
    nb = build(write_metadata(tmp_path, cases[2][0])).info().to_json()
    assert nb["label_message"]["params"] == {"name": "dev-alice"}


def test_no_file_is_local(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        env = build(tmp_path / "absent.json")
    assert isinstance(env, LocalEnvironment)
    assert caplog.records == []


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "cannot read SageMaker metadata"),
        ("[1, 2]", "is not a JSON object"),
        ({"ResourceName": "dev-alice"}, "notebook-instance metadata lacks ResourceArn"),
        (
            {"DomainId": "d-1", "AppType": "JupyterServer"},
            "studio-classic metadata lacks UserProfileName or SpaceName",
        ),
        (
            {"DomainId": "d-1", "AppType": "JupyterLab", "ResourceName": "default"},
            "studio-space metadata lacks SpaceName",
        ),
        (
            {"DomainId": "d-1", "AppType": "Canvas", "UserProfileName": "a"},
            "AppType 'Canvas': not a Studio app",
        ),
    ],
)
def test_malformed_or_partial_file_logs_and_falls_back(tmp_path, caplog, content, words):
    path = write_metadata(tmp_path, content)
    with caplog.at_level(logging.WARNING):
        env = build(path)
    assert isinstance(env, LocalEnvironment)
    assert any(words in r.getMessage() and "local" in r.getMessage() for r in caplog.records), [
        r.getMessage() for r in caplog.records
    ]


def test_override(tmp_path, caplog):
    path = write_metadata(tmp_path, {"ResourceArn": NB_ARN, "ResourceName": "dev-alice"})
    assert isinstance(build(path, environment="local"), LocalEnvironment)
    assert isinstance(build(path, environment="notebook-instance"), NotebookInstanceEnvironment)
    # forcing a kind the file does not describe: clear log line, local
    with caplog.at_level(logging.ERROR):
        env = build(path, environment="studio-space")
    assert isinstance(env, LocalEnvironment)
    assert "studio-space metadata lacks DomainId, SpaceName" in caplog.text
    with caplog.at_level(logging.ERROR):
        env = build(tmp_path / "absent.json", environment="studio-classic")
    assert isinstance(env, LocalEnvironment)
    assert "environment 'studio-classic' needs the SageMaker metadata file" in caplog.text


def test_region_fallback_without_arn(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ca-central-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    env = build(write_metadata(tmp_path, dict(CLASSIC, ResourceArn=None)))
    assert env.region == "ca-central-1"


def test_region_from_arn():
    assert region_from_arn(NB_ARN) == "eu-west-1"
    assert region_from_arn("arn:aws-cn:sagemaker:cn-north-1:1:app/x") == "cn-north-1"
    assert region_from_arn("nonsense") is None
    assert region_from_arn(None) is None


# -- valid types: botocore's model at run time
def test_valid_types_come_from_the_botocore_model():
    model = botocore.session.get_session().get_service_model("sagemaker")
    app_enum = model.shape_for("AppInstanceType").enum
    assert list(app_instance_types()) == [t for t in app_enum if t != "system"]
    assert "system" not in app_instance_types()
    nb_enum = (
        model.operation_model("CreateNotebookInstance").input_shape.members["InstanceType"].enum
    )
    assert list(notebook_instance_types()) == list(nb_enum)
    assert {"ml.t3.medium", "ml.g4dn.xlarge"} <= set(app_instance_types())
    assert {"ml.t3.medium", "ml.g4dn.xlarge"} <= set(notebook_instance_types())


def test_transient_classification():
    from botocore.exceptions import ClientError

    def err(code, msg):
        return ClientError({"Error": {"Code": code, "Message": msg}}, "CreateApp")

    assert is_transient(err("ThrottlingException", "Rate exceeded"))
    assert is_transient(err("ValidationException", "Status (Updating) not in ([Stopped, Failed])"))
    assert is_transient(err("ValidationException", "Space storage is not yet available"))
    assert is_transient(err("ResourceInUse", "App default is being deleted"))
    assert not is_transient(err("ValidationException", "1 validation error: InstanceType"))
    assert not is_transient(err("AccessDeniedException", "not authorized"))
    assert not is_transient(err("ResourceLimitExceeded", "quota"))


# -- notebook instance against moto
def test_notebook_instance_on_moto(moto_endpoint, tmp_path):
    arn = create_notebook_instance("dev-alice", "ml.t3.medium")
    env = build(notebook_metadata(tmp_path, "dev-alice", arn))
    assert isinstance(env, NotebookInstanceEnvironment)
    assert env.region == REGION
    assert env.instance_types() == ["ml.t3.medium"]
    assert env.component == "Notebook"
    price = PriceBook().price("us-east-1", env.component, "ml.t3.medium")
    assert price.per_hour == 0.05
    assert env.valid_instance_types() == list(notebook_instance_types())
    done = env.shutdown(IdleContext())
    assert done == "stopped notebook instance dev-alice"
    import boto3

    sm = boto3.client("sagemaker", region_name=REGION)
    assert (
        sm.describe_notebook_instance(NotebookInstanceName="dev-alice")["NotebookInstanceStatus"]
        == "Stopped"
    )
    env.close()


def test_notebook_stop_retries_throttling_then_ok():
    sm, stub = stubbed()
    sleeps = []
    env = NotebookInstanceEnvironment(
        REGION, "dev-alice", client_factory=factory(sagemaker=sm), sleep=sleeps.append
    )
    for _ in range(2):  # throttled twice, then OK
        client_error(
            stub,
            "stop_notebook_instance",
            "ThrottlingException",
            "Rate exceeded",
            expected={"NotebookInstanceName": "dev-alice"},
        )
    stub.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": "dev-alice"})
    assert env.shutdown(IdleContext()) == "stopped notebook instance dev-alice"
    assert sleeps == [2.0, 4.0]
    stub.assert_no_pending_responses()


def test_notebook_stop_access_denied_raises_without_retry():
    sm, stub = stubbed()
    sleeps = []
    env = NotebookInstanceEnvironment(
        REGION, "dev-alice", client_factory=factory(sagemaker=sm), sleep=sleeps.append
    )
    client_error(
        stub,
        "stop_notebook_instance",
        "AccessDeniedException",
        "User is not authorized to perform: sagemaker:StopNotebookInstance",
    )
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        env.shutdown(IdleContext())
    assert sleeps == []


def test_a_configured_class_is_built_from_what_was_detected(tmp_path):
    """SmCostApp.environment_class: the class gets the metadata's fields and a client factory
    for the resource's region, made by SmCostApp.aws_client_factory."""
    built = []

    class Custom(LocalEnvironment):
        @classmethod
        def from_setup(cls, setup):
            built.append(setup)
            return super().from_setup(setup)

    asked = []
    path = write_metadata(tmp_path, {"ResourceArn": NB_ARN, "ResourceName": "dev-alice"})
    env = build(
        path,
        environment_class=Custom,
        aws_client_factory=lambda service, region: asked.append((service, region)) or service,
    )
    assert type(env) is Custom
    (setup,) = built
    assert (setup.detected.kind, setup.detected.resource_name, setup.region) == (
        "notebook-instance",
        "dev-alice",
        "eu-west-1",
    )
    assert setup.client_factory("sagemaker") == "sagemaker"
    assert asked == [("sagemaker", "eu-west-1")]


def test_a_configured_class_that_cannot_be_built_is_not_hidden(tmp_path):
    """A detected adapter that fails falls back to local mode; a configured class's failure
    is the configuration's, and the server reports it (test_config_errors)."""

    class Broken(LocalEnvironment):
        @classmethod
        def from_setup(cls, setup):
            raise RuntimeError("no")

    with pytest.raises(RuntimeError, match="no"):
        build(tmp_path / "absent.json", environment_class=Broken)
