"""The cloud cross-check as an evidence source (issue 15 item 3): ``gather`` reads AWS
within its budget (boto3 imported there, only with ``--aws``), ``facts`` correlates what
was read with the run's DNS and probe results (pure), ``to_json`` is the report's additive
``cloud`` section (written and read by ``wsdiag.cloud.codec``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wsdiag.cloud.codec import section_json
from wsdiag.cloud.correlate import (
    ClientView,
    CloudFacts,
    Seen,
    client_paths,
    correlate,
)
from wsdiag.vocab.cloud import CloudSection, FoundBy, Outcome
from wsdiag.vocab.model import DnsOutcome, Plan, Role, Status, Transport, Via
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult, ProbeResult

_FAILED = (Status.FILTERED, Status.REFUSED, Status.UNREACHABLE)
_NAME_FAILED = (DnsOutcome.NXDOMAIN, DnsOutcome.NO_ANSWER)
# The run's own results, as the seam (wsdiag.vocab.sources.EvidenceSource) passes them.
Dns = tuple[DnsResult, ...]
Probes = tuple[ProbeResult, ...]


@dataclass  # not frozen: the seam's Protocol declares ``name`` a settable attribute
class CloudSource:
    """``--aws`` [``--aws-profile NAME``] [``--client-cidr CIDR``] [``--directory-id ID``];
    an ``EvidenceSource[CloudSection, CloudFacts]``."""

    profile: str | None = None
    client_cidr: str | None = None
    directory_id: str | None = None
    name: str = "cloud"

    def gather(self, plan: Plan, dns: Dns, probes: Probes, until: float) -> CloudSection:
        """Read the endpoint's side by ``until`` (time.monotonic() s); never raises."""
        from dataclasses import replace

        from wsdiag.cloud.gather import gather  # boto3: only with --aws

        ids = tuple(pt.target.id for pt in plan.targets if pt.target.role is Role.ENDPOINT)
        resolved = endpoint_answers(ids, dns)
        section = gather(plan.region.code, until, self.directory_id, resolved, self.profile)
        return replace(
            section,
            profile=self.profile,
            client_cidr=self.client_cidr,
            local_address=_source_address(resolved[0]) if resolved else None,
            endpoint_targets=ids,
        )

    def facts(self, section: CloudSection, observed: Observed) -> CloudFacts:
        """Pure: the section against this machine's view of the same endpoint (the results
        of the section's ``endpoint_targets``)."""
        view_ = view(section, observed.dns, observed.probes, self.client_cidr)
        return correlate(section, view_)

    def to_json(self, section: CloudSection) -> dict[str, object]:
        return section_json(section)


def _source_address(address: str) -> str | None:
    """The address this machine would send from to ``address``: a connected UDP socket's
    own name (the OS picks the route; connect() on UDP sends nothing)."""
    import socket

    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.connect((address, 4195))
            return str(s.getsockname()[0])
    except OSError:
        return None


def endpoint_answers(ids: tuple[str, ...], dns: Dns) -> tuple[str, ...]:
    """The private name's A/AAAA (and OS) answers, in order, without repeats."""
    out: dict[str, None] = {}
    for d in dns:
        if d.target_id in ids and d.outcome is DnsOutcome.ANSWER:
            out.update(dict.fromkeys(d.addresses))
    return tuple(out)


def view(section: CloudSection, dns: Dns, probes: Probes, client_cidr: str | None) -> ClientView:
    """This machine's view: the private name's answers, each endpoint path as measured, and
    the client's range: ``--client-cidr``, else this machine's own source address toward
    the endpoint (assuming no NAT or VPN translation on the way, and saying so)."""
    ids = section.endpoint_targets
    mine = [d for d in dns if d.target_id in ids]
    resolved = endpoint_answers(ids, dns)
    rows = []
    for p in probes:
        if p.target_id not in ids or p.address is None or p.via is not Via.DIRECT:
            continue
        seen = (
            Seen.OPEN
            if p.status is Status.OPEN
            else Seen.FAILED
            if p.status in _FAILED
            else Seen.UNKNOWN
        )
        protocol = "udp" if p.transport is Transport.QUIC else "tcp"
        rows.append((p.address, protocol, p.port, seen, p.id))
    local = section.local_address
    if client_cidr:
        source, basis = client_cidr, "--client-cidr"
    elif local:
        source = f"{local}/{128 if ':' in local else 32}"
        basis = "this machine's own address, assuming no NAT or VPN translation on the way"
    else:
        source, basis = "", "not known: give --client-cidr"
    return ClientView(
        source=source,
        source_basis=basis,
        endpoint_host=mine[0].host if mine else "",
        resolved=resolved,
        resolved_ids=tuple(d.id for d in mine),
        name_failed=bool(mine) and not resolved and any(d.outcome in _NAME_FAILED for d in mine),
        paths=client_paths(rows),
    )


def summary(section: CloudSection) -> str:
    """One line for the text report: "vpce-0abc (found by the directory's association; 11
    calls, 1 denied)" or why nothing was read."""
    first = section.calls[0] if section.calls else None
    if first is not None and first.outcome in (
        Outcome.UNREACHABLE,
        Outcome.NO_CREDENTIALS,
        Outcome.REJECTED,
        Outcome.TIMEOUT,
    ):
        return f"AWS not read: {first.text()}; the rest skipped"
    denied = section.denied()
    tail = f"{len(section.calls)} read-only calls" + (f", {len(denied)} denied" if denied else "")
    if section.endpoint is None:
        return f"no streaming endpoint found in {section.region} ({tail})"
    how = {
        FoundBy.DIRECTORY: "the directory's association",
        FoundBy.ADDRESS: "an interface holding an address this machine resolved",
        FoundBy.SERVICE_NAME: f"its service name {section.endpoint.service_name}",
    }.get(section.found_by, "?")
    dns = "private DNS on" if section.endpoint.private_dns else "private DNS off"
    return f"{section.endpoint.id} ({section.endpoint.state}, {dns}; found by {how}; {tail})"


if TYPE_CHECKING:  # the seam's contract, checked by mypy
    from wsdiag.vocab.sources import EvidenceSource

    def _conforms(source: CloudSource) -> EvidenceSource[CloudSection, CloudFacts]:
        return source
