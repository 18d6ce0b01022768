"""The jobs service behind ``smcost/jobs``: checks a request (before anything is uploaded),
resolves where the job runs (the environment adapter, then the administrator's traits, then
the region's defaults), uploads, starts, lists, stops, and downloads the outputs next to the
notebook. Blocking work (AWS, files) runs through ``run_blocking``: never on the event loop."""

from __future__ import annotations

import logging
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Optional

from ..activity import utcnow
from ..aws.elsewhere import Running
from ..aws.errors import RunBlocking
from ..aws.partitions import currency_of
from ..aws.sagemaker import training_instance_types
from ..aws.training import TrainingJobs, split_s3_uri
from ..background.work import Work
from ..environments import Environment, JobPlace
from ..errors import SmCostError, bad_input
from ..messages import Message, plain
from ..pricing import USD, PriceBook, Quote
from ..requests import JobRequest
from .cost import TRAINING, cost_after, cost_before, job_series, job_spend
from .files import Shipment, collect
from .images import distribution_image
from .offload import offload_item, smallest_priced
from .plan import JobPlan, job_document, job_kernel, job_name, training_job_request
from .records import JobRecords, elapsed_s, iso, summary
from .space import SpaceJobs, space_job_json, space_tags

ENTRY_FILE = Path(__file__).with_name("entry.py")
FINAL = ("Completed", "Failed", "Stopped")
DEFAULT_PREFIX = "smcost-jobs"
LOG_GROUP = "/aws/sagemaker/TrainingJobs"
OUTPUT_ARCHIVES = ("output.tar.gz", "model.tar.gz")


@dataclass(frozen=True)
class JobConfig:
    """The administrator's job policy (``SmCostApp.job_*``)."""

    instance_types: tuple[str, ...] = ()  # empty: every type training jobs accept
    image: str = ""
    role_arn: str = ""
    s3_uri: str = ""
    #: seconds of sustained work before the ``offload`` rule proposes a job (0: off)
    offload_after: int = 1800


class JobService:
    def __init__(
        self,
        env: Environment,
        prices: PriceBook,
        training: TrainingJobs,
        records: JobRecords,
        root: Path,
        config: JobConfig,
        run_blocking: RunBlocking,
        log: logging.Logger,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.env = env
        self.prices = prices
        self.training = training
        self.records = records
        self.root = root.resolve()
        self.config = config
        self.run_blocking = run_blocking
        self.log = log
        self.clock = clock
        self._place: Optional[JobPlace] = None
        #: this Studio space's jobs not started from here (read at a bounded rate)
        self.space = SpaceJobs(training, lambda: self.clock())

    # -- what may run
    def instance_types(self) -> list[str]:
        """Types training jobs accept (botocore's model), within the administrator's list."""
        valid = training_instance_types()
        if self.config.instance_types:
            return [t for t in valid if t in self.config.instance_types]
        return list(valid)

    def check_type(self, instance_type: str) -> None:
        if instance_type not in training_instance_types():
            raise bad_input(
                f"{instance_type} is not an instance type SageMaker training jobs accept",
                "invalid_instance_type",
            )
        if self.config.instance_types and instance_type not in self.config.instance_types:
            raise bad_input(
                f"{instance_type} is not among the types the administrator allows for jobs "
                f"(SmCostApp.job_instance_types): {', '.join(self.config.instance_types)}",
                "instance_type_not_allowed",
                type=instance_type,
                allowed=", ".join(self.config.instance_types),
            )

    def price(self, instance_type: str) -> Quote:
        return self.prices.price(self.env.region, TRAINING, instance_type)

    def unavailable_reason(self) -> Optional[str]:
        """Why jobs cannot start here (no AWS call): local mode without a role trait."""
        if self.env.kind == "local" and not self.config.role_arn:
            try:
                self.env.job_place()
            except SmCostError as e:
                return e.message
        return None

    def unavailable_message(self) -> Optional[dict[str, Any]]:
        """:meth:`unavailable_reason` with its code (messages.py), for the panel."""
        reason = self.unavailable_reason()
        if reason is None:
            return None
        return (
            Message.of("jobs.local", reason) if self.env.kind == "local" else plain(reason)
        ).to_json()

    def offload(
        self,
        busy: Sequence[Work],
        instance_type: str,
        price: Quote,
        now: float,
        allowed: list[str],
        kernels: Sequence[tuple[str, float]] = (),
    ) -> Optional[dict[str, Any]]:
        """The ``offload`` recommendation for the work busy now, background work or kernels
        (None: nothing to propose)."""
        rows = self.prices.table(self.env.region, self.env.component, allowed or None)
        training = self.price(instance_type) if instance_type in training_instance_types() else None
        return offload_item(
            busy,
            now,
            instance_type,
            price,
            training,
            smallest_priced(rows),
            after_s=self.config.offload_after,
            kernels=kernels,
        )

    def spend_series(self, currency: str, days: list[str], month: str) -> dict[str, Any]:
        """The spend history's jobs series (GET smcost/history): the jobs started from here,
        as their records last saw them (no AWS call)."""
        return job_series(self.records.all(), self.price, currency, days, month)

    # -- routes
    def estimate(self, request: JobRequest) -> dict[str, Any]:
        self.check_type(request.instance_type)
        return cost_before(
            self.price(request.instance_type),
            request.instance_count,
            request.max_runtime_s,
            request.spot,
        )

    def types(self) -> dict[str, Any]:
        return {
            "types": [
                {"instance_type": t, "price": self.price(t).to_json()}
                for t in self.instance_types()
            ],
        }

    async def submit(self, request: JobRequest) -> dict[str, Any]:
        """Check everything, then upload and start: 202 with the job."""
        self.check_type(request.instance_type)
        shipment = await self.run_blocking(
            collect, self.root, request, action=Message.of("action.read_files", "read the files")
        )
        reason = self.unavailable_reason()
        if reason:
            raise SmCostError("jobs_unavailable", reason, 409, {"where": self.env.kind})
        plan = await self.run_blocking(
            self._plan,
            request,
            shipment,
            action=Message.of("action.plan_job", "find where the job runs"),
        )
        await self.run_blocking(
            self._start,
            plan,
            shipment,
            action=Message.of("action.start_job", "start the training job"),
        )
        record = {
            "name": plan.name,
            "path": plan.source,
            "kind": plan.kind,
            "instance_type": request.instance_type,
            "instance_count": request.instance_count,
            "spot": request.spot,
            "max_runtime_s": request.max_runtime_s,
            "started_at": self.clock().isoformat(),
            "bucket": plan.bucket,
            "prefix": plan.prefix,
            "image": plan.image,
            "kernel": plan.kernel,
            "state": "InProgress",
            "secondary_status": "Starting",
        }
        await self.run_blocking(self.records.put, record)
        return self._job_json(record, None)

    async def list(self) -> dict[str, Any]:
        """The jobs started from here (described until they end), then, in a Studio space,
        the space's other jobs its tags name (``space_jobs`` says whether it could list
        them); ``spend`` counts the jobs started from here."""
        reason = self.unavailable_reason()
        jobs = []
        for record in self.records.all():
            jobs.append(
                await self.run_blocking(
                    self._refresh,
                    record,
                    action=Message.of("action.describe_job", "describe the job"),
                )
            )
        currency = currency_of(self.env.region) or USD
        spend = job_spend(jobs, currency, self.clock().date().isoformat())
        out: dict[str, Any] = {"available": reason is None, "unavailable_reason": reason}
        message = self.unavailable_message()
        if message is not None:
            out["unavailable_message"] = message
        space_state = None
        if self.env.kind == "studio-space":
            others, space_state = await self._space_jobs({j["name"] for j in jobs})
            jobs += others
        return {**out, "jobs": jobs, "spend": spend, "space_jobs": space_state}

    async def _space_jobs(self, known: set[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """This space's jobs not started from here, and how the listing went (an AWS
        refusal is said there, never failing the jobs started from here)."""
        try:
            place = await self.run_blocking(
                self._place_known, action=Message.of("action.find_space", "find this space")
            )
            wanted = space_tags(place.tags)
            if not wanted:
                return [], {"listed": False, "missing_permission": None, "message": None}
            found = await self.run_blocking(
                self.space.read,
                wanted,
                known,
                action=Message.of("action.list_space_jobs", "list this space's training jobs"),
            )
        except SmCostError as e:
            self.log.warning("smcost: this space's jobs: %s", e.message)
            return [], {"listed": False, "missing_permission": None, "message": e.message}
        now = self.clock()
        others = [space_job_json(d, self.price, now) for d in found]
        return others, {**self.space.state, "message": None}

    async def stop(self, name: str) -> dict[str, Any]:
        record = self.records.get(name)
        if record is None:
            raise SmCostError(
                "job_not_found",
                f"no job {name[:80]!r} was started from here",
                404,
                {"name": name[:80]},
            )
        if record.get("state") in FINAL:
            raise SmCostError("job_ended", f"job {name} has already ended", 409, {"name": name})
        await self.run_blocking(
            self.training.stop,
            name,
            action=Message.of("action.stop_job", f"stop job {name}", name=name),
        )
        return await self.run_blocking(
            self._refresh, record, action=Message.of("action.describe_job", "describe the job")
        )

    # -- "Still running elsewhere" (issue 18): the jobs started from here, even untagged
    def has_running(self) -> bool:
        return any(r.get("state") not in (*FINAL, "Unknown") for r in self.records.all())

    def running(self) -> list[Running]:
        """The jobs started from here that run now (blocking: each one not known to have
        ended is described, its record updated)."""
        out = []
        for record in self.records.all():
            if record.get("state") in (*FINAL, "Unknown"):
                continue
            job = self._refresh(record)
            if job["state"] not in ("InProgress", "Stopping"):
                continue
            started = job["started_at"]
            out.append(
                Running(
                    "training_job",
                    job["name"],
                    job["instance_type"],
                    job["instance_count"],
                    TRAINING,
                    datetime.fromisoformat(started) if started else None,
                    note="started from this server",
                )
            )
        return out

    # -- blocking parts
    def _place_known(self) -> JobPlace:
        if self._place is None:
            try:
                self._place = self.env.job_place()
            except SmCostError as e:
                if e.code != "jobs_unavailable" or not self.config.role_arn:
                    raise
                self._place = JobPlace()
        return self._place

    def _plan(self, request: JobRequest, shipment: Shipment) -> JobPlan:
        place = self._place_known()
        role = self.config.role_arn or place.role_arn
        if not role:
            raise SmCostError(
                "jobs_unavailable",
                "no execution role is known for jobs here: set SmCostApp.job_role_arn",
                409,
                {"missing": "role"},
            )
        specs = self.prices.specs(request.instance_type)
        gpu = bool(specs and specs.accelerators) or self.prices.kind(request.instance_type) == "GPU"
        image = self.config.image or place.image or distribution_image(self.env.region, gpu)
        if not image:
            raise SmCostError(
                "jobs_unavailable",
                f"no SageMaker Distribution image is published for {self.env.region}: set "
                "SmCostApp.job_image to an ECR image URI",
                409,
                {"missing": "image", "region": self.env.region},
            )
        name = job_name(shipment.source, self.clock())
        if self.config.s3_uri:
            bucket, base = split_s3_uri(self.config.s3_uri)
        else:
            account = place.account or self.training.account()
            bucket, base = f"sagemaker-{self.env.region}-{account}", DEFAULT_PREFIX
            if self.training.ensure_bucket(bucket):
                self.log.info("smcost: created the SageMaker default bucket %s", bucket)
        kernel, note = job_kernel(shipment.kernel) if shipment.kind == "notebook" else (None, "")
        if note:
            self.log.info("smcost: job %s: %s", name, note)
        info = self.env.info()
        tags = (*place.tags, ("smcost:started-by", info.resource or info.kind))
        return JobPlan(
            name=name,
            request=request,
            kind=shipment.kind,
            source=shipment.source,
            image=image,
            role_arn=role,
            bucket=bucket,
            prefix="/".join(p for p in (base, name) if p),
            tags=tags,
            kernel=kernel,
        )

    def _start(self, plan: JobPlan, shipment: Shipment) -> None:
        import json

        for path, rel in shipment.files:
            self.training.upload(path, plan.bucket, plan.key("input", "code", rel))
        self.training.upload(ENTRY_FILE, plan.bucket, plan.key("input", "smcost", "entry.py"))
        with tempfile.TemporaryDirectory() as tmp:
            doc = Path(tmp) / "job.json"
            doc.write_text(json.dumps(job_document(plan)))
            self.training.upload(doc, plan.bucket, plan.key("input", "smcost", "job.json"))
        self.training.create(training_job_request(plan))
        self.log.info(
            "smcost: started training job %s (%s x%d, %s)",
            plan.name,
            plan.request.instance_type,
            plan.request.instance_count,
            "Spot" if plan.request.spot else "on demand",
        )

    def _refresh(self, record: dict[str, Any]) -> dict[str, Any]:
        """Describe a job not known to have ended; download its outputs once it has."""
        describe = record.get("final")
        if describe is None:
            describe = self.training.describe(record["name"])
            if describe is None:
                record = {**record, "state": "Unknown", "secondary_status": None}
                self.records.put(record)
                return self._job_json(record, None)
            record = {
                **record,
                "state": describe.get("TrainingJobStatus"),
                "secondary_status": describe.get("SecondaryStatus"),
            }
            if record["state"] in FINAL:
                record["final"] = summary(describe)
            self.records.put(record)
            describe = summary(describe)
        if record.get("state") in FINAL and "outputs" not in record:
            record["outputs"] = self._download(record)
            self.records.put(record)
        return self._job_json(record, describe)

    def _download(self, record: dict[str, Any]) -> dict[str, Any]:
        """The job's archives unpacked into ``<notebook>-<job>/`` next to the notebook (a new
        folder, never overwriting a file)."""
        name, source = record["name"], PurePosixPath(record["path"])
        prefix = f"{record['prefix']}/output/{name}/output/"
        keys = [k for k in self.training.objects(record["bucket"], prefix)]
        archives = [k for k in keys if k.rsplit("/", 1)[-1] in OUTPUT_ARCHIVES]
        folder_rel = source.parent / f"{source.stem}-{name}"
        if not archives:
            return {"dir": None, "files": [], "note": "the job wrote no outputs"}
        target = _fresh(self.root / folder_rel)
        files: list[str] = []
        with tempfile.TemporaryDirectory() as tmp:
            for key in archives:
                local = Path(tmp) / key.rsplit("/", 1)[-1]
                self.training.download(record["bucket"], key, local)
                files += _unpack(local, target)
        rel = target.relative_to(self.root).as_posix()
        return {"dir": rel, "files": sorted(f"{rel}/{f}" for f in files), "note": None}

    def _job_json(self, record: dict[str, Any], describe: Optional[dict[str, Any]]) -> dict:
        price = self.price(record["instance_type"])
        started = (describe or {}).get("TrainingStartTime") or record.get("started_at")
        ended = (describe or {}).get("TrainingEndTime")
        return {
            "name": record["name"],
            "path": record["path"],
            "kind": record["kind"],
            "started_here": True,
            "instance_type": record["instance_type"],
            "instance_count": record["instance_count"],
            "spot": record["spot"],
            "state": record.get("state") or "InProgress",
            "secondary_status": record.get("secondary_status"),
            "failure_reason": (describe or {}).get("FailureReason"),
            "started_at": record.get("started_at"),
            "elapsed_s": elapsed_s(started, ended, self.clock()),
            "ended_at": iso(ended) if record.get("state") in FINAL else None,
            "cost_before": cost_before(
                price, record["instance_count"], record["max_runtime_s"], record["spot"]
            ),
            # all null until SageMaker reports billable time
            "cost_after": cost_after(describe or {}, price),
            "logs": {"group": LOG_GROUP, "stream_prefix": f"{record['name']}/"},
            "outputs": record.get("outputs"),
        }


def _fresh(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``...: the first that does not exist."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    candidate.mkdir(parents=True)
    return candidate


def _unpack(archive: Path, target: Path) -> list[str]:
    """Extract ``archive``'s files into ``target`` (tarfile's ``data`` filter: nothing
    outside it, no absolute paths, no links), renaming a file that exists rather than
    overwriting it."""
    written = []
    root = target.resolve()
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            try:
                safe = tarfile.data_filter(member, str(root))
            except tarfile.FilterError:
                continue  # a name outside the folder: never written
            dest = (root / safe.name).resolve()
            if root not in dest.parents:
                continue
            stem, n = dest, 1
            while dest.exists():
                n += 1
                dest = stem.with_name(f"{stem.stem}-{n}{stem.suffix}")
            extracted = tar.extractfile(member)
            if extracted is None:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with extracted, dest.open("xb") as out:
                shutil.copyfileobj(extracted, out)
            written.append(dest.relative_to(root).as_posix())
    return written
