"""Admin traits: validation of config values."""

from __future__ import annotations

import pytest
from traitlets import TraitError

from jupyterlab_smcost.app import SmCostApp
from jupyterlab_smcost.environments import (
    Environment,
    LocalEnvironment,
    StudioClassicEnvironment,
)


def test_by_price_keys_become_floats() -> None:
    app = SmCostApp(idle_timeout_by_price={"2.0": 900, "10": "300"})
    assert app.idle_timeout_by_price == {2.0: 900, 10.0: 300}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"idle_timeout_by_price": {"cheap": 900}},
        {"idle_timeout": -1},
        {"warning_period": -5},
        {"environment": "mars"},
    ],
)
def test_bad_admin_config_is_refused(kwargs: dict) -> None:
    with pytest.raises((TraitError, ValueError)):
        SmCostApp(**kwargs)


def test_every_environment_declares_whether_usage_measures_its_instance() -> None:
    assert Environment.usage_measures_instance is True
    assert LocalEnvironment.usage_measures_instance is True
    assert StudioClassicEnvironment.usage_measures_instance is False
