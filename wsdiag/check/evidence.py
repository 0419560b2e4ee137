"""From raw results to tri-state facts. Pure.

The rule throughout: only an answer we saw is YES; only a definite failure (refused,
filtered, unreachable, NXDOMAIN ...) is NO; anything else (errors, the deadline, skipped
probes) is UNKNOWN, so it can never be read as success.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from wsdiag.check.names import (
    dialed_by,
    names_facts,
    not_public,
    os_result,
    os_says_no,
    wire,
    with_sources,
)
from wsdiag.check.observed import FAILED, Observed, any_open
from wsdiag.check.plan import capped
from wsdiag.check.tls_facts import other_at, tls_facts
from wsdiag.vocab.model import DnsOutcome, Need, Role, Status, Transport, Tri, Via
from wsdiag.vocab.results import AddressEvidence, DnsResult, Evidence, ProbeResult, TargetEvidence

if TYPE_CHECKING:
    pass

RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
DNS_SPOKE = {
    DnsOutcome.ANSWER,
    DnsOutcome.NXDOMAIN,
    DnsOutcome.NO_ANSWER,
    DnsOutcome.SERVFAIL,
    DnsOutcome.REFUSED,
}
DNS_DEFINITE_NO = {
    DnsOutcome.NXDOMAIN,
    DnsOutcome.NO_ANSWER,
    DnsOutcome.SERVFAIL,
    DnsOutcome.REFUSED,
}
DNS_SILENT = {DnsOutcome.TIMEOUT, DnsOutcome.UNREACHABLE, DnsOutcome.NO_ROUTE}


def all_of(facts: Sequence[Tri]) -> Tri:
    if not facts:
        return Tri.UNKNOWN
    if any(f is Tri.NO for f in facts):
        return Tri.NO
    return Tri.YES if all(f is Tri.YES for f in facts) else Tri.UNKNOWN


def any_of(facts: Sequence[Tri]) -> Tri:
    if any(f is Tri.YES for f in facts):
        return Tri.YES
    if facts and all(f is Tri.NO for f in facts):
        return Tri.NO
    return Tri.UNKNOWN


def is_private(address: str, vpc_cidrs: Sequence[str]) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.version != 4:
        return False
    # Explicit RFC 1918 (or the VPC's ranges): ipaddress.is_private is also true for
    # documentation, loopback and link-local ranges, which no VPC endpoint has.
    nets = [ipaddress.IPv4Network(c) for c in vpc_cidrs] or RFC1918
    return any(ip in n for n in nets)


def _has_answer(d: DnsResult | None) -> bool:
    return d is not None and d.outcome is DnsOutcome.ANSWER


TCPISH = (Transport.TCP, Transport.TLS)  # a TCP connection, with or without TLS on top


def _ids(results: Iterable[ProbeResult | DnsResult | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(x.id for x in results if x is not None))


def target_usable(r: Observed, target_id: str) -> Tri:
    """An internet target: can this machine open TCP/TLS 443 to it (as the client would:
    through the OS proxy where one applies)?"""
    tcp = [p for p in r.probes_for([target_id]) if p.transport in TCPISH]
    if any(p.via is Via.PROXY for p in tcp):
        # The proxy resolves the name: what the local resolver says does not matter, and
        # probes skipped because the proxy is untested leave the answer unknown.
        return any_open(tcp)
    a = r.dns_for(target_id, "A")
    if os_says_no(r, target_id):
        return Tri.NO  # the OS decides what the client can resolve
    if a is not None and a.outcome in DNS_DEFINITE_NO and os_result(r, target_id) is None:
        return Tri.NO
    return any_open(tcp)


def address_unit(address: str, probes: Sequence[ProbeResult]) -> AddressEvidence:
    """The four paths of one endpoint address, each YES / NO / UNKNOWN (see ``any_open``)."""
    mine = [p for p in probes if p.address == address]

    def path(kinds: tuple[Transport, ...], port: int) -> Tri:
        return any_open(p for p in mine if p.transport in kinds and p.port == port)

    return AddressEvidence(
        address,
        tcp443=path(TCPISH, 443),
        tcp4195=path(TCPISH, 4195),
        quic443=path((Transport.QUIC,), 443),
        quic4195=path((Transport.QUIC,), 4195),
        answered=any_open(mine),
        probes=_ids(mine),
    )


def usable(a: AddressEvidence) -> Tri:
    """DCV authenticates over a TCP WebSocket even when QUIC carries the data (DCV admin
    guide, "Disabling the QUIC UDP transport protocol"): no TCP, no session. Something
    else answering there (``a.other``) is not the endpoint: not usable."""
    return Tri.NO if a.other else any_of([a.tcp443, a.tcp4195])


def complete(a: AddressEvidence) -> Tri:
    """Both 4195 paths answer: every client, old or new, streams as designed."""
    return Tri.NO if a.other else all_of([a.tcp4195, a.quic4195])


def _dns_facts(r: Observed, basis: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    all_dns = wire(r.dns)  # the resolver's own answers; the OS's are read in names.py
    not_configured = any(d.outcome is DnsOutcome.NOT_CONFIGURED for d in all_dns)
    dns_configured = Tri.NO if not_configured else (Tri.YES if all_dns else Tri.UNKNOWN)
    if any(d.outcome in DNS_SPOKE for d in all_dns):
        resolver_reachable = Tri.YES
    elif all_dns and all(d.outcome in DNS_SILENT for d in all_dns):
        resolver_reachable = Tri.NO
    else:
        resolver_reachable = Tri.UNKNOWN
    basis["dns_configured"] = basis["resolver_reachable"] = _ids(all_dns)
    basis["resolvers"] = basis["resolver_reachable"]
    return {
        "dns_configured": dns_configured,
        "resolver_reachable": resolver_reachable,
        "resolvers": tuple(sorted({d.resolver for d in all_dns if d.resolver})),
    }


def _endpoint_dns(r: Observed, basis: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    ep = r.endpoint_id()
    a, aaaa = r.dns_for(ep, "A"), r.dns_for(ep, "AAAA")
    v4 = dialed_by(
        r, r.endpoint_id()
    )  # what the client dials: IPv4, or IPv6 for an IPv6-only record
    os = os_result(r, ep)
    if v4 and not os_says_no(r, ep):
        resolves = Tri.YES
    elif os_says_no(r, ep) or (
        os is None and a is not None and a.outcome in DNS_DEFINITE_NO and not _has_answer(aaaa)
    ):
        resolves = Tri.NO
    else:
        resolves = Tri.UNKNOWN
    cidrs = r.plan.vpc_cidrs
    private = Tri.of(all(not_public(x, cidrs) for x in v4)) if v4 else Tri.UNKNOWN
    for fact in ("endpoint_resolves", "endpoint_private", "endpoint_a", "endpoint_public"):
        basis[fact] = _ids([a, os])
    basis["endpoint_v6"] = _ids([aaaa])
    return {
        "endpoint_resolves": resolves,
        "endpoint_private": private,
        "endpoint_host": r.host(ep),
        "endpoint_hosts": tuple(r.host(t) for t in r.target_ids(Role.ENDPOINT)),
        "endpoint_a": a.outcome if a else None,
        "endpoint_a_detail": a.detail if a else "",
        "endpoint_v6": aaaa.addresses if aaaa and _has_answer(aaaa) else (),
        "endpoint_public": tuple(x for x in v4 if not not_public(x, cidrs)),
        "vpc_cidrs": cidrs,
    }


def _endpoint_paths(r: Observed, basis: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    ep_probes = r.endpoint_probes(r.endpoint_id())
    other = other_at(ep_probes, [r.endpoint_id()])
    v4 = dialed_by(r, r.endpoint_id())
    probed, unprobed = capped(v4)  # the plan's cut: the rest were never probed
    units = with_sources(
        r,
        r.endpoint_id(),
        [replace(address_unit(x, ep_probes), other=other.get(x, "")) for x in probed],
    )
    # "every address" cannot be YES with addresses nobody probed: a NO stays NO.
    untested = [Tri.UNKNOWN] if unprobed else []
    for u in units:
        basis[f"endpoint_addresses[{u.address}]"] = u.probes
    tcp = [p for p in ep_probes if p.transport in TCPISH]
    quic = [p for p in ep_probes if p.transport is Transport.QUIC]
    rtts = [
        p.ms
        for p in ep_probes
        if p.status is Status.OPEN and p.transport is Transport.TCP and p.ms is not None
    ]
    everything = _ids(ep_probes)
    for fact in (
        "endpoint_reachable",
        "endpoint_all_addresses",
        "endpoint_usable",
        "endpoint_complete",
        "endpoint_failures",
    ):
        basis[fact] = everything
    basis["endpoint_unprobed"] = _ids([r.dns_for(r.endpoint_id(), "A")])
    basis["endpoint_quic"], basis["endpoint_tcp"] = _ids(quic), _ids(tcp)
    basis["endpoint_4195"] = _ids(p for p in ep_probes if p.port == 4195)
    basis["endpoint_443"] = _ids(p for p in ep_probes if p.port == 443)
    basis["endpoint_rtt_ms"] = _ids(p for p in ep_probes if p.transport is Transport.TCP)
    return {
        "endpoint_reachable": any_open(ep_probes),
        "endpoint_all_addresses": all_of([u.answered for u in units] + untested),
        "endpoint_quic": any_open(quic),
        "endpoint_tcp": any_open(tcp),
        "endpoint_4195": any_open(p for p in ep_probes if p.port == 4195),
        "endpoint_443": any_open(p for p in ep_probes if p.port == 443),
        "endpoint_usable": any_of([usable(u) for u in units]),
        "endpoint_complete": all_of([complete(u) for u in units] + untested),
        "endpoint_unprobed": unprobed,
        "endpoint_addresses": units,
        "endpoint_failures": tuple(sorted({str(p.status) for p in ep_probes})),
        "endpoint_rtt_ms": min(rtts) if rtts else None,
    }


def _no_route(r: Observed, basis: dict[str, tuple[str, ...]]) -> Tri:
    tried = [p for p in r.probes if p.status is not Status.SKIPPED]
    dns = wire(r.dns)  # getaddrinfo reports "no route" as a plain error: the resolver's say
    no_route_dns = [d for d in dns if d.outcome is DnsOutcome.NO_ROUTE]
    unreachable = [p for p in tried if p.status is Status.UNREACHABLE]
    dns_no_route = bool(no_route_dns) and all(d.outcome in DNS_SILENT for d in dns)
    basis["no_route"] = _ids(no_route_dns) + _ids(unreachable)
    # Every connection we tried failed for lack of a route (and, when DNS could not even
    # reach its server for the same reason, possibly there were none to try).
    return Tri.of(len(unreachable) == len(tried) and (dns_no_route or bool(tried)))


def gather(r: Observed) -> Evidence:
    """Observed -> Evidence: every fact with the ids of the results behind it in ``basis``."""
    basis: dict[str, tuple[str, ...]] = {}
    facts: dict[str, Any] = {}
    facts.update(_dns_facts(r, basis))
    facts.update(_endpoint_dns(r, basis))
    facts.update(_endpoint_paths(r, basis))
    facts.update(internet_facts(r, basis))
    facts["no_route"] = _no_route(r, basis)
    facts["proxy"] = r.plan.proxy
    facts["region"] = r.plan.region.code
    facts.update(tls_facts(r, basis))
    facts.update(names_facts(r, basis, facts))
    return Evidence(basis=basis, **facts)


# --- the internet: sign-in, registration, supporting domains, health check ---------------
# Where the OS has an HTTPS proxy, the client sends its 443 traffic (sign-in, registration,
# API, updates) through it, never UDP and never streaming to the private endpoint.

_PROXY_DOWN_PHASES = ("proxy-resolve", "proxy-connect")


def _proxy_down(p: ProbeResult) -> bool:
    """The proxy itself could not be reached (its name, or its port)."""
    return p.via is Via.PROXY and p.phase in _PROXY_DOWN_PHASES and p.status in FAILED


def _proxy_auth(p: ProbeResult) -> bool:
    return p.via is Via.PROXY and p.proxy_status == 407


def _proxy_down_why(p: ProbeResult) -> str:
    if p.phase == "proxy-resolve":
        return "its name does not resolve"
    return {
        Status.REFUSED: "connection refused",
        Status.FILTERED: "no answer",
        Status.UNREACHABLE: "no route",
    }.get(p.status, str(p.status))


def _why(p: ProbeResult) -> str:
    text = f"{p.transport}/{p.port} {p.status}"
    if p.via is Via.PROXY:
        text += f" by the proxy (HTTP {p.proxy_status})" if p.proxy_status else " via the proxy"
    return text


def target_unit(r: Observed, target_id: str, need: Need) -> TargetEvidence:
    """One internet target's facts, the proxy's part in them included."""
    mine = r.probes_for([target_id])
    tcp = [p for p in mine if p.transport in TCPISH]
    proxied = [p for p in tcp if p.via is Via.PROXY]
    a = r.dns_for(target_id, "A")
    if a is not None and a.outcome is not DnsOutcome.ANSWER and not proxied:
        why = f"DNS {a.outcome}"
    else:
        why = ", ".join(_why(p) for p in tcp)
    down = [p for p in proxied if _proxy_down(p)]
    return TargetEvidence(
        target_id,
        r.host(target_id),
        need,
        target_usable(r, target_id),
        why,
        quic=any_open(p for p in mine if p.transport is Transport.QUIC),
        proxied=bool(proxied),
        proxy_refused=any(p.proxy_status for p in proxied),
        proxy_down=_ids(down),
        proxy_down_why=_proxy_down_why(down[0]) if down else "",
        proxy_auth=_ids(p for p in proxied if _proxy_auth(p)),
        proxy_used=_ids(
            p
            for p in proxied
            if p.status is not Status.SKIPPED and not _proxy_down(p) and not _proxy_auth(p)
        ),
        proxy_untested=_ids(p for p in proxied if p.status is Status.SKIPPED),
        proxy_explains=bool(tcp) and all(_proxy_down(p) or _proxy_auth(p) for p in tcp),
        probes=_ids([*mine, a]),
        dns=a.outcome if a is not None and not proxied else None,
    )


def internet_facts(r: Observed, basis: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """The internet side's Evidence fields (auth, optional, health, TLS trust, per-target
    units); records each fact's result ids in ``basis``."""
    needed = r.target_ids(Role.AUTH, [Need.NEEDED])
    expected = r.target_ids(Role.AUTH, [Need.EXPECTED])
    units = tuple(
        target_unit(r, pt.target.id, pt.target.need)
        for pt in r.plan.targets
        if pt.target.role is Role.AUTH and not pt.skip_reason
    )
    for u in units:
        basis[f"targets[{u.id}]"] = u.probes
    need_units = [u for u in units if u.need is Need.NEEDED]
    exp_units = [u for u in units if u.need is Need.EXPECTED]
    basis["auth_reachable"] = _ids(r.probes_for(needed))
    basis["internet_reachable"] = _ids(r.probes_for(needed + expected))
    basis["optional_reachable"] = _ids(r.probes_for(expected))
    quic = [p for p in r.probes_for(needed) if p.transport is Transport.QUIC]
    basis["auth_quic"] = _ids(quic)
    health = r.target_ids(Role.HEALTH)
    basis["beyond_443"] = basis["health_hosts"] = _ids(r.probes_for(health))
    untrusted = [p for p in r.probes if p.transport is Transport.TLS and p.tls_trusted is False]
    basis["tls_untrusted"] = _ids(untrusted)
    basis["proxy"] = _ids(p for p in r.probes if p.via is Via.PROXY)
    return {
        "auth_reachable": all_of([u.usable for u in need_units]),
        "internet_reachable": any_of([u.usable for u in units]),
        "optional_reachable": all_of([u.usable for u in exp_units]),
        "auth_quic": any_open(quic),
        "beyond_443": any_open(r.probes_for(health)),
        "health_hosts": tuple(r.host(t) for t in health),
        "tls_untrusted": tuple(sorted({p.host for p in untrusted})),
        "targets": units,
    }
