"""The SageMaker calls of ``jupyter smcost lifecycle``: reads, changes (only planned, and
listed, in a dry run), "not found" told from a failure, and every AWS failure as a
:class:`~.errors.CommandError` with one sentence (an access denial names the IAM action)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional

from botocore.exceptions import BotoCoreError, ClientError

from .errors import ACCESS_CODES, CommandError, describe_aws_error, error_code
from .sagemaker import Clock, Sleep

_NOT_FOUND = re.compile(r"does not exist|not found|cannot find", re.I)


@dataclass
class Change:
    """One AWS call that changes something (made, or with dry_run only planned)."""

    operation: str
    params: dict[str, Any]

    def describe(self) -> str:
        """``sagemaker.update_domain(DomainId='d-1', ...)``, scripts shown by their length."""

        def show(value: Any, key: str = "") -> str:
            if key in ("Content", "StudioLifecycleConfigContent"):
                return repr(f"<{len(value)} characters>")
            if isinstance(value, dict):
                return "{" + ", ".join(f"{k!r}: {show(v, k)}" for k, v in value.items()) + "}"
            if isinstance(value, list):
                return "[" + ", ".join(show(v, key) for v in value) + "]"
            return repr(value)

        args = ", ".join(f"{k}={show(v, k)}" for k, v in self.params.items())
        return f"sagemaker.{_snake(self.operation)}({args})"


class SageMakerCalls:
    """The calls on one SageMaker client; ``changes`` lists every change made or planned."""

    def __init__(
        self,
        sm: Any,
        *,
        dry_run: bool = False,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        wait_timeout_s: float = 1200.0,
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.sm = sm
        self.dry_run = dry_run
        self.sleep = sleep
        self.clock = clock
        self.wait_timeout_s = wait_timeout_s
        self.say = say
        self.changes: list[Change] = []

    # -- calls
    @contextmanager
    def _errors(self, operation: str, action: str) -> Iterator[None]:
        try:
            yield
        except ClientError as e:
            if error_code(e) in ACCESS_CODES:
                msg = " ".join(str(e.response.get("Error", {}).get("Message", "")).split())
                raise CommandError(
                    "aws_access_denied",
                    f"AWS denied sagemaker:{operation} while trying to {action}: {msg}. The "
                    f"identity running this command needs the IAM action sagemaker:{operation} "
                    "(see the IAM page of the documentation).",
                ) from e
            code, message, _status = describe_aws_error(e, action)
            raise CommandError(code, message) from e
        except BotoCoreError as e:
            code, message, _status = describe_aws_error(e, action)
            raise CommandError(code, message) from e

    def _read(self, operation: str, action: str, **params: Any) -> dict[str, Any]:
        method = getattr(self.sm, _snake(operation))
        with self._errors(operation, action):
            return method(**params)

    def _change(self, operation: str, action: str, **params: Any) -> dict[str, Any]:
        change = Change(operation, params)
        self.changes.append(change)
        if self.dry_run:
            self.say(f"would call {change.describe()}")
            return {}
        return self._read(operation, action, **params)

    def _missing(self, operation: str, action: str, **params: Any) -> Optional[dict[str, Any]]:
        """The description, or None when SageMaker does not know the resource."""
        try:
            return self._read(operation, action, **params)
        except CommandError as e:
            cause = e.__cause__
            if isinstance(cause, ClientError) and (
                error_code(cause) in ("ResourceNotFound", "ResourceNotFoundException")
                or (
                    error_code(cause) == "ValidationException"
                    and _NOT_FOUND.search(cause.response.get("Error", {}).get("Message", ""))
                )
            ):
                return None
            raise


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
