"""A client factory for ``SmCostApp.aws_client_factory`` that hands out botocore-Stubber
clients (real clients: each request is checked against the service's API model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional


class StubbedClients:
    """``factory(service, region)`` -> the client given for ``service``.

    ``StubbedClients(sagemaker=client, ...)``; ``add(service, client)`` gives one later. A
    service with no client goes to ``fallback`` (e.g. ``aws.clients.make_client``, whatever
    the environment points it at) or fails the test. ``made`` lists the ``(service, region)``
    of every client asked for."""

    def __init__(
        self, fallback: Optional[Callable[[str, Optional[str]], Any]] = None, **clients: Any
    ) -> None:
        self.clients: dict[str, Any] = dict(clients)
        self.fallback = fallback
        self.made: list[tuple[str, Optional[str]]] = []

    def __deepcopy__(self, memo: dict[int, Any]) -> StubbedClients:
        # traitlets deep-copies configured values: the server must get this very factory
        return self

    def add(self, service: str, client: Any) -> None:
        self.clients[service] = client

    def __call__(self, service: str, region: Optional[str] = None) -> Any:
        self.made.append((service, region))
        if service in self.clients:
            return self.clients[service]
        if self.fallback is not None:
            return self.fallback(service, region)
        raise AssertionError(f"the test gave no {service} client (asked for in {region})")
