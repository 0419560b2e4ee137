"""Host facts: interface kinds per OS (recorded names/descriptions), route facts, and a real
route lookup in network namespaces with a tunnel carrying a split route."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.netns import Netns, unavailable_reason
from wsdiag.host.facts import build_interfaces, local_address_for
from wsdiag.host.interfaces import (
    describe,
    descriptions_from_adapters,
    interface_kind,
    on_link,
    owner_of,
    route_fact,
)
from wsdiag.vocab.machine import HostFacts, IfKind, Interface, active_tunnels
from wsdiag.vocab.model import Tri

# (system, name, description, point_to_point) -> kind. Names and descriptions as each OS
# shows them (ifconfig / ip link / Get-NetAdapter InterfaceDescription).
KINDS = [
    ("Linux", "eth0", None, False, IfKind.PHYSICAL),
    ("Linux", "wlp2s0", None, False, IfKind.PHYSICAL),
    ("Linux", "enp0s31f6", None, None, IfKind.PHYSICAL),
    ("Linux", "docker0", None, False, IfKind.PHYSICAL),
    ("Linux", "tun0", None, None, IfKind.TUNNEL),
    ("Linux", "wg0", None, False, IfKind.TUNNEL),
    ("Linux", "wg-corp", None, False, IfKind.TUNNEL),
    ("Linux", "ppp0", None, None, IfKind.TUNNEL),
    ("Linux", "ipsec0", None, None, IfKind.TUNNEL),
    ("Linux", "cscotun0", None, None, IfKind.TUNNEL),
    ("Linux", "gpd0", None, None, IfKind.TUNNEL),
    ("Linux", "tailscale0", None, None, IfKind.TUNNEL),
    ("Linux", "corpvpn", None, True, IfKind.TUNNEL),  # any name: IFF_POINTOPOINT decides
    ("Linux", "lo", None, None, IfKind.LOOPBACK),
    ("Darwin", "en0", None, False, IfKind.PHYSICAL),
    ("Darwin", "bridge100", None, False, IfKind.PHYSICAL),
    ("Darwin", "awdl0", None, False, IfKind.PHYSICAL),
    ("Darwin", "utun0", None, None, IfKind.TUNNEL),
    ("Darwin", "utun4", None, None, IfKind.TUNNEL),
    ("Darwin", "ipsec0", None, None, IfKind.TUNNEL),
    ("Darwin", "lo0", None, None, IfKind.LOOPBACK),
    ("Windows", "Ethernet", "Intel(R) Ethernet Connection (7) I219-LM", None, IfKind.PHYSICAL),
    ("Windows", "Wi-Fi", "Intel(R) Wi-Fi 6 AX201 160MHz", None, IfKind.PHYSICAL),
    ("Windows", "vEthernet (WSL)", "Hyper-V Virtual Ethernet Adapter", None, IfKind.PHYSICAL),
    ("Windows", "Ethernet 2", "AWS VPN Client TAP-Windows Adapter V9", None, IfKind.TUNNEL),
    (
        "Windows",
        "Ethernet 3",
        "Cisco AnyConnect Secure Mobility Client Virtual Miniport Adapter for Windows x64",
        None,
        IfKind.TUNNEL,
    ),
    ("Windows", "Ethernet 4", "PANGP Virtual Ethernet Adapter Secure", None, IfKind.TUNNEL),
    (
        "Windows",
        "Local Area Connection",
        "Fortinet SSL VPN Virtual Ethernet Adapter",
        None,
        IfKind.TUNNEL,
    ),
    ("Windows", "corp", "Wintun Userspace Tunnel", None, IfKind.TUNNEL),
    ("Windows", "wg-office", "WireGuard Tunnel", None, IfKind.TUNNEL),
    ("Windows", "VPN - VPN Client", "WAN Miniport (IKEv2)", None, IfKind.TUNNEL),
    ("Windows", "Loopback Pseudo-Interface 1", None, None, IfKind.LOOPBACK),
    # A Windows friendly name "tun0" for a physical NIC is the user's choice, not a tunnel.
    ("Windows", "tun0", "Realtek PCIe GbE Family Controller", None, IfKind.PHYSICAL),
]


@pytest.mark.parametrize(("system", "name", "desc", "ptp", "kind"), KINDS)
def test_interface_kind_per_os(
    system: str, name: str, desc: str | None, ptp: bool | None, kind: IfKind
) -> None:
    assert interface_kind(system, name, description=desc, point_to_point=ptp) is kind


def _iface(name: str, kind: IfKind, *addrs: str, up: bool = True, mtu: int = 1500) -> Interface:
    return Interface(name, kind, up, addrs, mtu)


# A Mac with a VPN on utun4 and the system's utun0-utun3 (IPv6 link-local only).
MAC = (
    _iface("lo0", IfKind.LOOPBACK, "127.0.0.1/8", "::1/128", mtu=16384),
    _iface("en0", IfKind.PHYSICAL, "192.168.1.23/24", "fe80::1c2a:1/64"),
    *(_iface(f"utun{i}", IfKind.TUNNEL, f"fe80::ce81:{i}/64", mtu=1380) for i in range(4)),
    _iface("utun4", IfKind.TUNNEL, "10.8.0.6/32", mtu=1380),
)


def test_system_utuns_are_not_a_connected_vpn() -> None:
    assert [i.name for i in active_tunnels(MAC)] == ["utun4"]
    assert active_tunnels(MAC[:6]) == ()


def test_route_fact_through_vpn_and_around_it() -> None:
    facts = HostFacts(
        "Darwin",
        MAC,
        {
            "10.20.0.2": route_fact("10.20.0.2", "10.8.0.6", MAC),
            "10.20.1.10": route_fact("10.20.1.10", "192.168.1.23", MAC),
            "10.30.0.1": route_fact("10.30.0.1", None, MAC, "no route to this address"),
            "10.40.0.1": route_fact("10.40.0.1", "10.99.9.9", MAC),
        },
    )
    r = facts.routes
    assert (r["10.20.0.2"].interface, r["10.20.0.2"].is_tunnel, r["10.20.0.2"].mtu) == (
        "utun4",
        Tri.YES,
        1380,
    )
    assert (r["10.20.1.10"].interface, r["10.20.1.10"].is_tunnel) == ("en0", Tri.NO)
    assert r["10.30.0.1"].is_tunnel is Tri.UNKNOWN and r["10.30.0.1"].interface is None
    assert r["10.40.0.1"].is_tunnel is Tri.UNKNOWN  # an address no interface holds
    assert facts.tunnels_carrying_routes() == ("utun4",)
    assert describe(r["10.20.0.2"], facts) == "via utun4 (VPN, MTU 1380)"
    assert describe(r["10.20.1.10"], facts) == "via en0 (MTU 1500)"
    assert describe(r["10.30.0.1"], facts) == "route unknown (no route to this address)"


def test_same_address_on_two_interfaces_is_unknown() -> None:
    twins = (_iface("a", IfKind.PHYSICAL, "10.0.0.1/24"), _iface("b", IfKind.TUNNEL, "10.0.0.1/32"))
    assert owner_of("10.0.0.1", twins) is None


def test_on_link_resolver() -> None:
    assert on_link("192.168.1.1", MAC) is MAC[1]
    assert on_link("10.8.0.1", MAC) is None  # a /32 tunnel address has no subnet
    assert on_link("127.0.0.53", MAC) is None  # loopback stub resolvers are not on-link
    assert on_link("not-an-ip", MAC) is None
    assert on_link("fe80::1", MAC) is not None


@given(st.ip_addresses(v=4), st.integers(min_value=8, max_value=30))
def test_on_link_matches_the_subnet(addr: object, prefix: int) -> None:
    iface = _iface("eth0", IfKind.PHYSICAL, f"{addr}/{prefix}")
    assert on_link(str(addr), [iface]) is iface


def _snic(family: int, address: str, netmask: str | None, ptp: str | None = None) -> object:
    return SimpleNamespace(family=family, address=address, netmask=netmask, ptp=ptp)


def test_build_interfaces_from_psutil_shapes() -> None:
    addrs = {
        "eth0": [
            _snic(socket.AF_INET, "192.168.1.5", "255.255.255.0"),
            _snic(socket.AF_INET6, "fe80::1%eth0", "ffff:ffff:ffff:ffff::"),
            _snic(17, "aa:bb:cc:dd:ee:ff", None),
        ],
        "tun0": [_snic(socket.AF_INET, "10.77.0.2", "255.255.255.255", ptp="10.77.0.1")],
        "Ethernet 2": [_snic(socket.AF_INET, "10.8.0.6", "255.255.255.0")],
    }
    stats = {
        "eth0": SimpleNamespace(isup=True, mtu=1500, flags="up,broadcast,running,multicast"),
        "tun0": SimpleNamespace(isup=True, mtu=1380, flags="up,pointopoint,running,noarp"),
        "Ethernet 2": SimpleNamespace(isup=True, mtu=1400),  # Windows psutil: no flags
    }
    descs = {"Ethernet 2": "AWS VPN Client TAP-Windows Adapter V9"}
    by = {i.name: i for i in build_interfaces("Windows", addrs, stats, descs)}
    assert by["eth0"].addresses == ("192.168.1.5/24", "fe80::1/64")
    assert by["eth0"].point_to_point is False and by["eth0"].kind is IfKind.PHYSICAL
    assert by["tun0"].point_to_point is True and by["tun0"].kind is IfKind.TUNNEL
    assert by["Ethernet 2"].kind is IfKind.TUNNEL and by["Ethernet 2"].point_to_point is None
    assert by["Ethernet 2"].description == descs["Ethernet 2"]


def test_local_address_on_loopback_and_bad_input() -> None:
    assert local_address_for("127.0.0.1") == ("127.0.0.1", "")
    assert local_address_for("::1") == ("::1", "")
    assert local_address_for("not-an-ip") == (None, "not an IP address")


_LOOKUP = """
import json, time
from dataclasses import asdict
from wsdiag.host.facts import gather_host_facts
facts = gather_host_facts(["10.20.0.2", "10.20.1.10", "10.20.2.10", "203.0.113.5"],
                          time.monotonic() + 5)
print(json.dumps({d: asdict(r) for d, r in facts.routes.items()}))
"""


@pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))
def test_split_tunnel_route_lookup_in_namespaces() -> None:
    """A laptop whose VPN (tun0) carries only the resolver's subnet, the rest via its LAN:
    the lookup names tun0 for the resolver and the LAN for the endpoints. No packet is sent;
    a second laptop without a default route gets 'no route'."""
    with Netns() as ns:
        ns.add("c")
        ns.add("r")
        ns.veth("c", "r", "c0", "r0")
        ns.ip("c", "addr", "add", "192.168.77.2/24", "dev", "c0")
        ns.ip("c", "route", "add", "default", "via", "192.168.77.1")
        ns.ip("c", "tuntap", "add", "dev", "tun0", "mode", "tun")
        ns.ip("c", "link", "set", "tun0", "mtu", "1380", "up")
        ns.ip("c", "addr", "add", "10.8.0.6/32", "dev", "tun0")
        ns.ip("c", "route", "add", "10.20.0.0/24", "dev", "tun0")
        routes = ns.python("c", _LOOKUP)
        assert isinstance(routes, dict)
        assert routes["10.20.0.2"]["interface"] == "tun0"
        assert routes["10.20.0.2"]["is_tunnel"] == "yes"
        assert routes["10.20.0.2"]["mtu"] == 1380
        for dest in ("10.20.1.10", "10.20.2.10", "203.0.113.5"):
            assert routes[dest]["interface"] == "c0"
            assert routes[dest]["is_tunnel"] == "no"
        ns.ip("c", "route", "del", "default")
        routes = ns.python("c", _LOOKUP)
        assert isinstance(routes, dict)
        assert routes["10.20.1.10"]["interface"] is None
        assert routes["10.20.1.10"]["reason"] == "no route to this address"
        assert routes["10.20.0.2"]["interface"] == "tun0"


def test_deadline_passed_leaves_routes_unknown() -> None:
    from wsdiag.host.facts import gather_host_facts

    facts = gather_host_facts(["127.0.0.1"], time.monotonic() - 1)
    assert facts.routes["127.0.0.1"].reason == "the run deadline passed"
    assert any(i.kind is IfKind.LOOPBACK for i in facts.interfaces)


def test_windows_descriptions_from_ifaddr_shapes() -> None:
    """ifaddr on Windows: Adapter(name=GUID, nice_name=Description, ips=[IP(nice_name=
    FriendlyName)]); an adapter without IPs carries no route and is left out."""

    def adapter(desc: str, friendly: str, n_ips: int) -> object:
        ips = [
            SimpleNamespace(ip=f"10.0.0.{i}", network_prefix=24, nice_name=friendly)
            for i in range(n_ips)
        ]
        return SimpleNamespace(
            name="{4D36E972-E325-11CE-BFC1-08002BE10318}", nice_name=desc, ips=ips
        )

    got = descriptions_from_adapters(
        [
            adapter("Intel(R) Wi-Fi 6 AX201 160MHz", "Wi-Fi", 2),
            adapter("AWS VPN Client TAP-Windows Adapter V9", "Ethernet 2", 1),
            adapter("Bluetooth Device (Personal Area Network)", "Bluetooth Network Connection", 0),
        ]
    )
    assert got == {
        "Wi-Fi": "Intel(R) Wi-Fi 6 AX201 160MHz",
        "Ethernet 2": "AWS VPN Client TAP-Windows Adapter V9",
    }
