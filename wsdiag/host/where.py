"""Where wsdiag runs: on the machine itself, inside WSL, or inside a container. Pure: the
root of the file system and the environment are passed in (tests give a fake root).

- WSL (Windows Subsystem for Linux): the kernel's ``osrelease`` names Microsoft (WSL 1
  "...-Microsoft", WSL 2 "...-microsoft-standard-WSL2"), or the environment has
  ``WSL_DISTRO_NAME`` / ``WSL_INTEROP`` (Microsoft, "WSL environment variables"). Its
  network is a NAT (or mirrored) view of Windows', with its own resolver: what wsdiag sees
  here is not what the WorkSpaces client on Windows sees.
- A container: ``/.dockerenv`` (Docker), ``/run/.containerenv`` (Podman), or a cgroup path
  naming docker, containerd, kubepods, lxc or libpod in ``/proc/1/cgroup``. Its network
  may be the host's or its own; wsdiag says so as a note, never as a finding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class RunsIn(StrEnum):
    HOST = "host"
    WSL = "wsl"
    CONTAINER = "container"


@dataclass(frozen=True)
class Where:
    runs_in: RunsIn
    why: str = ""  # the sign seen: "kernel osrelease 5.15.90.1-microsoft-standard-WSL2"


_CGROUP = re.compile(r"docker|containerd|kubepods|lxc|libpod", re.IGNORECASE)
MAX_READ = 64 * 1024  # bytes: these files are a line or a few dozen


def _read(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_READ).decode("utf-8", "replace")
    except OSError:
        return ""


def detect(root: Path, environ: Mapping[str, str]) -> Where:
    """Where this process runs, read under ``root`` ("/" on a real machine) and from
    ``environ``. WSL is checked first (a WSL distribution may also run Docker). Never
    raises."""
    release = _read(root / "proc/sys/kernel/osrelease").strip()
    if "microsoft" in release.lower():
        return Where(RunsIn.WSL, f"kernel osrelease {release[:80]}")
    for var in ("WSL_DISTRO_NAME", "WSL_INTEROP"):
        if environ.get(var):
            return Where(RunsIn.WSL, f"{var} is set")
    for marker in (".dockerenv", "run/.containerenv"):
        if (root / marker).exists():
            return Where(RunsIn.CONTAINER, f"/{marker} exists")
    cgroup = _read(root / "proc/1/cgroup")
    found = _CGROUP.search(cgroup)
    if found:
        return Where(RunsIn.CONTAINER, f"/proc/1/cgroup names {found.group(0).lower()}")
    return Where(RunsIn.HOST)
