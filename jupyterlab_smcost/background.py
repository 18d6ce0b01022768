"""Background work: sustained CPU or GPU use that no kernel or terminal shows.

On SageMaker the machine is the instance: a job left running with ``nohup ... &`` after its
terminal closed, a cron job, a training script on the GPU or a kernel's own threads are
somebody's work, and the idle shutdown must not kill them.

What counts, and how it is measured:

- **Jobs are process groups.** A shell puts each job in its own group (``python train.py &``,
  ``nohup ... &``), jupyter_client starts each kernel as a group leader, and workers forked by a
  job (a DataLoader's, a ``multiprocessing`` pool's) stay in its group. A group's CPU is the
  sum of its processes' user + system time (all their threads), so eight workers at 40% of a
  CPU each are one job at 3.2 CPUs. The group keeps its id when the terminal that started it
  closes and the job is re-parented to init, so a detached job still counts.
- **Not counted:** the Jupyter server's own process (its housekeeping: answering polls, and
  this extension's threads), kernel threads, zombies, and processes whose name is in the
  administrator's ignore list (system daemons such as ``amazon-ssm-agent``). The server's
  children are not housekeeping: kernels, terminals and whatever they start count.
- **Sustained, not a spike.** A group is *busy* when over the last ``window_s`` seconds it
  used on average at least ``cpu_threshold`` CPUs, and still did in the latest interval. A
  ``git status`` or a short ``pip install`` never lasts the window. GPUs: the same rule on
  NVML's utilisation with ``gpu_threshold``.
- **Starting work** (above the threshold in the latest interval, not yet for the window)
  neither blocks the clock nor counts as activity, but a shutdown that falls due waits for
  it to end or to last the window: a job started seconds before the deadline is not killed.
- **The end counts as activity** at the last sample that saw the work busy: once sustained
  work ends, the server stops one idle timeout later (not at a deadline that passed while
  the work ran).

Cost: one read of ``/proc/<pid>/stat`` per process per sample (psutil where there is no
``/proc``), on the usage sampler's thread, never on the event loop; and no scan at all when
the whole machine, less the Jupyter server itself, used fewer CPUs over the interval than
the threshold (then no process can be above it). ``benchmarks/bench_background_scan.py``
measures it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Optional

from .usage import GpuReading, Reading

log = logging.getLogger(__name__)

#: /proc/<pid>/stat flags: a kernel thread
PF_KTHREAD = 0x00200000
#: the machine counts as quiet below this share of the CPU threshold (the machine's and the
#: server's readings are taken a few milliseconds apart)
QUIET_MARGIN = 0.8
#: a process using less than this many CPUs over an interval is not named as a group's member
MEMBER_MIN_CPUS = 0.01
#: longest command shown in a reason
COMMAND_CHARS = 80


class Proc(NamedTuple):
    """One process in one scan."""

    pid: int
    pgid: int
    comm: str  # the kernel's name for it (at most 15 characters on Linux)
    cpu_s: float  # user + system seconds since it started, all its threads
    start: float  # when it started, wall-clock UNIX seconds
    start_key: int  # with ``pid``, tells a re-used pid from the process seen before


@dataclass(frozen=True)
class Rules:
    """The administrator's thresholds (0 turns a rule off) and ignored process names."""

    cpu_threshold: float = 0.5  # CPUs (1.0 = one CPU fully)
    gpu_threshold: float = 0.5  # utilisation, 0..1
    window_s: float = 120.0
    ignore: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Work:
    """A job (process group) or a GPU doing work."""

    kind: str  # "process" | "gpu"
    key: str  # "pgid:812" | "gpu:0"
    load: float  # CPUs (a process group) or utilisation 0..1 (a GPU), latest interval
    since: float  # wall-clock UNIX seconds: when it began, as far as was seen
    pid: Optional[int] = None  # the process named: the group's leader, else its busiest
    pgid: Optional[int] = None
    command: str = ""
    others: int = 0  # other processes of the group that used CPU in the latest interval
    gpu: Optional[int] = None
    users: tuple[str, ...] = ()  # a GPU's compute processes, "python3 train.py (pid 812)"


@dataclass(frozen=True)
class BackgroundState:
    busy: tuple[Work, ...] = ()
    starting: tuple[Work, ...] = ()
    #: the last sample that saw any work busy (wall-clock UNIX seconds): the end of the
    #: work counts as activity at this time
    last_busy_at: Optional[float] = None

    def keys(self) -> tuple[frozenset[str], frozenset[str]]:
        return frozenset(w.key for w in self.busy), frozenset(w.key for w in self.starting)


# ---------------------------------------------------------------------------- reasons


def duration(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 120:
        return f"{s} s"
    if s < 2 * 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def load_text(cpus: float) -> str:
    return f"{round(cpus * 100)}% of a CPU" if cpus < 1.5 else f"{cpus:.1f} CPUs"


def reason(work: Work, now: float, name: Optional[str] = None, starting: bool = False) -> str:
    """``background work: python3 train.py (pid 812), 97% of a CPU, for 14 min``.

    ``name`` replaces the command (e.g. ``kernel train.ipynb``)."""
    head = "background work starting" if starting else "background work"
    took = duration(now - work.since)
    if work.kind == "gpu":
        users = f", by {', '.join(work.users)}" if work.users else ""
        return f"{head}: GPU {work.gpu} at {round(work.load * 100)}%, for {took}{users}"
    others = ""
    if work.others:
        others = f" and {work.others} other process{'es' if work.others > 1 else ''}"
    what = name or work.command
    return f"{head}: {what} (pid {work.pid}){others}, {load_text(work.load)}, for {took}"


def describe_command(argv: Optional[Sequence[str]], comm: str) -> str:
    """``python3 train.py --epochs 3``: the program's file name and its arguments."""
    if not argv:
        return comm or "?"
    # one line: a ``python -c`` script's newlines and indents become single spaces
    text = " ".join(" ".join([os.path.basename(argv[0]) or argv[0], *argv[1:]]).split())
    return text if len(text) <= COMMAND_CHARS else text[: COMMAND_CHARS - 1] + "…"


# ---------------------------------------------------------------------------- scanning


def _boot_time(root: str) -> float:
    with open(os.path.join(root, "stat"), "rb") as f:
        for line in f:
            if line.startswith(b"btime "):
                return float(line.split()[1])
    raise OSError("no btime in /proc/stat")


class ProcScanner:
    """Lists processes: one read of ``/proc/<pid>/stat`` each on Linux, psutil elsewhere."""

    def __init__(self, proc_root: str = "/proc", psutil_module: Any = None) -> None:
        self.root = proc_root
        self._ps = psutil_module
        self.linux = os.path.isfile(os.path.join(proc_root, "stat"))
        if self.linux:
            self._tick = float(os.sysconf("SC_CLK_TCK"))
            self._boot = _boot_time(proc_root)

    def scan(self) -> list[Proc]:
        return self._scan_proc() if self.linux else self._scan_psutil()

    def _scan_proc(self) -> list[Proc]:
        root, tick, boot = self.root, self._tick, self._boot
        out = []
        for name in os.listdir(root):
            if not name.isdigit():
                continue
            try:
                fd = os.open(f"{root}/{name}/stat", os.O_RDONLY)
                try:
                    raw = os.read(fd, 4096)
                finally:
                    os.close(fd)
            except OSError:
                continue  # ended since the listing
            # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
            close = raw.rfind(b")")
            f = raw[close + 2 :].split(None, 20)
            if len(f) < 20 or f[0] == b"Z" or int(f[6]) & PF_KTHREAD:
                continue
            start = int(f[19])
            out.append(
                Proc(
                    int(name),
                    int(f[2]),
                    raw[raw.find(b"(") + 1 : close].decode(errors="replace"),
                    (int(f[11]) + int(f[12])) / tick,
                    boot + start / tick,
                    start,
                )
            )
        return out

    def _scan_psutil(self) -> list[Proc]:
        ps = self._ps
        if ps is None:
            import psutil as ps
        out = []
        attrs = ["pid", "name", "cpu_times", "create_time", "status"]
        for p in ps.process_iter(attrs):
            info = p.info
            times, created = info.get("cpu_times"), info.get("create_time")
            if times is None or created is None or info.get("status") == "zombie":
                continue
            try:
                pgid = os.getpgid(info["pid"])
            except OSError:
                continue
            out.append(
                Proc(
                    info["pid"],
                    pgid,
                    info.get("name") or "",
                    times.user + times.system,
                    created,
                    int(created * 1000),
                )
            )
        return out

    def argv(self, pid: int) -> Optional[list[str]]:
        """The command line of ``pid`` (None when gone or unreadable)."""
        if self.linux:
            try:
                with open(f"{self.root}/{pid}/cmdline", "rb") as f:
                    raw = f.read(8192)
            except OSError:
                return None
            return [p.decode(errors="replace") for p in raw.split(b"\0") if p] or None
        ps = self._ps
        if ps is None:
            import psutil as ps
        try:
            return list(ps.Process(pid).cmdline()) or None
        except Exception:  # gone, or not ours to read
            return None


# ---------------------------------------------------------------------------- the rule


class _Series:
    """A job's or a GPU's use over consecutive intervals: (start, end, amount), where amount
    is CPU-seconds (or utilisation x seconds); the oldest kept interval starts at or before
    the window's start once there is that much history."""

    __slots__ = ("parts", "since")

    def __init__(self) -> None:
        self.parts: deque[tuple[float, float, float]] = deque()
        self.since: Optional[float] = None  # when the current run of work began

    def add(self, start: float, end: float, amount: float, window: float) -> None:
        self.parts.append((start, end, amount))
        cutoff = end - window
        while len(self.parts) > 1 and self.parts[1][0] <= cutoff:
            self.parts.popleft()

    def judge(self, threshold: float, window: float) -> tuple[bool, bool, float]:
        """(busy, starting, latest rate)."""
        start, end, amount = self.parts[-1]
        latest = amount / (end - start) if end > start else 0.0
        first = self.parts[0][0]
        span = end - first
        mean = sum(a for _, _, a in self.parts) / span if span > 0 else 0.0
        sustained = span >= window - 1e-6 and mean >= threshold
        hot = latest >= threshold
        busy = hot and sustained
        starting = hot and not busy
        if hot:
            if self.since is None:
                self.since = start
        elif not sustained:
            self.since = None  # a dip inside sustained work keeps its start
        return busy, starting, latest


class Tracker:
    """Pure: which jobs and GPUs do sustained work, from scans handed to it with their times.

    Not thread-safe (:class:`BackgroundDetector` holds a lock around it)."""

    def __init__(
        self,
        rules: Rules,
        own_pid: int,
        argv: Callable[[int], Optional[list[str]]] = lambda pid: None,
    ) -> None:
        self.rules = rules
        self.own_pid = own_pid
        self._argv = argv
        self._procs: dict[int, tuple[int, float]] = {}  # pid -> (start_key, cpu_s) last scan
        self._scan_at: Optional[float] = None
        self._groups: dict[int, _Series] = {}
        self._gpu_at: Optional[float] = None
        self._gpus: dict[int, _Series] = {}
        self._names: dict[tuple[int, int], tuple[bool, str]] = {}  # (ignored, command)
        self._proc_work: tuple[tuple[Work, ...], tuple[Work, ...]] = ((), ())
        self._gpu_work: tuple[tuple[Work, ...], tuple[Work, ...]] = ((), ())
        self.last_busy_at: Optional[float] = None

    # -- processes
    def processes(self, now: float, procs: Iterable[Proc]) -> None:
        """One scan of every process at ``now`` (wall-clock seconds)."""
        rules = self.rules
        prev, t_prev = self._procs, self._scan_at
        seen: dict[int, tuple[int, float]] = {}
        groups: dict[int, list[tuple[Proc, float, float]]] = {}
        for p in procs:
            if p.pid == self.own_pid:
                continue
            seen[p.pid] = (p.start_key, p.cpu_s)
            if t_prev is None:
                continue  # the first scan only takes each process's count to start from
            old = prev.get(p.pid)
            if old is not None and old[0] == p.start_key:
                used, begin = max(0.0, p.cpu_s - old[1]), t_prev
            else:  # started since the last scan: all its CPU, since it began
                used, begin = p.cpu_s, min(p.start, now)
            if used > 0 and self._name(p)[0]:
                continue  # ignored: neither its CPU nor its name counts
            groups.setdefault(p.pgid, []).append((p, used, begin))
        busy: list[Work] = []
        starting: list[Work] = []
        kept: dict[int, _Series] = {}
        for pgid, members in groups.items():
            series = self._groups.get(pgid)
            if series is not None:
                begin = t_prev  # it was there at the last scan
            else:
                series = _Series()
                begin = min(b for _, _, b in members)
            kept[pgid] = series
            if begin is None or now <= begin:
                continue
            series.add(begin, now, sum(u for _, u, _ in members), rules.window_s)
            is_busy, is_starting, rate = series.judge(rules.cpu_threshold, rules.window_s)
            if is_busy or is_starting:
                assert series.since is not None
                work = self._group_work(pgid, members, rate, series.since, now - begin)
                (busy if is_busy else starting).append(work)
        self._groups, self._procs, self._scan_at = kept, seen, now
        if len(self._names) > 2 * len(seen) + 64:
            self._names = {k: v for k, v in self._names.items() if seen.get(k[0], (0,))[0] == k[1]}
        self._proc_work = (_by_load(busy), _by_load(starting))
        if busy:
            self.last_busy_at = now

    def quiet(self, now: float) -> None:
        """A sample without a scan: the whole machine used less than the threshold, so no
        job was above it (a dip; the history of each job is kept)."""
        self._proc_work = ((), ())

    def _name(self, p: Proc) -> tuple[bool, str]:
        """(ignored, command) of a process, looked up once per process. Ignored: its name,
        its program's file name or its first argument's (a script's) is in the list."""
        key = (p.pid, p.start_key)
        hit = self._names.get(key)
        if hit is None:
            argv = self._argv(p.pid)
            ignore = self.rules.ignore
            words = [os.path.basename(a) for a in (argv or [])[:2]]
            ignored = p.comm in ignore or any(w in ignore for w in words)
            hit = self._names[key] = (ignored, describe_command(argv, p.comm))
        return hit

    def _group_work(
        self,
        pgid: int,
        members: list[tuple[Proc, float, float]],
        rate: float,
        since: float,
        interval: float,
    ) -> Work:
        leader = next((p for p, _, _ in members if p.pid == pgid and not self._name(p)[0]), None)
        if leader is None:
            leader = max(members, key=lambda m: m[1])[0]
        others = sum(
            1 for p, used, _ in members if p is not leader and used >= MEMBER_MIN_CPUS * interval
        )
        return Work(
            "process",
            f"pgid:{pgid}",
            rate,
            since,
            pid=leader.pid,
            pgid=pgid,
            command=self._name(leader)[1],
            others=others,
        )

    # -- GPUs
    def gpus(
        self,
        now: float,
        readings: Sequence[GpuReading],
        users: Callable[[int], Sequence[int]] = lambda index: (),
    ) -> None:
        """One GPU sample at ``now``: NVML's utilisation stands for the interval since the
        previous sample."""
        rules = self.rules
        t_prev, self._gpu_at = self._gpu_at, now
        kept: dict[int, _Series] = {}
        busy: list[Work] = []
        starting: list[Work] = []
        for g in readings:
            if g.utilization is None:
                continue
            series = kept[g.index] = self._gpus.get(g.index) or _Series()
            if t_prev is None or now <= t_prev:
                continue
            series.add(t_prev, now, g.utilization * (now - t_prev), rules.window_s)
            is_busy, is_starting, rate = series.judge(rules.gpu_threshold, rules.window_s)
            if is_busy or is_starting:
                assert series.since is not None
                work = Work(
                    "gpu",
                    f"gpu:{g.index}",
                    rate,
                    series.since,
                    gpu=g.index,
                    users=self._gpu_users(users(g.index)),
                )
                (busy if is_busy else starting).append(work)
        self._gpus = kept
        self._gpu_work = (tuple(busy), tuple(starting))
        if busy:
            self.last_busy_at = now

    def _gpu_users(self, pids: Sequence[int]) -> tuple[str, ...]:
        out = []
        for pid in list(pids)[:3]:
            argv = self._argv(pid)
            if argv:  # a pid of another namespace (a container) is not ours to name
                out.append(f"{describe_command(argv, '')} (pid {pid})")
        return tuple(out)

    def running(self) -> set[str]:
        """Keys of the work in progress: busy, starting, or sustained in a dip."""
        return {f"pgid:{k}" for k, s in self._groups.items() if s.since is not None} | {
            f"gpu:{k}" for k, s in self._gpus.items() if s.since is not None
        }

    def state(self) -> BackgroundState:
        return BackgroundState(
            self._proc_work[0] + self._gpu_work[0],
            self._proc_work[1] + self._gpu_work[1],
            self.last_busy_at,
        )


def _by_load(works: list[Work]) -> tuple[Work, ...]:
    return tuple(sorted(works, key=lambda w: -w.load))


# ---------------------------------------------------------------------------- the detector


def own_cpu_seconds() -> float:
    """User + system seconds of this process, all its threads."""
    t = os.times()
    return t.user + t.system


class BackgroundDetector:
    """Feeds a :class:`Tracker` on the usage sampler's thread (:meth:`on_reading` is a
    sampler listener): one scan per sample, none while the machine is quiet.

    ``state()`` is safe from any thread (an immutable snapshot); ``on_change`` is called on
    the sampler's thread when the set of busy or starting work changes."""

    def __init__(
        self,
        rules: Rules,
        scanner: Optional[ProcScanner] = None,
        *,
        own_pid: Optional[int] = None,
        gpu_users: Callable[[int], Sequence[int]] = lambda index: (),
        clock: Callable[[], float] = time.time,
        own_cpu: Callable[[], float] = own_cpu_seconds,
        log: logging.Logger = log,
    ) -> None:
        self.rules = rules
        self.scanner = scanner or ProcScanner()
        self.tracker = Tracker(rules, os.getpid() if own_pid is None else own_pid, self._argv)
        self._gpu_users = gpu_users
        self._clock = clock
        self._own_cpu = own_cpu
        self.log = log
        self._lock = threading.Lock()
        self._state = BackgroundState()
        self._last: Optional[tuple[float, float]] = None  # (time, own CPU s) at the last sample
        self._failed = False
        #: busy work logged, until its run ends: (the work, when it was last seen busy)
        self._logged: dict[str, tuple[Work, float]] = {}
        self.on_change: Optional[Callable[[], None]] = None
        #: counters, for benchmarks and debugging
        self.scans = 0
        self.skipped = 0
        self.scan_seconds = 0.0

    def _argv(self, pid: int) -> Optional[list[str]]:
        return self.scanner.argv(pid)

    def state(self) -> BackgroundState:
        return self._state

    def on_reading(self, now: float, reading: Reading) -> None:
        """A usage sample (a sampler listener): scan unless the machine was quiet."""
        with self._lock:
            quiet = self._quiet(now, reading)
            if self.rules.cpu_threshold > 0:
                if quiet:
                    self.tracker.quiet(now)
                    self.skipped += 1
                else:
                    self._scan(now)
            if self.rules.gpu_threshold > 0:
                self.tracker.gpus(now, reading.gpus, self._gpu_users)
            changed = self._publish(now)
        if changed and self.on_change:
            self.on_change()

    def refresh(self) -> None:
        """A scan now, whatever the machine did (before a shutdown that falls due)."""
        if self.rules.cpu_threshold <= 0:
            return
        with self._lock:
            now = self._clock()
            self._scan(now)
            changed = self._publish(now)
        if changed and self.on_change:
            self.on_change()

    def _quiet(self, now: float, reading: Reading) -> bool:
        """Whether the machine less this process used fewer CPUs than the threshold over the
        sample's interval (then no job reached it, and the scan is skipped)."""
        own = self._own_cpu()
        last, self._last = self._last, (now, own)
        if last is None or reading.cpu is None or now <= last[0]:
            return False
        others = reading.cpu * reading.cpu_count - (own - last[1]) / (now - last[0])
        return others < QUIET_MARGIN * self.rules.cpu_threshold

    def _scan(self, now: float) -> None:
        t0 = time.perf_counter()
        try:
            procs = self.scanner.scan()
        except Exception:  # never let the sampler thread die
            if not self._failed:
                self._failed = True
                self.log.warning("smcost: process scan failed", exc_info=True)
            return
        self.tracker.processes(now, procs)
        self.scans += 1
        self.scan_seconds += time.perf_counter() - t0

    def _publish(self, now: float) -> bool:
        new = self.tracker.state()
        old, self._state = self._state, new
        # one line when work becomes busy, one when its run ends (not at each dip)
        for w in new.busy:
            if w.key not in self._logged:
                self.log.info("smcost: %s", reason(w, now))
            self._logged[w.key] = (w, now)
        running = self.tracker.running()
        for key in [k for k in self._logged if k not in running]:
            work, last = self._logged.pop(key)
            self.log.info("smcost: ended: %s", reason(work, last))
        return old.keys() != new.keys()
