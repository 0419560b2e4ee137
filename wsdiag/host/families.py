"""Which IP families this machine can send on: a route for IPv4, a route for IPv6.

Asked of the kernel by connecting a UDP socket to a documentation address (RFC 5737
192.0.2.1, RFC 3849 2001:db8::1): connect() on UDP only picks a route and a source
address, and sends nothing. No route gives ENETUNREACH (or EADDRNOTAVAIL, EHOSTUNREACH).
An IPv6-only network (DNS64/NAT64, RFC 6147) has only the second; the client then dials
IPv6, and so must wsdiag's probes.
"""

from __future__ import annotations

import socket

_PROBES = ((4, socket.AF_INET, "192.0.2.1"), (6, socket.AF_INET6, "2001:db8::1"))


def routable_families() -> tuple[int, ...]:
    """(4, 6), (4,), (6,) or (): the families with a route off this machine. Never raises."""
    out = []
    for version, family, address in _PROBES:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((address, 9))
        except OSError:
            continue
        out.append(version)
    return tuple(out)
