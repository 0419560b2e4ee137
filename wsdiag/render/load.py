"""A `wsdiag.report/1` JSON document back into a model.Report, so a saved report (a ticket
attachment, a lab run) can be rendered again as text or HTML. Pure, no I/O.

The JSON carries no evidence basis (the per-fact probe ids): the loaded Evidence has an
empty basis. Fields added later to the schema (such as a finding's owner) are read when
present and default otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from wsdiag.host.paths import paths_from_json
from wsdiag.quality.json import quality_from_json
from wsdiag.vocab.logs import ClientLogEvidence, ClientLogs
from wsdiag.vocab.model import (
    Account,
    DnsOutcome,
    Environment,
    Fault,
    HostIdentity,
    Owner,
    ProxyMode,
    ProxyRoute,
    Severity,
    Status,
    Transport,
    Tri,
    Verdict,
    Via,
)
from wsdiag.vocab.report import Diagnosis, Report
from wsdiag.vocab.results import (
    AddressEvidence,
    CertSummary,
    DnsResult,
    Evidence,
    Finding,
    ProbeResult,
    TlsSeen,
)
from wsdiag.vocab.sources import Section


def report_from_json(d: dict[str, Any]) -> Report:
    """Rebuild a Report from ``render.report.to_json`` output.

    Raises KeyError or ValueError (an unknown enum value) on a document that is not a
    wsdiag.report/1 report."""
    diagnosis = Diagnosis(
        environment=Environment(d["environment"]),
        verdict=Verdict(d["verdict"]),
        findings=tuple(finding_from_json(f) for f in d["findings"]),
        rule=d.get("environment_rule", ""),
    )
    facts: dict[str, Any] = {
        k: Tri(v)
        for k, v in d["evidence"].items()
        if k in Evidence.__dataclass_fields__ and isinstance(v, str)
    }
    evidence = Evidence(
        **facts,
        endpoint_addresses=tuple(_address(a) for a in d["evidence"].get("endpoint_addresses", ())),
        quality=quality_from_json(d["quality"]) if "quality" in d else None,
    )
    proxy = d.get("proxy") or {}
    return Report(
        schema=d["schema"],
        tool_version=d["tool_version"],
        region=d["region"],
        endpoint_hosts=tuple(d.get("endpoint_hosts", ())),
        diagnosis=diagnosis,
        evidence=evidence,
        dns=tuple(_dns(x) for x in d.get("dns", ())),
        probes=tuple(_probe(x) for x in d.get("probes", ())),
        duration_ms=float(d["duration_ms"]),
        started_at=d["started_at"],
        region_source=d.get("region_source", "option"),
        proxy=ProxyRoute(
            mode=ProxyMode(proxy.get("mode", "none")),
            url=proxy.get("url"),
            source=proxy.get("source"),
            bypassed=tuple(proxy.get("bypassed", ())),
            reason=proxy.get("reason", ""),
            pac=proxy.get("pac"),
            pac_note=proxy.get("pac_note", ""),
        ),
        host=_host(d.get("host") or {}),
        process_ms=float(d["process_ms"]) if d.get("process_ms") is not None else None,
        sections=(
            Section("logs", client_logs_from_json(d.get("logs")), d.get("logs")),
            Section("paths", paths_from_json(d.get("paths")), d.get("paths")),
        ),
    )


def _host(h: dict[str, Any]) -> HostIdentity:
    """The host block as written (names already redacted there stay redacted)."""
    view = h.get("view") or {}
    logs, proxy = str(view.get("logs", "none")), str(view.get("proxy", "own"))
    return HostIdentity(
        name=h.get("name"),
        os=h.get("os", ""),
        os_version=h.get("os_version", ""),
        tool_version=h.get("tool_version", ""),
        account=Account(h.get("account", "unknown")),
        time=h.get("time", ""),
        logs_read=logs != "none",
        logs_user=logs.removeprefix("user ") if logs.startswith("user ") else None,
        proxy_view="user" if proxy.startswith("user ") else proxy,
        proxy_user=proxy.removeprefix("user ") if proxy.startswith("user ") else None,
    )


def _address(a: dict[str, Any]) -> AddressEvidence:
    return AddressEvidence(
        address=a["address"],
        tcp443=Tri(a["tcp443"]),
        tcp4195=Tri(a["tcp4195"]),
        quic443=Tri(a["quic443"]),
        quic4195=Tri(a["quic4195"]),
        answered=Tri(a.get("answered", "unknown")),
        probes=tuple(a.get("probes", ())),
        other=str(a.get("other", "")),
        os_answer=Tri(a.get("os_answer", "unknown")),
        dns_answer=Tri(a.get("dns_answer", "unknown")),
    )


def finding_from_json(f: dict[str, Any]) -> Finding:
    owner = f.get("owner")
    basis = tuple((fact, tuple(ids)) for fact, ids in (f.get("basis") or {}).items())
    return Finding(
        code=f["code"],
        severity=Severity(f["severity"]),
        message=f["message"],
        remediation=f.get("remediation", ""),
        probes=tuple(f.get("probes", ())),
        rule=f.get("rule", ""),
        owner=Owner(owner) if owner else None,
        basis=basis,
    )


def _dns(x: dict[str, Any]) -> DnsResult:
    return DnsResult(
        id=x["id"],
        target_id=x["target"],
        host=x["host"],
        rdtype=x["type"],
        outcome=DnsOutcome(x["outcome"]),
        addresses=tuple(x.get("addresses", ())),
        resolver=x.get("resolver"),
        detail=x.get("detail", ""),
        ms=x.get("ms"),
        reason=x.get("reason", ""),
        cause=Fault(x.get("cause", "none")),
    )


def _probe(x: dict[str, Any]) -> ProbeResult:
    return ProbeResult(
        id=x["id"],
        target_id=x["target"],
        host=x["host"],
        address=x.get("address"),
        transport=Transport(x["transport"]),
        port=int(x["port"]),
        status=Status(x["status"]),
        phase=x.get("phase", ""),
        errno=x.get("errno"),
        quic_error=x.get("quic_error"),
        detail=x.get("detail", ""),
        ms=x.get("ms"),
        tls_trusted=x.get("tls_trusted"),
        alpn=x.get("alpn"),
        datagrams_rx=x.get("datagrams_rx"),
        via=Via(x.get("via", "direct")),
        proxy_status=x.get("proxy_status"),
        path_mtu=x.get("path_mtu"),
        cause=Fault(x.get("cause", "none")),
        offender=x.get("offender"),
        tls_seen=TlsSeen(x["tls_seen"]) if x.get("tls_seen") else None,
        certs=tuple(_cert(c) for c in x.get("certs", ())),
        tls_public_root=x.get("tls_public_root"),
    )


def _cert(c: dict[str, Any]) -> CertSummary:
    return CertSummary(
        subject_cn=c["subject_cn"],
        sans=tuple(c["sans"]),
        issuer=c["issuer"],
        issuer_cn=c["issuer_cn"],
        not_before=dt.datetime.fromisoformat(c["not_before"]),
        not_after=dt.datetime.fromisoformat(c["not_after"]),
        sha256=c["sha256"],
        self_issued=bool(c["self_issued"]),
    )


def client_logs_from_json(d: object) -> ClientLogs | None:
    """The ``logs`` block of a saved report back as a typed value (its findings are in the
    report's own findings list, so they are not repeated here). ``None`` for no block."""
    if not isinstance(d, dict):
        return None

    def text(key: str) -> str | None:
        value = d.get(key)
        return value if isinstance(value, str) else None

    def texts(key: str) -> tuple[str, ...]:
        value = d.get(key)
        return tuple(x for x in value if isinstance(x, str)) if isinstance(value, list) else ()

    evidence = ClientLogEvidence(
        region=text("region"),
        private_hosts=texts("private_hosts"),
        last_session_time=text("last_session_time"),
        last_reachable=texts("last_reachable"),
        last_no_endpoint_reachable=d.get("last_no_endpoint_reachable") is True,
        client_version=text("client_version"),
        findings=(),
        last_session_id=text("last_session_id"),
        files=texts("files"),
    )
    return ClientLogs(evidence, text("comparison"))
