"""Where collected reports come from: files, folders, stdin, gzip; one record at a time.

A source yields records, never whole folders: `summarize` keeps constant memory however
many reports it reads. Two layouts are recognised per file, by its first line:

- a pretty (indented) JSON document, as `wsdiag check --json` writes: the first line is a
  lone `{` (or `[` for an array of reports); the whole file is one record;
- JSON lines (`--format json-line`, or reports concatenated by `cat`): one record a line.

Hostile input is bounded by the budgets in wsdiag.budgets (issue 18): a document over
MAX_REPORT_BYTES is a "too large" record, never handed to a parser (a longer line is
skipped up to its newline, unread); gzip stops after SUMMARIZE_GZIP_MAX_BYTES decompressed
or, beyond SUMMARIZE_RATIO_AFTER, past SUMMARIZE_GZIP_MAX_RATIO times its compressed bytes;
a file (not stdin) stops after SUMMARIZE_FILE_SECONDS. Each stop is one record with
`error` set, after the records read before it.

A file whose first bytes are not UTF-8 text (NUL bytes, UTF-16, other bytes) is one
broken record saying so, not one per "line" of it. A zip (by its magic bytes) is taken for
a `wsdiag bundle`: its report.json is one record, read in blocks up to MAX_REPORT_BYTES.

Gzip is recognised by its magic bytes, not the file name. In folders (walked recursively,
sorted) only names that look like reports are read: *.json, *.jsonl, *.ndjson (each also
.gz) and `stdout`, the name SSM Run Command gives the output it writes to S3. A file named
on the command line is always read.
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import re
import sys
import time
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wsdiag.budgets import (
    MAX_REPORT_BYTES,
    SHOW_MAX_BYTES,
    SUMMARIZE_FILE_SECONDS,
    SUMMARIZE_GZIP_MAX_BYTES,
    SUMMARIZE_GZIP_MAX_RATIO,
    SUMMARIZE_RATIO_AFTER,
)
from wsdiag.host.readfile import (
    ZIP_MAGIC,
    GzipReader,
    ReadRefused,
    RefusedKind,
    is_gzip,
    open_regular,
    os_detail,
    zip_member,
)

BUNDLE_REPORT = "report.json"  # the check's JSON in a `wsdiag bundle` zip (as show reads it)
TEXT_SNIFF = 4096  # bytes of a file's start that tell text from binary (a report: ~40 kB)
CHUNK = 1 << 20  # bytes read at a time: one report is ~40 kB
# A line's text from its first non-blank byte to its end (the newline not included).
_LINE = re.compile(rb"[^ \t\r\n\f\v][^\n]*")
_LINE_START = re.compile(rb"[^ \t\r\n\f\v]")  # where _LINE would start
REPORT_SUFFIXES = (".json", ".jsonl", ".ndjson")
SSM_OUTPUT_NAMES = ("stdout",)


@dataclass(frozen=True, slots=True)
class Record:
    """One candidate report: `data` is its raw JSON text (bytes, unparsed), `where` names
    it for a person (path, or path:line in JSON lines), `fallback_host` names the host when
    the report has no `host` block. `error` set means the record could not be read."""

    where: str
    data: bytes
    fallback_host: str
    error: str | None = None


def looks_like_report(name: str) -> bool:
    """True for the file names read inside folders (see module docstring)."""
    base = name[:-3] if name.endswith(".gz") else name
    return base.endswith(REPORT_SUFFIXES) or base in SSM_OUTPUT_NAMES


def expand(paths: list[str]) -> Iterator[tuple[str, str | None]]:
    """(path, None) for each file to read, in order; (path, reason) for a path skipped.

    `-` is stdin. Folders are walked recursively in sorted order; unreadable folders are
    reported, not raised. Raises FileNotFoundError for a named path that does not exist
    (a typo is a usage error, not an empty fleet)."""
    for p in paths:
        if p == "-":
            yield p, None
        elif os.path.isdir(p):
            yield from _walk(p)
        elif os.path.exists(p):
            yield p, None
        else:
            raise FileNotFoundError(p)


def _walk(top: str) -> Iterator[tuple[str, str | None]]:
    errors: list[OSError] = []
    for root, dirs, files in os.walk(top, onerror=errors.append):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            yield (path, None) if looks_like_report(name) else (path, "not a report name")
        while errors:
            err = errors.pop()
            yield str(err.filename or top), f"unreadable folder: {err.strerror or err}"


def records(path: str) -> Generator[Record, None, None]:
    """The records in one file (`-` = stdin); a file that cannot be opened, decompressed or
    read to its end within the budgets (wsdiag.budgets, SUMMARIZE_*) yields one Record with
    `error` set instead of raising, after the records read before the trouble."""
    try:
        if path == "-":
            yield from _records(sys.stdin.buffer, "(stdin)", None)
            return
        # Regular files only (a FIFO would block, /dev/zero never end), opened without
        # waiting: the same bounded opener as the client's logs and --probes.
        raw, _ = open_regular(Path(path))
        with raw:
            yield from _records(raw, path, time.monotonic() + SUMMARIZE_FILE_SECONDS)
    except ReadRefused as exc:
        yield Record(path, b"", path, f"unreadable: {exc.detail}")
    except _Stopped as exc:
        yield Record(path, b"", path, str(exc))
    except (OSError, EOFError, zlib.error) as exc:  # EOFError: truncated .gz
        yield Record(path, b"", path, f"unreadable: {os_detail(exc)}")


class _Stopped(Exception):
    """A file given up under a budget; str() says which, for a person."""


def not_text(head: bytes) -> str | None:
    """Why a file whose first bytes are ``head`` is no text of reports, or None: a binary
    file (NUL bytes), UTF-16 (what Windows PowerShell's ``>`` writes), bytes that are not
    UTF-8. Said once for the file: its "lines" are not records (random bytes split at
    newlines gave one broken entry per fragment). A character cut at the end of ``head``
    is not a fault. Pure."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16 text, not UTF-8 (Windows PowerShell's > writes it): save reports as UTF-8"
    if b"\x00" in head:
        return "not a text file (it holds NUL bytes): not a report"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not (exc.reason == "unexpected end of data" and exc.end == len(head)):
            return "not UTF-8 text"
    return None


def _bundle(raw: BinaryIO, name: str) -> Record:
    """A `wsdiag bundle` zip: its report.json as one record, read as `show` reads it (at
    most MAX_REPORT_BYTES decompressed, whatever its header or data claim)."""
    stream: BinaryIO = raw
    if not raw.seekable():  # stdin: the zip's index is at its end
        stream = io.BytesIO(raw.read(SHOW_MAX_BYTES + 1))  # show's cap on its input
    try:
        data = zip_member(stream, BUNDLE_REPORT, MAX_REPORT_BYTES)
    except ReadRefused as exc:
        if exc.kind is RefusedKind.NOT_FOUND:
            return Record(name, b"", name, f"a zip without {BUNDLE_REPORT}: not a wsdiag bundle")
        if exc.kind is RefusedKind.TOO_LARGE:
            return Record(name, b"", name, too_large())
        return Record(name, b"", name, exc.detail)
    return Record(name, data, name)


def _records(raw: BinaryIO, name: str, deadline: float | None) -> Iterator[Record]:
    stream: GzipReader | BinaryIO = raw
    head = raw.peek(4)[:4] if isinstance(raw, io.BufferedReader) else b""
    if isinstance(raw, io.BufferedReader) and not head:
        # The end of input already (a terminal's one Ctrl-D is spent): reading on would wait.
        yield Record(name, b"", Path(name).name, "empty")
        return
    if head == ZIP_MAGIC:
        yield _bundle(raw, name)
        return
    if is_gzip(head):
        stream = GzipReader(
            raw,
            max_bytes=SUMMARIZE_GZIP_MAX_BYTES,
            max_ratio=SUMMARIZE_GZIP_MAX_RATIO,
            ratio_after=SUMMARIZE_RATIO_AFTER,
        )
    chunks = _chunks(stream, deadline)
    # A byte order mark starts the file, not its first record (nor a pretty document's "{").
    start = next(chunks, b"").removeprefix(codecs.BOM_UTF8)  # Windows PowerShell 5.1's
    why = not_text(start[:TEXT_SNIFF]) if start else None
    if why is not None:
        yield Record(name, b"", name, why)
        return
    lines = _Lines(itertools.chain([start] if start else [], chunks))
    it = iter(lines)
    first = next(it, None)
    if first is None:
        yield Record(name, b"", Path(name).name, "empty")
        return
    pending: tuple[int, bytes | None] | None = first
    while pending is not None:
        lineno, line = pending
        if line is not None and _opens_document(line):
            # A pretty-printed document (or several) from here to the end, unless the next
            # line is a report of its own: then this line is a JSON line cut short.
            rest = lines.rest(MAX_REPORT_BYTES)
            where = name if pending is first else f"{name}:{lineno}"
            if not _line_record_follows(rest):
                if len(line) + len(rest) > MAX_REPORT_BYTES:
                    yield Record(where, b"", where, too_large())
                else:
                    yield Record(where, line + rest, where)
                return
            lines = _Lines(itertools.chain([line + rest], chunks))
            lines.skip_lines(lineno - 1)
            it = iter(lines)
            pending = next(it, None)  # this line again, read as one record now
            if pending is None:
                return
            lineno, line = pending
        where = f"{name}:{lineno}"
        yield Record(where, b"", where, too_large()) if line is None else Record(where, line, where)
        pending = next(it, None)


def _line_record_follows(rest: bytes) -> bool:
    """Whether the first non-blank line in ``rest`` is one whole JSON object on its line (a
    record of JSON lines), not a line of a pretty-printed document."""
    head = rest.lstrip(b" \t\r\n\f\v")
    end = head.find(b"\n")
    text = (head if end < 0 else head[:end]).rstrip()
    return text[:1] == b"{" and text[-1:] == b"}"


def _opens_document(line: bytes) -> bool:
    """A line that starts a JSON document but does not end one: a pretty-printed report
    (``{`` alone, or ``{ "schema": ...,`` as some serialisers write it), not one report a
    line. Asked of every line: only its ends are looked at, never a copy of a 50 kB line."""
    if line[:1] not in (b"{", b"["):
        return False
    end = len(line)
    while end > 1 and line[end - 1] in _BLANK:  # a CR, trailing spaces
        end -= 1
    return line[end - 1 : end] not in (b"}", b"]")


_BLANK = frozenset(b" \t\r\f\v")


def too_large() -> str:
    return f"too large: over {MAX_REPORT_BYTES >> 20} MiB, not parsed (a report is ~40 kB)"


def _chunks(stream: GzipReader | BinaryIO, deadline: float | None) -> Iterator[bytes]:
    """The decompressed bytes of a file, CHUNK at a time; raises _Stopped past a budget."""
    while chunk := stream.read(CHUNK):
        yield chunk
        if deadline is not None and time.monotonic() > deadline:
            raise _Stopped(f"stopped after {SUMMARIZE_FILE_SECONDS:.0f} s (the time per file)")
    stopped = getattr(stream, "stopped", None)
    if stopped is not None:
        if stopped.bomb:
            raise _Stopped(
                f"stopped after {SUMMARIZE_RATIO_AFTER >> 20} MiB decompressed: it expands more"
                f" than {SUMMARIZE_GZIP_MAX_RATIO} times, a gzip bomb (reports: ~140x at most)"
            )
        raise _Stopped(
            f"stopped after {SUMMARIZE_GZIP_MAX_BYTES >> 20} MiB decompressed (the limit per file)"
        )


def _spans(buf: bytes, pos: int, cut: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each _LINE match in buf[pos:cut], which ends with a newline: the
    regular expression finds where a line starts (skipping blank runs in C) and bytes.find
    (memchr) its end, several times faster than _LINE scanning a 50 kB line byte by byte."""
    while m := _LINE_START.search(buf, pos, cut):
        start = m.start()
        pos = buf.find(b"\n", start, cut)  # found: buf[cut - 1] is a newline
        yield start, pos


class _Lines:
    """The non-blank lines of a stream of chunks as (line number, bytes), in order; a line
    longer than MAX_REPORT_BYTES comes as (line number, None) and is skipped unread, so
    memory stays within two chunks plus one document whatever the file holds. Runs of
    blank lines are skipped by the regular expression engine, not one line at a time (a
    gzip of newlines expands to a billion of them)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""
        self._pos = 0
        self._newlines = 0  # newlines before self._pos in the whole stream

    def __iter__(self) -> Iterator[tuple[int, bytes | None]]:
        while True:
            buf, pos = self._buf, self._pos
            cut = buf.rfind(b"\n", pos) + 1  # the end of the complete lines, 0: none
            if cut > pos:
                for start, end in _spans(buf, pos, cut):
                    lineno = self._newlines + buf.count(b"\n", pos, start) + 1
                    self._newlines, self._pos = lineno - 1, end
                    pos = end
                    long = end - start > MAX_REPORT_BYTES
                    yield lineno, None if long else buf[start:end]
                    if self._buf is not buf:  # rest() took over
                        return
                self._newlines += buf.count(b"\n", pos, cut)
                pos = cut
            tail = buf[pos:]
            chunk = next(self._chunks, None)
            if chunk is None:
                self._buf, self._pos = b"", 0
                if last := _LINE.search(tail):
                    long = last.end() - last.start() > MAX_REPORT_BYTES
                    yield self._newlines + 1, None if long else last.group()
                return
            if not _LINE.search(tail):
                tail = b""  # blank, and without a newline: nothing to count or keep
            elif len(tail.lstrip()) > MAX_REPORT_BYTES:  # as _LINE measures a line
                yield self._newlines + 1, None
                chunk = self._skip_line(chunk)
                if chunk is None:
                    return
                tail = b""
            self._buf, self._pos = tail + chunk, 0

    def skip_lines(self, n: int) -> None:
        """Number the lines as if ``n`` came before the stream's first."""
        self._newlines += n

    def _skip_line(self, chunk: bytes | None) -> bytes | None:
        """Chunks dropped up to the newline ending a too-large line: the rest from there."""
        while chunk is not None:
            i = chunk.find(b"\n")
            if i >= 0:
                return chunk[i:]
            chunk = next(self._chunks, None)
        return None

    def rest(self, limit: int) -> bytes:
        """Every byte after the last line returned, at most `limit` + 1 of them; ends the
        iteration (for a pretty document, which is the whole file)."""
        parts = [self._buf[self._pos :]]
        size = len(parts[0])
        self._buf, self._pos = b"", 0
        while size <= limit and (chunk := next(self._chunks, None)) is not None:
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)[: limit + 1]
