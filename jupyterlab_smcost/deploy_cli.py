"""``jupyter smcost deploy ...``: the janitor on every account and region of an organisation.

    jupyter smcost deploy publish --bucket-prefix P --regions R1,R2 [--zip FILE] [--key K]
                                  [--org-id o-...]
    jupyter smcost deploy stackset --bucket-prefix P --ous OU1,OU2 --regions R1,R2
                                   [--name N] [--parameter KEY=VALUE ...] [--delegated-admin]
    jupyter smcost deploy teardown --ous OU1,OU2 --regions R1,R2 [--name N] [--delegated-admin]
    jupyter smcost deploy digest --queue-url URL [--notify-topic ARN]

Run ``stackset`` and ``teardown`` in the management account (or a delegated administrator's,
with ``--delegated-admin``); ``publish`` wherever the code buckets live (``--org-id`` sets
their policy letting the organisation's accounts read the key: see
docs/operators/organisation.md). ``digest`` does by hand what deploy/org-topic.yaml's
``DigestFunction`` does on its schedule.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from .aws import clients
from .aws import stacksets as ss
from .aws.errors import CommandError

_HERE = Path(__file__).resolve().parent
#: the plain template: in the wheel (data/), else the checkout's
TEMPLATE = next(
    (
        p
        for p in (
            _HERE / "data" / "janitor-stackset.json",
            _HERE.parent / "deploy" / "janitor-stackset.json",
        )
        if p.is_file()
    ),
    _HERE / "data" / "janitor-stackset.json",
)
DEFAULT_NAME = "jupyterlab-smcost-janitor"


def _list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("a comma-separated list of at least one item")
    return items


def _org_id(text: str) -> str:
    if not ss.ORG_ID.match(text):
        raise argparse.ArgumentTypeError(
            "an AWS Organizations id: o- and 10 to 32 letters or digits"
        )
    return text


def _client(service: str, region: Any = None) -> Any:
    return clients.make_client(service, region, max_attempts=clients.BATCH_MAX_ATTEMPTS)


def _call_as(args: argparse.Namespace) -> str:
    return "DELEGATED_ADMIN" if args.delegated_admin else "SELF"


def _template(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as e:
        raise CommandError("no_template", f"cannot read {path}: {e.strerror}") from e


def _emit(args: argparse.Namespace, out: TextIO, doc: dict[str, Any], lines: list[str]) -> int:
    if args.json:
        json.dump(doc, out, indent=2)
        out.write("\n")
    else:
        out.write("\n".join(lines) + "\n")
    return 0


def cmd_publish(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    body = Path(args.zip).read_bytes() if args.zip else ss.package_zip()
    done = ss.publish(
        lambda r: _client("s3", r), args.bucket_prefix, args.regions, body, args.key, args.org_id
    )
    readable = f", readable by organisation {args.org_id}" if args.org_id else ""
    lines = [f"{region}: {uri} ({len(body):,} bytes{readable})" for region, uri in done.items()]
    doc = {"published": done, "bytes": len(body), "org_id": args.org_id}
    return _emit(args, out, doc, lines)


def cmd_stackset(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    params = {"CodeBucketPrefix": args.bucket_prefix, "CodeKey": args.key}
    for pair in args.parameter or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError("bad_parameter", f"--parameter {pair!r} is not KEY=VALUE")
        params[key] = value
    cfn = _client("cloudformation", args.region)
    doc = ss.create_stack_set(
        cfn,
        args.name,
        args.template_url or _template(args.template),
        params,
        args.ous,
        args.regions,
        _call_as(args),
    )
    lines = [
        f"StackSet {args.name} ({doc['stack_set_id']}): service-managed, automatic deployment on",
        f"instances on {', '.join(args.ous)} in {', '.join(args.regions)}: operation "
        f"{doc['operation_id']}",
    ]
    return _emit(args, out, doc, lines)


def cmd_teardown(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cfn = _client("cloudformation", args.region)
    op = ss.teardown(cfn, args.name, args.ous, args.regions, _call_as(args))
    lines = [
        f"instances of {args.name} on {', '.join(args.ous)} in {', '.join(args.regions)} "
        f"deleted (operation {op}); StackSet {args.name} deleted. The code buckets are kept."
    ]
    return _emit(args, out, {"operation_id": op, "deleted": args.name}, lines)


def cmd_digest(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from datetime import datetime, timezone

    from .fleet.org_digest import run_digest

    sns = _client("sns", args.region) if args.notify_topic else None
    doc, text = run_digest(
        _client("sqs", args.region),
        args.queue_url,
        sns,
        args.notify_topic,
        datetime.now(timezone.utc),
    )
    return _emit(args, out, doc, [text])


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``deploy`` to the ``jupyter smcost`` subcommands."""
    deploy = sub.add_parser("deploy", help="the janitor on every account and region (StackSets)")
    dsub = deploy.add_subparsers(dest="deploy_command", required=True, metavar="COMMAND")
    code = argparse.ArgumentParser(add_help=False)
    code.add_argument("--bucket-prefix", required=True, help="code buckets are <this>-<region>")
    code.add_argument("--key", default=ss.DEFAULT_KEY, help=f"zip key (default {ss.DEFAULT_KEY})")
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--regions", type=_list, required=True, help="comma-separated regions")
    targets = argparse.ArgumentParser(add_help=False)
    targets.add_argument("--ous", type=_list, required=True, help="organisational unit ids")
    targets.add_argument("--name", default=DEFAULT_NAME, help=f"StackSet (default {DEFAULT_NAME})")
    targets.add_argument(
        "--delegated-admin", action="store_true", help="call as a delegated administrator"
    )

    p = dsub.add_parser(
        "publish",
        parents=[common, code, where],
        help="upload the package's Lambda zip to <prefix>-<region> in each region",
    )
    p.add_argument("--zip", type=Path, help="this zip instead of one made from the package")
    p.add_argument(
        "--org-id",
        type=_org_id,
        help="let this organisation's accounts read the zip (bucket policy, aws:PrincipalOrgID)",
    )
    p.set_defaults(func=cmd_publish)

    p = dsub.add_parser(
        "stackset",
        parents=[common, code, where, targets],
        help="create the service-managed StackSet and its instances on OUs",
    )
    p.add_argument("--template", type=Path, default=TEMPLATE, help="plain template (generated)")
    p.add_argument("--template-url", help="https:// URL of the template in S3 (instead)")
    p.add_argument("--parameter", action="append", metavar="KEY=VALUE", help="template parameter")
    p.set_defaults(func=cmd_stackset)

    p = dsub.add_parser(
        "teardown",
        parents=[common, where, targets],
        help="delete the StackSet's instances on the OUs, then the StackSet",
    )
    p.set_defaults(func=cmd_teardown)

    p = dsub.add_parser(
        "digest",
        parents=[common],
        help="one digest of the member accounts' fleet reports, by account and region",
    )
    p.add_argument("--queue-url", required=True, help="SQS queue subscribed to the org topic")
    p.add_argument("--notify-topic", metavar="ARN", help="publish the digest to this topic")
    p.set_defaults(func=cmd_digest)
