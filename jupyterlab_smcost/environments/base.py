"""The environment interface: everything that differs between local, notebook instances
and Studio lives behind it. Nothing else in the code branches on the environment.

Methods marked *blocking* may call AWS; callers run them in a worker thread, never on the
tornado event loop. They raise :class:`~jupyterlab_smcost.errors.SmCostError` or botocore
exceptions; callers turn the latter into messages with ``aws.errors.describe_aws_error``.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Optional, Union

from ..aws.clients import ClientFactory
from ..aws.costs import BilledDay
from ..errors import SmCostError
from ..messages import Message
from .detection import Detected, EnvConfig


@dataclass(frozen=True)
class EnvironmentInfo:
    kind: str
    region: str
    resource: Optional[str]
    can_shutdown: bool
    can_switch: bool
    switch_unavailable_reason: Optional[str] = None
    label: Optional[str] = None  # e.g. "not on SageMaker: priced as ml.t3.medium"
    #: ``label`` and ``switch_unavailable_reason`` with their codes (messages.py)
    label_message: Optional[Message] = None
    switch_unavailable_message: Optional[Message] = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "region": self.region,
            "resource": self.resource,
            "can_shutdown": self.can_shutdown,
            "can_switch": self.can_switch,
            "switch_unavailable_reason": self.switch_unavailable_reason,
            "label": self.label,
            **(
                {"label_message": self.label_message.to_json()}
                if self.label_message is not None
                else {}
            ),
            **(
                {"switch_unavailable_message": self.switch_unavailable_message.to_json()}
                if self.switch_unavailable_message is not None
                else {}
            ),
        }


@dataclass
class SwitchProgress:
    """A switch's progress, reported by the environment as it goes."""

    id: str
    target: str
    #: pending | running | waiting_external (handed to the switcher) | manual (the user does
    #: the step in ``manual_step``) | succeeded | failed
    state: str = "pending"
    steps: list[dict[str, Any]] = field(default_factory=list)
    error: Optional[str] = None
    #: ``error``'s code and params (``Error.code``), for the panel to say it translated
    error_code: Optional[str] = None
    error_params: dict[str, Any] = field(default_factory=dict)
    manual_step: Optional[str] = None
    #: ``manual_step`` with its code and params, for the panel to say in the user's language
    manual_message: Optional[Message] = None

    def step(self, name: str, status: str = "done", detail: Union[str, Message] = "") -> None:
        """Add a step; a :class:`Message` detail is sent with its code and params too."""
        entry: dict[str, Any] = {"name": name, "status": status}
        self.steps.append(entry)
        self.set_detail(entry, detail)

    @staticmethod
    def set_detail(entry: dict[str, Any], detail: Union[str, Message]) -> None:
        """Set (or update, as a wait goes on) a step's detail."""
        if isinstance(detail, Message):
            entry["detail"] = detail.text
            entry["message"] = detail.to_json()
        else:
            entry["detail"] = detail
            entry.pop("message", None)

    def manual(self, message: Message) -> None:
        """The one step left for the user: ``state`` becomes ``manual``."""
        self.manual_step = message.text
        self.manual_message = message
        self.state = "manual"


@dataclass(frozen=True)
class IdleContext:
    """What the server knows when it calls a blocking method (for adapters that act per
    kernel). Read on the event loop: adapters never touch the kernel manager, which is not
    thread-safe, from their worker threads."""

    #: kernels the idle loop found idle (to shut down)
    idle_kernel_ids: tuple[str, ...] = ()
    busy_kernel_ids: tuple[str, ...] = ()
    #: every kernel running when the call was made
    kernel_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnvSetup:
    """What the server knows when it builds the environment adapter: an adapter class makes
    itself from it (:meth:`Environment.from_setup`), so that any class can be configured as
    ``SmCostApp.environment_class``."""

    config: EnvConfig
    #: what the metadata file says (its fields name the resource)
    detected: Detected
    #: the region of the resource (local mode: ``config.region``)
    region: str
    log: logging.Logger
    #: stops this Jupyter server (thread-safe)
    stop_server: Callable[[], None]
    #: the types local mode accepts (those with known specs)
    valid_local_types: tuple[str, ...] = ()
    #: ``client_factory(service)`` -> a boto3 client in ``region``
    client_factory: Optional[ClientFactory] = None
    #: shuts a kernel of this server down (thread-safe; Studio Classic's idle stop)
    shutdown_kernel: Optional[Callable[[str], None]] = None
    #: more keyword arguments for the SageMaker adapters (``sleep``, ``clock``...)
    adapter_kwargs: dict[str, Any] = field(default_factory=dict)


class Environment(abc.ABC):
    """One adapter per place the server can run."""

    kind: ClassVar[str]
    #: Price List ``component`` the instance under this server is billed as.
    component: str
    #: False where an idle stop leaves this server running (Studio Classic: kernels go).
    shutdown_ends_server: ClassVar[bool] = True
    #: False where the kernels run on other machines than this server (Studio Classic), so
    #: the CPU/memory/GPU use measured here says nothing about the billed instance.
    usage_measures_instance: ClassVar[bool] = True

    def __init__(self, region: str) -> None:
        self.region = region

    @classmethod
    def from_setup(cls, setup: EnvSetup) -> Environment:
        """The adapter for ``setup``; a class that needs more than the region overrides it."""
        return cls(setup.region)

    @abc.abstractmethod
    def info(self) -> EnvironmentInfo:
        """What the panel shows about where it runs. Must not block; constant for the
        life of the adapter (the service builds its JSON once)."""

    @abc.abstractmethod
    def instance_types(self) -> list[str]:
        """Instance type(s) billed for this server now (blocking). Several for Studio
        Classic (one per running KernelGateway app); the cost is their sum."""

    @abc.abstractmethod
    def valid_instance_types(self) -> list[str]:
        """Types this environment accepts (before ``allowed_instance_types``)."""

    @abc.abstractmethod
    def shutdown(self, context: IdleContext) -> str:
        """Stop what idles (blocking). Returns a sentence saying what was done."""

    def start_switch(
        self, target: str, progress: SwitchProgress, context: Optional[IdleContext] = None
    ) -> None:
        """Switch to ``target`` (blocking), reporting into ``progress``."""
        raise NotImplementedError

    def needs_housekeeping(self) -> bool:
        """Whether ``housekeeping`` has work (cheap, non-blocking; asked every minute)."""
        return False

    def housekeeping(self, context: IdleContext) -> None:
        """Periodic clean-up (blocking), e.g. deleting apps a switch replaced."""

    def billed_spend(self, start: date, end: date) -> BilledSpend:
        """Billed spend per day from Cost Explorer, ``start`` to ``end`` (exclusive), of
        what this environment's cost allocation tag marks (blocking). Raises
        ``SmCostError("billed_unavailable")`` where there is no such tag."""
        raise SmCostError(
            "billed_unavailable",
            "not on SageMaker: there is no billed resource to ask Cost Explorer about",
            409,
            {"where": "local"},
        )

    def job_place(self) -> JobPlace:
        """Where a training job started from here runs: its role, image, account and tags
        (blocking). Raises ``SmCostError("jobs_unavailable")`` where it cannot be known."""
        raise SmCostError(
            "jobs_unavailable",
            f"{self.kind}: this environment does not know which role and image a training "
            "job would run with; set SmCostApp.job_role_arn (and job_image)",
            409,
        )

    def close(self) -> None:
        """Release resources (called when the extension stops)."""


@dataclass(frozen=True)
class BilledSpend:
    """What Cost Explorer billed for the resources tagged ``tag_key`` = ``tag_value``."""

    tag_key: str
    tag_value: str
    days: tuple[BilledDay, ...]


@dataclass(frozen=True)
class JobPlace:
    """What the environment knows of where a training job started from it runs (issue 17).
    None: not known here (the administrator's traits or the region's defaults fill it)."""

    role_arn: Optional[str] = None
    #: an ECR image URI (the space's own image), and how it was found
    image: Optional[str] = None
    image_source: str = ""
    account: Optional[str] = None
    #: tags every job started from here carries (attribution to the space or user profile)
    tags: tuple[tuple[str, str], ...] = ()
