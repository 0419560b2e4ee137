"""Who refused the endpoint's direct paths (issue 17): the probes' causes, where the error
queue named a firewall (``Fault.PROHIBITED`` with its ``offender``, wsdiag.probes.icmp),
folded into facts. Pure.

A path is one (transport, port, address) probe; one prohibited ICMP decides its cause even
where other paths were silent, since Linux firewalls rate-limit the ICMP errors they send per
destination (``icmp_ratelimit``): silence elsewhere is not evidence against the refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wsdiag.evidence.basis import Basis, ids
from wsdiag.vocab.model import Fault, Role, Status, Transport
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import ProbeResult


@dataclass(frozen=True)
class RefusalFacts:
    # (firewall address, the direct endpoint paths it refused, "udp/443" ...)
    endpoint_refused_by: tuple[tuple[str, tuple[str, ...]], ...]
    endpoint_all_refused: bool  # every failed direct endpoint path was refused so
    basis: Basis


def _path(p: ProbeResult) -> str:
    proto = "udp" if p.transport is Transport.QUIC else "tcp"
    return f"{proto}/{p.port}"


def refusals(probes: Sequence[ProbeResult]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(firewall address, its refused paths "udp/443", "tcp/4195" in probe order) for the
    direct probes an ICMP "administratively prohibited" ended, one entry per sender."""
    by: dict[str, list[str]] = {}
    for p in probes:
        if p.cause is Fault.PROHIBITED and p.offender:
            paths = by.setdefault(p.offender, [])
            if _path(p) not in paths:
                paths.append(_path(p))
    return tuple((who, tuple(paths)) for who, paths in by.items())


def refusal_facts(r: Observed) -> RefusalFacts:
    """The firewalls that refused direct endpoint paths with ICMP "administratively
    prohibited", and whether they explain every failed one; basis
    ``endpoint_prohibited_all``: the refused probes."""
    probes = [p for t in r.target_ids(Role.ENDPOINT) for p in r.endpoint_probes(t)]
    failed = [p for p in probes if p.status not in (Status.OPEN, Status.SKIPPED)]
    refused = [p for p in failed if p.cause is Fault.PROHIBITED and p.offender]
    return RefusalFacts(
        endpoint_refused_by=refusals(refused),
        endpoint_all_refused=bool(refused) and len(refused) == len(failed),
        basis={"endpoint_prohibited_all": ids(refused)},
    )
