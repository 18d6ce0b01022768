"""The switcher: the part of an instance switch that cannot run inside the instance being
replaced. Deployable as an AWS Lambda (``jupyterlab_smcost.aws.switcher.handler``); boto3 only.

Events (sent by the extension with ``InvocationType='Event'``)::

    {"kind": "notebook-instance", "region": "eu-west-1",
     "notebook_instance_name": "dev-alice", "instance_type": "ml.g4dn.xlarge"}

    {"kind": "studio-space", "region": "eu-west-1", "domain_id": "d-abc",
     "space_name": "alice-space", "app_type": "JupyterLab", "app_name": "default",
     "instance_type": "ml.g4dn.xlarge",
     "resource_spec": {"SageMakerImageArn": "...", "SageMakerImageVersionAlias": "..."}}

Every run reads the resource's current state and does the next step, so it is idempotent: a
run that times out (Lambda's 15-minute limit) raises, Lambda retries the asynchronous event,
and the retry carries on from where the resource is. Known transient errors (throttling,
space storage not yet available, an app of that name still deleting or previously failed,
a notebook instance still updating) are retried with backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Optional

from botocore.exceptions import ClientError

from . import clients
from .errors import AwsError, describe_aws_error, error_code
from .sagemaker import (
    Clock,
    Sleep,
    WaitTimeout,
    app_ident,
    app_instance_types,
    call,
    image_spec,
    notebook_instance_types,
)

log = logging.getLogger("jupyterlab_smcost.switcher")
log.setLevel(logging.INFO)

#: leave this much of Lambda's time for reporting
MARGIN_S = 30.0
#: how the handler waits (tests replace it)
SLEEP: Sleep = time.sleep
SPACE_SETTINGS_KEY = {"JupyterLab": "JupyterLabAppSettings", "CodeEditor": "CodeEditorAppSettings"}


class SwitchError(AwsError):
    """The switch cannot go on (bad event, resource in a state it cannot leave)."""

    def __init__(self, message: str) -> None:
        super().__init__("switch_failed", message, 409)


class Budget:
    """Time left (Lambda's remaining time, or a plain timeout outside Lambda)."""

    def __init__(self, seconds: float, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds

    def left(self) -> float:
        return self._end - self._clock()


class Switch:
    """One switch run: steps are recorded for the result (and the logs)."""

    def __init__(
        self,
        sm: Any,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        budget_s: float = 840.0,
        interval_s: float = 15.0,
        on_step: Optional[Callable[[str, str, str], None]] = None,
    ) -> None:
        self.sm = sm
        self.sleep = sleep
        self.clock = clock
        self.budget = Budget(budget_s, clock)
        self.interval_s = interval_s
        self.steps: list[dict[str, str]] = []
        self._on_step = on_step
        #: the type the resource had when this run first saw it (for a rollback)
        self.original: Optional[str] = None

    def step(self, name: str, status: str = "done", detail: str = "") -> None:
        self.steps.append({"name": name, "status": status, "detail": detail})
        log.info("switch: %s [%s] %s", name, status, detail)
        if self._on_step:
            self._on_step(name, status, detail)

    def _call(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return call(fn, sleep=self.sleep, attempts=6, **kwargs)

    def _wait(self, what: str) -> None:
        if self.budget.left() <= self.interval_s:
            raise WaitTimeout(f"out of time while waiting for {what}; the retry carries on")
        self.sleep(self.interval_s)

    # -- notebook instance: stop, update, start
    def notebook_instance(self, name: str, target: str, wait_in_service: bool = True) -> str:
        updated = False
        started = False
        while True:
            d = self._call(self.sm.describe_notebook_instance, NotebookInstanceName=name)
            status, current = d["NotebookInstanceStatus"], d.get("InstanceType")
            self.original = self.original or current
            if status == "InService":
                if current == target:
                    self.step("start", "done", f"{name} is InService on {target}")
                    return "InService"
                if started:
                    raise SwitchError(f"{name} started on {current}, not {target}")
                self._call(self.sm.stop_notebook_instance, NotebookInstanceName=name)
                self.step("stop", "done", f"stopping {name} ({current})")
            elif status in ("Stopped", "Failed"):
                if current != target:
                    if updated:  # SageMaker answered the update, but the type did not change
                        raise SwitchError(f"{name} is still {current} after the update")
                    self._call(
                        self.sm.update_notebook_instance,
                        NotebookInstanceName=name,
                        InstanceType=target,
                    )
                    updated = True
                    self.step("update", "done", f"{name}: {current} -> {target}")
                elif started:
                    # a start that fails again lands here: report it, do not loop forever
                    reason = d.get("FailureReason") or status
                    raise SwitchError(f"{name} did not start on {target}: {reason}")
                else:
                    self._call(self.sm.start_notebook_instance, NotebookInstanceName=name)
                    started = True
                    self.step(
                        "start",
                        "running" if wait_in_service else "done",
                        f"starting {name} on {target}",
                    )
                    if not wait_in_service:
                        return "Pending"
            elif status == "Deleting":
                raise SwitchError(f"{name} is being deleted")
            # Pending, Stopping, Updating, maintenance: wait for it
            self._wait(f"{name} ({status})")

    # -- Studio space: delete the app, update the space default, create the app
    def space(
        self,
        domain_id: str,
        space_name: str,
        app_type: str,
        app_name: str,
        target: str,
        resource_spec: Optional[dict[str, Any]] = None,
    ) -> str:
        if app_type not in SPACE_SETTINGS_KEY:
            raise SwitchError(f"app type {app_type!r} is not a space app (JupyterLab, CodeEditor)")
        ident = app_ident(domain_id, app_type, app_name, space=space_name)
        spec = image_spec(resource_spec)
        space_updated = False
        created = False
        while True:
            d = self._app(ident)
            status = d["Status"]
            self.original = self.original or (d.get("ResourceSpec") or {}).get("InstanceType")
            if status == "InService":
                current = (d.get("ResourceSpec") or {}).get("InstanceType")
                if current == target:
                    self.step("create_app", "done", f"{app_type} app is InService on {target}")
                    return "InService"
                if created:
                    raise SwitchError(f"the {app_type} app started on {current}, not {target}")
                spec = spec or image_spec(d.get("ResourceSpec"))
                self._call(self.sm.delete_app, **ident)
                self.step("delete_app", "done", f"deleting the {app_type} app ({current})")
            elif status in ("Deleted", "Failed"):
                if created:
                    reason = d.get("FailureReason") or "no reason given"
                    raise SwitchError(f"the {app_type} app failed on {target}: {reason}")
                spec = spec or image_spec(d.get("ResourceSpec"))
                if not space_updated:
                    settings = {
                        SPACE_SETTINGS_KEY[app_type]: {
                            "DefaultResourceSpec": {**spec, "InstanceType": target}
                        }
                    }
                    self._call(
                        self.sm.update_space,
                        DomainId=domain_id,
                        SpaceName=space_name,
                        SpaceSettings=settings,
                    )
                    space_updated = True
                    self.step("update_space", "done", f"{space_name}: default type {target}")
                self._call(
                    self.sm.create_app, **ident, ResourceSpec={**spec, "InstanceType": target}
                )
                created = True
                self.step("create_app", "running", f"creating the {app_type} app on {target}")
            # Pending, Deleting: wait
            self._wait(f"the {app_type} app ({status})")

    def _app(self, ident: dict[str, str]) -> dict[str, Any]:
        """describe_app, or ``{"Status": "Deleted"}`` once SageMaker no longer knows it."""
        try:
            return self._call(self.sm.describe_app, **ident)
        except ClientError as e:
            if error_code(e) in ("ResourceNotFound", "ResourceNotFoundException"):
                return {"Status": "Deleted"}
            raise


def validate_event(event: Any) -> dict[str, Any]:
    """Check an event before anything changes (raises SwitchError)."""
    if not isinstance(event, dict):
        raise SwitchError("the event must be a JSON object")
    kind = event.get("kind")
    target = event.get("instance_type")
    if not isinstance(target, str):
        raise SwitchError("instance_type is required")
    if kind == "notebook-instance":
        if not event.get("notebook_instance_name"):
            raise SwitchError("notebook_instance_name is required")
        if target not in notebook_instance_types():
            raise SwitchError(f"{target} is not a notebook instance type")
    elif kind == "studio-space":
        for key in ("domain_id", "space_name", "app_type"):
            if not event.get(key):
                raise SwitchError(f"{key} is required")
        if target not in app_instance_types():
            raise SwitchError(f"{target} is not a Studio app instance type")
    else:
        raise SwitchError(f"unknown kind {kind!r} (notebook-instance or studio-space)")
    return event


def run(event: dict[str, Any], sm: Any, **switch_kwargs: Any) -> dict[str, Any]:
    """Run one switch described by ``event`` with the SageMaker client ``sm``.

    If the switch fails once the resource is down (no quota or capacity for the target, the
    new app or instance failed), it goes back to the type it came from, so the user is not
    left without a notebook, and the result says ``ok: False`` with the reason. Running out of
    time raises (Lambda retries the event and the next run carries on).
    """
    event = validate_event(event)
    sw = Switch(sm, **switch_kwargs)
    sw.original = event.get("from_instance_type") or None
    target = event["instance_type"]

    def to(instance_type: str) -> str:
        if event["kind"] == "notebook-instance":
            return sw.notebook_instance(
                event["notebook_instance_name"],
                instance_type,
                wait_in_service=event.get("wait", True),
            )
        return sw.space(
            event["domain_id"],
            event["space_name"],
            event["app_type"],
            event.get("app_name") or "default",
            instance_type,
            event.get("resource_spec"),
        )

    result = {"kind": event["kind"], "instance_type": target}
    try:
        state = to(target)
    except WaitTimeout:
        raise
    except (ClientError, SwitchError) as e:
        original = sw.original
        if isinstance(e, ClientError):
            reason = describe_aws_error(e, f"switch to {target}")[1]
        else:
            reason = str(e)
        if not original or original == target:
            raise
        sw.step("rollback", "running", f"{reason} Going back to {original}.")
        try:
            state = to(original)
        except Exception as again:
            raise SwitchError(f"{reason} The rollback to {original} failed too: {again}") from e
        log.error("switch to %s failed, back on %s: %s", target, original, reason)
        return {
            **result,
            "ok": False,
            "state": state,
            "rolled_back_to": original,
            "error": reason,
            "steps": sw.steps,
        }
    return {**result, "ok": True, "state": state, "steps": sw.steps}


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """AWS Lambda entry point. Raises on failure (Lambda records it and retries the event);
    a switch that failed but was rolled back returns ``ok: False`` (a retry would fail again)."""
    budget = 840.0
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        budget = max(1.0, context.get_remaining_time_in_millis() / 1000.0 - MARGIN_S)
    try:
        event = validate_event(event)
        sm = clients.make_client(
            "sagemaker", event.get("region"), max_attempts=clients.BATCH_MAX_ATTEMPTS
        )
        result = run(event, sm, budget_s=budget, sleep=SLEEP)
    except ClientError as e:
        _code, message, _ = describe_aws_error(e, f"switch to {event.get('instance_type')}")
        log.error("switch failed: %s (%s)", message, error_code(e))
        raise
    except SwitchError as e:
        log.error("switch failed: %s", e)
        raise
    if result["ok"]:
        log.info("switch finished: %s", result)
    return result
