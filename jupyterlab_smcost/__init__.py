"""jupyterlab-smcost: SageMaker cost, idle shutdown and right-sizing inside JupyterLab."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree without a build
    __version__ = "dev"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-smcost"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .app import SmCostApp

    return [{"module": "jupyterlab_smcost", "app": SmCostApp}]
