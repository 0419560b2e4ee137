"""This machine's interfaces and the path each destination takes: types and pure tables.

No I/O here. ``wsdiag.host.facts`` reads the OS (psutil, a connected UDP socket) and
``wsdiag.host.system`` the OS-only extras (Windows adapter descriptions); this module
decides what those readings mean, so every OS's naming is tested on any machine.

Why the kind of a *path* and not "a VPN-looking interface is up": every Mac has utun0-utun3
up for system services (iCloud Private Relay, Back to My Mac, AirDrop), and a split-tunnel
VPN carries only some destinations. A destination goes through a tunnel when the interface
the OS would send it by is a tunnel; nothing else counts.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from wsdiag.vocab.machine import HostFacts, IfKind, Interface, RouteFact
from wsdiag.vocab.model import Tri

# Interface-name patterns of tunnels, per ``platform.system()``. Sources: the kernels'
# own device names (Linux tun/tap/wg/ppp/ipsec/vti/xfrm; BSD/macOS utun/ppp/ipsec/gif/tun/tap)
# and the device names VPN clients create (assumed from vendor documentation, not seen on a
# machine here: Cisco AnyConnect "cscotun0", GlobalProtect "gpd0", Tailscale "tailscale0",
# NordVPN "nordlynx", ZeroTier "zt…").
_NAME_PATTERNS: dict[str, tuple[str, ...]] = {
    "Linux": (
        r"tun\d*",
        r"tap\d*",
        r"wg.*",
        r"ppp\d*",
        r"ipsec.*",
        r"vti.*",
        r"xfrm.*",
        r"cscotun\d*",
        r"gpd\d*",
        r"tailscale\d*",
        r"nordlynx",
        r"zt.*",
        r"utun\d*",
    ),
    "Darwin": (r"utun\d+", r"ppp\d+", r"ipsec\d+", r"gif\d+", r"tun\d+", r"tap\d+"),
    # Windows names are user-editable friendly names ("Ethernet 2"); a few VPN clients name
    # theirs, so names help, but the adapter description below is the real signal.
    "Windows": (r".*wireguard.*", r".*openvpn.*", r".*\bvpn\b.*", r"tailscale.*"),
}
# Windows adapter descriptions (the driver's name, GetAdaptersAddresses().Description) of
# tunnel/VPN adapters. Matched case-insensitively as substrings.
_WINDOWS_DESCRIPTIONS: tuple[str, ...] = (
    "tap-windows",  # OpenVPN, AWS Client VPN ("AWS VPN Client TAP-Windows Adapter V9")
    "wintun",  # WireGuard/OpenVPN userspace tunnel ("Wintun Userspace Tunnel")
    "wireguard tunnel",
    "anyconnect",  # "Cisco AnyConnect Secure Mobility Client Virtual Miniport Adapter"
    "cisco secure client",
    "pangp",  # GlobalProtect: "PANGP Virtual Ethernet Adapter"
    "fortinet ssl vpn",
    "juniper networks virtual adapter",
    "pulse secure",
    "ivanti",
    "wan miniport",  # Windows' own RAS VPN (IKEv2, SSTP, L2TP, PPTP)
    "vpn",  # many vendors put "VPN" in the description ("NordLynx", "ProtonVPN TUN")
    "tunnel",
)


def interface_kind(
    system: str,
    name: str,
    *,
    description: str | None = None,
    point_to_point: bool | None = None,
    loopback: bool = False,
) -> IfKind:
    """Pure: the kind of an interface from its name, Windows description and flags.

    ``system`` is a ``platform.system()`` name. A point-to-point interface (IFF_POINTOPOINT)
    is a tunnel on every OS: Ethernet and Wi-Fi never are.
    """
    if loopback or name in ("lo", "lo0") or name.lower().startswith("loopback pseudo"):
        return IfKind.LOOPBACK
    if point_to_point:
        return IfKind.TUNNEL
    lowered = name.lower()
    if any(re.fullmatch(p, lowered) for p in _NAME_PATTERNS.get(system, ())):
        return IfKind.TUNNEL
    if system == "Windows" and description:
        desc = description.lower()
        if any(d in desc for d in _WINDOWS_DESCRIPTIONS):
            return IfKind.TUNNEL
    return IfKind.PHYSICAL


def descriptions_from_adapters(adapters: Iterable[Any]) -> dict[str, str]:
    """Pure: ``ifaddr.get_adapters()`` on Windows -> {FriendlyName: Description}.

    There ifaddr gives each adapter ``nice_name`` = Description and each of its IPs
    ``nice_name`` = the adapter's FriendlyName, which is psutil's interface name.
    """
    out: dict[str, str] = {}
    for adapter in adapters:
        for ip in getattr(adapter, "ips", ()):
            friendly, desc = getattr(ip, "nice_name", ""), getattr(adapter, "nice_name", "")
            if friendly and desc:
                out.setdefault(str(friendly), str(desc))
    return out


def owner_of(local_addr: str, interfaces: Iterable[Interface]) -> Interface | None:
    """Pure: the interface holding ``local_addr`` (as getsockname() gives it), or None.

    None also when two interfaces hold the same address: which one the OS uses is unknown.
    """
    want = ipaddress.ip_address(local_addr.split("%", 1)[0])
    owners = [
        i for i in interfaces if any(ipaddress.ip_interface(a).ip == want for a in i.addresses)
    ]
    return owners[0] if len(owners) == 1 else None


def on_link(address: str, interfaces: Iterable[Interface]) -> Interface | None:
    """Pure: the non-loopback interface whose subnet contains ``address`` (home routers are
    on-link resolvers), or None. Point-to-point /32 addresses contain only themselves."""
    try:
        addr = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    for iface in interfaces:
        if iface.kind is IfKind.LOOPBACK:
            continue
        for text in iface.addresses:
            net = ipaddress.ip_interface(text).network
            if net.version == addr.version and addr in net and net.prefixlen < net.max_prefixlen:
                return iface
    return None


def route_fact(
    destination: str, local_addr: str | None, interfaces: Iterable[Interface], reason: str = ""
) -> RouteFact:
    """Pure: the route fact for a destination, given the source address the OS chose."""
    if local_addr is None:
        return RouteFact(destination, None, None, Tri.UNKNOWN, reason=reason)
    iface = owner_of(local_addr, interfaces)
    if iface is None:
        return RouteFact(
            destination,
            local_addr,
            None,
            Tri.UNKNOWN,
            reason=reason or "the source address belongs to no single interface",
        )
    tunnel = {IfKind.TUNNEL: Tri.YES, IfKind.UNKNOWN: Tri.UNKNOWN}.get(iface.kind, Tri.NO)
    return RouteFact(destination, local_addr, iface.name, tunnel, iface.mtu, reason)


def describe(route: RouteFact, facts: HostFacts) -> str:
    """Pure: "via utun4 (VPN, MTU 1380)" / "via en0" / "route unknown (…)" for the report."""
    if route.interface is None:
        return f"route unknown ({route.reason or 'not found'})"
    parts = ["VPN"] if route.is_tunnel is Tri.YES else []
    iface = facts.interface(route.interface)
    if iface is not None and iface.description:
        parts.insert(0, iface.description)
    if route.mtu:
        parts.append(f"MTU {route.mtu}")
    return f"via {route.interface}" + (f" ({', '.join(parts)})" if parts else "")
