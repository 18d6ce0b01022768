"""Local mode: no SageMaker. Priced as a configured instance type, clearly labelled."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import SmCostError
from ..messages import Message
from .base import Environment, EnvironmentInfo, EnvSetup, IdleContext, JobPlace

NO_SWITCH = (
    "Not on SageMaker: there is no instance to switch. Set SmCostApp.instance_type to price "
    "this server as another type."
)


class LocalEnvironment(Environment):
    kind = "local"

    def __init__(
        self,
        region: str,
        instance_type: str,
        component: str,
        stop_server: Callable[[], None],
        valid_types: list[str],
    ) -> None:
        super().__init__(region)
        self.instance_type = instance_type
        self.component = component
        self._stop_server = stop_server
        self._valid_types = valid_types

    @classmethod
    def from_setup(cls, setup: EnvSetup) -> LocalEnvironment:
        c = setup.config
        return cls(
            region=c.region,
            instance_type=c.instance_type,
            component=c.local_component,
            stop_server=setup.stop_server,
            valid_types=list(setup.valid_local_types),
        )

    def info(self) -> EnvironmentInfo:
        return EnvironmentInfo(
            kind=self.kind,
            region=self.region,
            resource=None,
            can_shutdown=True,
            can_switch=False,
            switch_unavailable_reason=NO_SWITCH,
            label=f"not on SageMaker: priced as {self.instance_type}",
            label_message=Message.of(
                "env.local",
                f"not on SageMaker: priced as {self.instance_type}",
                type=self.instance_type,
            ),
            switch_unavailable_message=Message.of("env.local_no_switch", NO_SWITCH),
        )

    def instance_types(self) -> list[str]:
        return [self.instance_type]

    def valid_instance_types(self) -> list[str]:
        return list(self._valid_types)

    def shutdown(self, context: IdleContext) -> str:
        self._stop_server()
        return "stopped the Jupyter server"

    def job_place(self) -> JobPlace:
        raise SmCostError(
            "jobs_unavailable",
            "Not on SageMaker: there is no AWS role or image to run a training job with. "
            "Open this notebook in SageMaker Studio or on a notebook instance, or set "
            "SmCostApp.job_role_arn (with AWS credentials) to run jobs from here.",
            409,
            {"where": "local"},
        )
