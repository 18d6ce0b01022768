"""The extension's error type: a code, a readable message and the HTTP status it maps to."""

from __future__ import annotations

import json


class SmCostError(Exception):
    """An error the user should read. ``status`` is the HTTP status the handlers answer."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def to_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


def bad_input(message: str, code: str = "invalid_input") -> SmCostError:
    return SmCostError(code, message, 400)


def conflict(message: str, code: str = "conflict") -> SmCostError:
    return SmCostError(code, message, 409)


def unavailable(message: str, code: str) -> SmCostError:
    return SmCostError(code, message, 503)


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
