"""Observes kernels, terminals, browser connections and REST activity (reads only).

Runs on the event loop (kernel and terminal managers are not thread-safe); every read is
in-memory or one syscall per terminal, so a snapshot costs microseconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import unquote

from .background import BackgroundState, Work, reason_message
from .messages import Message

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: Any) -> Optional[datetime]:
    """jupyter_server stores aware UTC datetimes; be safe with naive ones too."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Busy:
    """Something that blocks shutdown whatever the clock says."""

    kind: str  # kernel | terminal | background | switch | shutdown
    id: str
    reason: str  # plain words for the panel
    #: the reason's code and parameters (messages.py), for the panel to translate
    code: str = "text"
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def message(self) -> Message:
        return Message(self.code, self.reason, self.params)


@dataclass(frozen=True)
class Activity:
    last_activity: datetime
    last_source: str
    busy: tuple[Busy, ...] = ()
    #: background work not sustained for the window yet: holds a shutdown that falls due
    #: (until it ends or lasts), but neither blocks before nor counts as activity
    pending: tuple[Busy, ...] = ()


class ActivityMonitor:
    """Reads jupyter_server's managers; records API activity and keep-alives it is told of."""

    def __init__(
        self,
        kernel_manager: Any,
        terminal_manager: Callable[[], Any],
        session_manager: Any,
        started_at: datetime,
        stuck_kernel_timeout_s: float,
        clock: Callable[[], datetime] = utcnow,
        api_prefix_excluded: tuple[str, ...] = (),
        contents_prefix: str = "/api/contents/",
        background: Optional[Callable[[], BackgroundState]] = None,
    ) -> None:
        self._km = kernel_manager
        self._background = background
        self._tm = terminal_manager
        self._sm = session_manager
        self._clock = clock
        self._stuck = timedelta(seconds=stuck_kernel_timeout_s)
        # compared with unquoted request paths (base_url may come percent-encoded)
        self._excluded = tuple(unquote(p) for p in api_prefix_excluded)
        self._contents_prefix = unquote(contents_prefix)
        self._shutdown_saves: dict[str, datetime] = {}
        self._marks: dict[str, datetime] = {"server start": started_at}
        #: kernel id -> (first snapshot that saw it busy, its name): busy as far as was seen
        self._busy_since: dict[str, tuple[datetime, str]] = {}

    # -- things we are told about
    def mark(self, source: str, when: Optional[datetime] = None) -> None:
        self._marks[source] = when or self._clock()

    def keepalive(self) -> datetime:
        now = self._clock()
        self.mark("keep-alive", now)
        return now

    def observe_request(self, method: str, path: str, status: int) -> bool:
        """Called for every finished HTTP request. Counts only successful changes
        (PUT/POST/PATCH/DELETE) outside this extension's routes; GET polling never counts."""
        if method not in MUTATING_METHODS or status >= 400:
            return False
        path = unquote(path)
        if any(path.startswith(p) for p in self._excluded):
            return False
        if self._is_shutdown_save(path):
            return False
        self.mark("API request")
        return True

    #: bounds on the announced shutdown saves kept at once (each lives ``seconds``)
    MAX_SHUTDOWN_SAVES = 2000
    MAX_SHUTDOWN_SAVES_CHARS = 512 * 1024

    def expect_shutdown_saves(self, paths: list[str], seconds: float = 60.0) -> datetime:
        """The frontend is about to save these documents because a shutdown is near: their
        saves (and checkpoints) in the next ``seconds`` are not activity, else saving before
        the deadline would postpone the shutdown by a whole timeout.

        Entries expire by time and are bounded in number and total size: the oldest
        announcements give way first."""
        now = self._clock()
        until = now + timedelta(seconds=seconds)
        saves = self._live_shutdown_saves(now)
        for p in paths:
            key = p.strip("/")
            saves.pop(key, None)  # re-announced: moves to the newest end
            saves[key] = until
        chars = sum(len(p) for p in saves)
        while saves and (
            len(saves) > self.MAX_SHUTDOWN_SAVES or chars > self.MAX_SHUTDOWN_SAVES_CHARS
        ):
            oldest = next(iter(saves))
            chars -= len(oldest)
            del saves[oldest]
        return until

    def _live_shutdown_saves(self, now: datetime) -> dict[str, datetime]:
        """The announcements not expired yet (dropping the others), oldest first."""
        saves = self._shutdown_saves
        if saves and next(iter(saves.values())) <= now:
            saves = self._shutdown_saves = {p: t for p, t in saves.items() if t > now}
        return saves

    def shutdown_saves_size(self) -> tuple[int, int]:
        """(announced paths kept, their total characters), expired ones dropped."""
        saves = self._live_shutdown_saves(self._clock())
        return len(saves), sum(len(p) for p in saves)

    def _is_shutdown_save(self, path: str) -> bool:
        if not self._shutdown_saves or not path.startswith(self._contents_prefix):
            return False
        saves = self._live_shutdown_saves(self._clock())
        doc = path[len(self._contents_prefix) :].split("/checkpoints")[0].strip("/")
        return doc in saves

    # -- reading the managers
    def kernel_ids(self) -> list[str]:
        return list(self._km.list_kernel_ids())

    async def snapshot(
        self, ignore_connections: bool, count_terminals: bool, count_background: bool = True
    ) -> Activity:
        now = self._clock()
        self._live_shutdown_saves(now)  # expired announcements go even if no save comes
        latest, source = max(((t, s) for s, t in self._marks.items()), key=lambda ts: ts[0])
        busy: list[Busy] = []
        busy_kernels: list[str] = []
        kernel_pids: dict[int, str] = {}  # a kernel's process (its group leader) -> its id
        covered: set[int] = set()  # process groups whose work a busy reason already names

        def seen(when: Optional[datetime], what: str) -> None:
            nonlocal latest, source
            if when and when > latest:
                latest, source = when, what

        for kid in list(self._km.list_kernel_ids()):
            kernel = self._km._kernels.get(kid)
            if kernel is None:
                continue
            state = getattr(kernel, "execution_state", None)
            last = as_utc(getattr(kernel, "last_activity", None))
            if state == "dead":
                continue
            seen(last, "kernel")
            pid = getattr(getattr(kernel, "provisioner", None), "pid", None)
            if isinstance(pid, int):
                kernel_pids[pid] = kid
            if state == "busy":
                busy_kernels.append(kid)
                if isinstance(pid, int):
                    covered.add(pid)
            elif state == "starting" and last and now - last < self._stuck:
                busy.append(Busy("kernel", kid, "kernel starting", "busy.kernel_starting"))
            if not ignore_connections and self._km._kernel_connections.get(kid, 0) > 0:
                seen(now, "browser connection")
        bg = self._background() if count_background and self._background else None
        names: dict[str, str] = {}
        if busy_kernels or (bg and any(w.pgid in kernel_pids for w in bg.busy + bg.starting)):
            names = await self._kernel_names()
        for kid in busy_kernels:
            kname = names.get(kid, kid[:8])
            busy.append(
                Busy("kernel", kid, f"kernel busy: {kname}", "busy.kernel", (("name", kname),))
            )
        self._note_busy_kernels(busy_kernels, names, now)

        tm = self._tm()
        if tm is not None:
            for name, term in list(tm.terminals.items()):
                seen(as_utc(getattr(term, "last_activity", None)), "terminal")
                if count_terminals:
                    group = foreground_group(term)
                    if group:
                        job = _cmdline(group) or f"process group {group}"
                        busy.append(
                            Busy(
                                "terminal",
                                name,
                                f"terminal {name} running: {job}",
                                "busy.terminal",
                                (("command", job), ("name", name)),
                            )
                        )
                        covered.add(group)
        pending: list[Busy] = []
        if bg is not None:
            if bg.last_busy_at is not None:  # the end of sustained work counts as activity
                seen(datetime.fromtimestamp(bg.last_busy_at, timezone.utc), "background work")
            wall = now.timestamp()

            def as_busy(work: Work, starting: bool) -> Busy:
                kid = kernel_pids.get(work.pgid or -1)
                kernel = names.get(kid, kid[:8]) if kid else None
                m = reason_message(work, wall, kernel, starting)
                return Busy("background", work.key, m.text, m.code, m.params)

            busy += [as_busy(w, False) for w in bg.busy if w.pgid not in covered]
            pending += [as_busy(w, True) for w in bg.starting if w.pgid not in covered]
        # remember it: activity that happened stays, even once its kernel or terminal is gone
        # (else a vanished kernel would move the deadline earlier, into the past)
        self._marks[source] = latest
        return Activity(latest, source, tuple(busy), tuple(pending))

    def _note_busy_kernels(self, busy: list[str], names: dict[str, str], now: datetime) -> None:
        """Keep when each kernel was first seen busy; a kernel seen idle (or gone) starts
        again from its next busy snapshot."""
        seen = self._busy_since
        self._busy_since = {
            kid: (seen[kid][0] if kid in seen else now, names.get(kid, kid[:8])) for kid in busy
        }

    def kernels_busy(self) -> list[tuple[str, float]]:
        """(the kernel's notebook or name, UNIX seconds it was first seen busy) of the kernels
        busy at the last snapshot, as far as snapshots saw (the ``offload`` rule's "a kernel
        busy for long")."""
        return [(name, since.timestamp()) for since, name in self._busy_since.values()]

    async def _kernel_names(self) -> dict[str, str]:
        try:
            sessions = await self._sm.list_sessions()
        except Exception:  # the session DB is best effort: names only
            return {}
        return {
            s["kernel"]["id"]: s.get("path") or s.get("name") or s["kernel"]["id"][:8]
            for s in sessions
            if s.get("kernel")
        }


def foreground_group(term: Any) -> Optional[int]:
    """The process group of the job a terminal's shell runs in the foreground, or None.

    Uses the pty's foreground process group (one syscall): when it differs from the shell's
    own group, a job such as ``python train.py`` runs in the foreground.
    """
    proc = getattr(term, "ptyproc", None)
    if proc is None or not proc.isalive():
        return None
    try:
        fg = os.tcgetpgrp(proc.fd)
        shell_pgrp = os.getpgid(proc.pid)
    except OSError:
        return None
    if fg <= 0 or fg == shell_pgrp:
        return None
    return fg


_CMDLINE_TTL_S = 5.0
_cmdline_cache: dict[int, tuple[Optional[str], float]] = {}


def _cmdline(pid: int) -> Optional[str]:
    """The command line of ``pid``, cached for a few seconds: status polls ask for it on
    every call, and a job's command line does not change while it runs."""
    now = time.monotonic()
    hit = _cmdline_cache.get(pid)
    if hit and hit[1] > now:
        return hit[0]
    if len(_cmdline_cache) > 256:
        _cmdline_cache.clear()
    text = _read_cmdline(pid)
    _cmdline_cache[pid] = (text, now + _CMDLINE_TTL_S)
    return text


def _read_cmdline(pid: int) -> Optional[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    parts = [p.decode(errors="replace") for p in raw.split(b"\0") if p]
    text = " ".join(parts)
    return text[:120] if text else None
