"""Read a Studio domain for the fleet report: its user profiles, spaces and running apps.

Few calls, bounded, resumable:

- one listing each of user profiles, spaces and apps for the whole domain (pages of 100,
  at most ``max_pages`` each): never one listing per space;
- ``DescribeApp`` only for InService apps (the last activity SageMaker records is not in
  ``ListApps``), ``DescribeSpace`` only for the spaces running one, ``DescribeUserProfile``
  only for their owners, each Studio lifecycle configuration once; from ``workers`` threads;
- botocore's ``adaptive`` retry mode (client-side rate limiting) absorbs throttling; when its
  attempts are spent, :func:`..aws.sagemaker.call` waits and asks for the *same page* again:
  a throttled listing resumes from its ``NextToken``, it never starts over.

boto3 only (no jupyter import); every AWS failure is an :class:`~..aws.errors.AwsError`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional

from botocore.exceptions import ClientError

from ..aws.errors import AwsError, aws_errors, error_code, is_throttling
from ..aws.lifecycle_script import decode, parse
from ..aws.sagemaker import Sleep, call

PAGE_SIZE = 100  # the most List* answers in one page
MAX_PAGES = 200  # per listing: 20,000 items
WORKERS = 8
#: after botocore's own attempts: how many more times one page or describe is asked again
RESUME_ATTEMPTS = 6


@dataclass
class DomainData:
    """What was read; ``describes`` hold the Describe* answers by name."""

    domain_id: str
    region: str
    domain: dict[str, Any]
    user_profiles: list[dict[str, Any]]
    spaces: list[dict[str, Any]]
    apps: list[dict[str, Any]]  # InService apps: ListApps' item merged with DescribeApp's answer
    space_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: lifecycle configuration ARN -> the smcost policy in it (None: not ours, or unreadable)
    smcost_policies: dict[str, Optional[dict[str, Any]]] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)  # listings cut at max_pages
    retried_calls: int = 0  # pages and describes asked again after throttling (resumed)
    problems: list[str] = field(default_factory=list)  # what could not be read (sentences)


class DomainReader:
    """Reads one domain through one SageMaker client (thread-safe, as boto3 clients are)."""

    def __init__(
        self,
        sm: Any,
        *,
        sleep: Sleep = time.sleep,
        max_pages: int = MAX_PAGES,
        workers: int = WORKERS,
        resume_attempts: int = RESUME_ATTEMPTS,
        base_delay: float = 1.0,
    ) -> None:
        self.sm = sm
        self.sleep = sleep
        self.max_pages = max_pages
        self.workers = workers
        self.resume_attempts = resume_attempts
        self.base_delay = base_delay
        self._retried = 0
        self._lock = threading.Lock()

    # -- calls
    def _call(self, operation: str, action: str, **params: Any) -> dict[str, Any]:
        method = getattr(self.sm, operation)
        attempts = {"n": 0}

        def once(**kw: Any) -> Any:
            attempts["n"] += 1
            return method(**kw)

        with aws_errors(action):
            out = call(
                once,
                sleep=self.sleep,
                attempts=self.resume_attempts,
                base_delay=self.base_delay,
                retry_if=is_throttling,
                **params,
            )
        with self._lock:
            self._retried += attempts["n"] - 1
        return out

    def pages(
        self, operation: str, key: str, action: str, truncated: list[str], **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Every item of a listing, page after page (a throttled page is asked again with
        the same token); stops after ``max_pages`` and says so in ``truncated``."""
        token: Optional[str] = None
        for _ in range(self.max_pages):
            page_params = {**params, "MaxResults": PAGE_SIZE}
            if token:
                page_params["NextToken"] = token
            page = self._call(operation, action, **page_params)
            yield from page.get(key) or []
            token = page.get("NextToken")
            if not token:
                return
        truncated.append(f"{action}: stopped after {self.max_pages} pages of {PAGE_SIZE}")

    def _map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        if len(items) <= 1 or self.workers <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(fn, items))

    def _gone(self, fn: Callable[[], dict[str, Any]]) -> Optional[dict[str, Any]]:
        """``fn()``, or None when the resource went away meanwhile."""
        try:
            return fn()
        except AwsError as e:
            cause = e.__cause__
            if isinstance(cause, ClientError) and error_code(cause) in (
                "ResourceNotFound",
                "ResourceNotFoundException",
            ):
                return None
            raise

    # -- the domain
    def read(self, domain_id: str) -> DomainData:
        d = f"domain {domain_id}"
        truncated: list[str] = []
        domain = self._call("describe_domain", f"read {d}", DomainId=domain_id)
        users = list(
            self.pages(
                "list_user_profiles",
                "UserProfiles",
                f"list the user profiles of {d}",
                truncated,
                DomainIdEquals=domain_id,
            )
        )
        spaces = list(
            self.pages(
                "list_spaces",
                "Spaces",
                f"list the spaces of {d}",
                truncated,
                DomainIdEquals=domain_id,
            )
        )
        listed = [
            a
            for a in self.pages(
                "list_apps", "Apps", f"list the apps of {d}", truncated, DomainIdEquals=domain_id
            )
            if a.get("Status") == "InService"
        ]
        region = self.sm.meta.region_name
        data = DomainData(domain_id, region, domain, users, spaces, [], truncated=truncated)

        def describe_app(a: dict[str, Any]) -> Optional[dict[str, Any]]:
            ident = {k: a[k] for k in ("DomainId", "AppType", "AppName") if k in a}
            for k in ("SpaceName", "UserProfileName"):
                if a.get(k):
                    ident[k] = a[k]
                    break
            found = self._gone(
                lambda: self._call("describe_app", f"describe app {a.get('AppName')}", **ident)
            )
            return None if found is None or found.get("Status") != "InService" else {**a, **found}

        data.apps = [a for a in self._map(describe_app, listed) if a is not None]
        space_names = sorted({a["SpaceName"] for a in data.apps if a.get("SpaceName")})
        found_spaces = self._map(
            lambda s: self._gone(
                lambda: self._call(
                    "describe_space", f"describe space {s}", DomainId=domain_id, SpaceName=s
                )
            ),
            space_names,
        )
        data.space_details = {
            n: s for n, s in zip(space_names, found_spaces, strict=True) if s is not None
        }
        owners = {a.get("UserProfileName") for a in data.apps} | {
            (s.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
            for s in data.space_details.values()
        }
        owner_names = sorted(o for o in owners if o)
        found_users = self._map(
            lambda u: self._gone(
                lambda: self._call(
                    "describe_user_profile",
                    f"describe user profile {u}",
                    DomainId=domain_id,
                    UserProfileName=u,
                )
            ),
            owner_names,
        )
        data.user_details = {
            n: u for n, u in zip(owner_names, found_users, strict=True) if u is not None
        }
        arns = sorted(
            {
                (a.get("ResourceSpec") or {}).get("LifecycleConfigArn")
                for a in data.apps
                if (a.get("ResourceSpec") or {}).get("LifecycleConfigArn")
            }
        )
        policies = self._map(lambda arn: self._policy(arn, data.problems), arns)
        data.smcost_policies = dict(zip(arns, policies, strict=True))
        data.retried_calls = self._retried
        return data

    def _policy(self, arn: str, problems: list[str]) -> Optional[dict[str, Any]]:
        name = arn.rsplit("/", 1)[-1]
        try:
            found = self._gone(
                lambda: self._call(
                    "describe_studio_lifecycle_config",
                    f"read Studio lifecycle configuration {name}",
                    StudioLifecycleConfigName=name,
                )
            )
        except AwsError as e:
            problems.append(e.message)
            return None
        settings = parse(decode((found or {}).get("StudioLifecycleConfigContent")))
        return dict(settings.policy) if settings is not None else None
