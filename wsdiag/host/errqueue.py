"""Who refused: the ICMP error a socket received, read from the OS's error queue.

On Linux a socket with ``IP_RECVERR`` (``IPV6_RECVERR`` for IPv6) queues every ICMP error it
is sent, with its type, code and the address that sent it (``SO_EE_OFFENDER``); errno alone
cannot tell who refused: ``icmp_err_convert`` (net/ipv4/icmp.c) turns ICMP 3/10 and 3/13
(administratively prohibited) into EHOSTUNREACH like a router's "host unreachable", 3/9 into
ENETUNREACH like a missing route, and ICMPv6 1/1 into EACCES like this machine's own
firewall. Reading the queue needs no privilege (ip(7), ipv6(7): IP_RECVERR, MSG_ERRQUEUE).

A socket with a queued error polls as readable-with-error until the queue is read, so a
reader that does not drain it spins its event loop: :func:`drain` reads it empty.

The per-OS constants are here, since Python 3.11's ``socket`` module lacks them; only Linux
has the queue. macOS and Windows TCP treat these ICMPs as soft errors (the connect times out):
there, a refusal that arrives as a timeout stays "no answer", never "no route".
:func:`parse` and :func:`kind_of` are pure and tested on recorded bytes.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import sys
from dataclasses import dataclass
from enum import StrEnum

# linux/in.h, linux/in6.h, linux/errqueue.h
IP_RECVERR = 11
IPV6_RECVERR = 25
SO_EE_ORIGIN_LOCAL = 1
SO_EE_ORIGIN_ICMP = 2
SO_EE_ORIGIN_ICMP6 = 3
_EXTENDED_ERR = struct.Struct("=IBBBBII")  # ee_errno, origin, type, code, pad, info, data
_QUEUE_READS = 8  # a probe's socket holds a few errors at most; never loop on a flood
_ANCILLARY = 512  # bytes for the cmsg: the extended error and the offender's sockaddr


class IcmpKind(StrEnum):
    """What an ICMP error says about the path (RFC 792, RFC 1812 §5.2.7.1, RFC 4443 §3.1)."""

    PROHIBITED = "prohibited"  # a firewall refused: ICMP 3/9, 3/10, 3/13; ICMPv6 1/1
    PORT_UNREACHABLE = "port-unreachable"  # the host answered: nothing listens (3/3; v6 1/4)
    HOST_UNREACHABLE = "host-unreachable"  # a router could not deliver (3/1; v6 1/3)
    NET_UNREACHABLE = "net-unreachable"  # a router has no route (3/0; v6 1/0)
    TOO_BIG = "too-big"  # fragmentation needed (3/4; v6 2/0): a path MTU fact
    LOCAL = "local"  # raised by this machine's own stack (no ICMP was received)
    OTHER = "other"


@dataclass(frozen=True)
class IcmpReport:
    """One queued error: which errno it became, its ICMP type and code, who sent it
    (``offender``, None for a local error), and ``info`` (the MTU for TOO_BIG)."""

    errno: int
    origin: int  # SO_EE_ORIGIN_*
    type: int
    code: int
    info: int
    offender: str | None

    @property
    def kind(self) -> IcmpKind:
        return kind_of(self.origin, self.type, self.code)


_ICMP4 = {
    (3, 0): IcmpKind.NET_UNREACHABLE,
    (3, 1): IcmpKind.HOST_UNREACHABLE,
    (3, 3): IcmpKind.PORT_UNREACHABLE,
    (3, 4): IcmpKind.TOO_BIG,
    (3, 9): IcmpKind.PROHIBITED,  # network administratively prohibited (RFC 1122)
    (3, 10): IcmpKind.PROHIBITED,  # host administratively prohibited (RFC 1122)
    (3, 13): IcmpKind.PROHIBITED,  # communication administratively prohibited (RFC 1812)
}
_ICMP6 = {
    (1, 0): IcmpKind.NET_UNREACHABLE,  # no route to destination
    (1, 1): IcmpKind.PROHIBITED,  # communication administratively prohibited (RFC 4443)
    (1, 3): IcmpKind.HOST_UNREACHABLE,  # address unreachable
    (1, 4): IcmpKind.PORT_UNREACHABLE,
    (1, 5): IcmpKind.PROHIBITED,  # source address failed ingress/egress policy
    (1, 6): IcmpKind.PROHIBITED,  # reject route to destination
    (2, 0): IcmpKind.TOO_BIG,
}


def kind_of(origin: int, icmp_type: int, code: int) -> IcmpKind:
    """Pure: the meaning of one queued error by its origin, ICMP type and code."""
    if origin == SO_EE_ORIGIN_ICMP:
        return _ICMP4.get((icmp_type, code), IcmpKind.OTHER)
    if origin == SO_EE_ORIGIN_ICMP6:
        return _ICMP6.get((icmp_type, code), IcmpKind.OTHER)
    if origin == SO_EE_ORIGIN_LOCAL:
        return IcmpKind.LOCAL
    return IcmpKind.OTHER


def parse(data: bytes) -> IcmpReport | None:
    """Pure: a ``sock_extended_err`` control message (linux/errqueue.h) and the offender's
    sockaddr that follows it; None for bytes too short to be one."""
    if len(data) < _EXTENDED_ERR.size:
        return None
    errno_, origin, icmp_type, code, _pad, info, _data = _EXTENDED_ERR.unpack_from(data)
    return IcmpReport(errno_, origin, icmp_type, code, info, _offender(data[_EXTENDED_ERR.size :]))


def _offender(sa: bytes) -> str | None:
    """The address in a ``sockaddr_in``/``sockaddr_in6`` (native-endian family, network-order
    address); None when there is none (AF_UNSPEC: a local error)."""
    if len(sa) < 2:
        return None
    family = int.from_bytes(sa[:2], sys.byteorder)
    if family == socket.AF_INET and len(sa) >= 8:
        return str(ipaddress.IPv4Address(sa[4:8]))
    if family == socket.AF_INET6 and len(sa) >= 24:
        return str(ipaddress.IPv6Address(sa[8:24]))
    return None


def enable(sock: socket.socket) -> bool:
    """Ask the OS to queue ICMP errors on ``sock``; False where it cannot (not Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    v6 = sock.family == socket.AF_INET6
    try:
        if v6:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        else:
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    except OSError:
        return False
    return True


def disable(sock: socket.socket) -> None:
    """Stop queueing ICMP errors on ``sock`` (the kernel drops what is queued): a connected
    TCP socket with the queue on takes every later ICMP error as fatal (tcp_v4_err), which
    the client's own sockets do not."""
    if not sys.platform.startswith("linux"):
        return
    v6 = sock.family == socket.AF_INET6
    with contextlib.suppress(OSError):
        if v6:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 0)
        else:
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 0)


def drain(sock: socket.socket) -> tuple[IcmpReport, ...]:
    """Read every queued error off ``sock`` without blocking (at most ``_QUEUE_READS``); an
    empty tuple where nothing is queued or the OS has no queue."""
    flag = getattr(socket, "MSG_ERRQUEUE", None)
    if flag is None or not sys.platform.startswith("linux"):
        return ()
    out = []
    for _ in range(_QUEUE_READS):
        try:
            _, ancillary, _, _ = sock.recvmsg(1, _ANCILLARY, flag | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            break
        except OSError:
            break
        for level, kind, data in ancillary:
            if (level, kind) in (
                (socket.IPPROTO_IP, IP_RECVERR),
                (socket.IPPROTO_IPV6, IPV6_RECVERR),
            ):
                with contextlib.suppress(ValueError, struct.error):
                    report = parse(data)
                    if report is not None:
                        out.append(report)
    return tuple(out)
