"""SageMaker Studio Classic: the IDE (JupyterServer app) runs on a free system instance;
kernels run in KernelGateway apps, one billed instance per (image, instance type)."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from typing import Any, NoReturn, Optional

from botocore.exceptions import ClientError

from ..aws.costs import SPACE_TAG, USER_PROFILE_TAG
from ..aws.errors import error_code
from ..aws.sagemaker import (
    WaitTimeout,
    app_ident,
    app_instance_types,
    dashed,
    describe_app_status,
    image_spec,
    wait_for,
)
from ..errors import SmCostError
from ..messages import Message
from .aws_base import SageMakerEnvironment, ShutdownKernel
from .base import EnvironmentInfo, EnvSetup, IdleContext, SwitchProgress

KG = "KernelGateway"
#: statuses in which an app is billed
BILLED = ("InService", "Pending")
APP_NAME_RE = re.compile(r"[^a-zA-Z0-9-]+")


class StudioClassicEnvironment(SageMakerEnvironment):
    kind = "studio-classic"
    component = "Studio-Notebook"
    shutdown_ends_server = False  # idle kernels and KernelGateway apps go; the IDE stays
    #: kernels run on the KernelGateway apps' instances, not where this server runs
    usage_measures_instance = False

    def __init__(
        self,
        region: str,
        domain_id: str,
        user_profile: Optional[str] = None,
        space: Optional[str] = None,
        app_type: str = "JupyterServer",
        app_name: str = "default",
        *,
        shutdown_kernel: Optional[ShutdownKernel] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(region, **kwargs)
        if not (user_profile or space):
            raise ValueError("Studio Classic needs a UserProfileName or a SpaceName")
        self.domain_id = domain_id
        self.user_profile = user_profile
        self.space = space
        self.app_type = app_type
        self.app_name = app_name
        self._shutdown_kernel = shutdown_kernel
        #: suffix of new app names (injectable so tests can assert exact names)
        self.app_suffix: Callable[[], str] = lambda: uuid.uuid4().hex[:8]
        #: old app name -> kernels that were running on it when it was replaced
        self.retiring: dict[str, set[str]] = {}
        self._retire_lock = threading.Lock()
        self._owner_tag: Optional[tuple[str, str]] = None

    @classmethod
    def from_setup(cls, setup: EnvSetup) -> StudioClassicEnvironment:
        d = setup.detected
        return cls(
            setup.region,
            d.domain_id or "",
            user_profile=d.user_profile,
            space=d.space,
            app_type=d.app_type or "JupyterServer",
            app_name=d.resource_name or "default",
            shutdown_kernel=setup.shutdown_kernel,
            **cls.setup_kwargs(setup),
        )

    @property
    def owner(self) -> dict[str, str]:
        if self.space:
            return {"SpaceName": self.space}
        return {"UserProfileName": self.user_profile or ""}

    def ident(self, app_name: str) -> dict[str, str]:
        return app_ident(self.domain_id, KG, app_name, self.user_profile, self.space)

    def info(self) -> EnvironmentInfo:
        who = f"space {self.space}" if self.space else f"user {self.user_profile}"
        label = f"Studio Classic, {who}: the sum of its running KernelGateway apps"
        return EnvironmentInfo(
            kind=self.kind,
            region=self.region,
            resource=f"{self.domain_id}/{self.space or self.user_profile}",
            can_shutdown=True,
            can_switch=True,
            label=label,
            label_message=(
                Message.of("env.studio_classic_space", label, space=self.space)
                if self.space
                else Message.of("env.studio_classic_user", label, user=self.user_profile)
            ),
        )

    def cost_allocation_tag(self) -> tuple[str, str]:
        """Studio tags a user's apps with the user profile's ARN (a shared space's apps
        with the space's)."""
        if self._owner_tag is None:
            if self.space:
                d = self.call(self.sm.describe_space, DomainId=self.domain_id, SpaceName=self.space)
                self._owner_tag = (SPACE_TAG, d["SpaceArn"])
            else:
                d = self.call(
                    self.sm.describe_user_profile,
                    DomainId=self.domain_id,
                    UserProfileName=self.user_profile,
                )
                self._owner_tag = (USER_PROFILE_TAG, d["UserProfileArn"])
        return self._owner_tag

    # -- reading
    def kernel_gateway_apps(self, statuses: tuple[str, ...] = BILLED) -> list[dict[str, Any]]:
        """Every KernelGateway app of this user/space in ``statuses``, each described."""
        owner_filter = (
            {"SpaceNameEquals": self.space}
            if self.space
            else {"UserProfileNameEquals": self.user_profile}
        )
        apps: list[dict[str, Any]] = []
        token: Optional[str] = None
        while True:
            kwargs: dict[str, Any] = {"DomainIdEquals": self.domain_id, **owner_filter}
            if token:
                kwargs["NextToken"] = token
            page = self.call(self.sm.list_apps, **kwargs)
            for a in page.get("Apps", []):
                if a.get("AppType") == KG and a.get("Status") in statuses:
                    apps.append(a)
            token = page.get("NextToken")
            if not token:
                break
        out = []
        for a in apps:
            try:
                d = self.call(self.sm.describe_app, **self.ident(a["AppName"]))
            except ClientError as e:
                if error_code(e) in ("ResourceNotFound", "ResourceNotFoundException"):
                    continue  # deleted between the two calls
                raise
            if d.get("Status") in statuses:
                out.append(d)
        return out

    def instance_types(self) -> list[str]:
        return [
            t
            for t in (
                (a.get("ResourceSpec") or {}).get("InstanceType")
                for a in self.kernel_gateway_apps()
            )
            if t
        ]

    def valid_instance_types(self) -> list[str]:
        return list(app_instance_types())

    # -- idle
    def shutdown(self, context: IdleContext) -> str:
        stopped = 0
        if self._shutdown_kernel:
            for kid in context.idle_kernel_ids:
                self._shutdown_kernel(kid)
                stopped += 1
        left = set(context.kernel_ids) - (
            set(context.idle_kernel_ids) if self._shutdown_kernel else set()
        )
        busy = set(context.busy_kernel_ids) | left
        if busy:
            return (
                f"shut down {stopped} idle kernel(s); {len(busy)} kernel(s) still run, so "
                "no KernelGateway app was deleted"
            )
        deleted = []
        for app in self.kernel_gateway_apps(statuses=("InService",)):
            self.call(self.sm.delete_app, **self.ident(app["AppName"]))
            itype = (app.get("ResourceSpec") or {}).get("InstanceType")
            deleted.append(f"{app['AppName']} ({itype})")
        with self._retire_lock:
            self.retiring.clear()
        apps = ", ".join(deleted) if deleted else "none were running"
        return (
            f"shut down {stopped} idle kernel(s) and deleted KernelGateway apps: {apps}; the "
            "Studio Classic IDE keeps running"
        )

    # -- switch
    def new_app_name(self, old_name: str, old_type: Optional[str], target: str) -> str:
        suffix = self.app_suffix()
        base = old_name
        if old_type and dashed(old_type) in old_name:
            base = old_name.split(dashed(old_type))[0].rstrip("-")
        base = APP_NAME_RE.sub("-", base).strip("-") or "kernel"
        tail = f"-{dashed(target)}-{suffix}"
        return (base[: 63 - len(tail)].rstrip("-") + tail).lstrip("-")

    def start_switch(
        self, target: str, progress: SwitchProgress, context: Optional[IdleContext] = None
    ) -> None:
        apps = [a for a in self.kernel_gateway_apps() if a.get("Status") == "InService"]
        if not apps:
            progress.step(
                "find_app",
                "failed",
                Message.of("step.no_kernel_app", "no KernelGateway app is running"),
            )
            raise_switch(
                "no_kernel_app",
                "No KernelGateway app is running: open a notebook "
                "first, then switch its instance type.",
            )
        # the app to move: the most recently created one (where the user works now)
        old = max(apps, key=lambda a: str(a.get("CreationTime") or ""))
        old_spec = old.get("ResourceSpec") or {}
        old_type = old_spec.get("InstanceType")
        spec = image_spec(old_spec)
        progress.step(
            "find_app",
            "done",
            Message.of(
                "step.app_on", f"{old['AppName']} on {old_type}", app=old["AppName"], type=old_type
            ),
        )
        same = [
            a
            for a in apps
            if (a.get("ResourceSpec") or {}).get("InstanceType") == target
            and image_spec(a.get("ResourceSpec")) == spec
        ]
        # the kernels running when the switch began run on the old app
        kernels_before = set(context.kernel_ids if context else ())
        if same:
            new_name = same[0]["AppName"]
            progress.step(
                "create_app",
                "done",
                Message.of(
                    "step.app_reused",
                    f"{new_name} already runs this image on {target}",
                    app=new_name,
                    type=target,
                ),
            )
        else:
            new_name = self.new_app_name(old["AppName"], old_type, target)
            self.call(
                self.sm.create_app,
                **self.ident(new_name),
                ResourceSpec={**spec, "InstanceType": target},
            )
            progress.step(
                "create_app",
                "done",
                Message.of("step.app_on", f"{new_name} on {target}", app=new_name, type=target),
            )
            self._wait_in_service(new_name, progress)
        if old_type == target:
            progress.state = "succeeded"
            return
        self.retire(old["AppName"], kernels_before, kernels_before, progress)
        progress.state = "succeeded"

    def _wait_in_service(self, name: str, progress: SwitchProgress) -> None:
        def waiting(status: str) -> Message:
            return Message.of("step.app_waiting", f"{name}: {status}", app=name, status=status)

        progress.step("wait_in_service", "running", waiting("Pending"))
        step = progress.steps[-1]

        def on_status(status: str) -> None:
            progress.set_detail(step, waiting(status))

        try:
            wait_for(
                lambda: describe_app_status(self.sm, self.ident(name), sleep=self.sleep),
                done=("InService",),
                failed=("Failed", "Deleted", "Deleting"),
                what=f"app {name}",
                sleep=self.sleep,
                clock=self.clock,
                timeout_s=self.wait_timeout_s,
                interval_s=self.poll_interval_s,
                on_status=on_status,
            )
        except (RuntimeError, WaitTimeout) as e:
            step["status"] = "failed"
            reason = ""
            try:
                d = self.call(self.sm.describe_app, **self.ident(name))
                reason = d.get("FailureReason") or ""
            except ClientError:
                pass
            raise_switch("app_failed", f"{e}{': ' + reason if reason else ''}")
        step["status"] = "done"

    # -- old apps: deleted once no kernel that ran on them is left
    def retire(
        self,
        app_name: str,
        kernels: set[str],
        alive: set[str],
        progress: Optional[SwitchProgress] = None,
    ) -> None:
        """Delete ``app_name`` once none of ``kernels`` (which ran on it) is ``alive``:
        now if possible, else in a later ``housekeeping`` round."""
        with self._retire_lock:
            self.retiring[app_name] = set(kernels)
        done = self.retire_pending(alive)
        if progress is None:
            return
        if app_name in done:
            progress.step(
                "delete_old_app",
                "done",
                Message.of("step.app_deleted", f"{app_name} deleted", app=app_name),
            )
        else:
            n = len(self.retiring.get(app_name, ()))
            progress.step(
                "delete_old_app",
                "waiting",
                Message.of(
                    "step.app_deleted_later",
                    f"{app_name} is deleted once its {n} kernel(s) have stopped: restart "
                    "them on the new instance type",
                    app=app_name,
                    count=n,
                ),
            )

    def retire_pending(self, alive: set[str]) -> list[str]:
        """Delete the replaced apps none of whose kernels is in ``alive`` (the kernels
        running now, read by the caller on the event loop). Blocking."""
        with self._retire_lock:
            ready = [name for name, ks in self.retiring.items() if not (ks & alive)]
            for ks in self.retiring.values():
                ks &= alive
        deleted = []
        for name in ready:
            try:
                self.call(self.sm.delete_app, **self.ident(name))
            except ClientError as e:
                if error_code(e) not in ("ResourceNotFound", "ResourceNotFoundException"):
                    self.log.warning("smcost: could not delete replaced app %s: %s", name, e)
                    continue
            deleted.append(name)
            with self._retire_lock:
                self.retiring.pop(name, None)
        return deleted

    def needs_housekeeping(self) -> bool:
        with self._retire_lock:
            return bool(self.retiring)

    def housekeeping(self, context: IdleContext) -> None:
        self.retire_pending(set(context.kernel_ids))


def raise_switch(code: str, message: str) -> NoReturn:
    raise SmCostError(code, message, 409 if code == "no_kernel_app" else 502)
