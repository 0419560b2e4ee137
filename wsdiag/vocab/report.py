"""The vocabulary of the report: the diagnosis and everything one check hands its renderers.
Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from wsdiag.vocab import codec
from wsdiag.vocab.cloud import CloudSection
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.logs import ClientLogs
from wsdiag.vocab.machine import HostPaths
from wsdiag.vocab.model import Environment, HostIdentity, ProxyRoute, Verdict
from wsdiag.vocab.results import DnsResult, Finding, ProbeResult


@dataclass(frozen=True)
class Diagnosis:
    environment: Environment
    verdict: Verdict
    findings: tuple[Finding, ...]
    rule: str = field(metadata=codec.key("environment_rule"))  # which environment rule fired

    JSON_COMPUTED: ClassVar[tuple[str, ...]] = ("exit_code",)

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code


@dataclass(frozen=True)
class Report:
    """One check, as every renderer gets it; its JSON is wsdiag.report/1 (wsdiag.render.report).
    ``JSON_ORDER``: the keys a reader meets first, in the order the schema was published."""

    JSON_ORDER: ClassVar[tuple[str, ...]] = (
        *("schema", "tool_version", "started_at", "duration_ms", "region", "region_source"),
        *("endpoint_hosts", "environment", "environment_rule", "verdict", "exit_code"),
    )

    schema: str
    tool_version: str
    region: str
    endpoint_hosts: tuple[str, ...]
    diagnosis: Diagnosis = field(metadata=codec.flat())  # its keys are the report's
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
    process_ms: float | None = field(default=None, metadata=codec.dense())
    # --aws: what the endpoint's side allows (issue 21)
    cloud: CloudSection | None = field(default=None, metadata=codec.dense())

    @property
    def sections(self) -> dict[str, object]:
        """Each evidence source's section by the source's name (its JSON key): "logs",
        "paths", "cloud"; None where the source did not run or found nothing."""
        return {"logs": self.logs, "paths": self.paths, "cloud": self.cloud}
