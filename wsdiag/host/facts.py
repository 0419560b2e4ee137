"""Reading this machine's interfaces and routes: psutil and one unconnected-on-the-wire socket.

Nothing here sends a packet: ``connect()`` on a UDP socket only asks the kernel's routing
table which source address it would use (no datagram, no ARP/ND). That source address is
mapped to the interface holding it through ``psutil.net_if_addrs()``. On Linux, macOS and
Windows the OS picks the egress interface's own address when it has one, so the owner of the
source address is the egress interface; a tunnel with no address of its own (rare: policy
routing with an explicit ``src``) would be reported as the interface owning that ``src``.
"""

from __future__ import annotations

import errno
import ipaddress
import platform
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from wsdiag.host.interfaces import interface_kind, route_fact
from wsdiag.vocab.machine import HostFacts, Interface, RouteFact

# A port is needed for connect(); UDP "discard" is never sent to (connect sends nothing).
_PROBE_PORT = 9


def build_interfaces(
    system: str,
    addrs: Mapping[str, Sequence[Any]],
    stats: Mapping[str, Any],
    descriptions: Mapping[str, str],
) -> tuple[Interface, ...]:
    """Pure: psutil ``net_if_addrs()`` / ``net_if_stats()``-shaped data -> interfaces.

    ``addrs`` values need ``family``, ``address``, ``netmask``, ``ptp``; ``stats`` values
    ``isup``, ``mtu`` and (psutil >= 7 on POSIX) ``flags``. Interfaces missing from ``stats``
    get ``up``/``mtu`` None.
    """
    result = []
    for name in sorted(set(addrs) | set(stats)):
        st = stats.get(name)
        flags = set(str(getattr(st, "flags", "") or "").split(",")) if st is not None else set()
        ptp: bool | None = "pointopoint" in flags if flags - {""} else None
        addresses = []
        for a in addrs.get(name, ()):
            if a.family not in (socket.AF_INET, socket.AF_INET6) or not a.address:
                continue
            if a.ptp:
                ptp = True
            addresses.append(_with_prefix(a.address, a.netmask))
        result.append(
            Interface(
                name=name,
                kind=interface_kind(
                    system,
                    name,
                    description=descriptions.get(name),
                    point_to_point=ptp,
                    loopback="loopback" in flags,
                ),
                up=bool(st.isup) if st is not None else None,
                addresses=tuple(addresses),
                mtu=int(st.mtu) if st is not None and st.mtu else None,
                point_to_point=ptp,
                description=descriptions.get(name),
            )
        )
    return tuple(result)


def _with_prefix(address: str, netmask: str | None) -> str:
    addr = address.split("%", 1)[0]
    if not netmask:
        return addr
    try:
        prefix = (
            ipaddress.ip_network(f"0.0.0.0/{netmask}").prefixlen
            if "." in netmask
            else (bin(int(ipaddress.IPv6Address(netmask))).count("1"))
        )
    except ValueError:
        return addr
    return f"{addr}/{prefix}"


def local_address_for(destination: str) -> tuple[str | None, str]:
    """The source address the OS would use to reach ``destination`` (an IP literal).

    Returns ``(address, "")`` or ``(None, reason)``; sends nothing. Raises nothing.
    """
    try:
        family = (
            socket.AF_INET6 if ipaddress.ip_address(destination).version == 6 else (socket.AF_INET)
        )
    except ValueError:
        return None, "not an IP address"
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((destination, _PROBE_PORT))
            local = str(sock.getsockname()[0])
    except OSError as exc:
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return None, "no route to this address"
        return None, f"the OS gave no route ({exc.strerror or exc})"
    return local, ""


def gather_host_facts(destinations: Iterable[str], deadline: float) -> HostFacts:
    """Interfaces and, per destination IP, the route the OS would use; never raises.

    ``deadline`` is a ``time.monotonic()`` value: destinations left when it passes get an
    unknown route ("deadline"). Sources: psutil (interfaces, MTU, flags), the routing table
    via a connected UDP socket, Windows adapter descriptions via ``wsdiag.host.system``.
    What the OS denies (psutil AccessDenied, a missing API) leaves the fact unknown.
    """
    system = platform.system()
    interfaces, problem = read_interfaces(system)
    routes: dict[str, RouteFact] = {}
    for dest in dict.fromkeys(destinations):
        if time.monotonic() >= deadline:
            routes[dest] = route_fact(dest, None, interfaces, "the run deadline passed")
            continue
        local, reason = local_address_for(dest)
        routes[dest] = route_fact(dest, local, interfaces, reason)
    return HostFacts(system, interfaces, routes, problem)


def read_interfaces(system: str) -> tuple[tuple[Interface, ...], str]:
    """This machine's interfaces via psutil, and a problem sentence ("" when all was read)."""
    try:
        import psutil

        addrs, stats = psutil.net_if_addrs(), psutil.net_if_stats()
    except Exception as exc:  # psutil missing or the OS refusing: interfaces unknown
        return (), f"interfaces could not be read ({type(exc).__name__})"
    descriptions: dict[str, str] = {}
    problem = ""
    if system == "Windows":
        from wsdiag.host import system as oscalls

        descriptions, problem = oscalls.windows_adapter_descriptions()
    return build_interfaces(system, addrs, stats, descriptions), problem
