"""SageMaker's built-in idle shutdown as a backstop (``jupyter smcost lifecycle attach
--native-idle-timeout N``): ``AppLifecycleManagement.IdleSettings`` of JupyterLab apps on the
domain's default user settings (and default space settings, which shared spaces read, when
the domain has them) or on one user profile.

It covers what this extension's lifecycle configuration does not reach (apps started before
it was attached, images where it could not install), but by AWS's documentation it does not
stop a JupyterLab app while any kernel or terminal session is open, idle or not: the
extension's own shutdown looks at what the kernels do.
"""

from __future__ import annotations

from typing import Any, Optional

from .errors import CommandError
from .lifecycle import APP_SETTINGS, Lifecycle

MIN_MINUTES, MAX_MINUTES = 60, 525600  # the API model's bounds of IdleTimeoutInMinutes


def set_native_idle(
    tool: Lifecycle, domain: str, minutes: int, user_profile: Optional[str] = None
) -> str:
    """Turn the built-in idle shutdown on with ``minutes`` for JupyterLab apps; 'set' or
    'unchanged' (other idle settings, such as the bounds users may choose in, are kept)."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise CommandError(
            "bad_timeout",
            f"--native-idle-timeout {minutes}: SageMaker accepts {MIN_MINUTES} to "
            f"{MAX_MINUTES} minutes",
        )
    key = APP_SETTINGS["JupyterLab"]
    who = f"user profile {user_profile}" if user_profile else f"domain {domain}"
    _who, groups = tool._owner(domain, user_profile)
    updates: dict[str, Any] = {}
    for group, settings in groups.items():
        app = dict(settings.get(key) or {})
        lifecycle = dict(app.get("AppLifecycleManagement") or {})
        idle = dict(lifecycle.get("IdleSettings") or {})
        wanted = {**idle, "LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": minutes}
        if wanted == idle:
            continue
        updates[group] = {
            key: {**app, "AppLifecycleManagement": {**lifecycle, "IdleSettings": wanted}}
        }
    if not updates:
        return "unchanged"
    tool._update_owner(
        domain,
        user_profile,
        updates,
        f"turn on SageMaker's idle shutdown ({minutes} min) for the JupyterLab apps of {who}",
    )
    return "set"
