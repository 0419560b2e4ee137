"""A proxy's answer to ``CONNECT``, read from the bytes received so far. Pure: no sockets.

RFC 9110 §15.2: a client must accept any number of interim (1xx) responses before the
final one, so ``100 Continue`` before ``200 Connection established`` is skipped, not read
as a refusal. RFC 9110 §9.3.6: after a 2xx the connection is the tunnel, so bytes the
proxy sent after the final head (a server that speaks first, a pipelining proxy) are the
start of the tunnel stream and are kept, not lost. Everything up to the final head is
bounded, so a proxy (or anything posing as one) cannot make the reader read on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from wsdiag.budgets import MAX_PROXY_HEAD
from wsdiag.vocab.model import Refusal, Status, refusal_of

_STATUS_LINE = re.compile(rb"^HTTP/\d(?:\.\d)?[ \t]+(\d{3})(?:[ \t][^\r\n]*)?$")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")
_SWITCHING_PROTOCOLS = 101  # a final answer, though 1xx: no tunnel follows it


class State(StrEnum):
    INCOMPLETE = "incomplete"  # read more (the final head has not ended yet)
    FINAL = "final"  # the final head: ``code``, ``line``, and ``rest`` (the tunnel's start)
    BAD = "bad"  # no usable answer: ``status`` and ``problem`` say what to report


@dataclass(frozen=True)
class ConnectAnswer:
    state: State
    code: int | None = None
    line: bytes = b""  # the final status line, without its line end
    rest: bytes = b""  # bytes after the final head
    status: Status | None = None  # BAD only
    problem: str = ""  # BAD only: one line, no echo of unprintable text
    interim: int = 0  # interim (1xx) heads skipped


_SAYS = {
    Refusal.POLICY: "refused CONNECT {target} by its policy",
    Refusal.UPSTREAM: "could not resolve or reach {target} itself",
    Refusal.AUTH: "requires authentication for CONNECT {target}",
    Refusal.OTHER: "refused CONNECT {target}",
}


def refusal_words(code: int, target: str) -> str:
    """One clause for a report: "refused CONNECT host:4195 by its policy (HTTP 403)"."""
    return f"{_SAYS[refusal_of(code)].format(target=target)} (HTTP {code})"


def printable(data: bytes | str, limit: int = 120) -> str:
    """Network text for a report: printable ASCII only, and short."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    return _UNPRINTABLE.sub("?", text)[:limit]


def _head_end(data: bytes, start: int) -> int | None:
    """Index just past the blank line that ends the head starting at ``start``."""
    pos = start
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            return None
        line = data[pos:nl]
        if line in (b"", b"\r") and pos > start:
            return nl + 1
        pos = nl + 1


def parse_connect_answer(
    data: bytes, eof: bool = False, limit: int = MAX_PROXY_HEAD
) -> ConnectAnswer:
    """``data``: every byte received since ``CONNECT`` was sent; ``eof``: the proxy closed.

    Returns INCOMPLETE (read on), FINAL (``code`` may be any non-1xx status; the caller
    decides what it means) or BAD: longer than ``limit`` bytes before the final head ends
    (ERROR), closed before it (REFUSED: the proxy will not open the tunnel for the client
    either), or not HTTP (ERROR)."""
    start, interim = 0, 0
    while True:
        while data.startswith((b"\r\n", b"\n"), start):  # stray blank lines before a head
            start = data.index(b"\n", start) + 1
        end = _head_end(data, start)
        if end is None or end > limit:
            if len(data) > limit:
                return ConnectAnswer(
                    State.BAD,
                    status=Status.ERROR,
                    interim=interim,
                    problem=f"answer longer than {limit} bytes",
                )
            if eof:
                said = start < len(data) or interim
                return ConnectAnswer(
                    State.BAD,
                    status=Status.REFUSED,
                    interim=interim,
                    problem="closed the connection mid-answer"
                    if said
                    else "closed the connection without an answer",
                )
            return ConnectAnswer(State.INCOMPLETE, interim=interim)
        line = data[start : data.index(b"\n", start)].rstrip(b"\r")
        m = _STATUS_LINE.match(line)
        if m is None:
            return ConnectAnswer(
                State.BAD,
                status=Status.ERROR,
                interim=interim,
                problem=f"not an HTTP answer: '{printable(line)}'",
            )
        code = int(m.group(1))
        if 100 <= code < 200 and code != _SWITCHING_PROTOCOLS:
            start, interim = end, interim + 1
            continue
        return ConnectAnswer(State.FINAL, code=code, line=line, rest=data[end:], interim=interim)
