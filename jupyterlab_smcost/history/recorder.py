"""Feeds the history: usage readings from the sampler thread, what is billed at what price
from the event loop; one write (transaction) a minute."""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import replace
from itertools import accumulate
from typing import Any, Optional

from ..usage import Aggregate, Reading
from .horizon_cache import KeptRows
from .store import (
    FLUSH_S,
    HOUR,
    MAX_PENDING,
    PRUNE_S,
    TIERS,
    BucketKey,
    HistoryStore,
    Running,
    Span,
)

log = logging.getLogger(__name__)


class HistoryRecorder:
    """Feeds the store: readings (the sampler thread's listener) and what runs at what
    price (``set_running``, from the event loop). Batches writes: one transaction every
    ``flush_s`` seconds, from the thread that notices it is due."""

    def __init__(
        self,
        store: HistoryStore,
        clock: Any = time.time,
        flush_s: float = FLUSH_S,
        log: logging.Logger = log,
    ) -> None:
        self.store = store
        self._clock = clock
        self.flush_s = flush_s
        self.log = log
        self.started_at = clock()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[BucketKey, Aggregate] = {}
        self._usage_type = ""
        self._running: tuple[Running, ...] = ()
        self._changed_at = self.started_at
        #: hours per price of the spans this process closed (slots merged)
        self._session: dict[Running, float] = {}
        #: spans this process has open: running -> (id or None until written, start)
        self._open: dict[Running, tuple[Optional[int], float]] = {}
        self._last_flush = self.started_at
        self._last_prune = 0.0
        self.flushes = 0
        #: the kept buckets' sample counts in memory, for the horizon (kept_index)
        self.kept_rows = KeptRows(store.all_counts, store.usage_version)

    # -- from the event loop (cheap, no I/O)
    def set_running(self, running: Sequence[Running], usage_type: Optional[str]) -> None:
        """What is billed now (one per instance type) and the type usage samples are
        tagged with (None: samples that describe no single billed type, never used for a
        recommendation)."""
        with self._lock:
            new = tuple(running)
            if new != self._running:
                now = self._clock()
                self._session = self._session_hours(now)
                self._running = new
                self._changed_at = now
            self._usage_type = usage_type or ""

    def _session_hours(self, now: float) -> dict[Running, float]:
        """This process's running time per price, to ``now`` (under the lock)."""
        out = dict(self._session)
        for r in self._running:
            key = replace(r, slot=0)
            out[key] = out.get(key, 0.0) + max(0.0, now - self._changed_at) / HOUR
        return out

    def session_hours(self) -> list[tuple[Running, float]]:
        """The hours each price was in force since this process started: the spans it
        writes, kept in memory too (no I/O: cheap enough for every GET status)."""
        with self._lock:
            return list(self._session_hours(self._clock()).items())

    # -- from the sampler thread
    def on_sample(self, ts: float, reading: Reading) -> None:
        with self._lock:
            for tier in TIERS:
                key = (tier, int(ts // tier * tier), self._usage_type)
                agg = self._pending.get(key)
                if agg is None:
                    self._pending[key] = Aggregate.of(reading)
                else:
                    agg.add(reading)
        self.tick()

    def tick(self) -> None:
        """Write if a flush is due (sampler thread; or a worker when sampling is off)."""
        if self._clock() - self._last_flush >= self.flush_s:
            self.flush()

    def flush(self) -> bool:
        """Write what is pending and the running spans, in one transaction."""
        with self._flush_lock:
            now = self._clock()
            with self._lock:
                pending, self._pending = self._pending, {}
                running, changed_at = self._running, self._changed_at
            spans: list[tuple[Optional[int], Span]] = []
            closing = [r for r in self._open if r not in running]
            for r in closing:
                span_id, start = self._open[r]
                spans.append((span_id, Span(start, max(start, changed_at), r)))
            for r in running:
                span_id, start = self._open.get(r, (None, changed_at))
                spans.append((span_id, Span(start, now, r)))
            prune = now if now - self._last_prune >= PRUNE_S else None
            with self.kept_rows.lock:  # the rows held see this write once: applied here
                ids = self.store.write(pending, spans, prune)
                if ids is not None:
                    self.kept_rows.written(pending, prune is not None)
            self._last_flush = now
            if ids is None:
                self._keep(pending)
                return False
            for r in closing:
                del self._open[r]
            for (_, s), span_id in zip(spans[len(closing) :], ids[len(closing) :], strict=True):
                self._open[s.running] = (span_id, s.start)
            if prune is not None:
                self._last_prune = now
            self.flushes += 1
            return True

    def _keep(self, pending: dict[BucketKey, Aggregate]) -> None:
        """Put unwritten aggregates back (bounded: the oldest go first)."""
        with self._lock:
            for key, agg in pending.items():
                mine = self._pending.get(key)
                if mine is None:
                    self._pending[key] = agg
                else:
                    agg.merge(mine)
                    self._pending[key] = agg
            if len(self._pending) > MAX_PENDING:
                for key in sorted(self._pending, key=lambda k: k[1])[:-MAX_PENDING]:
                    del self._pending[key]

    def close(self) -> None:
        self.flush()
        self.store.close()

    # -- reads (blocking)
    def pending(self) -> list[tuple[BucketKey, Aggregate]]:
        with self._lock:
            return [(k, Aggregate(**vars(a))) for k, a in self._pending.items()]

    def spans(self, since: float) -> list[Span]:
        """Kept spans from ``since``, the ones open in this process running to now."""
        with self._flush_lock:  # no write in between: each span counted once
            now = self._clock()
            open_ids = {span_id for span_id, _ in self._open.values() if span_id is not None}
            out = []
            for span_id, s in self.store.spans(since):
                out.append(Span(s.start, now, s.running) if span_id in open_ids else s)
            with self._lock:
                running, changed_at = self._running, self._changed_at
            for r in running:  # not written yet
                if self._open.get(r, (None, 0.0))[0] is None:
                    out.append(Span(changed_at, now, r))
            return out

    def kept_window(
        self, instance_type: str, need_s: float, interval_s: float
    ) -> list[tuple[int, Aggregate]]:
        """Kept buckets of ``instance_type`` from before this process started, newest
        first, until they cover ``need_s`` seconds of running time (:meth:`kept`)."""
        return [(t, a) for _, t, a in self.kept(instance_type, need_s, interval_s)]

    def kept(
        self,
        instance_type: str,
        need_s: float,
        interval_s: float,
        before: Optional[float] = None,
    ) -> list[tuple[int, int, Aggregate]]:
        """``(tier, t, aggregate)``: written buckets of ``instance_type`` that end by
        ``before`` (default: when this process started), newest first, until they cover
        ``need_s`` seconds of running time: minutes, then hours older than the oldest
        minute. A bucket covers its samples x ``interval_s`` (at most its length). Gaps
        (the server was not running) are skipped, not counted."""
        out: list[tuple[int, int, Aggregate]] = []
        covered = 0.0
        before = self.started_at if before is None else before
        if need_s <= 0 or not instance_type:
            return out
        for tier in TIERS:
            limit = int(need_s // (min(tier, interval_s) or 1)) + 2
            for t, agg in self.store.newest_first(tier, instance_type, before, limit):
                out.append((tier, t, agg))
                covered += min(float(tier), agg.n * interval_s)
                before = t
                if covered >= need_s:
                    return out
        return out

    def kept_index(
        self,
        instance_type: str,
        need_s: float,
        interval_s: float,
        before: float,
        cached: bool = True,
    ) -> list[tuple[int, int, int]]:
        """``(tier, t, samples)`` of the buckets :meth:`kept` would give (cheap: read the
        aggregates with :meth:`load_kept`, the ones needed only). ``cached``: the counts
        come from :attr:`kept_rows` (the same answer, from memory), else from the file."""
        newest = self.kept_rows.newest_counts if cached else self.store.newest_counts
        out: list[tuple[int, int, int]] = []
        covered = 0.0
        if need_s <= 0 or not instance_type:
            return out
        for tier in TIERS:
            limit = int(need_s // (min(tier, interval_s) or 1)) + 2
            rows = newest(tier, instance_type, before, limit)
            if not rows:
                continue
            # running time covered after each row, added up in order (what a loop adding
            # them one by one gives); the first that reaches need_s is the last taken
            sums = list(
                accumulate((min(float(tier), n * interval_s) for _, n in rows), initial=covered)
            )[1:]
            k = bisect_left(sums, need_s)
            out.extend((tier, t, n) for t, n in rows[: k + 1])
            if k < len(rows):
                return out
            covered, before = sums[-1], rows[-1][0]
        return out

    def load_kept(self, instance_type: str, part: list[tuple[int, int, int]]) -> list[Aggregate]:
        """The aggregates of some of :meth:`kept_index`'s buckets, in its order."""
        out = []
        for tier in {tier for tier, _, _ in part}:
            ts = [t for k, t, _ in part if k == tier]
            found = self.store.type_buckets(tier, instance_type, min(ts), max(ts))
            out.extend(((tier, t), found.get(t, Aggregate())) for t in ts)
        by_key = dict(out)
        return [by_key[(tier, t)] for tier, t, _ in part]
