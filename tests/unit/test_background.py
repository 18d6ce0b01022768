"""Background work: the window rule with an injected clock (no sleeping), the scan gate, the
GPU rule through a fake NVML, and the reasons the idle policy shows."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, Optional

import pytest

from jupyterlab_smcost.activity import Activity, Busy
from jupyterlab_smcost.background import (
    BackgroundDetector,
    BackgroundState,
    Proc,
    Rules,
    Tracker,
    reason,
)
from jupyterlab_smcost.idle import IdleLoop, decide
from jupyterlab_smcost.settings import IdleSettings
from jupyterlab_smcost.usage import GpuReading, NvmlGpus, Reading, SystemSource

OWN = 100
RULES = Rules(cpu_threshold=0.5, gpu_threshold=0.5, window_s=120, ignore=frozenset({"ssmd"}))
ARGV = {
    812: ["/usr/bin/python3", "/home/u/train.py", "--epochs", "3"],
    813: ["/usr/bin/python3", "/home/u/train.py", "--epochs", "3"],
    900: ["/usr/bin/amazon-ssm-agent"],
    901: ["/usr/bin/python3", "/opt/ssmd"],
    950: ["git", "status"],
}


class Machine:
    """Processes whose CPU counters advance as the test says, scanned by a real Tracker."""

    def __init__(self, rules: Rules = RULES) -> None:
        self.now = 1_000_000.0
        self.procs: dict[int, Proc] = {}
        self.rates: dict[int, float] = {}
        self.tracker = Tracker(rules, OWN, lambda pid: ARGV.get(pid))

    def start(self, pid: int, rate: float, pgid: Optional[int] = None, comm: str = "python3"):
        self.procs[pid] = Proc(pid, pgid or pid, comm, 0.0, self.now, int(self.now * 100))
        self.rates[pid] = rate

    def stop(self, pid: int) -> None:
        del self.procs[pid]

    def run(self, seconds: float, every: float = 10.0) -> BackgroundState:
        """Advance time, scanning every ``every`` seconds; the state after the last scan."""
        end = self.now + seconds
        while self.now < end - 1e-9:
            self.now += every
            for pid, p in self.procs.items():
                self.procs[pid] = p._replace(cpu_s=p.cpu_s + self.rates[pid] * every)
            self.tracker.processes(self.now, list(self.procs.values()))
        return self.tracker.state()


def test_sustained_work_is_busy_after_the_window_and_named() -> None:
    m = Machine()
    m.start(OWN, 0.9)  # the Jupyter server itself never counts
    m.run(10)  # the first scan: counts to start from
    m.start(812, 0.97)
    st = m.run(60)
    assert st.busy == () and [w.pid for w in st.starting] == [812]
    st = m.run(60)
    assert [w.pid for w in st.busy] == [812] and st.starting == ()
    (work,) = st.busy
    assert reason(work, m.now) == (
        "background work: python3 /home/u/train.py --epochs 3 (pid 812), 97% of a CPU, for 2 min"
    )
    assert st.last_busy_at == m.now
    st = m.run(14 * 60)
    assert reason(st.busy[0], m.now).endswith("97% of a CPU, for 16 min")
    last_seen_busy = m.now
    m.stop(812)
    st = m.run(30)
    assert st.busy == () and st.starting == ()
    # the end counts as activity at the last scan that saw it busy
    assert st.last_busy_at == last_seen_busy


def test_a_spike_shorter_than_the_window_never_counts() -> None:
    m = Machine()
    m.run(10)
    m.start(950, 1.0)  # `git status`, a pip install: 100% for 50 s
    for _ in range(5):
        st = m.run(10)
        assert st.busy == () and len(st.starting) == 1
    m.stop(950)
    st = m.run(300)
    assert st == BackgroundState()  # never busy: its end is no activity either


def test_below_the_threshold_never_counts() -> None:
    m = Machine()
    m.run(10)
    m.start(812, 0.3)
    assert m.run(3600) == BackgroundState()


def test_a_dip_keeps_sustained_work_and_its_start() -> None:
    m = Machine()
    m.run(10)
    m.start(812, 1.0)
    m.run(200)
    began = m.tracker.state().busy[0].since
    m.rates[812] = 0.1  # e.g. reading the next file
    st = m.run(10)
    assert st.busy == () and st.starting == ()  # not working in the latest interval
    assert st.last_busy_at == m.now - 10
    m.rates[812] = 1.0
    st = m.run(10)
    assert [w.pid for w in st.busy] == [812] and st.busy[0].since == began


def test_a_job_is_its_process_group() -> None:
    """A DataLoader's workers at 40% each, under the 0.5 threshold one by one: one job."""
    m = Machine()
    m.run(10)
    m.start(812, 0.4)
    for worker in (813, 814, 815):
        m.start(worker, 0.4, pgid=812)
    m.start(816, 0.0, pgid=812)  # idle: not counted among the others
    st = m.run(130)
    (work,) = st.busy
    assert (work.pid, work.pgid, work.others) == (812, 812, 3)
    assert reason(work, m.now) == (
        "background work: python3 /home/u/train.py --epochs 3 (pid 812) and 3 other processes,"
        " 1.6 CPUs, for 2 min"
    )
    m.stop(812)  # the leader ended, its workers go on: named by the busiest
    st = m.run(10)
    assert st.busy[0].pid in (813, 814, 815) and st.busy[0].others == 2


def test_ignored_names_the_server_and_short_names() -> None:
    m = Machine(Rules(0.5, 0.5, 120, frozenset({"amazon-ssm-agent", "ssmd"})))
    m.run(10)
    m.start(OWN, 1.0)
    m.start(900, 1.0, comm="amazon-ssm-agen")  # the kernel cuts names at 15 characters
    m.start(901, 1.0)  # python3 /opt/ssmd: its script is listed
    st = m.run(300)
    assert st == BackgroundState()
    rules = Rules(0.5, 0.5, 120, frozenset({"amazon-ssm-agent"}))
    m2 = Machine(rules)
    m2.run(10)
    m2.start(900, 1.0, comm="amazon-ssm-agen")
    m2.start(901, 1.0)
    assert [w.pid for w in m2.run(300).busy] == [901]


def test_a_reused_pid_is_a_new_process() -> None:
    m = Machine()
    m.run(10)
    m.start(812, 0.0)
    m.procs[812] = m.procs[812]._replace(cpu_s=5000.0)  # a long-idle process's old count
    m.run(10)
    # the pid ends and is re-used by a new process: its counter starts again from 0
    m.procs[812] = Proc(812, 812, "python3", 0.0, m.now, int(m.now * 100) + 1)
    st = m.run(10)
    assert st.busy == () and st.starting == ()  # not a negative or a huge delta


def test_work_running_before_the_first_scan_counts_after_the_window() -> None:
    """A job that outlived a server restart: its lifetime average says nothing of now."""
    m = Machine()
    m.start(812, 1.0)
    m.procs[812] = m.procs[812]._replace(start=m.now - 7200, cpu_s=7200.0)
    st = m.run(10)
    assert st == BackgroundState()  # the first scan takes the counts
    st = m.run(110)
    assert st.busy == () and len(st.starting) == 1
    st = m.run(10)
    assert [w.pid for w in st.busy] == [812]


def test_new_processes_count_from_their_start() -> None:
    m = Machine()
    m.run(10)
    m.now += 5
    m.start(812, 1.0)  # starts 5 s after a scan: measured from its start, not the scan
    st = m.run(10)
    assert st.starting[0].load == pytest.approx(1.0)
    assert st.starting[0].since == m.now - 10


# ---------------------------------------------------------------------------- GPUs


def gpu(util: Optional[float], index: int = 0) -> GpuReading:
    return GpuReading(index, util, 10.0, 80.0)


def test_gpu_rule_window_and_reason() -> None:
    t = Tracker(RULES, OWN, lambda pid: ARGV.get(pid))
    now = 0.0
    for _ in range(12):
        now += 10
        t.gpus(now, [gpu(0.95), gpu(0.02, 1), gpu(None, 2)], lambda i: [812] if i == 0 else [])
    st = t.state()
    assert st.busy == () and [w.gpu for w in st.starting] == [0]
    now += 10
    t.gpus(now, [gpu(0.95), gpu(0.02, 1)], lambda i: [812, 99999] if i == 0 else [])
    (work,) = t.state().busy
    assert reason(work, now) == (
        "background work: GPU 0 at 95%, for 2 min, by python3 /home/u/train.py --epochs 3 (pid 812)"
    )
    now += 10
    t.gpus(now, [gpu(0.0), gpu(0.02, 1)])
    st = t.state()
    assert st.busy == () and st.last_busy_at == now - 10


class FakeNvml:
    """The part of pynvml the GPU rule uses: one device whose utilisation the test sets."""

    def __init__(self) -> None:
        self.util = 0
        self.pids = [os.getpid(), 4_000_000]  # the second: another namespace's, not named

    def nvmlInit(self) -> None: ...

    def nvmlShutdown(self) -> None: ...

    def nvmlDeviceGetCount(self) -> int:
        return 1

    def nvmlDeviceGetHandleByIndex(self, i: int) -> str:
        return f"h{i}"

    def nvmlDeviceGetUtilizationRates(self, h: str) -> Any:
        return SimpleNamespace(gpu=self.util, memory=0)

    def nvmlDeviceGetMemoryInfo(self, h: str) -> Any:
        return SimpleNamespace(used=2 * 1024**3, total=80 * 1024**3)

    def nvmlDeviceGetComputeRunningProcesses(self, h: str) -> list:
        return [SimpleNamespace(pid=p, usedGpuMemory=1) for p in self.pids]


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_gpu_rule_through_the_sampler_with_a_fake_nvml() -> None:
    """NVML -> SystemSource -> UsageSampler -> its listener -> the detector (all real)."""
    from jupyterlab_smcost.usage import UsageSampler, UsageWindow

    nvml = FakeNvml()
    gpus = NvmlGpus(nvml=nvml)
    clock = Clock()
    window = UsageWindow(3600, clock=clock)
    sampler = UsageSampler(SystemSource(gpus=gpus), window, 10, wall_clock=clock)
    det = BackgroundDetector(
        Rules(cpu_threshold=0, gpu_threshold=0.5, window_s=30), gpu_users=gpus.processes
    )
    sampler.add_listener(det.on_reading)
    changes: list[BackgroundState] = []
    det.on_change = lambda: changes.append(det.state())
    sampler.sample_once()  # primes the CPU counters: no listener call
    nvml.util = 95
    for _ in range(4):
        clock.t += 10
        sampler.sample_once()
    (work,) = det.state().busy
    text = reason(work, clock.t)
    assert text.startswith("background work: GPU 0 at 95%, for 30 s, by ")
    assert text.endswith(f" (pid {os.getpid()})") and len(work.users) == 1
    nvml.util = 0
    clock.t += 10
    sampler.sample_once()
    assert det.state().busy == () and det.state().last_busy_at == clock.t - 10
    # on_change: starting, then busy, then nothing
    assert [(len(c.starting), len(c.busy)) for c in changes] == [(1, 0), (0, 1), (0, 0)]


# ---------------------------------------------------------------------------- the gate


class CountingScanner:
    def __init__(self) -> None:
        self.scans = 0

    def scan(self) -> list[Proc]:
        self.scans += 1
        return []

    def argv(self, pid: int) -> None:
        return None


def reading(cpu: float, count: int = 4) -> Reading:
    return Reading(cpu=cpu, cpu_count=count, mem_used_gib=1.0, mem_total_gib=16.0)


def test_no_scan_while_the_machine_less_the_server_is_quiet() -> None:
    scanner = CountingScanner()
    own = {"cpu": 0.0}
    det = BackgroundDetector(
        Rules(0.5, 0.5, 120),
        scanner,
        own_cpu=lambda: own["cpu"],  # type: ignore[arg-type]
    )
    det.on_reading(0.0, reading(0.0))
    assert scanner.scans == 1  # no interval to judge yet: scan
    det.on_reading(10.0, reading(0.05))  # 0.2 CPUs of 4 busy: below 0.8 x 0.5
    assert scanner.scans == 1 and det.skipped == 1
    own["cpu"] += 8.0  # the server itself used 0.8 CPUs of the 1.0 busy: still quiet
    det.on_reading(20.0, reading(0.25))
    assert scanner.scans == 1
    det.on_reading(30.0, reading(0.25))  # 1.0 CPU busy, none of it the server's
    assert scanner.scans == 2
    det.refresh()  # at a deadline: a scan whatever the machine did
    assert scanner.scans == 3


# ---------------------------------------------------------------------------- real processes


# ---------------------------------------------------------------------------- the idle policy

T0 = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)
S = IdleSettings(True, 600, True, True, 120)
NEW = Busy("background", "pgid:5", "background work starting: x (pid 5), 100% of a CPU, for 20 s")


def test_starting_work_holds_only_a_shutdown_that_is_due() -> None:
    act = Activity(T0, "kernel", (), (NEW,))
    st = decide(S, act, T0 + timedelta(seconds=300), 600)
    assert st.state == "idle" and st.deadline == T0 + timedelta(seconds=600)
    st = decide(S, act, T0 + timedelta(seconds=600), 600)
    assert (st.state, st.reasons, st.deadline) == ("busy", (NEW.reason,), None)
    # gone: due again
    st = decide(S, Activity(T0, "kernel"), T0 + timedelta(seconds=605), 600)
    assert st.state == "idle" and st.remaining_s == -5


class ScanMonitor:
    """The loop's view: pending work appears only once the loop asks for a fresh scan."""

    def __init__(self) -> None:
        self.pending: tuple[Busy, ...] = ()
        self.snapshots: list[bool] = []

    async def snapshot(self, ignore_connections: bool, count_terminals: bool, count_bg: bool):
        self.snapshots.append(count_bg)
        return Activity(T0, "server start", (), self.pending)


async def test_loop_scans_afresh_at_the_deadline_and_waits_for_new_work() -> None:
    mon = ScanMonitor()
    acted: list = []
    refreshed: list = []

    async def refresh() -> None:
        refreshed.append(True)
        mon.pending = (NEW,)  # the scan finds a job started since the last sample

    async def act() -> str:
        acted.append(True)
        return "stopped"

    now = T0 + timedelta(seconds=601)
    loop = IdleLoop(
        mon,  # type: ignore[arg-type]
        lambda: S,
        lambda s: s.timeout_s,
        act,
        logging.getLogger("test"),
        clock=lambda: now,
        refresh=refresh,
    )
    loop._running = True
    await loop._evaluate_once()
    assert refreshed == [True] and acted == []
    assert loop.last_status is not None and loop.last_status.state == "busy"
    assert loop._armed_for is not None  # re-checks while it waits
    mon.pending = ()  # the job ended before it lasted the window

    async def no_work() -> None:
        refreshed.append(False)

    loop._refresh = no_work
    await loop._evaluate_once()
    assert acted == [True] and refreshed == [True, False]
    assert mon.snapshots and all(mon.snapshots)
    loop.stop()
    await asyncio.sleep(0)


def test_commands_read_on_one_line() -> None:
    from jupyterlab_smcost.background import describe_command

    assert describe_command(["/usr/bin/python3", "-c", "import x\n    x.run()"], "python3") == (
        "python3 -c import x x.run()"
    )
    assert describe_command(None, "kworker") == "kworker"
    assert len(describe_command(["python3", "x" * 200], "python3")) == 80


class ListScanner:
    def __init__(self) -> None:
        self.procs: list[Proc] = []

    def scan(self) -> list[Proc]:
        return self.procs

    def argv(self, pid: int) -> Optional[list[str]]:
        return ARGV.get(pid)


def test_the_log_says_when_work_becomes_busy_and_when_its_run_ends(caplog: Any) -> None:
    scanner = ListScanner()
    clock = Clock()
    det = BackgroundDetector(RULES, scanner, own_pid=OWN, clock=clock)  # type: ignore[arg-type]
    job = Proc(812, 812, "python3", 0.0, clock.t, 1)

    def step(rate: float) -> None:
        nonlocal job
        clock.t += 10
        job = job._replace(cpu_s=job.cpu_s + rate * 10)
        scanner.procs = [job]
        det.refresh()

    scanner.procs = [job]
    det.refresh()
    with caplog.at_level(logging.INFO, logger="jupyterlab_smcost.background"):
        for rate in [1.0] * 13 + [0.1] + [1.0] * 10 + [0.0] * 12:  # a dip, then the end
            step(rate)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "smcost: background work: python3 /home/u/train.py --epochs 3 (pid 812), "
        "100% of a CPU, for 2 min",
        "smcost: ended: background work: python3 /home/u/train.py --epochs 3 (pid 812), "
        "100% of a CPU, for 4 min",
    ], lines


def test_the_app_builds_the_detector_only_where_it_measures_this_instance(caplog: Any) -> None:
    from jupyterlab_smcost.app import SmCostApp
    from jupyterlab_smcost.build import background_detector
    from jupyterlab_smcost.usage import UsageSampler, UsageWindow

    app = SmCostApp()
    log = logging.getLogger("test-app")
    sampler = UsageSampler(SystemSource(gpus=NvmlGpus(nvml=FakeNvml())), UsageWindow(60), 10)
    det = background_detector(app, True, sampler, log)
    assert det is not None and det.on_reading in sampler._listeners
    assert det.rules == Rules(0.5, 0.5, 120, frozenset(app.background_ignore))
    # Studio Classic: the kernels run on other instances than this server's
    assert background_detector(app, False, sampler, log) is None
    with caplog.at_level(logging.WARNING, logger="test-app"):
        assert background_detector(app, True, None, log) is None  # sampling off
    assert "background work is not detected" in caplog.text
    app.background_cpu_threshold = app.background_gpu_threshold = 0
    assert background_detector(app, True, sampler, log) is None
