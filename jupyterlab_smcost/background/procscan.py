"""The process scan: every process's group, name and CPU seconds, from ``/proc`` (one read
of ``/proc/<pid>/stat`` each) or psutil where there is no ``/proc``."""

from __future__ import annotations

import os
from typing import Any, NamedTuple, Optional

#: /proc/<pid>/stat flags: a kernel thread
PF_KTHREAD = 0x00200000


class Proc(NamedTuple):
    """One process in one scan."""

    pid: int
    pgid: int
    comm: str  # the kernel's name for it (at most 15 characters on Linux)
    cpu_s: float  # user + system seconds since it started, all its threads
    start: float  # when it started, wall-clock UNIX seconds
    start_key: int  # with ``pid``, tells a re-used pid from the process seen before


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
