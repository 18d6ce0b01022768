"""Shared fixtures for every tier: a real jupyter_server (pytest-jupyter) with the extension
enabled, and the moto servers of tests/support (``moto_endpoint``, ``aws``...).

The tiers: unit/ (pure, no server), server/ (in-process server), subprocess/ (real server
and other processes), aws/ (moto and Stubber doubles), release/ (packages, sandboxes),
browser/ (Chromium; its own conftest, run in its own process). Helpers live in
tests/support/, a package imported as ``support`` (this folder is on the path: pytest puts
a rootdir conftest's folder there), so that no two modules share a name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server", "support.moto_env", "support.moto_server")


@pytest.fixture
def smcost_config() -> dict[str, Any]:
    """Override per test (e.g. with ``@pytest.mark.parametrize`` or a local fixture)."""
    return {}


@pytest.fixture
def jp_server_config(tmp_path: Path, smcost_config: dict[str, Any]) -> dict[str, Any]:
    cfg = {
        "instance_type": "ml.m5.xlarge",
        "region": "us-east-1",
        "live_prices": False,
        "settings_file": str(tmp_path / "smcost" / "idle-settings.json"),
        "price_cache_dir": str(tmp_path / "smcost" / "prices"),
        "history_file": str(tmp_path / "smcost" / "history.sqlite"),
        "job_records_file": str(tmp_path / "smcost" / "jobs.json"),
        "metadata_path": str(tmp_path / "no-such-metadata.json"),
    }
    cfg.update(smcost_config)
    return {
        "ServerApp": {"jpserver_extensions": {"jupyterlab_smcost": True}},
        "SmCostApp": cfg,
    }


@pytest.fixture
def jp_serverapp(
    jp_server_config: dict[str, Any],
    jp_argv: list[str],
    jp_configurable_serverapp: Any,
    jp_asyncio_loop: Any,
) -> Any:
    """pytest-jupyter's server, with the extensions' start hooks run as ``ServerApp.start``
    runs them once its event loop is up (pytest-jupyter never starts the loop that way):
    the extension starts its service there, never lazily from a route."""
    app = jp_configurable_serverapp(config=jp_server_config, argv=jp_argv)
    jp_asyncio_loop.run_until_complete(app.extension_manager.start_all_extensions())
    return app


@pytest.fixture
def smcost_service(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["smcost_service"]
