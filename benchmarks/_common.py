"""Shared bits for the benchmarks: they reuse the tests' subprocess server helper."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.server_proc import TOKEN, ServerProcess, kernel_client  # noqa: E402,F401
