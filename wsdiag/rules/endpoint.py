"""Rows about the private streaming endpoint, address by address (the name's resolution:
wsdiag.rules.endpoint_name). Pure.

Each endpoint address is judged on its own (DNS rotates answers: every address is some
client's endpoint), then the whole:
- usable: answers on TCP (443 or 4195), since DCV authenticates over a TCP WebSocket even
  when QUIC carries the stream (DCV admin guide, "Disabling the QUIC UDP transport protocol");
- usable without QUIC, or without 4195 on both transports -> degraded;
- missing only 443 paths while TCP and QUIC 4195 answer -> info;
- silent, QUIC only, or missing one 4195 path -> degraded while another address is usable;
- no usable address -> blocked.
"""

from __future__ import annotations

import ipaddress

from wsdiag.rules.facts import (
    HIGH_RTT_MS,
    CheckFacts,
    CheckRule,
    Defect,
    FireFn,
    defects,
    with_defect,
)
from wsdiag.vocab.evidence import AddressEvidence, Evidence
from wsdiag.vocab.model import Owner, Severity, Status
from wsdiag.vocab.rows import NOT_NO, NOT_YES, FindingRule, Fire, N, Y

# --- each address ------------------------------------------------------------------------


def at_addresses(e: Evidence, hit: list[AddressEvidence]) -> str:
    """ "10.0.2.10 (1 of 2 addresses; fails quic/443, quic/4195)" """
    total = len(e.endpoint_addresses)
    share = (
        "the only address"
        if total == 1
        else "every address"
        if len(hit) == total
        else f"{len(hit)} of {total} addresses"
    )
    hit = sorted(hit, key=lambda a: ipaddress.ip_address(a.address))
    if len({a.missing() for a in hit}) == 1:
        return f"{', '.join(a.address for a in hit)} ({share}; fails {', '.join(hit[0].missing())})"
    each = ", ".join(f"{a.address} (fails {', '.join(a.missing())})" for a in hit)
    return f"{each} — {share}"


def _per_address(defect: Defect) -> FireFn:
    """The addresses with this defect, named (the row declares the fact that some have it)."""

    def fire(c: CheckFacts) -> Fire:
        e = c.evidence
        hit = with_defect(e, defect)
        return Fire(
            {"host": e.endpoint_host, "at": at_addresses(e, hit)},
            basis=tuple(f"endpoint_addresses[{a.address}]" for a in hit),
        )

    return fire


def _partial(c: CheckFacts) -> Fire | None:
    e = c.evidence
    hit = with_defect(e, Defect.PARTIAL, Defect.NO_TCP)
    if c.tcp_via_proxy is Y:
        # every address's TCP is the proxy's one answer: its own finding says so
        hit = [a for a in hit if any(not m.startswith("tcp/") for m in a.missing())]
        if not hit:
            return None
    items = [
        f"{a.address} answers no TCP ({', '.join(a.missing())} fail): DCV cannot authenticate there"
        if Defect.NO_TCP in defects(a)
        else f"{a.address} misses {', '.join(a.missing())}"
        for a in hit
    ]
    return Fire(
        {
            "host": e.endpoint_host,
            "items": "; ".join(items),
            "share": f"{len(hit)} of {len(e.endpoint_addresses)}",
        },
        basis=tuple(f"endpoint_addresses[{a.address}]" for a in hit),
    )


def _silent(c: CheckFacts) -> Fire:
    e = c.evidence
    hit = with_defect(e, Defect.SILENT)
    # Every failed endpoint probe was a refusal (TCP RST, ICMP port unreachable): these
    # addresses answered, with a no; "did not answer" would send someone after a route.
    # (endpoint_failures holds every endpoint probe's status, the open ones' too)
    failed = set(e.endpoint_failures) - {str(Status.OPEN), str(Status.SKIPPED)}
    refused = failed == {str(Status.REFUSED)}
    return Fire(
        {
            "host": e.endpoint_host,
            "how": "refused every path" if refused else "did not answer",
            "dead": ", ".join(a.address for a in hit),
            "n": len(hit),
            "total": len(e.endpoint_addresses),
        },
        basis=tuple(f"endpoint_addresses[{a.address}]" for a in hit),
    )


def _no_tcp(c: CheckFacts) -> Fire | None:
    e = c.evidence
    if e.endpoint_addresses and all(a.other for a in e.endpoint_addresses):
        return None  # nothing there is the endpoint: ENDPOINT_ADDRESS_OTHER says so
    quic = " (QUIC answers, so UDP gets through)" if e.endpoint_reachable is Y else ""
    return Fire(
        {
            "host": e.endpoint_host,
            "quic": quic,
            "addresses": ", ".join(a.address for a in e.endpoint_addresses),
        }
    )


# --- the rows ----------------------------------------------------------------------------


def _dual_stack(c: CheckFacts) -> Fire | None:
    e = c.evidence
    # IPv4 beside the AAAA answer: an IPv6-only record is probed over IPv6 and judged instead
    v4 = any(":" not in a.address for a in e.endpoint_addresses)
    return Fire({"host": e.endpoint_host}) if v4 else None


def _unreachable(c: CheckFacts) -> Fire:
    e = c.evidence
    return Fire(
        {
            "host": e.endpoint_host,
            "addresses": ", ".join(a.address for a in e.endpoint_addresses),
            "statuses": "/".join(e.endpoint_failures),
        }
    )


def _high_rtt(c: CheckFacts) -> Fire:
    e = c.evidence
    return Fire(
        {"host": e.endpoint_host, "rtt": f"{e.endpoint_rtt_ms:.0f}", "limit": f"{HIGH_RTT_MS:.0f}"}
    )


_PER_ADDRESS_FIX = (
    "Check the network ACL, routes and firewall rules towards that address's subnet (each "
    "address is one Availability Zone's interface): every address must answer TCP and UDP on "
    "4195 and 443. Or remove the subnet from the endpoint."
)


ENDPOINT_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="endpoint-unreachable",
        code="ENDPOINT_UNREACHABLE",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="no address answered on any port or transport",
        message="The streaming endpoint does not answer from here: no address of {host} "
        "({addresses}) answered on TCP or UDP 443/4195 ({statuses}).",
        remediation="Give this network a route to the VPC (VPN / Direct Connect / peering), and, "
        "in the VPC console > Security groups > the streaming endpoint's group > Inbound rules, "
        "allow TCP and UDP 443 and 4195 from the client range (and in the subnet's network ACL).",
        facts=(
            ("endpoint_reachable", (N,)),
            ("endpoint_private", (Y,)),
            ("no_route", NOT_YES),
            ("tunnel_up", NOT_YES),
            # through the proxy, its answers say why (wsdiag.rules.streaming)
            ("tcp_via_proxy", (N,)),
        ),
        fire=_unreachable,
        never_with=("ENDPOINT_ADDRESS_SILENT", "ENDPOINT_TCP_BLOCKED"),
    ),
    FindingRule(
        name="endpoint-tcp-blocked",
        code="ENDPOINT_TCP_BLOCKED",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="no endpoint address answers on TCP (443 or 4195), QUIC perhaps: DCV authenticates "
        "over TCP, so no session starts",
        message="No address of {host} ({addresses}) answers on TCP 443 or 4195{quic}: DCV "
        "authenticates over a TCP WebSocket even when QUIC carries the stream, so no "
        "session can start.",
        remediation="Allow inbound TCP 443 and 4195 in the endpoint's security group and network "
        "ACL, and outbound TCP 443/4195 on any firewall between this network and the VPC.",
        facts=(
            ("endpoint_usable", (N,)),
            ("endpoint_reachable", NOT_NO),
            ("endpoint_private", (Y,)),
            ("tcp_via_proxy", (N,)),
        ),
        fire=_no_tcp,
        never_with=("ENDPOINT_QUIC_BLOCKED", "ENDPOINT_4195_BLOCKED"),
    ),
    FindingRule(
        name="endpoint-address-silent",
        code="ENDPOINT_ADDRESS_SILENT",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="some endpoint addresses (AZs) answer on no path",
        message="{n} of {total} addresses of {host} {how} ({dead}); a client that picks "
        "one of them will fail or wait.",
        remediation="Check the route and network ACL to every endpoint subnet (each address is one "
        "Availability Zone's interface), or remove the subnet from the endpoint.",
        facts=(
            ("endpoint_reachable", (Y,)),
            ("endpoint_all_addresses", (N,)),
            ("address_silent", (Y,)),
        ),
        fire=_silent,
        basis=(),
    ),
    FindingRule(
        name="endpoint-address-partial",
        code="ENDPOINT_ADDRESS_PARTIAL",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="an endpoint address answers only in part while another is usable: no TCP (QUIC "
        "only), or one 4195 path missing",
        message="{share} addresses of {host} answer only in part: {items}. DNS hands every address "
        "to some clients, and those fail or lose a path.",
        remediation=_PER_ADDRESS_FIX,
        facts=(("endpoint_usable", (Y,)), ("address_partial", (Y,))),
        fire=_partial,
        basis=(),
    ),
    FindingRule(
        name="endpoint-quic-blocked",
        code="ENDPOINT_QUIC_BLOCKED",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="an address answers on TCP, not QUIC: TCP fallback (names the addresses)",
        message="Streaming will use the slower TCP fallback: the endpoint answers on TCP but not "
        "on UDP (QUIC) at {at}.",
        remediation="VPC console > Security groups > the streaming endpoint's group > Inbound "
        "rules: allow UDP 443 and 4195 from the client range (and in the subnet's network ACL); "
        "allow outbound UDP 443/4195 on any firewall between this network and the VPC.",
        facts=(
            ("endpoint_usable", (Y,)),
            ("path_mtu_small", NOT_YES),
            ("address_no_quic", (Y,)),
        ),
        fire=_per_address(Defect.NO_QUIC),
        basis=(),
    ),
    FindingRule(
        name="endpoint-4195-blocked",
        code="ENDPOINT_4195_BLOCKED",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="an address answers on 443, not 4195 (TCP nor QUIC): needs Windows/macOS 5.23+, "
        "Linux 2024.7+",
        message="Older WorkSpaces clients cannot stream here: the endpoint answers on 443 but not "
        "on 4195 at {at}, and only clients with the 443 fallback (Windows and macOS 5.23 or "
        "later, Linux 2024.7 or later) use 443.",
        remediation="VPC console > Security groups > the streaming endpoint's group > Inbound "
        "rules: allow TCP and UDP 4195 from the client range (and outbound 4195 on firewalls "
        "towards the VPC), or make sure every client is recent enough.",
        # through the proxy, TCP 4195 is the proxy's answer: PROXY_DENIES_CONNECT_4195
        facts=(("endpoint_usable", (Y,)), ("address_no_4195", (Y,)), ("tcp_via_proxy", (N,))),
        fire=_per_address(Defect.NO_4195),
        basis=(),
    ),
    FindingRule(
        name="endpoint-443-blocked",
        code="ENDPOINT_443_BLOCKED",
        severity=Severity.INFO,
        owner=Owner.AWS,
        when="an address answers TCP and QUIC 4195 but misses 443 paths",
        message="The endpoint answers on 4195 but not on every 443 path at {at}; streaming uses "
        "4195, so this only removes the fallback port.",
        remediation="Allow inbound TCP and UDP 443 in the endpoint's security group as well.",
        facts=(("endpoint_usable", (Y,)), ("address_no_443", (Y,)), ("tcp_via_proxy", (N,))),
        fire=_per_address(Defect.NO_443),
        basis=(),
    ),
    FindingRule(
        name="endpoint-dual-stack",
        code="ENDPOINT_DUAL_STACK",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="A and AAAA records: dual-stack is not supported",
        message="The private name {host} has IPv6 as well as IPv4 addresses; dual-stack is not "
        "supported for WorkSpaces streaming endpoints and the client may prefer IPv6.",
        remediation="Set the VPC endpoint's DNS record IP type to IPv4.",
        facts=(("endpoint_resolves", (Y,)), ("endpoint_has_v6", (Y,))),
        fire=_dual_stack,
        basis=("endpoint_v6",),
    ),
    FindingRule(
        name="endpoint-high-rtt",
        code="ENDPOINT_HIGH_RTT",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when=f"TCP RTT to the endpoint above {HIGH_RTT_MS:.0f} ms",
        message="The round trip to {host} is {rtt} ms; above {limit} ms DCV streaming is usable "
        "but sluggish.",
        remediation="Check the VPN or WAN path to the VPC; a closer region may help.",
        facts=(("endpoint_rtt_high", (Y,)),),
        fire=_high_rtt,
        basis=("endpoint_rtt_ms",),
    ),
)
