"""An AWS endpoint that accepts connections and never answers (a helper module, not a conftest).

Point boto3 at it with ``AWS_ENDPOINT_URL_<SERVICE>=endpoint.url``: every call then waits for
its read timeout. Used by the timeout tests and ``benchmarks/bench_price_refresh.py``.
"""

from __future__ import annotations

import socket
import threading
from typing import Any


class SilentEndpoint:
    """A TCP server on 127.0.0.1 that accepts every connection, reads nothing, says nothing."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-endpoint", daemon=True)
        self._thread.start()

    @property
    def accepted(self) -> int:
        """Connections accepted so far (one per attempt of a call)."""
        with self._lock:
            return len(self._conns)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        self._sock.close()
        with self._lock:
            for conn in self._conns:
                conn.close()

    def __enter__(self) -> SilentEndpoint:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
