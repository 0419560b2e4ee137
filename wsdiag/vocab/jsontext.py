"""JSON text as ``wsdiag show`` and ``wsdiag summarize`` read it: one reader, so that the two
read the same records and refuse the others with the same reason. Pure, no I/O.

Strict JSON: no NaN or Infinity and no number too large for a double (RFC 8259 §6 leaves
them out; orjson, JavaScript and jq refuse them; Python's json module reads them), and
integers as orjson reads them (64 bits; a longer one is a double), so that the fast parser
``summarize`` uses and this one give the same value. UTF-8 with or without a byte order
mark: RFC 8259 §8.1 lets a parser ignore one, and Windows PowerShell 5.1 writes one
(``Out-File -Encoding utf8``, ``Set-Content -Encoding UTF8``), so a fleet's Windows reports
carry it.
"""

from __future__ import annotations

import json
import math
from typing import Any

# orjson's integers: signed 64-bit up to unsigned 64-bit (github.com/ijl/orjson, "int").
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_INT_DIGITS = 20  # the longest such integer; int() of over 4,300 digits raises ValueError


class NotStrictJson(ValueError):
    """JSON text with a value strict JSON has no place for: NaN, Infinity, a number too
    large for a double (``show`` would write it back as no JSON at all)."""


class NotJson(ValueError):
    """Bytes that hold no one strict JSON value. ``str()`` is the reason in words, one line
    ("not UTF-8 text", "report cut at 3,000 characters"); ``cut``: the text ends before its
    object closes (SSM keeps the first 24,000 characters of a command's output);
    ``extra``: more than one value follows another."""

    def __init__(self, reason: str, *, cut: bool = False, extra: bool = False) -> None:
        super().__init__(reason)
        self.cut = cut
        self.extra = extra


def _no_constant(name: str) -> Any:
    raise NotStrictJson(f"{name} is not a JSON number: strict JSON has no NaN or Infinity")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotStrictJson(f"{text[:20]} is too large for a double: strict JSON has no Infinity")
    return value


def _int(text: str) -> int | float:
    if len(text) <= _INT_DIGITS:
        value = int(text)
        if _INT_MIN <= value <= _INT_MAX:
            return value
    return _finite(text)  # as orjson: a double, or refused where no double holds it


def strict_loads(data: str | bytes) -> Any:
    """``json.loads`` that reads what orjson reads, as orjson reads it. Raises NotStrictJson
    for NaN, Infinity and numbers beyond a double, json.JSONDecodeError (a ValueError) for
    text that is no JSON, RecursionError for nesting deeper than the parser's stack."""
    return json.loads(data, parse_constant=_no_constant, parse_float=_finite, parse_int=_int)


def read_json(data: bytes) -> Any:
    """The one JSON value in ``data`` (UTF-8, a byte order mark allowed, whitespace around
    it). Raises NotJson, whose text says why in words."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotJson("not UTF-8 text") from None
    body = text.strip()
    if not body:
        raise NotJson("empty")
    try:
        return strict_loads(body)
    except RecursionError:  # '['*100000: nested deeper than the parser's stack allows
        raise NotJson("JSON nested too deep (no report is)") from None
    except NotStrictJson as exc:
        raise NotJson(str(exc)) from None
    except json.JSONDecodeError as exc:
        if body.startswith("{") and _cut(exc, body):
            raise NotJson(f"report cut at {len(text):,} characters", cut=True) from None
        where = f"{exc.msg} at character {exc.pos}"
        raise NotJson(f"not JSON ({where})", extra=exc.msg == "Extra data") from None


def _cut(exc: json.JSONDecodeError, body: str) -> bool:
    """The parser ran out of text (rather than meeting a wrong character): the document
    was cut. A string left open runs to the end, whatever position the parser names."""
    return exc.pos >= len(body) or exc.msg.startswith("Unterminated string")
