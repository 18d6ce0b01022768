"""The training jobs of this Studio space that were not started from this server (issue 17,
"and, where the tags allow, from this space"): the newest jobs of the last days
(``ListTrainingJobs``, one page), those whose tags (``ListTags``) carry this space's ARN, under
the key this extension sets at creation (``smcost:space-arn``) or the one Studio propagates
when the domain enables it (``sagemaker:space-arn``).

Read at a slow, bounded rate: at most one listing per ``interval_s``, a job's tags asked once,
an ended job described once. Blocking: callers run it in a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Optional

from botocore.exceptions import ClientError

from ..aws.errors import ACCESS_CODES, error_code
from ..aws.training import TrainingJobs
from ..pricing import Quote
from .cost import cost_after, cost_before
from .records import elapsed_s, iso, summary

#: the tag this extension puts on the jobs it starts from a space, and the one Studio puts
#: on what is created from a space (when the domain propagates tags)
SPACE_TAG_KEYS = ("smcost:space-arn", "sagemaker:space-arn")
#: how far back, and how many of the newest jobs, a listing looks at
SPACE_JOBS_DAYS = 14
SPACE_JOBS_LIMIT = 50
FINAL = ("Completed", "Failed", "Stopped")
LOG_GROUP = "/aws/sagemaker/TrainingJobs"


def space_tags(tags: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The tags that mark a job as this space's (empty: not a Studio space)."""
    arn = next((v for k, v in tags if k == SPACE_TAG_KEYS[0] and v), None)
    return {k: arn for k in SPACE_TAG_KEYS} if arn else {}


class SpaceJobs:
    """The space's other jobs, as DescribeTrainingJob summaries (:func:`records.summary`)."""

    def __init__(
        self,
        training: TrainingJobs,
        clock: Callable[[], datetime],
        interval_s: float = 300.0,
    ) -> None:
        self.training = training
        self.clock = clock
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._tags: dict[str, dict[str, str]] = {}  # job ARN -> its tags
        self._ended: dict[str, dict[str, Any]] = {}  # job name -> summary, once ended
        self._found: list[dict[str, Any]] = []
        self._read_at: Optional[datetime] = None
        #: ``{"listed", "missing_permission"}`` of the last listing
        self.state: dict[str, Any] = {"listed": False, "missing_permission": None}
        self.listings = 0

    def read(self, wanted: dict[str, str], known: set[str]) -> list[dict[str, Any]]:
        """The jobs tagged with one of ``wanted`` (key -> value), ``known`` (the records')
        names left out. A listing the role may not do gives none, with the permission
        named in :attr:`state`."""
        with self._lock:
            now = self.clock()
            fresh = (
                self._read_at is not None
                and (now - self._read_at).total_seconds() < self.interval_s
            )
            if not fresh:
                self._read_at = now
                self.listings += 1
                try:
                    self._found = self._list(wanted, now)
                    self.state = {"listed": True, "missing_permission": None}
                except ClientError as e:
                    if error_code(e) not in ACCESS_CODES:
                        self._read_at = None  # asked again next time
                        raise
                    op = getattr(e, "operation_name", "") or "ListTrainingJobs"
                    self._found = []
                    self.state = {"listed": False, "missing_permission": f"sagemaker:{op}"}
            return [d for d in self._found if d.get("TrainingJobName") not in known]

    def _list(self, wanted: dict[str, str], now: datetime) -> list[dict[str, Any]]:
        jobs = self.training.recent(now - timedelta(days=SPACE_JOBS_DAYS), SPACE_JOBS_LIMIT)
        arns = {j["TrainingJobArn"] for j in jobs}
        self._tags = {a: t for a, t in self._tags.items() if a in arns}  # bounded
        found = []
        for j in jobs:
            arn, name = j["TrainingJobArn"], j["TrainingJobName"]
            if arn not in self._tags:
                self._tags[arn] = self.training.tags(arn)
            if not any(self._tags[arn].get(k) == v for k, v in wanted.items()):
                continue
            d = self._ended.get(name)
            if d is None:
                raw = self.training.describe(name)
                if raw is None:
                    continue
                d = summary(raw)
                if d.get("TrainingJobStatus") in FINAL:
                    self._ended[name] = d
            found.append(d)
        names = {d["TrainingJobName"] for d in found}
        self._ended = {n: d for n, d in self._ended.items() if n in names}
        return found


def space_job_json(
    d: dict[str, Any], price_of: Callable[[str], Quote], now: datetime
) -> dict[str, Any]:
    """A job of this space started elsewhere: what DescribeTrainingJob says of it, its
    cost at the Training price; no path, no Stop, no outputs downloaded."""
    rc = d.get("ResourceConfig") or {}
    itype = rc.get("InstanceType") or ""
    count = int(rc.get("InstanceCount") or 1)
    spot = bool(d.get("EnableManagedSpotTraining"))
    price = price_of(itype)
    state = d.get("TrainingJobStatus") or "Unknown"
    started = d.get("TrainingStartTime") or d.get("CreationTime")
    max_runtime = (d.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or 0
    return {
        "name": d["TrainingJobName"],
        "path": None,
        "kind": None,
        "started_here": False,
        "instance_type": itype,
        "instance_count": count,
        "spot": spot,
        "state": state,
        "secondary_status": d.get("SecondaryStatus"),
        "failure_reason": d.get("FailureReason"),
        "started_at": iso(started),
        "elapsed_s": elapsed_s(started, d.get("TrainingEndTime"), now),
        "ended_at": iso(d.get("TrainingEndTime")) if state in FINAL else None,
        "cost_before": cost_before(price, count, int(max_runtime), spot),
        "cost_after": cost_after(d, price),
        "logs": {"group": LOG_GROUP, "stream_prefix": f"{d['TrainingJobName']}/"},
        "outputs": None,
    }
