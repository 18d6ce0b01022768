"""A stateful SageMaker Studio stand-in over HTTP for what moto does not implement (user
profiles, spaces, apps, Studio lifecycle configurations), at fleet scale.

It speaks SageMaker's wire protocol (awsJson1_1), checks every request against botocore's
model of the operation (and, with ``check_responses``, every answer against the output
shape), pages listings with an opaque ``NextToken`` (at most ``MaxResults``, 100 by model),
and can throttle: ``rate`` requests per second over all operations (a token bucket, as AWS
meters), and ``throttle_next(op, n)`` answers the next ``n`` calls of ``op`` with
``ThrottlingException``. ``calls`` records (operation, params) of every request, throttled
or not. Point boto3 at it with ``AWS_ENDPOINT_URL_SAGEMAKER`` or ``endpoint_url``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

import botocore.session
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

_MODEL = botocore.session.get_session().get_service_model("sagemaker")
ACCOUNT = "123456789012"


class NotFound(Exception):
    pass


def _wire(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else str(value)


def _token(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


class StudioStandin:
    def __init__(
        self, region: str = "eu-west-1", rate: Optional[float] = None, check_responses: bool = True
    ) -> None:
        self.region = region
        self.domains: dict[str, dict[str, Any]] = {}
        self.users: dict[tuple[str, str], dict[str, Any]] = {}
        self.spaces: dict[tuple[str, str], dict[str, Any]] = {}
        self.apps: list[dict[str, Any]] = []
        self.configs: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.throttled: list[tuple[str, dict[str, Any]]] = []
        self.problems: list[str] = []
        #: (operation, name) answered ResourceNotFound: gone between a listing and a describe
        self.gone: set[tuple[str, str]] = set()
        self.check_responses = check_responses
        self._throttle_next: dict[str, int] = {}
        self._throttle_after: dict[str, int] = {}
        self._rate = rate
        self._burst = max(1.0, (rate or 0.0) / 10)  # a tenth of a second's worth
        self._tokens = self._burst
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- state
    def arn(self, kind: str, *parts: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{ACCOUNT}:{kind}/" + "/".join(parts)

    def add_domain(self, domain_id: str, **settings: Any) -> None:
        self.domains[domain_id] = {
            "DomainId": domain_id,
            "DomainArn": self.arn("domain", domain_id),
            "DomainName": domain_id,
            "Status": "InService",
            "AuthMode": "IAM",
            "CreationTime": datetime(2026, 1, 1, tzinfo=timezone.utc),
            **settings,
        }

    def add_user(self, domain_id: str, name: str, **settings: Any) -> None:
        self.users[(domain_id, name)] = {
            "DomainId": domain_id,
            "UserProfileArn": self.arn("user-profile", domain_id, name),
            "UserProfileName": name,
            "Status": "InService",
            "CreationTime": datetime(2026, 1, 2, tzinfo=timezone.utc),
            **settings,
        }

    def add_space(
        self,
        domain_id: str,
        name: str,
        owner: Optional[str] = None,
        app_type: str = "JupyterLab",
        settings: Optional[dict[str, Any]] = None,
    ) -> None:
        d: dict[str, Any] = {
            "DomainId": domain_id,
            "SpaceArn": self.arn("space", domain_id, name),
            "SpaceName": name,
            "Status": "InService",
            "CreationTime": datetime(2026, 1, 3, tzinfo=timezone.utc),
            "SpaceSettings": {"AppType": app_type, **(settings or {})},
            "SpaceSharingSettings": {"SharingType": "Private" if owner else "Shared"},
        }
        if owner:
            d["OwnershipSettings"] = {"OwnerUserProfileName": owner}
        self.spaces[(domain_id, name)] = d

    def add_app(
        self,
        domain_id: str,
        space: str,
        app_type: str = "JupyterLab",
        instance_type: str = "ml.t3.medium",
        status: str = "InService",
        created: Optional[datetime] = None,
        last_activity: Optional[datetime] = None,
        lifecycle_config_arn: Optional[str] = None,
        name: str = "default",
    ) -> None:
        spec: dict[str, Any] = {"InstanceType": instance_type}
        if lifecycle_config_arn:
            spec["LifecycleConfigArn"] = lifecycle_config_arn
        app: dict[str, Any] = {
            "DomainId": domain_id,
            "SpaceName": space,
            "AppType": app_type,
            "AppName": name,
            "Status": status,
            "CreationTime": created or datetime(2026, 12, 1, tzinfo=timezone.utc),
            "ResourceSpec": spec,
            "AppArn": self.arn("app", domain_id, space, app_type.lower(), name),
        }
        if last_activity:
            app["LastUserActivityTimestamp"] = last_activity
        self.apps.append(app)

    def add_config(self, name: str, content: str, app_type: str = "JupyterLab") -> str:
        arn = self.arn("studio-lifecycle-config", name)
        self.configs[name] = {
            "StudioLifecycleConfigArn": arn,
            "StudioLifecycleConfigName": name,
            "StudioLifecycleConfigContent": content,
            "StudioLifecycleConfigAppType": app_type,
            "CreationTime": datetime(2026, 1, 1, tzinfo=timezone.utc),
        }
        return arn

    def throttle_next(self, operation: str, n: int, after: int = 0) -> None:
        """Answer ``n`` calls of ``operation`` with ThrottlingException, after ``after``
        more calls of it have been answered."""
        with self._lock:
            self._throttle_next[operation] = n
            self._throttle_after[operation] = after

    def count(self, operation: Optional[str] = None) -> int:
        return sum(1 for op, _ in self.calls if operation is None or op == operation)

    # -- operations
    @staticmethod
    def _page(items: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
        start = 0
        if params.get("NextToken"):
            start = int(base64.b64decode(params["NextToken"]).decode().split(":")[1])
        size = int(params.get("MaxResults") or 10)
        out: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            out["NextToken"] = _token(start + size)
        return out

    def _op(self, op: str, p: dict[str, Any]) -> dict[str, Any]:
        dom = p.get("DomainIdEquals")
        for key in ("SpaceName", "UserProfileName", "AppName"):
            if (op, p.get(key)) in self.gone:
                raise NotFound(f"{p.get(key)}")
        if op == "DescribeDomain":
            return self._get(self.domains, p["DomainId"])
        if op == "DescribeUserProfile":
            return self._get(self.users, (p["DomainId"], p["UserProfileName"]))
        if op == "DescribeSpace":
            return self._get(self.spaces, (p["DomainId"], p["SpaceName"]))
        if op == "DescribeStudioLifecycleConfig":
            return self._get(self.configs, p["StudioLifecycleConfigName"])
        if op == "DescribeApp":
            for a in self.apps:
                if all(a.get(k) == v for k, v in p.items()):
                    return a
            raise NotFound(f"app {p}")
        if op == "ListDomains":
            keys = ("DomainId", "DomainArn", "DomainName", "Status", "CreationTime")
            items = [{k: d[k] for k in keys} for d in self.domains.values()]
            return self._page(items, p, "Domains")
        if op == "ListUserProfiles":
            items = [
                {k: u[k] for k in ("DomainId", "UserProfileName", "Status", "CreationTime")}
                for (d, _), u in self.users.items()
                if dom in (None, d)
            ]
            return self._page(items, p, "UserProfiles")
        if op == "ListSpaces":
            items = []
            for (d, _), s in self.spaces.items():
                if dom not in (None, d):
                    continue
                item = {k: s[k] for k in ("DomainId", "SpaceName", "Status", "CreationTime")}
                item["SpaceSettingsSummary"] = {"AppType": s["SpaceSettings"]["AppType"]}
                item["SpaceSharingSettingsSummary"] = s["SpaceSharingSettings"]
                if "OwnershipSettings" in s:
                    item["OwnershipSettingsSummary"] = s["OwnershipSettings"]
                items.append(item)
            return self._page(items, p, "Spaces")
        if op == "ListApps":
            keys = (
                "DomainId",
                "SpaceName",
                "UserProfileName",
                "AppType",
                "AppName",
                "Status",
                "CreationTime",
                "ResourceSpec",
            )
            items = [
                {k: a[k] for k in keys if k in a}
                for a in self.apps
                if dom in (None, a["DomainId"])
                and p.get("SpaceNameEquals") in (None, a.get("SpaceName"))
                and p.get("UserProfileNameEquals") in (None, a.get("UserProfileName"))
            ]
            return self._page(items, p, "Apps")
        if op in ("UpdateDomain", "UpdateUserProfile"):
            return (
                {"DomainArn": self.arn("domain", p["DomainId"])}
                if op == "UpdateDomain"
                else {
                    "UserProfileArn": self.arn("user-profile", p["DomainId"], p["UserProfileName"])
                }
            )
        raise KeyError(op)

    @staticmethod
    def _get(table: dict[Any, Any], key: Any) -> dict[str, Any]:
        if key not in table:
            raise NotFound(str(key))
        return table[key]

    def _admit(self, op: str) -> bool:
        with self._lock:
            if self._throttle_next.get(op):
                if self._throttle_after.get(op):
                    self._throttle_after[op] -= 1
                else:
                    self._throttle_next[op] -= 1
                    return False
            if self._rate is None:
                return True
            now = time.monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True

    def _reply(self, op: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append((op, params))
        try:
            validate_parameters(params, _MODEL.operation_model(op).input_shape)
        except ParamValidationError as e:
            self.problems.append(f"{op}: {e}")
            return 400, {"__type": "ValidationException", "message": str(e)}
        except Exception as e:  # an operation the model does not have
            self.problems.append(f"unknown operation {op}: {e}")
            return 400, {"__type": "UnknownOperationException", "message": op}
        if not self._admit(op):
            self.throttled.append((op, params))
            return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        try:
            out = self._op(op, params)
        except NotFound as e:
            return 400, {"__type": "ResourceNotFound", "message": f"{e} does not exist"}
        except KeyError:
            self.problems.append(f"unexpected call {op}({params})")
            return 400, {"__type": "UnknownOperationException", "message": op}
        if self.check_responses:
            try:
                validate_parameters(out, _MODEL.operation_model(op).output_shape)
            except ParamValidationError as e:
                self.problems.append(f"{op} answer: {e}")
        return 200, out

    # -- server
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StudioStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each answer waits for a delayed ACK

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                target = self.headers.get("X-Amz-Target", "")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    params = json.loads(body or b"{}")
                except ValueError:
                    params = {}
                status, doc = standin._reply(target.partition(".")[2], params)
                raw = json.dumps(doc, default=_wire).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", "standin")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
