"""Where the extension keeps what must survive a restart (users' idle settings, the live price
cache, the usage history), per environment. One answer for the server extension and the CLI:
``jupyter smcost prices --refresh`` fills the cache the server reads.

- notebook instance: ``/home/ec2-user/SageMaker/.smcost``. The root volume, ``~/.local`` and
  the Jupyter data dir with it, is rebuilt at every start; only the notebook volume mounted at
  ``/home/ec2-user/SageMaker`` persists (``~/SageMaker`` when the server runs as another user).
- everywhere else: ``<jupyter data dir>/smcost`` (the home volume, in Studio).

A path the administrator configured wins. No jupyter import at module level: the CLI and the
Lambda handlers import this without jupyter_server.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

#: a notebook instance's ML storage volume: the only place that survives a stop
NOTEBOOK_VOLUME = Path("/home/ec2-user/SageMaker")
#: the folder of the state, in the Jupyter data dir / (hidden) on the notebook volume
DATA_DIR_FOLDER = "smcost"
VOLUME_FOLDER = ".smcost"


def jupyter_data_dir() -> Path:
    """jupyter_core's data dir (``JUPYTER_DATA_DIR``, else the platform's); the same rules
    without jupyter_core where only the standard library and boto3 are installed."""
    try:
        from jupyter_core.paths import jupyter_data_dir as from_jupyter
    except ImportError:
        return _data_dir_without_jupyter()
    return Path(from_jupyter())


def _data_dir_without_jupyter() -> Path:
    data = os.environ.get("JUPYTER_DATA_DIR")
    if data:
        return Path(data)
    home = Path.home().resolve()
    if sys.platform == "darwin":
        return home / "Library" / "Jupyter"
    if os.name == "nt":
        appdata = os.environ.get("APPDATA")
        return Path(appdata, "jupyter").resolve() if appdata else home / ".jupyter" / "data"
    xdg = os.environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(xdg) / "jupyter"


def state_dir(kind: str, *, notebook_volume: Path = NOTEBOOK_VOLUME) -> Path:
    """The folder that survives a restart where an environment of ``kind`` (as
    :func:`~jupyterlab_smcost.environments.detect` names it) runs."""
    if kind == "notebook-instance":
        volume = notebook_volume if notebook_volume.is_dir() else Path.home() / "SageMaker"
        return volume / VOLUME_FOLDER
    return jupyter_data_dir() / DATA_DIR_FOLDER


def state_path(
    configured: Optional[str | Path],
    kind: str,
    name: str,
    *,
    notebook_volume: Path = NOTEBOOK_VOLUME,
) -> Path:
    """The administrator's path (``~`` expanded) if given, else ``name`` in :func:`state_dir`."""
    if configured:
        return Path(configured).expanduser()
    return state_dir(kind, notebook_volume=notebook_volume) / name
