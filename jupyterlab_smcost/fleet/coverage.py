"""Which idle shutdown covers a Studio app (pure logic, no AWS call).

Three mechanisms, surest first:

- ``smcost``: the app started with this extension's lifecycle configuration (the script of
  ``jupyter smcost lifecycle``), which installs the extension with its admin policy: the
  server stops the app after ``idle_timeout`` seconds with nothing running or busy;
- ``native``: SageMaker's built-in idle shutdown (``AppLifecycleManagement.IdleSettings`` of
  the space, the user profile or the domain) for JupyterLab and Code Editor apps. By AWS's
  documentation it does not act on a JupyterLab app while any kernel or terminal session is
  open, idle or not: an app whose only cover it is stays up as long as a notebook is open;
- ``none``: nothing stops the app (the report lists these first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

#: app types SageMaker's built-in idle shutdown applies to, and their settings' key
NATIVE_APP_SETTINGS = {"JupyterLab": "JupyterLabAppSettings", "CodeEditor": "CodeEditorAppSettings"}
SMCOST_DEFAULT_IDLE_TIMEOUT_S = 3600  # SmCostApp.idle_timeout's default
NATIVE_CAVEAT = (
    "SageMaker's built-in idle shutdown does not stop a JupyterLab app while any kernel or "
    "terminal session is open, idle or not"
)
ORDER = {"none": 0, "native": 1, "smcost": 2}


@dataclass(frozen=True)
class NativeIdle:
    """The built-in idle settings in force for one app type of one space."""

    enabled: bool
    timeout_minutes: Optional[int]
    set_on: str  # "space", "user profile", "domain (user default)", "domain (space default)"


@dataclass(frozen=True)
class Coverage:
    mechanism: str  # "smcost", "native" or "none"
    lifecycle_config: Optional[str] = None  # the app's lifecycle configuration's name
    policy: Optional[dict[str, Any]] = None  # the smcost policy in it
    native: Optional[NativeIdle] = None
    caveats: tuple[str, ...] = field(default_factory=tuple)

    @property
    def idle_timeout_minutes(self) -> Optional[float]:
        """After how long idle the cover stops the app, as far as the settings say."""
        if self.mechanism == "smcost":
            seconds = (self.policy or {}).get("idle_timeout", SMCOST_DEFAULT_IDLE_TIMEOUT_S)
            return seconds / 60 if isinstance(seconds, int | float) and seconds > 0 else None
        if self.native is not None:
            return self.native.timeout_minutes
        return None

    def describe(self) -> str:
        if self.mechanism == "smcost":
            minutes = self.idle_timeout_minutes
            after = f", idle {minutes:g} min" if minutes else ", idle shutdown off in its policy"
            return f"smcost ({self.lifecycle_config}{after})"
        if self.mechanism == "native" and self.native is not None:
            t = self.native.timeout_minutes
            return f"SageMaker idle {t if t is not None else '?'} min ({self.native.set_on})"
        return "NONE"

    def to_json(self) -> dict[str, Any]:
        return {
            "mechanism": self.mechanism,
            "lifecycle_config": self.lifecycle_config,
            "policy": self.policy,
            "idle_timeout_minutes": self.idle_timeout_minutes,
            "native": None
            if self.native is None
            else {
                "enabled": self.native.enabled,
                "idle_timeout_minutes": self.native.timeout_minutes,
                "set_on": self.native.set_on,
            },
            "caveats": list(self.caveats),
        }


def _idle(settings: Optional[dict[str, Any]], key: str) -> dict[str, Any]:
    app = (settings or {}).get(key) or {}
    return (app.get("AppLifecycleManagement") or {}).get("IdleSettings") or {}


def native_idle(
    app_type: str,
    space_settings: Optional[dict[str, Any]],
    user_settings: Optional[dict[str, Any]],
    domain_user_settings: Optional[dict[str, Any]],
    domain_space_settings: Optional[dict[str, Any]] = None,
    shared: bool = False,
) -> Optional[NativeIdle]:
    """The built-in idle settings for ``app_type`` in a space: on or off from the user profile
    (a private space's owner), else the domain's default (for a shared space the domain's
    default space settings first); the timeout from the space, else from that same chain.
    None when nothing sets them or the app type has none."""
    key = NATIVE_APP_SETTINGS.get(app_type)
    if key is None:
        return None
    chain: list[tuple[str, dict[str, Any]]] = []
    if shared:
        chain.append(("domain (space default)", _idle(domain_space_settings, key)))
    else:
        chain.append(("user profile", _idle(user_settings, key)))
    chain.append(("domain (user default)", _idle(domain_user_settings, key)))
    switch = next(((where, s) for where, s in chain if s.get("LifecycleManagement")), None)
    if switch is None or switch[1]["LifecycleManagement"] != "ENABLED":
        return None if switch is None else NativeIdle(False, None, switch[0])
    space_timeout = _idle(space_settings, key).get("IdleTimeoutInMinutes")
    if space_timeout:
        return NativeIdle(True, int(space_timeout), "space")
    for where, s in chain:
        if s.get("IdleTimeoutInMinutes"):
            return NativeIdle(True, int(s["IdleTimeoutInMinutes"]), where)
    return NativeIdle(True, None, switch[0])


def coverage(
    app_type: str,
    lifecycle_config: Optional[str],
    smcost_policy: Optional[dict[str, Any]],
    native: Optional[NativeIdle],
) -> Coverage:
    """The app's cover: ``smcost_policy`` is the policy parsed out of its lifecycle
    configuration when that is ours (None when it is not, or it has none)."""
    active_native = native if native is not None and native.enabled else None
    if smcost_policy is not None:
        return Coverage("smcost", lifecycle_config, smcost_policy, active_native)
    if active_native is not None:
        caveats = (NATIVE_CAVEAT,) if app_type == "JupyterLab" else ()
        return Coverage("native", lifecycle_config, None, active_native, caveats)
    return Coverage("none", lifecycle_config, None, native)
