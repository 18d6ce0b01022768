"""Scheduled notebook instance start/stop: ``jupyter smcost notebooks start|stop`` and the
``start_notebooks`` / ``stop_notebooks`` Lambdas. Only the standard library and boto3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from botocore.exceptions import BotoCoreError, ClientError

from ..aws.errors import (
    ACCESS_CODES,
    THROTTLING_CODES,
    AwsError,
    CommandError,
    aws_errors,
    describe_aws_error,
    error_code,
)

ACTIONS = {
    # action: (state acted on, state it leads to, boto3 method, past tense)
    "start": ("Stopped", "InService", "start_notebook_instance", "started"),
    "stop": ("InService", "Stopped", "stop_notebook_instance", "stopped"),
}


@dataclass
class NotebookReport:
    action: str
    name_contains: str
    dry_run: bool
    acted: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # name, status, reason
    failed: list[dict[str, str]] = field(default_factory=list)  # name, code, message

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "name_contains": self.name_contains,
            "dry_run": self.dry_run,
            ACTIONS[self.action][3]: self.acted,
            "skipped": self.skipped,
            "failed": self.failed,
        }

    def failure_line(self) -> Optional[str]:
        if not self.failed:
            return None
        total = len(self.acted) + len(self.failed)
        detail = "; ".join(f"{f['name']}: {f['message']}" for f in self.failed)
        return f"{len(self.failed)} of {total} notebook instances could not {self.action}: {detail}"


def list_notebook_instances(sagemaker: Any, name_contains: str) -> list[dict]:
    found: list[dict] = []
    with aws_errors("list SageMaker notebook instances"):
        paginator = sagemaker.get_paginator("list_notebook_instances")
        for page in paginator.paginate(NameContains=name_contains, MaxResults=100):
            found.extend(page.get("NotebookInstances", []))
    return sorted(found, key=lambda n: n["NotebookInstanceName"])


def schedule_notebooks(
    sagemaker: Any, action: str, name_contains: str, dry_run: bool = False
) -> NotebookReport:
    """Start (Stopped only) or stop (InService only) the notebook instances matching a name.

    Others are skipped with their state. A failure on one instance is recorded and the rest
    go on, except for access/throttling failures, which stop the run (they would repeat).
    """
    if action not in ACTIONS:
        raise CommandError("invalid_input", f"unknown action {action!r}: start or stop")
    if not name_contains:
        raise CommandError(
            "invalid_input",
            "a name filter is required (e.g. --name-contains dev-): refusing to "
            f"{action} every notebook instance of the account",
        )
    wanted, target, method, done = ACTIONS[action]
    report = NotebookReport(action, name_contains, dry_run)
    for nb in list_notebook_instances(sagemaker, name_contains):
        name, status = nb["NotebookInstanceName"], nb.get("NotebookInstanceStatus", "?")
        if status != wanted:
            reason = (
                f"already {status}"
                if status == target
                else f"{status}: only {wanted} instances are {done}"
            )
            report.skipped.append({"name": name, "status": status, "reason": reason})
            continue
        if dry_run:
            report.acted.append(name)
            continue
        try:
            getattr(sagemaker, method)(NotebookInstanceName=name)
        except (ClientError, BotoCoreError) as exc:
            code, message, status = describe_aws_error(exc, f"{action} notebook instance {name}")
            if error_code(exc) in ACCESS_CODES | THROTTLING_CODES or not isinstance(
                exc, ClientError
            ):
                raise AwsError(code, message, status) from exc
            report.failed.append({"name": name, "code": code, "message": " ".join(message.split())})
            continue
        report.acted.append(name)
    return report
