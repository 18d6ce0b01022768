"""The one place boto3 clients are made: the server's environments, the price book, the CLI,
the janitor's Lambda handlers and the switcher all call :func:`make_client`.

Every client gets boto3's standard resolution (credential chain, region, ``AWS_ENDPOINT_URL``
and ``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_RETRY_MODE`` / ``AWS_MAX_ATTEMPTS`` and the profile's
``retry_mode`` / ``max_attempts``, which win over the defaults here), one User-Agent suffix,
and bounded time: a call that gets no answer fails after ``attempts x (CONNECT_TIMEOUT_S or
READ_TIMEOUT_S)`` plus botocore's backoff, never hangs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, Optional

from .. import __version__
from ..messages import Message
from .errors import aws_errors

#: ``factory(service_name)`` -> a boto3 client (in a region the factory knows)
ClientFactory = Callable[[str], Any]
#: ``factory(service_name, region_name)`` -> a boto3 client: :func:`make_client`, or what
#: ``SmCostApp.aws_client_factory`` holds (region None: the configured one)
AwsClientFactory = Callable[[str, Optional[str]], Any]

USER_AGENT = f"jupyterlab-smcost/{__version__}"
#: seconds to open a connection, and to wait for an answer on it (per attempt). SageMaker's
#: and the Price List API's answers take well under a second; a page of 100 products is the
#: slowest we read.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0
#: attempts per call when someone waits for it (the server): about a minute at worst
INTERACTIVE_MAX_ATTEMPTS = 3
#: attempts per call in batch jobs (janitor, switcher): a check of thousands of endpoints meets
#: SageMaker's Describe* rate limits, and botocore's backoff absorbs them
BATCH_MAX_ATTEMPTS = 8
MAX_POOL_CONNECTIONS = 16  # the janitor describes endpoints from 8 threads


def default_region(region: Optional[str] = None) -> Optional[str]:
    """The region given, else boto3's (AWS_DEFAULT_REGION, profile), else AWS_REGION."""
    if region:
        return region
    with aws_errors(Message.of("action.read_aws_config", "read the AWS configuration")):
        found = _botocore_session().get_config_variable("region")
    return found or os.environ.get("AWS_REGION") or None


def client_config(botocore_session: Any, max_attempts: int, retry_mode: str = "standard") -> Any:
    """Timeouts, User-Agent, pool size, and retries unless the configuration sets them
    (``retry_mode`` ``adaptive`` adds client-side rate limiting, for long listings)."""
    from botocore.config import Config

    retries: dict[str, Any] = {}
    if not (
        os.environ.get("AWS_RETRY_MODE") or botocore_session.get_scoped_config().get("retry_mode")
    ):
        retries["mode"] = retry_mode
    if botocore_session.get_config_variable("max_attempts") is None:
        retries["total_max_attempts"] = max_attempts
    return Config(
        user_agent_extra=USER_AGENT,
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=MAX_POOL_CONNECTIONS,
        retries=retries or None,
    )


def make_client(
    service: str,
    region: Optional[str] = None,
    *,
    max_attempts: int = INTERACTIVE_MAX_ATTEMPTS,
    retry_mode: str = "standard",
) -> Any:
    """A boto3 client for ``service`` in ``region`` (else the configured one).

    Thread-safe: a fresh session per client (boto3's default session is not safe to create
    clients from several threads), so credentials are resolved now rather than cached from an
    earlier client; the sessions share the read-only API model loader.
    """
    import boto3

    region = default_region(region)
    with aws_errors(
        Message.of("action.create_client", f"create the {service} client", service=service)
    ):
        botocore_session = _botocore_session()
        session = boto3.session.Session(botocore_session=botocore_session)
        return session.client(
            service,
            region_name=region,
            config=client_config(botocore_session, max_attempts, retry_mode),
        )


def regional(factory: AwsClientFactory, region: Optional[str]) -> ClientFactory:
    """``factory(service)`` -> ``factory(service, region)`` (what the environment adapters
    take)."""
    return lambda service: factory(service, region)


def default_factory(region: Optional[str]) -> ClientFactory:
    """:func:`make_client` for ``region``."""
    return regional(make_client, region)


_LOADER: Any = None
_LOADER_LOCK = threading.Lock()


def _botocore_session() -> Any:
    import botocore.session

    global _LOADER
    session = botocore.session.get_session()
    with _LOADER_LOCK:
        if _LOADER is None:
            _LOADER = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _LOADER)
    return session
