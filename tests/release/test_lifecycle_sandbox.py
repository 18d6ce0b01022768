"""The lifecycle script, run for real in sandboxes with the shape of each platform.

What stands in for what (see sandbox.py):
- the platform's Jupyter environment (JupyterSystemEnv, SageMaker Distribution's /opt/conda,
  Studio Classic's studio env): a venv with jupyterlab 4.4.* (SageMaker Distribution 3.x)
  and the wheel's dependencies, at the prefix the script is pointed at (SMCOST_ENV_PREFIX);
- the user's home: a temporary HOME with a .jupyter of the user's own;
- the platform's restart commands (systemctl, initctl, restart-jupyter-server): fakes on
  PATH that record how they were called;
- S3 (the wheel for VPC-only domains): moto; SageMaker DescribeApp, which moto lacks, asked
  by the server in a subprocess: a local HTTP stand-in that checks the request exactly;
- /opt/ml/metadata/resource-metadata.json: a file of the same shape (SMCOST_METADATA, and
  SmCostApp.metadata_path for the server).
The script itself is the one `jupyter smcost lifecycle` renders and uploads.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import boto3
from support.moto_server import (
    ACCOUNT,
    REGION,
    aws_env,
    make_notebooks,
)
from support.sagemaker_standin import SageMakerStandin
from support.sandbox import (
    POLICY_FILE,
    LabProcess,
    Sandbox,
    built_dists,
    extension_lines,
    needs_sandbox,
    platform_env,
    snapshot,
)

from jupyterlab_smcost.aws import lifecycle_script as lcs

pytestmark = needs_sandbox

NI_POLICY = {
    "idle_timeout": 2700,
    "max_idle_timeout": 10800,
    "warning_period": 600,
    "live_prices": False,
}
STUDIO_POLICY = {
    "idle_timeout": 1800,
    "max_idle_timeout": 7200,
    "live_prices": False,
    "allowed_instance_types": ["ml.t3.medium", "ml.g5.xlarge"],
}
AL2 = 'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nHOME_URL="https://amazonlinux.com/"\n'
AL1 = 'NAME="Amazon Linux AMI"\nVERSION="2018.03"\nHOME_URL="http://aws.amazon.com/amazon-linux-ami/"\n'
DOMAIN, SPACE = "d-1234567890ab", "alice-space"
STUDIO_ARN = f"arn:aws:sagemaker:us-west-2:123456789012:app/{DOMAIN}/{SPACE}/JupyterLab/default"


def upload_wheel(prefix: str = "wheels/") -> str:
    """The built wheel in a moto S3 bucket; its s3:// URI."""
    wheel = built_dists()[1]
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket="smcost-wheels", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    s3.upload_file(str(wheel), "smcost-wheels", prefix + wheel.name)
    return f"s3://smcost-wheels/{prefix}{wheel.name}"


def policy_in(venv: Path) -> dict:
    return json.loads((venv / POLICY_FILE).read_text())


def assert_enabled(venv: Path, env: dict[str, str]) -> None:
    server, lab = extension_lines(venv, env)
    print(f"jupyter server extension list:\n{server}\njupyter labextension list:\n{lab}")
    assert "jupyterlab_smcost enabled" in server and "jupyterlab_smcost 0.1.0 OK" in server
    assert "jupyterlab-smcost v0.1.0 enabled OK (python, jupyterlab_smcost)" in lab


def test_notebook_instance_on_start_offline_from_s3(tmp_path: Path, aws: str) -> None:
    venv = platform_env()
    source = upload_wheel()
    box = Sandbox(tmp_path)
    (tmp_path / "os-release").write_text(AL2)
    env = {
        **aws_env(aws),
        "SMCOST_ENV_PREFIX": str(venv),
        "SMCOST_OS_RELEASE": str(tmp_path / "os-release"),
    }
    user_config = (box.home / ".jupyter" / "jupyter_server_config.json").read_text()
    script = lcs.render(lcs.Settings("notebook-instance", source, NI_POLICY))

    out = box.run_script(script, env)
    assert "installed jupyterlab-smcost 0.1.0 (before: none)" in out
    assert "smcost-lifecycle: done" in out
    assert_enabled(venv, box.env)
    assert policy_in(venv) == {"SmCostApp": NI_POLICY}
    assert box.restarts() == ["systemctl --no-block restart jupyter-server.service"]
    assert (box.home / ".jupyter" / "jupyter_server_config.json").read_text() == user_config

    # the next start: nothing new, nothing changes (no file, no restart)
    before = snapshot(venv, box.home)
    out = box.run_script(script, env)
    assert "jupyterlab-smcost 0.1.0 is installed already" in out
    assert "admin policy unchanged" in out and "nothing changed: no restart" in out
    assert box.restarts() == ["systemctl --no-block restart jupyter-server.service"]
    assert snapshot(venv, box.home) == before

    # the server that environment runs: a notebook instance (moto) with the admin's policy
    make_notebooks({"dev-alice": False})
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(
        json.dumps(
            {
                "ResourceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/dev-alice",
                "ResourceName": "dev-alice",
            }
        )
    )
    server_env = {**box.env, **aws_env(aws)}
    args = (f"--SmCostApp.metadata_path={metadata}",)
    with LabProcess(venv, server_env, tmp_path, app="jupyter_server", args=args) as server:
        code, status = server.get("smcost/status")
        assert code == 200, status
        _, idle = server.get("smcost/idle")
    print(
        json.dumps(
            {"environment": status["environment"], "idle": status["idle"], "bounds": idle["bounds"]}
        )
    )
    assert status["environment"]["kind"] == "notebook-instance"
    assert status["environment"]["resource"].endswith("dev-alice")
    assert status["instance"]["type"] == "ml.t3.medium"
    assert (status["idle"]["timeout_s"], status["idle"]["warning_s"]) == (2700, 600)
    assert idle["bounds"]["max_timeout_s"] == 10800
    assert not status.get("config_errors")


def test_notebook_instance_amazon_linux_1_policy_file_in_background(tmp_path: Path) -> None:
    """Amazon Linux 1 restarts with initctl; the policy comes from a file the admin points at
    (it wins over the inline one and is read at every start); SMCOST_WAIT_S=0 sends all the
    work to the background, as a slow start would."""
    venv = platform_env()
    box = Sandbox(tmp_path)
    wheels = box.home / "SageMaker" / "wheels"  # the notebook instance's persistent volume
    wheels.mkdir(parents=True)
    wheel = shutil.copy(built_dists()[1], wheels)
    policy_file = box.home / "SageMaker" / "smcost-policy.json"
    policy_file.write_text(json.dumps({"SmCostApp": {"idle_timeout": 900}}))
    (tmp_path / "os-release").write_text(AL1)
    env = {
        "SMCOST_ENV_PREFIX": str(venv),
        "SMCOST_OS_RELEASE": str(tmp_path / "os-release"),
        "SMCOST_WAIT_S": "0",
    }
    script = lcs.render(lcs.Settings("notebook-instance", str(wheel), NI_POLICY, str(policy_file)))

    def finished() -> str:
        rc = Path(f"{box.log}.rc")
        end = time.monotonic() + 120
        while not rc.exists() and time.monotonic() < end:
            time.sleep(0.5)
        log = box.log.read_text()
        print(f"--- background log\n{log}")
        assert rc.read_text().strip() == "0", log
        return log

    out = box.run_script(script, env)
    assert "it goes on in the background" in out
    log = finished()
    assert "installed jupyterlab-smcost 0.1.0" in log
    assert policy_in(venv) == {"SmCostApp": {"idle_timeout": 900}}
    assert box.restarts() == ["initctl restart jupyter-server --no-wait"]

    # the admin changes the file: the next start applies it
    policy_file.write_text(json.dumps({"idle_timeout": 1200}))
    Path(f"{box.log}.rc").unlink()
    box.run_script(script, env)
    log = finished()
    assert "admin policy written" in log and "is installed already" in log
    assert policy_in(venv) == {"SmCostApp": {"idle_timeout": 1200}}
    assert box.restarts() == ["initctl restart jupyter-server --no-wait"] * 2


def test_studio_jupyterlab_space(tmp_path: Path) -> None:
    venv = platform_env("4.4")
    box = Sandbox(tmp_path)
    wheels = box.home / "wheels"  # on the space's home volume
    wheels.mkdir()
    shutil.copy(built_dists()[1], wheels)
    box.metadata(
        {
            "AppType": "JupyterLab",
            "DomainId": DOMAIN,
            "SpaceName": SPACE,
            "UserProfileName": "",
            "ExecutionRoleArn": "arn:aws:iam::123456789012:role/sagemaker-test-execution-role",
            "ResourceArn": STUDIO_ARN,
            "ResourceName": "default",
            "AppImageVersion": "",
            "AdditionalMetadata": {"SpaceType": "Private"},
        }
    )
    # target auto: the script finds out from the metadata
    script = lcs.render(lcs.Settings("auto", f"{wheels}/", STUDIO_POLICY))
    out = box.run_script(script, {"SMCOST_ENV_PREFIX": str(venv)})
    assert "target jupyterlab" in out
    assert "no Jupyter server is running yet: it will start with jupyterlab-smcost" in out
    assert box.restarts() == []
    assert_enabled(venv, box.env)
    assert policy_in(venv) == {"SmCostApp": STUDIO_POLICY}

    app = {"DomainId": DOMAIN, "AppType": "JupyterLab", "AppName": "default", "SpaceName": SPACE}
    standin = SageMakerStandin()
    standin.answer(
        "DescribeApp",
        app,
        {
            **app,
            "AppArn": STUDIO_ARN,
            "Status": "InService",
            "CreationTime": datetime(2026, 11, 27, tzinfo=timezone.utc),
            "ResourceSpec": {
                "InstanceType": "ml.g5.xlarge",
                "SageMakerImageArn": (
                    "arn:aws:sagemaker:us-west-2:542918446943:image/sagemaker-distribution-gpu"
                ),
                "SageMakerImageVersionAlias": "3.0.0",
            },
        },
    )
    env = {
        **box.env,
        **aws_env("http://127.0.0.1:9", region="us-west-2"),  # nothing else answers
        "AWS_ENDPOINT_URL_SAGEMAKER": standin.url,
    }
    args = (f"--SmCostApp.metadata_path={box.env['SMCOST_METADATA']}",)
    with (
        standin,
        LabProcess(venv, env, tmp_path, base_url="/jupyterlab/default/", args=args) as lab,
    ):
        code, status = lab.get("smcost/status")
        assert code == 200, status
        _, idle = lab.get("smcost/idle")
        code, page = lab.get("lab")
    print(
        json.dumps({k: status[k] for k in ("environment", "instance", "price", "idle")}, indent=1)
    )
    assert status["environment"]["kind"] == "studio-space"
    assert status["environment"]["resource"] == f"{DOMAIN}/{SPACE}/JupyterLab/default"
    assert status["environment"]["region"] == "us-west-2"
    assert status["instance"]["type"] == "ml.g5.xlarge"
    assert status["price"]["component"] == "Studio-JupyterLab"
    assert status["idle"]["timeout_s"] == 1800
    assert idle["bounds"]["max_timeout_s"] == 7200
    assert not status.get("config_errors")
    assert code == 200 and "jupyterlab-smcost" in page  # the lab page loads the extension
    assert standin.problems == []
    assert {op for op, _ in standin.calls} == {"DescribeApp"}


def test_studio_classic_jupyter_server(tmp_path: Path, aws: str) -> None:
    """Studio Classic: detected from the metadata; installs from an S3 prefix; restarts the
    running server with restart-jupyter-server, as Classic's own lifecycle samples do."""
    venv = platform_env()
    upload_wheel("lcc/")
    box = Sandbox(tmp_path)
    box.metadata(
        {
            "AppType": "JupyterServer",
            "DomainId": DOMAIN,
            "UserProfileName": "alice",
            "ResourceArn": STUDIO_ARN.replace(f"{SPACE}/JupyterLab", "alice/JupyterServer"),
            "ResourceName": "default",
        }
    )
    script = lcs.render(lcs.Settings("auto", "s3://smcost-wheels/lcc/", {"idle_timeout": 3000}))
    out = box.run_script(script, {**aws_env(aws), "SMCOST_ENV_PREFIX": str(venv)})
    assert "target jupyter-server" in out and "smcost-lifecycle: done" in out
    assert_enabled(venv, box.env)
    assert policy_in(venv) == {"SmCostApp": {"idle_timeout": 3000}}
    assert box.restarts() == ["restart-jupyter-server"]


def test_a_broken_source_never_fails_the_start(tmp_path: Path, aws: str) -> None:
    venv = platform_env()
    box = Sandbox(tmp_path)
    missing = "s3://no-such-bucket/wheels/jupyterlab_smcost-0.1.0-py3-none-any.whl"
    script = lcs.render(lcs.Settings("notebook-instance", missing, NI_POLICY))
    out = box.run_script(script, {**aws_env(aws), "SMCOST_ENV_PREFIX": str(venv)})
    assert f"ERROR: cannot fetch {missing}: An error occurred (404)" in out
    assert "FAILED (see above): Jupyter starts without these changes" in out
    assert not (venv / POLICY_FILE).exists()
    assert box.restarts() == []
    assert "jupyterlab_smcost" not in extension_lines(venv, box.env)[0]
