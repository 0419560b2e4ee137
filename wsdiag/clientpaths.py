"""Which way each WorkSpaces client sends DCV's streams when the OS has an HTTP proxy: the
sourced table, per client platform and version. Pure; no wsdiag imports but the version
reader.

QUIC (UDP) is always direct: "Proxy server function is not supported for UDP traffic" (AWS
admin guide, "IP address and port requirements for WorkSpaces Personal", FACTS S1 §1.1,
§7). DCV's TCP stream (4195, or 443 for clients with the 443 fallback) goes, per row:

- Windows 5.1 or later, macOS 5.4 or later: through the OS proxy, unless the private name
  is on its bypass list. S1: these clients "support the use of HTTP proxy servers for port
  4195 TCP traffic"; S13: "By default, the WorkSpaces client applications use the proxy
  server that's specified in the device operating system settings"; S1: "Both API calls
  and desktop traffic should pass through the same proxy server". Whether 5.x takes the
  device proxy for the stream without being configured to is not stated in so many words
  (FACTS §8 item 14); these rows read the three sentences together.
- Windows before 5.1, macOS before 5.4 (the 3.x and 4.x clients): direct. S16 (the 2022
  client guide): "The desktop streaming connections to the WorkSpace ... do not go through
  the proxy server."
- Linux (2024.x and every other version): not documented. S1 and S13 name no Linux client
  for a proxied DCV TCP stream; its embedded viewer's proxy handling is not described.
- A client whose platform or version is not known: not documented.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wsdiag.fallback443 import version_numbers


class Route(StrEnum):
    PROXY = "proxy"  # through the OS's HTTP proxy (CONNECT), unless bypassed
    DIRECT = "direct"  # straight to the endpoint's addresses
    UNDOCUMENTED = "undocumented"  # no source says which: both outcomes are given


@dataclass(frozen=True)
class PathRow:
    platform: str  # platform.system() name of the client's OS
    since: tuple[int, int]  # the first version (two numbers) the row covers
    tcp: Route  # where DCV's TCP stream goes behind an OS proxy
    source: str  # FACTS tags and the sentence the row rests on


_S1_PROXY = (
    "AWS admin guide (S1): supports an HTTP proxy for 4195/TCP; the OS proxy by default "
    "(S13); API calls and desktop traffic through the same proxy (S1)"
)
_S16_DIRECT = "2022 client guide (S16): streaming does not go through the proxy server"

# Lowest version first within a platform; the last row whose ``since`` is reached applies.
CLIENT_PATHS: tuple[PathRow, ...] = (
    PathRow("Windows", (0, 0), Route.DIRECT, _S16_DIRECT),
    PathRow("Windows", (5, 1), Route.PROXY, "Windows 5.1+: " + _S1_PROXY),
    PathRow("Darwin", (0, 0), Route.DIRECT, _S16_DIRECT),
    PathRow("Darwin", (5, 4), Route.PROXY, "macOS 5.4+: " + _S1_PROXY),
    PathRow(
        "Linux",
        (0, 0),
        Route.UNDOCUMENTED,
        "no AWS source says whether the Linux client streams TCP through a proxy",
    ),
)
UDP_SOURCE = "AWS admin guide (S1): proxy server function is not supported for UDP traffic"
_NAMES = {"Windows": "Windows", "Darwin": "macOS", "Linux": "Linux"}
_YEAR_NUMBERED = 2000  # Linux clients are numbered by year (2024.7), the others 5.x


@dataclass(frozen=True)
class ClientPath:
    """Where this client's DCV TCP stream goes, and why (QUIC is always direct)."""

    tcp: Route
    client: str  # "Windows or macOS client 5.24.0", "client of unknown version"
    source: str


def _row(platform: str, numbers: tuple[int, ...]) -> PathRow | None:
    rows = [r for r in CLIENT_PATHS if r.platform == platform and numbers[:2] >= r.since]
    return rows[-1] if rows else None


def client_path(system: str | None, version: str | None) -> ClientPath:
    """The table's answer for a client ``version`` (as its logs or its files print it) on
    ``system`` (``platform.system()`` of the machine it runs on, None unknown).

    A version's numbering names its platform family: a year (2024.7) is the Linux client,
    5.x the Windows or macOS client. Where ``system`` is not in that family (a log copied
    from another machine), the numbering decides; 5.x then reads both the Windows and the
    macOS row, documented only where the two agree. No version, or one without two
    numbers: UNDOCUMENTED."""
    numbers = version_numbers(version) if version else None
    if numbers is None or len(numbers) < 2:
        return ClientPath(Route.UNDOCUMENTED, "a client of unknown version", "no version known")
    family = ("Linux",) if numbers[0] >= _YEAR_NUMBERED else ("Windows", "Darwin")
    platforms = tuple(p for p in family if p == system) or family
    rows = [r for p in platforms if (r := _row(p, numbers)) is not None]
    names = " or ".join(_NAMES[p] for p in platforms)
    client = f"the {names} client {version}"
    if not rows:
        return ClientPath(Route.UNDOCUMENTED, client, "no row for this platform")
    if len({r.tcp for r in rows}) != 1:
        return ClientPath(
            Route.UNDOCUMENTED, client, "; ".join(f"{_NAMES[r.platform]}: {r.tcp}" for r in rows)
        )
    return ClientPath(rows[0].tcp, client, rows[0].source)
