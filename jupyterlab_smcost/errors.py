"""The extension's error type: a code, a readable message and the HTTP status it maps to."""

from __future__ import annotations


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
