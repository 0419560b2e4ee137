"""Pure: the per-OS semantics table, the OS's DNS budget, which servers the OS asks for a
name (recorded inputs of each OS's configuration), and RFC 6052 / RFC 7050 arithmetic."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.budgets import DNS_OS_BUDGET_MAX
from wsdiag.dns64 import discovered_prefix, embedded, matches_answer, synthesized_from
from wsdiag.host.dns_os import SEMANTICS, Next, os_budget, semantics, servers_for, unknown_on
from wsdiag.host.resolvers import (
    OsView,
    ScopeSource,
    parse_resolv_conf,
    parse_resolvectl_status,
    parse_scutil_dns,
    windows_adapter_servers,
)
from wsdiag.vocab.model import DnsOutcome, Nameserver

PRIVATE = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"


def test_every_row_has_a_source_or_says_unknown() -> None:
    for row in SEMANTICS:
        assert (row.then is Next.UNKNOWN) == (row.source == ""), row


@pytest.mark.parametrize(
    ("system", "outcome", "stub", "then"),
    [
        ("Linux", DnsOutcome.SERVFAIL, False, Next.NEXT_SERVER),  # glibc res_send.c
        ("Linux", DnsOutcome.REFUSED, False, Next.NEXT_SERVER),
        ("Linux", DnsOutcome.NXDOMAIN, False, Next.FINAL),
        ("Linux", DnsOutcome.SERVFAIL, True, Next.UNKNOWN),  # systemd-resolved: no source
        ("Windows", DnsOutcome.SERVFAIL, False, Next.FINAL),  # KB 2834226, older
        ("Windows", DnsOutcome.NXDOMAIN, False, Next.FINAL),
        ("Darwin", DnsOutcome.SERVFAIL, False, Next.UNKNOWN),
        ("FreeBSD", DnsOutcome.SERVFAIL, False, Next.UNKNOWN),
    ],
)
def test_semantics(system: str, outcome: DnsOutcome, stub: bool, then: Next) -> None:
    assert semantics(system, outcome, stub).then is then


def test_unknown_on_names_the_os() -> None:
    assert unknown_on("Darwin") == "unknown on macOS"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("nameserver 10.0.0.2\n", 10.0),  # glibc's defaults: 5 s x 2
        ("nameserver 10.0.0.2\noptions timeout:1 attempts:3\n", 3.0),
        ("options timeout:2\noptions attempts:2 rotate\n", 4.0),
        ("options timeout:30 attempts:5\n", DNS_OS_BUDGET_MAX),  # capped
    ],
)
def test_linux_budget_follows_resolv_conf(text: str, want: float) -> None:
    budget, why = os_budget("Linux", OsView(resolv_conf=parse_resolv_conf(text)))
    assert budget == want and "resolv.conf" in why


def test_windows_and_macos_budgets() -> None:
    assert os_budget("Windows", None)[0] == 10.0
    assert os_budget("Darwin", None) == (0.0, "unknown on macOS")


RESOLVECTL = """\
Global
       Protocols: +LLMNR -mDNS -DNSOverTLS DNSSEC=no/unsupported
resolv.conf mode: stub

Link 2 (eth0)
    Current Scopes: DNS
         Protocols: +DefaultRoute
Current DNS Server: 192.168.1.1
       DNS Servers: 192.168.1.1 192.168.1.2
        DNS Domain: ~.

Link 5 (tun0)
    Current Scopes: DNS
       DNS Servers: 10.8.0.2
        DNS Domain: ~a2z.com
"""

SCUTIL = """\
DNS configuration

resolver #1
  search domain[0] : home.lan
  nameserver[0] : 192.168.1.1
  if_index : 6 (en0)
  flags    : Request A records
  reach    : 0x00020002 (Reachable,Directly Reachable Address)

resolver #2
  domain   : a2z.com
  nameserver[0] : 10.8.0.2
  nameserver[1] : 10.8.0.3
  flags    : Request A records
"""


def _ns(*ips: str) -> tuple[Nameserver, ...]:
    return tuple(Nameserver(ip) for ip in ips)


def test_linux_a_routing_domain_wins() -> None:
    view = OsView(
        scoped=parse_resolvectl_status(RESOLVECTL),
        resolv_conf=parse_resolv_conf("nameserver 127.0.0.53\n"),
    )
    got = servers_for(PRIVATE, "Linux", view)
    assert got == ((Nameserver("10.8.0.2"), "systemd-resolved tun0"),)


def test_linux_behind_the_stub_the_default_route_links_are_asked() -> None:
    view = OsView(
        scoped=parse_resolvectl_status(RESOLVECTL.split("Link 5")[0]),
        resolv_conf=parse_resolv_conf("nameserver 127.0.0.53\n"),
    )
    got = servers_for(PRIVATE, "Linux", view)
    assert tuple(ns for ns, _ in got) == _ns("192.168.1.1", "192.168.1.2")
    assert {where for _, where in got} == {"systemd-resolved eth0"}


def test_linux_plain_resolv_conf_in_order() -> None:
    view = OsView(resolv_conf=parse_resolv_conf("nameserver 10.0.0.9\nnameserver 10.0.0.2\n"))
    got = servers_for(PRIVATE, "Linux", view)
    assert got == ((Nameserver("10.0.0.9"), "resolv.conf"), (Nameserver("10.0.0.2"), "resolv.conf"))


def test_a_local_stub_with_nothing_behind_it_is_asked_itself() -> None:
    view = OsView(resolv_conf=parse_resolv_conf("nameserver 127.0.0.53\n"))
    assert servers_for(PRIVATE, "Linux", view) == ((Nameserver("127.0.0.53"), "resolv.conf"),)


def test_macos_per_domain_resolver() -> None:
    view = OsView(scoped=parse_scutil_dns(SCUTIL))
    got = servers_for(PRIVATE, "Darwin", view)
    assert tuple(ns for ns, _ in got) == _ns("10.8.0.2", "10.8.0.3")
    assert {where for _, where in got} == {"scutil"}


def test_windows_adapters_static_before_dhcp() -> None:
    adapters = windows_adapter_servers(
        [
            ("{A}", "", "192.168.1.1 192.168.1.2"),
            ("{B}", "10.8.0.2,10.8.0.3", "10.9.9.9"),
            ("{C}", None, None),
        ]
    )
    assert [(a.interface, a.servers, a.source) for a in adapters] == [
        ("{A}", ("192.168.1.1", "192.168.1.2"), ScopeSource.ADAPTER),
        ("{B}", ("10.8.0.2", "10.8.0.3"), ScopeSource.ADAPTER),
    ]
    got = servers_for(PRIVATE, "Windows", OsView(adapters=adapters))
    assert got[0] == (Nameserver("192.168.1.1"), "adapter {A}")
    assert len(got) == 4


def test_nothing_configured_names_no_server() -> None:
    assert servers_for(PRIVATE, "Linux", OsView()) == ()


# --- RFC 6052 / RFC 7050 -----------------------------------------------------------------


def test_rfc6052_examples() -> None:
    # RFC 6052 section 2.4's table: 192.0.2.33 under each prefix length
    for address, length in [
        ("2001:db8:c000:221::", 32),
        ("2001:db8:1c0:2:21::", 40),
        ("2001:db8:122:c000:2:2100::", 48),
        ("2001:db8:122:3c0:0:221::", 56),
        ("2001:db8:122:344:c0:2:2100:0", 64),
        ("2001:db8:122:344::192.0.2.33", 96),
    ]:
        assert embedded(address, length) == "192.0.2.33", (address, length)


def test_ipv4only_arpa_reveals_the_prefix() -> None:
    assert discovered_prefix(["fd00:64::c000:aa"]) == "fd00:64::/96"
    assert discovered_prefix(["64:ff9b::192.0.0.171"]) == "64:ff9b::/96"
    assert discovered_prefix(["fd00:20:1::10"]) == ""
    assert discovered_prefix(["192.0.0.170", "not an address"]) == ""


def test_a_synthesized_answer_embeds_the_names_own_a() -> None:
    assert matches_answer(
        ["fd00:64::a14:10a", "fd00:64::a14:20a"], ["10.20.1.10", "10.20.2.10"]
    ) == ("fd00:64::/96")
    assert matches_answer(["fd00:20:1::10"], ["10.20.1.10"]) == ""  # a real IPv6 record
    assert matches_answer([], ["10.20.1.10"]) == ""
    assert synthesized_from("fd00:64::a14:10a", "fd00:64::/96") == "10.20.1.10"
    assert synthesized_from("fd00:65::a14:10a", "fd00:64::/96") is None


@given(st.integers(0, 2**32 - 1), st.sampled_from([32, 40, 48, 56, 64, 96]))
def test_embedding_round_trips(v4: int, length: int) -> None:
    """RFC 6052 section 2.2: build the address from prefix + IPv4 (u octet zero), read it back."""
    prefix = int(ipaddress.IPv6Address("2001:db8:122:344::")) >> (128 - length) << (128 - length)
    octets = bytearray(prefix.to_bytes(16, "big"))
    v4b = v4.to_bytes(4, "big")
    if length == 96:
        octets[12:16] = v4b
    else:
        slots = [i for i in range(length // 8, 16) if i != 8][:4]
        for slot, b in zip(slots, v4b, strict=True):
            octets[slot] = b
    address = str(ipaddress.IPv6Address(bytes(octets)))
    assert embedded(address, length) == str(ipaddress.IPv4Address(v4))
