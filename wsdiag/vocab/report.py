"""The vocabulary of the report: the diagnosis and everything one check hands its renderers.
Pure data."""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.vocab.cloud import CloudSection
from wsdiag.vocab.logs import ClientLogs
from wsdiag.vocab.machine import HostPaths
from wsdiag.vocab.model import Environment, HostIdentity, ProxyRoute, Verdict
from wsdiag.vocab.results import DnsResult, Evidence, Finding, ProbeResult


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
    logs: ClientLogs | None = None  # the client's logs, when read
    proxy: ProxyRoute = ProxyRoute()
    host: HostIdentity = HostIdentity()
    paths: HostPaths | None = None  # this machine's interfaces, routes and client session
    # The whole run from its start (the process's, for a CLI run): imports, logs, catalog,
    # probes, classifying. None in reports from before this field.
    process_ms: float | None = None
    cloud: CloudSection | None = None  # --aws: what the endpoint's side allows (issue 21)
