"""Environment detection and the factory that builds the one adapter in use."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Optional

from ..aws.clients import ClientFactory, default_region
from ..aws.errors import AwsError
from .base import Environment, EnvironmentInfo, IdleContext, SwitchProgress
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
    "EnvConfig",
    "Environment",
    "EnvironmentInfo",
    "IdleContext",
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
    client_factory: Optional[ClientFactory] = None,
    shutdown_kernel: Optional[Callable[[str], None]] = None,
    **adapter_kwargs: Any,
) -> Environment:
    """Detect (or take the configured) environment and build its adapter.

    ``detected``: what :func:`detect_environment` found (read from ``config`` when None).
    ``valid_local_types`` are the types local mode accepts (those with known specs).
    ``client_factory``, ``shutdown_kernel`` and ``adapter_kwargs`` (``sleep``,
    ``clock``...) are for the SageMaker adapters (tests inject Stubber-wrapped clients)."""
    if detected is None:
        detected = detect_environment(config.environment, config.metadata_path, log)
    if detected.kind != "local":
        try:
            return _sagemaker_adapter(
                detected, config, log, client_factory, shutdown_kernel, adapter_kwargs
            )
        except Exception as e:  # never fail the server start over the metadata
            log.error(
                "smcost: cannot set up the %s environment (%s): using local mode", detected.kind, e
            )
    return LocalEnvironment(
        region=config.region,
        instance_type=config.instance_type,
        component=config.local_component,
        stop_server=stop_server,
        valid_types=valid_local_types,
    )


def _sagemaker_adapter(
    detected: Detected,
    config: EnvConfig,
    log: logging.Logger,
    client_factory: Optional[ClientFactory],
    shutdown_kernel: Optional[Callable[[str], None]],
    adapter_kwargs: dict[str, Any],
) -> Environment:
    kind = detected.kind
    region = _region(detected, config, log)
    common: dict[str, Any] = {
        "client_factory": client_factory,
        "switcher_function": config.switcher_function,
        "log": log,
        **adapter_kwargs,
    }
    if kind == "notebook-instance":
        return NotebookInstanceEnvironment(region, detected.resource_name or "", **common)
    if kind == "studio-space":
        return StudioSpaceEnvironment(
            region,
            detected.domain_id or "",
            detected.space or "",
            app_type=detected.app_type or "JupyterLab",
            app_name=detected.resource_name or "default",
            **common,
        )
    return StudioClassicEnvironment(
        region,
        detected.domain_id or "",
        user_profile=detected.user_profile,
        space=detected.space,
        app_type=detected.app_type or "JupyterServer",
        app_name=detected.resource_name or "default",
        shutdown_kernel=shutdown_kernel,
        **common,
    )
