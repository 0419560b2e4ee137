"""Names as the OS resolves them, beside the resolver's answer: which addresses the client
dials, where the two differ and why, captive portals, RFC 6598 shared space. Pure.

The OS's answer (getaddrinfo: hosts file, per-domain resolvers, VPN split DNS) is what the
WorkSpaces client dials, so it decides "resolves"; the resolver's answer (dnspython) stays
for the detail. Without an OS answer (--nameserver given, or the OS failed) the resolver's
answer is used as before.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace

from wsdiag.check.plan import OS_RDTYPE, dialed
from wsdiag.evidence.basis import Basis
from wsdiag.evidence.dns import wire
from wsdiag.vocab.evidence import AddressEvidence, NameDivergence
from wsdiag.vocab.model import DnsOutcome, Need, Role, Tri
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult

# RFC 6598 shared address space: CGNAT, and the synthetic addresses zero-trust clients
# (Cloudflare WARP, Tailscale, Zscaler ...) hand out for private names. Neither RFC 1918 nor
# public: a name answered there is reached through an overlay.
SHARED = ipaddress.IPv4Network("100.64.0.0/10")
RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
DECISIVE = {DnsOutcome.ANSWER, DnsOutcome.NXDOMAIN, DnsOutcome.NO_ANSWER}
CAPTIVE_MIN_NAMES = 3  # the endpoint and at least two unrelated names (broker, a CDN name)


def is_shared(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.version == 4 and ip in SHARED


def not_public(address: str, vpc_cidrs: Sequence[str]) -> bool:
    """An endpoint address that is not a public answer: RFC 1918 (or --vpc-cidr), RFC 6598
    shared space, or IPv6 (a VPC's IPv6 ranges are global unicast: the range tells nothing;
    the paths judge it)."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        return True
    nets = [ipaddress.IPv4Network(c) for c in vpc_cidrs] or list(RFC1918)
    return any(ip in n for n in nets) or ip in SHARED


def answers(r: Observed, target_id: str) -> list[DnsResult]:
    return [d for d in r.dns if d.target_id == target_id]


def os_result(r: Observed, target_id: str) -> DnsResult | None:
    return next((d for d in answers(r, target_id) if d.rdtype == OS_RDTYPE), None)


def dialed_by(r: Observed, target_id: str) -> tuple[str, ...]:
    """What the client dials for this target (see wsdiag.check.plan.dialed)."""
    return dialed(answers(r, target_id), r.plan.families)


def os_says_no(r: Observed, target_id: str) -> bool:
    """The OS definitely cannot resolve the name (getaddrinfo: no such name)."""
    o = os_result(r, target_id)
    return o is not None and o.outcome is DnsOutcome.NXDOMAIN


def _wire_addresses(dns: Sequence[DnsResult], family: str) -> tuple[str, ...] | None:
    """The resolver's addresses of one type, () for a definite no, None when not known."""
    d = next((x for x in dns if x.rdtype == family), None)
    if d is None or d.outcome not in DECISIVE:
        return None
    return d.addresses if d.outcome is DnsOutcome.ANSWER else ()


def divergence(r: Observed, target_id: str, host: str, needed: bool) -> NameDivergence | None:
    """The OS's and the resolver's answers for one name, when they differ: the OS answered
    and the resolver did not (or gave other IPv4/IPv6 addresses), or the OS failed where
    the resolver answered."""
    os = os_result(r, target_id)
    mine = answers(r, target_id)
    a, aaaa = _wire_addresses(mine, "A"), _wire_addresses(mine, "AAAA")
    if os is None or os.outcome is DnsOutcome.SKIPPED:
        return None
    wire_any = bool(a) or bool(aaaa)
    if os.outcome is DnsOutcome.ANSWER:
        v4 = {x for x in os.addresses if ":" not in x}
        v6 = {x for x in os.addresses if ":" in x}
        differs = (a is None or set(a) != v4) or (aaaa is not None and set(aaaa) != v6)
    else:
        differs = wire_any
    if not differs:
        return None
    a_result = next((x for x in mine if x.rdtype == "A"), None)
    return NameDivergence(
        host=host,
        target_id=target_id,
        needed=needed,
        os_outcome=os.outcome,
        os_addresses=os.addresses,
        dns_outcome=a_result.outcome if a_result else None,
        dns_addresses=(a or ()) + (aaaa or ()),
        reason=os.reason or "unknown",
        detail=os.detail,
        ids=tuple(x.id for x in mine),
    )


def _divergences(r: Observed) -> tuple[NameDivergence, ...]:
    out = []
    for pt in r.plan.targets:
        if pt.skip_reason:
            continue
        t = pt.target
        needed = t.role is Role.ENDPOINT or (t.role is Role.AUTH and t.need is Need.NEEDED)
        d = divergence(r, t.id, pt.host, needed)
        if d is not None:
            out.append(d)
    return tuple(out)


def _domain(host: str) -> str:
    return ".".join(host.split(".")[-2:])


def captive(r: Observed) -> tuple[Tri, str, tuple[str, ...], tuple[str, ...]]:
    """(fact, the one address, the names on it, their result ids): the endpoint and names of
    other, unrelated domains (the broker, a CDN name) all resolving to one and the same
    single address: a captive portal or a DNS hijack. Uses only answers already in hand."""
    by_name: dict[str, tuple[str, tuple[str, ...]]] = {}
    for pt in r.plan.targets:
        if not pt.skip_reason:
            by_name[pt.target.id] = (pt.host, dialed_by(r, pt.target.id))
    endpoints = r.target_ids(Role.ENDPOINT)
    if not endpoints or not any(by_name.get(e, ("", ()))[1] for e in endpoints):
        return Tri.UNKNOWN, "", (), ()
    for ep in endpoints:
        _, addrs = by_name.get(ep, ("", ()))
        if len(addrs) != 1:
            continue
        same = [(tid, h) for tid, (h, a) in by_name.items() if a == addrs]
        if len(same) >= CAPTIVE_MIN_NAMES and len({_domain(h) for _, h in same}) >= 3:
            ids = tuple(x.id for tid, _ in same for x in answers(r, tid))
            return Tri.YES, addrs[0], tuple(h for _, h in same), ids
    return Tri.NO, "", (), ()


def with_sources(
    r: Observed, target_id: str, units: Sequence[AddressEvidence]
) -> tuple[AddressEvidence, ...]:
    """Each endpoint address marked with whether the OS and the resolver answered it."""
    mine = answers(r, target_id)
    os = os_result(r, target_id)
    wire_addrs = {x for d in wire(mine) if d.outcome is DnsOutcome.ANSWER for x in d.addresses}
    wire_known = any(d.outcome in DECISIVE for d in wire(mine))

    def tri(known: bool, hit: bool) -> Tri:
        return Tri.of(hit) if known else Tri.UNKNOWN

    os_known = os is not None and os.outcome in (DnsOutcome.ANSWER, DnsOutcome.NXDOMAIN)
    return tuple(
        replace(
            u,
            os_answer=tri(os_known, os is not None and u.address in os.addresses),
            dns_answer=tri(wire_known, u.address in wire_addrs),
        )
        for u in units
    )


@dataclass(frozen=True)
class NameFacts:
    os_consulted: Tri  # NO: --nameserver given, getaddrinfo not asked
    # YES: --nameserver given (the plan's), the only resolver asked; NO: the OS's own
    nameserver_given: Tri
    nameservers_given: tuple[str, ...]  # as the report writes them ("127.0.0.1:5353")
    name_divergences: tuple[NameDivergence, ...]  # names the OS answers differently
    captive_portal: Tri  # unrelated names all resolve to one address
    captive_address: str
    captive_hosts: tuple[str, ...]
    endpoint_overlay: tuple[str, ...]  # endpoint addresses in RFC 6598 shared space
    basis: Basis


def name_facts(r: Observed, endpoint_addresses: Sequence[AddressEvidence]) -> NameFacts:
    """Observed and the endpoint's probed addresses -> the names' facts, each with the
    results behind it."""
    os_all = [d for d in r.dns if d.rdtype == OS_RDTYPE]
    divs = _divergences(r)
    fact, address, hosts, captive_ids = captive(r)
    overlay = [u for u in endpoint_addresses if is_shared(u.address)]
    return NameFacts(
        os_consulted=Tri.YES if os_all else Tri.NO,
        nameserver_given=Tri.of(bool(r.plan.nameservers)),
        nameservers_given=tuple(str(ns) for ns in r.plan.nameservers),
        name_divergences=divs,
        captive_portal=fact,
        captive_address=address,
        captive_hosts=hosts,
        endpoint_overlay=tuple(u.address for u in overlay),
        basis={
            "os_consulted": tuple(d.id for d in os_all),
            # the lookups that server answered: every answer this run's verdict rests on
            "nameserver_given": tuple(d.id for d in r.dns if d.rdtype != OS_RDTYPE)
            if r.plan.nameservers
            else (),
            "name_divergences": tuple(i for d in divs for i in d.ids),
            "captive_portal": captive_ids,
            "endpoint_overlay": tuple(i for u in overlay for i in u.probes),
        },
    )
