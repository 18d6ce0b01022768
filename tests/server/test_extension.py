"""The extension in a real jupyter_server: the service starts in the start hook, never from
a route; local mode accepts the types whose specs are known."""

from __future__ import annotations

from typing import Any

import pytest

from jupyterlab_smcost.errors import SmCostError
from jupyterlab_smcost.pricing import PriceBook
from jupyterlab_smcost.requests import IdleSettingsUpdate, SwitchRequest


def test_routes_never_start_the_service_the_start_hook_does(
    jp_configurable_serverapp: Any, jp_asyncio_loop: Any
) -> None:
    app = jp_configurable_serverapp()  # initialized; its start hooks not run yet
    svc = app.web_app.settings["smcost_service"]

    async def use_every_route() -> None:
        await svc.status()
        await svc.keepalive()
        await svc.put_idle(IdleSettingsUpdate(timeout_s=600))
        await svc.price_table()
        await svc.recommendations()
        with pytest.raises(SmCostError):
            await svc.start_switch(SwitchRequest("ml.m5.large"))  # local: 409

    jp_asyncio_loop.run_until_complete(use_every_route())
    assert not svc._started and not svc.idle._running
    jp_asyncio_loop.run_until_complete(app.extension_manager.start_all_extensions())
    assert svc._started and svc.idle._running


def test_local_mode_accepts_the_types_with_known_specs(smcost_service: Any) -> None:
    env = smcost_service.env
    assert env.valid_instance_types() == PriceBook().known_types()
    assert "ml.g4dn.xlarge" in env.valid_instance_types()
