"""Find the client's log files and stream them into a :class:`~wsdiag.logs.parse.LogParser`.

Memory stays constant whatever the file size: files are read in fixed-size blocks, cut at
the last newline, and a line longer than ``MAX_LINE`` is skipped (and counted) rather than
accumulated. Every file is opened through :mod:`wsdiag.host.readfile`: regular files only
(no FIFO, device, ``/proc`` or ``/sys`` entry, nor a symlink to one), at most
``MAX_FILE_BYTES`` of each (the newest part of a plain file), and gzip files within a size
and compression-ratio cap. Every I/O failure or cap becomes a :class:`ReadProblem` record;
nothing here raises to the caller except :class:`~wsdiag.errors.WsdiagError` for a bad
``--since``.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from wsdiag.host.platform import default_log_dirs
from wsdiag.host.readfile import (
    CappedReader,
    GzipReader,
    ReadLimit,
    ReadRefused,
    RefusedKind,
    is_gzip,
    open_regular,
    os_detail,
    refuse_virtual,
    sniff,
    stat_kind,
)
from wsdiag.logs.lines import HEAD, timestamp_of
from wsdiag.logs.sessions import to_datetime

if TYPE_CHECKING:  # the parser is the caller's: finding files needs none
    from wsdiag.logs.parse import LogParser

BLOCK_SIZE = 1 << 20
MAX_LINE = 64 * 1024  # longer "lines" are binary junk or corruption, never a message we parse
# Per file: the newest MAX_FILE_BYTES of a plain file, the first MAX_FILE_BYTES of a
# decompressed one. Far above a rotated client log (a few MB); it bounds a hostile file.
MAX_FILE_BYTES = 1 << 30
_SNIFF = 4096
_MAX_DEPTH = 3  # the logs directory may hold per-day or per-component subdirectories
_MAX_FILES = 10_000
# newest_first_by_lines: how much of each file's end is looked at for its newest line, and
# of how many files (the newest by mtime); a client's log folder holds a handful.
_TAIL = 8192
_PEEK_FILES = 32


class ProblemKind(StrEnum):
    NOT_FOUND = "not-found"
    UNREADABLE = "unreadable"
    NOT_REGULAR = "not-regular"  # FIFO, device, /proc or /sys entry: never opened for reading
    TOO_LARGE = "too-large"  # read only in part: size or decompression cap
    LONG_LINES = "long-lines"  # lines over MAX_LINE skipped; the rest was read


_KIND_OF = {
    RefusedKind.NOT_FOUND: ProblemKind.NOT_FOUND,
    RefusedKind.NOT_REGULAR: ProblemKind.NOT_REGULAR,
    RefusedKind.TOO_LARGE: ProblemKind.TOO_LARGE,
    RefusedKind.UNREADABLE: ProblemKind.UNREADABLE,
}


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
    # Run as root in a folder another account owns: the file must be that account's and no
    # link (wsdiag.host.readfile.open_regular); None: read as this account reads it.
    owner: int | None = None


@dataclass(frozen=True)
class FileRead:
    file: LogFile
    bytes_read: int  # decompressed bytes for .gz; every byte read, skipped long lines too
    lines: int
    tail_only: bool = False  # only the last part was read (client_log_evidence, size cap)
    long_lines: int = 0  # lines longer than MAX_LINE, skipped
    stopped_early: bool = False  # a size or decompression cap ended the read


# --- --since -------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    return os_detail(exc)


def _problem(path: object, exc: ReadRefused) -> ReadProblem:
    return ReadProblem(str(path), _KIND_OF[exc.kind], exc.detail)


def _stat_file(path: Path, named: bool, owner: int | None = None) -> LogFile:
    """Raises :class:`ReadRefused` for anything but a readable regular file."""
    stream, st = open_regular(path, owner=owner)
    with stream:
        try:
            compressed = is_gzip(stream.read(2))
        except OSError as exc:
            raise ReadRefused(RefusedKind.UNREADABLE, os_detail(exc)) from None
    return LogFile(path, st.st_size, st.st_mtime, compressed, named, owner)


def looks_like_text(file: LogFile) -> bool:
    """True when ``file`` is to be read as a client log: see :func:`skip_reason`."""
    return skip_reason(file) is None


# A file found in a log directory is the client's when its name says so (the client writes
# *.log, rotated *.log.N and *.log.gz; .txt exports) or a line of its head is in one of the
# client's formats (wsdiag.logs.lines.HEAD). A README.md or settings.json beside the logs
# is neither.
_LOG_NAME = re.compile(r"\.(?:log|txt)(?:\.[0-9]{1,3})?(?:\.gz)?\Z", re.IGNORECASE)


def skip_reason(file: LogFile) -> str | None:
    """None when ``file`` is read as a client log, else why not: ``binary`` (crash dumps
    and databases that share the directory: NUL bytes) or ``not-a-client-log`` (a name
    that is no log's and no line of its first ``_SNIFF`` bytes in the client's formats).

    Files named explicitly are always read: the user asked for them."""
    if file.named:
        return None
    try:
        head = sniff(file.path, _SNIFF, file.owner)
    except ReadRefused:
        return None  # let the read report the problem
    if b"\x00" in head:
        return "binary"
    if file.compressed or _LOG_NAME.search(file.path.name):
        return None
    text = head.decode("utf-8", "replace")
    if any(HEAD.match(line) for line in text.splitlines()):
        return None
    return "not-a-client-log"


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
            if entry.is_dir(follow_symlinks=False):
                if depth < _MAX_DEPTH:
                    _walk(Path(entry.path), depth + 1, out, problems)
            elif entry.is_symlink() and entry.is_dir():
                continue  # symlinked directories are not followed (loops, other trees)
            elif entry.is_file() or entry.is_symlink():
                # Symlinks are checked when opened: one to /proc/kmsg or a FIFO is refused.
                out.append(Path(entry.path))
            else:
                kind = stat_kind(entry.stat(follow_symlinks=False).st_mode)
                problems.append(
                    ReadProblem(entry.path, ProblemKind.NOT_REGULAR, f"not a regular file ({kind})")
                )
        except OSError as exc:
            problems.append(ReadProblem(entry.path, ProblemKind.UNREADABLE, _one_line(exc)))


def _guard(root: Path) -> int | None:
    """The uid a file found under ``root`` must belong to: when this process is root and the
    folder is another account's (a profile's log folder read as SYSTEM/root), that account;
    None otherwise (an account reading its own files gains nothing by a link)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    try:
        uid = os.lstat(root).st_uid
    except OSError:
        return None
    return uid if uid != 0 else None


def _candidates(
    root: Path, explicit: bool, problems: list[ReadProblem]
) -> list[tuple[Path, bool, int | None]]:
    """(path, named by the user, owner it must have) for one searched root: the root itself
    when it is a regular file, the files under it when a directory; anything else becomes a
    problem."""
    try:
        refuse_virtual(root)
    except ReadRefused as exc:
        problems.append(_problem(root, exc))
        return []
    try:
        st = root.stat()
    except FileNotFoundError:
        if explicit:
            problems.append(ReadProblem(str(root), ProblemKind.NOT_FOUND, "no such file"))
        return []
    except OSError as exc:  # e.g. "Not a directory" when a parent is a file
        problems.append(ReadProblem(str(root), ProblemKind.UNREADABLE, _one_line(exc)))
        return []
    if stat.S_ISDIR(st.st_mode):
        found: list[Path] = []
        _walk(root, 1, found, problems)
        owner = _guard(root)
        return [(p, False, owner) for p in found]
    if stat.S_ISREG(st.st_mode):
        return [(root, True, None)]
    # A FIFO or device would block or never end; it is not a log file.
    detail = f"not a regular file ({stat_kind(st.st_mode)})"
    problems.append(ReadProblem(str(root), ProblemKind.NOT_REGULAR, detail))
    return []


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
    candidates = [c for root in searched for c in _candidates(root, explicit, problems)]
    files: list[LogFile] = []
    seen: set[Path] = set()
    for path, named, owner in candidates:
        if path in seen:
            continue
        seen.add(path)
        try:
            info = _stat_file(path, named, owner)
        except ReadRefused as exc:
            problems.append(_problem(path, exc))
            continue
        if since is not None and info.mtime < since.timestamp():
            continue
        files.append(info)
    files.sort(key=lambda f: (f.mtime, str(f.path)), reverse=True)
    return files, problems, searched


def newest_line_time(file: LogFile, tail: int = _TAIL) -> float | None:
    """Seconds since the epoch of the newest timestamped line in the last ``tail`` bytes of
    a plain file (a gzip file: its first ``tail`` decompressed bytes, the most it can be read
    cheaply; a rotated file's lines all predate the live log's anyway). None: no line
    there has a time, or the file cannot be read (the read proper reports why)."""
    try:
        if file.compressed:
            data = sniff(file.path, tail, file.owner)
        else:
            stream, _ = open_regular(file.path, owner=file.owner)
            with stream:
                stream.seek(max(0, file.size - tail))
                data = stream.read(tail)
    except (ReadRefused, OSError, EOFError, ValueError):
        return None
    newest: float | None = None
    for line in data.decode("utf-8", "replace").splitlines():
        head = HEAD.match(line)
        when = to_datetime(timestamp_of(head)) if head is not None else None
        if when is not None and (newest is None or when.timestamp() > newest):
            newest = when.timestamp()
    return newest


def newest_first_by_lines(
    files: Sequence[LogFile], *, until: float | None = None, limit: int = _PEEK_FILES
) -> list[LogFile]:
    """``files`` (newest by mtime first, as :func:`discover` gives them) newest first by the
    time of their own newest line; a file whose end holds no time ranks by its mtime (issue
    19 item 1: a log's own timestamps say when it was written, an mtime only what last
    touched it: a copy, a checkout). Only the ``limit`` newest by mtime are looked at, and
    none after ``until`` (a ``time.monotonic()`` value); the rest keep their mtime and rank
    after them. Reads at most ``limit * _TAIL`` bytes."""
    keyed: list[tuple[float, float, float, LogFile]] = []
    for i, file in enumerate(files):
        own = None
        if i < limit and (until is None or time.monotonic() <= until):
            own = newest_line_time(file)
        peeked = 1.0 if i < limit else 0.0
        keyed.append((peeked, own if own is not None else file.mtime, file.mtime, file))
    keyed.sort(key=lambda k: (k[0], k[1], k[2], str(k[3].path)), reverse=True)
    return [k[3] for k in keyed]


# --- reading -------------------------------------------------------------------------------


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass
class BlockStats:
    """What :func:`iter_blocks` consumed: every byte read, and the long lines it skipped."""

    consumed: int = 0
    long_lines: int = 0
    long_bytes: int = 0  # bytes in those lines


def _open(file: LogFile) -> BinaryIO:
    """The raw file, opened as a regular file only (raises ReadRefused or OSError)."""
    stream, _ = open_regular(file.path, owner=file.owner)
    return stream


def iter_blocks(
    stream: _Readable,
    *,
    block_size: int = BLOCK_SIZE,
    max_line: int = MAX_LINE,
    skip_first_line: bool = False,
    stats: BlockStats | None = None,
) -> Iterator[bytes]:
    """Blocks of whole lines from ``stream``; the final block may lack its newline.

    A line that would have to be carried into the next block while longer than
    ``max_line`` is skipped (up to its newline) and counted in ``stats``, so memory never
    grows with the input; long lines wholly inside one block are passed on (the parser is
    linear in line length). ``skip_first_line`` drops everything
    up to the first newline: after a seek into the middle of a file, that line is a
    fragment.
    """
    st = stats if stats is not None else BlockStats()
    carry = b""
    discarding = skip_first_line  # inside a line we do not want: drop bytes until its newline
    counting = False  # the line being discarded is a long one (not the seek fragment)
    while True:
        chunk = stream.read(block_size)
        if not chunk:
            break
        st.consumed += len(chunk)
        if discarding:
            nl = chunk.find(b"\n")
            if nl < 0:
                st.long_bytes += len(chunk) if counting else 0
                continue
            st.long_bytes += nl + 1 if counting else 0
            chunk = chunk[nl + 1 :]
            discarding = counting = False
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        carry = data[cut:]
        if len(carry) > max_line:
            st.long_lines += 1
            st.long_bytes += len(carry)
            carry = b""
            discarding = counting = True
    if carry and not discarding:
        yield carry


def _size_text(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n / 1e3:.1f} kB"


def _source(raw: BinaryIO, file: LogFile, want: int, tail: bool) -> CappedReader | GzipReader:
    """The capped byte source of one open file: its newest ``want`` bytes (plain), or its
    first ``want`` decompressed bytes (gzip cannot be read from its end)."""
    if file.compressed:
        return GzipReader(raw, max_bytes=want)
    if tail:
        raw.seek(file.size - want)
    return CappedReader(raw, want)


def read_into(
    parser: LogParser,
    file: LogFile,
    *,
    tail_bytes: int | None = None,
    block_size: int = BLOCK_SIZE,
    max_bytes: int = MAX_FILE_BYTES,
    max_line: int = MAX_LINE,
    until: float | None = None,
) -> tuple[FileRead | None, ReadProblem | None]:
    """Feed one file to ``parser``; with ``tail_bytes``, only the end of a plain file;
    with ``until`` (a ``time.monotonic()`` value), no block after that time (check's
    share of its run deadline: the read stops between blocks, reported as TOO_LARGE).

    At most ``max_bytes`` are read: the newest part of a larger plain file, the first
    ``max_bytes`` decompressed bytes of a gzip file (which also stops when it expands more
    than the ratio cap). Whatever was parsed before an error stays in the parser; the error
    becomes a problem. A read that stopped at a cap or skipped long lines returns both the
    :class:`FileRead` and a problem that says what was left out.
    """
    stats = BlockStats()
    lines_before = parser.lines_fed
    parser.source = str(file.path)
    want = max_bytes if tail_bytes is None else min(max_bytes, tail_bytes)
    tail = not file.compressed and file.size > want
    limit: ReadLimit | None = None
    try:
        with _open(file) as raw:
            source = _source(raw, file, want, tail)
            blocks = iter_blocks(
                source, block_size=block_size, max_line=max_line, skip_first_line=tail, stats=stats
            )
            for block in blocks:
                if until is not None and time.monotonic() > until:
                    limit = ReadLimit(
                        RefusedKind.TOO_LARGE, "reading stopped at its share of the run deadline"
                    )
                    break
                parser.feed_block(block)
            limit = limit or source.stopped
            if (
                limit is not None
                and tail_bytes is not None
                and not limit.bomb
                and limit is source.stopped
            ):
                limit = None  # the caller's own budget, not a problem of the file
    except (ReadRefused, OSError, EOFError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, ReadRefused) else _one_line(exc)
        kind = _KIND_OF[exc.kind] if isinstance(exc, ReadRefused) else ProblemKind.UNREADABLE
        if stats.consumed:
            detail = f"{detail} (after {stats.consumed} bytes)"
        return None, ReadProblem(str(file.path), kind, detail)
    done = FileRead(
        file,
        stats.consumed,
        parser.lines_fed - lines_before,
        tail,
        long_lines=stats.long_lines,
        stopped_early=limit is not None,
    )
    return done, _read_problem(file, done, limit, tail and tail_bytes is None, stats, max_line)


def _read_problem(
    file: LogFile,
    done: FileRead,
    limit: ReadLimit | None,
    capped: bool,
    stats: BlockStats,
    max_line: int,
) -> ReadProblem | None:
    """What a successful read left out, as one problem (``None``: nothing)."""
    parts: list[str] = []
    kind = ProblemKind.LONG_LINES
    if capped:
        # tail_bytes is the caller's own budget (check reads the end on purpose); only the
        # size cap is worth reporting.
        read = _size_text(done.bytes_read)
        parts.append(f"{_size_text(file.size)}: only its last {read} were read")
        kind = ProblemKind.TOO_LARGE
    if limit is not None:
        parts.append(limit.detail)
        kind = ProblemKind.TOO_LARGE
    if stats.long_lines:
        n = stats.long_lines
        parts.append(
            f"{n} line{'s' if n != 1 else ''} longer than {_size_text(max_line)} "
            f"({_size_text(stats.long_bytes)}) skipped"
        )
    if not parts:
        return None
    return ReadProblem(str(file.path), kind, "; ".join(parts))
