"""The report as JSON: a versioned contract (wsdiag.report/1) for tools. Pure.

The text a person reads is render/text.py; the HTML page render/html.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from wsdiag.quality.json import quality_json
from wsdiag.vocab.logs import ClientLogEvidence, ClientLogs
from wsdiag.vocab.model import Fault, HostIdentity, ProxyRoute, Tri
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import CertSummary, Evidence, Finding, ProbeResult

SCHEMA = "wsdiag.report/1"


def to_json(report: Report) -> dict[str, Any]:
    d = report.diagnosis
    return {
        "schema": report.schema,
        "tool_version": report.tool_version,
        "started_at": report.started_at,
        "duration_ms": report.duration_ms,
        "region": report.region,
        "region_source": report.region_source,
        "endpoint_hosts": list(report.endpoint_hosts),
        "environment": str(d.environment),
        "environment_rule": d.rule,
        "verdict": str(d.verdict),
        "exit_code": d.verdict.exit_code,
        "findings": [finding_json(f) for f in d.findings],
        "evidence": evidence_json(report.evidence),
        "dns": [
            {
                "id": r.id,
                "target": r.target_id,
                "host": r.host,
                "type": r.rdtype,
                "outcome": str(r.outcome),
                "addresses": list(r.addresses),
                "resolver": r.resolver,
                "detail": r.detail,
                "ms": r.ms,
                **({"reason": r.reason} if r.reason else {}),
                # additive (wsdiag.report/1): the error map's cause, where a socket error decided
                **({"cause": str(r.cause)} if r.cause is not Fault.NONE else {}),
            }
            for r in report.dns
        ],
        "probes": [_probe_json(p) for p in report.probes],
        "logs": _section_json(report, "logs"),
        "proxy": proxy_json(report.proxy),
        "host": host_json(report.host),
        "paths": _section_json(report, "paths"),
        # additive: absent in reports from before session quality (issue 20)
        **(
            {"quality": quality_json(report.evidence.quality)}
            if report.evidence.quality is not None
            else {}
        ),
        # additive (wsdiag.report/1): absent from reports made before it, or not by a run
        **({"process_ms": report.process_ms} if report.process_ms is not None else {}),
        # any other evidence source's section under its name, additive ("cloud": --aws)
        **{s.name: s.json for s in report.sections if s.name not in _FIXED_SECTIONS},
    }


_FIXED_SECTIONS = ("logs", "paths")  # always present (null when not gathered), in place


def _section_json(report: Report, name: str) -> Mapping[str, object] | None:
    s = report.section(name)
    return s.json if s is not None else None


def host_json(h: HostIdentity) -> dict[str, Any]:
    """The host block, raw: wsdiag.redact hides names in it (and everywhere else)."""
    logs = "none"
    if h.logs_read:
        logs = f"user {h.logs_user}" if h.logs_user else "own"
    proxy = f"user {h.proxy_user}" if h.proxy_view == "user" and h.proxy_user else h.proxy_view
    return {
        "name": h.name,
        "os": h.os,
        "os_version": h.os_version,
        "tool_version": h.tool_version,
        "account": str(h.account),
        "time": h.time,
        "view": {"logs": logs, "proxy": proxy},
        "redacted": [],
    }


def proxy_json(proxy: ProxyRoute) -> dict[str, Any]:
    """Which way 443 to the internet was tested; the URL never holds credentials."""
    return {
        "mode": str(proxy.mode),
        "url": proxy.url,
        "source": proxy.source,
        "bypassed": list(proxy.bypassed),
        "reason": proxy.reason,
        "pac": proxy.pac,
        "pac_note": proxy.pac_note,
    }


def finding_json(f: Finding) -> dict[str, Any]:
    """One finding as JSON: the same shape in every wsdiag report (check and logs).
    ``owner``: who acts; ``basis``: fact -> ids of the results behind it."""
    return {
        "code": f.code,
        "severity": str(f.severity),
        "message": f.message,
        "remediation": f.remediation,
        "probes": list(f.probes),
        "rule": f.rule,
        "owner": str(f.owner) if f.owner else None,
        "basis": {fact: list(ids) for fact, ids in f.basis},
    }


def evidence_json(e: Evidence) -> dict[str, Any]:
    """The tri-state facts (``yes``/``no``/``unknown``), plus each endpoint address as a
    unit with its four paths. The values behind the facts (names, hosts) are in the
    findings' messages, and the raw results in ``dns``/``probes``."""
    out: dict[str, Any] = {
        f.name: str(getattr(e, f.name)) for f in fields(e) if isinstance(getattr(e, f.name), Tri)
    }
    out["endpoint_addresses"] = [
        {
            "address": a.address,
            "tcp443": str(a.tcp443),
            "tcp4195": str(a.tcp4195),
            "quic443": str(a.quic443),
            "quic4195": str(a.quic4195),
            "answered": str(a.answered),
            "probes": list(a.probes),
            "other": a.other,
            "os_answer": str(a.os_answer),
            "dns_answer": str(a.dns_answer),
        }
        for a in e.endpoint_addresses
    ]
    return out


def _probe_json(p: ProbeResult) -> dict[str, Any]:
    return {
        "id": p.id,
        "target": p.target_id,
        "host": p.host,
        "address": p.address,
        "transport": str(p.transport),
        "port": p.port,
        "status": str(p.status),
        "phase": p.phase,
        "errno": p.errno,
        "quic_error": p.quic_error,
        "detail": p.detail,
        "ms": p.ms,
        "tls_trusted": p.tls_trusted,
        "alpn": p.alpn,
        "datagrams_rx": p.datagrams_rx,
        "via": str(p.via),
        "proxy_status": p.proxy_status,
        "tls_seen": str(p.tls_seen) if p.tls_seen else None,
        "tls_public_root": p.tls_public_root,
        "certs": [_cert_json(c) for c in p.certs],
        "path_mtu": p.path_mtu,
        # additive (wsdiag.report/1): the cause beside the coarse status where a socket error
        # ended the probe (absent: none did, or a report older than the field), and its sender
        **({"cause": str(p.cause)} if p.cause is not Fault.NONE else {}),
        **({"offender": p.offender} if p.offender is not None else {}),
    }


def _cert_json(c: CertSummary) -> dict[str, Any]:
    return {
        "subject_cn": c.subject_cn,
        "sans": list(c.sans),
        "issuer": c.issuer,
        "issuer_cn": c.issuer_cn,
        "not_before": c.not_before.isoformat(timespec="seconds"),
        "not_after": c.not_after.isoformat(timespec="seconds"),
        "sha256": c.sha256,
        "self_issued": c.self_issued,
    }


def client_log_evidence_json(e: ClientLogEvidence) -> dict[str, object]:
    """What ``wsdiag logs --json`` and a report's ``logs`` block say of the client's logs."""
    return {
        "region": e.region,
        "private_hosts": list(e.private_hosts),
        "last_session_id": e.last_session_id,
        "last_session_time": e.last_session_time,
        "last_reachable": list(e.last_reachable),
        "last_no_endpoint_reachable": e.last_no_endpoint_reachable,
        "client_version": e.client_version,
        "files": list(e.files),
        "findings": [finding_json(f) for f in e.findings],
    }


def client_logs_json(logs: ClientLogs) -> dict[str, object]:
    """The ``logs`` block of ``wsdiag.report/1``: the evidence's fields, then ``comparison``."""
    return {**client_log_evidence_json(logs.evidence), "comparison": logs.comparison}
