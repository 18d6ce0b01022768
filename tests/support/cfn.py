"""cfn-lint on a template, from the test environment (it is in the test extras)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def cfn_lint(template: Path) -> subprocess.CompletedProcess:
    """Run cfn-lint on ``template``; fails the test when cfn-lint is not installed."""
    exe = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which(
        "cfn-lint"
    )
    assert exe, "cfn-lint is in the test extras (pip install -e '.[test]')"
    return subprocess.run([exe, str(template)], capture_output=True, text=True, timeout=120)
