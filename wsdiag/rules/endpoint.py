"""Rows about name resolution and the private streaming endpoint, address by address. Pure.

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
from collections.abc import Callable

from wsdiag.rules.rows import NOT_NO, NOT_YES, FindingRule, Fire, N, Y
from wsdiag.vocab.model import DnsOutcome, Environment, Owner, Severity
from wsdiag.vocab.results import AddressEvidence, Evidence, complete, usable

HIGH_RTT_MS = 250.0  # DCV: above 250 ms RTT the session is usable but degraded (admin guide)


# --- each address ------------------------------------------------------------------------


def defects(a: AddressEvidence) -> frozenset[str]:
    """What is definitely wrong with one address: silent, no-tcp, no-quic, no-4195, partial
    (a 4195 path missing otherwise), no-443 (only 443 paths missing). Unknowns are not
    defects; the verdict's "every path measured" fact catches them."""
    if a.answered is N:
        return frozenset({"silent"})
    if a.other:  # something else answers there: ENDPOINT_ADDRESS_OTHER says so
        return frozenset({"other"})
    if usable(a) is N:
        return frozenset({"no-tcp"})
    out = set()
    if usable(a) is Y and (a.quic443, a.quic4195) == (N, N):
        out.add("no-quic")
    if usable(a) is Y and (a.tcp4195, a.quic4195) == (N, N):
        out.add("no-4195")
    if complete(a) is N and not out:
        out.add("partial")
    if usable(a) is Y and complete(a) is Y and N in (a.tcp443, a.quic443):
        out.add("no-443")
    return frozenset(out)


def _with(e: Evidence, defect: str) -> list[AddressEvidence]:
    return [a for a in e.endpoint_addresses if defect in defects(a)]


def _at(e: Evidence, hit: list[AddressEvidence]) -> str:
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


def _per_address(defect: str) -> Callable[[Evidence, Environment], Fire | None]:
    def fire(e: Evidence, _env: Environment) -> Fire | None:
        hit = _with(e, defect)
        if not hit:
            return None
        return Fire(
            {"host": e.endpoint_host, "at": _at(e, hit)},
            basis=tuple(f"endpoint_addresses[{a.address}]" for a in hit),
        )

    return fire


def _partial(e: Evidence, _env: Environment) -> Fire | None:
    hit = _with(e, "partial") + (_with(e, "no-tcp") if e.endpoint_usable is Y else [])
    if not hit:
        return None
    items = [
        f"{a.address} answers no TCP ({', '.join(a.missing())} fail): DCV cannot authenticate there"
        if "no-tcp" in defects(a)
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


def _silent(e: Evidence, _env: Environment) -> Fire | None:
    hit = _with(e, "silent")
    if not hit:
        return None
    return Fire(
        {
            "host": e.endpoint_host,
            "dead": ", ".join(a.address for a in hit),
            "n": len(hit),
            "total": len(e.endpoint_addresses),
        },
        basis=tuple(f"endpoint_addresses[{a.address}]" for a in hit),
    )


def _no_tcp(e: Evidence, _env: Environment) -> Fire | None:
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


def _resolver_silent(e: Evidence, _env: Environment) -> Fire:
    return Fire({"servers": ", ".join(e.resolvers) or "system"})


def _nxdomain(e: Evidence, _env: Environment) -> Fire | None:
    return Fire({"host": e.endpoint_host}) if e.endpoint_a is DnsOutcome.NXDOMAIN else None


def _aaaa_only(e: Evidence, _env: Environment) -> Fire | None:
    if e.endpoint_a in (None, DnsOutcome.NXDOMAIN) or not e.endpoint_v6:
        return None
    return Fire({"host": e.endpoint_host, "v6": ", ".join(e.endpoint_v6)})


def _dns_failed(e: Evidence, _env: Environment) -> Fire | None:
    failed = (DnsOutcome.NO_ANSWER, DnsOutcome.SERVFAIL, DnsOutcome.REFUSED)
    if e.endpoint_a not in failed or e.endpoint_v6:
        return None
    return Fire({"host": e.endpoint_host, "outcome": e.endpoint_a, "detail": e.endpoint_a_detail})


def _dual_stack(e: Evidence, _env: Environment) -> Fire | None:
    # IPv4 beside the AAAA answer: an IPv6-only record is probed over IPv6 and judged instead
    v4 = any(":" not in a.address for a in e.endpoint_addresses)
    return Fire({"host": e.endpoint_host}) if e.endpoint_v6 and v4 else None


def _public(e: Evidence, _env: Environment) -> Fire:
    where = "the VPC ranges given" if e.vpc_cidrs else "private (RFC 1918) ranges"
    return Fire({"host": e.endpoint_host, "public": ", ".join(e.endpoint_public), "where": where})


def _unreachable(e: Evidence, _env: Environment) -> Fire:
    return Fire(
        {
            "host": e.endpoint_host,
            "addresses": ", ".join(a.address for a in e.endpoint_addresses),
            "statuses": "/".join(e.endpoint_failures),
        }
    )


def _high_rtt(e: Evidence, _env: Environment) -> Fire | None:
    if e.endpoint_rtt_ms is None or e.endpoint_rtt_ms <= HIGH_RTT_MS:
        return None
    return Fire(
        {"host": e.endpoint_host, "rtt": f"{e.endpoint_rtt_ms:.0f}", "limit": f"{HIGH_RTT_MS:.0f}"}
    )


_PER_ADDRESS_FIX = (
    "Check the network ACL, routes and firewall rules towards that address's subnet (each "
    "address is one Availability Zone's interface): every address must answer TCP and UDP on "
    "4195 and 443. Or remove the subnet from the endpoint."
)

DNS_RULES: tuple[FindingRule, ...] = (
    FindingRule(
        "dns-not-configured",
        "DNS_NOT_CONFIGURED",
        Severity.WARNING,
        Owner.DESKTOP,
        "no resolver configuration (verdict unknown)",
        "This machine has no DNS resolver configuration that wsdiag can read, so nothing "
        "could be looked up.",
        "Check the network adapter's DNS settings (or VPN client); to test a specific "
        "resolver run wsdiag with --nameserver IP.",
        facts=(("dns_configured", (N,)),),
        never_with=("DNS_RESOLVER_UNREACHABLE",),
    ),
    FindingRule(
        "no-route",
        "NO_ROUTE",
        Severity.ERROR,
        Owner.USER,
        "no route: every connection failed before a packet left",
        "This machine has no network route: every connection failed with 'network "
        "unreachable' before a packet left.",
        "Connect to the network (Wi-Fi/Ethernet) or the VPN; check that the machine has a "
        "default route or a route to the VPC.",
        facts=(("no_route", (Y,)),),
        never_with=(
            "DNS_RESOLVER_UNREACHABLE",
            "ENDPOINT_UNREACHABLE",
            "PROXY_UNREACHABLE",
            "AUTH_UNREACHABLE",
        ),
    ),
    FindingRule(
        "resolver-silent",
        "DNS_RESOLVER_UNREACHABLE",
        Severity.ERROR,
        Owner.NETWORK,
        "the resolver answered nothing",
        "The DNS resolver ({servers}) did not answer any query, so the WorkSpaces client "
        "cannot find the streaming endpoint or the sign-in service.",
        "Make sure the resolver is reachable on UDP/TCP 53 from this network (firewall, "
        "VPN split-DNS), or fix the DNS servers configured on this machine.",
        facts=(("resolver_reachable", (N,)), ("no_route", NOT_YES), ("dns_configured", NOT_NO)),
        fire=_resolver_silent,
        basis=("resolver_reachable",),
    ),
    FindingRule(
        "endpoint-nxdomain",
        "ENDPOINT_NXDOMAIN",
        Severity.ERROR,
        Owner.NETWORK,
        "the private name does not exist for this resolver",
        "This machine cannot find the WorkSpaces streaming endpoint: the private name "
        "{host} does not exist for its resolver (NXDOMAIN), so it is not using the VPC's DNS.",
        "VPC console > Endpoints > the com.amazonaws.<region>.prod.highlander endpoint: "
        "enable 'Private DNS names' (and, under Your VPCs > Edit VPC settings, DNS "
        "resolution and DNS hostnames); from on-premises or over VPN, forward a2z.com to a "
        "Route 53 Resolver inbound endpoint in that VPC (Route 53 console > Resolver > "
        "Inbound endpoints).",
        facts=(("endpoint_resolves", NOT_YES), ("proxy_http", NOT_YES)),
        fire=_nxdomain,
        basis=("endpoint_a",),
    ),
    FindingRule(
        "endpoint-no-address",
        "ENDPOINT_AAAA_ONLY",
        Severity.WARNING,
        Owner.AWS,
        "only IPv6 addresses, and they could not be judged (verdict unknown); IPv6-only "
        "answers that can be probed are judged like IPv4",
        "The private name {host} has only IPv6 addresses ({v6}) and wsdiag could not judge "
        "them, so it cannot vouch for streaming.",
        "Set the endpoint's DNS record IP type to IPv4 (dual-stack is not supported).",
        facts=(("endpoint_resolves", NOT_YES),),
        fire=_aaaa_only,
        basis=("endpoint_a", "endpoint_v6"),
    ),
    FindingRule(
        "endpoint-no-address",
        "ENDPOINT_DNS_FAILED",
        Severity.ERROR,
        Owner.NETWORK,
        "no IPv4 answer (NODATA, SERVFAIL, REFUSED)",
        "The resolver gave no IPv4 address for {host} ({outcome}: {detail}).",
        "Check the VPC endpoint's private DNS name and the resolver's forwarding for a2z.com.",
        facts=(("endpoint_resolves", NOT_YES),),
        fire=_dns_failed,
        basis=("endpoint_a",),
        never_with=("ENDPOINT_NXDOMAIN",),
    ),
    FindingRule(
        "endpoint-public",
        "ENDPOINT_PUBLIC_ANSWER",
        Severity.ERROR,
        Owner.NETWORK,
        "an address outside RFC 1918 / `--vpc-cidr`",
        "The private name {host} resolves to {public}, outside {where}: this machine is not "
        "getting the VPC endpoint's private DNS answer.",
        "Use the VPC's resolver (VPN split-DNS or a Route 53 Resolver inbound endpoint); "
        "check that 'Private DNS names' is enabled on the endpoint and that no other DNS "
        "zone shadows the name.",
        facts=(("endpoint_private", (N,)),),
        fire=_public,
        basis=("endpoint_public",),
    ),
)

ENDPOINT_RULES: tuple[FindingRule, ...] = (
    FindingRule(
        "endpoint-unreachable",
        "ENDPOINT_UNREACHABLE",
        Severity.ERROR,
        Owner.NETWORK,
        "no address answered on any port or transport",
        "The streaming endpoint does not answer from here: no address of {host} "
        "({addresses}) answered on TCP or UDP 443/4195 ({statuses}).",
        "Give this network a route to the VPC (VPN / Direct Connect / peering), and, in the "
        "VPC console > Security groups > the streaming endpoint's group > Inbound rules, allow "
        "TCP and UDP 443 and 4195 from the client range (and in the subnet's network ACL).",
        facts=(
            ("endpoint_reachable", (N,)),
            ("endpoint_private", (Y,)),
            ("no_route", NOT_YES),
            ("tunnel_up", NOT_YES),
        ),
        fire=_unreachable,
        never_with=("ENDPOINT_ADDRESS_SILENT", "ENDPOINT_TCP_BLOCKED"),
    ),
    FindingRule(
        "endpoint-tcp-blocked",
        "ENDPOINT_TCP_BLOCKED",
        Severity.ERROR,
        Owner.NETWORK,
        "no endpoint address answers on TCP (443 or 4195), QUIC perhaps: DCV authenticates "
        "over TCP, so no session starts",
        "No address of {host} ({addresses}) answers on TCP 443 or 4195{quic}: DCV "
        "authenticates over a TCP WebSocket even when QUIC carries the stream, so no "
        "session can start.",
        "Allow inbound TCP 443 and 4195 in the endpoint's security group and network ACL, "
        "and outbound TCP 443/4195 on any firewall between this network and the VPC.",
        facts=(
            ("endpoint_usable", (N,)),
            ("endpoint_reachable", NOT_NO),
            ("endpoint_private", (Y,)),
        ),
        fire=_no_tcp,
        never_with=("ENDPOINT_QUIC_BLOCKED", "ENDPOINT_4195_BLOCKED"),
    ),
    FindingRule(
        "endpoint-address-silent",
        "ENDPOINT_ADDRESS_SILENT",
        Severity.WARNING,
        Owner.NETWORK,
        "some endpoint addresses (AZs) answer on no path",
        "{n} of {total} addresses of {host} did not answer ({dead}); a client that picks one "
        "of them will fail or wait.",
        "Check the route and network ACL to every endpoint subnet (each address is one "
        "Availability Zone's interface), or remove the subnet from the endpoint.",
        facts=(("endpoint_reachable", (Y,)), ("endpoint_all_addresses", (N,))),
        fire=_silent,
        basis=(),
    ),
    FindingRule(
        "endpoint-address-partial",
        "ENDPOINT_ADDRESS_PARTIAL",
        Severity.WARNING,
        Owner.NETWORK,
        "an endpoint address answers only in part while another is usable: no TCP (QUIC "
        "only), or one 4195 path missing",
        "{share} addresses of {host} answer only in part: {items}. DNS hands every address "
        "to some clients, and those fail or lose a path.",
        _PER_ADDRESS_FIX,
        facts=(("endpoint_usable", (Y,)),),
        fire=_partial,
        basis=(),
    ),
    FindingRule(
        "endpoint-quic-blocked",
        "ENDPOINT_QUIC_BLOCKED",
        Severity.WARNING,
        Owner.NETWORK,
        "an address answers on TCP, not QUIC: TCP fallback (names the addresses)",
        "Streaming will use the slower TCP fallback: the endpoint answers on TCP but not on "
        "UDP (QUIC) at {at}.",
        "VPC console > Security groups > the streaming endpoint's group > Inbound rules: "
        "allow UDP 443 and 4195 from the client range (and in the subnet's network ACL); "
        "allow outbound UDP 443/4195 on any firewall between this network and the VPC.",
        facts=(("endpoint_usable", (Y,)), ("path_mtu_small", NOT_YES)),
        fire=_per_address("no-quic"),
        basis=(),
    ),
    FindingRule(
        "endpoint-4195-blocked",
        "ENDPOINT_4195_BLOCKED",
        Severity.WARNING,
        Owner.AWS,
        "an address answers on 443, not 4195 (TCP nor QUIC): needs Windows/macOS 5.23+, "
        "Linux 2024.7+",
        "Older WorkSpaces clients cannot stream here: the endpoint answers on 443 but not on "
        "4195 at {at}, and only clients with the 443 fallback (Windows and macOS 5.23 or "
        "later, Linux 2024.7 or later) use 443.",
        "VPC console > Security groups > the streaming endpoint's group > Inbound rules: "
        "allow TCP and UDP 4195 from the client range (and outbound 4195 on firewalls "
        "towards the VPC), or make sure every client is recent enough.",
        facts=(("endpoint_usable", (Y,)),),
        fire=_per_address("no-4195"),
        basis=(),
    ),
    FindingRule(
        "endpoint-443-blocked",
        "ENDPOINT_443_BLOCKED",
        Severity.INFO,
        Owner.AWS,
        "an address answers TCP and QUIC 4195 but misses 443 paths",
        "The endpoint answers on 4195 but not on every 443 path at {at}; streaming uses "
        "4195, so this only removes the fallback port.",
        "Allow inbound TCP and UDP 443 in the endpoint's security group as well.",
        facts=(("endpoint_usable", (Y,)),),
        fire=_per_address("no-443"),
        basis=(),
    ),
    FindingRule(
        "endpoint-dual-stack",
        "ENDPOINT_DUAL_STACK",
        Severity.WARNING,
        Owner.AWS,
        "A and AAAA records: dual-stack is not supported",
        "The private name {host} has IPv6 as well as IPv4 addresses; dual-stack is not "
        "supported for WorkSpaces streaming endpoints and the client may prefer IPv6.",
        "Set the VPC endpoint's DNS record IP type to IPv4.",
        facts=(("endpoint_resolves", (Y,)),),
        fire=_dual_stack,
        basis=("endpoint_v6",),
    ),
    FindingRule(
        "endpoint-high-rtt",
        "ENDPOINT_HIGH_RTT",
        Severity.WARNING,
        Owner.NETWORK,
        f"TCP RTT to the endpoint above {HIGH_RTT_MS:.0f} ms",
        "The round trip to {host} is {rtt} ms; above {limit} ms DCV streaming is usable but "
        "sluggish.",
        "Check the VPN or WAN path to the VPC; a closer region may help.",
        fire=_high_rtt,
        basis=("endpoint_rtt_ms",),
    ),
)
