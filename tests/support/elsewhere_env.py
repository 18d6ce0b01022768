"""``SmCostApp.environment_class`` for the browser test of "Still running elsewhere": local
mode for everything else, a Studio space's identity and Stubber-backed AWS clients (the
canned answers of :mod:`support.elsewhere_stubs`) for the elsewhere listing and Stop."""

from __future__ import annotations

import threading
from typing import Any

from jupyterlab_smcost.environments import LocalEnvironment
from support.elsewhere_stubs import D, stub_listing
from support.sm_stub import stubbed


class ElsewhereStudio(LocalEnvironment):
    domain_id = D
    space_name = "alice-space"
    app_type = "JupyterLab"
    app_name = "default"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        with self._lock:
            if not self._clients:
                sm, sm_stub = stubbed("sagemaker")
                tagging, tag_stub = stubbed("resourcegroupstaggingapi")
                cw, cw_stub = stubbed("cloudwatch")
                stub_listing(sm_stub, tag_stub, cw_stub, endpoint_invocations=[])
                sm_stub.add_response(
                    "delete_app",
                    {},
                    {
                        "DomainId": D,
                        "SpaceName": "alice-gpu",
                        "AppType": "JupyterLab",
                        "AppName": "default",
                    },
                )
                self._clients = {
                    "sagemaker": sm,
                    "resourcegroupstaggingapi": tagging,
                    "cloudwatch": cw,
                }
            return self._clients[service]
