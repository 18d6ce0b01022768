"""Benchmark: `endpoints rightsize` over many endpoints in moto, batched vs a naive loop.

    python benchmarks/bench_endpoints_rightsize.py [--endpoints 1000] [--days 1] [--busy 100]

Starts a moto server on 127.0.0.1 (in this process), creates N InService endpoints (every
fourth one a GPU type, so 5 metrics instead of 3), puts hourly Invocations / CPU / memory
(/ GPU) data for ``--busy`` of them through PutMetricData, registers 40 of them with
Application Auto Scaling, then sizes them:

- batched: jupyterlab_smcost.janitor.rightsize.find_rightsizing (every metric of every
  variant through get_metric_data, up to 500 queries a call; two region-wide Application Auto
  Scaling listings; one DescribeModel per model);
- naive: per endpoint: describe_endpoint, describe_endpoint_config, describe_model,
  describe_scalable_targets and describe_scaling_policies for its variant, and one
  get_metric_statistics per variant per metric.

Both must read the same per-variant figures (exit status 1 otherwise). AWS calls are counted
with botocore's ``before-call`` event. moto shares this process, and its GetMetricData scans
every stored data point for every period of every query: wall times compare the two
approaches here, not AWS (``--days 1`` and few data points keep moto's part small).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from support.endpoint_metrics import hours_back, put_series, steady  # noqa: E402
from support.moto_server import aws_env, make_endpoints, moto_server, patched_environ  # noqa: E402

from jupyterlab_smcost.aws import clients  # noqa: E402
from jupyterlab_smcost.janitor import rightsize, rightsize_rules  # noqa: E402
from jupyterlab_smcost.pricing import PriceBook  # noqa: E402

CONFIGS = [  # endpoint i uses CONFIGS[i % 4]
    ("m5", "ml.m5.xlarge", 1),
    ("m5x2", "ml.m5.xlarge", 2),
    ("c5", "ml.c5.xlarge", 1),
    ("g4dn", "ml.g4dn.xlarge", 1),
]
DIM = rightsize_rules.SCALABLE_DIMENSION


def counted(service: str, calls: Counter):
    client = clients.make_client(service)
    client.meta.events.register("before-call.*.*", lambda model, **kw: calls.update([model.name]))
    return client


def setup(n: int, busy: int, hours: int) -> None:
    """N endpoints; ``busy`` of them get ``hours`` hourly points per metric."""
    import boto3

    names: dict[str, list[str]] = {cfg: [] for cfg, _, _ in CONFIGS}
    for i in range(n):
        names[CONFIGS[i % len(CONFIGS)][0]].append(f"ep-{i:05d}")

    def create(cfg):
        name, itype, count = cfg
        make_endpoints(boto3.client("sagemaker"), names[name], [("AllTraffic", itype, count)], name)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, CONFIGS))
    cw = boto3.client("cloudwatch")
    when = hours_back(hours)
    step = max(1, n // max(busy, 1))
    for i in range(0, n, step)[:busy]:
        series = {
            "Invocations": steady(60 * (i % 7 + 1), hours),
            "CPUUtilization": [float(10 + (i + h) % 50) for h in range(hours)],
            "MemoryUtilization": steady(20, hours),
        }
        if CONFIGS[i % len(CONFIGS)][0] == "g4dn":
            series["GPUUtilization"] = steady(i % 30, hours)
            series["GPUMemoryUtilization"] = steady(40, hours)
        put_series(cw, f"ep-{i:05d}", "AllTraffic", series, when)
    aas = boto3.client("application-autoscaling")
    # 40 of the 2-instance ones: moto 5.2.5 repeats the same NextToken past 50 targets
    # (it returns the page length, not the offset), which botocore's paginator refuses
    for i in range(1, n, 4)[:40]:
        aas.register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=f"endpoint/ep-{i:05d}/variant/AllTraffic",
            ScalableDimension=DIM,
            MinCapacity=1,
            MaxCapacity=4,
        )


def naive(days: float, calls: Counter) -> dict:
    """Per endpoint, per metric: what a straightforward script does."""
    sm = counted("sagemaker", calls)
    cw = counted("cloudwatch", calls)
    aas = counted("application-autoscaling", calls)
    book = PriceBook()
    start, end = rightsize.rightsize_window(days)
    hours = int((end - start).total_seconds() // 3600)
    figures = {}
    for page in sm.get_paginator("list_endpoints").paginate(StatusEquals="InService"):
        for summary in page["Endpoints"]:
            name = summary["EndpointName"]
            desc = sm.describe_endpoint(EndpointName=name)
            config = sm.describe_endpoint_config(EndpointConfigName=desc["EndpointConfigName"])
            for pv in config["ProductionVariants"]:
                sm.describe_model(ModelName=pv["ModelName"])
                rid = f"endpoint/{name}/variant/{pv['VariantName']}"
                aas.describe_scalable_targets(
                    ServiceNamespace="sagemaker", ResourceIds=[rid], ScalableDimension=DIM
                )
                aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid)
                specs = book.specs(pv["InstanceType"])
                values = {}
                for key, namespace, metric, stat, gpu_only in rightsize.METRICS:
                    if gpu_only and not (specs and specs.gpu_count):
                        continue
                    got = cw.get_metric_statistics(
                        Namespace=namespace,
                        MetricName=metric,
                        Dimensions=[
                            {"Name": "EndpointName", "Value": name},
                            {"Name": "VariantName", "Value": pv["VariantName"]},
                        ],
                        StartTime=start,
                        EndTime=end,
                        Period=3600,
                        Statistics=[stat],
                    )
                    values[key] = [d[stat] for d in got["Datapoints"]]
                usage = rightsize.usage_of(values, pv["InitialInstanceCount"], hours)
                figures[(name, pv["VariantName"])] = usage
    return figures


def batched(days: float, calls: Counter) -> dict:
    report = rightsize.find_rightsizing(
        counted("sagemaker", calls),
        counted("cloudwatch", calls),
        counted("application-autoscaling", calls),
        days=days,
    )
    return {(i.variant.endpoint, i.variant.variant): i.variant.usage for i in report.items}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=1000)
    ap.add_argument("--days", type=float, default=1.0, help="window (1)")
    ap.add_argument("--busy", type=int, default=100, help="endpoints given metric data (100)")
    ap.add_argument("--data-hours", type=int, default=6, help="hours of data each (6)")
    args = ap.parse_args()
    hours = min(args.data_hours, int(args.days * 24))
    with moto_server() as url, patched_environ(aws_env(url)):
        t0 = time.perf_counter()
        setup(args.endpoints, args.busy, hours)
        import moto

        print(
            f"endpoints rightsize --days {args.days:g}: {args.endpoints} InService endpoints "
            f"({args.endpoints // 4} GPU), {args.busy} with {hours} hourly data points per "
            f"metric; moto {moto.__version__} in-process, {os.cpu_count()} CPUs "
            f"(setup {time.perf_counter() - t0:.1f} s)"
        )
        runs = []
        for label, fn in (
            ("batched (find_rightsizing)", batched),
            ("naive per-metric loop", naive),
        ):
            calls: Counter = Counter()
            t = time.perf_counter()
            figures = fn(args.days, calls)
            runs.append((label, time.perf_counter() - t, calls, figures))
    head = f"{'approach':<28} {'wall s':>7} {'AWS calls':>9} {'CloudWatch':>10} {'AutoScaling':>11}"
    print(head)
    print("-" * len(head))
    for label, wall, calls, _ in runs:
        cw = calls["GetMetricData"] + calls["GetMetricStatistics"]
        aas = calls["DescribeScalableTargets"] + calls["DescribeScalingPolicies"]
        print(f"{label:<28} {wall:7.2f} {sum(calls.values()):9d} {cw:10d} {aas:11d}")
    (_, w_new, c_new, f_new), (_, w_old, c_old, f_old) = runs
    cw_new = c_new["GetMetricData"]
    cw_old = c_old["GetMetricStatistics"]
    print(
        f"ratio naive / batched: CloudWatch calls {cw_old / max(cw_new, 1):.0f}x "
        f"({cw_old} vs {cw_new}), AWS calls {sum(c_old.values()) / sum(c_new.values()):.1f}x, "
        f"wall time {w_old / w_new:.1f}x"
    )
    ok = f_new == f_old and len(f_new) == args.endpoints
    print("same per-variant figures in both runs: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
