"""One AWS client factory, with bounded time: every client the
package makes carries the timeouts, the retries and the User-Agent, and a Price List API that
never answers fails a refresh in bounded time with a readable message."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from support.moto_server import aws_env, patched_environ
from support.silent_endpoint import SilentEndpoint

import jupyterlab_smcost
from jupyterlab_smcost import cli
from jupyterlab_smcost.aws import clients
from jupyterlab_smcost.aws.errors import AwsError, CommandError, describe_aws_error
from jupyterlab_smcost.aws.sagemaker import WaitTimeout
from jupyterlab_smcost.aws.switcher import SwitchError
from jupyterlab_smcost.environments import NotebookInstanceEnvironment, StudioSpaceEnvironment
from jupyterlab_smcost.janitor import lambdas
from jupyterlab_smcost.pricing import pricelist

PACKAGE = Path(jupyterlab_smcost.__file__).parent

#: every way the package gets a client: (what, how)
ENTRY_POINTS: list[tuple[str, Callable[[], Any]]] = [
    ("price book (server and CLI)", lambda: pricelist._default_pricing_client("us-east-1")),
    (
        "notebook instance adapter",
        lambda: NotebookInstanceEnvironment("eu-west-1", "nb").client("sagemaker"),
    ),
    (
        "Studio space adapter, switcher call",
        lambda: StudioSpaceEnvironment("eu-west-1", "d-1", "space").client("lambda"),
    ),
    ("janitor Lambda", lambda: lambdas._client("cloudwatch")),
    ("janitor Lambda SNS", lambda: lambdas._client("sns")),
    ("CLI", lambda: cli._client("sagemaker", "eu-west-1")),
    ("switcher Lambda", lambda: clients.make_client("sagemaker", "eu-west-1", max_attempts=8)),
]


@pytest.fixture
def default_retries(no_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults of the factory: no AWS_MAX_ATTEMPTS / AWS_RETRY_MODE in the environment."""
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    monkeypatch.delenv("AWS_RETRY_MODE")


@pytest.mark.parametrize("make", [m for _, m in ENTRY_POINTS], ids=[w for w, _ in ENTRY_POINTS])
def test_every_client_has_the_timeouts_retries_and_user_agent(
    default_retries: None, make: Callable[[], Any]
) -> None:
    client = make()
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (
        clients.CONNECT_TIMEOUT_S,
        clients.READ_TIMEOUT_S,
    )
    assert config.retries["mode"] == "standard"
    assert config.retries["total_max_attempts"] in (
        clients.INTERACTIVE_MAX_ATTEMPTS,
        clients.BATCH_MAX_ATTEMPTS,
    )
    assert config.user_agent_extra == f"jupyterlab-smcost/{jupyterlab_smcost.__version__}"
    # standard resolution still applies: AWS_ENDPOINT_URL (set by no_aws) is where it goes
    assert client.meta.endpoint_url == "http://127.0.0.1:9"


def test_the_user_agent_is_sent(no_aws: None) -> None:
    """What AWS sees (CloudTrail's userAgent): the header of a real request."""
    sent: list[str] = []

    def capture(request: Any, **kwargs: Any) -> AWSResponse:
        sent.append(request.headers["User-Agent"].decode())

        class Raw:
            def stream(self) -> Iterator[bytes]:
                yield b"{}"

        return AWSResponse(request.url, 200, {}, Raw())

    price_list = pricelist._default_pricing_client("us-east-1")
    sagemaker = NotebookInstanceEnvironment("eu-west-1", "nb").sm
    for client in (price_list, sagemaker):
        client.meta.events.register("before-send.*.*", capture)
    price_list.describe_services()
    sagemaker.list_notebook_instances()
    assert len(sent) == 2
    for agent in sent:
        assert f"jupyterlab-smcost/{jupyterlab_smcost.__version__}" in agent


def test_configuration_wins_over_the_defaults(
    default_retries: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")
    config = clients.make_client("sagemaker").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}


def test_no_client_is_made_outside_the_factory() -> None:
    """boto3 clients come from aws/clients.py only (so none lacks the timeouts)."""
    making = re.compile(
        r"boto3\.(client|resource)\(|\bSession\(|\.create_client\(|session\.client\("
    )
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "clients.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if making.search(line)
    ]
    assert offenders == []


def test_one_base_error() -> None:
    for error in (
        CommandError("invalid_input", "x"),
        SwitchError("x"),
        WaitTimeout("x"),
    ):
        assert isinstance(error, AwsError)
        assert describe_aws_error(error, "do it")[:2] == (error.code, "x")


# ------------------------------------------------------------------- a silent endpoint


@pytest.fixture
def silent(monkeypatch: pytest.MonkeyPatch) -> Iterator[SilentEndpoint]:
    """The Price List API accepts connections and never answers; short timeouts, 2 attempts
    (the real ones are 20 s x 3: the tests keep them short, the mechanism is the same)."""
    monkeypatch.setattr(clients, "READ_TIMEOUT_S", 1.0)
    monkeypatch.setattr(clients, "CONNECT_TIMEOUT_S", 1.0)
    with SilentEndpoint() as endpoint:
        env = aws_env("http://127.0.0.1:9", region="us-east-1")
        env["AWS_MAX_ATTEMPTS"] = "2"
        env["AWS_ENDPOINT_URL_PRICING"] = endpoint.url
        with patched_environ(env):
            yield endpoint


def test_refresh_against_a_silent_endpoint_fails_in_bounded_time(
    silent: SilentEndpoint, tmp_path: Path
) -> None:
    cache = pricelist.LivePriceCache(tmp_path)
    outcome: list[BaseException] = []

    def refresh() -> None:
        try:
            cache.refresh("us-east-1", "Studio-JupyterLab")
        except BaseException as e:
            outcome.append(e)

    started = time.monotonic()
    worker = threading.Thread(target=refresh, daemon=True)
    worker.start()
    # 2 attempts x 1 s plus botocore's backoff; an unbounded client waits 60 s per attempt
    worker.join(timeout=30)
    assert not worker.is_alive(), "the refresh is still waiting for the endpoint"
    elapsed = time.monotonic() - started
    (error,) = outcome
    code, message, status = describe_aws_error(error, "fetch live prices")
    assert (code, status) == ("aws_timeout", 503)
    assert message.startswith("AWS did not answer in time while trying to fetch live prices")
    assert silent.url in message
    assert silent.accepted == 2  # one connection per attempt, no more
    assert elapsed >= 2.0  # it did wait for the answers (so the timeouts are what bound it)


def test_cli_refresh_against_a_silent_endpoint_says_so(
    silent: SilentEndpoint, tmp_path: Path
) -> None:
    import io

    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(["prices", "--refresh", "--cache-dir", str(tmp_path)], out=out, err=err)
    assert (rc, out.getvalue()) == (1, "")
    assert err.getvalue().startswith(
        "jupyter smcost: error: AWS did not answer in time while trying to fetch "
        "Studio-JupyterLab prices for us-east-1 (Price List API)"
    )
    assert err.getvalue().count("\n") == 1


@pytest.mark.parametrize(
    "module",
    ["jupyterlab_smcost.janitor.lambdas", "jupyterlab_smcost.cli"],  # the switcher: test_switcher
)
def test_lambda_and_cli_code_imports_no_jupyter(module: str) -> None:
    """They run in a bare Lambda (or a shell): the client factory must not drag jupyter in."""
    import subprocess
    import sys

    code = (
        f"import sys, {module}; "
        "bad = [m for m in sys.modules if m.startswith(('jupyter_server', 'jupyter_core', "
        "'tornado', 'traitlets', 'jupyterlab_smcost.app'))]; print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
