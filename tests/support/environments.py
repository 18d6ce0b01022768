"""Environment classes for ``SmCostApp.environment_class``."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from jupyterlab_smcost.environments import EnvSetup, IdleContext, LocalEnvironment
from jupyterlab_smcost.environments.base import BilledSpend


class RecordingEnvironment(LocalEnvironment):
    """Local mode (priced as ``SmCostApp.instance_type``) that records every call the server
    makes of it, with the thread it came from: ``calls`` holds ``(method, thread ident,
    arguments)``. Subclasses change one behaviour at a time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, int, tuple[Any, ...]]] = []

    def record(self, method: str, *args: Any) -> None:
        self.calls.append((method, threading.get_ident(), args))

    def threads(self, method: str) -> list[int]:
        """The threads ``method`` was called from, in order."""
        return [thread for name, thread, _ in self.calls if name == method]

    def instance_types(self) -> list[str]:
        self.record("instance_types")
        return super().instance_types()

    def valid_instance_types(self) -> list[str]:
        self.record("valid_instance_types")
        return super().valid_instance_types()

    def shutdown(self, context: IdleContext) -> str:
        self.record("shutdown", context)
        return super().shutdown(context)

    def billed_spend(self, start: date, end: date) -> BilledSpend:
        self.record("billed_spend", start, end)
        return super().billed_spend(start, end)


class KernelsElsewhere(RecordingEnvironment):
    """As Studio Classic: the kernels run on other instances, so the use of this machine
    says nothing about the billed one."""

    usage_measures_instance = False


class BrokenEnvironment(RecordingEnvironment):
    """Cannot be built, as a bug or a broken host would have it: ``attempts`` counts the
    tries (one list per class: make one with :func:`broken_environment`)."""

    attempts: list[EnvSetup] = []
    message = "metadata service exploded"

    @classmethod
    def from_setup(cls, setup: EnvSetup) -> RecordingEnvironment:
        cls.attempts.append(setup)
        raise RuntimeError(cls.message)


def broken_environment(message: str = BrokenEnvironment.message) -> type[BrokenEnvironment]:
    """A fresh :class:`BrokenEnvironment` class (its own ``attempts``)."""
    return type("BrokenEnvironment", (BrokenEnvironment,), {"attempts": [], "message": message})


class BuggyValidTypes(RecordingEnvironment):
    """Listing the valid instance types hits a bug (a ``KeyError`` in a worker thread)."""

    def valid_instance_types(self) -> list[str]:
        self.record("valid_instance_types")
        raise KeyError("private detail of a bug")


class DeniedValidTypes(RecordingEnvironment):
    """AWS refuses the call behind the valid instance types (``AccessDeniedException`` on
    ``ListApps``), as botocore raises it."""

    def valid_instance_types(self) -> list[str]:
        self.record("valid_instance_types")
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "ListApps"
        )


class BuggyShutdown(RecordingEnvironment):
    """The stop hits a bug (a ``KeyError``); ``calls`` shows how often it was tried."""

    def shutdown(self, context: IdleContext) -> str:
        self.record("shutdown", context)
        raise KeyError("private detail of a bug")
