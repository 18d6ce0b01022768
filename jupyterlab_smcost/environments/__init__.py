"""Environment detection and the factory that builds the one adapter in use."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from .base import Environment, EnvironmentInfo, IdleContext, SwitchProgress
from .local import LocalEnvironment

__all__ = [
    "EnvConfig",
    "Environment",
    "EnvironmentInfo",
    "IdleContext",
    "SwitchProgress",
    "LocalEnvironment",
    "build_environment",
    "read_metadata",
]

KINDS = ("auto", "local", "notebook-instance", "studio-classic", "studio-space")


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


def build_environment(
    config: EnvConfig,
    stop_server: Callable[[], None],
    log: logging.Logger,
    valid_local_types: list[str],
) -> Environment:
    """Detect (or take the configured) environment and build its adapter."""
    kind = config.environment
    if kind == "auto":
        kind = "local"
    if kind != "local":
        log.warning("smcost: environment %r is not available in this build: using local", kind)
    return LocalEnvironment(
        region=config.region,
        instance_type=config.instance_type,
        component=config.local_component,
        stop_server=stop_server,
        valid_types=valid_local_types,
    )
