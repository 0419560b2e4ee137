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
from enum import StrEnum

from wsdiag.vocab.model import DnsOutcome, Status


class Fault(StrEnum):
    REFUSED = "refused"  # TCP RST, ICMP port unreachable
    UNREACHABLE = "unreachable"  # no route, net/host unreachable or down
    LOCAL_BLOCK = "local-block"  # this machine's firewall refused the send
    TIMEOUT = "timeout"  # silence
    OTHER = "other"


# No route / network or host unreachable, including WSAENETUNREACH, WSAEHOSTUNREACH
# and WSAENETDOWN/WSAEHOSTDOWN, which Python on Windows reports as bare winerror codes.
_UNREACHABLE = {
    _e.ENETUNREACH,
    _e.EHOSTUNREACH,
    _e.ENETDOWN,
    _e.EHOSTDOWN,
    _e.EADDRNOTAVAIL,
    10050,
    10051,
    10064,
    10065,
}
# A local firewall (nftables/pf/Windows Firewall) refusing the send.
_LOCAL_BLOCK = {_e.EPERM, _e.EACCES, 10013}
_REFUSED = {_e.ECONNREFUSED, _e.ECONNRESET, 10061, 10054}

_STATUS = {
    Fault.REFUSED: Status.REFUSED,
    Fault.UNREACHABLE: Status.UNREACHABLE,
    Fault.LOCAL_BLOCK: Status.UNREACHABLE,
    Fault.TIMEOUT: Status.FILTERED,
    Fault.OTHER: Status.ERROR,
}
_DNS = {
    Fault.REFUSED: DnsOutcome.UNREACHABLE,
    Fault.UNREACHABLE: DnsOutcome.NO_ROUTE,
    Fault.LOCAL_BLOCK: DnsOutcome.NO_ROUTE,
    Fault.TIMEOUT: DnsOutcome.TIMEOUT,
    Fault.OTHER: DnsOutcome.ERROR,
}
# DNS response codes that end a server's part in a lookup (RFC 1035 4.1.1): SERVFAIL (2)
# and REFUSED (5) by name; any other non-answer code is an ERROR naming the code.
DNS_RCODES = {
    2: (DnsOutcome.SERVFAIL, "answered SERVFAIL"),
    5: (DnsOutcome.REFUSED, "refused the query"),
}


def fault_of(exc: BaseException) -> tuple[Fault, int | None, str]:
    """(fault, errno or WSA code, one-line detail) for an exception from a socket."""
    if isinstance(exc, TimeoutError):
        return Fault.TIMEOUT, None, "no answer before the timeout"
    if isinstance(exc, OSError):
        code = exc.errno if exc.errno is not None else getattr(exc, "winerror", None)
        text = exc.strerror or exc.__class__.__name__
        if isinstance(exc, ConnectionRefusedError | ConnectionResetError) or code in _REFUSED:
            return Fault.REFUSED, code, text
        if code in _UNREACHABLE:
            return Fault.UNREACHABLE, code, text
        if code in _LOCAL_BLOCK:
            return Fault.LOCAL_BLOCK, code, f"{text} (blocked on this machine)"
        return Fault.OTHER, code, text
    return Fault.OTHER, None, f"{exc.__class__.__name__}: {exc}"[:200]


def status_of(exc: BaseException) -> tuple[Status, int | None, str]:
    """(status, errno, one-line detail) for an exception raised by a socket operation."""
    fault, code, text = fault_of(exc)
    return _STATUS[fault], code, text


def dns_outcome_of(exc: BaseException) -> tuple[DnsOutcome, str]:
    """(outcome, one-line detail) for a socket error while asking a DNS server."""
    fault, _, text = fault_of(exc)
    return _DNS[fault], "port unreachable" if fault is Fault.REFUSED else text
