"""One step from the user to the ticket: the Windows single-file build double-clicked from
Explorer runs the check, shows the headline and the one action, writes a bundle to the
Desktop and waits for a key before its window closes.

A console program cannot ask Windows "was I double-clicked?"; what it can ask is which
processes share its console (``GetConsoleProcessList``). Started from Explorer, the console
was made for this program alone: the list holds this process and, in a one-file build, the
bootloader that unpacked it (its parent, the same executable). Started from cmd.exe,
PowerShell or Windows Terminal, the shell is in the list too. That decision is
:func:`launched_by_double_click`, pure and tested on recorded values; the Windows calls are in
:func:`console_processes` and :func:`desktop_folder`, the only OS-specific code here.

macOS runs a double-clicked binary in Terminal under a login shell, which is the same as a
user typing the command: it cannot be told apart, so there is no desktop start on macOS
(nor on Linux, where a file manager's "run in terminal" is likewise a shell).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PureWindowsPath

# FOLDERID_Desktop (KnownFolders.h): the user's Desktop, wherever a policy redirected it
# (OneDrive "Known Folder Move", a network share); %USERPROFILE%\Desktop is only the default.
FOLDERID_DESKTOP = "{B4BFCC3A-DB2C-424C-B029-7FE99A87C641}"
_NAME_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ConsoleProcess:
    """One process attached to this console: its pid and executable's file name."""

    pid: int
    exe: str  # file name only, as Windows reports it ("wsdiag.exe", "cmd.exe")


def launched_by_double_click(
    system: str, own_pid: int, parent_pid: int | None, console: Sequence[ConsoleProcess] | None
) -> bool:
    """Whether this process was started by a double-click in Explorer (pure).

    ``console`` is every process attached to this console (GetConsoleProcessList), None where
    it could not be read. True only on Windows, when the console holds this process alone, or
    this process and its parent running the same executable (PyInstaller's one-file
    bootloader). Anything else, or any doubt, is False: the ordinary command line."""
    if system != "Windows" or not console:
        return False
    pids = {p.pid for p in console}
    if own_pid not in pids:
        return False
    others = [p for p in console if p.pid != own_pid]
    if not others:
        return True
    own = next(p for p in console if p.pid == own_pid)
    return (
        len(others) == 1
        and others[0].pid == parent_pid
        and others[0].exe.lower() == own.exe.lower()
    )


def bundle_name(host: str, verdict: str, now: datetime) -> str:
    """``wsdiag-<host>-<verdict>-<UTC time>.zip``: what the helpdesk sees in a ticket's
    attachments. The host is reduced to file-name-safe characters (a redacted host reads
    "host")."""
    safe = _NAME_SAFE.sub("-", host).strip("-.") or "host"
    return f"wsdiag-{safe[:40]}-{verdict}-{now.strftime('%Y%m%dT%H%M%SZ')}.zip"


def console_processes() -> list[ConsoleProcess] | None:
    """Windows only: the processes attached to this console, None where that is unknown.

    Source: kernel32 ``GetConsoleProcessList`` (learn.microsoft.com, Console API); the names
    come from psutil."""
    if sys.platform != "win32":
        return None
    import ctypes

    import psutil

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    pids = (ctypes.c_uint32 * 16)()
    count = int(kernel32.GetConsoleProcessList(pids, 16))
    if count <= 0 or count > 16:  # no console, or more than asked for: not ours alone
        return None
    out = []
    for pid in pids[:count]:
        try:
            exe = psutil.Process(pid).name()
        except (psutil.Error, OSError):
            exe = ""
        out.append(ConsoleProcess(int(pid), exe))
    return out


def desktop_folder(home: Path | None = None) -> Path:
    """Where the bundle goes: the Desktop known folder on Windows (SHGetKnownFolderPath,
    which follows redirection), else ``~/Desktop``; the home folder when there is none."""
    if sys.platform == "win32":
        found = _known_folder(FOLDERID_DESKTOP)
        if found is not None:
            return Path(found)
    home = home or Path.home()
    desktop = home / "Desktop"
    return desktop if desktop.is_dir() else home


def _known_folder(folder_id: str) -> str | None:
    import ctypes
    import uuid
    from ctypes import wintypes

    class Guid(ctypes.Structure):
        _fields_ = (
            ("data1", wintypes.DWORD),
            ("data2", wintypes.WORD),
            ("data3", wintypes.WORD),
            ("data4", wintypes.BYTE * 8),
        )

    raw = uuid.UUID(folder_id).bytes_le
    guid = Guid.from_buffer_copy(raw)
    path = ctypes.c_wchar_p()
    shell32 = ctypes.WinDLL("shell32")  # type: ignore[attr-defined,unused-ignore]
    ole32 = ctypes.WinDLL("ole32")  # type: ignore[attr-defined,unused-ignore]
    try:
        if shell32.SHGetKnownFolderPath(ctypes.byref(guid), 0, None, ctypes.byref(path)) != 0:
            return None
        return str(PureWindowsPath(path.value or "")) or None
    finally:
        ole32.CoTaskMemFree(path)


@dataclass(frozen=True)
class Outcome:
    """What the desktop start shows: the headline, the one action, where the bundle went."""

    headline: str
    action: str
    bundle: Path | None
    problem: str = ""  # why no bundle was written


def desktop_start(
    region: str | None,
    ask: Callable[[str], str],
    check: Callable[[str | None], Outcome],
    say: Callable[[str], None],
) -> Outcome:
    """The flow: the region found (the client's logs), else asked once; the check run and
    bundled (``check``); what to tell the user printed; then the caller waits for a key."""
    if region is None:
        typed = ask("Region of your WorkSpaces (for example eu-west-1), or Enter to skip: ")
        region = typed.strip() or None
    outcome = check(region)
    say(outcome.headline)
    say(outcome.action)
    if outcome.bundle is not None:
        say(f"Saved for your help desk: {outcome.bundle}")
        say("Attach that file to your ticket.")
    else:
        say(f"No file was saved: {outcome.problem}")
    return outcome


def wait_for_key(ask: Callable[[str], str]) -> None:
    """Keep the window open until the user has read it (Enter; a closed stdin ends at once)."""
    try:
        ask("Press Enter to close this window.")
    except (EOFError, OSError, KeyboardInterrupt):
        return


def own_process() -> tuple[int, int | None]:
    return os.getpid(), os.getppid() if hasattr(os, "getppid") else None
