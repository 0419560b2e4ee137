"""What a run observed, as the evidence stages and sources read it: the plan and every DNS and
probe result; and what a result proves (``any_open``). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wsdiag.quality.samples import PathSamples
from wsdiag.vocab.model import Fault, Need, Plan, Role, Status, Tri, Via
from wsdiag.vocab.results import DnsResult, ProbeResult

FAILED = {Status.REFUSED, Status.FILTERED, Status.UNREACHABLE}


def definitely_failed(r: ProbeResult) -> bool:
    """A failure that says something about the path: refused, silent, unreachable. A send
    this machine's own firewall refused (``Fault.LOCAL_BLOCK``) never left it: it says
    nothing about the network, so it is no evidence that the path is closed."""
    return r.status in FAILED and r.cause is not Fault.LOCAL_BLOCK


def any_open(results: Iterable[ProbeResult]) -> Tri:
    """YES if any answered; NO if all (at least one) definitely failed; else UNKNOWN."""
    rs = [r for r in results if r.status is not Status.SKIPPED]
    if any(r.status is Status.OPEN for r in rs):
        return Tri.YES
    if rs and all(definitely_failed(r) for r in rs):
        return Tri.NO
    return Tri.UNKNOWN


@dataclass(frozen=True)
class Observed:
    """What the evidence is built from: the plan and the raw results. What other sources
    gathered (this machine's paths, the client's logs) reaches the evidence through their
    own ``EvidenceSource.facts``, never as a field here."""

    plan: Plan
    dns: tuple[DnsResult, ...]
    probes: tuple[ProbeResult, ...]
    samples: tuple[PathSamples, ...] = ()  # the answered endpoint paths' samples (quality)
    # where wsdiag runs (wsdiag.host.where): ("host" | "wsl" | "container", the sign seen)
    where: tuple[str, str] = ("host", "")

    def host(self, target_id: str) -> str:
        return next(pt.host for pt in self.plan.targets if pt.target.id == target_id)

    def dns_for(self, target_id: str, rdtype: str) -> DnsResult | None:
        return next((d for d in self.dns if d.target_id == target_id and d.rdtype == rdtype), None)

    def probes_for(self, target_ids: Iterable[str]) -> list[ProbeResult]:
        ids = set(target_ids)
        return [p for p in self.probes if p.target_id in ids]

    def endpoint_probes(self, target_id: str) -> list[ProbeResult]:
        """The endpoint's direct probes: streaming through a proxy (``…@proxy``, see
        ``plan._streaming_through``) is judged on its own, never as the endpoint answering."""
        return [p for p in self.probes_for([target_id]) if p.via is Via.DIRECT]

    def target_ids(self, role: Role, needs: Iterable[Need] | None = None) -> list[str]:
        wanted = set(needs) if needs is not None else set(Need)
        return [
            pt.target.id
            for pt in self.plan.targets
            if pt.target.role is role and pt.target.need in wanted and not pt.skip_reason
        ]

    def endpoint_id(self) -> str:
        """The endpoint host the facts describe: the first that works, else the first."""
        ids = self.target_ids(Role.ENDPOINT)
        for tid in ids:
            if any_open(self.endpoint_probes(tid)) is Tri.YES:
                return tid
        return ids[0]
