"""The jobs' pure parts: the offload rule (injected clock), cost before and after (unknown
prices stay unknown), job names, the kernel mapping and the CreateTrainingJob request."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from jupyterlab_smcost.background.work import Work
from jupyterlab_smcost.jobs.cost import cost_after, cost_before, job_spend
from jupyterlab_smcost.jobs.offload import offload_item, smallest_priced
from jupyterlab_smcost.jobs.plan import JobPlan, job_kernel, job_name, training_job_request
from jupyterlab_smcost.pricing import Quote
from jupyterlab_smcost.requests import JobRequest

BIG = Quote(7.09, "bundled", "2026-09-24", region="us-east-1", instance_type="ml.g5.12xlarge")
SMALL = Quote(0.05, "bundled", "2026-09-24", region="us-east-1", instance_type="ml.t3.medium")
UNKNOWN = Quote(None, "unknown", detail="no price")
NOW = 1_800_000_000.0


def train(since: float) -> Work:
    return Work("process", "pgid:812", 0.97, since, pid=812, command="python3 train.py (pid 812)")


def test_offload_after_sustained_work_on_an_expensive_instance():
    item = offload_item(
        [train(NOW - 7800)],
        NOW,
        "ml.g5.12xlarge",
        BIG,
        Quote(7.09, "bundled"),
        ("ml.t3.medium", SMALL),
        after_s=1800,
    )
    assert item is not None and item["rule"] == "offload" and item["type"] == "ml.t3.medium"
    assert item["reason"] == (
        "python3 train.py (pid 812) kept ml.g5.12xlarge busy for 2 h 10 min ($15.36 at "
        "$7.09/h); as a SageMaker job on ml.g5.12xlarge it bills the same hours on demand "
        "($7.09/h Training), up to 90% less on Spot, and this notebook could run on "
        "ml.t3.medium ($0.05/h) meanwhile"
    )
    assert item["savings_per_month"] is None  # Spot is "up to": never a made-up saving
    # the same sentence's figures, for the panel to say it in the user's language
    message = item["reason_message"]
    assert message["code"] == "rec.offload" and message["text"] == item["reason"]
    assert message["params"] == {
        "command": "python3 train.py (pid 812)",
        "current": "ml.g5.12xlarge",
        "seconds": 7800,
        "spent": 15.36,
        "per_hour": 7.09,
        "currency": "USD",
        "spot": 0.9,
        "training_per_hour": 7.09,
        "target": "ml.t3.medium",
        "target_per_hour": 0.05,
    }


@pytest.mark.parametrize(
    "busy, price, after",
    [
        ([train(NOW - 1700)], BIG, 1800),  # not long enough yet
        ([], BIG, 1800),  # nothing busy
        ([train(NOW - 7800)], SMALL, 1800),  # a cheap instance
        ([train(NOW - 7800)], UNKNOWN, 1800),  # price unknown: not proposed
        ([train(NOW - 7800)], BIG, 0),  # rule off
    ],
)
def test_no_offload(busy, price, after):
    assert offload_item(busy, NOW, "ml.g5.12xlarge", price, None, None, after_s=after) is None


def test_smallest_priced_skips_unknown_prices():
    rows = [("ml.x", UNKNOWN, None), ("ml.g5.12xlarge", BIG, None), ("ml.t3.medium", SMALL, None)]
    assert smallest_priced(rows) == ("ml.t3.medium", SMALL)
    assert smallest_priced([("ml.x", UNKNOWN, None)]) is None


def test_costs_with_an_unknown_price_stay_unknown():
    before = cost_before(UNKNOWN, 2, 3600, True)
    assert before["worst_case"] is None and before["spot_up_to"] == 0.9
    after = cost_after(
        {
            "BillableTimeInSeconds": 600,
            "TrainingTimeInSeconds": 1800,
            "EnableManagedSpotTraining": True,
            "ResourceConfig": {"InstanceCount": 2},
        },
        UNKNOWN,
    )
    assert after["amount"] is None and after["saved"] is None
    assert after["spot_saving"] == pytest.approx(0.6667)  # a ratio needs no price


def test_on_demand_cost_after_has_no_spot_saving():
    after = cost_after(
        {"BillableTimeInSeconds": 1800, "TrainingTimeInSeconds": 1800, "ResourceConfig": {}},
        BIG,
    )
    assert after["amount"] == pytest.approx(3.545) and after["spot_saving"] is None


def test_job_names_fit_sagemakers_pattern():
    now = datetime(2026, 12, 3, 10, 45, 1, tzinfo=timezone.utc)
    assert job_name("work/My Train (v2).ipynb", now) == "smcost-My-Train-v2-20261203-104501"
    long = job_name("x" * 200 + ".py", now)
    assert len(long) <= 63 and long.endswith("-20261203-104501")
    assert job_name("___.py", now) == "smcost-job-20261203-104501"


def test_kernel_mapping():
    assert job_kernel("python3__SAGEMAKER_INTERNAL__kernel")[0] == "python3"
    assert job_kernel("conda-env-base-py")[0] == "python3"
    assert job_kernel("python3") == ("python3", "")
    assert job_kernel("ir") == ("ir", "")
    assert job_kernel(None) == (None, "")


def test_spot_wait_defaults_to_twice_the_run_time_within_the_limit():
    def plan(req: JobRequest) -> JobPlan:
        return JobPlan("n", req, "script", "a.py", "img", "role", "b", "p/n", ())

    sc = training_job_request(plan(JobRequest("a.py", "ml.m5.xlarge", max_runtime_s=600)))
    assert sc["StoppingCondition"] == {"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 1200}
    long = 20 * 24 * 3600
    sc = training_job_request(plan(JobRequest("a.py", "ml.m5.xlarge", max_runtime_s=long)))
    assert sc["StoppingCondition"]["MaxWaitTimeInSeconds"] == 28 * 24 * 3600
    od = training_job_request(plan(JobRequest("a.py", "ml.m5.xlarge", spot=False)))
    assert "EnableManagedSpotTraining" not in od and "CheckpointConfig" not in od
    assert od["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}


def test_job_spend_per_day_counts_what_it_cannot_price():
    def listed(ended, amount, currency="USD"):
        return {"ended_at": ended, "cost_after": {"amount": amount, "currency": currency}}

    spend = job_spend(
        [
            listed("2026-11-30T23:00:00+00:00", 1.5),
            listed("2026-12-01T01:00:00+00:00", 0.25),
            listed("2026-12-01T05:00:00+00:00", 0.5),
            listed("2026-12-02T05:00:00+00:00", None),  # price unknown: counted
            listed(None, None),  # still running
        ],
        "USD",
        "2026-12-03",
    )
    assert spend == {
        "currency": "USD",
        "days": [
            {"date": "2026-11-30", "amount": 1.5},
            {"date": "2026-12-01", "amount": 0.75},
        ],
        "month_to_date": 0.75,
        "unknown": 1,
        "running": 1,
    }


def test_outputs_unpack_inside_their_folder_without_overwriting(tmp_path):
    import io
    import tarfile

    from jupyterlab_smcost.jobs.service import _fresh, _unpack

    archive = tmp_path / "output.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (("a.txt", b"new"), ("../escape.txt", b"x"), ("/abs.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (tmp_path / "nb-job").mkdir()
    target = _fresh(tmp_path / "nb-job")
    assert target.name == "nb-job-2"
    (target / "a.txt").write_bytes(b"old")
    # "/abs.txt" loses its leading slash (tarfile's data filter); "../escape.txt" is refused
    assert _unpack(archive, target) == ["a-2.txt", "abs.txt"]
    assert (target / "a.txt").read_bytes() == b"old"
    assert (target / "a-2.txt").read_bytes() == b"new"
    assert not (tmp_path / "escape.txt").exists() and not Path("/abs.txt").exists()


class _Sessions:
    async def list_sessions(self) -> list[dict]:
        return [{"kernel": {"id": "k1"}, "path": "train.ipynb"}]


async def test_a_kernel_busy_for_long_counts_as_sustained_work():
    """The activity monitor keeps when a kernel was first seen busy (the injected clock);
    the offload rule proposes a job once it has been busy ``after_s``; a kernel seen idle
    starts again."""
    from datetime import timedelta

    from support.service import Kernel, KernelManager

    from jupyterlab_smcost.activity import ActivityMonitor

    t0 = datetime.fromtimestamp(NOW - 7800, timezone.utc)
    clock = [t0]
    km = KernelManager()
    km._kernels["k1"] = kernel = Kernel(t0)
    monitor = ActivityMonitor(km, lambda: None, _Sessions(), t0, 300, clock=lambda: clock[0])

    def propose(now: datetime):
        return offload_item(
            [],
            now.timestamp(),
            "ml.g5.12xlarge",
            BIG,
            None,
            ("ml.t3.medium", SMALL),
            after_s=1800,
            kernels=monitor.kernels_busy(),
        )

    kernel.execution_state = "busy"
    await monitor.snapshot(False, True)
    assert monitor.kernels_busy() == [("train.ipynb", NOW - 7800)]
    clock[0] = t0 + timedelta(seconds=1700)
    await monitor.snapshot(False, True)
    assert propose(clock[0]) is None  # busy 28 min: not long yet
    clock[0] = t0 + timedelta(seconds=7800)
    await monitor.snapshot(False, True)
    item = propose(clock[0])
    assert item is not None and item["rule"] == "offload"
    assert item["reason"].startswith(
        "train.ipynb kept ml.g5.12xlarge busy for 2 h 10 min ($15.36 at $7.09/h)"
    )
    assert item["reason_message"]["params"]["seconds"] == 7800
    # seen idle: the busy period ends; busy again, it counts from then
    kernel.execution_state = "idle"
    await monitor.snapshot(False, True)
    assert monitor.kernels_busy() == [] and propose(clock[0]) is None
    kernel.execution_state = "busy"
    clock[0] = t0 + timedelta(seconds=8000)
    await monitor.snapshot(False, True)
    assert monitor.kernels_busy() == [("train.ipynb", NOW + 200)]
    assert propose(clock[0] + timedelta(seconds=600)) is None


def test_the_longest_of_background_work_and_kernels_is_named():
    item = offload_item(
        [train(NOW - 2000)],
        NOW,
        "ml.g5.12xlarge",
        BIG,
        None,
        None,
        after_s=1800,
        kernels=[("train.ipynb", NOW - 4000)],
    )
    assert item is not None and item["reason_message"]["params"]["command"] == "train.ipynb"
    assert item["reason_message"]["params"]["seconds"] == 4000
