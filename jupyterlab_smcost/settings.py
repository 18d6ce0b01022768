"""Users' idle settings: validated against the admin's bounds, persisted atomically."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Optional

from .errors import SmCostError, bad_input, unavailable
from .requests import MAX_SECONDS, IdleSettingsUpdate, parse_idle_update

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdleSettings:
    enabled: bool
    timeout_s: int
    ignore_connections: bool
    count_terminals: bool
    warning_s: int
    #: sustained CPU/GPU work outside kernels and terminals blocks shutdown (background/)
    count_background: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


#: no timeout may exceed this: a year, the longest span a request may give
MAX_TIMEOUT_S = MAX_SECONDS


@dataclass(frozen=True)
class Bounds:
    """Admin policy: what users may set. ``max_timeout_s`` 0 means no upper bound."""

    min_timeout_s: int = 60
    max_timeout_s: int = 0

    def clamp(self, timeout_s: int) -> int:
        t = max(timeout_s, self.min_timeout_s)
        return min(t, self.max_timeout_s or MAX_TIMEOUT_S)

    def describe(self) -> str:
        if self.max_timeout_s:
            return f"between {self.min_timeout_s} and {self.max_timeout_s} seconds"
        return f"at least {self.min_timeout_s} seconds (and at most {MAX_TIMEOUT_S}, a year)"


def validate_update(
    current: IdleSettings, update: IdleSettingsUpdate, bounds: Bounds
) -> IdleSettings:
    """Apply a user's (partial) update, parsed at the edge (:mod:`.requests`); raise a 400
    SmCostError when the result breaks the idle settings' rules or the admin's bounds."""
    changes = update.changes()
    new = replace(current, **changes)
    if "timeout_s" in changes:
        t = new.timeout_s
        if t <= 0:
            raise bad_input(
                f"timeout_s must be positive, got {t}",
                "invalid_setting",
                rule="positive",
                setting="timeout_s",
                value=t,
            )
        if bounds.clamp(t) != t:
            raise bad_input(
                f"timeout_s {t} is outside the administrator's bounds: {bounds.describe()}",
                "out_of_bounds",
                rule="timeout",
                value=t,
                min=bounds.min_timeout_s,
                max=bounds.max_timeout_s or MAX_TIMEOUT_S,
            )
    if new.warning_s < 0:
        raise bad_input(
            f"warning_s must not be negative, got {new.warning_s}",
            "invalid_setting",
            rule="not_negative",
            setting="warning_s",
            value=new.warning_s,
        )
    if new.warning_s >= new.timeout_s:
        raise bad_input(
            f"warning_s ({new.warning_s}) must be shorter than timeout_s ({new.timeout_s})",
            "invalid_setting",
            rule="warning_shorter",
            warning_s=new.warning_s,
            timeout_s=new.timeout_s,
        )
    if not new.enabled and bounds.max_timeout_s:
        raise bad_input(
            "idle shutdown cannot be turned off: the administrator set a maximum idle timeout "
            f"of {bounds.max_timeout_s} seconds",
            "out_of_bounds",
            rule="cannot_turn_off",
            max=bounds.max_timeout_s,
        )
    return new


class SettingsStore:
    """Holds the current settings; saves them as JSON (atomic replace) on every change."""

    def __init__(self, path: Optional[Path], defaults: IdleSettings, bounds: Bounds) -> None:
        self.path = path
        self.bounds = bounds
        self._lock = threading.Lock()
        self._settings = self._load(defaults)

    @property
    def settings(self) -> IdleSettings:
        return self._settings

    def _load(self, defaults: IdleSettings) -> IdleSettings:
        loaded = defaults
        if self.path:
            self._remove_stale_temp_files()
        if self.path and self.path.exists():
            try:
                raw = json.loads(self.path.read_text())
                # parsed and validated exactly as a PUT would be, except for the admin's
                # bounds, which may have changed since the user saved: those clamp below
                loaded = validate_update(defaults, parse_idle_update(raw), Bounds(1))
            except (OSError, ValueError, RecursionError, SmCostError) as e:
                reason = e.message if isinstance(e, SmCostError) else str(e)
                log.warning(
                    "smcost: ignoring the saved idle settings in %s (using the defaults): %s",
                    self.path,
                    reason,
                )
                loaded = defaults
        timeout = self.bounds.clamp(loaded.timeout_s)
        enabled = loaded.enabled or bool(self.bounds.max_timeout_s)
        warning = min(max(loaded.warning_s, 0), max(timeout - 1, 0))
        return replace(loaded, timeout_s=timeout, enabled=enabled, warning_s=warning)

    def update(self, update: IdleSettingsUpdate) -> IdleSettings:
        with self._lock:
            new = validate_update(self._settings, update, self.bounds)
            try:
                self._save(new)
            except OSError as e:
                raise unavailable(
                    f"cannot save the idle settings to {self.path}: {e.strerror or e}; "
                    "nothing was changed",
                    "settings_unwritable",
                    path=str(self.path),
                    detail=str(e.strerror or e),
                ) from e
            self._settings = new
            return new

    #: a temporary file older than this is a leftover of a writer that was killed
    STALE_TEMP_S = 60.0

    def _remove_stale_temp_files(self) -> None:
        assert self.path is not None
        try:
            leftovers = list(self.path.parent.glob(".settings-*.tmp"))
        except OSError:
            return
        cutoff = time.time() - self.STALE_TEMP_S
        for tmp in leftovers:
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
            except OSError:
                pass  # gone already, or not ours to remove

    def _save(self, settings: IdleSettings) -> None:
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temp_files()
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".settings-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(settings.to_json(), f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
