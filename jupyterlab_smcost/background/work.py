"""What background work is (a job, a GPU), the administrator's rules, and how a reason
reads (``background work: python3 train.py (pid 812) using 97% CPU``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from ..messages import Message

#: longest command shown in a reason
COMMAND_CHARS = 80


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


def reason_message(
    work: Work, now: float, kernel: Optional[str] = None, starting: bool = False
) -> Message:
    """:func:`reason` with its code and figures (``busy.background[_gpu][_starting]``);
    ``kernel``: the name of the kernel the work belongs to, shown instead of the command."""
    name = f"kernel {kernel}" if kernel is not None else None
    text = reason(work, now, name, starting)
    seconds = max(0, int(now - work.since))
    tail = "_starting" if starting else ""
    if work.kind == "gpu":
        return Message.of(
            f"busy.background_gpu{tail}",
            text,
            gpu=work.gpu if work.gpu is not None else "?",
            load=round(work.load, 4),
            seconds=seconds,
            users=", ".join(work.users),
        )
    return Message.of(
        f"busy.background{tail}",
        text,
        command=kernel if kernel is not None else work.command,
        kernel=int(kernel is not None),
        pid=work.pid if work.pid is not None else "?",
        others=work.others,
        cpus=round(work.load, 4),
        seconds=seconds,
    )


def describe_command(argv: Optional[Sequence[str]], comm: str) -> str:
    """``python3 train.py --epochs 3``: the program's file name and its arguments."""
    if not argv:
        return comm or "?"
    # one line: a ``python -c`` script's newlines and indents become single spaces
    text = " ".join(" ".join([os.path.basename(argv[0]) or argv[0], *argv[1:]]).split())
    return text if len(text) <= COMMAND_CHARS else text[: COMMAND_CHARS - 1] + "…"
