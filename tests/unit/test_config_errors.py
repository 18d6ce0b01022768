"""An administrator's configuration mistake never drops the administrator's policy: each
bad value is recorded with a sentence and the trait keeps its previous value; the rest of
the policy holds (in a server: server/test_config_errors_server.py, and a real process:
subprocess/test_config_errors_process.py)."""

from __future__ import annotations

from typing import Any

import pytest
from traitlets.config import Config

from jupyterlab_smcost.app import SmCostApp


def load(config: dict[str, Any]) -> SmCostApp:
    app = SmCostApp()
    app.update_config(Config({"SmCostApp": config}))
    return app


@pytest.mark.parametrize(
    "config, error",
    [
        ({"idle_timeout": "1800"}, "SmCostApp.idle_timeout: expected an int, not the str '1800'"),
        (
            {"environment": "moon"},
            "SmCostApp.environment: expected any of ['auto', 'local', 'notebook-instance', "
            "'studio-classic', 'studio-space'], not the str 'moon'",
        ),
        ({"usage_window": 0}, "SmCostApp.usage_window: must be from 1 to 31622400 seconds, not 0"),
        (
            {"warning_period": -5},
            "SmCostApp.warning_period: must be from 0 to 31622400 seconds (a year), not -5",
        ),
        (
            {"idle_timeout": 300000000000},
            "SmCostApp.idle_timeout: must be from 0 to 31622400 seconds (a year), not 300000000000",
        ),
        (
            {"idle_timeout_by_price": {"cheap": 900}},
            "SmCostApp.idle_timeout_by_price: must map per-hour price thresholds (in the "
            "region's currency: USD, CNY in the AWS China regions) to seconds, e.g. "
            "{'2.0': 900}: could not convert string to float: 'cheap'",
        ),
        (
            {"environment_class": "builtins.dict"},
            "SmCostApp.environment_class: expected a subclass of "
            "'jupyterlab_smcost.environments.base.Environment' or None, not the dict dict",
        ),
        (
            {"environment_class": "no.such.Environment"},
            "SmCostApp.environment_class: must be a type, but 'no.such.Environment' could not "
            "be imported",
        ),
        (
            {"usage_source_class": "jupyterlab_smcost.usage.Reading"},
            "SmCostApp.usage_source_class: expected a subclass of "
            "'jupyterlab_smcost.usage.readings.Source', not the Reading Reading",
        ),
        (
            {"aws_client_factory": "boto3.client"},
            "SmCostApp.aws_client_factory: expected a callable, not the str 'boto3.client'",
        ),
        (
            {"dry_rnu": True},
            "SmCostApp.dry_rnu: not an option of this extension (did you mean dry_run?)",
        ),
    ],
)
def test_each_mistake_is_recorded_and_the_rest_of_the_policy_kept(
    config: dict[str, Any], error: str
) -> None:
    app = load({"dry_run": True, "instance_type": "ml.m5.large", **config})
    assert app.check_config() == [error]
    assert app.dry_run is True and app.instance_type == "ml.m5.large"


def test_a_later_good_value_clears_the_error_and_bounds_are_checked_together() -> None:
    app = load({"idle_timeout": "abc"})
    app.update_config(Config({"SmCostApp": {"idle_timeout": 1800}}))
    assert app.idle_timeout == 1800 and app.check_config() == []
    app = load({"min_idle_timeout": 600, "max_idle_timeout": 60})
    assert app.check_config() == [
        "SmCostApp.max_idle_timeout: 60 is below SmCostApp.min_idle_timeout (600)"
    ]


def test_messages_quote_a_long_value_short() -> None:
    app = load({"region": 5, "instance_type": ["x" * 10_000]})
    (message,) = [m for m in app.check_config() if "instance_type" in m]
    assert len(message) < 300 and message.endswith("…")
