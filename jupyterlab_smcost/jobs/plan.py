"""The CreateTrainingJob request of a job, built from what was asked and where it runs
(pure: no AWS, no clock of its own)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Optional

from ..requests import MAX_JOB_RUNTIME_S, JobRequest

#: where the job's container finds things (SageMaker's conventions)
CHECKPOINT_DIR = "/opt/ml/checkpoints"
ENTRY = "/opt/ml/input/data/smcost/entry.py"
CODE_CHANNEL, SMCOST_CHANNEL = "code", "smcost"
#: SageMaker's kernelspec names in Studio images that the job's image spells ``python3``
INTERNAL_KERNEL_RE = re.compile(r"__SAGEMAKER_INTERNAL__|^conda-env-|^python3?$")
NAME_MAX = 63


@dataclass(frozen=True)
class JobPlan:
    """Everything the request says, resolved."""

    name: str
    request: JobRequest
    kind: str  # notebook | script
    source: str  # relative to the root
    image: str
    role_arn: str
    bucket: str
    prefix: str  # the job's own prefix: <job_s3_uri prefix>/<job name>
    tags: tuple[tuple[str, str], ...]
    kernel: Optional[str] = None

    def uri(self, *parts: str) -> str:
        return "s3://" + "/".join([self.bucket, self.prefix, *parts])

    def key(self, *parts: str) -> str:
        return "/".join([self.prefix, *parts])


def job_name(source: str, now: datetime) -> str:
    """``smcost-train-20261203-104501``: the file's stem (letters, digits, dashes), the time."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", PurePosixPath(source).stem).strip("-") or "job"
    stamp = now.strftime("%Y%m%d-%H%M%S")
    head = f"smcost-{stem}"[: NAME_MAX - len(stamp) - 1].rstrip("-")
    return f"{head}-{stamp}"


def job_kernel(kernelspec: Optional[str]) -> tuple[Optional[str], str]:
    """(the kernel the job asks papermill for, what was done, for the log)."""
    if kernelspec and INTERNAL_KERNEL_RE.search(kernelspec):
        if kernelspec == "python3":
            return "python3", ""
        return "python3", f"kernel {kernelspec} (SageMaker's name in Studio) runs as python3"
    return kernelspec, ""


def job_document(plan: JobPlan) -> dict[str, Any]:
    """``job.json``: what the entry script runs."""
    return {
        "name": plan.name,
        "kind": plan.kind,
        "path": plan.source,
        "kernel": plan.kernel,
        "parameters": dict(plan.request.parameters),
        "requirements": plan.request.requirements,
    }


def training_job_request(plan: JobPlan) -> dict[str, Any]:
    """The keyword arguments of CreateTrainingJob. Spot: EnableManagedSpotTraining, a
    MaxWaitTimeInSeconds at least the run time, and a CheckpointConfig; on demand: none."""
    req = plan.request
    channel = {
        "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}
        },
        "InputMode": "File",
    }
    request: dict[str, Any] = {
        "TrainingJobName": plan.name,
        "AlgorithmSpecification": {
            "TrainingImage": plan.image,
            "TrainingInputMode": "File",
            "ContainerEntrypoint": ["python3", ENTRY],
        },
        "RoleArn": plan.role_arn,
        "InputDataConfig": [
            {
                **channel,
                "ChannelName": name,
                "DataSource": {
                    "S3DataSource": {
                        **channel["DataSource"]["S3DataSource"],
                        "S3Uri": plan.uri("input", name) + "/",
                    }
                },
            }
            for name in (SMCOST_CHANNEL, CODE_CHANNEL)
        ],
        "OutputDataConfig": {"S3OutputPath": plan.uri("output")},
        "ResourceConfig": {
            "InstanceType": req.instance_type,
            "InstanceCount": req.instance_count,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": req.max_runtime_s},
        "Environment": {"SM_CHECKPOINT_DIR": CHECKPOINT_DIR},
        "Tags": [{"Key": k, "Value": v} for k, v in plan.tags],
    }
    if req.spot:
        request["EnableManagedSpotTraining"] = True
        request["StoppingCondition"]["MaxWaitTimeInSeconds"] = max(
            req.max_wait_s or min(2 * req.max_runtime_s, MAX_JOB_RUNTIME_S), req.max_runtime_s
        )
        request["CheckpointConfig"] = {
            "S3Uri": plan.uri("checkpoints"),
            "LocalPath": CHECKPOINT_DIR,
        }
    return request
