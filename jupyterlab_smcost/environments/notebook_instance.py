"""SageMaker notebook instance: this server runs on the instance it would stop or resize."""

from __future__ import annotations

import shlex
from typing import Any, Optional

from ..aws.sagemaker import account_from_arn, notebook_instance_types
from ..errors import SmCostError
from ..messages import Message
from .aws_base import SageMakerEnvironment
from .base import EnvironmentInfo, EnvSetup, IdleContext, JobPlace, SwitchProgress


class NotebookInstanceEnvironment(SageMakerEnvironment):
    kind = "notebook-instance"
    component = "Notebook"

    def __init__(self, region: str, name: str, **kwargs: Any) -> None:
        super().__init__(region, **kwargs)
        self.name = name

    @classmethod
    def from_setup(cls, setup: EnvSetup) -> NotebookInstanceEnvironment:
        return cls(setup.region, setup.detected.resource_name or "", **cls.setup_kwargs(setup))

    def info(self) -> EnvironmentInfo:
        return EnvironmentInfo(
            kind=self.kind,
            region=self.region,
            resource=self.name,
            can_shutdown=True,
            can_switch=True,
            label=f"notebook instance {self.name}",
            label_message=Message.of(
                "env.notebook_instance", f"notebook instance {self.name}", name=self.name
            ),
        )

    def cost_allocation_tag(self) -> tuple[str, str]:
        raise SmCostError(
            "billed_unavailable",
            "notebook instances carry no AWS-generated cost allocation tag, and Cost "
            "Explorer's per-resource data (GetCostAndUsageWithResources) covers only 14 days "
            "and must be enabled for the whole account: billed spend is shown for Studio only",
            409,
            {"where": "notebook_instance"},
        )

    def describe(self) -> dict[str, Any]:
        return self.call(self.sm.describe_notebook_instance, NotebookInstanceName=self.name)

    def instance_types(self) -> list[str]:
        return [self.describe()["InstanceType"]]

    def valid_instance_types(self) -> list[str]:
        return list(notebook_instance_types())

    def shutdown(self, context: IdleContext) -> str:
        self.call(self.sm.stop_notebook_instance, NotebookInstanceName=self.name)
        return f"stopped notebook instance {self.name}"

    def switch_event(self, target: str, current: str) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "region": self.region,
            "notebook_instance_name": self.name,
            "instance_type": target,
            "from_instance_type": current,
        }

    def manual_step(self, target: str) -> Message:
        n = shlex.quote(self.name)
        cmd = (
            f"aws sagemaker stop-notebook-instance --notebook-instance-name {n} && "
            f"aws sagemaker wait notebook-instance-stopped --notebook-instance-name {n} && "
            f"aws sagemaker update-notebook-instance --notebook-instance-name {n} "
            f"--instance-type {target} && "
            f"aws sagemaker wait notebook-instance-stopped --notebook-instance-name {n} && "
            f"aws sagemaker start-notebook-instance --notebook-instance-name {n}"
        )
        return Message.of(
            "manual.notebook_instance",
            f"This instance cannot resize itself while it runs and no switcher function is "
            f"configured (SmCostApp.switcher_function). Save your work, then in the SageMaker "
            f"console stop notebook instance {self.name}, edit its instance type to {target} "
            f"and start it; or run from AWS CloudShell (region {self.region}): {cmd}",
            command=cmd,
            name=self.name,
            region=self.region,
            type=target,
        )

    def start_switch(
        self, target: str, progress: SwitchProgress, context: Optional[IdleContext] = None
    ) -> None:
        d = self.describe()
        current, status = d["InstanceType"], d["NotebookInstanceStatus"]
        progress.step(
            "describe",
            "done",
            Message.of(
                "step.instance_status",
                f"{self.name} is {status} on {current}",
                name=self.name,
                status=status,
                type=current,
            ),
        )
        if self.switcher_function:
            # the switcher stops this instance (and this server with it), updates, starts
            self.invoke_switcher(self.switch_event(target, current), progress)
            progress.step(
                "stop_update_start",
                "waiting",
                Message.of(
                    "step.switcher_restarts_instance",
                    f"the switcher stops {self.name}, changes it to {target} and starts it "
                    "again (several minutes): this page loses its connection meanwhile",
                    name=self.name,
                    type=target,
                ),
            )
            return
        progress.step(
            "stop_update_start",
            "manual",
            Message.of("step.see_manual", "needs the step described in manual_step"),
        )
        progress.manual(self.manual_step(target))

    def job_place(self) -> JobPlace:
        """The notebook instance's own role; jobs are tagged with the instance's ARN."""
        d = self.describe()
        arn = d.get("NotebookInstanceArn") or ""
        return JobPlace(
            role_arn=d.get("RoleArn"),
            account=account_from_arn(arn),
            tags=(("smcost:notebook-instance-arn", arn),) if arn else (),
        )
