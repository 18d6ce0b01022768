"""``jupyter smcost fleet``: every user profile, space and running app of a Studio domain,
with cost, last activity and which idle shutdown covers each app.

    jupyter smcost fleet --domain d-... [--region R] [--json] [--html FILE]
                         [--publish s3://bucket/key.html] [--gpu-quiet-hours H] [--no-billed]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, TextIO

from .aws import clients
from .aws.errors import CommandError, aws_errors
from .fleet.billed import billed_per_user
from .fleet.collect import DomainReader
from .fleet.html import render_html
from .fleet.report import GPU_QUIET_HOURS, FleetReport, build_report
from .pricing import HOURS_PER_DAY, LivePriceCache, PriceBook
from .pricing.quote import currency_symbol, money

Clock = Callable[[], datetime]


def _client(service: str, region: Optional[str]) -> Any:
    return clients.make_client(
        service, region, max_attempts=clients.BATCH_MAX_ATTEMPTS, retry_mode="adaptive"
    )


def fleet_report(
    sm: Any,
    domain_id: str,
    book: PriceBook,
    *,
    ce: Any = None,
    now: Optional[datetime] = None,
    gpu_quiet_hours: float = GPU_QUIET_HOURS,
    reader: Optional[DomainReader] = None,
) -> FleetReport:
    """Read the domain and build its report (Cost Explorer's figures when ``ce`` is given)."""
    data = (reader or DomainReader(sm)).read(domain_id)
    book.load_live(data.region, "Studio-JupyterLab")
    now = now or datetime.now(timezone.utc)
    report = build_report(data, book, now, gpu_quiet_hours)
    if ce is not None:
        owners = {
            s["SpaceName"]: (s.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName")
            for s in data.spaces
            if s.get("SpaceName")
        }
        report.billed = billed_per_user(ce, domain_id, owners, now.date())
    return report


def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:] or uri.endswith("/"):
        raise CommandError("bad_uri", f"{uri!r} is not s3://bucket/key")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def publish_html(s3: Any, uri: str, page: str) -> None:
    bucket, key = parse_s3_uri(uri)
    with aws_errors(f"publish the report to {uri}"):
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=page.encode(),
            ContentType="text/html; charset=utf-8",
        )


def _h(hours: Optional[float]) -> str:
    return "?" if hours is None else f"{hours:.1f}h"


def write_table(report: FleetReport, out: TextIO) -> None:
    from .cli import table  # the CLI's table layout (cli imports this module lazily)

    currency = report.apps[0].price.currency if report.apps else "USD"
    rows = [
        [
            a.owner or "",
            a.space or a.app_name,
            a.app_type,
            a.instance_type or "",
            money(a.price.per_hour, a.price.currency, significant=4),
            a.price.source,
            _h(a.hours_running),
            _h(a.hours_since_activity),
            a.cover.describe()
            + (" [kernels/terminals open keep it up]" if a.cover.caveats else ""),
        ]
        for a in report.apps
    ]
    if rows:
        out.write(
            table(
                [
                    "OWNER",
                    "SPACE",
                    "APP",
                    "INSTANCE",
                    f"{currency_symbol(currency)}/H",
                    "PRICE",
                    "RUNNING",
                    "IDLE FOR",
                    "IDLE SHUTDOWN",
                ],
                rows,
                right=frozenset({4, 6, 7}),
            )
            + "\n\n"
        )
    if report.per_user:
        out.write(
            table(
                ["USER", "APPS", "PER DAY", "UNPRICED"],
                [
                    [
                        t.key,
                        str(t.apps),
                        money(t.per_hour * HOURS_PER_DAY, t.currency),
                        str(t.unpriced),
                    ]
                    for t in report.per_user
                ],
                right=frozenset({1, 2, 3}),
            )
            + "\n\n"
        )
        out.write(
            table(
                ["INSTANCE TYPE", "APPS", "PER DAY", "UNPRICED"],
                [
                    [
                        t.key,
                        str(t.apps),
                        money(t.per_hour * HOURS_PER_DAY, t.currency),
                        str(t.unpriced),
                    ]
                    for t in report.per_type
                ],
                right=frozenset({1, 2, 3}),
            )
            + "\n\n"
        )
    if report.uncovered:
        out.write(
            f"{len(report.uncovered)} running apps have no idle shutdown (listed first): "
            "`jupyter smcost lifecycle attach --domain ...` covers them.\n"
        )
    if any(a.cover.caveats for a in report.apps):
        out.write(
            "Apps covered only by SageMaker's built-in idle shutdown: it does not stop a "
            "JupyterLab app while any kernel or terminal session is open, idle or not.\n"
        )
    if report.gpu_quiet:
        names = ", ".join(a.space or a.app_name for a in report.gpu_quiet)
        out.write(f"GPU apps with no activity in {report.gpu_quiet_hours:g} h: {names}.\n")
    billed = report.billed
    if billed:
        if billed.get("users"):
            out.write(
                f"Billed {billed['start']} to {billed['end']} (Cost Explorer): "
                + ", ".join(
                    f"{u['user_profile']} {money(u['amount'], u['currency'])}"
                    for u in billed["users"]
                )
                + ".\n"
            )
        if billed.get("note"):
            out.write(billed["note"] + "\n")
    for line in report.truncated + report.problems:
        out.write(f"warning: {line}\n")
    out.write(report.summary_line() + "\n")


def cmd_fleet(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .cli import _cache_dir

    region = clients.default_region(args.region)
    sm = _client("sagemaker", region)
    ce = None if args.no_billed else _client("ce", region)
    book = PriceBook(live=LivePriceCache(_cache_dir(args)))
    report = fleet_report(sm, args.domain, book, ce=ce, gpu_quiet_hours=args.gpu_quiet_hours)
    page = None
    if args.html or args.publish:
        page = render_html(report)
    if args.html:
        Path(args.html).write_text(page or "", encoding="utf-8")
    if args.publish:
        publish_html(_client("s3", region), args.publish, page or "")
    if args.json:
        doc = report.to_json()
        doc["html"] = str(args.html) if args.html else None
        doc["published"] = args.publish
        json.dump(doc, out, indent=2)
        out.write("\n")
        return 0
    write_table(report, out)
    if args.html:
        out.write(f"HTML report: {args.html}\n")
    if args.publish:
        out.write(f"Published to {args.publish}\n")
    return 0


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``fleet`` to the ``jupyter smcost`` subcommands."""
    p = sub.add_parser(
        "fleet",
        parents=[common],
        help="every space and running app of a Studio domain: cost, activity, idle cover",
        description="Every user profile and space of a Studio domain, the apps InService with "
        "their price (and its source), how long they have run, their last activity, owner "
        "and which idle shutdown covers them (this extension, SageMaker's built-in idle "
        "settings, or none: listed first); totals per user and instance type; Cost "
        "Explorer's billed amounts per user profile when the cost allocation tags are on.",
    )
    p.add_argument("--domain", required=True, metavar="ID", help="the Studio domain (d-...)")
    p.add_argument(
        "--gpu-quiet-hours",
        type=float,
        default=GPU_QUIET_HOURS,
        metavar="H",
        help=f"GPU apps with no activity for this long are listed (default {GPU_QUIET_HOURS:g})",
    )
    p.add_argument(
        "--html", type=Path, metavar="FILE", help="also write a self-contained HTML report"
    )
    p.add_argument("--publish", metavar="S3_URI", help="upload the HTML report to s3://bucket/key")
    p.add_argument(
        "--no-billed", action="store_true", help="skip Cost Explorer (2 requests, $0.02)"
    )
    p.add_argument("--cache-dir", type=Path, help="live price cache (see `prices --refresh`)")
    p.set_defaults(func=cmd_fleet)
