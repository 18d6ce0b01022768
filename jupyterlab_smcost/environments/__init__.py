"""Environment detection and the factory that builds the one adapter in use."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..aws.clients import ClientFactory, default_region
from ..aws.errors import AwsError
from ..aws.sagemaker import region_from_arn
from .base import Environment, EnvironmentInfo, IdleContext, SwitchProgress
from .local import LocalEnvironment
from .notebook_instance import NotebookInstanceEnvironment
from .studio_classic import StudioClassicEnvironment
from .studio_space import StudioSpaceEnvironment

__all__ = [
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
    "read_metadata",
]

KINDS = ("auto", "local", "notebook-instance", "studio-classic", "studio-space")
SPACE_APP_TYPES = ("JupyterLab", "CodeEditor")
CLASSIC_APP_TYPES = ("JupyterServer", "KernelGateway")


@dataclass(frozen=True)
class EnvConfig:
    environment: str = "auto"
    metadata_path: str = "/opt/ml/metadata/resource-metadata.json"
    instance_type: str = "ml.t3.medium"
    region: str = "us-east-1"
    local_component: str = "Studio-JupyterLab"
    switcher_function: str = ""


def read_metadata(path: str, log: logging.Logger) -> Optional[dict[str, Any]]:
    """The SageMaker resource metadata, or None when absent or unreadable (logged)."""
    p = Path(path)
    if not p.exists():
        return None
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        log.warning("smcost: cannot read SageMaker metadata %s (%s): using local mode", path, e)
        return None
    if not isinstance(data, dict):
        log.warning("smcost: SageMaker metadata %s is not a JSON object: using local mode", path)
        return None
    return data


@dataclass(frozen=True)
class Detected:
    """What the metadata says: the environment kind and the fields its adapter needs."""

    kind: str
    region: Optional[str] = None
    resource_name: Optional[str] = None
    domain_id: Optional[str] = None
    user_profile: Optional[str] = None
    space: Optional[str] = None
    app_type: Optional[str] = None
    problem: Optional[str] = None  # why it fell back to local


def _str(md: dict[str, Any], key: str) -> Optional[str]:
    v = md.get(key)
    return v.strip() if isinstance(v, str) and v.strip() else None


def detect(metadata: Optional[dict[str, Any]], wanted: str = "auto") -> Detected:
    """Which SageMaker environment ``metadata`` (resource-metadata.json) describes.

    - notebook instance: ResourceArn + ResourceName, no DomainId;
    - Studio Classic: DomainId, UserProfileName or SpaceName, AppType KernelGateway/JupyterServer;
    - Studio (new) space: DomainId, SpaceName, AppType JupyterLab/CodeEditor (app ``default``).

    ``wanted`` (SmCostApp.environment) overrides the kind; the fields still come from the file.
    A partial or unknown file gives ``local`` with ``problem`` saying why.
    """
    if wanted == "local":
        return Detected("local")
    if metadata is None:
        if wanted == "auto":
            return Detected("local")
        return Detected(
            "local",
            problem=f"environment {wanted!r} needs the SageMaker metadata "
            "file, which is missing or unreadable",
        )
    arn = _str(metadata, "ResourceArn")
    name = _str(metadata, "ResourceName")
    domain = _str(metadata, "DomainId")
    app_type = _str(metadata, "AppType")
    user = _str(metadata, "UserProfileName")
    space = _str(metadata, "SpaceName")
    region = region_from_arn(arn)
    kind = wanted
    if kind == "auto":
        if domain is None:
            kind = "notebook-instance"
        elif app_type in SPACE_APP_TYPES:
            kind = "studio-space"
        elif app_type in CLASSIC_APP_TYPES:
            kind = "studio-classic"
        else:
            return Detected(
                "local",
                problem=f"DomainId {domain} with AppType {app_type!r}: not a "
                "Studio app this extension knows (JupyterServer, KernelGateway, "
                "JupyterLab, CodeEditor)",
            )
    missing: list[str] = []
    if kind == "notebook-instance":
        if not name:
            missing.append("ResourceName")
        if not arn:
            missing.append("ResourceArn")
    elif kind == "studio-classic":
        if not domain:
            missing.append("DomainId")
        if not (user or space):
            missing.append("UserProfileName or SpaceName")
    elif kind == "studio-space":
        if not domain:
            missing.append("DomainId")
        if not space:
            missing.append("SpaceName")
        if app_type is not None and app_type not in SPACE_APP_TYPES:
            return Detected(
                "local", problem=f"AppType {app_type!r} is not a space app (JupyterLab, CodeEditor)"
            )
    if missing:
        return Detected("local", problem=f"{kind} metadata lacks " + ", ".join(missing))
    return Detected(kind, region, name, domain, user, space, app_type)


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
    client_factory: Optional[ClientFactory] = None,
    shutdown_kernel: Optional[Callable[[str], None]] = None,
    **adapter_kwargs: Any,
) -> Environment:
    """Detect (or take the configured) environment and build its adapter.

    ``valid_local_types`` are the types local mode accepts (those with known specs).
    ``client_factory``, ``shutdown_kernel`` and ``adapter_kwargs`` (``sleep``,
    ``clock``...) are for the SageMaker adapters (tests inject Stubber-wrapped clients)."""
    metadata = None
    if config.environment != "local":
        metadata = read_metadata(config.metadata_path, log)
    detected = detect(metadata, config.environment)
    if detected.problem:
        log.error("smcost: %s (%s): using local mode", detected.problem, config.metadata_path)
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
