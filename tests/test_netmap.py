"""Socket errors from every OS map to the same statuses (pure)."""

from __future__ import annotations

import errno

import pytest

from wsdiag.probes.errors import status_of
from wsdiag.vocab.model import Status


def winerror(code: int) -> OSError:
    exc = OSError(None, "windows socket error")
    exc.winerror = code  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (TimeoutError(), Status.FILTERED),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), Status.REFUSED),
        # ICMP port unreachable on a connected UDP socket: Linux/macOS vs Windows (WSAECONNRESET)
        (ConnectionResetError(errno.ECONNRESET, "reset"), Status.REFUSED),
        (OSError(10054, "WSAECONNRESET"), Status.REFUSED),
        (OSError(10061, "WSAECONNREFUSED"), Status.REFUSED),
        (winerror(10054), Status.REFUSED),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), Status.UNREACHABLE),
        (OSError(errno.EHOSTUNREACH, "No route to host"), Status.UNREACHABLE),
        (OSError(10051, "WSAENETUNREACH"), Status.UNREACHABLE),
        (OSError(10065, "WSAEHOSTUNREACH"), Status.UNREACHABLE),
        (winerror(10065), Status.UNREACHABLE),
        (OSError(errno.EPERM, "Operation not permitted"), Status.UNREACHABLE),  # local firewall
        (OSError(10013, "WSAEACCES"), Status.UNREACHABLE),
        (OSError(errno.EMFILE, "Too many open files"), Status.ERROR),
        (ValueError("odd"), Status.ERROR),
    ],
)
def test_status_of(exc: BaseException, status: Status) -> None:
    got, _, detail = status_of(exc)
    assert got is status
    assert detail and "\n" not in detail


def test_local_firewall_is_named() -> None:
    _, code, detail = status_of(OSError(errno.EPERM, "Operation not permitted"))
    assert code == errno.EPERM and "blocked on this machine" in detail
