"""The report as JSON, both ways: a versioned contract (wsdiag.report/1) for tools. Pure.

The shape is the vocabulary's dataclasses, written and read by ``wsdiag.vocab.codec`` (their
field metadata names the keys that differ); the published schema
(``wsdiag/schema/report.schema.json``) is held to those fields by tests/test_contract.py.
Three blocks are views rather than fields, each written and read here or by its owner: the
host (whose view of the machine was used), the evidence (its tri-state facts only) and the
machine's paths (``wsdiag.host.paths``); the ``--aws`` cloud section is written and read by
``wsdiag.cloud.source`` (imported only for a report that has one). The text a person reads
is render/text.py; the HTML page render/html.py.

Reading back: the JSON carries no evidence basis (the per-fact probe ids), so the loaded
Evidence has an empty one; names redacted in the document stay redacted.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wsdiag.host.paths import paths_from_json, paths_json
from wsdiag.quality.json import quality_from_json, quality_json
from wsdiag.vocab import codec
from wsdiag.vocab.cloud import CloudSection
from wsdiag.vocab.evidence import AddressEvidence, Evidence
from wsdiag.vocab.logs import ClientLogEvidence, ClientLogs
from wsdiag.vocab.machine import HostPaths
from wsdiag.vocab.model import Account, HostIdentity, ProxyRoute, Tri
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import Finding

SCHEMA = "wsdiag.report/1"


def to_json(report: Report) -> dict[str, Any]:
    """The report's JSON object, names not yet redacted (``render.formats.report_json``)."""
    out: dict[str, Any] = codec.encode(report, _WRITE)
    quality = report.evidence.quality
    if quality is not None:  # additive: the session quality (issue 20) is the report's block
        out = _before(out, "process_ms", "quality", quality_json(quality))
    return out


def report_from_json(doc: Any) -> Report:
    """A Report from ``to_json`` output (any wsdiag.report/1 document: fields added since
    the first version are optional). Raises codec.DecodeError, naming the place, on a
    document of another shape."""
    if not isinstance(doc, dict):
        raise codec.DecodeError("document: expected an object")
    report = codec.decode(Report, doc, _READ)
    if "quality" not in doc:
        return report
    quality = quality_from_json(doc["quality"])  # raises DecodeError naming the field
    return dataclasses.replace(
        report, evidence=dataclasses.replace(report.evidence, quality=quality)
    )


def _before(obj: dict[str, Any], key: str, new: str, value: Any) -> dict[str, Any]:
    """``obj`` with ``new`` set just before ``key`` (at the end when ``key`` is absent)."""
    items = [(k, v) for k, v in obj.items() if k != new]
    at = next((i for i, (k, _) in enumerate(items) if k == key), len(items))
    return dict([*items[:at], (new, value), *items[at:]])


def host_json(h: HostIdentity) -> dict[str, Any]:
    """The host block, raw: wsdiag.redact hides names in it (and everywhere else).
    ``redacted`` is filled by the renderer that redacts (render.formats)."""
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
        # additive (issue 16): a note where wsdiag ran, never a finding for a container
        **({"runs_in": {"where": h.runs_in, "why": h.runs_in_why}} if h.runs_in != "host" else {}),
    }


def _host(h: dict[str, Any]) -> HostIdentity:
    """The host block as written (names already redacted there stay redacted)."""
    for part in ("view", "runs_in"):
        if h.get(part) is not None and not isinstance(h.get(part), dict):
            raise codec.DecodeError(f"host.{part}: expected an object, not {codec.kind(h[part])}")
    view = h.get("view") or {}
    logs, proxy = str(view.get("logs", "none")), str(view.get("proxy", "own"))
    return HostIdentity(
        name=_text(h.get("name"), "host.name"),
        os=str(h.get("os", "")),
        os_version=str(h.get("os_version", "")),
        tool_version=str(h.get("tool_version", "")),
        account=codec.decode(Account, h.get("account", "unknown"), at="host.account"),
        time=str(h.get("time", "")),
        logs_read=logs != "none",
        logs_user=logs.removeprefix("user ")
        if logs.startswith("user ")
        else ("***" if logs == "console user" else None),
        proxy_view="user" if proxy.startswith("user ") else proxy,
        proxy_user=proxy.removeprefix("user ") if proxy.startswith("user ") else None,
        runs_in=str((h.get("runs_in") or {}).get("where", "host")),
        runs_in_why=str((h.get("runs_in") or {}).get("why", "")),
    )


def _text(value: Any, at: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise codec.DecodeError(f"{at}: expected a string or null")
    return value


def evidence_json(e: Evidence) -> dict[str, Any]:
    """The tri-state facts (``yes``/``no``/``unknown``), plus each endpoint address as a
    unit with its four paths. The values behind the facts (names, hosts) are in the
    findings' messages, and the raw results in ``dns``/``probes``."""
    out: dict[str, Any] = {
        f.name: v.value
        for f in dataclasses.fields(e)
        if isinstance(v := getattr(e, f.name), Tri)
        and not (v is Tri.UNKNOWN and f.metadata.get(codec.KNOWN_ONLY))
    }
    out["endpoint_addresses"] = codec.encode(e.endpoint_addresses)
    return out


def _evidence(d: dict[str, Any]) -> Evidence:
    """The facts and addresses back; every other Evidence field (values for messages) at its
    default: the JSON does not carry them."""
    hints = codec.hints(Evidence)
    # A fact a document leaves out reads unknown: json-line drops unknown facts, and facts
    # added after the schema's first version are written only when known.
    facts: dict[str, Any] = {
        f.name: codec.decode(Tri, d[f.name], at=f"evidence.{f.name}")
        if f.name in d
        else Tri.UNKNOWN
        for f in dataclasses.fields(Evidence)
        if hints[f.name] is Tri
    }
    addresses = codec.decode_all(
        AddressEvidence, d.get("endpoint_addresses", []), at="evidence.endpoint_addresses"
    )
    return Evidence(**facts, endpoint_addresses=addresses)


def _cloud_json(section: CloudSection) -> dict[str, Any]:
    from wsdiag.cloud.codec import section_json  # only a run with --aws has one

    return section_json(section)


_WRITE: codec.Hooks = {
    HostIdentity: host_json,
    Evidence: evidence_json,
    HostPaths: paths_json,
    CloudSection: _cloud_json,
}


def _cloud(doc: Any) -> CloudSection:
    from wsdiag.cloud.codec import section_from_json  # only a report with one reads it

    return section_from_json(doc)


_READ: codec.Hooks = {
    HostIdentity: _host,
    Evidence: _evidence,
    HostPaths: paths_from_json,
    CloudSection: _cloud,
}


def finding_json(f: Finding) -> dict[str, Any]:
    """One finding as JSON: the same shape in every wsdiag report (check and logs).
    ``owner``: who acts; ``basis``: fact -> ids of the results behind it."""
    out: dict[str, Any] = codec.encode(f)
    return out


def proxy_json(proxy: ProxyRoute) -> dict[str, Any]:
    """Which way 443 to the internet was tested; the URL never holds credentials."""
    out: dict[str, Any] = codec.encode(proxy)
    return out


def client_log_evidence_json(e: ClientLogEvidence) -> dict[str, Any]:
    """What ``wsdiag logs --json`` and a report's ``logs`` block say of the client's logs."""
    out: dict[str, Any] = codec.encode(e)
    return out


def client_logs_json(logs: ClientLogs) -> dict[str, Any]:
    """The ``logs`` block of ``wsdiag.report/1``: the evidence's fields, then ``comparison``."""
    out: dict[str, Any] = codec.encode(logs)
    return out
