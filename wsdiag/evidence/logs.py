"""The client's logs as an evidence source: what its last sessions reached and the findings
its logs hold.

The logs are read before planning (``wsdiag.logs.context.read_logs``: the region and the
private name they give are inputs of the plan); ``LogsSource`` carries that reading to the
report and the diagnosis. Its ``gather`` is pure: it compares the last session with what
this run reached. Its findings describe the past: shown, never setting the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wsdiag.logs.context import client_logs
from wsdiag.logs.scope import regions_named
from wsdiag.render.report import client_logs_json
from wsdiag.vocab.logs import ClientLogFacts, ClientLogs, LogContext
from wsdiag.vocab.model import Plan
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult, ProbeResult


@dataclass(frozen=True)
class LogsSource:
    """The ``logs`` section, from the context read before planning."""

    context: LogContext
    name: str = "logs"

    def gather(
        self, plan: Plan, dns: tuple[DnsResult, ...], probes: tuple[ProbeResult, ...], until: float
    ) -> ClientLogs | None:
        """The logs' record with one line comparing their last session with this run;
        None when no logs were read."""
        return client_logs(self.context, probes)

    def facts(self, section: ClientLogs | None, observed: Observed) -> ClientLogFacts:
        raw = self.context.raw
        summary = raw.summary if raw is not None else None
        return ClientLogFacts(
            section.evidence.findings if section is not None else (),
            regions_named(summary) if summary is not None else (),
            self.context.region,
            summary is not None,
        )

    def to_json(self, section: ClientLogs | None) -> Mapping[str, object] | None:
        return client_logs_json(section) if section is not None else None
