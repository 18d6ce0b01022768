"""Hourly endpoint metrics put into a moto CloudWatch through ``PutMetricData``, as SageMaker
publishes them: ``Invocations`` in ``AWS/SageMaker``, utilisation in ``/aws/sagemaker/Endpoints``,
both with the ``EndpointName`` and ``VariantName`` dimensions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

NAMESPACES = {
    "Invocations": "AWS/SageMaker",
    "CPUUtilization": "/aws/sagemaker/Endpoints",
    "MemoryUtilization": "/aws/sagemaker/Endpoints",
    "GPUUtilization": "/aws/sagemaker/Endpoints",
    "GPUMemoryUtilization": "/aws/sagemaker/Endpoints",
}


def hours_back(n: int, now: Optional[datetime] = None) -> list[datetime]:
    """Half past each of the ``n`` hours to the end of this one, oldest first: all inside the
    ``n``-hour window that ends at the next whole hour (the last may be minutes ahead, which
    CloudWatch accepts up to two hours)."""
    now = now or datetime.now(timezone.utc)
    top = now.replace(minute=0, second=0, microsecond=0)
    return [top + timedelta(minutes=30) - timedelta(hours=i) for i in range(n - 1, -1, -1)]


def put_series(
    cloudwatch,
    endpoint: str,
    variant: str,
    series: dict[str, list[float]],
    when: list[datetime],
) -> int:
    """One data point per hour and metric (``series[metric][i]`` at ``when[i]``); returns how
    many were put."""
    by_namespace: dict[str, list[dict]] = {}
    for metric, values in series.items():
        for value, ts in zip(values, when, strict=False):
            by_namespace.setdefault(NAMESPACES[metric], []).append(
                {
                    "MetricName": metric,
                    "Dimensions": [
                        {"Name": "EndpointName", "Value": endpoint},
                        {"Name": "VariantName", "Value": variant},
                    ],
                    "Timestamp": ts,
                    "Value": float(value),
                    "Unit": "None" if metric == "Invocations" else "Percent",
                }
            )
    count = 0
    for namespace, data in by_namespace.items():
        for i in range(0, len(data), 1000):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[i : i + 1000])
            count += len(data[i : i + 1000])
    return count


def steady(value: float, hours: int) -> list[float]:
    return [float(value)] * hours
