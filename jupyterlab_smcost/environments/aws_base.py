"""What the SageMaker adapters share: lazily created boto3 clients (never on the event loop:
every caller of a blocking method runs it in a worker thread), retries, the switcher call."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any, Optional

from ..aws.clients import ClientFactory, default_factory
from ..aws.costs import billed_days
from ..aws.partitions import currency_of
from ..aws.sagemaker import Clock, Sleep, call
from ..errors import SmCostError
from ..messages import Message
from .base import BilledSpend, Environment, EnvSetup, SwitchProgress

ShutdownKernel = Callable[[str], None]


class SageMakerEnvironment(Environment):
    """Base of the notebook-instance, Studio Classic and Studio space adapters.

    ``client_factory(service_name)`` returns a boto3 client; the default is the package's one
    factory (:mod:`..aws.clients`: standard resolution, bounded timeouts) for ``region``.
    Tests pass Stubber-wrapped clients through it.
    """

    def __init__(
        self,
        region: str,
        *,
        client_factory: Optional[ClientFactory] = None,
        switcher_function: str = "",
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        log: Optional[logging.Logger] = None,
        poll_interval_s: float = 10.0,
        wait_timeout_s: float = 900.0,
    ) -> None:
        super().__init__(region)
        self._factory = client_factory or default_factory(region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.switcher_function = switcher_function
        self.sleep = sleep
        self.clock = clock
        self.log = log or logging.getLogger("jupyterlab_smcost")
        self.poll_interval_s = poll_interval_s
        self.wait_timeout_s = wait_timeout_s

    @staticmethod
    def setup_kwargs(setup: EnvSetup) -> dict[str, Any]:
        """The keyword arguments every SageMaker adapter takes, from ``setup``."""
        return {
            "client_factory": setup.client_factory,
            "switcher_function": setup.config.switcher_function,
            "log": setup.log,
            **setup.adapter_kwargs,
        }

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._factory(service)
            return self._clients[service]

    @property
    def sm(self) -> Any:
        return self.client("sagemaker")

    def call(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """One AWS call, retrying throttling and known transient errors (bounded)."""
        return call(fn, sleep=self.sleep, **kwargs)

    def invoke_switcher(self, event: dict[str, Any], progress: SwitchProgress) -> None:
        """Hand the rest of the switch to the switcher Lambda (asynchronous invocation)."""
        lam = self.client("lambda")
        resp = self.call(
            lam.invoke,
            FunctionName=self.switcher_function,
            InvocationType="Event",
            Payload=json.dumps(event).encode(),
        )
        status = resp.get("StatusCode")
        if status != 202 or resp.get("FunctionError"):
            raise SmCostError(
                "switcher_failed",
                f"the switcher function {self.switcher_function} did not accept the switch "
                f"(status {status}, {resp.get('FunctionError') or 'no error given'})",
                502,
            )
        progress.step(
            "invoke_switcher",
            "done",
            Message.of(
                "step.switcher_accepted",
                f"{self.switcher_function} accepted the switch to {event['instance_type']}",
                function=str(self.switcher_function),
                type=str(event["instance_type"]),
            ),
        )
        progress.state = "waiting_external"

    def cost_allocation_tag(self) -> tuple[str, str]:
        """(key, value) of the cost allocation tag AWS puts on what this environment bills
        (blocking). Raises ``SmCostError("billed_unavailable")`` where there is none."""
        raise SmCostError(
            "billed_unavailable",
            f"{self.kind} resources carry no AWS-generated cost allocation tag to ask "
            "Cost Explorer about",
            409,
            {"where": "no_tag", "kind": self.kind},
        )

    def billed_spend(self, start: date, end: date) -> BilledSpend:
        key, value = self.cost_allocation_tag()
        currency = currency_of(self.region) or "USD"
        days = billed_days(self.client("ce"), key, value, start, end, currency)
        return BilledSpend(key, value, tuple(days))

    def close(self) -> None:
        with self._lock:
            for c in self._clients.values():
                try:
                    c.close()
                except Exception:  # closing is best effort
                    pass
            self._clients.clear()
