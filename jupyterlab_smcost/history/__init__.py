"""What this instance did over time, kept across restarts in one small SQLite file.

- :mod:`.store`: the SQLite file (usage per minute and per hour, running spans with the price
  in force), bounded and self-repairing; :mod:`.schema` its tables and migrations,
  :mod:`.spans` the billed records it keeps;
- :mod:`.recorder`: what feeds it (the usage sampler's readings, what is billed now);
- :mod:`.reports`: what is read back (usage series, the recommendation window, spend);
- the ledger of what idle stops and switches saved (issue 19): :mod:`.events` (its table
  in the same file), :mod:`.ledger` (the definition, pure), :mod:`.ledger_report`
  (``GET smcost/ledger``).
"""

from __future__ import annotations

from .recorder import HistoryRecorder
from .reports import (
    MAX_POINTS,
    STEPS,
    choose_step,
    iter_days,
    read_usage,
    series,
    spend,
    window_summary,
)
from .schema import DAY, HOUR, KEPT_S, MAX_ROWS, MINUTE, BucketKey
from .spans import Running, Span
from .store import HistoryStore

__all__ = [
    "DAY",
    "HOUR",
    "KEPT_S",
    "MAX_POINTS",
    "MAX_ROWS",
    "MINUTE",
    "STEPS",
    "BucketKey",
    "HistoryRecorder",
    "HistoryStore",
    "Running",
    "Span",
    "choose_step",
    "iter_days",
    "read_usage",
    "series",
    "spend",
    "window_summary",
]
