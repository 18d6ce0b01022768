"""The rule: which jobs and GPUs have been busy for the window (sustained work), which are
starting, and when the last busy sample was."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Optional

from ..usage import GpuReading
from .procscan import Proc
from .work import BackgroundState, Rules, Work, describe_command

#: a process using less than this many CPUs over an interval is not named as a group's member
MEMBER_MIN_CPUS = 0.01


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
