"""The jobs started from this server: one JSON file in the state folder (atomic replace),
so that they are listed (and their outputs downloaded) across restarts."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

#: the most jobs remembered (the oldest are forgotten first)
MAX_RECORDS = 200


class JobRecords:
    def __init__(self, path: Optional[Path], log: logging.Logger) -> None:
        self.path = path
        self.log = log
        self._lock = threading.Lock()
        self._jobs: dict[str, dict[str, Any]] = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
            return {j["name"]: j for j in data.get("jobs", []) if isinstance(j, dict)}
        except (OSError, ValueError, KeyError, TypeError) as e:
            self.log.warning("smcost: ignoring the unreadable job list %s: %s", self.path, e)
            return {}

    def all(self) -> list[dict[str, Any]]:
        """Newest first (copies)."""
        with self._lock:
            jobs = [dict(j) for j in self._jobs.values()]
        return sorted(jobs, key=lambda j: j.get("started_at", ""), reverse=True)

    def get(self, name: str) -> Optional[dict[str, Any]]:
        with self._lock:
            job = self._jobs.get(name)
            return dict(job) if job else None

    def put(self, job: dict[str, Any]) -> None:
        """Add or replace one job, and save (blocking: file I/O)."""
        with self._lock:
            self._jobs[job["name"]] = dict(job)
            if len(self._jobs) > MAX_RECORDS:
                oldest = sorted(self._jobs.values(), key=lambda j: j.get("started_at", ""))
                for j in oldest[: len(self._jobs) - MAX_RECORDS]:
                    del self._jobs[j["name"]]
            data = {"jobs": list(self._jobs.values())}
        self._save(data)

    def _save(self, data: dict[str, Any]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".jobs-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=1, default=str)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def summary(describe: dict[str, Any]) -> dict[str, Any]:
    """What is kept of DescribeTrainingJob once a job ended (JSON: times as ISO text)."""
    keep = (
        "TrainingJobName",
        "TrainingJobStatus",
        "SecondaryStatus",
        "FailureReason",
        "TrainingStartTime",
        "TrainingEndTime",
        "TrainingTimeInSeconds",
        "BillableTimeInSeconds",
        "EnableManagedSpotTraining",
        "ResourceConfig",
        "CreationTime",
        "StoppingCondition",
    )
    out = {}
    for k in keep:
        v = describe.get(k)
        out[k] = v.isoformat() if isinstance(v, datetime) else v
    if isinstance(out.get("ResourceConfig"), dict):
        rc = out["ResourceConfig"]
        out["ResourceConfig"] = {
            "InstanceCount": rc.get("InstanceCount"),
            "InstanceType": rc.get("InstanceType"),
        }
    if isinstance(out.get("StoppingCondition"), dict):
        sc = out["StoppingCondition"]
        out["StoppingCondition"] = {"MaxRuntimeInSeconds": sc.get("MaxRuntimeInSeconds")}
    return out


def elapsed_s(start: Any, end: Any, now: datetime) -> Optional[int]:
    """Seconds from ``start`` to ``end`` (else ``now``); datetimes or ISO text."""

    def parse(v: Any) -> Optional[datetime]:
        if isinstance(v, datetime):
            return v
        if isinstance(v, str):
            try:
                return datetime.fromisoformat(v)
            except ValueError:
                return None
        return None

    s, e = parse(start), parse(end) or now
    if s is None or s.tzinfo is None or e.tzinfo is None:
        return None
    return max(0, int((e - s).total_seconds()))


def iso(value: Any) -> Optional[str]:
    """A datetime as ISO text; text as it is."""
    return value.isoformat() if isinstance(value, datetime) else value or None
