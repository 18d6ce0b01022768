"""Real-browser tests: a real `jupyter lab` subprocess and Debian Chromium through
Python playwright (never `playwright install`).

Markers: `browser` (these tests; deselect with `-m "not browser"`) and `compat`
(JupyterLab 4.4/4.5/4.6 wheel checks, skipped unless SMCOST_COMPAT=1).

The server loads the labextension built in this checkout
(`jupyterlab_smcost/labextension`, from `jlpm build:prod`) through a temporary
JUPYTER_PATH, so the tests check the current build whatever is installed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from smcost_browser import CHROMIUM, CHROMIUM_ARGS, Console, LabServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: real-browser test (Chromium + jupyter lab)")
    config.addinivalue_line(
        "markers", "compat: wheel in JupyterLab 4.4/4.5/4.6 (opt-in: SMCOST_COMPAT=1)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    mixed = any(here not in Path(str(item.fspath)).resolve().parents for item in items)
    if mixed:
        # playwright's sync API leaves an event loop running in this thread, which breaks
        # the pytest-jupyter tests collected with these: run them in their own process
        own = pytest.mark.skip(
            reason="run tests/browser in its own pytest process (scripts/test.sh does)"
        )
        for item in items:
            if here in Path(str(item.fspath)).resolve().parents:
                item.add_marker(own)
        return
    if os.environ.get("SMCOST_COMPAT") == "1":
        return
    skip = pytest.mark.skip(reason="compatibility check is opt-in: set SMCOST_COMPAT=1")
    for item in items:
        if "compat" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[Any]:
    """A factory: `lab_server(extra_args=[...])`; every server is stopped at teardown."""
    servers: list[LabServer] = []

    def start(**kwargs: Any) -> LabServer:
        server = LabServer(tmp_path / f"lab{len(servers)}", **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 1100})
    page = context.new_page()
    page.console = Console(page)  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[Any]:
    """Override pytest-jupyter's autouse loop: these tests drive playwright's sync API,
    which runs its own loop in this thread; closing that one at teardown fails."""
    import asyncio

    loop = asyncio.new_event_loop()
    yield loop
    loop.close()
