"""Median latency of GET smcost/status against jupyter_server's own GET api/status.

Both are measured side by side, interleaved, on one server with 3 kernels and 3 terminals
open (each terminal running a foreground job, each kernel talked to), over one keep-alive
HTTP connection. Target: ratio <= 1.2.

    python benchmarks/bench_status_latency.py [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import statistics
import time

from _common import TOKEN, ServerProcess, kernel_client


def open_workload(server: ServerProcess) -> list:
    clients = []
    for i in range(3):
        code, sess = server.request(
            "POST",
            "/api/sessions",
            {
                "path": f"nb{i}.ipynb",
                "type": "notebook",
                "name": f"nb{i}.ipynb",
                "kernel": {"name": "python3"},
            },
        )
        assert code == 201, sess
        clients.append(kernel_client(server, sess["kernel"]["id"]))
    from tornado.websocket import websocket_connect

    async def start_terminals() -> None:
        for _ in range(3):
            code, term = server.request("POST", "/api/terminals", {})
            ws = await websocket_connect(
                f"ws://127.0.0.1:{server.port}/terminals/websocket/{term['name']}?token={TOKEN}"
            )
            await ws.write_message('["stdin", "sleep 600\\r"]')
            await asyncio.sleep(0.3)
            ws.close()

    asyncio.run(start_terminals())
    return clients


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=400)
    args = ap.parse_args()
    with ServerProcess("--SmCostApp.idle_timeout=3600") as server:
        clients = open_workload(server)
        st = server.get("/smcost/status")
        kernels = len(server.get("/api/kernels"))
        terminals = len(server.get("/api/terminals"))
        conn = http.client.HTTPConnection("127.0.0.1", server.port)
        headers = {"Authorization": f"token {TOKEN}"}
        timings: dict[str, list[float]] = {"/smcost/status": [], "/api/status": []}
        for i in range(args.requests * 2 + 40):
            path = "/smcost/status" if i % 2 == 0 else "/api/status"
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            dt = time.perf_counter() - t0
            assert resp.status == 200
            if i >= 40:  # warm-up
                timings[path].append(dt)
        for c in clients:
            c.stop_channels()
    ours = statistics.median(timings["/smcost/status"]) * 1000
    base = statistics.median(timings["/api/status"]) * 1000
    print(
        f"workload: {kernels} kernels, {terminals} terminals; idle state {st['idle']['state']} "
        f"({'; '.join(st['idle']['reasons'])})"
    )
    print(f"requests each: {len(timings['/api/status'])} (interleaved, one keep-alive connection)")
    print(f"median GET /api/status    : {base:.3f} ms")
    print(f"median GET /smcost/status : {ours:.3f} ms")
    print(f"ratio smcost/status / api/status = {ours / base:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
