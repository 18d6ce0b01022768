"""SageMaker lifecycle configurations that install jupyterlab-smcost (``jupyter smcost lifecycle``).

One script (``deploy/lifecycle/smcost-lifecycle.sh``, carried in the wheel) serves the three
places SageMaker runs Jupyter; :func:`.lifecycle_script.render` fills in its settings
(target, where the wheel comes from, the admin policy). :class:`Lifecycle` creates or
updates the configuration and attaches it, idempotently: it reads first and changes only
what differs, so a second run makes no change. With ``dry_run`` it reads, and lists the
changes it would make.

- notebook instance: one configuration (default name ``smcost``) whose OnStart is the script;
  SageMaker attaches a configuration only to a stopped instance (``restart`` stops it,
  attaches and starts it again). An instance has one configuration: another one already
  attached is never replaced unless asked.
- Studio (app types JupyterLab, JupyterServer): there is no UpdateStudioLifecycleConfig, so a
  configuration is named after its content (``smcost-jupyterlab-<8 hex>``); attaching puts it
  in the app settings' ``LifecycleConfigArns`` and makes it the ``DefaultResourceSpec``'s
  configuration (domain default, shared spaces' default when the domain has one, or a user
  profile), then deletes the superseded ones that nothing uses any more.

boto3 only, through :class:`.lifecycle_calls.SageMakerCalls`: every AWS failure becomes a
:class:`~.errors.CommandError` with one sentence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, Optional

from botocore.exceptions import ClientError

from .errors import CommandError, error_code
from .lifecycle_calls import SageMakerCalls
from .lifecycle_script import decode, encode, parse
from .partitions import build_arn
from .sagemaker import WaitTimeout, wait_for

#: target -> Studio app type (None: notebook instance)
TARGETS = {"notebook-instance": None, "jupyterlab": "JupyterLab", "jupyter-server": "JupyterServer"}
APP_SETTINGS = {"JupyterLab": "JupyterLabAppSettings", "JupyterServer": "JupyterServerAppSettings"}
DEFAULT_NAMES = {
    "notebook-instance": "smcost",
    "jupyterlab": "smcost-jupyterlab",
    "jupyter-server": "smcost-jupyterserver",
}


def studio_name(base: str, content: str) -> str:
    """A Studio configuration's name: the base plus 8 hex digits of the content's hash."""
    return f"{base[:54]}-{hashlib.sha256(content.encode()).hexdigest()[:8]}"


def arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def is_ours(arn_or_name: str, base: str) -> bool:
    return re.fullmatch(rf"{re.escape(base[:54])}-[0-9a-f]{{8}}", arn_name(arn_or_name)) is not None


class Lifecycle(SageMakerCalls):
    """Create, attach, show and remove the lifecycle configurations on one SageMaker client."""

    # -- configurations
    def ensure_notebook_config(self, name: str, script: str) -> str:
        """Create or update the notebook instance configuration; 'created'/'updated'/'unchanged'."""
        content = encode(script)
        what = f"read notebook instance lifecycle configuration {name}"
        found = self._missing(
            "DescribeNotebookInstanceLifecycleConfig",
            what,
            NotebookInstanceLifecycleConfigName=name,
        )
        if found is None:
            self._change(
                "CreateNotebookInstanceLifecycleConfig",
                f"create notebook instance lifecycle configuration {name}",
                NotebookInstanceLifecycleConfigName=name,
                OnStart=[{"Content": content}],
            )
            return "created"
        current = (found.get("OnStart") or [{}])[0].get("Content")
        if current == content:
            return "unchanged"
        if parse(decode(current)) is None:
            raise CommandError(
                "not_ours",
                f"Notebook instance lifecycle configuration {name} exists and was not made by "
                "jupyterlab-smcost: choose another --name.",
            )
        params: dict[str, Any] = {
            "NotebookInstanceLifecycleConfigName": name,
            "OnStart": [{"Content": content}],
        }
        if found.get("OnCreate"):
            params["OnCreate"] = found["OnCreate"]
        self._change(
            "UpdateNotebookInstanceLifecycleConfig",
            f"update notebook instance lifecycle configuration {name}",
            **params,
        )
        return "updated"

    def ensure_studio_config(self, base: str, app_type: str, script: str) -> tuple[str, str, str]:
        """Create the Studio configuration for this content: (name, arn, 'created'/'unchanged')."""
        content = encode(script)
        name = studio_name(base, content)
        found = self._missing(
            "DescribeStudioLifecycleConfig",
            f"read Studio lifecycle configuration {name}",
            StudioLifecycleConfigName=name,
        )
        if found is not None:
            if (
                found.get("StudioLifecycleConfigContent") != content
                or found.get("StudioLifecycleConfigAppType") != app_type
            ):
                raise CommandError(
                    "not_ours",
                    f"Studio lifecycle configuration {name} exists with other content or app "
                    "type: choose another --name.",
                )
            return name, found["StudioLifecycleConfigArn"], "unchanged"
        made = self._change(
            "CreateStudioLifecycleConfig",
            f"create Studio lifecycle configuration {name}",
            StudioLifecycleConfigName=name,
            StudioLifecycleConfigContent=content,
            StudioLifecycleConfigAppType=app_type,
        )
        # (dry run: an ARN of the right shape, for the plan)
        arn = made.get("StudioLifecycleConfigArn") or build_arn(
            "sagemaker", self.sm.meta.region_name, "ACCOUNT", f"studio-lifecycle-config/{name}"
        )
        return name, arn, "created"

    # -- notebook instances
    def _instance(self, instance: str) -> dict[str, Any]:
        return self._read(
            "DescribeNotebookInstance",
            f"read notebook instance {instance}",
            NotebookInstanceName=instance,
        )

    def _wait(self, instance: str, status: str) -> None:
        if self.dry_run:
            return
        self.say(f"waiting for notebook instance {instance} to be {status}")
        try:
            wait_for(
                lambda: self._instance(instance)["NotebookInstanceStatus"],
                done=(status,),
                failed=("Failed", "Deleting"),
                what=f"notebook instance {instance}",
                sleep=self.sleep,
                clock=self.clock,
                timeout_s=self.wait_timeout_s,
                interval_s=15.0,
            )
        except (WaitTimeout, RuntimeError) as e:
            raise CommandError("wait_failed", f"{e}: stopped waiting for it to be {status}.") from e

    def _update_stopped_instance(
        self, instance: str, restart: bool, action: str, **params: Any
    ) -> str:
        """UpdateNotebookInstance on a stopped instance (``restart``: stop it first, start it
        again after)."""
        status = self._instance(instance)["NotebookInstanceStatus"]
        was_running = status in ("InService", "Pending")
        if status not in ("Stopped", "Failed"):
            if not restart:
                raise CommandError(
                    "instance_not_stopped",
                    f"Notebook instance {instance} is {status}: SageMaker changes the lifecycle "
                    "configuration of a stopped instance only. Stop it first, or run again with "
                    "--restart to stop it, make the change and start it again.",
                )
            if status == "Pending" and not self.dry_run:
                self._wait(instance, "InService")
            if was_running:
                self._change(
                    "StopNotebookInstance",
                    f"stop notebook instance {instance}",
                    NotebookInstanceName=instance,
                )
            self._wait(instance, "Stopped")
        self._change("UpdateNotebookInstance", action, NotebookInstanceName=instance, **params)
        if restart and was_running:
            self._wait(instance, "Stopped")  # Updating, then Stopped
            self._change(
                "StartNotebookInstance",
                f"start notebook instance {instance}",
                NotebookInstanceName=instance,
            )
            return "attached; the instance is starting"
        return "attached"

    def attach_notebook_instance(
        self, instance: str, name: str, restart: bool = False, replace: bool = False
    ) -> str:
        d = self._instance(instance)
        current = d.get("NotebookInstanceLifecycleConfigName")
        if current == name:
            return "already attached"
        if current and not replace:
            raise CommandError(
                "other_config",
                f"Notebook instance {instance} already runs lifecycle configuration {current}, "
                "and an instance has one: add this script to it (`jupyter smcost lifecycle "
                "script --target notebook-instance`) or run again with --replace.",
            )
        return self._update_stopped_instance(
            instance,
            restart,
            f"attach lifecycle configuration {name} to notebook instance {instance}",
            LifecycleConfigName=name,
        )

    def detach_notebook_instance(self, instance: str, name: str, restart: bool = False) -> str:
        current = self._instance(instance).get("NotebookInstanceLifecycleConfigName")
        if current != name:
            return "not attached"
        self._update_stopped_instance(
            instance,
            restart,
            f"detach lifecycle configuration {name} from notebook instance {instance}",
            DisassociateLifecycleConfig=True,
        )
        return "detached"

    def delete_notebook_config(self, name: str) -> str:
        found = self._missing(
            "DescribeNotebookInstanceLifecycleConfig",
            f"read notebook instance lifecycle configuration {name}",
            NotebookInstanceLifecycleConfigName=name,
        )
        if found is None:
            return "not found"
        self._change(
            "DeleteNotebookInstanceLifecycleConfig",
            f"delete notebook instance lifecycle configuration {name}",
            NotebookInstanceLifecycleConfigName=name,
        )
        return "deleted"

    def show_notebook_instance(self, instance: str) -> dict[str, Any]:
        d = self._instance(instance)
        name = d.get("NotebookInstanceLifecycleConfigName")
        out: dict[str, Any] = {
            "notebook_instance": instance,
            "status": d.get("NotebookInstanceStatus"),
            "lifecycle_config": name,
            "smcost": None,
        }
        if name:
            found = self._missing(
                "DescribeNotebookInstanceLifecycleConfig",
                f"read notebook instance lifecycle configuration {name}",
                NotebookInstanceLifecycleConfigName=name,
            )
            settings = parse(decode(((found or {}).get("OnStart") or [{}])[0].get("Content")))
            out["smcost"] = settings.to_json() if settings else None
        return out

    # -- Studio domains and user profiles
    def _owner(self, domain: str, user_profile: Optional[str]) -> tuple[str, dict[str, Any]]:
        if user_profile:
            d = self._read(
                "DescribeUserProfile",
                f"read user profile {user_profile} of domain {domain}",
                DomainId=domain,
                UserProfileName=user_profile,
            )
            return f"user profile {user_profile}", {"UserSettings": d.get("UserSettings") or {}}
        d = self._read("DescribeDomain", f"read domain {domain}", DomainId=domain)
        settings = {"DefaultUserSettings": d.get("DefaultUserSettings") or {}}
        if d.get("DefaultSpaceSettings"):
            settings["DefaultSpaceSettings"] = d["DefaultSpaceSettings"]
        return f"domain {domain}", settings

    def _update_owner(
        self, domain: str, user_profile: Optional[str], settings: dict[str, Any], action: str
    ) -> None:
        if user_profile:
            self._change(
                "UpdateUserProfile",
                action,
                DomainId=domain,
                UserProfileName=user_profile,
                **settings,
            )
        else:
            self._change("UpdateDomain", action, DomainId=domain, **settings)

    def _rewrite(
        self,
        domain: str,
        user_profile: Optional[str],
        app_type: str,
        edit: Callable[[list[str], Optional[str]], tuple[list[str], Optional[str]]],
        action: str,
    ) -> tuple[bool, list[str]]:
        """Apply ``edit(arns, default) -> (arns, default)`` to each settings group of the owner;
        one update call when anything differs. Returns (changed, the ARNs taken out)."""
        key = APP_SETTINGS[app_type]
        _who, groups = self._owner(domain, user_profile)
        updates: dict[str, Any] = {}
        removed: list[str] = []
        for group, settings in groups.items():
            app = dict(settings.get(key) or {})
            arns = list(app.get("LifecycleConfigArns") or [])
            spec = dict(app.get("DefaultResourceSpec") or {})
            new_arns, new_default = edit(arns, spec.get("LifecycleConfigArn"))
            removed += [a for a in arns if a not in new_arns and a not in removed]
            old_default = spec.get("LifecycleConfigArn")
            if new_arns == arns and new_default == old_default:
                continue
            if new_default != old_default:
                # omitting a field leaves it as it was: "None" (allowed by the API) clears it
                spec["LifecycleConfigArn"] = new_default or "None"
            updates[group] = {
                key: {**app, "LifecycleConfigArns": new_arns, "DefaultResourceSpec": spec}
            }
        if updates:
            self._update_owner(domain, user_profile, updates, action)
        return bool(updates), removed

    def attach_studio(
        self,
        domain: str,
        app_type: str,
        arn: str,
        base: str,
        user_profile: Optional[str] = None,
        replace: bool = False,
    ) -> tuple[str, list[str]]:
        """Make ``arn`` the default configuration of ``app_type`` apps; ('attached'|'already
        attached', the superseded configurations of ours that were taken out)."""
        who = f"user profile {user_profile}" if user_profile else f"domain {domain}"

        def edit(arns: list[str], default: Optional[str]) -> tuple[list[str], Optional[str]]:
            if (
                default
                and default not in ("None", arn)
                and not is_ours(default, base)
                and not replace
            ):
                raise CommandError(
                    "other_config",
                    f"The {app_type} apps of {who} already run {arn_name(default)} by default, and "
                    "an app has one default: add this script to it (`jupyter smcost lifecycle "
                    "script`) or run again with --replace (it stays attached, as a non-default).",
                )
            kept = [a for a in arns if not is_ours(a, base) or a == arn]
            return kept + ([] if arn in kept else [arn]), arn

        changed, removed = self._rewrite(
            domain,
            user_profile,
            app_type,
            edit,
            f"attach {arn_name(arn)} to the {app_type} apps of {who}",
        )
        return ("attached" if changed else "already attached"), removed

    def detach_studio(
        self, domain: str, app_type: str, base: str, user_profile: Optional[str] = None
    ) -> list[str]:
        """Take our configurations out of ``app_type``'s settings; the ARNs taken out."""
        who = f"user profile {user_profile}" if user_profile else f"domain {domain}"

        def edit(arns: list[str], default: Optional[str]) -> tuple[list[str], Optional[str]]:
            return [a for a in arns if not is_ours(a, base)], None if default and is_ours(
                default, base
            ) else default

        _changed, removed = self._rewrite(
            domain,
            user_profile,
            app_type,
            edit,
            f"detach jupyterlab-smcost from the {app_type} apps of {who}",
        )
        return removed

    def delete_studio_configs(self, arns: list[str]) -> dict[str, str]:
        """Delete configurations; one in use by apps or other profiles stays (said why)."""
        out = {}
        for arn in arns:
            name = arn_name(arn)
            try:
                self._change(
                    "DeleteStudioLifecycleConfig",
                    f"delete Studio lifecycle configuration {name}",
                    StudioLifecycleConfigName=name,
                )
                out[name] = "deleted"
            except CommandError as e:
                cause = e.__cause__
                if isinstance(cause, ClientError) and error_code(cause) in (
                    "ResourceInUse",
                    "ResourceNotFound",
                ):
                    out[name] = (
                        "kept: still in use (running apps or other profiles)"
                        if error_code(cause) == "ResourceInUse"
                        else "already gone"
                    )
                else:
                    raise
        return out

    def show_studio(self, domain: str, user_profile: Optional[str] = None) -> dict[str, Any]:
        who, groups = self._owner(domain, user_profile)
        out: dict[str, Any] = {"owner": who, "apps": []}
        seen: dict[str, Optional[dict[str, Any]]] = {}
        for group, settings in groups.items():
            for app_type, key in APP_SETTINGS.items():
                app = settings.get(key) or {}
                arns = list(app.get("LifecycleConfigArns") or [])
                default = (app.get("DefaultResourceSpec") or {}).get("LifecycleConfigArn")
                configs = []
                for arn in arns:
                    name = arn_name(arn)
                    if name not in seen:
                        found = self._missing(
                            "DescribeStudioLifecycleConfig",
                            f"read Studio lifecycle configuration {name}",
                            StudioLifecycleConfigName=name,
                        )
                        settings_ = parse(decode((found or {}).get("StudioLifecycleConfigContent")))
                        seen[name] = settings_.to_json() if settings_ else None
                    configs.append({"name": name, "default": arn == default, "smcost": seen[name]})
                if configs or default:
                    out["apps"].append(
                        {"settings": group, "app_type": app_type, "configs": configs}
                    )
        return out
