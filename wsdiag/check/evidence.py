"""From raw results to tri-state facts. Pure.

The rule throughout: only an answer we saw is YES; only a definite failure (refused,
filtered, unreachable, NXDOMAIN ...) is NO; anything else (errors, the deadline, skipped
probes) is UNKNOWN, so it can never be read as success.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wsdiag.model import (
    DnsOutcome,
    DnsResult,
    Evidence,
    Need,
    Plan,
    ProbeResult,
    Role,
    Status,
    Transport,
    Tri,
    Via,
)

RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
FAILED = {Status.REFUSED, Status.FILTERED, Status.UNREACHABLE}
DNS_SPOKE = {DnsOutcome.ANSWER, DnsOutcome.NXDOMAIN, DnsOutcome.NO_ANSWER,
             DnsOutcome.SERVFAIL, DnsOutcome.REFUSED}
DNS_DEFINITE_NO = {DnsOutcome.NXDOMAIN, DnsOutcome.NO_ANSWER, DnsOutcome.SERVFAIL,
                   DnsOutcome.REFUSED}
DNS_SILENT = {DnsOutcome.TIMEOUT, DnsOutcome.UNREACHABLE, DnsOutcome.NO_ROUTE}


def any_open(results: Iterable[ProbeResult]) -> Tri:
    """YES if any answered; NO if all (at least one) definitely failed; else UNKNOWN."""
    rs = [r for r in results if r.status is not Status.SKIPPED]
    if any(r.status is Status.OPEN for r in rs):
        return Tri.YES
    if rs and all(r.status in FAILED for r in rs):
        return Tri.NO
    return Tri.UNKNOWN


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


@dataclass(frozen=True)
class Results:
    """Everything a rule may look at: the plan, the facts and the raw results."""

    plan: Plan
    dns: tuple[DnsResult, ...]
    probes: tuple[ProbeResult, ...]

    def host(self, target_id: str) -> str:
        return next(pt.host for pt in self.plan.targets if pt.target.id == target_id)

    def dns_for(self, target_id: str, rdtype: str) -> DnsResult | None:
        return next((d for d in self.dns if d.target_id == target_id and d.rdtype == rdtype), None)

    def probes_for(self, target_ids: Iterable[str]) -> list[ProbeResult]:
        ids = set(target_ids)
        return [p for p in self.probes if p.target_id in ids]

    def target_ids(self, role: Role, needs: Iterable[Need] | None = None) -> list[str]:
        wanted = set(needs) if needs is not None else set(Need)
        return [
            pt.target.id for pt in self.plan.targets
            if pt.target.role is role and pt.target.need in wanted and not pt.skip_reason
        ]

    def endpoint_id(self) -> str:
        """The endpoint host the facts describe: the first that works, else the first."""
        ids = self.target_ids(Role.ENDPOINT)
        for tid in ids:
            if any_open(self.probes_for([tid])) is Tri.YES:
                return tid
        return ids[0]

    def endpoint_v4(self) -> tuple[str, ...]:
        a = self.dns_for(self.endpoint_id(), "A")
        if a is None or a.outcome is not DnsOutcome.ANSWER:
            return ()
        return tuple(x for x in a.addresses if ipaddress.ip_address(x).version == 4)


def _has_answer(d: DnsResult | None) -> bool:
    return d is not None and d.outcome is DnsOutcome.ANSWER


def target_usable(r: Results, target_id: str) -> Tri:
    """An internet target: can this machine open TCP/TLS 443 to it (as the client would:
    through the OS proxy where one applies)?"""
    tcp = [p for p in r.probes_for([target_id]) if p.transport is not Transport.QUIC]
    if any(p.via is Via.PROXY for p in tcp):
        # The proxy resolves the name: what the local resolver says does not matter, and
        # probes skipped because the proxy is untested leave the answer unknown.
        return any_open(tcp)
    a = r.dns_for(target_id, "A")
    if a is not None and a.outcome in DNS_DEFINITE_NO:
        return Tri.NO
    return any_open(tcp)


def gather(r: Results) -> Evidence:
    plan = r.plan
    all_dns = r.dns
    basis: dict[str, tuple[str, ...]] = {}

    not_configured = any(d.outcome is DnsOutcome.NOT_CONFIGURED for d in all_dns)
    dns_configured = Tri.NO if not_configured else (Tri.YES if all_dns else Tri.UNKNOWN)
    if any(d.outcome in DNS_SPOKE for d in all_dns):
        resolver_reachable = Tri.YES
    elif all_dns and all(d.outcome in DNS_SILENT for d in all_dns):
        resolver_reachable = Tri.NO
    else:
        resolver_reachable = Tri.UNKNOWN
    basis["resolver_reachable"] = tuple(d.id for d in all_dns)

    ep = r.endpoint_id()
    a = r.dns_for(ep, "A")
    v4 = r.endpoint_v4()
    if v4:
        resolves = Tri.YES
    elif a is not None and a.outcome in DNS_DEFINITE_NO and not _has_answer(r.dns_for(ep, "AAAA")):
        resolves = Tri.NO  # (IPv6-only is not "no": we test IPv4 and cannot judge it)
    else:
        resolves = Tri.UNKNOWN
    basis["endpoint_resolves"] = (a.id,) if a else ()
    private = Tri.of(all(is_private(x, plan.vpc_cidrs) for x in v4)) if v4 else Tri.UNKNOWN
    basis["endpoint_private"] = basis["endpoint_resolves"]

    ep_probes = r.probes_for([ep])
    reachable = any_open(ep_probes)
    basis["endpoint_reachable"] = tuple(p.id for p in ep_probes)
    per_address = [any_open(p for p in ep_probes if p.address == x) for x in v4]
    all_addresses = all_of(per_address)
    quic = any_open(p for p in ep_probes if p.transport is Transport.QUIC)
    tcp = any_open(p for p in ep_probes if p.transport is not Transport.QUIC)
    p4195 = any_open(p for p in ep_probes if p.port == 4195)
    p443 = any_open(p for p in ep_probes if p.port == 443)

    needed = r.target_ids(Role.AUTH, [Need.NEEDED])
    expected = r.target_ids(Role.AUTH, [Need.EXPECTED])
    auth = all_of([target_usable(r, t) for t in needed])
    internet = any_of([target_usable(r, t) for t in needed + expected])
    optional = all_of([target_usable(r, t) for t in expected])
    basis["auth_reachable"] = tuple(p.id for p in r.probes_for(needed))
    basis["internet_reachable"] = tuple(p.id for p in r.probes_for(needed + expected))

    health = r.target_ids(Role.HEALTH)
    beyond = any_open(r.probes_for(health))
    basis["beyond_443"] = tuple(p.id for p in r.probes_for(health))

    tried = [p for p in r.probes if p.status is not Status.SKIPPED]
    no_route_dns = [d for d in all_dns if d.outcome is DnsOutcome.NO_ROUTE]
    unreachable = [p for p in tried if p.status is Status.UNREACHABLE]
    dns_no_route = bool(no_route_dns) and all(d.outcome in DNS_SILENT for d in all_dns)
    # Every connection we tried failed for lack of a route (and, when DNS could not even
    # reach its server for the same reason, possibly there were none to try).
    no_route = Tri.of(len(unreachable) == len(tried) and (dns_no_route or bool(tried)))
    basis["no_route"] = tuple(d.id for d in no_route_dns) + tuple(p.id for p in unreachable)

    return Evidence(
        dns_configured=dns_configured,
        resolver_reachable=resolver_reachable,
        endpoint_resolves=resolves,
        endpoint_private=private,
        endpoint_reachable=reachable,
        endpoint_all_addresses=all_addresses,
        endpoint_quic=quic,
        endpoint_tcp=tcp,
        endpoint_4195=p4195,
        endpoint_443=p443,
        auth_reachable=auth,
        internet_reachable=internet,
        optional_reachable=optional,
        beyond_443=beyond,
        no_route=no_route,
        basis=basis,
    )
