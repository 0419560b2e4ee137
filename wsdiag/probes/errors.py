"""Map low-level failures to the status vocabulary, once, at the boundary: socket errors
(errno, WSA codes) and DNS response codes, for DNS, TCP, TLS and QUIC alike.

Errno values differ by OS (Linux errno, macOS BSD errno, Windows WSA codes), so the
tables below name all of them; the mapping itself is pure and tested on each OS's codes.
A failure is first sorted into a ``Fault``; each probe family then reads its own status
from one row of ``_STATUS`` / ``_DNS`` (a DNS resolver's "port unreachable" is a probe's
"refused").
"""

from __future__ import annotations

import errno as _e
from dataclasses import dataclass

from wsdiag.vocab.model import DnsOutcome, Fault, Status

# No route, or no local address to send from: nothing left this machine. WSAENETUNREACH
# (10051) and WSAENETDOWN (10050), which Python on Windows reports as bare winerror codes.
_NO_ROUTE = {_e.ENETUNREACH, _e.ENETDOWN, _e.EADDRNOTAVAIL, 10050, 10051}
# The host (or its network) unreachable: EHOSTUNREACH, EHOSTDOWN, WSAEHOSTUNREACH (10065),
# WSAEHOSTDOWN (10064). Linux also reports a remote filter's ICMP 3/10 and 3/13 (and 3/9 as
# ENETUNREACH) this way: without the sender (ProbeResult.offender) they stay here.
_HOST_UNREACHABLE = {_e.EHOSTUNREACH, _e.EHOSTDOWN, 10064, 10065}
# A local firewall (nftables/pf/Windows Firewall) refusing the send. On Linux EACCES is
# also how an ICMPv6 1/1 (administratively prohibited) from a remote filter arrives: the
# errno cannot tell the two apart, so it stays LOCAL_BLOCK until the sender is known.
_LOCAL_BLOCK = {_e.EPERM, _e.EACCES, 10013}
_REFUSED = {_e.ECONNREFUSED, _e.ECONNRESET, 10061, 10054}
# "Message too long" on a Don't-Fragment send: the kernel learned (ICMP "fragmentation
# needed" / "packet too big") or knows (the interface) that the datagram does not fit.
# EMSGSIZE (Linux 90, BSD/macOS 40), WSAEMSGSIZE 10040.
_TOO_BIG = {_e.EMSGSIZE, 10040}

_STATUS = {
    Fault.NONE: Status.ERROR,
    Fault.REFUSED: Status.REFUSED,
    Fault.NO_ROUTE: Status.UNREACHABLE,
    Fault.HOST_UNREACHABLE: Status.UNREACHABLE,
    Fault.PROHIBITED: Status.UNREACHABLE,
    Fault.LOCAL_BLOCK: Status.UNREACHABLE,
    Fault.TOO_BIG: Status.UNREACHABLE,  # the path cannot carry the datagram
    Fault.TIMEOUT: Status.FILTERED,
    Fault.OTHER: Status.ERROR,
}
_DNS = {
    Fault.NONE: DnsOutcome.ERROR,
    Fault.REFUSED: DnsOutcome.UNREACHABLE,
    Fault.NO_ROUTE: DnsOutcome.NO_ROUTE,
    Fault.HOST_UNREACHABLE: DnsOutcome.NO_ROUTE,
    Fault.PROHIBITED: DnsOutcome.NO_ROUTE,
    Fault.LOCAL_BLOCK: DnsOutcome.NO_ROUTE,
    Fault.TOO_BIG: DnsOutcome.ERROR,
    Fault.TIMEOUT: DnsOutcome.TIMEOUT,
    Fault.OTHER: DnsOutcome.ERROR,
}
# DNS response codes that end a server's part in a lookup (RFC 1035 4.1.1): SERVFAIL (2)
# and REFUSED (5) by name; any other non-answer code is an ERROR naming the code.
DNS_RCODES = {
    2: (DnsOutcome.SERVFAIL, "answered SERVFAIL"),
    5: (DnsOutcome.REFUSED, "refused the query"),
}


@dataclass(frozen=True)
class Failure:
    """One socket failure as a probe records it: the coarse status, the cause, the errno
    (or WSA code) and a one-line detail."""

    status: Status
    cause: Fault
    errno: int | None
    detail: str


def fault_of(exc: BaseException) -> tuple[Fault, int | None, str]:
    """(fault, errno or WSA code, one-line detail) for an exception from a socket."""
    if isinstance(exc, TimeoutError):
        return Fault.TIMEOUT, None, "no answer before the timeout"
    if isinstance(exc, OSError):
        code = exc.errno if exc.errno is not None else getattr(exc, "winerror", None)
        text = exc.strerror or exc.__class__.__name__
        if isinstance(exc, ConnectionRefusedError | ConnectionResetError) or code in _REFUSED:
            return Fault.REFUSED, code, text
        if code in _NO_ROUTE:
            return Fault.NO_ROUTE, code, text
        if code in _HOST_UNREACHABLE:
            return Fault.HOST_UNREACHABLE, code, text
        if code in _LOCAL_BLOCK:
            return Fault.LOCAL_BLOCK, code, f"{text} (blocked on this machine)"
        if code in _TOO_BIG:
            return Fault.TOO_BIG, code, text
        return Fault.OTHER, code, text
    return Fault.OTHER, None, f"{exc.__class__.__name__}: {exc}"[:200]


def failure_of(exc: BaseException) -> Failure:
    """The status, cause, errno and one-line detail for an exception raised by a socket
    operation."""
    fault, code, text = fault_of(exc)
    return Failure(_STATUS[fault], fault, code, text)


def dns_outcome_of(exc: BaseException) -> tuple[DnsOutcome, Fault, str]:
    """(outcome, cause, one-line detail) for a socket error while asking a DNS server."""
    fault, _, text = fault_of(exc)
    return _DNS[fault], fault, "port unreachable" if fault is Fault.REFUSED else text
