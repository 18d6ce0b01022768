"""The switch controller: validates and starts a switch of instance type, runs it in a
worker thread with the idle loop held busy, and reports its progress."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from .activity import Busy
from .aws.errors import RunBlocking
from .environments import Environment, IdleContext, SwitchProgress
from .errors import SmCostError, bad_input, conflict, log_bug
from .idle import IdleLoop
from .messages import Message
from .requests import SwitchRequest, excerpt_name


def progress_json(progress: SwitchProgress) -> dict[str, Any]:
    """A switch's progress as ``GET switch`` answers it."""
    return {
        "id": progress.id,
        "state": progress.state,
        "target": progress.target,
        "steps": [dict(s) for s in list(progress.steps)],
        "error": progress.error,
        **(
            {"error_code": progress.error_code, "error_params": dict(progress.error_params)}
            if progress.error_code
            else {}
        ),
        "manual_step": progress.manual_step,
        **(
            {"manual_message": progress.manual_message.to_json()} if progress.manual_message else {}
        ),
    }


class SwitchController:
    """One switch at a time. ``refresh_types`` re-reads what runs (before a switch, to refuse
    the type already running, and after one); ``context`` reads the server's kernels on
    the event loop for the environment's worker thread."""

    #: a switch handed to the switcher counts as running (409) for this long
    EXTERNAL_S = 20 * 60

    def __init__(
        self,
        env: Environment,
        idle: IdleLoop,
        log: logging.Logger,
        run_blocking: RunBlocking,
        *,
        allowed: list[str],
        refresh_types: Callable[[], Awaitable[list[str]]],
        context: Callable[[], IdleContext],
        on_switched: Optional[Callable[[list[str], list[str]], Awaitable[None]]] = None,
        on_handed_off: Optional[Callable[[list[str], str], Awaitable[None]]] = None,
    ) -> None:
        self.env = env
        self.idle = idle
        self.log = log
        self.run_blocking = run_blocking
        self.allowed = list(allowed)
        self.refresh_types = refresh_types
        self.context = context
        #: the ledger (:mod:`.savings`): a switch done here (the types before and after),
        #: or handed to the switcher or the user (the types before and the target)
        self.on_switched = on_switched
        self.on_handed_off = on_handed_off
        #: the last switch started (None: none since the server started)
        self.current: Optional[SwitchProgress] = None
        self._started_at = 0.0

    def running(self) -> bool:
        sw = self.current
        if sw is None:
            return False
        if sw.state in ("pending", "running"):
            return True
        loop = asyncio.get_running_loop()
        return sw.state == "waiting_external" and (loop.time() - self._started_at < self.EXTERNAL_S)

    async def start(self, request: SwitchRequest) -> dict[str, Any]:
        """Validate the target (400) and the state (409) before anything changes; then run
        the switch in a worker thread, the idle loop held busy meanwhile."""
        target = request.instance_type
        info = self.env.info()
        if not info.can_switch:
            raise conflict(
                info.switch_unavailable_reason or "switching is not available here",
                "switch_unavailable",
            )
        if self.running():
            assert self.current is not None
            raise conflict(
                f"a switch to {self.current.target} is already in progress",
                "switch_in_progress",
                type=self.current.target,
            )
        valid = await self.run_blocking(
            self.env.valid_instance_types,
            action=Message.of("action.list_types", "list valid instance types"),
        )
        if target not in valid:
            raise bad_input(
                f"{excerpt_name(target)} is not an instance type this environment "
                f"({info.kind}) accepts",
                "invalid_instance_type",
                type=excerpt_name(target),
                kind=info.kind,
            )
        if self.allowed and target not in self.allowed:
            raise bad_input(
                f"{target} is not allowed here; allowed: " + ", ".join(self.allowed),
                "instance_type_not_allowed",
                type=target,
                allowed=", ".join(self.allowed),
            )
        if self.idle.state.shutting_down:
            raise conflict("a shutdown is in progress", "shutting_down")
        types = await self.refresh_types()
        if info.kind != "studio-classic" and types == [target]:
            raise bad_input(f"already running on {target}", "same_instance_type", type=target)
        progress = SwitchProgress(id=uuid.uuid4().hex, target=target)
        self.current = progress
        self._started_at = asyncio.get_running_loop().time()
        self.idle.set_busy(
            "switch",
            Busy(
                "switch",
                progress.id,
                f"switching to {target}",
                "busy.switch",
                (("type", target),),
            ),
        )
        asyncio.ensure_future(self._run(progress, self.context(), types))
        return progress_json(progress)

    async def _run(
        self, progress: SwitchProgress, context: IdleContext, before: Optional[list[str]] = None
    ) -> None:
        progress.state = "running"
        try:
            await self.run_blocking(
                self.env.start_switch,
                progress.target,
                progress,
                context,
                action=Message.of(
                    "action.switch", f"switch to {progress.target}", type=progress.target
                ),
            )
            if progress.state in ("pending", "running"):
                progress.state = "succeeded"
        except SmCostError as e:
            progress.state = "failed"
            progress.error, progress.error_code, progress.error_params = e.message, e.code, e.params
            self.log.error("smcost: switch to %s failed: %s", progress.target, e.message)
        except Exception as e:
            progress.state = "failed"
            progress.error = log_bug(self.log, f"the switch to {progress.target}", e)
            progress.error_code = "internal_error"
        finally:
            self.idle.set_busy("switch", None)
        if progress.state == "succeeded":
            after = await self.refresh_types()
            if self.on_switched is not None and before is not None:
                await self.on_switched(before, after)
        elif progress.state in ("waiting_external", "manual"):
            if self.on_handed_off is not None and before is not None:
                await self.on_handed_off(before, progress.target)

    def progress(self) -> dict[str, Any]:
        """``GET switch``: the last switch's progress (404 when none was started)."""
        if self.current is None:
            raise SmCostError("no_switch", "no switch has been started", 404)  # no params
        return progress_json(self.current)
