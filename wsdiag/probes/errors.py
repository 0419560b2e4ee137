"""Map low-level socket exceptions to the status vocabulary, once, at the boundary.

Errno values differ by OS (Linux errno, macOS BSD errno, Windows WSA codes), so the
tables below name all of them; the mapping itself is pure and tested on each OS's codes.
"""

from __future__ import annotations

import errno as _e

from wsdiag.model import Status

# No route / network or host unreachable, including WSAENETUNREACH, WSAEHOSTUNREACH
# and WSAENETDOWN/WSAEHOSTDOWN, which Python on Windows reports as bare winerror codes.
_UNREACHABLE = {
    _e.ENETUNREACH, _e.EHOSTUNREACH, _e.ENETDOWN, _e.EHOSTDOWN, _e.EADDRNOTAVAIL,
    10050, 10051, 10064, 10065,
}
# A local firewall (nftables/pf/Windows Firewall) refusing the send.
_LOCAL_BLOCK = {_e.EPERM, _e.EACCES, 10013}
_REFUSED = {_e.ECONNREFUSED, _e.ECONNRESET, 10061, 10054}


def status_of(exc: BaseException) -> tuple[Status, int | None, str]:
    """(status, errno, one-line detail) for an exception raised by a socket operation."""
    if isinstance(exc, TimeoutError):
        return Status.FILTERED, None, "no answer before the timeout"
    if isinstance(exc, OSError):
        code = exc.errno if exc.errno is not None else getattr(exc, "winerror", None)
        text = exc.strerror or exc.__class__.__name__
        if isinstance(exc, ConnectionRefusedError | ConnectionResetError) or code in _REFUSED:
            return Status.REFUSED, code, text
        if code in _UNREACHABLE:
            return Status.UNREACHABLE, code, text
        if code in _LOCAL_BLOCK:
            return Status.UNREACHABLE, code, f"{text} (blocked on this machine)"
        return Status.ERROR, code, text
    return Status.ERROR, None, f"{exc.__class__.__name__}: {exc}"[:200]
