"""Path MTU for QUIC: a 1,200-byte UDP payload with Don't Fragment, as the client sends it.

QUIC's first datagrams carry at least 1,200 bytes of UDP payload (RFC 9000 §14) and must not
be fragmented, so a path whose MTU is below 1,228 (IPv4) / 1,248 (IPv6) bytes cannot carry
QUIC. Without DF the kernel fragments locally once it has learned a smaller path MTU and a
probe "succeeds" where the client fails: every socket here sets DF, and a fragmented success
cannot happen. EMSGSIZE on send (errno 90 Linux, 40 BSD/macOS, WSAEMSGSIZE 10040) is a path
fact, not an error: the kernel learned (ICMP "fragmentation needed" / "packet too big") or
knows (the local interface) that the datagram does not fit.

Pure: the per-OS socket option table and ``classify``. I/O: ``set_dont_fragment``,
``learned_mtu`` and ``probe_path_mtu``.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
import sys
import time
from dataclasses import dataclass
from enum import StrEnum

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
# "Message too long" per OS: Linux 90, BSD/macOS 40, Winsock WSAEMSGSIZE 10040.
EMSGSIZE_CODES = frozenset({90, 40, 10040})
_REFUSED_CODES = frozenset({errno.ECONNREFUSED, 61, 111, 10054, 10061})


class MtuStatus(StrEnum):
    OK = "ok"  # 1,200 bytes with DF reached the destination host (a reply or port unreachable)
    SMALL = "small"  # the path (or the local interface) cannot carry it: EMSGSIZE
    UNKNOWN = "unknown"  # silence, DF not settable, or another error: nothing proven


@dataclass(frozen=True)
class PathMtu:
    """What a DF probe proved about the path. ``mtu`` is the learned path MTU in bytes
    where the OS gives it (SMALL only), ``detail`` one sentence for the report."""

    status: MtuStatus
    mtu: int | None = None
    detail: str = ""


def platform_key(platform: str = sys.platform) -> str:
    """``sys.platform`` -> the key used in the tables ("linux", "darwin", "win32", "")."""
    return next((k for k in ("linux", "darwin", "win32") if platform.startswith(k)), "")


def classify(*, df_set: bool, error: int | None, replied: bool, learned: int | None) -> PathMtu:
    """Pure: the outcome of DF sends of 1,200 bytes -> a path fact.

    ``error`` is the errno of the first failed send/recv (None: none), ``replied`` whether any
    datagram came back, ``learned`` the kernel's path MTU when read. Without DF nothing is
    proven (a success could have been fragmented). Silence is never success.
    """
    if not df_set:
        return PathMtu(MtuStatus.UNKNOWN, None, "Don't Fragment could not be set on this OS")
    if error in EMSGSIZE_CODES:
        where = f"path MTU {learned} bytes" if learned else "path MTU not readable on this OS"
        return PathMtu(
            MtuStatus.SMALL,
            learned,
            f"a 1200-byte UDP payload with Don't Fragment does not fit ({where})",
        )
    if replied or error in _REFUSED_CODES:
        how = "a reply came back" if replied else "the host answered port unreachable"
        return PathMtu(MtuStatus.OK, None, f"1200 bytes with Don't Fragment got through ({how})")
    if error is not None:
        return PathMtu(MtuStatus.UNKNOWN, None, f"the send failed (errno {error})")
    return PathMtu(
        MtuStatus.UNKNOWN,
        None,
        "no reply: the datagram or an ICMP 'fragmentation needed' may be dropped",
    )


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


def probe_path_mtu(
    addr: str, port: int, timeout: float, *, payload: bytes | None = None, attempts: int = 2
) -> PathMtu:
    """Send up to ``attempts`` DF datagrams of ``payload`` (default 1,200 zero bytes) to
    ``addr:port`` (an IP literal) and classify; each waits ``timeout``/``attempts`` s.

    The second send matters: the ICMP "fragmentation needed" answering the first one only
    updates the kernel's route, and the next send (or the pending socket error) says EMSGSIZE.
    A reply or a port-unreachable proves the 1,200 bytes arrived. Never raises.
    """
    data = payload if payload is not None else bytes(QUIC_MIN_PAYLOAD)
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET
    except ValueError:
        return PathMtu(MtuStatus.UNKNOWN, None, "not an IP address")
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        df = set_dont_fragment(sock)
        if not df:
            return classify(df_set=False, error=None, replied=False, learned=None)
        error, replied = _exchange(sock, (addr, port), data, timeout, max(1, attempts))
        learned = learned_mtu(sock) if error in EMSGSIZE_CODES else None
    return classify(df_set=True, error=error, replied=replied, learned=learned)


def _exchange(
    sock: socket.socket, peer: tuple[str, int], data: bytes, timeout: float, attempts: int
) -> tuple[int | None, bool]:
    """(first errno, whether a datagram came back) of up to ``attempts`` send+wait rounds."""
    try:
        sock.connect(peer)
    except OSError as exc:
        return exc.errno, False
    deadline = time.monotonic() + timeout
    for i in range(attempts):
        try:
            sock.send(data)
            round_end = time.monotonic() + (deadline - time.monotonic()) / (attempts - i)
            while (left := round_end - time.monotonic()) > 0:
                sock.settimeout(left)
                with contextlib.suppress(TimeoutError):
                    sock.recv(65535)
                    return None, True
        except OSError as exc:  # EMSGSIZE, ECONNREFUSED, ... (socket.timeout handled above)
            return exc.errno, False
    return None, False
