"""One report, two renderers: JSON (a versioned contract) and text (for a person). Pure."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from wsdiag.model import (
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
from wsdiag.terminal import Paint, escape

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
        "logs": report.logs.to_json() if report.logs else None,
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
    }


def _proxy_text(proxy: ProxyRoute) -> str:
    if proxy.mode is ProxyMode.PROXY:
        return f" · 443 via proxy {escape(proxy.url or '')}"
    if proxy.mode is ProxyMode.UNTESTED:
        return f" · proxy {escape(proxy.url or '')} not tested"
    if proxy.mode is ProxyMode.DISABLED:
        return " · --no-proxy: all direct"
    return ""


# --- text ------------------------------------------------------------------------------

# Styles of terminal.Paint: error (red), warning (yellow), ok (green), dim, bold.
_STATUS_COLOR = {Status.OPEN: "ok", Status.SKIPPED: "dim", Status.ERROR: "warning"}
_VERDICT_COLOR = {Verdict.READY: "ok", Verdict.DEGRADED: "warning", Verdict.BLOCKED: "error",
                  Verdict.UNKNOWN: "warning"}
_SEVERITY = {Severity.ERROR: ("error", "error"), Severity.WARNING: ("warn ", "warning"),
             Severity.INFO: ("info ", "dim")}


def render_text(report: Report, color: bool) -> str:
    c = Paint(color)  # nothing from the network or a file reaches it raw: see escape()
    d = report.diagnosis
    lines = [
        c(HEADLINE[d.verdict], _VERDICT_COLOR[d.verdict]),
        c(f"{ENVIRONMENT_TEXT[d.environment]} · region {escape(report.region)} · "
          f"{report.duration_ms / 1000:.2f} s · wsdiag {report.tool_version}"
          + _proxy_text(report.proxy), "dim"),
        "",
        c("PATHS", "bold"),
    ]
    by_target: dict[str, list[ProbeResult]] = {}
    for p in report.probes:
        by_target.setdefault(p.target_id, []).append(p)
    dns_by_target = {r.target_id: r for r in report.dns if r.rdtype == "A"}
    for target_id, probes in by_target.items():
        tid, host = escape(target_id), escape(probes[0].host)
        a = dns_by_target.get(target_id)
        if all(p.status is Status.SKIPPED for p in probes):
            why = escape(probes[0].detail)
            lines.append(f"  {tid:<18} {host}  " + c(f"skipped: {why}", "dim"))
            continue
        proxied = any(p.via is Via.PROXY and p.status is not Status.SKIPPED for p in probes)
        if a is not None and not a.addresses and not proxied:
            lines.append(f"  {tid:<18} {host}  "
                         + c(f"DNS {a.outcome}: {escape(a.detail)}", "error"))
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
            lines.append(f"  {c(label, col)} {c(f.code, 'bold')}: {escape(f.message)}")
            if f.remediation:
                lines.append(f"        fix: {escape(f.remediation)}")
    if report.logs and report.logs.comparison:
        lines += ["", c("CLIENT LOGS", "bold"), f"  {escape(report.logs.comparison)}"]
    lines += ["", c(f"exit code {d.verdict.exit_code} ({d.verdict}); --json for details", "dim")]
    return "\n".join(lines) + "\n"


def _cells(probes: list[ProbeResult], c: Paint) -> str:
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
        cells.append(c(text, _STATUS_COLOR.get(p.status, "error")))
    return " · ".join(cells)
