"""``jupyter smcost lifecycle ...``: install jupyterlab-smcost on SageMaker with lifecycle
configurations (aws/lifecycle.py makes the calls, aws/lifecycle_script.py renders the
script; this is the command line).

    jupyter smcost lifecycle script [--target T] [POLICY]
    jupyter smcost lifecycle create --target T [--name N] [POLICY] [--dry-run]
    jupyter smcost lifecycle attach --notebook-instance NAME... [--restart] [--replace] [POLICY]
    jupyter smcost lifecycle attach --domain D [--user-profile U] [--app A] [--replace] [POLICY]
                                    [--native-idle-timeout MINUTES]
    jupyter smcost lifecycle show (--notebook-instance NAME | --domain D [--user-profile U])
    jupyter smcost lifecycle remove (--notebook-instance NAME... [--restart] |
                                     --domain D [--user-profile U] [--app A]) [--delete]

POLICY: --source S, --policy FILE, --set NAME=VALUE..., --policy-uri URI.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional, TextIO

from . import __version__
from .aws import clients
from .aws import lifecycle as lc
from .aws import lifecycle_script as lcs
from .aws.errors import CommandError

APPS = {"jupyterlab": "JupyterLab", "jupyter-server": "JupyterServer"}


def default_source() -> str:
    """This version from PyPI: what the lifecycle installs unless told otherwise."""
    return f"jupyterlab-smcost=={__version__}" if __version__[:1].isdigit() else "jupyterlab-smcost"


def settings_from(args: argparse.Namespace, target: str) -> lcs.Settings:
    policy: dict[str, Any] = {}
    if args.policy:
        path = Path(args.policy)
        try:
            text = path.read_text()
        except OSError as e:
            raise CommandError("bad_policy", f"cannot read {path}: {e.strerror}") from e
        policy = lcs.policy_from_json(text, str(path))
    policy = lcs.parse_policy(args.set or [], policy)
    problems = lcs.policy_problems(policy)
    if problems:
        raise CommandError("bad_policy", "The policy is not valid: " + "; ".join(problems))
    return lcs.Settings(target, args.source or default_source(), policy, args.policy_uri or "")


def _target(args: argparse.Namespace) -> str:
    if getattr(args, "notebook_instance", None):
        return "notebook-instance"
    if getattr(args, "domain", None):
        return args.app
    return args.target


def _name(args: argparse.Namespace, target: str) -> str:
    return args.name or lc.DEFAULT_NAMES[target]


def _emitter(args: argparse.Namespace, out: TextIO) -> Callable[[str], None]:
    """Print a line now (progress shows before a later error), unless the output is JSON."""

    def emit(line: str) -> None:
        if not args.json:
            out.write(line + "\n")

    return emit


def _finish(args: argparse.Namespace, tool: lc.Lifecycle, doc: dict[str, Any], out: TextIO) -> int:
    if args.json:
        doc["dry_run"] = args.dry_run if hasattr(args, "dry_run") else False
        doc["changes"] = [{"operation": c.operation, "params": c.params} for c in tool.changes]
        json.dump(doc, out, indent=2, default=str)
        out.write("\n")
        return 0
    if getattr(args, "dry_run", False):
        out.write(f"[dry run: {len(tool.changes)} change(s) listed above, none made]\n")
    elif not tool.changes:
        out.write("Nothing to change.\n")
    return 0


def _tool(args: argparse.Namespace, out: TextIO) -> lc.Lifecycle:
    sm = clients.make_client("sagemaker", args.region, max_attempts=clients.BATCH_MAX_ATTEMPTS)
    return lc.Lifecycle(
        sm,
        dry_run=getattr(args, "dry_run", False),
        say=lambda line: None if args.json else out.write(line + "\n"),
    )


def _ensure(tool: lc.Lifecycle, target: str, name: str, script: str) -> tuple[str, str, str]:
    """Create or update the configuration: (name, arn or '', state)."""
    if target == "notebook-instance":
        return name, "", tool.ensure_notebook_config(name, script)
    return tool.ensure_studio_config(name, lc.TARGETS[target], script)


def cmd_script(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    script = lcs.render(settings_from(args, args.target), strip=not args.keep_comments)
    lcs.encode(script)  # the length check
    out.write(script)
    return 0


def cmd_create(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    target = args.target
    script = lcs.render(settings_from(args, target))
    tool = _tool(args, out)
    name, arn, state = _ensure(tool, target, _name(args, target), script)
    what = (
        "notebook instance" if target == "notebook-instance" else f"Studio ({lc.TARGETS[target]})"
    )
    line = f"{what} lifecycle configuration {name}: {state}" + (f" ({arn})" if arn else "")
    _emitter(args, out)(line)
    return _finish(args, tool, {"name": name, "arn": arn or None, "state": state}, out)


def cmd_attach(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    target = _target(args)
    if getattr(args, "native_idle_timeout", None) is not None:
        _check_native_idle(args.native_idle_timeout, target)  # before any change
    script = lcs.render(settings_from(args, target))
    tool = _tool(args, out)
    name, arn, state = _ensure(tool, target, _name(args, target), script)
    emit = _emitter(args, out)
    emit(f"lifecycle configuration {name}: {state}")
    doc: dict[str, Any] = {"name": name, "arn": arn or None, "state": state, "attached": {}}
    if target == "notebook-instance":
        for instance in args.notebook_instance:
            result = tool.attach_notebook_instance(instance, name, args.restart, args.replace)
            doc["attached"][instance] = result
            emit(f"notebook instance {instance}: {result}")
        emit("The script runs at each start of the instance.")
    else:
        app = lc.TARGETS[target]
        result, superseded = tool.attach_studio(
            args.domain, app, arn, _name(args, target), args.user_profile, args.replace
        )
        owner = (
            f"user profile {args.user_profile}" if args.user_profile else f"domain {args.domain}"
        )
        doc["attached"][owner] = result
        emit(f"{owner}, {app} apps: {result} (the default lifecycle configuration)")
        deleted = tool.delete_studio_configs(superseded)
        doc["superseded"] = deleted
        for n, state_ in deleted.items():
            emit(f"superseded {n}: {state_}")
        emit(f"It runs when a {app} app starts: running apps get it when they restart.")
    if getattr(args, "native_idle_timeout", None) is not None:
        _native_idle(args, tool, target, doc, emit)
    return _finish(args, tool, doc, out)


def _check_native_idle(minutes: int, target: str) -> None:
    from .aws.native_idle import MAX_MINUTES, MIN_MINUTES

    if target != "jupyterlab":
        raise CommandError(
            "not_supported",
            "--native-idle-timeout applies to JupyterLab spaces (--domain, --app jupyterlab): "
            "SageMaker's built-in idle shutdown is for JupyterLab and Code Editor apps.",
        )
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise CommandError(
            "bad_timeout",
            f"--native-idle-timeout {minutes}: SageMaker accepts {MIN_MINUTES} to "
            f"{MAX_MINUTES} minutes.",
        )


def _native_idle(
    args: argparse.Namespace,
    tool: lc.Lifecycle,
    target: str,
    doc: dict[str, Any],
    emit: Callable[[str], None],
) -> None:
    """``--native-idle-timeout``: SageMaker's built-in idle shutdown as a backstop."""
    from .aws.native_idle import set_native_idle

    minutes = args.native_idle_timeout
    doc["native_idle"] = set_native_idle(tool, args.domain, minutes, args.user_profile)
    emit(
        f"SageMaker's built-in idle shutdown, {minutes} min: {doc['native_idle']} (it does not "
        "stop a JupyterLab app while any kernel or terminal session is open)"
    )


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    tool = _tool(args, out)
    if args.notebook_instance:
        doc: dict[str, Any] = {
            "notebook_instances": [tool.show_notebook_instance(n) for n in args.notebook_instance]
        }
        lines = []
        for item in doc["notebook_instances"]:
            lines.append(
                f"notebook instance {item['notebook_instance']} ({item['status']}): "
                + (
                    f"lifecycle configuration {item['lifecycle_config']}"
                    if item["lifecycle_config"]
                    else "no lifecycle configuration"
                )
            )
            lines += _describe_settings(item["smcost"])
    else:
        doc = tool.show_studio(args.domain, args.user_profile)
        lines = [f"{doc['owner']}:"]
        if not doc["apps"]:
            lines.append("  no JupyterLab or JupyterServer lifecycle configurations")
        for app in doc["apps"]:
            for config in app["configs"]:
                flag = "default" if config["default"] else "available"
                lines.append(f"  {app['settings']} {app['app_type']}: {config['name']} ({flag})")
                lines += ["  " + line for line in _describe_settings(config["smcost"])]
    if args.json:
        json.dump(doc, out, indent=2, default=str)
        out.write("\n")
        return 0
    out.write("\n".join(lines) + "\n")
    return 0


def _describe_settings(settings: Optional[dict[str, Any]]) -> list[str]:
    if settings is None:
        return ["  (not a jupyterlab-smcost script)"]
    policy = (
        json.dumps(settings["policy"], sort_keys=True) if settings["policy"] else "{} (defaults)"
    )
    lines = [
        f"  jupyterlab-smcost from {settings['source']} (target {settings['target']})",
        f"  policy: {policy}",
    ]
    if settings["policy_uri"]:
        lines.append(f"  policy file (wins): {settings['policy_uri']}")
    return lines


def cmd_remove(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    target = _target(args)
    name = _name(args, target)
    tool = _tool(args, out)
    doc: dict[str, Any] = {"detached": {}, "deleted": {}}
    emit = _emitter(args, out)
    if target == "notebook-instance":
        for instance in args.notebook_instance:
            result = tool.detach_notebook_instance(instance, name, args.restart)
            doc["detached"][instance] = result
            emit(f"notebook instance {instance}: {result}")
        if args.delete:
            doc["deleted"][name] = tool.delete_notebook_config(name)
            emit(f"lifecycle configuration {name}: {doc['deleted'][name]}")
    else:
        app = lc.TARGETS[target]
        removed = tool.detach_studio(args.domain, app, name, args.user_profile)
        owner = (
            f"user profile {args.user_profile}" if args.user_profile else f"domain {args.domain}"
        )
        doc["detached"][owner] = [lc.arn_name(a) for a in removed]
        emit(
            f"{owner}, {app} apps: "
            + (", ".join(doc["detached"][owner]) + " detached" if removed else "nothing attached")
        )
        if args.delete:
            doc["deleted"] = tool.delete_studio_configs(removed)
            for n, state in doc["deleted"].items():
                emit(f"{n}: {state}")
    return _finish(args, tool, doc, out)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``lifecycle`` to the ``jupyter smcost`` subcommands."""
    policy = argparse.ArgumentParser(add_help=False)
    g = policy.add_argument_group("what the script installs and the admin policy it writes")
    g.add_argument(
        "--source",
        help=f"pip requirement, or a wheel's S3 URI or path, or an S3 prefix/folder ending in / "
        f"(default: {default_source()})",
    )
    g.add_argument("--policy", metavar="FILE", help="JSON file of SmCostApp traits")
    g.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="one SmCostApp trait (JSON value), repeatable",
    )
    g.add_argument(
        "--policy-uri",
        metavar="URI",
        help="S3 URI or path of a JSON policy the script reads at every start (wins)",
    )
    change = argparse.ArgumentParser(add_help=False)
    change.add_argument(
        "--dry-run",
        action="store_true",
        help="read, and print the calls that would change something",
    )
    change.add_argument(
        "--name",
        help="configuration name (default smcost; Studio: smcost-jupyterlab or "
        "smcost-jupyterserver, plus a hash of the content)",
    )
    where = argparse.ArgumentParser(add_help=False)
    w = where.add_mutually_exclusive_group(required=True)
    w.add_argument(
        "--notebook-instance",
        action="append",
        metavar="NAME",
        help="a notebook instance (repeatable)",
    )
    w.add_argument(
        "--domain", metavar="ID", help="a Studio domain (its default for new and existing users)"
    )
    where.add_argument(
        "--user-profile", help="with --domain: this user profile instead of the domain default"
    )
    where.add_argument(
        "--app",
        choices=tuple(APPS),
        default="jupyterlab",
        help="with --domain: JupyterLab spaces, or Studio Classic's JupyterServer "
        "(default jupyterlab)",
    )
    where.add_argument(
        "--restart",
        action="store_true",
        help="notebook instance: stop it, change it, start it again (it must be stopped otherwise)",
    )

    lifecycle = sub.add_parser(
        "lifecycle",
        help="install jupyterlab-smcost on SageMaker with lifecycle configurations",
        description="Create, attach, show and remove the lifecycle configurations that install "
        "jupyterlab-smcost and its admin policy on notebook instances and Studio apps. "
        "Idempotent: a second run changes nothing.",
    )
    lsub = lifecycle.add_subparsers(dest="lifecycle_command", required=True, metavar="COMMAND")
    targets = tuple(lc.TARGETS)

    p = lsub.add_parser(
        "script", parents=[policy], help="print the script with the settings filled in"
    )
    p.add_argument("--target", choices=("auto",) + targets, default="auto")
    p.add_argument("--keep-comments", action="store_true", help="keep the explanations (longer)")
    p.set_defaults(func=cmd_script)

    p = lsub.add_parser(
        "create",
        parents=[common, policy, change],
        help="create or update the lifecycle configuration",
    )
    p.add_argument("--target", choices=targets, required=True)
    p.set_defaults(func=cmd_create)

    p = lsub.add_parser(
        "attach", parents=[common, policy, change, where], help="create or update it, and attach it"
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace another lifecycle configuration: in place (notebook instance), as the "
        "default (Studio)",
    )
    p.add_argument(
        "--native-idle-timeout",
        type=int,
        metavar="MINUTES",
        help="with --domain: also turn on SageMaker's built-in idle shutdown for JupyterLab "
        "apps after MINUTES (60-525600), a backstop; it does not act while any kernel or "
        "terminal session is open",
    )
    p.set_defaults(func=cmd_attach)

    p = lsub.add_parser(
        "show", parents=[common, where], help="what is attached, with the policy in it"
    )
    p.set_defaults(func=cmd_show)

    p = lsub.add_parser(
        "remove", parents=[common, change, where], help="detach it (and --delete it)"
    )
    p.add_argument("--delete", action="store_true", help="also delete the configuration")
    p.set_defaults(func=cmd_remove)
