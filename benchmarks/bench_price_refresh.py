"""PUT smcost/idle latency while live price refreshes hang, against PUT idle alone.

A real ``jupyter server`` subprocess with live prices on talks to a Price List API that
accepts connections and never answers (``AWS_ENDPOINT_URL_PRICING``), with the package's real
timeouts. Side by side in one run:

- baseline: N sequential ``PUT smcost/idle``, nothing else going on;
- hung: 5 concurrent ``GET smcost/prices?refresh=true`` in flight (they wait for the silent
  endpoint), then the same N ``PUT smcost/idle``.

It also reports how long the refreshes took to fail, with what message, and how many
connections the endpoint saw (one refresh's attempts when the five share it).

    python benchmarks/bench_price_refresh.py [--requests 50] [--refreshes 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from typing import Any

from _common import TOKEN, ServerProcess
from support.silent_endpoint import SilentEndpoint

from jupyterlab_smcost.aws import clients

HEADERS = {"Authorization": f"token {TOKEN}", "Content-Type": "application/json"}


def call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
    """(status, JSON, seconds) over a fresh connection that waits as long as it takes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=HEADERS)
    resp = conn.getresponse()
    data = json.loads(resp.read() or b"null")
    conn.close()
    return resp.status, data, time.perf_counter() - t0


def put_idle_timings(port: int, n: int) -> list[float]:
    out = []
    for i in range(n):
        code, body, dt = call(port, "PUT", "/smcost/idle", {"timeout_s": 1800 + 60 * (i % 2)})
        assert code == 200, body
        out.append(dt * 1000)
    return out


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):8.2f} ms  p95 {p95:8.2f} ms  max {ms[-1]:8.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--refreshes", type=int, default=5)
    args = ap.parse_args()
    with SilentEndpoint() as silent:
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing else leaves the machine
            "AWS_ENDPOINT_URL_PRICING": silent.url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        with ServerProcess("--SmCostApp.live_prices=True", env=env) as server:
            # started; the start-up refresh (no cache) is itself hanging: let it fail first
            t0 = time.perf_counter()
            while True:
                code, prices, _ = call(server.port, "GET", "/smcost/prices")
                if prices["live_error"] or time.perf_counter() - t0 > 600:
                    break
                time.sleep(0.5)
            startup_s = time.perf_counter() - t0
            before = silent.accepted
            baseline = put_idle_timings(server.port, args.requests)

            results: list[tuple[int, Any, float]] = []
            threads = [
                threading.Thread(
                    target=lambda: results.append(
                        call(server.port, "GET", "/smcost/prices?refresh=true")
                    )
                )
                for _ in range(args.refreshes)
            ]
            for t in threads:
                t.start()
            while silent.accepted == before:
                time.sleep(0.01)
            hung = put_idle_timings(server.port, args.requests)
            in_flight = sum(t.is_alive() for t in threads)
            for t in threads:
                t.join()
    print(
        f"timeouts: connect {clients.CONNECT_TIMEOUT_S:g} s, read {clients.READ_TIMEOUT_S:g} s, "
        f"{clients.INTERACTIVE_MAX_ATTEMPTS} attempts (standard retry mode)"
    )
    print(f"start-up refresh against the silent endpoint failed after {startup_s:.1f} s")
    print(f"PUT smcost/idle x {args.requests}, nothing in flight : {summary(baseline)}")
    print(f"PUT smcost/idle x {args.requests}, {args.refreshes} refreshes hung  : {summary(hung)}")
    print(f"refreshes still in flight after the last PUT: {in_flight} of {args.refreshes}")
    print(
        f"ratio of medians hung/baseline = "
        f"{statistics.median(hung) / statistics.median(baseline):.2f}"
    )
    durations = sorted(dt for _, _, dt in results)
    print(
        f"{len(results)} concurrent refreshes answered 200 after {durations[0]:.1f}"
        f"-{durations[-1]:.1f} s; connections the endpoint saw for them: "
        f"{silent.accepted - before} (one refresh's attempts: they shared it)"
    )
    print(f"live_error: {results[0][1]['live_error']}")


if __name__ == "__main__":
    main()
