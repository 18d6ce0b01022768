"""Benchmark: `endpoints idle` over many endpoints in moto, batched vs per-endpoint.

    python benchmarks/bench_janitor.py [--endpoints 1000] [--hours 24] [--workers 8]

Starts a moto server on 127.0.0.1 (in this process), creates N InService endpoints (a quarter
with two variants), marks every third one as invoked, then finds the idle ones:

- batched: jupyterlab_smcost.janitor.endpoints.find_idle_endpoints (Invocations through
  get_metric_data, up to 500 queries a call; endpoint configs described once each);
- per-endpoint: what the old per-endpoint Lambda did: describe_endpoint and
  describe_endpoint_config for every endpoint, one get_metric_statistics per variant.

AWS calls are counted with botocore's ``before-call`` event; both must find the same idle
set (exit status 1 otherwise). The moto server shares this process, so wall times include
the server's work: compare them with each other, not with AWS.
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
sys.path.insert(0, str(ROOT / "tests"))  # the moto helper shared with the tests
sys.path.insert(0, str(ROOT))

from support.moto_server import (  # noqa: E402
    aws_env,
    make_endpoints,
    moto_server,
    patched_environ,
    put_invocations,
)

from jupyterlab_smcost.aws import clients  # noqa: E402
from jupyterlab_smcost.janitor import endpoints  # noqa: E402
from jupyterlab_smcost.pricing import PriceBook  # noqa: E402

CONFIGS = [  # (config, variants): endpoint i uses CONFIGS[i % 4]
    ("m5", [("AllTraffic", "ml.m5.xlarge", 1)]),
    ("m5x2", [("AllTraffic", "ml.m5.xlarge", 2)]),
    ("g4dn", [("AllTraffic", "ml.g4dn.xlarge", 1)]),
    ("ab", [("A", "ml.g4dn.xlarge", 1), ("B", "ml.m5.xlarge", 1)]),
]


def counted(service: str, calls: Counter):
    client = clients.make_client(service)
    client.meta.events.register("before-call.*.*", lambda model, **kw: calls.update([model.name]))
    return client


def setup(n: int) -> set[str]:
    """Create the endpoints; returns the names of those invoked (busy)."""
    import boto3

    cw = boto3.client("cloudwatch")
    names = {cfg: [] for cfg, _ in CONFIGS}
    for i in range(n):
        names[CONFIGS[i % len(CONFIGS)][0]].append(f"ep-{i:05d}")

    def create(item):
        cfg, variants = item
        make_endpoints(boto3.client("sagemaker"), names[cfg], variants, cfg)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, CONFIGS))
    busy = {f"ep-{i:05d}" for i in range(0, n, 3)}
    first_variant = {cfg: variants[-1][0] for cfg, variants in CONFIGS}
    put_invocations(
        cw, [(e, first_variant[CONFIGS[int(e[3:]) % len(CONFIGS)][0]], 1) for e in sorted(busy)]
    )
    return busy


def per_endpoint(hours: float, calls: Counter) -> set[str]:
    """The old way: describe everything per endpoint, one metric call per variant."""
    sm = counted("sagemaker", calls)
    cw = counted("cloudwatch", calls)
    book = PriceBook()
    start, end, period = endpoints.window(hours)
    idle = set()
    for page in sm.get_paginator("list_endpoints").paginate(StatusEquals="InService"):
        for summary in page["Endpoints"]:
            name = summary["EndpointName"]
            desc = sm.describe_endpoint(EndpointName=name)
            config = sm.describe_endpoint_config(EndpointConfigName=desc["EndpointConfigName"])
            types = {v["VariantName"]: v["InstanceType"] for v in config["ProductionVariants"]}
            total = 0.0
            for v in desc["ProductionVariants"]:
                stats = cw.get_metric_statistics(
                    Namespace="AWS/SageMaker",
                    MetricName="Invocations",
                    Dimensions=[
                        {"Name": "EndpointName", "Value": name},
                        {"Name": "VariantName", "Value": v["VariantName"]},
                    ],
                    StartTime=start,
                    EndTime=end,
                    Period=period,
                    Statistics=["Sum"],
                )
                total += sum(d["Sum"] for d in stats["Datapoints"])
                book.price(sm.meta.region_name, "Hosting", types[v["VariantName"]])
            if total == 0:
                idle.add(name)
    return idle


def batched(hours: float, calls: Counter, workers: int) -> set[str]:
    report = endpoints.find_idle_endpoints(
        counted("sagemaker", calls), counted("cloudwatch", calls), hours=hours, workers=workers
    )
    return {e.name for e in report.idle}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=1000, help="endpoints to create (1000)")
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument(
        "--workers",
        type=int,
        default=endpoints.DEFAULT_WORKERS,
        help="describe threads of the batched run (default %(default)s)",
    )
    args = ap.parse_args()

    with moto_server() as url, patched_environ(aws_env(url)):
        t0 = time.perf_counter()
        busy = setup(args.endpoints)
        t_setup = time.perf_counter() - t0
        variants = sum(len(CONFIGS[i % len(CONFIGS)][1]) for i in range(args.endpoints))
        import moto

        print(
            f"endpoints idle --hours {args.hours:g}: {args.endpoints} InService endpoints, "
            f"{variants} variants, {len(busy)} invoked; moto {moto.__version__} server "
            f"in-process on 127.0.0.1, {os.cpu_count()} CPUs (setup {t_setup:.1f} s)"
        )

        runs = []
        for label, fn in (
            (
                f"batched get_metric_data, {args.workers} describe threads",
                lambda c: batched(args.hours, c, args.workers),
            ),
            ("batched get_metric_data, 1 describe thread", lambda c: batched(args.hours, c, 1)),
            ("per-endpoint get_metric_statistics (old)", lambda c: per_endpoint(args.hours, c)),
        ):
            calls: Counter = Counter()
            t = time.perf_counter()
            idle = fn(calls)
            runs.append((label, time.perf_counter() - t, calls, idle))

    expected = {f"ep-{i:05d}" for i in range(args.endpoints)} - busy
    head = (
        f"{'approach':<44} {'wall s':>7} {'AWS calls':>9} {'CloudWatch':>10} "
        f"{'Describe*':>9} {'List*':>5}  idle"
    )
    print(head)
    print("-" * len(head))
    for label, wall, calls, idle in runs:
        cloudwatch = calls["GetMetricData"] + calls["GetMetricStatistics"]
        describe = calls["DescribeEndpoint"] + calls["DescribeEndpointConfig"]
        print(
            f"{label:<44} {wall:7.2f} {sum(calls.values()):9d} {cloudwatch:10d} "
            f"{describe:9d} {calls['ListEndpoints']:5d}  {len(idle)}"
        )
    (_, w_new, c_new, _), (_, w_one, c_one, _), (_, w_old, c_old, _) = runs
    cw_new = c_new["GetMetricData"]
    cw_old = c_old["GetMetricStatistics"]
    total_ratio = sum(c_old.values()) / sum(c_new.values())
    print(
        f"ratio per-endpoint / batched: AWS calls {total_ratio:.1f}x"
        f", CloudWatch calls {cw_old / max(cw_new, 1):.0f}x ({cw_old} vs {cw_new}), "
        f"wall time {w_old / w_new:.1f}x ({args.workers} threads), "
        f"{w_old / w_one:.1f}x (1 thread)"
    )
    ok = all(idle == expected for *_, idle in runs)
    print("same idle endpoints in every run: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
