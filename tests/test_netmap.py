"""Socket errors from every OS map to the same statuses (pure)."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.probes.errors import dns_outcome_of, failure_of
from wsdiag.vocab.model import DnsOutcome, Fault, Status


def winerror(code: int) -> OSError:
    exc = OSError(None, "windows socket error")
    exc.winerror = code  # type: ignore[attr-defined]
    return exc


U, NR, HU, LB = Status.UNREACHABLE, Fault.NO_ROUTE, Fault.HOST_UNREACHABLE, Fault.LOCAL_BLOCK


@pytest.mark.parametrize(
    ("exc", "status", "cause"),
    [
        (TimeoutError(), Status.FILTERED, Fault.TIMEOUT),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), Status.REFUSED, Fault.REFUSED),
        # ICMP port unreachable on a connected UDP socket: Linux/macOS vs Windows (WSAECONNRESET)
        (ConnectionResetError(errno.ECONNRESET, "reset"), Status.REFUSED, Fault.REFUSED),
        (OSError(10054, "WSAECONNRESET"), Status.REFUSED, Fault.REFUSED),
        (OSError(10061, "WSAECONNREFUSED"), Status.REFUSED, Fault.REFUSED),
        (winerror(10054), Status.REFUSED, Fault.REFUSED),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), U, NR),
        (OSError(errno.ENETDOWN, "Network is down"), U, NR),
        (OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"), U, NR),
        (OSError(errno.EHOSTUNREACH, "No route to host"), U, HU),
        (OSError(errno.EHOSTDOWN, "Host is down"), U, HU),
        (OSError(10051, "WSAENETUNREACH"), U, NR),
        (OSError(10065, "WSAEHOSTUNREACH"), U, HU),
        (winerror(10065), U, HU),
        (OSError(errno.EPERM, "Operation not permitted"), U, LB),  # local firewall
        (OSError(errno.EACCES, "Permission denied"), U, LB),  # or ICMPv6 1/1: sender unknown
        (OSError(10013, "WSAEACCES"), U, LB),
        (OSError(errno.EMSGSIZE, "Message too long"), U, Fault.TOO_BIG),
        (OSError(10040, "WSAEMSGSIZE"), U, Fault.TOO_BIG),
        (OSError(errno.EMFILE, "Too many open files"), Status.ERROR, Fault.OTHER),
        (ValueError("odd"), Status.ERROR, Fault.OTHER),
    ],
)
def test_failure_of(exc: BaseException, status: Status, cause: Fault) -> None:
    got = failure_of(exc)
    assert (got.status, got.cause) == (status, cause)
    assert got.detail and "\n" not in got.detail


def test_local_firewall_is_named() -> None:
    got = failure_of(OSError(errno.EPERM, "Operation not permitted"))
    assert got.errno == errno.EPERM and "blocked on this machine" in got.detail


@given(st.integers(min_value=0, max_value=20000))
def test_no_errno_reads_as_success(code: int) -> None:
    """Whatever the errno (or WSA code), a socket error is a failure with a cause, for a
    probe and for a DNS lookup: never an answer, never "no fault"."""
    got = failure_of(OSError(code, "x"))
    assert got.status is not Status.OPEN and got.cause is not Fault.NONE
    outcome, cause, _ = dns_outcome_of(OSError(code, "x"))
    assert outcome is not DnsOutcome.ANSWER and cause is got.cause
