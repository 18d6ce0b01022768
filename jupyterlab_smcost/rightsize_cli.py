"""``jupyter smcost endpoints rightsize``: each InService endpoint variant's type, count, price
and p95 use, and what would cost less (see :mod:`jupyterlab_smcost.janitor.rightsize`).

    jupyter smcost endpoints rightsize [--days 14] [--name-contains X] [--tag KEY=VALUE ...]
                                       [--notify-topic ARN] [--json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Optional, TextIO

from .janitor import rightsize
from .pricing import LivePriceCache, PriceBook, money


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _saving(value: Optional[float], currency: str) -> str:
    return "unknown" if value is None else money(value, currency)


def cmd_endpoints_rightsize(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .cli import _cache_dir, _client, _per, table  # cli imports this module

    report = rightsize.find_rightsizing(
        _client("sagemaker", args.region),
        _client("cloudwatch", args.region),
        _client("application-autoscaling", args.region),
        days=args.days,
        name_contains=args.name_contains,
        tags=rightsize.parse_tags(args.tag),
        price_book=PriceBook(live=LivePriceCache(_cache_dir(args))),
    )
    message_id = None
    if args.notify_topic:
        message_id = rightsize.notify_rightsize(
            _client("sns", args.region), args.notify_topic, report
        )
    if args.json:
        doc = report.to_json()
        doc["message_id"] = message_id
        json.dump(doc, out, indent=2)
        out.write("\n")
        return 0
    cur = report.currency
    rows = []
    for item in sorted(report.items, key=lambda i: (-(i.best_saving or 0), i.variant.endpoint)):
        v, u = item.variant, item.variant.usage
        rules_text = ", ".join(
            f"{r.rule}"
            + (f" {r.instance_count} x {r.instance_type}" if r.instance_type else "")
            + f" ({_saving(r.savings_per_month, r.currency)})"
            for r in item.recommendations
        )
        rows.append(
            [
                f"{v.endpoint}/{v.variant}",
                "serverless" if v.serverless else f"{v.instance_count} x {v.instance_type}",
                money(v.price.per_hour, v.price.currency, significant=4),
                v.price.source,
                f"{u.invocations:g}",
                _pct(u.cpu_pct),
                _pct(u.memory_pct),
                _pct(u.gpu_pct),
                "yes" if v.scaling.managed else "no",
                rules_text or "-",
            ]
        )
    if rows:
        headers = [
            "ENDPOINT/VARIANT",
            "INSTANCES",
            _per("HOUR", cur),
            "PRICE",
            "INVOCATIONS",
            "CPU p95",
            "MEM p95",
            "GPU p95",
            "AUTOSCALED",
            f"RECOMMENDATIONS ({_per('MONTH', cur)} saved)",
        ]
        out.write(table(headers, rows, right=frozenset({2, 4, 5, 6, 7})) + "\n\n")
    for item in report.recommended:
        for r in item.recommendations:
            for command in r.commands:
                if "application-autoscaling" in command:
                    out.write(f"{item.variant.endpoint}/{item.variant.variant}: {command}\n")
    unknown = (
        f" ({report.unknown_savings} with a saving unknown: a price is unknown)"
        if report.unknown_savings
        else ""
    )
    out.write(
        f"{len(report.recommended)} of {len(report.items)} endpoint variants in {report.region} "
        f"could cost less over the last {report.days:g} days: up to "
        f"{money(report.savings_per_month, cur)}/month{unknown}.\n"
        "CPU and GPU figures are summed over vCPUs and GPUs (400% = 4 vCPUs busy); p95 of "
        "hourly maxima per instance.\n"
    )
    for s in report.skipped:
        out.write(f"skipped {s['name']}: {s['reason']}\n")
    if args.notify_topic:
        out.write(
            f"Notified {args.notify_topic} (message {message_id}).\n"
            if message_id
            else "Nothing to right-size: no notification sent.\n"
        )
    return 0


def add_parser(esub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``rightsize`` to ``jupyter smcost endpoints``."""
    p = esub.add_parser(
        "rightsize",
        parents=[common],
        help="endpoint variants that would cost less on another type or fewer instances",
        description="For every InService endpoint variant: type, count, Hosting price, p95 use "
        "from CloudWatch and Application Auto Scaling; the rules idle, smaller_type, "
        "fewer_instances, consolidate (and serverless, without a figure) with what each saves "
        "per month.",
    )
    p.add_argument("--days", type=float, default=rightsize.DEFAULT_DAYS, help="window (default 14)")
    p.add_argument("--name-contains", help="only endpoints whose name contains this")
    p.add_argument(
        "--tag",
        action="append",
        metavar="KEY=VALUE",
        help="only endpoints with this tag (repeat: all of them)",
    )
    p.add_argument(
        "--notify-topic",
        metavar="ARN",
        help="publish one SNS digest of the recommendations (none if none)",
    )
    p.add_argument("--cache-dir", type=Path, help="live price cache (see `prices --refresh`)")
    p.set_defaults(func=cmd_endpoints_rightsize)
