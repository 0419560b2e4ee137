"""The seam every evidence source plugs into: this machine's paths, the client's logs, the
cloud's side. Each gathers with a budget (I/O), then turns what it gathered into facts (pure),
and owns its section of the report's JSON; in the spirit of pip-audit's ``DependencySource``
and ``VulnerabilityService`` interfaces."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeVar

from wsdiag.vocab.model import Plan
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult, ProbeResult

SectionT = TypeVar("SectionT")
FactsT = TypeVar("FactsT", covariant=True)


class EvidenceSource(Protocol[SectionT, FactsT]):
    """One source of evidence beside the probes.

    ``name`` keys the source's section in the report and its JSON (``"paths"``, ``"logs"``,
    ``"cloud"``). ``gather`` does the I/O and must return by ``until`` (a ``time.monotonic()``
    value, s); it never raises: a failure is data in its section. ``facts`` is pure: the
    section and what the run observed (the plan, DNS and probe results) -> a frozen dataclass
    of facts, each with the result ids behind it (a ``basis`` field, where it has facts the
    rules read). ``to_json`` is the section's JSON object (None: the key's value is null).
    """

    @property
    def name(self) -> str: ...

    def gather(
        self, plan: Plan, dns: tuple[DnsResult, ...], probes: tuple[ProbeResult, ...], until: float
    ) -> SectionT: ...

    def facts(self, section: SectionT, observed: Observed) -> FactsT: ...

    def to_json(self, section: SectionT) -> Mapping[str, object] | None: ...
