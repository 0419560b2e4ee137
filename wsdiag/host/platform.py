"""Where each operating system keeps things wsdiag needs to read.

This is the one module that knows OS-specific paths. The pure part takes the system name,
the environment and the home directory as arguments, so every OS's layout can be tested
on any machine (pass a ``PureWindowsPath`` home to get Windows paths on Linux).
"""

from __future__ import annotations

import os
import platform as _platform
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import TypeVar

P = TypeVar("P", bound=PurePath)

_AWS = "Amazon Web Services"
_CLIENT = "Amazon WorkSpaces"


def client_log_dirs(system: str, env: Mapping[str, str], home: P) -> list[P]:
    """Log directories of the WorkSpaces client on ``system`` (``platform.system()`` names).

    Current clients first, then the legacy 1.0/2.0 location. Paths are returned whether or
    not they exist; the caller decides what a missing directory means. An unknown system
    yields no directories (there is no WorkSpaces desktop client for it).
    """
    flavour = type(home)
    dirs: list[P] = []
    if system == "Windows":
        local = env.get("LOCALAPPDATA", "").strip()
        # Without LOCALAPPDATA (a service account, a stripped environment) the profile
        # layout is still the Windows default, so derive it from the home directory.
        base = flavour(local) if local else home / "AppData" / "Local"
        dirs = [base / _AWS / _CLIENT / "logs", base / _AWS / _CLIENT / "1.0" / "Logs"]
    elif system == "Darwin":
        dirs = [
            home / "Library" / "Application Support" / _AWS / _CLIENT / "logs",
            home / "Library" / "Logs" / _AWS / _CLIENT / "1.0",
        ]
    elif system == "Linux":
        documented = home / ".local" / "share" / _AWS / _CLIENT / "logs"
        xdg = env.get("XDG_DATA_HOME", "").strip()
        # The documented path is the XDG default; a client that honours XDG_DATA_HOME would
        # write below it instead. Looking in both costs one stat() each.
        if xdg and flavour(xdg).is_absolute():
            candidate = flavour(xdg) / _AWS / _CLIENT / "logs"
            if candidate != documented:
                dirs.append(candidate)
        dirs.append(documented)
    return dirs


def default_log_dirs() -> list[Path]:
    """The client's log directories on this machine."""
    return client_log_dirs(_platform.system(), os.environ, Path.home())
