"""The root of the extension's one error hierarchy: a code, a readable message and the HTTP
status it maps to. AWS failures are a kind of it (:class:`~.aws.errors.AwsError`).

What is not an :class:`SmCostError` is a bug: handlers answer it with a generic 500 and log
its traceback, background loops log its traceback and carry on."""

from __future__ import annotations

import json
import logging
from typing import Optional, Union

#: what a client is told of a bug (the traceback goes to the server log)
INTERNAL_ERROR = "internal error: see the server log"


class SmCostError(Exception):
    """An error the user should read. ``status`` is the HTTP status the handlers answer."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        params: Optional[dict[str, Union[str, int]]] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        #: what fills the message, for the frontend to say it in the user's language
        self.params = dict(params or {})

    def to_json(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.params:
            body["params"] = self.params
        return {"error": body}


def log_bug(log: logging.Logger, what: str, exc: BaseException) -> str:
    """Log a bug met in background work (``what``: what was being done) with its traceback;
    returns what a person may be shown instead of the exception's own text."""
    log.error("smcost: %s failed with an internal error", what, exc_info=exc)
    return INTERNAL_ERROR


def bad_input(message: str, code: str = "invalid_input", **params: Union[str, int]) -> SmCostError:
    return SmCostError(code, message, 400, params)


def conflict(message: str, code: str = "conflict", **params: Union[str, int]) -> SmCostError:
    return SmCostError(code, message, 409, params)


def unavailable(message: str, code: str, **params: Union[str, int]) -> SmCostError:
    return SmCostError(code, message, 503, params)


#: error messages and log lines quote at most this many characters of any input
EXCERPT_CHARS = 80


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short, JSON-like rendering of ``value`` for messages (never the whole input)."""
    if isinstance(value, str):
        text = json.dumps(value[: limit + 1])
    else:
        try:
            text = json.dumps(value, default=str)
        except (TypeError, ValueError, RecursionError):
            text = type(value).__name__
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
