"""The streaming endpoint's facts: does its private name resolve, to private addresses, and
which of each address's four paths answer. Pure.

The rule throughout: only an answer we saw is YES; only a definite failure (refused,
filtered, unreachable, NXDOMAIN ...) is NO; anything else (errors, the deadline, skipped
probes, a send this machine's own firewall refused) is UNKNOWN, so it can never be read as
success.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from wsdiag.check.plan import capped
from wsdiag.evidence.basis import Basis, ids
from wsdiag.evidence.dns import DNS_DEFINITE_NO
from wsdiag.evidence.names import dialed_by, not_public, os_result, os_says_no, with_sources
from wsdiag.evidence.tls import other_at
from wsdiag.vocab.evidence import AddressEvidence, complete, usable
from wsdiag.vocab.model import DnsOutcome, Role, Status, Transport, Tri, all_of, any_of
from wsdiag.vocab.observed import Observed, any_open
from wsdiag.vocab.results import ProbeResult


@dataclass(frozen=True)
class EndpointFacts:
    endpoint_resolves: Tri  # has at least one address the client dials
    endpoint_private: Tri  # every one inside RFC 1918 / --vpc-cidr (or not public)
    endpoint_reachable: Tri  # any address answers on any port/transport
    endpoint_all_addresses: Tri  # every address answers on something
    endpoint_quic: Tri  # QUIC answered on some address/port
    endpoint_tcp: Tri
    endpoint_4195: Tri  # 4195 answers (TCP or QUIC)
    endpoint_443: Tri
    endpoint_usable: Tri  # some address answers on TCP (DCV authenticates there)
    endpoint_complete: Tri  # every address answers TCP 4195 and QUIC 4195
    # the values behind the facts, for messages
    endpoint_addresses: tuple[AddressEvidence, ...]
    endpoint_host: str
    endpoint_hosts: tuple[str, ...]
    endpoint_a: DnsOutcome | None
    endpoint_a_detail: str
    endpoint_v6: tuple[str, ...]
    endpoint_public: tuple[str, ...]
    vpc_cidrs: tuple[str, ...]
    endpoint_failures: tuple[str, ...]
    endpoint_rtt_ms: float | None
    endpoint_unprobed: int
    basis: Basis


def address_unit(address: str, probes: Sequence[ProbeResult]) -> AddressEvidence:
    """The four paths of one endpoint address, each YES / NO / UNKNOWN (see ``any_open``)."""
    mine = [p for p in probes if p.address == address]

    def path(tcp: bool, port: int) -> Tri:
        return any_open(p for p in mine if p.transport.is_tcp is tcp and p.port == port)

    return AddressEvidence(
        address,
        tcp443=path(True, 443),
        tcp4195=path(True, 4195),
        quic443=path(False, 443),
        quic4195=path(False, 4195),
        answered=any_open(mine),
        probes=ids(mine),
    )


def endpoint_addresses(r: Observed) -> tuple[tuple[AddressEvidence, ...], int]:
    """(each probed address of the endpoint as a unit, how many the plan's cap left out)."""
    ep = r.endpoint_id()
    ep_probes = r.endpoint_probes(ep)
    other = other_at(ep_probes, [ep])
    probed, unprobed = capped(dialed_by(r, ep))  # the plan's cut: the rest were never probed
    units = [replace(address_unit(x, ep_probes), other=other.get(x, "")) for x in probed]
    return with_sources(r, ep, units), unprobed


def endpoint_facts(r: Observed) -> EndpointFacts:
    """Observed -> the endpoint's facts, each with the results behind it. One piece past 60
    lines: one named line per fact and per basis entry, read side by side."""
    ep = r.endpoint_id()
    a, aaaa = r.dns_for(ep, "A"), r.dns_for(ep, "AAAA")
    v4 = dialed_by(r, ep)  # what the client dials: IPv4, or IPv6 for an IPv6-only record
    os = os_result(r, ep)
    aaaa_answer = aaaa is not None and aaaa.outcome is DnsOutcome.ANSWER
    if v4 and not os_says_no(r, ep):
        resolves = Tri.YES
    elif os_says_no(r, ep) or (
        os is None and a is not None and a.outcome in DNS_DEFINITE_NO and not aaaa_answer
    ):
        resolves = Tri.NO
    else:
        resolves = Tri.UNKNOWN
    cidrs = r.plan.vpc_cidrs
    private = Tri.of(all(not_public(x, cidrs) for x in v4)) if v4 else Tri.UNKNOWN
    ep_probes = r.endpoint_probes(ep)
    units, unprobed = endpoint_addresses(r)
    # "every address" cannot be YES with addresses nobody probed: a NO stays NO.
    untested = [Tri.UNKNOWN] if unprobed else []
    tcp = [p for p in ep_probes if p.transport.is_tcp]
    quic = [p for p in ep_probes if p.transport is Transport.QUIC]
    rtts = [
        p.ms
        for p in ep_probes
        if p.status is Status.OPEN and p.transport is Transport.TCP and p.ms is not None
    ]
    name_ids, everything = ids([a, os]), ids(ep_probes)
    return EndpointFacts(
        endpoint_resolves=resolves,
        endpoint_private=private,
        endpoint_reachable=any_open(ep_probes),
        endpoint_all_addresses=all_of([u.answered for u in units] + untested),
        endpoint_quic=any_open(quic),
        endpoint_tcp=any_open(tcp),
        endpoint_4195=any_open(p for p in ep_probes if p.port == 4195),
        endpoint_443=any_open(p for p in ep_probes if p.port == 443),
        endpoint_usable=any_of([usable(u) for u in units]),
        endpoint_complete=all_of([complete(u) for u in units] + untested),
        endpoint_addresses=units,
        endpoint_host=r.host(ep),
        endpoint_hosts=tuple(r.host(t) for t in r.target_ids(Role.ENDPOINT)),
        endpoint_a=a.outcome if a else None,
        endpoint_a_detail=a.detail if a else "",
        endpoint_v6=aaaa.addresses if aaaa is not None and aaaa_answer else (),
        endpoint_public=tuple(x for x in v4 if not not_public(x, cidrs)),
        vpc_cidrs=cidrs,
        endpoint_failures=tuple(sorted({str(p.status) for p in ep_probes})),
        endpoint_rtt_ms=min(rtts) if rtts else None,
        endpoint_unprobed=unprobed,
        basis={
            "endpoint_resolves": name_ids,
            "endpoint_private": name_ids,
            "endpoint_a": name_ids,
            "endpoint_public": name_ids,
            "endpoint_v6": ids([aaaa]),
            **{f"endpoint_addresses[{u.address}]": u.probes for u in units},
            "endpoint_reachable": everything,
            "endpoint_all_addresses": everything,
            "endpoint_usable": everything,
            "endpoint_complete": everything,
            "endpoint_failures": everything,
            "endpoint_unprobed": ids([a]),
            "endpoint_quic": ids(quic),
            "endpoint_tcp": ids(tcp),
            "endpoint_4195": ids(p for p in ep_probes if p.port == 4195),
            "endpoint_443": ids(p for p in ep_probes if p.port == 443),
            "endpoint_rtt_ms": ids(p for p in ep_probes if p.transport is Transport.TCP),
        },
    )
