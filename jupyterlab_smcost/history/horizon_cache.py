"""What the horizon (issue 19 §2) keeps between requests, so that reading days of history
costs little more than reading the usage window: the kept buckets' sample counts
(:class:`KeptRows`) and the kept part summed up (:class:`HorizonReader`).

The recommendation's horizon reads, on every request, which kept buckets of one instance
type cover days of running time (:meth:`.HistoryRecorder.kept_index`): thousands of rows
of the file. :class:`KeptRows` holds every ``(t, samples)`` of the types asked, per tier,
and answers :meth:`.HistoryStore.newest_counts` from memory with the same answer:

- read once per type (all its rows, newest first);
- kept in step with this process's writes: the recorder applies each committed write
  under :attr:`KeptRows.lock` (a bucket's samples only add up, as the upsert does);
- dropped, to be read again, when a prune ran (old rows deleted), when the file was
  opened again (moved aside, reconnected), or when another connection changed the file
  (SQLite's ``PRAGMA data_version``).

So the rows only need reading again about once an hour. :class:`HorizonReader` keeps the
kept part (:func:`.horizon.kept_part`) while the buckets it read are the same ones with
the same samples (a bucket only changes by gaining samples), and each hour's summary while
its buckets are; this run's readings are added on every request. Everything here gives
what reading the file afresh gives (tests/unit/test_horizon_cache.py).
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

from ..usage import Aggregate, Reading
from .horizon import Horizon, KeptPart, PhaseCache, combine, kept_part
from .store import HOUR, MINUTE, BucketKey

if TYPE_CHECKING:
    from .recorder import HistoryRecorder

#: how many instance types' rows are held (the one running, and a few before it)
MAX_TYPES = 4


class _Rows:
    """One (tier, type): ``neg_t`` ascending (``-t``: newest first) and the samples."""

    def __init__(self, rows: list[tuple[int, int]]) -> None:
        self.neg_t = [-t for t, _ in rows]
        self.n = [n for _, n in rows]

    def add(self, t: int, n: int) -> None:
        i = bisect.bisect_left(self.neg_t, -t)
        if i < len(self.neg_t) and self.neg_t[i] == -t:
            self.n[i] += n
        else:
            self.neg_t.insert(i, -t)
            self.n.insert(i, n)

    def newest(self, cut: int, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` rows with ``t <= cut``, newest first."""
        i = bisect.bisect_left(self.neg_t, -cut)
        ts, ns = self.neg_t[i : i + limit], self.n[i : i + limit]
        return [(-t, n) for t, n in zip(ts, ns, strict=True)]


class KeptRows:
    """``newest_counts`` from memory (see the module). ``read_all(tier, type)``: every row
    of the file's, ``(t, samples)`` newest first; ``version()``: what says the file
    changed under us (None: the file cannot be read, nothing is held)."""

    def __init__(
        self,
        read_all: Callable[[int, str], Optional[list[tuple[int, int]]]],
        version: Callable[[], Optional[Hashable]],
    ) -> None:
        self._read_all = read_all
        self._version = version
        #: held while the file is written and the write applied here, and while rows are
        #: read: a write is either in what was read or applied to it, never both
        self.lock = threading.RLock()
        self._held: dict[tuple[int, str], _Rows] = {}
        self._types: list[str] = []  # newest used last
        self._seen: Optional[Hashable] = None
        self.reads = 0  # how many times rows were read from the file (tests, benchmark)
        #: changes whenever what is held may answer differently (read, written, dropped)
        self.changes = 0

    def newest_counts(
        self, tier: int, instance_type: str, before: float, limit: int
    ) -> list[tuple[int, int]]:
        """What :meth:`.HistoryStore.newest_counts` answers: up to ``limit`` buckets of
        one type that end by ``before``, newest first, as ``(t, samples)``."""
        with self.lock:
            if not self._check():
                return []
            rows = self._held.get((tier, instance_type))
            if rows is None:
                found = self._read_all(tier, instance_type)
                if found is None:
                    return []
                rows = _Rows(found)
                self.reads += 1
                self.changes += 1
                self._hold(tier, instance_type, rows)
            return rows.newest(math.floor(before - tier), limit)

    def current(self) -> Optional[int]:
        """:attr:`changes` once the file was checked (None: it cannot be read): the
        answers stay the same while it does."""
        with self.lock:
            return self.changes if self._check() else None

    def _check(self) -> bool:
        """Drop what is held when the file changed under us; False: it cannot be read."""
        version = self._version()
        if version != self._seen:
            self._drop()
            self._seen = version
        return version is not None

    def written(self, buckets: Mapping[BucketKey, Aggregate], pruned: bool) -> None:
        """A write committed (call it under :attr:`lock`, the write too): its buckets'
        samples are added to the rows held; after a prune everything is read again."""
        with self.lock:
            if pruned:
                self._drop()
                return
            for (tier, t, itype), agg in buckets.items():
                rows = self._held.get((tier, itype))
                if rows is not None:
                    rows.add(t, agg.n)
                    self.changes += 1

    def _hold(self, tier: int, instance_type: str, rows: _Rows) -> None:
        self._held[(tier, instance_type)] = rows
        if instance_type in self._types:
            self._types.remove(instance_type)
        self._types.append(instance_type)
        for old in self._types[:-MAX_TYPES]:
            self._types.remove(old)
            for key in [k for k in self._held if k[1] == old]:
                del self._held[key]

    def _drop(self) -> None:
        self._held.clear()
        self._types.clear()
        self.changes += 1

    def held(self) -> dict[Any, int]:
        """How many rows are held per (tier, type) (tests)."""
        with self.lock:
            return {k: len(r.n) for k, r in self._held.items()}


class HorizonReader:
    """The horizon of one server (see the module): :meth:`read` is what
    :func:`.horizon.horizon_of` gives over :meth:`.HistoryRecorder.kept_index`'s buckets,
    with what did not change since the last call kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one read at a time: the caches are plain dicts
        self._phases: PhaseCache = {}  # kept hours already summed up
        #: the kept part, by (window, interval, the buckets it read)
        self._kept: Optional[tuple[Any, KeptPart]] = None
        #: the buckets read, by what decides them (the counts held unchanged, the same
        #: type, running time asked and cut): between two samples nothing moves
        self._index: Optional[tuple[Any, list[tuple[int, int, int]]]] = None
        self.summed = 0  # how many times the kept part was summed up (tests, benchmark)

    def read(
        self,
        history: HistoryRecorder,
        instance_type: str,
        horizon_s: float,
        window_s: float,
        raw: Sequence[tuple[float, Reading]],
        raw_start: float,
        interval_s: float,
    ) -> tuple[list[tuple[int, int, int]], Horizon]:
        """``(the kept buckets read, the horizon)``; blocking (may read the file)."""
        raw_span = raw[-1][0] - raw[0][0] if raw else 0.0
        with self._lock:
            need_s = horizon_s - raw_span
            changes = history.kept_rows.current()
            # kept_index cuts the minutes at raw_start and, without minutes, the hours
            cuts = (math.floor(raw_start - MINUTE), math.floor(raw_start - HOUR))
            memo = (changes, instance_type, need_s, interval_s, cuts)
            held_index = self._index
            if changes is not None and held_index is not None and held_index[0] == memo:
                index = held_index[1]
            else:
                index = history.kept_index(instance_type, need_s, interval_s, raw_start)
                self._index = (memo, index)
            key = (window_s, interval_s, tuple(index))
            held = self._kept
            if held is not None and held[0] == key:
                part = held[1]
            else:
                part = kept_part(
                    window_s,
                    index,
                    lambda p: history.load_kept(instance_type, p),
                    interval_s,
                    self._phases,
                )
                self._kept = (key, part)
                self.summed += 1
        return index, combine(horizon_s, window_s, raw, raw_start, part)
