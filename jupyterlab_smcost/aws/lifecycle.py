"""SageMaker lifecycle configurations that install jupyterlab-smcost (``jupyter smcost lifecycle``).

One script (``deploy/lifecycle/smcost-lifecycle.sh``, carried in the wheel) serves the three
places SageMaker runs Jupyter; :func:`render` fills in its settings (target, where the wheel
comes from, the admin policy). :class:`Lifecycle` creates or updates the configuration and
attaches it, idempotently: it reads first and changes only what differs, so a second run
makes no change. With ``dry_run`` it reads, and lists the changes it would make.

- notebook instance: one configuration (default name ``smcost``) whose OnStart is the script;
  SageMaker attaches a configuration only to a stopped instance (``restart`` stops it,
  attaches and starts it again). An instance has one configuration: another one already
  attached is never replaced unless asked.
- Studio (app types JupyterLab, JupyterServer): there is no UpdateStudioLifecycleConfig, so a
  configuration is named after its content (``smcost-jupyterlab-<8 hex>``); attaching puts it
  in the app settings' ``LifecycleConfigArns`` and makes it the ``DefaultResourceSpec``'s
  configuration (domain default, shared spaces' default when the domain has one, or a user
  profile), then deletes the superseded ones that nothing uses any more.

boto3 only; every AWS failure becomes a :class:`~.errors.CommandError` with one sentence.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from botocore.exceptions import BotoCoreError, ClientError

from .errors import ACCESS_CODES, CommandError, describe_aws_error, error_code
from .sagemaker import Clock, Sleep, WaitTimeout, wait_for

#: target -> Studio app type (None: notebook instance)
TARGETS = {"notebook-instance": None, "jupyterlab": "JupyterLab", "jupyter-server": "JupyterServer"}
APP_SETTINGS = {"JupyterLab": "JupyterLabAppSettings", "JupyterServer": "JupyterServerAppSettings"}
DEFAULT_NAMES = {
    "notebook-instance": "smcost",
    "jupyterlab": "smcost-jupyterlab",
    "jupyter-server": "smcost-jupyterserver",
}
#: the API's limit on a configuration's (base64) content
MAX_CONTENT = 16384
MARKER = "# >>> smcost settings"
HEADER = (
    "# jupyterlab-smcost lifecycle configuration, explained in its deploy/lifecycle/"
    "smcost-lifecycle.sh;\n# `jupyter smcost lifecycle show` reads its settings back.\n"
)
_BLOCK_RE = re.compile(r"# >>> smcost settings\n.*?# <<< smcost settings\n", re.S)
_SCRIPT = "smcost-lifecycle.sh"
_NOT_FOUND = re.compile(r"does not exist|not found|cannot find", re.I)


def script_path() -> Path:
    """The script: in the wheel (``jupyterlab_smcost/data/lifecycle``), else the checkout's."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (
        here / "data" / "lifecycle" / _SCRIPT,
        here.parent / "deploy" / "lifecycle" / _SCRIPT,
    ):
        if candidate.is_file():
            return candidate
    raise CommandError("missing_script", f"the lifecycle script {_SCRIPT} is not installed")


@dataclass(frozen=True)
class Settings:
    """What ``jupyter smcost lifecycle`` fills into the script."""

    target: str = "auto"
    source: str = "jupyterlab-smcost"
    policy: dict[str, Any] = field(default_factory=dict)
    policy_uri: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "source": self.source,
            "policy": self.policy,
            "policy_uri": self.policy_uri,
        }


def render(settings: Settings, template: Optional[str] = None, strip: bool = True) -> str:
    """The script with ``settings`` in its settings block (comment lines dropped if ``strip``:
    the content limit is tight)."""
    text = template if template is not None else script_path().read_text()
    policy = json.dumps(settings.policy, indent=2, sort_keys=True)
    block = (
        f"{MARKER}\n"
        f"SMCOST_TARGET={shlex.quote(settings.target)}\n"
        f"SMCOST_SOURCE={shlex.quote(settings.source)}\n"
        f"SMCOST_POLICY_URI={shlex.quote(settings.policy_uri) if settings.policy_uri else ''}\n"
        f"SMCOST_POLICY=$(cat <<'SMCOST_POLICY_END'\n{policy}\nSMCOST_POLICY_END\n)\n"
        "# <<< smcost settings\n"
    )
    if not _BLOCK_RE.search(text):
        raise CommandError("bad_script", f"{_SCRIPT} has no settings block")
    text = _BLOCK_RE.sub(lambda _m: block, text, count=1)
    if strip:
        lines = text.splitlines(keepends=True)
        keep = [lines[0], HEADER] + [
            line
            for line in lines[1:]
            if not re.match(r"\s*#( |$)", line) or "smcost settings" in line
        ]
        text = "".join(keep)
    return text


def parse(script: str) -> Optional[Settings]:
    """The settings of a rendered script, or None if it is not this project's script."""
    m = _BLOCK_RE.search(script)
    if not m:
        return None
    values: dict[str, str] = {}
    for name in ("TARGET", "SOURCE", "POLICY_URI"):
        found = re.search(rf"^SMCOST_{name}=(.*)$", m.group(0), re.M)
        words = shlex.split(found.group(1)) if found else []
        values[name] = words[0] if words else ""
    body = re.search(r"<<'SMCOST_POLICY_END'\n(.*?)\nSMCOST_POLICY_END", m.group(0), re.S)
    try:
        policy = json.loads(body.group(1)) if body else {}
    except ValueError:
        policy = {}
    return Settings(values["TARGET"], values["SOURCE"], policy, values["POLICY_URI"])


def encode(script: str) -> str:
    """Base64 content for the API, checked against its length limit."""
    content = base64.b64encode(script.encode()).decode()
    if len(content) > MAX_CONTENT:
        raise CommandError(
            "script_too_long",
            f"The lifecycle script is {len(content)} characters in base64; SageMaker takes "
            f"{MAX_CONTENT}. Shorten the policy, or keep it in a file (--policy-uri).",
        )
    return content


def decode(content: Optional[str]) -> str:
    try:
        return base64.b64decode(content or "").decode()
    except ValueError:
        return ""


def parse_policy(pairs: list[str], base: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """``key=value`` pairs (values parsed as JSON when they are JSON) over ``base``."""
    policy = dict(base or {})
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError("bad_policy", f"--set wants name=value, not {pair!r}")
        try:
            policy[name.strip()] = json.loads(raw)
        except ValueError:
            policy[name.strip()] = raw
    return policy


def policy_from_json(text: str, where: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise CommandError("bad_policy", f"{where} is not JSON: {e}") from e
    if isinstance(doc, dict) and list(doc) == ["SmCostApp"]:
        doc = doc["SmCostApp"]
    if not isinstance(doc, dict):
        raise CommandError("bad_policy", f"{where} must be a JSON object of SmCostApp traits")
    return doc


def policy_problems(policy: dict[str, Any]) -> list[str]:
    """Unknown traits and values of the wrong type (checked against SmCostApp when the server
    extension can be imported here; empty otherwise)."""
    try:
        from traitlets import HasTraits, TraitError

        from ..app import SmCostApp
    except ImportError:  # pragma: no cover - the CLI runs where the package is installed
        return []
    traits = SmCostApp.class_traits(config=True)
    problems = []
    probe = HasTraits()
    for name, value in policy.items():
        trait = traits.get(name)
        if trait is None:
            problems.append(f"SmCostApp has no setting {name!r}")
            continue
        try:
            if value is not None or not trait.allow_none:
                trait.validate(probe, value)
        except TraitError as e:
            why = re.sub(r"^The '\w+' trait of an? \w+ instance ", "", " ".join(str(e).split()))
            problems.append(f"SmCostApp.{name}: {why[:160].rstrip('.')}")
    return problems


def studio_name(base: str, content: str) -> str:
    """A Studio configuration's name: the base plus 8 hex digits of the content's hash."""
    return f"{base[:54]}-{hashlib.sha256(content.encode()).hexdigest()[:8]}"


def arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def is_ours(arn_or_name: str, base: str) -> bool:
    return re.fullmatch(rf"{re.escape(base[:54])}-[0-9a-f]{{8}}", arn_name(arn_or_name)) is not None


@dataclass
class Change:
    """One AWS call that changes something (made, or with dry_run only planned)."""

    operation: str
    params: dict[str, Any]

    def describe(self) -> str:
        """``sagemaker.update_domain(DomainId='d-1', ...)``, scripts shown by their length."""

        def show(value: Any, key: str = "") -> str:
            if key in ("Content", "StudioLifecycleConfigContent"):
                return repr(f"<{len(value)} characters>")
            if isinstance(value, dict):
                return "{" + ", ".join(f"{k!r}: {show(v, k)}" for k, v in value.items()) + "}"
            if isinstance(value, list):
                return "[" + ", ".join(show(v, key) for v in value) + "]"
            return repr(value)

        args = ", ".join(f"{k}={show(v, k)}" for k, v in self.params.items())
        return f"sagemaker.{_snake(self.operation)}({args})"


class Lifecycle:
    """Create, attach, show and remove the lifecycle configurations on one SageMaker client."""

    def __init__(
        self,
        sm: Any,
        *,
        dry_run: bool = False,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        wait_timeout_s: float = 1200.0,
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.sm = sm
        self.dry_run = dry_run
        self.sleep = sleep
        self.clock = clock
        self.wait_timeout_s = wait_timeout_s
        self.say = say
        self.changes: list[Change] = []

    # -- calls
    @contextmanager
    def _errors(self, operation: str, action: str) -> Iterator[None]:
        try:
            yield
        except ClientError as e:
            if error_code(e) in ACCESS_CODES:
                msg = " ".join(str(e.response.get("Error", {}).get("Message", "")).split())
                raise CommandError(
                    "aws_access_denied",
                    f"AWS denied sagemaker:{operation} while trying to {action}: {msg}. The "
                    f"identity running this command needs the IAM action sagemaker:{operation} "
                    "(see the IAM page of the documentation).",
                ) from e
            code, message, _status = describe_aws_error(e, action)
            raise CommandError(code, message) from e
        except BotoCoreError as e:
            code, message, _status = describe_aws_error(e, action)
            raise CommandError(code, message) from e

    def _read(self, operation: str, action: str, **params: Any) -> dict[str, Any]:
        method = getattr(self.sm, _snake(operation))
        with self._errors(operation, action):
            return method(**params)

    def _change(self, operation: str, action: str, **params: Any) -> dict[str, Any]:
        change = Change(operation, params)
        self.changes.append(change)
        if self.dry_run:
            self.say(f"would call {change.describe()}")
            return {}
        return self._read(operation, action, **params)

    def _missing(self, operation: str, action: str, **params: Any) -> Optional[dict[str, Any]]:
        """The description, or None when SageMaker does not know the resource."""
        try:
            return self._read(operation, action, **params)
        except CommandError as e:
            cause = e.__cause__
            if isinstance(cause, ClientError) and (
                error_code(cause) in ("ResourceNotFound", "ResourceNotFoundException")
                or (
                    error_code(cause) == "ValidationException"
                    and _NOT_FOUND.search(cause.response.get("Error", {}).get("Message", ""))
                )
            ):
                return None
            raise

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
        arn = made.get("StudioLifecycleConfigArn") or (
            f"arn:aws:sagemaker:{self.sm.meta.region_name}:ACCOUNT:studio-lifecycle-config/{name}"
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


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
