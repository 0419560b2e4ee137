"""Rows that read this machine's facts: the VPN and its routes, an on-link resolver, the path
MTU for QUIC, the client's 443 fallback. Pure (the facts come from
``wsdiag.evidence.machine``); without host facts every fact here is unknown and no row
fires.
"""

from __future__ import annotations

from wsdiag.host.mtu import QUIC_MIN_IP_MTU
from wsdiag.rules.endpoint import at_addresses
from wsdiag.rules.facts import CheckFacts, CheckRule, Defect, with_defect
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.model import DnsOutcome, Environment, Owner, Refusal, Severity, refusal_of
from wsdiag.vocab.rows import NOT_YES, EnvRule, FindingRule, Fire, N, Y


def _endpoint_bad(e: Evidence) -> bool:
    return N in (e.endpoint_resolves, e.endpoint_private, e.endpoint_reachable)


def _proxy_may_stream(e: Evidence) -> bool:
    # The proxy failing to resolve or reach the name too (5xx) is what Private DNS names off
    # looks like from the privatelink name: not "home" either.
    # (A port ACL refuses 4195 before the name is looked up, so 443's answer tells.)
    upstream = any(
        port == 443 and refusal_of(code) is Refusal.UPSTREAM
        for port, code in e.proxy_stream_answers
    )
    return (
        e.proxy_http is Y
        and e.endpoint_resolves is not Y
        and e.internet_reachable is Y
        and ((e.proxy_stream_4195, e.proxy_stream_443) != (N, N) or upstream)
    )


# Inserted before "internet-without-endpoint" (wsdiag.rules.environment): a connected VPN is
# never "home", and "connect the VPN" (HOME_NETWORK) is then never said.
HOST_ENV_RULES: tuple[EnvRule, ...] = (
    EnvRule(
        name="vpn-without-endpoint",
        when=lambda e: e.tunnel_up is Y and _endpoint_bad(e) and e.internet_reachable is Y,
        environment=Environment.VPN,
        text="a VPN is connected, the endpoint is missing, public or silent; internet ok",
    ),
    EnvRule(
        name="proxy-may-carry-streaming",
        when=_proxy_may_stream,
        environment=Environment.UNKNOWN,
        text="an http proxy, the private name has no answer here, and the proxy's CONNECT to "
        "it is not refused on both ports (or only fails to reach it, 5xx): the documented "
        "proxy set-up, or not; not 'home'",
    ),
)


def _routes(e: Evidence) -> str:
    return "; ".join(e.endpoint_routes) or "routes unknown"


def _vpn_misses(c: CheckFacts) -> Fire:
    e = c.evidence
    tunnels = ", ".join(e.tunnels)
    if e.endpoint_via_tunnel is Y:
        how = (
            f"they route through the VPN ({_routes(e)}) but answer on no port through it: "
            "the VPN's far side has no route to the endpoint subnets, or the endpoint's "
            "security group / network ACL does not admit the VPN's client range"
        )
    elif e.endpoint_via_tunnel is N:
        how = (
            f"their routes do not use the VPN ({_routes(e)}): the VPN's routes do not "
            "cover the endpoint subnets"
        )
    else:
        how = "which way the OS routes them is unknown"
    return Fire(
        {"tunnels": tunnels, "host": e.endpoint_host, "how": how},
        basis=("endpoint_via_tunnel", "tunnel_up"),
    )


def _rebind(c: CheckFacts) -> Fire:
    e = c.evidence
    return Fire({"resolver": e.on_link_resolver, "host": e.endpoint_host})


def _mtu(c: CheckFacts) -> Fire:
    e = c.evidence
    where = f"the path MTU is {e.path_mtu} bytes" if e.path_mtu else "the path MTU is smaller"
    return Fire(
        {"host": e.endpoint_host, "where": where, "need": QUIC_MIN_IP_MTU[4], "routes": _routes(e)}
    )


def _mtu_possible(c: CheckFacts) -> Fire:
    e = c.evidence
    via = (
        f" The path goes through the VPN ({', '.join(e.tunnels)}), whose encapsulation "
        "often lowers the MTU."
        if e.endpoint_via_tunnel is Y
        else ""
    )
    return Fire({"host": e.endpoint_host, "need": QUIC_MIN_IP_MTU[4], "via": via})


def _fallback(c: CheckFacts) -> Fire:
    e = c.evidence
    hit = with_defect(e, Defect.NO_4195)
    return Fire(
        {"client": e.client, "at": at_addresses(e, hit)},
        basis=tuple(f"endpoint_addresses[{a.address}]" for a in hit),
    )


HOST_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="vpn-misses-endpoint",
        code="VPN_ROUTES_MISS_ENDPOINT",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="a VPN is connected, the private name resolves privately, no endpoint address "
        "answers: the VPN's routes (or its far side) do not cover the endpoint subnets",
        message="A VPN is connected ({tunnels}) and {host} resolves to private addresses, but no "
        "endpoint address answers: {how}.",
        remediation="Add the endpoint subnets (the VPC's CIDR) to the VPN's split-tunnel route "
        "list and make sure the VPN's far side routes them to the VPC; the VPN is already "
        "connected, reconnecting will not help.",
        facts=(
            ("tunnel_up", (Y,)),
            ("endpoint_private", (Y,)),
            ("endpoint_reachable", (N,)),
            ("no_route", NOT_YES),
        ),
        fire=_vpn_misses,
        never_with=("ENDPOINT_UNREACHABLE", "HOME_NETWORK"),
    ),
    FindingRule(
        name="dns-rebind-likely",
        code="DNS_REBIND_PROTECTION_LIKELY",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="an on-link resolver (a home router) answers NOERROR with no A record for the "
        "private name",
        message="The resolver {resolver} is on this machine's own subnet, as home routers are, and "
        "answered {host} with no address (NOERROR, no A record): DNS-rebind protection, "
        "which removes private addresses from public names' answers, is a likely cause, "
        "next to missing forwarding.",
        remediation="Use the VPN's DNS servers for a2z.com, or exempt a2z.com from the router's "
        "DNS-rebind protection (e.g. dnsmasq's rebind-domain-ok, a FRITZ!Box's exceptions).",
        facts=(
            ("resolver_on_link", (Y,)),
            ("endpoint_resolves", NOT_YES),
            ("endpoint_a", (DnsOutcome.NO_ANSWER,)),
            ("endpoint_has_v6", (N,)),
        ),
        fire=_rebind,
        basis=("resolver_on_link", "endpoint_a"),
    ),
    FindingRule(
        name="path-mtu-small",
        code="PATH_MTU_SMALL",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="QUIC's 1,200-byte datagrams with Don't Fragment do not fit the path to the "
        "endpoint (EMSGSIZE, or an interface MTU below 1,228 bytes)",
        message="QUIC's first datagrams (1200 bytes of UDP, never fragmented) do not fit the path "
        "to {host}: {where}, QUIC needs {need} ({routes}). Streaming falls back to TCP; the "
        "endpoint's security group is not the cause.",
        remediation="Raise the tunnel/VPN interface MTU to at least 1280 bytes (or lower the VPN's "
        "encapsulation overhead), and let ICMP 'fragmentation needed' back through firewalls.",
        facts=(("path_mtu_small", (Y,)), ("endpoint_resolves", (Y,))),
        fire=_mtu,
        never_with=("ENDPOINT_QUIC_BLOCKED",),
    ),
    FindingRule(
        name="quic-mtu-possible",
        code="ENDPOINT_QUIC_MTU_POSSIBLE",
        severity=Severity.INFO,
        owner=Owner.NETWORK,
        when="QUIC silent where TCP answers and no MTU fact either way: a hop below 1,228 bytes "
        "that drops ICMP looks the same as a UDP block",
        message="QUIC to {host} gets no answer where TCP does. Besides a security group or "
        "firewall dropping UDP, a hop with an MTU below {need} bytes that drops ICMP "
        "'fragmentation needed' looks exactly the same; from here wsdiag cannot tell them "
        "apart.{via}",
        remediation="If UDP 443/4195 is allowed end to end, check the MTU of tunnels on the path "
        "(at least 1280 bytes) and let ICMP 'fragmentation needed' through.",
        facts=(
            ("endpoint_quic", (N,)),
            ("endpoint_usable", (Y,)),
            ("path_mtu_small", NOT_YES),
            # an answer that refuses (ICMP port unreachable) is not an MTU problem
            ("endpoint_filtered", (Y,)),
        ),
        fire=_mtu_possible,
        basis=("endpoint_quic", "path_mtu_small"),
    ),
    FindingRule(
        name="client-no-443-fallback",
        code="CLIENT_NO_443_FALLBACK",
        severity=Severity.ERROR,
        owner=Owner.DESKTOP,
        when="4195 blocked at an address and the client running here is older than Windows/macOS "
        "5.23, Linux 2024.7",
        message="{client} has no 443 fallback, and the endpoint does not answer on 4195 at {at}: "
        "this client cannot stream there.",
        remediation="Update the WorkSpaces client (Windows and macOS 5.23 or later, Linux 2024.7 "
        "or later), or allow TCP and UDP 4195 to the endpoint.",
        facts=(
            ("client_fallback_443", (N,)),
            ("endpoint_usable", (Y,)),
            ("address_no_4195", (Y,)),
        ),
        fire=_fallback,
        basis=("client_fallback_443",),
    ),
    FindingRule(
        name="client-has-443-fallback",
        code="CLIENT_HAS_443_FALLBACK",
        severity=Severity.INFO,
        owner=Owner.DESKTOP,
        when="4195 blocked at an address; the client running here has the 443 fallback",
        message="{client} has the 443 fallback, so it streams over 443 at {at}; older clients "
        "elsewhere cannot.",
        remediation="Nothing to do on this machine; for older clients allow TCP and UDP 4195.",
        facts=(
            ("client_fallback_443", (Y,)),
            ("endpoint_usable", (Y,)),
            ("address_no_4195", (Y,)),
        ),
        fire=_fallback,
        basis=("client_fallback_443",),
    ),
)
