"""Idle real-time endpoints: which InService endpoints had no invocations in a window, what
they cost per day, and one SNS message listing them (``jupyter smcost endpoints idle`` and the
``report_idle_endpoints`` Lambda). Only the standard library and boto3: it runs in a bare
Lambda. Every AWS failure surfaces as an :class:`~jupyterlab_smcost.aws.errors.AwsError` with a
one-line message.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from botocore.exceptions import ClientError

from ..aws.errors import AwsError, CommandError, aws_errors, error_code
from ..aws.partitions import currency_of, parse_arn
from ..pricing import HOURS_PER_DAY, USD, PriceBook, Quote, money
from .sns import bounded_body, publish

HOSTING = "Hosting"  # the Price List component of real-time endpoint instances
NAMESPACE = "AWS/SageMaker"
METRIC = "Invocations"
MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit on MetricDataQueries
DEFAULT_WORKERS = 8  # concurrent Describe* calls (SageMaker throttles bursts; retries absorb it)


def _iso(value: Any) -> Optional[str]:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    return value


@dataclass
class VariantUsage:
    name: str
    instance_type: Optional[str]  # None: serverless, or the endpoint config was deleted
    instance_count: int
    serverless: bool = False
    invocations: float = 0.0
    #: per instance; until priced, unknown (a serverless variant: billed per request)
    price: Quote = field(default_factory=lambda: Quote(None, "unknown"))
    shadow: bool = False

    @property
    def per_day(self) -> Optional[float]:
        if self.serverless:  # billed per request: nothing when idle
            return 0.0
        if self.instance_count == 0:
            return 0.0
        if self.price.per_hour is None:
            return None
        return self.price.per_hour * self.instance_count * HOURS_PER_DAY

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "serverless": self.serverless,
            "invocations": self.invocations,
            "shadow": self.shadow,
            "price": self.price.to_json(),
            "per_day": self.per_day,
        }

    def describe(self) -> str:
        if self.serverless:
            return f"{self.name}: serverless"
        return f"{self.name}: {self.instance_count} x {self.instance_type or 'unknown type'}"


@dataclass
class EndpointUsage:
    name: str
    arn: str
    config_name: str
    created_at: Optional[str]
    variants: list[VariantUsage] = field(default_factory=list)

    @property
    def invocations(self) -> float:
        return sum(v.invocations for v in self.variants)

    @property
    def idle(self) -> bool:
        return self.invocations == 0

    @property
    def per_day(self) -> Optional[float]:
        """Daily cost at the current instance counts; None when a variant is unpriced."""
        costs = [v.per_day for v in self.variants]
        if any(c is None for c in costs) or self.currency is None:
            return None  # unpriced, or variants in two currencies (never summed)
        return round(sum(c for c in costs if c is not None), 4)

    @property
    def currency(self) -> Optional[str]:
        """The variants' currency (CNY in the China regions); None if they differ."""
        currencies = {v.price.currency for v in self.variants}
        return currencies.pop() if len(currencies) == 1 else None

    @property
    def source(self) -> str:
        """Where the variants' prices come from: one source, or ``mixed: a, b``."""
        sources = sorted({v.price.source for v in self.variants})
        return sources[0] if len(sources) == 1 else "mixed: " + ", ".join(sources)

    @property
    def as_of(self) -> Optional[str]:
        dates = [v.price.as_of for v in self.variants if v.price.as_of]
        return max(dates) if dates else None

    @property
    def arn_region(self) -> Optional[str]:
        found = parse_arn(self.arn)
        return found.region if found else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "config_name": self.config_name,
            "created_at": self.created_at,
            "invocations": self.invocations,
            "idle": self.idle,
            "per_day": self.per_day,
            "currency": self.currency or currency_of(self.arn_region) or USD,
            "source": self.source,
            "as_of": self.as_of,
            "variants": [v.to_json() for v in self.variants],
        }


@dataclass
class IdleReport:
    region: str
    hours: float
    start: datetime
    end: datetime
    endpoints: list[EndpointUsage]  # every InService endpoint checked
    skipped: list[dict[str, str]] = field(default_factory=list)  # vanished while checking

    @property
    def idle(self) -> list[EndpointUsage]:
        return [e for e in self.endpoints if e.idle]

    @property
    def currency(self) -> str:
        """The region's currency: ``USD``, ``CNY`` in the China regions."""
        return currency_of(self.region) or USD

    def _priced(self, e: EndpointUsage) -> bool:
        return e.per_day is not None and e.currency == self.currency

    @property
    def idle_per_day(self) -> float:
        """Daily cost of the idle endpoints that have a price in the region's currency (see
        ``idle_unpriced``): never a sum across currencies."""
        return round(sum(e.per_day or 0.0 for e in self.idle if self._priced(e)), 4)

    @property
    def idle_unpriced(self) -> int:
        return sum(1 for e in self.idle if not self._priced(e))

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "hours": self.hours,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "checked": len(self.endpoints),
            "idle_count": len(self.idle),
            "idle_per_day": self.idle_per_day,
            "currency": self.currency,
            "idle_unpriced": self.idle_unpriced,
            "idle": [e.to_json() for e in self.idle],
            "skipped": self.skipped,
        }


def window(hours: float, now: Optional[datetime] = None) -> tuple[datetime, datetime, int]:
    """(start, end, period_s): ``end`` is the next whole minute, the period covers it all."""
    if not hours or hours <= 0:
        raise CommandError("invalid_input", f"--hours must be positive, not {hours!r}")
    now = now or datetime.now(timezone.utc)
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    period = max(60, int(round(hours * 60)) * 60)  # CloudWatch wants a multiple of 60 s
    return end - timedelta(seconds=period), end, period


def list_inservice_endpoints(sagemaker: Any, name_contains: Optional[str] = None) -> list[dict]:
    kwargs: dict[str, Any] = {"StatusEquals": "InService", "MaxResults": 100}
    if name_contains:
        kwargs["NameContains"] = name_contains
    found: list[dict] = []
    with aws_errors("list SageMaker endpoints"):
        for page in sagemaker.get_paginator("list_endpoints").paginate(**kwargs):
            found.extend(page.get("Endpoints", []))
    return found


class _ConfigCache:
    """describe_endpoint_config once per config name, shared by the worker threads."""

    def __init__(self, sagemaker: Any) -> None:
        self._sagemaker = sagemaker
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._configs: dict[str, dict] = {}

    def get(self, name: str) -> dict:
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._configs:
                with aws_errors(f"describe endpoint config {name}"):
                    try:
                        self._configs[name] = self._sagemaker.describe_endpoint_config(
                            EndpointConfigName=name
                        )
                    except ClientError as exc:
                        if not _vanished(exc):
                            raise
                        # a config may be deleted while its endpoint runs: the variants
                        # are still checked, their instance type is unknown
                        self._configs[name] = {}
            return self._configs[name]


def _vanished(exc: ClientError) -> bool:
    """A resource deleted between the list and the describe."""
    msg = exc.response.get("Error", {}).get("Message", "")
    return error_code(exc) in ("ValidationException", "ResourceNotFound") and (
        "Could not find" in msg or "does not exist" in msg
    )


def describe_endpoint_usage(
    sagemaker: Any, summary: dict, configs: _ConfigCache
) -> Optional[EndpointUsage]:
    """Variants with instance type (from the endpoint config) and current count."""
    name = summary["EndpointName"]
    with aws_errors(f"describe endpoint {name}"):
        try:
            desc = sagemaker.describe_endpoint(EndpointName=name)
        except ClientError as exc:
            if _vanished(exc):
                return None
            raise
    config = configs.get(desc["EndpointConfigName"])
    usage = EndpointUsage(
        name=name,
        arn=desc.get("EndpointArn") or summary.get("EndpointArn", ""),
        config_name=desc["EndpointConfigName"],
        created_at=_iso(desc.get("CreationTime") or summary.get("CreationTime")),
    )
    for key, shadow in (("ProductionVariants", False), ("ShadowProductionVariants", True)):
        conf_variants = {v["VariantName"]: v for v in config.get(key, [])}
        # The endpoint lists what is deployed (with current counts after autoscaling);
        # fall back to the config when the endpoint does not describe its variants.
        deployed = desc.get(key) or list(conf_variants.values())
        for v in deployed:
            conf = conf_variants.get(v["VariantName"], {})
            serverless = bool(
                v.get("CurrentServerlessConfig") or conf.get("ServerlessConfig")
            ) and not conf.get("InstanceType")
            count = v.get("CurrentInstanceCount")
            if count is None:
                count = conf.get("InitialInstanceCount", 0)
            usage.variants.append(
                VariantUsage(
                    name=v["VariantName"],
                    instance_type=None if serverless else conf.get("InstanceType"),
                    instance_count=0 if serverless else int(count or 0),
                    serverless=serverless,
                    price=Quote(
                        None,
                        "unknown",
                        detail=""
                        if config
                        else f"endpoint config {desc['EndpointConfigName']} was deleted: "
                        "type unknown",
                    ),
                    shadow=shadow,
                )
            )
    return usage


def invocation_queries(
    endpoints: list[EndpointUsage], period: int
) -> list[tuple[VariantUsage, dict]]:
    """One MetricDataQuery per endpoint variant, always with both dimensions.

    CloudWatch matches dimensions exactly: a query without VariantName finds nothing
    for SageMaker's per-variant Invocations (moto is laxer, so tests check the shape).
    """
    queries = []
    for e in endpoints:
        for v in e.variants:
            qid = f"q{len(queries)}"
            queries.append(
                (
                    v,
                    {
                        "Id": qid,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": NAMESPACE,
                                "MetricName": METRIC,
                                "Dimensions": [
                                    {"Name": "EndpointName", "Value": e.name},
                                    {"Name": "VariantName", "Value": v.name},
                                ],
                            },
                            "Period": period,
                            "Stat": "Sum",
                        },
                        "ReturnData": True,
                    },
                )
            )
    return queries


def fetch_sums(
    cloudwatch: Any,
    queries: list[dict],
    start: datetime,
    end: datetime,
    batch_size: int = MAX_QUERIES_PER_CALL,
) -> dict[str, float]:
    """Sum of every query's values over the window: batches of <= 500, NextToken pages."""
    batch_size = max(1, min(batch_size, MAX_QUERIES_PER_CALL))
    sums: dict[str, float] = {q["Id"]: 0.0 for q in queries}
    for i in range(0, len(queries), batch_size):
        batch = queries[i : i + batch_size]
        kwargs: dict[str, Any] = {
            "MetricDataQueries": batch,
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        with aws_errors("read SageMaker Invocations from CloudWatch"):
            while True:
                page = cloudwatch.get_metric_data(**kwargs)
                for result in page.get("MetricDataResults", []):
                    status = result.get("StatusCode", "Complete")
                    if status in ("InternalError", "Forbidden"):
                        raise AwsError(
                            "aws_error",
                            f"CloudWatch answered {status} for {result.get('Label') or ''} "
                            f"({result['Id']}): cannot tell whether it is idle",
                        )
                    sums[result["Id"]] += float(sum(result.get("Values", [])))
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
    return sums


def price_variants(endpoints: list[EndpointUsage], region: str, book: PriceBook) -> None:
    book.load_live(region, HOSTING)
    for e in endpoints:
        for v in e.variants:
            if v.serverless:  # nothing billed while idle
                v.price = Quote(
                    0.0,
                    "not_billed",
                    detail="serverless: billed per request, not per hour",
                    region=region,
                    component=HOSTING,
                )
            elif v.instance_type is None:  # unknown type: stays unknown, with its reason
                v.price = replace(v.price, region=region, component=HOSTING)
            else:
                v.price = book.price(region, HOSTING, v.instance_type)


def find_idle_endpoints(
    sagemaker: Any,
    cloudwatch: Any,
    hours: float = 24,
    name_contains: Optional[str] = None,
    price_book: Optional[PriceBook] = None,
    now: Optional[datetime] = None,
    workers: int = DEFAULT_WORKERS,
    batch_size: int = MAX_QUERIES_PER_CALL,
) -> IdleReport:
    """Every InService endpoint (optionally filtered by name) and whether it was invoked."""
    start, end, period = window(hours, now)
    region = sagemaker.meta.region_name
    summaries = list_inservice_endpoints(sagemaker, name_contains)
    configs = _ConfigCache(sagemaker)
    failed = threading.Event()  # after a failure (access denied...), describe no more

    def describe(summary: dict) -> Optional[EndpointUsage]:
        if failed.is_set():
            return None
        try:
            return describe_endpoint_usage(sagemaker, summary, configs)
        except BaseException:
            failed.set()
            raise

    described: list[Optional[EndpointUsage]] = []
    if summaries:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(summaries)))) as pool:
            described = list(pool.map(describe, summaries))
    endpoints = [e for e in described if e is not None]
    skipped = [
        {"name": s["EndpointName"], "reason": "deleted while checking"}
        for s, e in zip(summaries, described, strict=True)
        if e is None
    ]
    queries = invocation_queries(endpoints, period)
    sums = fetch_sums(cloudwatch, [q for _, q in queries], start, end, batch_size)
    for v, q in queries:
        v.invocations = sums[q["Id"]]
    price_variants(endpoints, region, price_book or PriceBook())
    return IdleReport(region, hours, start, end, endpoints, skipped)


def _money(value: Optional[float], currency: str = USD) -> str:
    return "price unknown" if value is None else f"{money(value, currency)}/day"


def idle_message(report: IdleReport) -> tuple[str, str]:
    """(subject, body) of the SNS notification about idle endpoints."""
    idle = sorted(report.idle, key=lambda e: (-(e.per_day or 0), e.name))
    n = len(idle)
    plural = "s" if n != 1 else ""
    subject = (
        f"SageMaker: {n} idle endpoint{plural} in {report.region} "
        f"({_money(report.idle_per_day, report.currency)})"
    )[:100]
    head = (
        f"{n} SageMaker endpoint{plural} in {report.region} had no invocations in the "
        f"{report.hours:g} h to {_iso(report.end)}; together they cost "
        f"{_money(report.idle_per_day, report.currency)}"
        + (f" ({report.idle_unpriced} without a known price)" if report.idle_unpriced else "")
        + ".\n\n"
    )
    tail = (
        "\nPrices: SageMaker Hosting on-demand rates (source per line). Delete an endpoint "
        "with `aws sagemaker delete-endpoint --endpoint-name NAME`.\n"
    )
    lines = []
    for e in idle:
        source = e.source + (f" {e.as_of}" if e.as_of else "")
        variants = "; ".join(v.describe() for v in e.variants)
        cost = _money(e.per_day, e.currency or report.currency)
        lines.append(f"- {e.name}: {cost} ({variants}; price {source})\n")
    return subject, bounded_body(head, lines, tail)


def notify_idle(sns: Any, topic_arn: str, report: IdleReport) -> Optional[str]:
    """Publish one message listing the idle endpoints; nothing when none is idle."""
    if not report.idle:
        return None
    return publish(sns, topic_arn, *idle_message(report))
