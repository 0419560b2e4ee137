"""Who refused the endpoint's direct paths (issue 17): the probes' ICMP readings
(``ProbeResult.icmp``/``offender``, wsdiag.probes.icmp) folded into evidence. Pure.

A path is one (transport, port, address) probe; one prohibited ICMP decides its cause even
where other paths were silent, since Linux firewalls rate-limit the ICMP errors they send per
destination (``icmp_ratelimit``): silence elsewhere is not evidence against the refusal.
"""

from __future__ import annotations

from dataclasses import replace

from wsdiag.check.observed import Observed
from wsdiag.vocab.model import Role, Status, Transport
from wsdiag.vocab.results import Evidence, ProbeResult

PROHIBITED = "prohibited"  # wsdiag.host.errqueue.IcmpKind.PROHIBITED's value


def _path(p: ProbeResult) -> str:
    proto = "udp" if p.transport is Transport.QUIC else "tcp"
    return f"{proto}/{p.port}"


def refusals(probes: list[ProbeResult]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(firewall address, its refused paths "udp/443", "tcp/4195" in probe order) for the
    direct probes an ICMP "administratively prohibited" ended, one entry per sender."""
    by: dict[str, list[str]] = {}
    for p in probes:
        if p.icmp == PROHIBITED and p.offender:
            paths = by.setdefault(p.offender, [])
            if _path(p) not in paths:
                paths.append(_path(p))
    return tuple((who, tuple(paths)) for who, paths in by.items())


def with_refusals(e: Evidence, r: Observed) -> Evidence:
    """``e`` with ``endpoint_refused_by`` (the firewalls and the direct endpoint paths they
    refused with ICMP "administratively prohibited") and ``endpoint_all_refused`` (every
    failed direct endpoint path was refused so); basis ``endpoint_prohibited_all``: the
    refused probes."""
    probes = [p for t in r.target_ids(Role.ENDPOINT) for p in r.endpoint_probes(t)]
    failed = [p for p in probes if p.status not in (Status.OPEN, Status.SKIPPED)]
    refused = [p for p in failed if p.icmp == PROHIBITED and p.offender]
    return replace(
        e,
        endpoint_refused_by=refusals(refused),
        endpoint_all_refused=bool(refused) and len(refused) == len(failed),
        basis={**e.basis, "endpoint_prohibited_all": tuple(p.id for p in refused)},
    )
