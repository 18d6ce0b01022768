"""Environment detection and the factory that builds the one adapter in use."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Optional

from ..aws.clients import AwsClientFactory, default_region, make_client, regional
from ..aws.errors import AwsError
from .base import Environment, EnvironmentInfo, EnvSetup, IdleContext, JobPlace, SwitchProgress
from .detection import (
    CLASSIC_APP_TYPES,
    KINDS,
    METADATA_PATH,
    SPACE_APP_TYPES,
    Detected,
    EnvConfig,
    detect,
    detect_environment,
    read_metadata,
)
from .local import LocalEnvironment
from .notebook_instance import NotebookInstanceEnvironment
from .studio_classic import StudioClassicEnvironment
from .studio_space import StudioSpaceEnvironment

__all__ = [
    "CLASSIC_APP_TYPES",
    "KINDS",
    "METADATA_PATH",
    "SPACE_APP_TYPES",
    "ADAPTERS",
    "EnvConfig",
    "EnvSetup",
    "Environment",
    "EnvironmentInfo",
    "IdleContext",
    "JobPlace",
    "SwitchProgress",
    "LocalEnvironment",
    "NotebookInstanceEnvironment",
    "StudioClassicEnvironment",
    "StudioSpaceEnvironment",
    "Detected",
    "build_environment",
    "detect",
    "detect_environment",
    "read_metadata",
]

#: the adapter of each kind :func:`detect` names
ADAPTERS: dict[str, type[Environment]] = {
    "local": LocalEnvironment,
    "notebook-instance": NotebookInstanceEnvironment,
    "studio-classic": StudioClassicEnvironment,
    "studio-space": StudioSpaceEnvironment,
}


def _region(detected: Detected, config: EnvConfig, log: logging.Logger) -> str:
    if detected.region:
        return detected.region
    try:  # standard resolution: AWS_DEFAULT_REGION / the profile / AWS_REGION
        region = default_region()
    except AwsError as e:
        log.warning("smcost: %s", e.message)
        region = None
    if region:
        return region
    log.warning(
        "smcost: no region in the SageMaker metadata ARN nor the AWS configuration: using %s",
        config.region,
    )
    return config.region


def build_environment(
    config: EnvConfig,
    stop_server: Callable[[], None],
    log: logging.Logger,
    valid_local_types: list[str],
    *,
    detected: Optional[Detected] = None,
    environment_class: Optional[type[Environment]] = None,
    aws_client_factory: AwsClientFactory = make_client,
    shutdown_kernel: Optional[Callable[[str], None]] = None,
    **adapter_kwargs: Any,
) -> Environment:
    """Detect (or take the configured) environment and build its adapter.

    ``detected``: what :func:`detect_environment` found (read from ``config`` when None).
    ``environment_class`` replaces the detected adapter (``SmCostApp.environment_class``); a
    failure to build it propagates, where a detected SageMaker adapter that cannot be built
    falls back to local mode. ``aws_client_factory(service, region)`` makes the SageMaker
    adapters' clients; ``valid_local_types`` are the types local mode accepts (those with
    known specs); ``shutdown_kernel`` and ``adapter_kwargs`` (``sleep``, ``clock``...) are for
    the SageMaker adapters."""
    if detected is None:
        detected = detect_environment(config.environment, config.metadata_path, log)
    local = detected.kind == "local"
    region = config.region if local else _region(detected, config, log)
    setup = EnvSetup(
        config=config,
        detected=detected,
        region=region,
        log=log,
        stop_server=stop_server,
        valid_local_types=tuple(valid_local_types),
        client_factory=regional(aws_client_factory, region),
        shutdown_kernel=shutdown_kernel,
        adapter_kwargs=adapter_kwargs,
    )
    if environment_class is not None:
        return environment_class.from_setup(setup)
    if not local:
        try:
            return ADAPTERS[detected.kind].from_setup(setup)
        except Exception as e:  # never fail the server start over the metadata
            log.error(
                "smcost: cannot set up the %s environment (%s): using local mode", detected.kind, e
            )
    return LocalEnvironment.from_setup(replace(setup, region=config.region))
