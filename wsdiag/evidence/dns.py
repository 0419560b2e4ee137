"""The resolver's facts: is DNS configured, did a resolver speak, which were asked. Pure.

``resolver_reachable`` is decided here, once, from both views of DNS: the resolver's own
answers (dnspython) and the OS's (getaddrinfo). A resolver whose answers reached the OS
(not from its hosts file) but not dnspython is not silent.
"""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.check.plan import OS_RDTYPE, RDTYPES
from wsdiag.evidence.basis import Basis, ids
from wsdiag.vocab.model import DnsOutcome, Fault, Tri
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult

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


@dataclass(frozen=True)
class DnsFacts:
    dns_configured: Tri
    resolver_reachable: Tri
    resolvers: tuple[str, ...]  # the nameservers asked
    basis: Basis


def wire(dns: tuple[DnsResult, ...] | list[DnsResult]) -> list[DnsResult]:
    """The resolver's results (A, AAAA), without the OS's."""
    return [d for d in dns if d.rdtype in RDTYPES]


def silent(d: DnsResult) -> bool:
    """The resolver was not heard. A query this machine's own firewall refused to send
    (``Fault.LOCAL_BLOCK``) is not the resolver's silence: it says nothing of the network."""
    return d.outcome in DNS_SILENT and d.cause is not Fault.LOCAL_BLOCK


def dns_facts(r: Observed) -> DnsFacts:
    """Observed -> the resolver's facts, each with the results behind it."""
    all_dns = wire(r.dns)
    not_configured = any(d.outcome is DnsOutcome.NOT_CONFIGURED for d in all_dns)
    configured = Tri.NO if not_configured else (Tri.YES if all_dns else Tri.UNKNOWN)
    # Only an address from a resolver proves one spoke: "no such name" can come from the
    # hosts file alone (or a resolv.conf without servers), a hosts-file answer from no server.
    os_spoke = [
        d
        for d in r.dns
        if d.rdtype == OS_RDTYPE and d.outcome is DnsOutcome.ANSWER and d.reason != "hosts-file"
    ]
    wire_ids = ids(all_dns)
    reachable_basis = wire_ids
    if any(d.outcome in DNS_SPOKE for d in all_dns):
        reachable = Tri.YES
    elif all_dns and all(silent(d) for d in all_dns):
        reachable = Tri.YES if os_spoke else Tri.NO
        reachable_basis = wire_ids + ids(os_spoke)
    else:
        reachable = Tri.UNKNOWN
    return DnsFacts(
        dns_configured=configured,
        resolver_reachable=reachable,
        resolvers=tuple(sorted({d.resolver for d in all_dns if d.resolver})),
        basis={
            "dns_configured": wire_ids,
            "resolver_reachable": reachable_basis,
            "resolvers": wire_ids,
        },
    )
