"""One report, two renderers: JSON (a versioned contract) and text (for a person). Pure."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from wsdiag.model import (
    CertSummary,
    Environment,
    Finding,
    ProbeResult,
    ProxyMode,
    ProxyRoute,
    Report,
    Severity,
    Status,
    Verdict,
    Via,
)

SCHEMA = "wsdiag.report/1"

HEADLINE = {
    Verdict.READY: "READY: this machine can stream WorkSpaces over the VPC endpoint",
    Verdict.DEGRADED: "DEGRADED: streaming should work, with the caveats below",
    Verdict.BLOCKED: "BLOCKED: WorkSpaces cannot stream from this network as it is",
    Verdict.UNKNOWN: "UNKNOWN: wsdiag could not tell; see below",
}
ENVIRONMENT_TEXT = {
    Environment.CLOSED: "closed network: VPC endpoint reachable, no internet",
    Environment.MINIMAL_EGRESS: "minimal egress: VPC endpoint plus internet on 443 only",
    Environment.OPEN_EGRESS: "VPC endpoint plus open internet egress",
    Environment.HOME: "outside the VPC: internet only",
    Environment.OFFLINE: "offline: neither the endpoint nor the internet answers",
    Environment.UNKNOWN: "environment unknown",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Nothing from the network or a file reaches the terminal raw."""
    return _CONTROL.sub("?", text)


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
        "evidence": {k: str(v) for k, v in asdict(report.evidence).items() if k != "basis"},
        "dns": [
            {"id": r.id, "target": r.target_id, "host": r.host, "type": r.rdtype,
             "outcome": str(r.outcome), "addresses": list(r.addresses),
             "resolver": r.resolver, "detail": r.detail, "ms": r.ms}
            for r in report.dns
        ],
        "probes": [_probe_json(p) for p in report.probes],
        "logs": report.logs,
        "proxy": proxy_json(report.proxy),
    }


def proxy_json(proxy: ProxyRoute) -> dict[str, Any]:
    """Which way 443 to the internet was tested; the URL never holds credentials."""
    return {"mode": str(proxy.mode), "url": proxy.url, "source": proxy.source,
            "bypassed": list(proxy.bypassed), "reason": proxy.reason}


def finding_json(f: Finding) -> dict[str, Any]:
    """One finding as JSON: the same shape in every wsdiag report (check and logs)."""
    return {"code": f.code, "severity": str(f.severity), "message": f.message,
            "remediation": f.remediation, "probes": list(f.probes), "rule": f.rule}


def _probe_json(p: ProbeResult) -> dict[str, Any]:
    return {
        "id": p.id, "target": p.target_id, "host": p.host, "address": p.address,
        "transport": str(p.transport), "port": p.port, "status": str(p.status),
        "phase": p.phase, "errno": p.errno, "quic_error": p.quic_error, "detail": p.detail,
        "ms": p.ms, "tls_trusted": p.tls_trusted, "alpn": p.alpn,
        "datagrams_rx": p.datagrams_rx, "via": str(p.via), "proxy_status": p.proxy_status,
        "tls_seen": str(p.tls_seen) if p.tls_seen else None,
        "tls_public_root": p.tls_public_root,
        "certs": [_cert_json(c) for c in p.certs],
    }


def _cert_json(c: CertSummary) -> dict[str, Any]:
    return {
        "subject_cn": c.subject_cn, "sans": list(c.sans), "issuer": c.issuer,
        "issuer_cn": c.issuer_cn, "not_before": c.not_before.isoformat(timespec="seconds"),
        "not_after": c.not_after.isoformat(timespec="seconds"), "sha256": c.sha256,
        "self_issued": c.self_issued,
    }


def _proxy_text(proxy: ProxyRoute) -> str:
    if proxy.mode is ProxyMode.PROXY:
        return f" · 443 via proxy {clean(proxy.url or '')}"
    if proxy.mode is ProxyMode.UNTESTED:
        return f" · proxy {clean(proxy.url or '')} not tested"
    if proxy.mode is ProxyMode.DISABLED:
        return " · --no-proxy: all direct"
    return ""


# --- text ------------------------------------------------------------------------------

_COLORS = {"red": "31", "yellow": "33", "green": "32", "dim": "2", "bold": "1"}
_STATUS_COLOR = {Status.OPEN: "green", Status.SKIPPED: "dim", Status.ERROR: "yellow"}
_VERDICT_COLOR = {Verdict.READY: "green", Verdict.DEGRADED: "yellow", Verdict.BLOCKED: "red",
                  Verdict.UNKNOWN: "yellow"}
_SEVERITY = {Severity.ERROR: ("error", "red"), Severity.WARNING: ("warn ", "yellow"),
             Severity.INFO: ("info ", "dim")}


def render_text(report: Report, color: bool) -> str:
    def c(text: str, name: str) -> str:
        return f"\x1b[{_COLORS[name]}m{text}\x1b[0m" if color else text

    d = report.diagnosis
    lines = [
        c(HEADLINE[d.verdict], _VERDICT_COLOR[d.verdict]),
        c(f"{ENVIRONMENT_TEXT[d.environment]} · region {report.region} · "
          f"{report.duration_ms / 1000:.2f} s · wsdiag {report.tool_version}"
          + _proxy_text(report.proxy), "dim"),
        "",
        c("PATHS", "bold"),
    ]
    by_target: dict[str, list[ProbeResult]] = {}
    for p in report.probes:
        by_target.setdefault(p.target_id, []).append(p)
    dns_by_target = {r.target_id: r for r in report.dns if r.rdtype == "A"}
    for tid, probes in by_target.items():
        host = clean(probes[0].host)
        a = dns_by_target.get(tid)
        if all(p.status is Status.SKIPPED for p in probes):
            why = probes[0].detail
            lines.append(f"  {tid:<18} {host}  " + c(f"skipped: {why}", "dim"))
            continue
        proxied = any(p.via is Via.PROXY and p.status is not Status.SKIPPED for p in probes)
        if a is not None and not a.addresses and not proxied:
            lines.append(f"  {tid:<18} {host}  " + c(f"DNS {a.outcome}: {clean(a.detail)}", "red"))
            continue
        # Proxied probes have no address of their own: the proxy resolved the name.
        addresses = list(dict.fromkeys(p.address for p in probes if p.via is Via.DIRECT))
        if len(addresses) <= 1 and not any("@" in p.id for p in probes):
            where = f" ({addresses[0]})" if addresses and addresses[0] else ""
            lines.append(f"  {tid:<18} {host}{where}  " + _cells(probes, c))
        else:
            lines.append(f"  {tid:<18} {host}")
            for addr in addresses:
                row = [p for p in probes if p.address == addr]
                lines.append(f"    {addr or '-':<16}   " + _cells(row, c))
    if d.findings:
        lines += ["", c("FINDINGS", "bold")]
        for f in d.findings:
            label, col = _SEVERITY[f.severity]
            lines.append(f"  {c(label, col)} {c(f.code, 'bold')}: {clean(f.message)}")
            if f.remediation:
                lines.append(f"        fix: {clean(f.remediation)}")
    if report.logs:
        comparison = report.logs.get("comparison")
        if isinstance(comparison, str) and comparison:
            lines += ["", c("CLIENT LOGS", "bold"), f"  {clean(comparison)}"]
    lines += ["", c(f"exit code {d.verdict.exit_code} ({d.verdict}); --json for details", "dim")]
    return "\n".join(lines) + "\n"


def _cells(probes: list[ProbeResult], c: Any) -> str:
    cells = []
    for p in probes:
        text = f"{p.transport}/{p.port} {p.status}"
        if p.status is Status.OPEN and p.ms is not None:
            text += f" {p.ms:.0f}ms"
        if p.via is Via.PROXY and p.status is not Status.SKIPPED:
            if p.phase in ("proxy-resolve", "proxy-connect"):
                text += " (proxy unreachable)"
            elif p.proxy_status and p.status is not Status.OPEN:
                text += f" (proxy: HTTP {p.proxy_status})"
            else:
                text += " via proxy"
        if p.tls_trusted is False:
            text += " (untrusted cert)"
        cells.append(c(text, _STATUS_COLOR.get(p.status, "red")))
    return " · ".join(cells)
