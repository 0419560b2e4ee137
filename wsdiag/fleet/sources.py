"""Where collected reports come from: files, folders, stdin, gzip; one record at a time.

A source yields records, never whole folders: `summarize` keeps constant memory however
many reports it reads. Two layouts are recognised per file, by its first line:

- a pretty (indented) JSON document, as `wsdiag check --json` writes: the first line is a
  lone `{` (or `[` for an array of reports); the whole file is one record (capped in size);
- JSON lines (`--format json-line`, or reports concatenated by `cat`): one record a line.

Gzip is recognised by its magic bytes, not the file name. In folders (walked recursively,
sorted) only names that look like reports are read: *.json, *.jsonl, *.ndjson (each also
.gz) and `stdout`, the name SSM Run Command gives the output it writes to S3. A file named
on the command line is always read.
"""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from wsdiag.host.readfile import ReadRefused, open_regular

GZIP_MAGIC = b"\x1f\x8b"
MAX_DOCUMENT = 64 * 1024 * 1024  # one pretty report is ~20 kB; more is not a report
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


def records(path: str) -> Iterator[Record]:
    """The records in one file (`-` = stdin); a file that cannot be opened or decompressed
    yields one Record with `error` set instead of raising."""
    try:
        if path == "-":
            yield from _records(sys.stdin.buffer, "(stdin)")
            return
        # Regular files only (a FIFO would block, /dev/zero never end), opened without
        # waiting: the same bounded opener as the client's logs and --probes.
        raw, _ = open_regular(Path(path))
        with raw:
            yield from _records(raw, path)
    except ReadRefused as exc:
        yield Record(path, b"", path, f"unreadable: {exc.detail}")
    except (OSError, EOFError, gzip.BadGzipFile) as exc:  # EOFError: truncated .gz
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        yield Record(path, b"", path, f"unreadable: {reason}")


def _records(raw: IO[bytes], name: str) -> Iterator[Record]:
    stream: IO[bytes] = raw
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == GZIP_MAGIC:
        stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    first = b""
    lineno = 0
    for line in _lines(stream):  # skip leading blank lines
        lineno += 1
        if line.strip():
            first = line
            break
    if not first:
        yield Record(name, b"", Path(name).name, "empty")
        return
    if first.strip() in (b"{", b"["):
        rest = stream.read(MAX_DOCUMENT + 1)
        if len(rest) > MAX_DOCUMENT:
            yield Record(name, b"", name, f"larger than {MAX_DOCUMENT >> 20} MiB")
        else:
            yield Record(name, first + rest, name)
        return
    yield Record(f"{name}:{lineno}", first, f"{name}:{lineno}")
    for line in _lines(stream):
        lineno += 1
        if line.strip():
            yield Record(f"{name}:{lineno}", line, f"{name}:{lineno}")


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    """Lines of at most MAX_DOCUMENT bytes (a longer one is cut there and fails to parse as
    JSON, counted as broken): memory stays bounded whatever a file holds."""
    while line := stream.readline(MAX_DOCUMENT + 1):
        yield line
