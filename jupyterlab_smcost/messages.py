"""Messages the server sends with a stable ``code`` and its ``params`` next to the English
``text``, so the frontend can render them in the user's language (jupyter_server's own
translation support does not reach an extension's catalogue): it translates by code and
falls back to ``text`` for a code it does not know.

:data:`CODES` is the list: openapi.yaml (``MessageCode``) and ``src/messages.ts`` follow it
(tests/unit/test_message_codes.py compares the three). Errors carry their code in
``error.code`` and their figures in ``error.params`` (openapi.yaml ``Error.code``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

Param = Union[str, int, float]

#: every code a :class:`Message` may carry, with the params it fills
CODES: dict[str, tuple[str, ...]] = {
    "text": (),  # no code of its own: the frontend shows ``text``
    "idle.shutting_down": (),
    "idle.off": (),
    "idle.off_by_admin": (),
    "idle.quiet": ("seconds",),
    "idle.last_activity": ("source",),
    "busy.kernel": ("name",),
    "busy.kernel_starting": (),
    "busy.terminal": ("command", "name"),
    "busy.background": ("command", "cpus", "kernel", "others", "pid", "seconds"),
    "busy.background_starting": ("command", "cpus", "kernel", "others", "pid", "seconds"),
    "busy.background_gpu": ("gpu", "load", "seconds", "users"),
    "busy.background_gpu_starting": ("gpu", "load", "seconds", "users"),
    "busy.switch": ("type",),
    "rec.collecting": ("minutes", "needed", "samples"),
    "rec.type_unknown": (),
    "rec.no_specs": ("type",),
    "rec.no_measurements": (),
    "rec.price_unknown": ("type",),
    "rec.sampling_off": (),
    "rec.not_measurable": (),
    "rec.several_apps": ("count", "types"),
    "rec.short_no_larger": (
        "cpu_count", "cpu_p95", "current", "mem_p95_gib", "mem_total_gib", "short",
    ),
    "rec.gpu_idle_no_cheaper": (
        "cpu_count", "cpu_p95", "current", "gpu_count", "gpu_idle", "gpu_p95",
        "mem_p95_gib", "mem_total_gib",
    ),
    "rec.fits": (
        "cpu_count", "cpu_p95", "current", "gpu_unmeasured", "mem_p95_gib", "mem_total_gib",
    ),
    "rec.under_provisioned": (
        "cpu_count", "cpu_p95", "current", "mem_p95_gib", "mem_total_gib", "memory_gib",
        "short", "type", "vcpu",
    ),
    "rec.gpu_idle": (
        "cpu_count", "cpu_p95", "current", "gpu_count", "gpu_idle", "gpu_p95",
        "mem_p95_gib", "mem_total_gib", "memory_gib", "minutes", "type", "vcpu",
    ),
    "rec.over_provisioned": (
        "burstable", "cpu_count", "cpu_p95", "current", "gpu_model?", "mem_p95_gib",
        "mem_total_gib", "memory_gib", "type", "vcpu",
    ),
    "rec.fewer_gpus": (
        "cpu_count", "cpu_p95", "current", "gpu_count", "gpu_memory_gib", "gpu_model",
        "gpus_in_use_p95", "gpus_needed", "mem_p95_gib", "mem_total_gib", "memory_gib",
        "new_gpu_count", "new_gpu_memory_gib", "peak_gpu_memory_gib", "type", "vcpu",
    ),
    "rec.smaller_gpu": (
        "cpu_count", "cpu_p95", "current", "gpu_count", "gpu_memory_gib", "gpu_model",
        "gpu_p95", "gpus_in_use_p95", "gpus_needed", "mem_p95_gib", "mem_total_gib",
        "memory_gib", "new_gpu_count", "new_gpu_memory_gib", "new_gpu_model",
        "peak_gpu_memory_gib", "type", "vcpu",
    ),
    "rec.offload": (
        "command", "currency", "current", "per_hour", "seconds", "spent", "spot",
        "target?", "target_per_hour?", "training_per_hour?",
    ),
    "env.local": ("type",),
    "env.local_no_switch": (),
    "env.notebook_instance": ("name",),
    "env.studio_space": ("app_type", "space"),
    "env.studio_classic_space": ("space",),
    "env.studio_classic_user": ("user",),
    "jobs.local": (),
    "step.instance_status": ("name", "status", "type"),
    "step.app_status": ("app_type", "status", "type"),
    "step.switcher_accepted": ("function", "type"),
    "step.switcher_restarts_instance": ("name", "type"),
    "step.switcher_recreates_app": ("type",),
    "step.see_manual": (),
    "step.space_default": ("space", "type"),
    "step.no_kernel_app": (),
    "step.app_on": ("app", "type"),
    "step.app_reused": ("app", "type"),
    "step.app_waiting": ("app", "status"),
    "step.app_deleted": ("app",),
    "step.app_deleted_later": ("app", "count"),
    "manual.notebook_instance": ("command", "name", "region", "type"),
    "manual.space_choose_type": ("space", "type"),
    "manual.space_restart": ("space", "type"),
    # a price's detail (PriceQuote.detail_message): where a figure comes from, how an
    # estimate was made (its base price is PriceQuote.basis), why a price is unknown
    "price.live": ("component", "region", "as_of?", "effective?"),
    "price.not_billed": (),
    "price.sum": ("count",),
    "price.unknown_fetch_failed": (
        "component", "region", "type", "error", "error_code", "error_aws_code?",
        "error_detail?", "error_operation?",
    ),
    "price.unknown_too_little_data": ("component", "region", "type"),
    "price.unknown_live_off": ("component", "region", "type"),
    "price.unknown_china_live_off": ("component", "region", "type"),
    "price.unknown_not_fetched": ("component", "region", "type"),
    "price.unknown_nowhere": ("component", "region", "type"),
    "price.unknown_parts": ("part", "types"),
    "price.type_not_read_yet": (),
    "price.type_unreadable": (
        "error", "error_code", "error_aws_code?", "error_detail?", "error_operation?",
    ),
    "price.est_component": ("component", "kind", "other", "ratio", "region", "shared", "type"),
    "price.est_component_as_is": ("component", "other", "pairs", "region", "type", "worst"),
    "price.est_region": ("other", "over", "ratio", "region", "regions?", "shared", "type"),
    "price.est_family_size": ("factor", "region", "sibling"),
    "price.est_family_fit": (
        "check", "component", "count", "currency", "family", "per_unit", "per_vcpu",
        "region", "unit",
    ),
    # what would make an unknown price known (PriceQuote.fix_message)
    "fix.live_prices": (),
    "fix.live_prices_china": ("api_region",),
    "fix.allow_get_products": ("api_region",),
    "fix.route_to_pricing": ("api_region", "host"),
    "fix.credentials": (),
    # what the server was doing when AWS failed (an AWS error's ``action``, see
    # aws/errors.py): its code and params go in ``error.params`` as ``action_code`` and
    # ``action_<param>``
    "action.stop_idle": (),
    "action.save_settings": (),
    "action.write_history": (),
    "action.read_history": (),
    "action.clean_up_apps": (),
    "action.read_instance_type": (),
    "action.list_types": (),
    "action.switch": ("type",),
    "action.read_billed": (),
    "action.keep_billed": (),
    "action.list_elsewhere": (),
    "action.stop_app": ("name",),
    "action.fetch_prices": (),
    "action.fetch_price_table": ("component", "region"),
    "action.read_files": (),
    "action.plan_job": (),
    "action.start_job": (),
    "action.describe_job": (),
    "action.stop_job": ("name",),
    "action.read_aws_config": (),
    "action.create_client": ("service",),
    "action.record_switch": (),
    "action.update_ledger": (),
    "action.read_ledger": (),
    "action.find_space": (),
    "action.list_space_jobs": (),
}  # fmt: skip


@dataclass(frozen=True)
class Message:
    """One sentence: ``code`` (stable), ``text`` (English), ``params`` (what fills it)."""

    code: str
    text: str
    params: tuple[tuple[str, Param], ...] = ()

    def __post_init__(self) -> None:
        # a code the frontend cannot know is a bug here, not a message to send
        if self.code not in CODES:
            raise ValueError(f"unknown message code {self.code!r}")
        names = {k for k, _ in self.params}
        want = CODES[self.code]
        required = {n for n in want if not n.endswith("?")}
        allowed = required | {n[:-1] for n in want if n.endswith("?")}
        if not required <= names <= allowed:
            raise ValueError(f"message {self.code!r}: params {sorted(names)}, want {want}")

    @classmethod
    def of(cls, code: str, text: str, **params: Param) -> Message:
        return cls(code, text, tuple(sorted(params.items())))

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "params": dict(self.params)}


#: the params of an AWS error's sentence a message that quotes the error carries, as
#: ``error_<param>`` (what was being done, the quoting sentence says itself)
QUOTED_ERROR_PARAMS = ("aws_code", "detail", "operation")


def quoted_error(code: str, message: str, params: Mapping[str, Param]) -> dict[str, Param]:
    """The params of a message that quotes an error (``price.unknown_fetch_failed``,
    ``price.type_unreadable``): ``error`` (its English sentence), ``error_code`` and the
    error's own params, for the frontend to say it by its code."""
    quoted = {f"error_{k}": params[k] for k in QUOTED_ERROR_PARAMS if k in params}
    return {"error": message, "error_code": code, **quoted}


def plain(text: str) -> Message:
    """A sentence with no code of its own (the frontend shows ``text`` as it is)."""
    return Message("text", text)
