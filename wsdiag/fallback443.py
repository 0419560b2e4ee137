"""Which WorkSpaces clients stream over port 443 when 4195 is blocked. Pure; no wsdiag imports.

Source: Amazon WorkSpaces, "What's new" (November 2024) and the administration guide's
network requirements for DCV: the TCP/UDP 443 fallback needs the Windows or macOS client 5.23
or later, or the Linux client 2024.7 or later. Older clients need 4195 open.
"""

from __future__ import annotations

import re

# First two version numbers from which a client on that OS (``platform.system()``) has it.
FALLBACK_FROM: dict[str, tuple[int, int]] = {
    "Windows": (5, 23),
    "Darwin": (5, 23),
    "Linux": (2024, 7),
}
# Linux clients are numbered by year (2024.7); Windows and macOS clients are 5.x.
_YEAR_NUMBERED = 2000


def version_numbers(version: str) -> tuple[int, ...] | None:
    """'5.29.1.5595' -> (5, 29, 1, 5595): up to four numbers; None unless the text starts
    (after blanks) with a digit, as client versions do."""
    if not re.match(r"^\s*\d", version):
        return None
    return tuple(int(p) for p in re.findall(r"\d+", version)[:4])


def client_has_443_fallback(os: str | None, version: str | None) -> bool | None:
    """Does this client fall back to 443 when 4195 is blocked? None: not known.

    ``os`` is a ``platform.system()`` name, or None where only the version is known (the
    client's log does not name its OS) or one the numbering contradicts: the numbering then
    tells, a year (>= 2000) being a Linux client's. An OS without a WorkSpaces client, a
    version without at least two numbers, or no version is None.
    """
    numbers = version_numbers(version) if version else None
    if numbers is None or len(numbers) < 2:
        return None
    year_numbered = numbers[0] >= _YEAR_NUMBERED
    if os is None or (os in FALLBACK_FROM and (os == "Linux") is not year_numbered):
        # No OS, or one the numbering contradicts (a Windows/macOS log read on Linux): the
        # numbering names the client (Windows and macOS share their threshold).
        os = "Linux" if year_numbered else "Windows"
    need = FALLBACK_FROM.get(os)
    if need is None:
        return None
    return numbers[:2] >= need
