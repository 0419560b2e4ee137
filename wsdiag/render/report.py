"""The report as JSON, both ways: a versioned contract (wsdiag.report/1) for tools. Pure.

The shape is the vocabulary's dataclasses, written and read by ``wsdiag.vocab.codec`` (their
field metadata names the keys that differ); the published schema
(``wsdiag/schema/report.schema.json``) is held to those fields by tests/test_contract.py.
Three blocks are views rather than fields, each written and read here or by its owner: the
host (whose view of the machine was used), the evidence (its tri-state facts only) and the
machine's paths (``wsdiag.host.paths``). The text a person reads is render/text.py; the HTML
page render/html.py.

Reading back: the JSON carries no evidence basis (the per-fact probe ids), so the loaded
Evidence has an empty one; names redacted in the document stay redacted.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from wsdiag.host.paths import paths_from_json, paths_json
from wsdiag.vocab import codec
from wsdiag.vocab.logs import ClientLogEvidence, ClientLogs
from wsdiag.vocab.machine import HostPaths
from wsdiag.vocab.model import Account, HostIdentity, ProxyRoute, Tri
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import AddressEvidence, Evidence, Finding

SCHEMA = "wsdiag.report/1"
T = TypeVar("T")


def to_json(report: Report) -> dict[str, Any]:
    """The report's JSON object, names not yet redacted (``render.formats.report_json``)."""
    out: dict[str, Any] = codec.encode(report, _WRITE)
    return out


def report_from_json(doc: Any) -> Report:
    """A Report from ``to_json`` output (any wsdiag.report/1 document: fields added since
    the first version are optional). Raises codec.DecodeError, naming the place, on a
    document of another shape."""
    return codec.decode(Report, doc, _READ)


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
    }


def _host(h: dict[str, Any]) -> HostIdentity:
    """The host block as written (names already redacted there stay redacted)."""
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
        logs_user=logs.removeprefix("user ") if logs.startswith("user ") else None,
        proxy_view="user" if proxy.startswith("user ") else proxy,
        proxy_user=proxy.removeprefix("user ") if proxy.startswith("user ") else None,
    )


def _text(value: Any, at: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise codec.DecodeError(f"{at}: expected a string or null")
    return value


def evidence_json(e: Evidence) -> dict[str, Any]:
    """The tri-state facts (``yes``/``no``/``unknown``), plus each endpoint address as a
    unit with its four paths. The values behind the facts (names, hosts) are in the
    findings' messages, and the raw results in ``dns``/``probes``."""
    out: dict[str, Any] = {k: v.value for k, v in _facts(e).items()}
    out["endpoint_addresses"] = codec.encode(e.endpoint_addresses)
    return out


def _facts(obj: Any) -> dict[str, Tri]:
    """Every Tri field, those of nested fact records too (flattened: fact names are unique)."""
    out: dict[str, Tri] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, Tri):
            out[f.name] = value
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            out.update(_facts(value))
    return out


def _evidence(d: dict[str, Any]) -> Evidence:
    addresses = [
        codec.decode(AddressEvidence, a, at=f"evidence.endpoint_addresses[{i}]")
        for i, a in enumerate(d.get("endpoint_addresses", []))
    ]
    return _facts_from(Evidence, d, endpoint_addresses=tuple(addresses))


def _facts_from(cls: type[T], d: dict[str, Any], **values: Any) -> T:
    """``cls`` with its Tri facts (and those of nested fact records) read from the flat
    ``d``; a fact absent from it is unknown where the field has a default."""
    hints = codec.hints(cls)
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        tp = hints[f.name]
        if tp is Tri and f.name in d:
            values[f.name] = codec.decode(Tri, d[f.name], at=f"evidence.{f.name}")
        elif _is_facts(tp):  # a nested record of facts
            values[f.name] = _facts_from(tp, d)
    return cls(**values)


def _is_facts(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp) and Tri in codec.hints(tp).values()


_WRITE: codec.Hooks = {HostIdentity: host_json, Evidence: evidence_json, HostPaths: paths_json}
_READ: codec.Hooks = {HostIdentity: _host, Evidence: _evidence, HostPaths: paths_from_json}


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
