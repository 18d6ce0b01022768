"""Which environment the SageMaker resource metadata describes. No AWS call and no jupyter
import: the server (to build its adapter) and the CLI (to find the server's state) both use
it."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..aws.sagemaker import region_from_arn

#: where SageMaker puts the resource metadata (SmCostApp.metadata_path's default)
METADATA_PATH = "/opt/ml/metadata/resource-metadata.json"

KINDS = ("auto", "local", "notebook-instance", "studio-classic", "studio-space")
SPACE_APP_TYPES = ("JupyterLab", "CodeEditor")
CLASSIC_APP_TYPES = ("JupyterServer", "KernelGateway")


@dataclass(frozen=True)
class EnvConfig:
    environment: str = "auto"
    metadata_path: str = METADATA_PATH
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


def detect_environment(wanted: str, metadata_path: str, log: logging.Logger) -> Detected:
    """:func:`detect` on the file at ``metadata_path`` (not read when ``wanted`` is
    ``local``); a problem with the file is logged, and gives ``local``."""
    metadata = None if wanted == "local" else read_metadata(metadata_path, log)
    detected = detect(metadata, wanted)
    if detected.problem:
        log.error("smcost: %s (%s): using local mode", detected.problem, metadata_path)
    return detected
