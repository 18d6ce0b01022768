"""New SageMaker Studio: a JupyterLab or Code Editor app (named ``default``) in a space."""

from __future__ import annotations

import os
import re
from typing import Any, Optional

from botocore.exceptions import ClientError

from ..aws.costs import SPACE_TAG
from ..aws.errors import describe_aws_error
from ..aws.sagemaker import account_from_arn, app_ident, app_instance_types, image_spec
from ..aws.switcher import SPACE_SETTINGS_KEY
from ..messages import Message
from .aws_base import SageMakerEnvironment
from .base import EnvironmentInfo, EnvSetup, IdleContext, JobPlace, SwitchProgress

COMPONENTS = {"JupyterLab": "Studio-JupyterLab", "CodeEditor": "studio-codeeditor"}


class StudioSpaceEnvironment(SageMakerEnvironment):
    kind = "studio-space"

    def __init__(
        self,
        region: str,
        domain_id: str,
        space_name: str,
        app_type: str = "JupyterLab",
        app_name: str = "default",
        **kwargs: Any,
    ) -> None:
        super().__init__(region, **kwargs)
        if app_type not in COMPONENTS:
            raise ValueError(f"not a space app type: {app_type!r}")
        self.domain_id = domain_id
        self.space_name = space_name
        self.app_type = app_type
        self.app_name = app_name
        self.component = COMPONENTS[app_type]
        self.ident = app_ident(domain_id, app_type, app_name, space=space_name)
        self._space_arn: Optional[str] = None

    @classmethod
    def from_setup(cls, setup: EnvSetup) -> StudioSpaceEnvironment:
        d = setup.detected
        return cls(
            setup.region,
            d.domain_id or "",
            d.space or "",
            app_type=d.app_type or "JupyterLab",
            app_name=d.resource_name or "default",
            **cls.setup_kwargs(setup),
        )

    def info(self) -> EnvironmentInfo:
        return EnvironmentInfo(
            kind=self.kind,
            region=self.region,
            resource=f"{self.domain_id}/{self.space_name}/{self.app_type}/{self.app_name}",
            can_shutdown=True,
            can_switch=True,
            label=f"Studio space {self.space_name} ({self.app_type})",
            label_message=Message.of(
                "env.studio_space",
                f"Studio space {self.space_name} ({self.app_type})",
                space=self.space_name,
                app_type=self.app_type,
            ),
        )

    def cost_allocation_tag(self) -> tuple[str, str]:
        """Studio tags the space's apps with the space's ARN."""
        if self._space_arn is None:
            d = self.call(
                self.sm.describe_space, DomainId=self.domain_id, SpaceName=self.space_name
            )
            self._space_arn = d["SpaceArn"]
        return SPACE_TAG, self._space_arn

    def describe(self) -> dict[str, Any]:
        return self.call(self.sm.describe_app, **self.ident)

    def instance_types(self) -> list[str]:
        spec = self.describe().get("ResourceSpec") or {}
        return [spec["InstanceType"]] if spec.get("InstanceType") else []

    def valid_instance_types(self) -> list[str]:
        return list(app_instance_types())

    def shutdown(self, context: IdleContext) -> str:
        self.call(self.sm.delete_app, **self.ident)
        return (
            f"deleted the {self.app_type} app of space {self.space_name} (the space and its "
            "storage stay)"
        )

    def switch_event(self, target: str, current: Any, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "region": self.region,
            "domain_id": self.domain_id,
            "space_name": self.space_name,
            "app_type": self.app_type,
            "app_name": self.app_name,
            "instance_type": target,
            "from_instance_type": current,
            "resource_spec": spec,
        }

    def start_switch(
        self, target: str, progress: SwitchProgress, context: Optional[IdleContext] = None
    ) -> None:
        d = self.describe()
        current = (d.get("ResourceSpec") or {}).get("InstanceType")
        spec = image_spec(d.get("ResourceSpec"))
        status = str(d.get("Status"))
        progress.step(
            "describe",
            "done",
            Message.of(
                "step.app_status",
                f"the {self.app_type} app is {status} on {current}",
                app_type=self.app_type,
                status=status,
                type=current,
            ),
        )
        if self.switcher_function:
            self.invoke_switcher(self.switch_event(target, current, spec), progress)
            progress.step(
                "delete_update_create",
                "waiting",
                Message.of(
                    "step.switcher_recreates_app",
                    f"the switcher deletes this app, sets the space's default type to {target} "
                    "and creates the app again (a few minutes): this page loses its connection "
                    "meanwhile",
                    type=target,
                ),
            )
            return
        # Without a switcher: set the space's default type from here; restarting the app is
        # the user's one step (deleting our own app would end this server mid-request).
        settings = {
            SPACE_SETTINGS_KEY[self.app_type]: {
                "DefaultResourceSpec": {**spec, "InstanceType": target}
            }
        }
        try:
            self.call(
                self.sm.update_space,
                DomainId=self.domain_id,
                SpaceName=self.space_name,
                SpaceSettings=settings,
            )
        except ClientError as e:
            _code, message, _status = describe_aws_error(e, "set the space's instance type")
            progress.step("update_space", "failed", message)
            progress.manual(
                Message.of(
                    "manual.space_choose_type",
                    f"In SageMaker Studio, stop space {self.space_name}, choose {target} as its "
                    "instance type and run it again. (No switcher function is configured: "
                    "SmCostApp.switcher_function.)",
                    space=self.space_name,
                    type=target,
                )
            )
            return
        progress.step(
            "update_space",
            "done",
            Message.of(
                "step.space_default",
                f"{self.space_name}: default type {target}",
                space=self.space_name,
                type=target,
            ),
        )
        progress.manual(
            Message.of(
                "manual.space_restart",
                f"Save your work, then in SageMaker Studio stop space {self.space_name} and run "
                f"it again: it starts on {target}. (No switcher function is configured to do "
                "this for you: SmCostApp.switcher_function.)",
                space=self.space_name,
                type=target,
            )
        )

    def job_place(self) -> JobPlace:
        """The space's own image (``SAGEMAKER_INTERNAL_IMAGE_URI``), the execution role of its
        owner's user profile, else the domain's default (shared spaces: the domain's default
        space role); jobs are tagged with the space's ARN."""
        space = self.call(
            self.sm.describe_space, DomainId=self.domain_id, SpaceName=self.space_name
        )
        self._space_arn = space.get("SpaceArn") or self._space_arn
        role = None
        owner = (space.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
        if owner:
            profile = self.call(
                self.sm.describe_user_profile, DomainId=self.domain_id, UserProfileName=owner
            )
            role = (profile.get("UserSettings") or {}).get("ExecutionRole")
        if not role:
            domain = self.call(self.sm.describe_domain, DomainId=self.domain_id)
            defaults = "DefaultUserSettings" if owner else "DefaultSpaceSettings"
            role = (domain.get(defaults) or {}).get("ExecutionRole") or (
                domain.get("DefaultUserSettings") or {}
            ).get("ExecutionRole")
        image = os.environ.get("SAGEMAKER_INTERNAL_IMAGE_URI") or None
        source = "this space's image (SAGEMAKER_INTERNAL_IMAGE_URI)" if image else ""
        arn = self._space_arn or ""
        if image is None:
            image = self._custom_image(account_from_arn(arn))
            source = "this space's custom image (DescribeImageVersion)" if image else ""
        return JobPlace(
            role_arn=role,
            image=image,
            image_source=source,
            account=account_from_arn(arn),
            tags=(("smcost:space-arn", arn),) if arn else (),
        )

    def _custom_image(self, account: Optional[str]) -> Optional[str]:
        """The ECR base image of the app's custom image (one of this account's): a Studio
        image ARN is not a training image. SageMaker's own images give None."""
        spec = self.describe().get("ResourceSpec") or {}
        arn = spec.get("SageMakerImageVersionArn") or spec.get("SageMakerImageArn") or ""
        m = re.match(
            r"^arn:aws[a-z-]*:sagemaker:[^:]*:(\d+):image(?:-version)?/([^/]+)(?:/(\d+))?$", arn
        )
        if not m or m.group(1) != account:
            return None
        kwargs: dict[str, Any] = {"ImageName": m.group(2)}
        if m.group(3):
            kwargs["Version"] = int(m.group(3))
        return self.call(self.sm.describe_image_version, **kwargs).get("BaseImage")
