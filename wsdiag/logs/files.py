"""Find the client's log files and stream them into a :class:`~wsdiag.logs.parse.LogParser`.

Memory stays constant whatever the file size: files are read in fixed-size blocks, cut at
the last newline, and a line longer than ``MAX_LINE`` is dropped rather than accumulated.
Every I/O failure becomes a :class:`ReadProblem` record; nothing here raises to the caller
except :class:`~wsdiag.errors.WsdiagError` for a bad ``--since``.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from wsdiag.errors import WsdiagError
from wsdiag.host.platform import default_log_dirs
from wsdiag.logs.parse import LogParser

BLOCK_SIZE = 1 << 20
MAX_LINE = 64 * 1024  # longer "lines" are binary junk or corruption, never a message we parse
_SNIFF = 4096
_MAX_DEPTH = 3  # the logs directory may hold per-day or per-component subdirectories
_MAX_FILES = 10_000
_GZIP_MAGIC = b"\x1f\x8b"


class ProblemKind(StrEnum):
    NOT_FOUND = "not-found"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class ReadProblem:
    path: str
    kind: ProblemKind
    detail: str  # one line: the OS error text or what went wrong


@dataclass(frozen=True)
class LogFile:
    path: Path
    size: int
    mtime: float  # seconds since the epoch
    compressed: bool
    named: bool = False  # given explicitly (not found in a directory): read even if binary


@dataclass(frozen=True)
class FileRead:
    file: LogFile
    bytes_read: int  # decompressed bytes for .gz
    lines: int
    tail_only: bool = False  # only the last part was read (client_log_evidence)


# --- --since -------------------------------------------------------------------------------

_RELATIVE = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: datetime) -> datetime:
    """``2h``, ``3d``, ``30m``, ``45s``, ``1w`` before ``now``; or an ISO date/time.

    A date/time without a zone is UTC, like the timestamps in the client's logs.
    Raises :class:`WsdiagError` with a one-line message on anything else.
    """
    value = text.strip()
    m = _RELATIVE.match(value)
    if m:
        amount = int(m[1])
        if amount == 0:
            raise WsdiagError(f"--since {text!r}: the duration must be greater than zero")
        return now - timedelta(seconds=amount * _UNIT_SECONDS[m[2].lower()])
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if " " in value else value)
    except ValueError:
        raise WsdiagError(
            f"--since {text!r}: expected a duration like 30m, 2h, 3d, 1w "
            "or an ISO date/time like 2025-08-28 or 2025-08-28T04:00Z"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- discovery ---------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _stat_file(path: Path, named: bool) -> LogFile:
    st = path.stat()
    with path.open("rb") as fh:
        compressed = fh.read(2) == _GZIP_MAGIC
    return LogFile(path, st.st_size, st.st_mtime, compressed, named)


def looks_like_text(file: LogFile) -> bool:
    """False for crash dumps and databases that share the directory (NUL bytes).

    Files named explicitly are always taken as text: the user asked for them.
    """
    if file.named:
        return True
    try:
        if file.compressed:
            with gzip.open(file.path, "rb") as gz:
                head = gz.read(_SNIFF)
        else:
            with file.path.open("rb") as fh:
                head = fh.read(_SNIFF)
    except (OSError, EOFError, zlib.error):
        return True  # let the read report the problem
    return b"\x00" not in head


def _walk(root: Path, depth: int, out: list[Path], problems: list[ReadProblem]) -> None:
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        problems.append(ReadProblem(str(root), ProblemKind.UNREADABLE, _one_line(exc)))
        return
    for entry in entries:
        if len(out) >= _MAX_FILES:
            return
        try:
            if entry.is_file():
                out.append(Path(entry.path))
            elif entry.is_dir(follow_symlinks=False) and depth < _MAX_DEPTH:
                _walk(Path(entry.path), depth + 1, out, problems)
        except OSError as exc:
            problems.append(ReadProblem(entry.path, ProblemKind.UNREADABLE, _one_line(exc)))


def discover(
    paths: Sequence[Path] | None = None, *, since: datetime | None = None
) -> tuple[list[LogFile], list[ReadProblem], list[Path]]:
    """Log files under ``paths`` (files or directories), newest first.

    ``None`` or an empty list means the client's default directories for this OS. Files
    last modified before ``since`` are left out: they cannot hold newer lines. Whether a
    file found in a directory is text is left to :func:`looks_like_text`, so that a caller
    reading only the newest file does not open all the others. Returns (files, problems,
    the directories or files that were searched).
    """
    explicit = bool(paths)
    problems: list[ReadProblem] = []
    searched: list[Path] = list(paths or [])
    if not explicit:
        try:
            searched = default_log_dirs()
        except (RuntimeError, KeyError, OSError) as exc:
            # Path.home() fails when neither HOME nor the password database names one.
            detail = f"cannot tell this user's home directory ({_one_line(exc)})"
            problems.append(ReadProblem("default log directories", ProblemKind.NOT_FOUND, detail))
    candidates: list[tuple[Path, bool]] = []
    for root in searched:
        try:
            st = root.stat()
        except FileNotFoundError:
            if explicit:
                problems.append(ReadProblem(str(root), ProblemKind.NOT_FOUND, "no such file"))
            continue
        except OSError as exc:  # e.g. "Not a directory" when a parent is a file
            problems.append(ReadProblem(str(root), ProblemKind.UNREADABLE, _one_line(exc)))
            continue
        if stat.S_ISDIR(st.st_mode):
            found: list[Path] = []
            _walk(root, 1, found, problems)
            candidates.extend((p, False) for p in found)
        elif stat.S_ISREG(st.st_mode):
            candidates.append((root, True))
        else:
            # A FIFO or device would block or never end; it is not a log file.
            problems.append(ReadProblem(str(root), ProblemKind.UNREADABLE, "not a regular file"))
    files: list[LogFile] = []
    seen: set[Path] = set()
    for path, named in candidates:
        if path in seen:
            continue
        seen.add(path)
        try:
            info = _stat_file(path, named)
        except OSError as exc:
            problems.append(ReadProblem(str(path), ProblemKind.UNREADABLE, _one_line(exc)))
            continue
        if since is not None and info.mtime < since.timestamp():
            continue
        files.append(info)
    files.sort(key=lambda f: (f.mtime, str(f.path)), reverse=True)
    return files, problems, searched


# --- reading -------------------------------------------------------------------------------


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _open(file: LogFile) -> gzip.GzipFile | io.BufferedReader:
    if file.compressed:
        return gzip.open(file.path, "rb")
    return file.path.open("rb")


def iter_blocks(
    stream: _Readable,
    *,
    block_size: int = BLOCK_SIZE,
    max_line: int = MAX_LINE,
    skip_first_line: bool = False,
) -> Iterator[bytes]:
    """Blocks of whole lines from ``stream``; the final block may lack its newline.

    A line longer than ``max_line`` is dropped (up to its newline), so memory never grows
    with the input. ``skip_first_line`` drops everything up to the first newline: after a
    seek into the middle of a file, that line is a fragment.
    """
    carry = b""
    discarding = skip_first_line  # inside a line we do not want: drop bytes until its newline
    while True:
        chunk = stream.read(block_size)
        if not chunk:
            break
        if discarding:
            nl = chunk.find(b"\n")
            if nl < 0:
                continue
            chunk = chunk[nl + 1 :]
            discarding = False
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        carry = data[cut:]
        if len(carry) > max_line:
            carry = b""
            discarding = True
    if carry and not discarding:
        yield carry


def read_into(
    parser: LogParser,
    file: LogFile,
    *,
    tail_bytes: int | None = None,
    block_size: int = BLOCK_SIZE,
) -> tuple[FileRead | None, ReadProblem | None]:
    """Feed one file to ``parser``; with ``tail_bytes``, only the end of a plain file.

    Whatever was parsed before an error stays in the parser; the error becomes a problem.
    """
    read = 0
    lines_before = parser.lines_fed
    parser.source = str(file.path)
    tail = tail_bytes is not None and not file.compressed and file.size > tail_bytes
    try:
        with _open(file) as stream:
            if tail and tail_bytes is not None:
                stream.seek(file.size - tail_bytes)
            for block in iter_blocks(stream, block_size=block_size, skip_first_line=tail):
                read += len(block)
                parser.feed_block(block)
    except (OSError, EOFError, zlib.error) as exc:
        detail = _one_line(exc)
        if read:
            detail = f"{detail} (after {read} bytes)"
        return None, ReadProblem(str(file.path), ProblemKind.UNREADABLE, detail)
    return FileRead(file, read, parser.lines_fed - lines_before, tail), None
