"""Every file wsdiag writes (``bundle -o``, ``check --html``, ``check -o``): written whole or
not at all, and never through a link.

wsdiag runs as root or SYSTEM under management agents, often into folders someone else can
write. Writing through a path that exists (``out.zip.part``, the target itself) lets whoever
planted a symbolic link there choose which file root truncates, and a hard link there
truncates its inode. So:

- the data goes into a new temporary file in the target's folder, created
  ``O_CREAT|O_EXCL|O_NOFOLLOW`` with a random name (nothing that exists is ever opened for
  writing), fsync'd, then renamed over the target (a rename replaces the directory entry,
  never what a link points at) and the folder fsync'd;
- a target that exists and is not a regular file (a symbolic link, FIFO, device, directory)
  is refused: ``-o /dev/null`` as root must not replace a device with a zip;
- as root, a folder another account can write is refused unless it is sticky and owned by
  root (``/tmp``): in such a folder the other account could swap the folder's entries
  between wsdiag's checks and its rename;
- as root, a folder path that passes through a symbolic link another account owns is
  refused (``ln -s /root/dir /tmp/evil`` by nobody, then ``-o /tmp/evil/x.json`` by root):
  the rule Linux's ``fs.protected_symlinks`` applies in sticky world-writable folders,
  applied to every link on the way, those a root-owned link leads through included.
  macOS's ``/tmp -> /private/tmp`` is root's and stays allowed.

On POSIX the folder is opened once (``O_DIRECTORY``; a link to a folder is followed, as on
macOS's ``/tmp``, and the folder checked is the one it reached) and every step works
relative to that descriptor, so a folder renamed or replaced by a link half-way cannot
redirect the write. Windows has no ``O_NOFOLLOW`` nor ``dir_fd``: there the
temporary file comes from :func:`tempfile.mkstemp` (``O_EXCL``) and is renamed by path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from wsdiag.errors import WsdiagError
from wsdiag.terminal import path_text

_DIR_FD = os.open in os.supports_dir_fd and os.rename in os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_TRIES = 16  # random 16-hex-digit names: a collision means someone is guessing them
_MAX_LINKS = 40  # Linux's MAXSYMLINKS: more links on one path is ELOOP there too


class OutputRefused(OSError):
    """The target or its folder is one wsdiag will not write (the reason is the message)."""


def _refuse(reason: str) -> OutputRefused:
    return OutputRefused(errno.EPERM, reason)


def check_target_mode(mode: int) -> None:
    """Raise :class:`OutputRefused` unless ``mode`` (an ``lstat`` st_mode) is a regular
    file's."""
    if stat.S_ISLNK(mode):
        raise _refuse("is a symbolic link; give a new file name")
    if stat.S_ISDIR(mode):
        raise _refuse("is a directory")
    if not stat.S_ISREG(mode):
        raise _refuse("is not a regular file (a device, FIFO or socket)")


def check_folder(st: os.stat_result, as_root: bool) -> None:
    """Raise :class:`OutputRefused` when, running ``as_root``, the folder (``st``: its
    ``fstat``) can be written by another account: owned by someone else, or group/other
    writable without being sticky and owned by root."""
    if not as_root:
        return
    mode = st.st_mode
    sticky_root = bool(mode & stat.S_ISVTX) and st.st_uid == 0
    if st.st_uid != 0 and not sticky_root:
        raise _refuse(f"its folder belongs to uid {st.st_uid}, not root; write elsewhere")
    if mode & (stat.S_IWGRP | stat.S_IWOTH) and not sticky_root:
        raise _refuse("its folder can be written by other accounts and is not sticky")


def check_folder_links(folder: Path) -> None:
    """Raise :class:`OutputRefused` when the path ``folder`` (as given, relative to the
    working folder when relative) passes through a symbolic link not owned by root, either
    among its own components or among those a root-owned link leads to. A component that
    does not exist ends the walk (opening the folder then fails on its own). More than
    ``_MAX_LINKS`` links is refused as a loop."""
    pending = list(folder.parts)
    here = Path(pending.pop(0)) if pending and Path(pending[0]).is_absolute() else Path(".")
    hops = 0
    while pending:
        step = here / pending.pop(0)
        try:
            st = os.lstat(step)
        except OSError:
            return
        if not stat.S_ISLNK(st.st_mode):
            here = step
            continue
        if st.st_uid != 0:
            raise _refuse(
                f"its folder path goes through {path_text(step)}, a symbolic link owned by "
                f"uid {st.st_uid}, not root; give the real folder"
            )
        hops += 1
        if hops > _MAX_LINKS:
            raise _refuse("its folder path has too many symbolic links (a loop)")
        target = Path(os.readlink(step))
        parts = list(target.parts)
        if target.is_absolute():
            here = Path(parts.pop(0))
        pending = parts + pending


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def write_file(path: Path, data: bytes, *, as_root: bool | None = None) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``. The new file's mode is
    0666 less the umask (what a shell redirection gives), whatever the old file's was.

    Raises :class:`OutputRefused` (an OSError) for a target or folder refused (see the
    module docstring) and OSError for what the OS refuses (no such folder, full disk);
    nothing is left behind either way. ``as_root`` defaults to "effective uid is 0"."""
    root = _as_root() if as_root is None else as_root
    folder = path.parent if str(path.parent) else Path(".")
    if root:
        check_folder_links(folder)
    if not _DIR_FD:
        return _write_by_path(path, folder, data, root)
    if not path.name or path.name in (".", ".."):
        raise IsADirectoryError(errno.EISDIR, "is a directory")
    dfd = os.open(folder, os.O_RDONLY | _DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(dfd)
        if not stat.S_ISDIR(st.st_mode):  # pragma: no cover - O_DIRECTORY refuses it first
            raise _refuse("its folder is not a directory")
        check_folder(st, root)
        name = path.name
        with contextlib.suppress(FileNotFoundError):
            check_target_mode(os.lstat(name, dir_fd=dfd).st_mode)
        tmp, fd = _create(dfd, name)
        try:
            _write_all(fd, data)
            os.fsync(fd)
            os.close(fd)
            fd = -1
            os.rename(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        with contextlib.suppress(OSError):  # the rename itself on disk; not every FS allows it
            os.fsync(dfd)
    finally:
        os.close(dfd)
    return path


def check_target(path: Path) -> None:
    """A file a command will write (``-o``, ``--html``), tried before its work (a check's
    seconds of probing, a report's rendering): ``check_writable``'s refusal as one line.
    Raises WsdiagError."""
    try:
        check_writable(path)
    except OSError as exc:
        raise WsdiagError(error_text(path, exc)) from None


def check_writable(path: Path, *, as_root: bool | None = None) -> None:
    """Before a run of seconds: would :func:`write_file` to ``path`` get as far as its
    rename? The same refusals, then a temporary file created and removed in the target's
    folder: the one honest test of "can write here" (permissions, ACLs, a read-only mount,
    no inodes left). A full disk can still fail the write itself later.

    Raises :class:`OutputRefused`, or OSError with a one-line strerror (a missing folder
    reads ``no folder <path>``)."""
    import tempfile

    root = _as_root() if as_root is None else as_root
    folder = path.parent if str(path.parent) else Path(".")
    if not path.name or path.name in (".", ".."):
        raise IsADirectoryError(errno.EISDIR, "is a directory")
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, f"no folder {path_text(folder)}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, f"{path_text(folder)} is not a folder")
    check_folder(st, root)
    with contextlib.suppress(FileNotFoundError):
        check_target_mode(os.lstat(path).st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".part", dir=folder)
    os.close(fd)
    os.unlink(tmp)


def _create(dfd: int, name: str) -> tuple[str, int]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_TRIES):
        # A hidden name in the target's folder: the rename stays on one file system.
        tmp = f".{name[:100]}.{secrets.token_hex(8)}.part"
        try:
            return tmp, os.open(tmp, flags, 0o666, dir_fd=dfd)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name (someone is creating them)")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _write_by_path(path: Path, folder: Path, data: bytes, root: bool) -> Path:
    """The Windows way (no dir_fd): mkstemp's O_EXCL file, renamed by path."""
    import tempfile

    st = os.stat(folder)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, f"{path_text(folder)} is not a folder")
    check_folder(st, root)
    with contextlib.suppress(FileNotFoundError):
        check_target_mode(os.lstat(path).st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".part", dir=folder)
    try:
        _write_all(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def error_text(path: Path, exc: OSError) -> str:
    """One line for a file that could not be written: ``cannot write <path>: <why>``."""
    return f"cannot write {path_text(path)}: {exc.strerror or exc}"
