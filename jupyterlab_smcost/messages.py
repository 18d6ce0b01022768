"""Messages the server sends with a stable ``code`` and its ``params`` next to the English
``text``, so the frontend can render them in the user's language (jupyter_server's own
translation support does not reach an extension's catalogue): it translates by code and
falls back to ``text`` for a code it does not know. The codes are listed in openapi.yaml
(``MessageCode``); a new one is added there and in ``src/messages.ts``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

Param = Union[str, int, float]


@dataclass(frozen=True)
class Message:
    """One sentence: ``code`` (stable), ``text`` (English), ``params`` (what fills it)."""

    code: str
    text: str
    params: tuple[tuple[str, Param], ...] = ()

    @classmethod
    def of(cls, code: str, text: str, **params: Param) -> Message:
        return cls(code, text, tuple(sorted(params.items())))

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "params": dict(self.params)}


def plain(text: str) -> Message:
    """A sentence with no code of its own (the frontend shows ``text`` as it is)."""
    return Message("text", text)
