"""A local HTTP stand-in for the SageMaker calls that a server in a *subprocess* makes and
moto does not implement (e.g. DescribeApp): a Stubber that speaks over HTTP.

It speaks SageMaker's wire protocol (awsJson1_1: ``POST /`` with ``X-Amz-Target:
SageMaker.<Operation>``), checks every request against botocore's model of the operation
and the expected parameters exactly (as botocore's Stubber does), and every canned answer
against the output shape when it is registered. Point a process at it with
``AWS_ENDPOINT_URL_SAGEMAKER``; anything else it is asked gets an error and is recorded.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import botocore.session
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

_MODEL = botocore.session.get_session().get_service_model("sagemaker")


def _wire(value: Any) -> Any:
    return value.timestamp() if isinstance(value, datetime) else str(value)


class SageMakerStandin:
    def __init__(self) -> None:
        self.answers: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.problems: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, operation: str, expected: dict[str, Any], response: dict[str, Any]) -> None:
        """Answer ``operation`` called with exactly ``expected`` with ``response`` (every time)."""
        op = _MODEL.operation_model(operation)
        validate_parameters(expected, op.input_shape)
        validate_parameters(response, op.output_shape)
        self.answers[operation] = (expected, response)

    def __enter__(self) -> SageMakerStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _reply(self, operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append((operation, params))
        if operation not in self.answers:
            self.problems.append(f"unexpected call {operation}({params})")
            return 400, {"__type": "UnknownOperationException", "message": operation}
        try:
            validate_parameters(params, _MODEL.operation_model(operation).input_shape)
        except ParamValidationError as e:
            self.problems.append(f"{operation}: {e}")
            return 400, {"__type": "ValidationException", "message": str(e)}
        expected, response = self.answers[operation]
        if params != expected:
            self.problems.append(f"{operation} called with {params}, expected {expected}")
            return 400, {"__type": "ValidationException", "message": "unexpected parameters"}
        return 200, response

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                target = self.headers.get("X-Amz-Target", "")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                operation = target.partition(".")[2]
                try:
                    params = json.loads(body or b"{}")
                except ValueError:
                    params = {"<not JSON>": body.decode(errors="replace")}
                status, doc = standin._reply(operation, params)
                raw = json.dumps(doc, default=_wire).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", "standin")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
