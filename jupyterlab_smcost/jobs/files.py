"""What a job ships: the notebook or script, the files and folders ``include`` names and the
requirements file, all under the server root, bounded. Checked before anything is uploaded."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Optional

from ..errors import bad_input
from ..requests import JobRequest

#: at most this much is shipped to one job (more belongs in S3, read by the code)
MAX_SHIP_BYTES = 512 * 1024 * 1024
MAX_SHIP_FILES = 2000
#: never shipped from an included folder
SKIPPED_DIRS = {".git", ".ipynb_checkpoints", "__pycache__", ".venv", "node_modules"}
KINDS = {".ipynb": "notebook", ".py": "script"}


@dataclass(frozen=True)
class Shipment:
    """The files to upload: (absolute path, path relative to the root) each."""

    source: str  # the notebook or script, relative to the root
    kind: str  # notebook | script
    files: tuple[tuple[Path, str], ...]
    total_bytes: int
    kernel: Optional[str] = None  # the notebook's kernelspec name

    @property
    def folder(self) -> str:
        """The notebook's folder, relative to the root ("" at the root)."""
        parent = str(PurePosixPath(self.source).parent)
        return "" if parent == "." else parent


def resolve(root: Path, given: str, what: str) -> Path:
    """``given`` (relative to the root) as an absolute path inside the root, existing."""
    rel = given.strip().lstrip("/")
    try:
        path = (root / rel).resolve()
        exists = path.exists()
    except (OSError, ValueError) as e:  # a name too long for the file system...
        raise bad_input(f"{what} is not a usable path: {e}", "path_missing") from e
    if path != root and root not in path.parents:
        raise bad_input(
            f"{what} {given!r} is outside the server root", "path_outside_root", path=given
        )
    if not exists:
        raise bad_input(
            f"{what} {given!r} does not exist under the server root", "path_missing", path=given
        )
    return path


def kernel_of(notebook: Path) -> Optional[str]:
    """The notebook's kernelspec name, as saved on disk."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise bad_input(f"{notebook.name} is not a notebook (JSON): {e}", "invalid_notebook") from e
    spec = (nb.get("metadata") or {}).get("kernelspec") or {}
    return spec.get("name") if isinstance(spec.get("name"), str) else None


def collect(root: Path, request: JobRequest) -> Shipment:
    """The files a job ships, checked: inside the root, existing, a notebook or a script,
    within :data:`MAX_SHIP_FILES` and :data:`MAX_SHIP_BYTES`."""
    root = root.resolve()
    source = resolve(root, request.path, "path")
    kind = KINDS.get(source.suffix.lower())
    if kind is None or not source.is_file():
        raise bad_input(
            f"path {request.path!r} must be a notebook (.ipynb) or a Python script (.py)",
            "invalid_path",
            path=request.path,
        )
    if request.parameters and kind != "notebook":
        raise bad_input("parameters are for notebooks (papermill) only", "invalid_input")
    picked: dict[str, Path] = {}

    def add(path: Path) -> None:
        real = path.resolve()
        if real != root and root not in real.parents:
            return  # a link inside an included folder to outside the root: not shipped
        picked[path.relative_to(root).as_posix()] = real
        if len(picked) > MAX_SHIP_FILES:
            raise bad_input(
                f"the job would ship more than {MAX_SHIP_FILES} files: include less "
                "(or read large data from S3 in the code)",
                "too_large",
            )

    add(source)
    extra = list(request.include) + ([request.requirements] if request.requirements else [])
    for given in extra:
        path = resolve(root, given, "include" if given != request.requirements else "requirements")
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
                for name in sorted(filenames):
                    add(Path(dirpath) / name)
        else:
            add(path)
    total = 0
    for path in picked.values():
        total += path.stat().st_size
        if total > MAX_SHIP_BYTES:
            raise bad_input(
                f"the job would ship more than {MAX_SHIP_BYTES // (1024 * 1024)} MiB: include "
                "less (or read large data from S3 in the code)",
                "too_large",
            )
    rel = source.relative_to(root).as_posix()
    return Shipment(
        source=rel,
        kind=kind,
        files=tuple((p, r) for r, p in sorted(picked.items())),
        total_bytes=total,
        kernel=kernel_of(source) if kind == "notebook" else None,
    )
