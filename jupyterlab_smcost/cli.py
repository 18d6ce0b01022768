"""``jupyter smcost``: the account janitor and the price book from a shell.

    jupyter smcost endpoints idle --hours 24 [--name-contains X] [--notify-topic ARN] [--json]
    jupyter smcost endpoints rightsize [--days 14] [--tag K=V] [--notify-topic ARN] [--json]
    jupyter smcost notebooks start|stop --name-contains dev- [--dry-run] [--json]
    jupyter smcost prices [--region R] [--component C] [--type T ...] [--refresh]
                          [--cache-dir D] [--json]
    jupyter smcost lifecycle script|create|attach|show|remove ...   (see lifecycle_cli.py)
    jupyter smcost fleet --domain d-... [--json] [--html FILE] [--publish s3://...]  (fleet_cli.py)

Exit status: 0 on success, 1 on a failure (one line on stderr: no credentials, access denied,
throttled, ...), 2 on bad usage, 141 (128 + SIGPIPE, quietly) when the reader of the output
goes away (``| head``). Only the standard library and boto3 at import: no jupyter module is
imported (the default price cache asks jupyter_core where the Jupyter data dir is, when it is
installed, as the server does).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Optional, TextIO

from . import deploy_cli, fleet_cli, lifecycle_cli, rightsize_cli
from .aws import clients
from .aws.errors import AwsError, CommandError, aws_errors
from .environments.detection import METADATA_PATH, detect_environment
from .janitor import endpoints, notebooks
from .pricing import (
    COMPONENTS,
    HOURS_PER_DAY,
    HOURS_PER_MONTH,
    USD,
    LivePriceCache,
    PriceBook,
    Quote,
    Specs,
    canonical_component,
    currency_symbol,
    money,
    price_row,
)
from .state import state_path

PROG = "jupyter smcost"
DEFAULT_COMPONENT = "Studio-JupyterLab"
#: what `prices` shows when no region is configured (prices need no account)
DEFAULT_PRICES_REGION = "us-east-1"
EXIT_BROKEN_PIPE = 128 + 13  # as a process killed by SIGPIPE: what shells report for `cat`


#: the metadata file's problems are the server's to report (its log), not every command's
_detection_log = logging.getLogger(__name__ + ".detection")
_detection_log.addHandler(logging.NullHandler())
_detection_log.propagate = False


def default_cache_dir(metadata_path: str = METADATA_PATH) -> Path:
    """The server extension's default price cache on this machine: where
    :func:`jupyterlab_smcost.state.state_dir` puts it for the environment detected from
    ``metadata_path``, as the server detects it."""
    kind = detect_environment("auto", metadata_path, _detection_log).kind
    return state_path(None, kind, "prices")


def _cache_dir(args: argparse.Namespace) -> Path:
    return args.cache_dir or default_cache_dir(args.metadata_path)


# ------------------------------------------------------------------------------ output


def table(headers: list[str], rows: list[list[str]], right: frozenset[int] = frozenset()) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]

    def line(cells: list[Any]) -> str:
        out = [
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _per(unit: str, currency: str = USD) -> str:
    """A money column's header: ``$/HOUR``."""
    return f"{currency_symbol(currency)}/{unit}"


def _source(source: str, as_of: Optional[str]) -> str:
    return f"{source} {as_of}" if as_of else source


# ------------------------------------------------------------------------------ commands


def _client(service: str, region: Optional[str]) -> Any:
    return clients.make_client(service, region, max_attempts=clients.BATCH_MAX_ATTEMPTS)


def cmd_endpoints_idle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    sagemaker = _client("sagemaker", args.region)
    cloudwatch = _client("cloudwatch", args.region)
    report = endpoints.find_idle_endpoints(
        sagemaker,
        cloudwatch,
        hours=args.hours,
        name_contains=args.name_contains,
        price_book=PriceBook(live=LivePriceCache(_cache_dir(args))),
    )
    message_id = None
    if args.notify_topic:
        sns = _client("sns", args.region)
        message_id = endpoints.notify_idle(sns, args.notify_topic, report)
    if args.json:
        doc = report.to_json()
        doc["message_id"] = message_id
        json.dump(doc, out, indent=2)
        out.write("\n")
        return 0
    idle = sorted(report.idle, key=lambda e: (-(e.per_day or 0), e.name))
    if idle:
        rows = [
            [
                e.name,
                "; ".join(v.describe() for v in e.variants),
                money(e.per_day, e.currency or report.currency),
                _source(e.source, e.as_of),
                (e.created_at or "")[:16].replace("T", " "),
            ]
            for e in idle
        ]
        out.write(
            table(
                ["ENDPOINT", "VARIANTS", _per("DAY", report.currency), "PRICE", "CREATED (UTC)"],
                rows,
                right=frozenset({2}),
            )
            + "\n\n"
        )
    unpriced = f" ({report.idle_unpriced} without a known price)" if report.idle_unpriced else ""
    out.write(
        f"{len(idle)} of {len(report.endpoints)} InService endpoints in {report.region} "
        f"had no invocations in the last {report.hours:g} h"
        + (f": {money(report.idle_per_day, report.currency)}/day{unpriced}" if idle else "")
        + ".\n"
    )
    for s in report.skipped:
        out.write(f"skipped {s['name']}: {s['reason']}\n")
    if args.notify_topic:
        out.write(
            f"Notified {args.notify_topic} (message {message_id}).\n"
            if message_id
            else "Nothing idle: no notification sent.\n"
        )
    return 0


def cmd_notebooks(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    sagemaker = _client("sagemaker", args.region)
    report = notebooks.schedule_notebooks(
        sagemaker, args.action, args.name_contains, dry_run=args.dry_run
    )
    if args.json:
        json.dump(report.to_json(), out, indent=2)
        out.write("\n")
    else:
        verb = notebooks.ACTIONS[args.action][3]
        prefix = "would be " if args.dry_run else ""
        rows = [[n, prefix + verb] for n in report.acted]
        rows += [[s["name"], f"skipped ({s['reason']})"] for s in report.skipped]
        rows += [[f["name"], f"FAILED: {f['message']}"] for f in report.failed]
        if rows:
            out.write(table(["NOTEBOOK INSTANCE", "RESULT"], rows) + "\n\n")
        out.write(
            f"{len(report.acted)} {prefix}{verb}, {len(report.skipped)} skipped, "
            f"{len(report.failed)} failed (name contains {args.name_contains!r})"
            + (" [dry run: nothing changed]" if args.dry_run else "")
            + ".\n"
        )
    failure = report.failure_line()
    if failure:
        raise CommandError("partial_failure", failure)
    return 0


def _prices_region(region: Optional[str], err: TextIO) -> str:
    """The region asked for or configured; else us-east-1, said on stderr."""
    found = clients.default_region(region)
    if found:
        return found
    err.write(
        f"{PROG}: no AWS region is configured: showing {DEFAULT_PRICES_REGION} "
        "(pass --region or set AWS_REGION)\n"
    )
    return DEFAULT_PRICES_REGION


def _gpu_column(s: Optional[Specs]) -> str:
    if s is None:
        return "?"
    if s.gpu_count:
        return f"{s.gpu_count} x {s.gpu_model}"
    if s.accelerator_count:
        return f"{s.accelerator_count} x {s.accelerator_model}"
    return "-"


def cmd_prices(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    region = _prices_region(args.region, err)
    component = args.component
    cache = LivePriceCache(_cache_dir(args))
    fetched = None
    if args.refresh:
        with aws_errors(f"fetch {component} prices for {region} (Price List API)"):
            fetched = len(cache.refresh(region, component, force=True).get("items", {}))
    book = PriceBook(live=cache)
    book.load_live(region, component)
    if args.types:
        asked = list(dict.fromkeys(args.types))  # in the order given, once each
        rows = [(t, book.price(region, component, t), book.specs(t)) for t in asked]
    else:
        rows = book.table(region, component)
    if args.json:
        doc = {
            "region": region,
            "component": component,
            "as_of": book.as_of(region, component),
            "refreshed": fetched,
            "items": [
                {**price_row(t, p, s), "per_day": p.for_hours(HOURS_PER_DAY)} for t, p, s in rows
            ],
        }
        json.dump(doc, out, indent=2)
        out.write("\n")
        return 0
    if fetched is not None:
        out.write(f"Fetched {fetched} live prices into {cache.cache_dir}.\n")
    if not rows:
        out.write(
            f"No {component} prices known for {region}; "
            "`--type T` tells what is known or estimated for a type.\n"
        )
        return 0
    notes: dict[str, int] = {}  # each distinct citation or estimate, numbered once

    def source(p: Quote) -> str:
        n = notes.setdefault(p.detail, len(notes) + 1)
        return f"{_source(p.source, p.as_of)} [{n}]"

    body = [
        [
            t,
            money(p.per_hour, p.currency, 4),
            money(p.for_hours(HOURS_PER_MONTH), p.currency, 0),
            p.likely() if p.low is not None else "-",
            str(s.vcpu) if s else "?",
            f"{s.memory_gib:g}" if s else "?",
            _gpu_column(s),
            source(p),
        ]
        for t, p, s in rows
    ]
    currency = rows[0][1].currency  # one region, one currency
    out.write(f"{component} on-demand prices in {region}:\n")
    out.write(
        table(
            [
                "TYPE",
                _per("HOUR", currency),
                _per("MONTH", currency),
                "LIKELY/H",
                "VCPU",
                "GIB",
                "GPU",
                "SOURCE",
            ],
            body,
            right=frozenset({1, 2, 3, 4, 5}),
        )
        + "\n\n"
    )
    for detail, n in notes.items():
        out.write(f"[{n}] {detail}\n")
    return 0


def _component(name: str) -> str:
    """``--component``: any case; the Price List spelling comes out."""
    found = canonical_component(name)
    if found is None:
        raise argparse.ArgumentTypeError(
            f"unknown component {name!r} (choose from {', '.join(COMPONENTS)}; any case)"
        )
    return found


# ------------------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--region",
        help="AWS region (default: boto3's: AWS_REGION, profile...; for prices, else us-east-1)",
    )
    common.add_argument("--json", action="store_true", help="machine-readable output")

    parser = argparse.ArgumentParser(
        prog=PROG, description="SageMaker cost control: idle endpoints, notebook schedules, prices."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    endpoints = sub.add_parser("endpoints", help="real-time inference endpoints")
    esub = endpoints.add_subparsers(dest="endpoints_command", required=True, metavar="COMMAND")
    idle = esub.add_parser(
        "idle",
        parents=[common],
        help="InService endpoints with no invocations in a window",
        description="List InService endpoints whose variants had no Invocations in the window, "
        "with their instances and what they cost per day.",
    )
    idle.add_argument("--hours", type=float, default=24.0, help="idle window (default 24)")
    idle.add_argument("--name-contains", help="only endpoints whose name contains this")
    idle.add_argument(
        "--notify-topic",
        metavar="ARN",
        help="publish one SNS message listing the idle endpoints (none if none)",
    )
    idle.add_argument("--cache-dir", type=Path, help="live price cache (see `prices --refresh`)")
    idle.set_defaults(func=cmd_endpoints_idle)
    rightsize_cli.add_parser(esub, common)

    notebooks = sub.add_parser("notebooks", help="notebook instances")
    nsub = notebooks.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, help_text in (
        ("start", "start the Stopped notebook instances matching a name"),
        ("stop", "stop the InService notebook instances matching a name"),
    ):
        p = nsub.add_parser(action, parents=[common], help=help_text, description=help_text)
        p.add_argument(
            "--name-contains",
            required=True,
            help="only notebook instances whose name contains this (required)",
        )
        p.add_argument("--dry-run", action="store_true", help="report, change nothing")
        p.set_defaults(func=cmd_notebooks)

    prices = sub.add_parser(
        "prices",
        parents=[common],
        help="the price book (live cache, bundled, estimates)",
        description="On-demand prices with their source (live, bundled, estimated from what, "
        "or unknown) and date: every type priced for the region and component, or the types "
        "given with --type.",
    )
    prices.add_argument(
        "--component",
        default=DEFAULT_COMPONENT,
        type=_component,
        metavar="C",
        help=f"Price List component, any case: {', '.join(COMPONENTS)} "
        f"(default {DEFAULT_COMPONENT})",
    )
    prices.add_argument(
        "--type",
        dest="types",
        action="append",
        metavar="T",
        help="an instance type to price (repeat for several): its live, bundled or "
        "estimated price, or unknown, with where it comes from",
    )
    prices.add_argument(
        "--refresh",
        action="store_true",
        help="fetch live prices from the AWS Price List API into the cache",
    )
    prices.add_argument(
        "--cache-dir",
        type=Path,
        help="live price cache (default: the server extension's: "
        "/home/ec2-user/SageMaker/.smcost/prices on notebook instances, else "
        "<jupyter data dir>/smcost/prices)",
    )
    prices.set_defaults(func=cmd_prices)
    lifecycle_cli.add_parser(sub, common)
    fleet_cli.add_parser(sub, common)
    deploy_cli.add_parser(sub, common)
    return parser


def main(
    argv: Optional[list[str]] = None,
    out: Optional[TextIO] = None,
    err: Optional[TextIO] = None,
    metadata_path: str = METADATA_PATH,
) -> int:
    """Run the command; ``metadata_path``: the SageMaker resource metadata the default price
    cache is found from (as the server's ``SmCostApp.metadata_path``)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    args.metadata_path = metadata_path
    try:
        rc = args.func(args, out, err)
        out.flush()
        return rc
    except AwsError as exc:
        err.write(f"{PROG}: error: {exc.message}\n")
        return 1
    except KeyboardInterrupt:
        err.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        _discard_output(out)
        return EXIT_BROKEN_PIPE


def _discard_output(out: TextIO) -> None:
    """The reader closed the pipe (``| head``): point the stream at /dev/null, so that
    Python's own flush at exit does not fail again (the Python documentation's recipe for
    SIGPIPE)."""
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (tests pass a StringIO)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
