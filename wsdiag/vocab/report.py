"""The vocabulary of the report: the diagnosis and everything one check hands its renderers.
Pure data."""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.vocab.cloud import CloudSection
from wsdiag.vocab.logs import ClientLogs
from wsdiag.vocab.machine import HostPaths
from wsdiag.vocab.model import Environment, HostIdentity, ProxyRoute, Verdict
from wsdiag.vocab.results import DnsResult, Evidence, Finding, ProbeResult
from wsdiag.vocab.sources import Section


@dataclass(frozen=True)
class Diagnosis:
    environment: Environment
    verdict: Verdict
    findings: tuple[Finding, ...]
    rule: str  # which environment rule fired


@dataclass(frozen=True)
class Report:
    schema: str
    tool_version: str
    region: str
    endpoint_hosts: tuple[str, ...]
    diagnosis: Diagnosis
    evidence: Evidence
    dns: tuple[DnsResult, ...]
    probes: tuple[ProbeResult, ...]
    duration_ms: float
    started_at: str  # ISO 8601 UTC
    region_source: str = "option"  # option | env | logs
    proxy: ProxyRoute = ProxyRoute()
    host: HostIdentity = HostIdentity()
    # The whole run from its start (the process's, for a CLI run): imports, logs, catalog,
    # probes, classifying. None in reports from before this field.
    process_ms: float | None = None
    # Each evidence source's section, keyed by its name: "paths" (this machine), "logs"
    # (the client's logs) and any other source's, in the order the run collected them.
    sections: tuple[Section, ...] = ()

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    @property
    def logs(self) -> ClientLogs | None:
        """The client's logs, when read."""
        s = self.section("logs")
        return s.data if s is not None and isinstance(s.data, ClientLogs) else None

    @property
    def paths(self) -> HostPaths | None:
        """This machine's interfaces, routes and client session, when gathered."""
        s = self.section("paths")
        return s.data if s is not None and isinstance(s.data, HostPaths) else None

    @property
    def cloud(self) -> CloudSection | None:
        """--aws: what the endpoint's side allows (issue 21), when read."""
        s = self.section("cloud")
        return s.data if s is not None and isinstance(s.data, CloudSection) else None
