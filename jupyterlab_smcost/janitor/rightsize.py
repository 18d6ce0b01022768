"""Endpoint right-sizing (``jupyter smcost endpoints rightsize`` and the
``report_rightsize_endpoints`` Lambda): what every InService endpoint variant runs, what it did
over the last days (CloudWatch, in batched ``GetMetricData`` calls as ``endpoints idle``), whether
Application Auto Scaling manages it, and the rules of :mod:`.rightsize_rules` over them.

Figures: ``Invocations`` (``AWS/SageMaker``) summed per hour; ``CPUUtilization``,
``MemoryUtilization``, ``GPUUtilization``, ``GPUMemoryUtilization`` (``/aws/sagemaker/Endpoints``)
as hourly maxima (the busiest instance's busiest minute of each hour: a conservative need);
each figure is the p95 of its hourly values over the window. Hourly periods keep a 14-day
window at 336 values a query (GetMetricData answers up to 100,800 values a call). Only the
standard library and boto3: it runs in a bare Lambda.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from botocore.exceptions import ClientError

from ..aws.errors import AwsError, CommandError, aws_errors
from ..aws.partitions import currency_of
from ..pricing import USD, PriceBook, money
from . import rightsize_measured as measured
from . import rightsize_rules as rules
from .endpoints import (
    HOSTING,
    MAX_QUERIES_PER_CALL,
    EndpointUsage,
    _ConfigCache,
    _iso,
    _vanished,
    describe_endpoint_usage,
    list_inservice_endpoints,
    price_variants,
)
from .sns import bounded_body, publish

ENDPOINT_NAMESPACE = "/aws/sagemaker/Endpoints"
PERIOD = 3600
MAX_VALUES_PER_CALL = 100_800  # GetMetricData's limit on data points in one answer
DEFAULT_DAYS = 14.0
DEFAULT_WORKERS = 8
#: (usage field, namespace, metric, statistic per hour, GPU types only)
METRICS = (
    ("invocations", "AWS/SageMaker", "Invocations", "Sum", False),
    ("cpu_pct", ENDPOINT_NAMESPACE, "CPUUtilization", "Maximum", False),
    ("memory_pct", ENDPOINT_NAMESPACE, "MemoryUtilization", "Maximum", False),
    ("gpu_pct", ENDPOINT_NAMESPACE, "GPUUtilization", "Maximum", True),
    ("gpu_memory_pct", ENDPOINT_NAMESPACE, "GPUMemoryUtilization", "Maximum", True),
)


def parse_tags(values: Optional[list[str]]) -> dict[str, str]:
    """``KEY=VALUE`` filters (``--tag``, ``TAGS``) into a dict."""
    tags: dict[str, str] = {}
    for raw in values or []:
        key, sep, value = raw.partition("=")
        if not sep or not key.strip():
            raise CommandError("invalid_input", f"--tag {raw!r} is not KEY=VALUE")
        tags[key.strip()] = value.strip()
    return tags


def rightsize_window(days: float, now: Optional[datetime] = None) -> tuple[datetime, datetime]:
    """(start, end): ``end`` the next whole hour, ``start`` ``days`` before it."""
    if not days or days <= 0 or days > 455:
        raise CommandError("invalid_input", f"--days must be in (0, 455], not {days!r}")
    now = now or datetime.now(timezone.utc)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - timedelta(hours=math.ceil(days * 24)), end


@dataclass
class Item:
    """One variant's figures and recommendations."""

    variant: measured.Variant
    recommendations: list[measured.Recommendation] = field(default_factory=list)

    @property
    def best_saving(self) -> Optional[float]:
        return rules.best_saving(self.recommendations)

    def to_json(self) -> dict[str, Any]:
        v = self.variant
        return {
            "endpoint": v.endpoint,
            "variant": v.variant,
            "instance_type": v.instance_type,
            "instance_count": v.instance_count,
            "serverless": v.serverless,
            "per_hour": v.price.per_hour,
            "currency": v.price.currency,
            "price_source": v.price.source,
            "price": v.price.to_json(),
            "per_month": measured.per_month(v.price, v.instance_count),
            "usage": v.usage.to_json(),
            "autoscaling": v.scaling.managed,
            "scaling": v.scaling.to_json(),
            "image": v.image,
            "recommendations": [r.to_json() for r in self.recommendations],
            "best_savings_per_month": self.best_saving,
        }


@dataclass
class RightsizeReport:
    region: str
    days: float
    start: datetime
    end: datetime
    items: list[Item]
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return currency_of(self.region) or USD

    @property
    def recommended(self) -> list[Item]:
        return [i for i in self.items if i.recommendations]

    @property
    def savings_per_month(self) -> float:
        """The best saving of each variant in the region's currency, summed (a variant's
        recommendations overlap: only its best counts)."""
        return round(
            sum(
                i.best_saving or 0.0
                for i in self.recommended
                if i.variant.price.currency == self.currency
            ),
            2,
        )

    @property
    def unknown_savings(self) -> int:
        """Variants with a recommendation whose saving is unknown (a price is unknown)."""
        return sum(
            1
            for i in self.recommended
            if any(
                r.savings_per_month is None and r.rule != "serverless" for r in i.recommendations
            )
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "days": self.days,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "checked": len(self.items),
            "currency": self.currency,
            "savings_per_month": self.savings_per_month,
            "unknown_savings": self.unknown_savings,
            "items": [i.to_json() for i in self.items],
            "skipped": self.skipped,
        }


# ------------------------------------------------------------------------------ AWS reads


def _matches_tags(sagemaker: Any, arn: str, wanted: dict[str, str]) -> bool:
    tags: dict[str, str] = {}
    with aws_errors(f"list the tags of {arn}"):
        for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
            tags.update({t["Key"]: t.get("Value", "") for t in page.get("Tags", [])})
    return all(tags.get(k) == v for k, v in wanted.items())


def scaling_state(autoscaling: Any) -> dict[str, measured.Scaling]:
    """Every SageMaker variant Application Auto Scaling manages, by resource id: two
    paginated listings for the whole region, not a call per variant."""
    targets: dict[str, dict] = {}
    policies: dict[str, list[str]] = {}
    with aws_errors("describe Application Auto Scaling targets (sagemaker)"):
        for page in autoscaling.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace="sagemaker", ScalableDimension=rules.SCALABLE_DIMENSION
        ):
            for t in page.get("ScalableTargets", []):
                targets[t["ResourceId"]] = t
    with aws_errors("describe Application Auto Scaling policies (sagemaker)"):
        for page in autoscaling.get_paginator("describe_scaling_policies").paginate(
            ServiceNamespace="sagemaker", ScalableDimension=rules.SCALABLE_DIMENSION
        ):
            for p in page.get("ScalingPolicies", []):
                policies.setdefault(p["ResourceId"], []).append(p["PolicyName"])
    return {
        rid: measured.Scaling(
            True,
            t.get("MinCapacity"),
            t.get("MaxCapacity"),
            tuple(sorted(policies.get(rid, []))),
        )
        for rid, t in targets.items()
    }


def model_images(sagemaker: Any, names: set[str], workers: int) -> dict[str, Optional[str]]:
    """Model name -> its one container's image (None: a pipeline, or the model is gone)."""

    def image(name: str) -> Optional[str]:
        with aws_errors(f"describe model {name}"):
            try:
                desc = sagemaker.describe_model(ModelName=name)
            except ClientError as exc:
                if _vanished(exc):
                    return None
                raise
        containers = [desc["PrimaryContainer"]] if desc.get("PrimaryContainer") else []
        containers = containers or desc.get("Containers") or []
        return containers[0].get("Image") if len(containers) == 1 else None

    ordered = sorted(names)
    if not ordered:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ordered)))) as pool:
        return dict(zip(ordered, pool.map(image, ordered), strict=True))


def metric_queries(
    endpoints: list[EndpointUsage], book: PriceBook, period: int = PERIOD
) -> list[tuple[str, str, str, dict]]:
    """(endpoint, variant, usage field, MetricDataQuery): both dimensions always (real
    CloudWatch matches them exactly); GPU metrics only for GPU types."""
    out = []
    for e in endpoints:
        for v in e.variants:
            if v.serverless or v.instance_type is None:
                continue
            specs = book.specs(v.instance_type)
            gpu = bool(specs and specs.gpu_count)
            for key, namespace, metric, stat, gpu_only in METRICS:
                if gpu_only and not gpu:
                    continue
                query = {
                    "Id": f"q{len(out)}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": namespace,
                            "MetricName": metric,
                            "Dimensions": [
                                {"Name": "EndpointName", "Value": e.name},
                                {"Name": "VariantName", "Value": v.name},
                            ],
                        },
                        "Period": period,
                        "Stat": stat,
                    },
                    "ReturnData": True,
                }
                out.append((e.name, v.name, key, query))
    return out


def fetch_series(
    cloudwatch: Any,
    queries: list[dict],
    start: datetime,
    end: datetime,
    batch_size: Optional[int] = None,
) -> dict[str, list[float]]:
    """Every query's values: batches of up to 500 queries whose answers fit one call's
    100,800 values, NextToken pages followed."""
    periods = max(1, math.ceil((end - start).total_seconds() / PERIOD))
    fit = max(1, min(MAX_QUERIES_PER_CALL, MAX_VALUES_PER_CALL // periods))
    batch_size = max(1, min(batch_size or fit, fit))
    series: dict[str, list[float]] = {q["Id"]: [] for q in queries}
    for i in range(0, len(queries), batch_size):
        kwargs: dict[str, Any] = {
            "MetricDataQueries": queries[i : i + batch_size],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        with aws_errors("read SageMaker endpoint metrics from CloudWatch"):
            while True:
                page = cloudwatch.get_metric_data(**kwargs)
                for result in page.get("MetricDataResults", []):
                    status = result.get("StatusCode", "Complete")
                    if status in ("InternalError", "Forbidden"):
                        raise AwsError(
                            "aws_error",
                            f"CloudWatch answered {status} for {result.get('Label') or ''} "
                            f"({result['Id']}): cannot size the endpoint",
                        )
                    series[result["Id"]].extend(float(x) for x in result.get("Values", []))
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
    return series


def usage_of(values: dict[str, list[float]], count: int, hours: int) -> measured.Usage:
    """Per-instance p95 figures from one variant's hourly series."""
    hourly = values.get("invocations", [])
    # hours without a data point had no invocations: count them as 0
    padded = hourly + [0.0] * max(0, hours - len(hourly))
    peak = measured.p95(padded)
    return measured.Usage(
        invocations=float(sum(hourly)),
        per_instance_minute=None if count <= 0 or peak is None else round(peak / 60 / count, 4),
        cpu_pct=measured.p95(values.get("cpu_pct", [])),
        memory_pct=measured.p95(values.get("memory_pct", [])),
        gpu_pct=measured.p95(values.get("gpu_pct", [])),
        gpu_memory_pct=measured.p95(values.get("gpu_memory_pct", [])),
    )


def hosting_candidates(book: PriceBook, region: str) -> list[measured.Candidate]:
    """Every type with known specs and a Hosting price here (live, bundled or estimated)."""
    out = []
    for t in book.known_types():
        specs = book.specs(t)
        quote = book.price(region, HOSTING, t)
        if specs and quote.per_hour is not None:
            out.append(measured.Candidate(t, specs, quote))
    return out


def find_rightsizing(
    sagemaker: Any,
    cloudwatch: Any,
    autoscaling: Any,
    days: float = DEFAULT_DAYS,
    name_contains: Optional[str] = None,
    tags: Optional[dict[str, str]] = None,
    price_book: Optional[PriceBook] = None,
    now: Optional[datetime] = None,
    workers: int = DEFAULT_WORKERS,
    batch_size: Optional[int] = None,
) -> RightsizeReport:
    """Every InService endpoint matching the filters, measured and judged by the rules."""
    start, end = rightsize_window(days, now)
    region = sagemaker.meta.region_name
    book = price_book or PriceBook()
    summaries = list_inservice_endpoints(sagemaker, name_contains)
    configs = _ConfigCache(sagemaker)
    failed = threading.Event()  # after a failure (access denied...), describe no more

    def describe(summary: dict) -> Optional[EndpointUsage] | bool:
        if failed.is_set():
            return None
        try:
            if tags and not _matches_tags(sagemaker, summary["EndpointArn"], tags):
                return False  # filtered out
            return describe_endpoint_usage(sagemaker, summary, configs)
        except BaseException:
            failed.set()
            raise

    described: list[Any] = []
    if summaries:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(summaries)))) as pool:
            described = list(pool.map(describe, summaries))
    endpoints = [e for e in described if isinstance(e, EndpointUsage)]
    skipped = [
        {"name": s["EndpointName"], "reason": "deleted while checking"}
        for s, e in zip(summaries, described, strict=True)
        if e is None
    ]
    models: dict[tuple[str, str], str] = {}
    for e in endpoints:
        config = configs.get(e.config_name)
        for pv in config.get("ProductionVariants", []) + config.get("ShadowProductionVariants", []):
            if pv.get("ModelName"):
                models[(e.name, pv["VariantName"])] = pv["ModelName"]
    images = model_images(sagemaker, set(models.values()), workers)
    scaling = scaling_state(autoscaling) if endpoints else {}
    price_variants(endpoints, region, book)

    queries = metric_queries(endpoints, book)
    series = fetch_series(cloudwatch, [q for *_, q in queries], start, end, batch_size)
    by_variant: dict[tuple[str, str], dict[str, list[float]]] = {}
    for endpoint, variant, key, q in queries:
        by_variant.setdefault((endpoint, variant), {})[key] = series[q["Id"]]
    hours = math.ceil((end - start).total_seconds() / PERIOD)

    variants = []
    for e in endpoints:
        for v in e.variants:
            model = models.get((e.name, v.name))
            variants.append(
                measured.Variant(
                    endpoint=e.name,
                    variant=v.name,
                    instance_type=v.instance_type,
                    instance_count=v.instance_count,
                    specs=book.specs(v.instance_type) if v.instance_type else None,
                    price=v.price,
                    usage=usage_of(by_variant.get((e.name, v.name), {}), v.instance_count, hours),
                    scaling=scaling.get(f"endpoint/{e.name}/variant/{v.name}", measured.Scaling()),
                    image=images.get(model) if model else None,
                    serverless=v.serverless,
                )
            )
    found = rules.recommend(variants, hosting_candidates(book, region), days)
    items = [Item(v, found.get((v.endpoint, v.variant), [])) for v in variants]
    return RightsizeReport(region, days, start, end, items, skipped)


# ------------------------------------------------------------------------------ SNS digest


def _month(value: Optional[float], currency: str) -> str:
    return "saving unknown" if value is None else f"{money(value, currency)}/month"


def rightsize_message(report: RightsizeReport) -> tuple[str, str]:
    """(subject, body) of the SNS digest: each variant with recommendations, best first."""
    items = sorted(report.recommended, key=lambda i: (-(i.best_saving or 0), i.variant.endpoint))
    n = len(items)
    cur = report.currency
    subject = (
        f"SageMaker: {n} endpoint variant{'s' if n != 1 else ''} to right-size in "
        f"{report.region} (up to {_month(report.savings_per_month, cur)})"
    )[:100]
    head = (
        f"Over the {report.days:g} days to {_iso(report.end)}, {n} of {len(report.items)} "
        f"endpoint variants in {report.region} could cost less: up to "
        f"{_month(report.savings_per_month, cur)} together"
        + (
            f" ({report.unknown_savings} with a saving unknown: a price is unknown)"
            if report.unknown_savings
            else ""
        )
        + ".\n\n"
    )
    tail = "\nPrices: SageMaker Hosting on-demand rates; savings at 730 hours a month.\n"
    blocks = []
    for item in items:
        v = item.variant
        lines = [
            f"- {v.endpoint}/{v.variant}: {v.instance_count} x {v.instance_type} "
            f"({v.price.describe()})\n"
        ]
        for r in item.recommendations:
            lines.append(
                f"  {r.rule}: {_month(r.savings_per_month, r.currency)}: {r.reason}\n"
                + "".join(f"    {c}\n" for c in r.commands)
            )
        blocks.append("".join(lines))
    return subject, bounded_body(head, blocks, tail)


def notify_rightsize(sns: Any, topic_arn: str, report: RightsizeReport) -> Optional[str]:
    """One digest message; nothing when nothing is recommended."""
    if not report.recommended:
        return None
    return publish(sns, topic_arn, *rightsize_message(report))
