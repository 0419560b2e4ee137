"""JSON text as ``wsdiag show`` and ``wsdiag summarize`` read it: one reader, so that the two
read the same records and refuse the others with the same reason. Pure, no I/O.

Strict JSON: no NaN or Infinity and no number too large for a double (RFC 8259 §6 leaves
them out; orjson, JavaScript and jq refuse them; Python's json module reads them), and
integers as orjson reads them (64 bits; a longer one is a double), so that the fast parser
``summarize`` uses and this one give the same value. UTF-8 with or without a byte order
mark: RFC 8259 §8.1 lets a parser ignore one, and Windows PowerShell 5.1 writes one
(``Out-File -Encoding utf8``, ``Set-Content -Encoding UTF8``), so a fleet's Windows reports
carry it. ``read_values`` reads a text of one value or several one after another (pretty
reports concatenated).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# orjson's integers: signed 64-bit up to unsigned 64-bit (github.com/ijl/orjson, "int").
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_INT_DIGITS = 20  # the longest such integer; int() of over 4,300 digits raises ValueError


class NotStrictJson(ValueError):
    """JSON text with a value strict JSON has no place for: NaN, Infinity, a number too
    large for a double (``show`` would write it back as no JSON at all)."""


class NotJson(ValueError):
    """Bytes that hold no strict JSON value (or where one stands). ``str()`` is the reason in
    words, one line ("not UTF-8 text", "report cut at 3,000 characters"); ``cut``: the text
    ends before its object closes (SSM keeps the first 24,000 characters of an output)."""

    def __init__(self, reason: str, *, cut: bool = False) -> None:
        super().__init__(reason)
        self.cut = cut


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


def read_values(data: bytes) -> list[Any]:
    """The JSON values in ``data`` one after another, with whitespace (a byte order mark
    too: ``cat`` of Windows PowerShell 5.1's files) between them: several pretty-printed
    reports in one file, ``}{`` glued lines. An item that is a NotJson stands where a value
    could not be read; reading goes on at the next line that starts with "{" or "[" (the
    next pretty-printed document starts there), and ends at a value cut short. Raises
    NotJson where ``data`` is no UTF-8 text or holds nothing but whitespace."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotJson("not UTF-8 text") from None
    pos = _skip(text, 0)
    if pos == len(text):
        raise NotJson("empty")
    items: list[Any] = []
    while pos < len(text):
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except (RecursionError, NotStrictJson, json.JSONDecodeError) as exc:
            items.append(_why(exc, text, pos))
            nxt = _NEXT_DOCUMENT.search(text, pos + 1)
            if items[-1].cut or nxt is None:
                break
            pos = nxt.end()
            continue
        items.append(value)
        pos = _skip(text, end)
    return items


def _why(exc: Exception, text: str, pos: int) -> NotJson:
    """The reason a value at ``pos`` could not be read, in words."""
    if isinstance(exc, RecursionError):  # '['*100000: deeper than the parser's stack
        return NotJson("JSON nested too deep (no report is)")
    if isinstance(exc, NotStrictJson):
        return NotJson(str(exc))
    assert isinstance(exc, json.JSONDecodeError)
    if text[pos] in "{[" and _cut(exc, text):
        return NotJson(f"report cut at {len(text):,} characters", cut=True)
    msg = exc.msg.removesuffix(" at")  # "Invalid control character at"
    return NotJson(f"not JSON ({msg} at character {exc.pos})")


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite, parse_int=_int)
# JSON's whitespace (RFC 8259 §2), and the byte order mark a concatenated file carries
_WHITESPACE = re.compile("[ \t\n\r\ufeff]*")
_NEXT_DOCUMENT = re.compile("\n\ufeff?(?=[\\[{])")
# What a value cut short leaves where the parser stops: part of a literal or a number.
_PARTIAL = re.compile(r"[0-9A-Za-z.+-]{0,24}")


def _skip(text: str, pos: int) -> int:
    m = _WHITESPACE.match(text, pos)
    assert m is not None  # "*" matches the empty string too
    return m.end()


def _cut(exc: json.JSONDecodeError, text: str) -> bool:
    """The parser ran out of text (rather than meeting a wrong character): the document
    was cut. Where it stops, only whitespace or part of one literal or number is left
    ("nul", "0."); a string left open runs to the end, whatever position it names."""
    if exc.msg.startswith("Unterminated string"):
        return True
    tail = text[exc.pos :].rstrip(" \t\n\r")
    return _PARTIAL.fullmatch(tail) is not None
