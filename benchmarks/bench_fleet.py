"""Benchmark: the fleet report of a large Studio domain, vs the naive one-describe-per-app loop.

    python benchmarks/bench_fleet.py [--spaces 2000] [--apps 600] [--users 400] [--rate 200]

A model-checked SageMaker Studio stand-in (tests/support/studio_standin.py: moto has no user
profiles, spaces or apps) holds a domain of N spaces, M InService apps (a third GPU) and M/2
Deleted ones. Each approach runs twice: unthrottled, then with the stand-in throttling above
``--rate`` requests per second over all operations (a token bucket, as AWS meters), the
clients in botocore's ``adaptive`` retry mode (8 attempts):

- fleet: jupyterlab_smcost.fleet.collect.DomainReader: one domain-wide listing each of user
  profiles, spaces and apps, then describes of running apps, their spaces and owners only
  (8 threads); a throttled page is asked again with its token;
- naive: for every space, DescribeSpace, ListApps for that space, DescribeApp for each of its
  apps, and DescribeUserProfile for its owner (one thread).

Calls are counted by the stand-in (throttled ones included). Both must find the same running
apps (exit status 1 otherwise). The stand-in shares this process: compare wall times with
each other, not with AWS.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from support.moto_server import aws_env, patched_environ  # noqa: E402
from support.studio_standin import StudioStandin  # noqa: E402

from jupyterlab_smcost.aws import clients  # noqa: E402
from jupyterlab_smcost.fleet.collect import DomainReader  # noqa: E402

DOMAIN = "d-bench"


def populate(st: StudioStandin, spaces: int, apps: int, users: int) -> set[str]:
    now = datetime.now(timezone.utc)
    st.add_domain(DOMAIN)
    for u in range(users):
        st.add_user(DOMAIN, f"user{u:04}")
    running = set()
    for s in range(spaces):
        st.add_space(DOMAIN, f"space{s:05}", owner=f"user{s % users:04}")
    step = spaces / apps
    for i in range(apps):
        name = f"space{int(i * step):05}"
        itype = "ml.g5.xlarge" if i % 3 == 0 else "ml.m5.large"
        st.add_app(
            DOMAIN,
            name,
            instance_type=itype,
            created=now - timedelta(hours=i % 50),
            last_activity=now - timedelta(minutes=i),
        )
        running.add(name)
    for i in range(apps // 2):
        st.add_app(DOMAIN, f"space{(int(i * step) + 1) % spaces:05}", status="Deleted")
    return running


def client(st: StudioStandin):
    return clients.make_client(
        "sagemaker", "eu-west-1", max_attempts=clients.BATCH_MAX_ATTEMPTS, retry_mode="adaptive"
    )


def fleet(sm) -> set[str]:
    data = DomainReader(sm).read(DOMAIN)
    return {a["SpaceName"] for a in data.apps}


def naive(sm) -> set[str]:
    running = set()
    for page in sm.get_paginator("list_spaces").paginate(DomainIdEquals=DOMAIN):
        for s in page["Spaces"]:
            name = s["SpaceName"]
            d = sm.describe_space(DomainId=DOMAIN, SpaceName=name)
            for p in sm.get_paginator("list_apps").paginate(
                DomainIdEquals=DOMAIN, SpaceNameEquals=name
            ):
                for a in p["Apps"]:
                    got = sm.describe_app(
                        DomainId=DOMAIN, SpaceName=name, AppType=a["AppType"], AppName=a["AppName"]
                    )
                    if got["Status"] == "InService":
                        running.add(name)
            owner = (d.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
            if owner:
                sm.describe_user_profile(DomainId=DOMAIN, UserProfileName=owner)
    return running


def run(name, fn, args, rate):
    with StudioStandin(rate=rate, check_responses=False) as st:
        expected = populate(st, args.spaces, args.apps, args.users)
        env = aws_env("http://127.0.0.1:9")
        env.pop("AWS_MAX_ATTEMPTS")
        env.pop("AWS_RETRY_MODE")
        with patched_environ({**env, "AWS_ENDPOINT_URL_SAGEMAKER": st.url}):
            t0 = time.perf_counter()
            found = fn(client(st))
            wall = time.perf_counter() - t0
        restarts = sum(1 for op, p in st.calls if op == "ListSpaces" and not p.get("NextToken"))
        return {
            "name": name,
            "rate": rate,
            "calls": st.count(),
            "throttled": len(st.throttled),
            "wall": wall,
            "ok": found == expected and not st.problems,
            "space_listing_starts": restarts,
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", type=int, default=2000)
    ap.add_argument("--apps", type=int, default=600)
    ap.add_argument("--users", type=int, default=400)
    ap.add_argument("--rate", type=float, default=200.0, help="throttled run: requests/s")
    args = ap.parse_args()
    os.environ.pop("AWS_PROFILE", None)
    print(
        f"domain: {args.spaces} spaces, {args.apps} InService apps (+{args.apps // 2} Deleted), "
        f"{args.users} user profiles; throttled runs: {args.rate:g} requests/s"
    )
    rows = []
    for rate in (None, args.rate):
        for name, fn in (("fleet", fleet), ("naive", naive)):
            rows.append(run(name, fn, args, rate))
    print(
        f"{'approach':<8} {'throttle':>9} {'calls':>7} {'throttled':>10} {'wall s':>8} "
        f"{'ListSpaces from start':>22} {'same apps':>10}"
    )
    for r in rows:
        throttle = f"{r['rate']:g}/s" if r["rate"] else "none"
        print(
            f"{r['name']:<8} {throttle:>9} {r['calls']:>7} "
            f"{r['throttled']:>10} {r['wall']:>8.2f} {r['space_listing_starts']:>22} "
            f"{'yes' if r['ok'] else 'NO':>10}"
        )
    f, n = rows[0], rows[1]
    print(
        f"naive / fleet: {n['calls'] / f['calls']:.1f}x the calls, "
        f"{n['wall'] / f['wall']:.1f}x the wall time (unthrottled); "
        f"{rows[3]['wall'] / rows[2]['wall']:.1f}x the wall time throttled"
    )
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
