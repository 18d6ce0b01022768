"""A bounded property-based run of the whole REST API: schemathesis
against a live server and the shipped openapi.yaml, every operation, every check (but the
two scripts/fuzz_api.py explains), no 5xx, every response valid against the document.
Deterministic, so a failure reproduces; `python scripts/fuzz_api.py` is the long run."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from fuzz_api import run_fuzz  # noqa: E402


def test_the_api_survives_schemathesis() -> None:
    result = run_fuzz(max_examples=30, deterministic=True)
    print(result.summary())
    assert result.exit_code == 0, result.output[-20000:]
    assert result.failures == [] and result.errors == []
    assert result.operations_tested == 19  # 11, the 5 job operations, the 2 of elsewhere, ledger
    assert result.server_errors == 0 and result.server_alive
    assert result.requests >= 300  # the run did reach the server
