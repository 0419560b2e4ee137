"""Did anything leave this machine: "no route" everywhere, or sends its own firewall refused.
Pure.

Both read the error map's cause (``ProbeResult.cause``), never an errno. A send refused by
this machine's firewall (``Fault.LOCAL_BLOCK``: EPERM/EACCES) is not "no route": the
machine may well be online, and "connect to a network" would send the user the wrong way.
"""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.evidence.basis import Basis, ids
from wsdiag.evidence.dns import DNS_SILENT, wire
from wsdiag.vocab.model import DnsOutcome, Fault, Status, Tri
from wsdiag.vocab.observed import Observed

# An ICMP filter's answer names a far-side filter, not a missing route (once its sender is
# known: see Fault.PROHIBITED); a local block is its own fact.
_NOT_A_ROUTE = {Fault.LOCAL_BLOCK, Fault.PROHIBITED}


@dataclass(frozen=True)
class RouteFacts:
    no_route: Tri  # every failure was "no route"
    local_block: Tri  # this machine's own firewall refused some send
    local_blocked: tuple[str, ...]  # the hosts whose sends it refused, for messages
    basis: Basis


def route_facts(r: Observed) -> RouteFacts:
    """Observed -> the route facts, each with the results behind it."""
    tried = [p for p in r.probes if p.status is not Status.SKIPPED]
    dns = wire(r.dns)  # getaddrinfo reports "no route" as a plain error: the resolver's say
    blocked = [p for p in tried if p.cause is Fault.LOCAL_BLOCK]
    blocked_dns = [d for d in dns if d.cause is Fault.LOCAL_BLOCK]
    # What did leave (or was refused a route): a local block says nothing about routes.
    sent = [p for p in tried if p.cause not in _NOT_A_ROUTE]
    asked = [d for d in dns if d.cause not in _NOT_A_ROUTE]
    no_route_dns = [d for d in asked if d.outcome is DnsOutcome.NO_ROUTE]
    unreachable = [p for p in sent if p.status is Status.UNREACHABLE]
    dns_no_route = bool(no_route_dns) and all(d.outcome in DNS_SILENT for d in asked)
    # Every connection we tried failed for lack of a route (and, when DNS could not even
    # reach its server for the same reason, possibly there were none to try).
    no_route = Tri.of(len(unreachable) == len(sent) and (dns_no_route or bool(sent)))
    local = Tri.YES if blocked or blocked_dns else (Tri.NO if tried or dns else Tri.UNKNOWN)
    return RouteFacts(
        no_route=no_route,
        local_block=local,
        local_blocked=tuple(
            dict.fromkeys([*(d.host for d in blocked_dns), *(p.host for p in blocked)])
        ),
        basis={
            "no_route": ids(no_route_dns) + ids(unreachable),
            "local_block": ids(blocked_dns) + ids(blocked),
        },
    )
