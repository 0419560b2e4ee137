"""What ``wsdiag check`` takes from the client's logs: region, private host names, findings.

Built for speed rather than completeness (check has one or two seconds in all): only the
newest files are opened, and only their last ``max_bytes``. ``wsdiag logs`` reads
everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from wsdiag.logs.files import (
    ReadProblem,
)
from wsdiag.logs.findings import log_findings
from wsdiag.vocab.logs import ClientLogEvidence, LogSummary, Session
from wsdiag.vocab.results import Finding

# A name check is about to resolve and connect to must be a plain DNS name, whatever bytes
# the log file holds.
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def _last(summary: LogSummary, pred: str) -> Session | None:
    for s in reversed(summary.sessions):
        if (pred == "region" and s.region) or (pred == "endpoints" and (s.offered or s.probed)):
            return s
    return None


def evidence_from_summary(
    summary: LogSummary | None,
    problems: Sequence[ReadProblem] = (),
    files: Sequence[str] = (),
    read: Sequence[Finding] = (),
    notes: Sequence[Finding] = (),
) -> ClientLogEvidence:
    """Pure: the evidence a parsed summary gives (``None``: nothing could be parsed).
    ``read`` (findings about reading the files, already made) lead at equal severity,
    ``notes`` (what was left out of the summary) follow."""
    found = (*read, *log_findings(summary, problems), *notes)
    findings = tuple(sorted(found, key=lambda f: -f.severity.rank))
    if summary is None:
        return ClientLogEvidence(None, (), None, (), False, None, findings, None, tuple(files))
    last = summary.last_session
    with_region = _last(summary, "region")
    ep = _last(summary, "endpoints")
    hosts: tuple[str, ...] = ()
    reachable: tuple[str, ...] = ()
    none_reachable = False
    if ep is not None:
        hosts = tuple(h for h in ep.private_hosts if _HOSTNAME.match(h))
        # Hosts the client actually tried or reached come first: they are the names it
        # resolves, where the offered list may print the same endpoint differently.
        used = {e.host for e in ep.reachable} | ({ep.attempted.host} if ep.attempted else set())
        hosts = tuple(sorted(hosts, key=lambda h: h not in used))
        reachable = tuple(dict.fromkeys(e.label for e in ep.reachable))
        none_reachable = ep.no_endpoint_reachable_time is not None and not ep.reachable
    return ClientLogEvidence(
        region=with_region.region if with_region else None,
        private_hosts=hosts,
        last_session_time=last.start_time if last else None,
        last_reachable=reachable,
        last_no_endpoint_reachable=none_reachable,
        client_version=summary.client_version,
        findings=findings,
        last_session_id=(last.session_id or last.request_id or last.key) if last else None,
        files=tuple(files),
    )


def client_log_evidence(
    paths: Sequence[Path] | None = None,
    *,
    max_bytes: int = 8 * 1024 * 1024,
    until: float | None = None,
) -> ClientLogEvidence | None:
    """Evidence from the newest client log(s), every session counted (see ``read_raw``);
    ``None`` when there are no logs at all."""
    from wsdiag.logs.raw import read_raw

    raw = read_raw(paths, max_bytes=max_bytes, until=until)
    if raw is None:
        return None
    return evidence_from_summary(raw.summary, (), raw.files, raw.read_findings)
