"""Bounded reading of files this user points wsdiag at: regular files only, never a hang.

Every file wsdiag reads before or while it diagnoses (the client's logs, ``--probes``
catalogs) goes through here, because a path can name something that is not a file at all:
a FIFO (``open`` blocks until a writer appears), a device (``/dev/zero`` never ends), a
``/proc`` or ``/sys`` entry (reported as a regular file of size 0, yet ``/proc/kmsg``
blocks and others are endless), or a symlink to any of those. And a regular file can be
hostile: huge, one endless line, or a gzip bomb.

Rules, in order:

* the path is resolved (symlinks followed) and refused when it lands in ``/proc``,
  ``/sys`` or ``/dev``, or on the same file system as ``/proc`` or ``/sys`` (a bind mount);
* it is opened with ``O_NONBLOCK`` (a FIFO open then returns at once instead of waiting for
  a writer) and ``fstat`` on the open descriptor decides: anything but a regular file is
  refused — the check is on what was opened, not on a name that may have changed since;
* reads are capped in bytes (:class:`CappedReader`), and gzip streams in decompressed
  bytes and in the ratio of decompressed to compressed bytes consumed so far
  (:class:`GzipReader`), so a bomb stops after a few megabytes whatever its final size.

Errors are :class:`ReadRefused` (a ``kind`` and a one-line ``detail``); ``OSError`` from
the OS is turned into the same, so callers handle one exception type.
"""

from __future__ import annotations

import errno
import gzip
import os
import stat
import zlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

_VIRTUAL_ROOTS = ("/proc", "/sys", "/dev")
_GZIP_MAGIC = b"\x1f\x8b"
# Real client logs compress about 10-20 times; a ratio far above that is a bomb, or at
# least nothing a log reader should spend its time on.
DEFAULT_MAX_RATIO = 100
# The ratio is judged only after this many decompressed bytes: the gzip header and the
# first compressed buffer make early ratios meaningless.
_RATIO_GRACE = 1 << 20


class RefusedKind(StrEnum):
    NOT_FOUND = "not-found"
    NOT_REGULAR = "not-regular"  # FIFO, device, socket, directory, /proc or /sys entry
    TOO_LARGE = "too-large"  # over the size or decompression cap
    UNREADABLE = "unreadable"  # any other OS error or corrupt data


class ReadRefused(Exception):
    """A file wsdiag will not read (or stopped reading). ``str()`` is one line."""

    def __init__(self, kind: RefusedKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def os_detail(exc: BaseException) -> str:
    """One line for an exception: the OS error text when there is one."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def stat_kind(mode: int) -> str:
    """What a non-regular ``st_mode`` is, for a message: 'a FIFO', 'a directory'."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "a special file"


def _virtual_devices() -> frozenset[int]:
    devs: set[int] = set()
    for root in ("/proc", "/sys"):
        try:
            devs.add(os.stat(root).st_dev)
        except OSError:
            continue  # not Linux, or not mounted: nothing to refuse by device
    return frozenset(devs)


def _virtual_root(path: str) -> str | None:
    for root in _VIRTUAL_ROOTS:
        if path == root or path.startswith(root + "/"):
            return root
    return None


def refuse_virtual(path: Path) -> None:
    """Raise :class:`ReadRefused` when ``path`` resolves into ``/proc``, ``/sys`` or ``/dev``.

    Cheap (no open); used before walking a directory as well as before opening a file.
    """
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError) as exc:
        raise ReadRefused(RefusedKind.UNREADABLE, os_detail(exc)) from None
    root = None if os.name == "nt" else _virtual_root(real)
    if root is not None:
        detail = f"not a regular file (a system file under {root})"
        raise ReadRefused(RefusedKind.NOT_REGULAR, detail)


def open_regular(
    path: Path, *, max_size: int | None = None, owner: int | None = None
) -> tuple[BinaryIO, os.stat_result]:
    """Open ``path`` for binary reading if, and only if, it is a regular file.

    Returns the open file and its ``fstat``. ``max_size`` (bytes) refuses larger files
    outright with kind TOO_LARGE. ``owner`` (a uid): the file must be that account's and
    not a symbolic link (O_NOFOLLOW) -- how root reads a folder another account controls,
    where a link or a hard link would hand it /etc/shadow. Raises :class:`ReadRefused`;
    never blocks on a FIFO.
    """
    refuse_virtual(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    if owner is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ReadRefused(RefusedKind.NOT_FOUND, "no such file") from None
    except OSError as exc:
        if owner is not None and exc.errno == errno.ELOOP:
            detail = "a symbolic link in another account's folder: not followed"
            raise ReadRefused(RefusedKind.NOT_REGULAR, detail) from None
        raise ReadRefused(RefusedKind.UNREADABLE, os_detail(exc)) from None
    except ValueError as exc:
        raise ReadRefused(RefusedKind.UNREADABLE, os_detail(exc)) from None
    try:
        st = os.fstat(fd)
        if owner is not None and st.st_uid != owner:
            detail = f"owned by uid {st.st_uid}, not by the folder's owner (uid {owner})"
            raise ReadRefused(RefusedKind.NOT_REGULAR, detail)
        if not stat.S_ISREG(st.st_mode):
            detail = f"not a regular file ({stat_kind(st.st_mode)})"
            raise ReadRefused(RefusedKind.NOT_REGULAR, detail)
        if st.st_dev in _virtual_devices():
            raise ReadRefused(RefusedKind.NOT_REGULAR, "not a regular file (a /proc or /sys entry)")
        if max_size is not None and st.st_size > max_size:
            raise ReadRefused(
                RefusedKind.TOO_LARGE, f"too large ({st.st_size} bytes; the limit is {max_size})"
            )
        stream = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return stream, st


def read_bytes(path: Path, *, max_size: int) -> bytes:
    """The whole of a small regular file, at most ``max_size`` bytes, else TOO_LARGE.

    The cap is enforced on what is read, not only on ``st_size``: a file that grows while
    it is read is refused all the same.
    """
    stream, _ = open_regular(path, max_size=max_size)
    with stream:
        try:
            data = stream.read(max_size + 1)
        except OSError as exc:
            raise ReadRefused(RefusedKind.UNREADABLE, os_detail(exc)) from None
    if len(data) > max_size:
        raise ReadRefused(RefusedKind.TOO_LARGE, f"too large (more than {max_size} bytes)")
    return data


def is_gzip(head: bytes) -> bool:
    return head[:2] == _GZIP_MAGIC


ZIP_MAGIC = b"PK\x03\x04"
_ZIP_BLOCK = 64 * 1024  # decompressed bytes per read of a zip member


def zip_member(stream: BinaryIO, name: str, max_bytes: int) -> bytes:
    """The member ``name`` of the zip archive in ``stream`` (seekable: a zip's index is at
    its end), decompressed, at most ``max_bytes``: it is read in small blocks and reading
    stops past ``max_bytes``, whatever its header declares (``ZipFile.read`` decompresses a
    member in one call: a header declaring 100 bytes over 200 MB of zeros cost 460 MB of
    memory from a 200 kB file; read in blocks, zipfile stops at the declared size and
    checks the CRC).
    Raises ReadRefused: NOT_FOUND without such a member, TOO_LARGE over ``max_bytes``,
    UNREADABLE for a broken archive (the detail is zipfile's one-line reason)."""
    import zipfile

    try:
        with zipfile.ZipFile(stream) as zf:
            try:
                info = zf.getinfo(name)
            except KeyError:
                raise ReadRefused(RefusedKind.NOT_FOUND, f"no {name} in the zip") from None
            too_large = ReadRefused(RefusedKind.TOO_LARGE, f"its {name} is too large")
            if info.file_size > max_bytes:
                raise too_large
            out = bytearray()
            with zf.open(info) as member:
                while chunk := member.read(_ZIP_BLOCK):
                    out += chunk
                    if len(out) > max_bytes:
                        raise too_large
            return bytes(out)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "broken"
        raise ReadRefused(RefusedKind.UNREADABLE, f"a broken zip ({detail})") from None


@dataclass
class ReadLimit:
    """Why a capped reader stopped early (``None`` while it has not)."""

    kind: RefusedKind
    detail: str
    bomb: bool = False  # the ratio cap, not the size the caller asked for


class CappedReader:
    """``read()`` from ``raw`` that returns EOF after ``max_bytes`` and records why."""

    def __init__(self, raw: BinaryIO, max_bytes: int) -> None:
        self._raw = raw
        self._left = max(0, max_bytes)
        self._max = max_bytes
        self.stopped: ReadLimit | None = None

    def read(self, size: int = -1, /) -> bytes:
        if self._left <= 0:
            if self.stopped is None and self._raw.read(1):
                self.stopped = ReadLimit(
                    RefusedKind.TOO_LARGE, f"stopped after the first {self._max} bytes (the limit)"
                )
            return b""
        want = self._left if size < 0 else min(size, self._left)
        data = self._raw.read(want)
        self._left -= len(data)
        return data


class _SmallReads:
    """Hands the decompressor at most ``chunk`` compressed bytes per read, so that ``tell``
    (the compressed bytes consumed) is exact to within ``chunk`` for the ratio check."""

    def __init__(self, raw: BinaryIO, chunk: int = 16 * 1024) -> None:
        self._raw = raw
        self._chunk = chunk
        self.consumed = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._raw.read(self._chunk if size < 0 else min(size, self._chunk))
        self.consumed += len(data)
        return data

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self._raw.seek(offset, whence)


class GzipReader:
    """Decompressed ``read()`` from a gzip stream, capped in size and compression ratio.

    Stops (returns EOF, sets ``stopped``) once more than ``max_bytes`` came out, or once
    past ``ratio_after`` bytes (default: the first megabyte) the output exceeds ``max_ratio``
    times the compressed bytes consumed so far. Corrupt data raises :class:`ReadRefused`
    (UNREADABLE).
    """

    def __init__(
        self,
        raw: BinaryIO,
        *,
        max_bytes: int,
        max_ratio: int = DEFAULT_MAX_RATIO,
        ratio_after: int = _RATIO_GRACE,
    ) -> None:
        self._raw = _SmallReads(raw)
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="rb")
        self._max = max_bytes
        self._ratio = max_ratio
        self._ratio_after = ratio_after
        self.produced = 0
        self.stopped: ReadLimit | None = None

    def read(self, size: int = -1, /) -> bytes:
        if self.stopped is not None:
            return b""
        want = 1 << 20 if size < 0 else size
        want = min(want, self._max - self.produced + 1)
        try:
            data = self._gz.read(max(1, want))
        except (OSError, EOFError, zlib.error) as exc:
            raise ReadRefused(RefusedKind.UNREADABLE, os_detail(exc)) from None
        self.produced += len(data)
        if self.produced > self._max:
            self.stopped = ReadLimit(
                RefusedKind.TOO_LARGE,
                f"stopped after {self._max} decompressed bytes (the limit)",
            )
            return data[: len(data) - (self.produced - self._max)]
        consumed = max(1, self._raw.consumed)
        if self.produced > self._ratio_after and self.produced > self._ratio * consumed:
            self.stopped = ReadLimit(
                RefusedKind.TOO_LARGE,
                f"stopped after {self.produced} decompressed bytes: it expands more than "
                f"{self._ratio} times ({consumed} compressed bytes), a gzip bomb or not a log",
                bomb=True,
            )
        return data

    def close(self) -> None:
        self._gz.close()


def sniff(path: Path, size: int, owner: int | None = None) -> bytes:
    """The first ``size`` bytes of a regular file, decompressed if it is gzip (``owner``: as
    :func:`open_regular`)."""
    stream, _ = open_regular(path, owner=owner)
    with stream:
        try:
            head = stream.read(size)
            if not is_gzip(head):
                return head
            stream.seek(0)
            return GzipReader(stream, max_bytes=size).read(size)
        except OSError as exc:
            raise ReadRefused(RefusedKind.UNREADABLE, os_detail(exc)) from None
