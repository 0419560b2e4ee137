"""Path MTU for QUIC: a 1,200-byte UDP payload with Don't Fragment, as the client sends it.

QUIC's first datagrams carry at least 1,200 bytes of UDP payload (RFC 9000 §14) and must not
be fragmented, so a path whose MTU is below 1,228 (IPv4) / 1,248 (IPv6) bytes cannot carry
QUIC. Without DF the kernel fragments locally once it has learned a smaller path MTU and a
probe "succeeds" where the client fails: every socket here sets DF, and a fragmented success
cannot happen. EMSGSIZE on send is a path fact, not an error: the error map
(``wsdiag.probes.errors``) names it ``Fault.TOO_BIG``.

Pure: the per-OS socket option tables and ``fits_quic``. I/O: ``set_dont_fragment`` and
``learned_mtu``, for the QUIC probe's own socket.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass

QUIC_MIN_PAYLOAD = 1200
# The smallest IP MTU that carries QUIC's first datagrams: 1,200 + 8 (UDP) + 20 (IPv4) / 40.
QUIC_MIN_IP_MTU = {4: QUIC_MIN_PAYLOAD + 28, 6: QUIC_MIN_PAYLOAD + 48}

_IPPROTO_IP, _IPPROTO_IPV6 = 0, 41


@dataclass(frozen=True)
class DfOption:
    """One setsockopt(level, name, value) that makes the kernel set DF and never fragment."""

    level: int
    name: int
    value: int


# Don't-Fragment socket options per (sys.platform prefix, IP version). Values from the
# systems' headers: Linux <linux/in.h>/<linux/in6.h> (IP_MTU_DISCOVER=10, IP_PMTUDISC_DO=2,
# IPV6_MTU_DISCOVER=23, IPV6_PMTUDISC_DO=2); macOS <netinet/in.h> IP_DONTFRAG=28,
# <netinet6/in6.h> IPV6_DONTFRAG=62; Windows <ws2ipdef.h> IP_DONTFRAGMENT=14, IPV6_DONTFRAG=14.
DF_OPTIONS: dict[tuple[str, int], DfOption] = {
    ("linux", 4): DfOption(_IPPROTO_IP, 10, 2),
    ("linux", 6): DfOption(_IPPROTO_IPV6, 23, 2),
    ("darwin", 4): DfOption(_IPPROTO_IP, 28, 1),
    ("darwin", 6): DfOption(_IPPROTO_IPV6, 62, 1),
    ("win32", 4): DfOption(_IPPROTO_IP, 14, 1),
    ("win32", 6): DfOption(_IPPROTO_IPV6, 14, 1),
}
# getsockopt names that return the path MTU a connected socket learned: Linux IP_MTU=14,
# IPV6_MTU=24; Windows IP_MTU=73, IPV6_MTU=72 (Windows 10 1703+). macOS has none for IPv4.
MTU_OPTIONS: dict[tuple[str, int], tuple[int, int]] = {
    ("linux", 4): (_IPPROTO_IP, 14),
    ("linux", 6): (_IPPROTO_IPV6, 24),
    ("win32", 4): (_IPPROTO_IP, 73),
    ("win32", 6): (_IPPROTO_IPV6, 72),
}


def platform_key(platform: str = sys.platform) -> str:
    """``sys.platform`` -> the key used in the tables ("linux", "darwin", "win32", "")."""
    return next((k for k in ("linux", "darwin", "win32") if platform.startswith(k)), "")


def fits_quic(mtu: int | None, ip_version: int = 4) -> bool | None:
    """Pure: whether an interface/path MTU (bytes) carries QUIC's 1,200-byte datagrams;
    None when the MTU is unknown. A tunnel interface at 1,100 cannot; at 1,280 it can."""
    if mtu is None:
        return None
    return mtu >= QUIC_MIN_IP_MTU[6 if ip_version == 6 else 4]


def set_dont_fragment(sock: socket.socket) -> bool:
    """Set Don't Fragment on a UDP socket for its address family; False where impossible.

    For the QUIC probe's own socket too: call before the first send. Never raises.
    """
    version = 6 if sock.family == socket.AF_INET6 else 4
    option = DF_OPTIONS.get((platform_key(), version))
    if option is None:
        return False
    try:
        sock.setsockopt(option.level, option.name, option.value)
    except OSError:
        return False
    return True


def learned_mtu(sock: socket.socket) -> int | None:
    """The path MTU a connected socket's kernel route knows (bytes), or None. Never raises."""
    version = 6 if sock.family == socket.AF_INET6 else 4
    option = MTU_OPTIONS.get((platform_key(), version))
    if option is None:
        return None
    try:
        value = sock.getsockopt(*option)
    except OSError:
        return None
    return value if value > 0 else None
