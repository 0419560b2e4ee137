"""The JSON contract has one definition, the dataclasses: the published schemas
(wsdiag/schema/*.json) name exactly the keys their fields write, every sample report encodes
again byte for byte, and the generic codec reads back what it writes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.redact import Redaction
from wsdiag.render.formats import dumps, report_json
from wsdiag.render.report import report_from_json, to_json
from wsdiag.vocab import codec
from wsdiag.vocab.evidence import AddressEvidence, Evidence
from wsdiag.vocab.logs import ClientLogEvidence, ClientLogs, Endpoint, LogError, Session
from wsdiag.vocab.machine import ClientProcess, Confidence, Interface, RouteFact
from wsdiag.vocab.model import Fault, ProxyRoute, Tri
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import CertSummary, DnsResult, Finding, ProbeResult

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "wsdiag" / "schema" / "report.schema.json").read_text())
LOGS_SCHEMA = json.loads((ROOT / "wsdiag" / "schema" / "logs.schema.json").read_text())
SAMPLES = sorted((ROOT / "examples" / "reports").glob("*.json"))
V1 = sorted((ROOT / "tests" / "fixtures" / "reports-v1").glob("*.json"))


def at(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    """The sub-schema at ``path`` (property names; "[]" steps into an array's items)."""
    node = schema
    for step in path:
        node = node["items"] if step == "[]" else node["properties"][step]
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


# (schema path, the keys the dataclass writes)
REPORT_OBJECTS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    # the session quality is Evidence.quality, written as the report's own block
    ((), (*codec.keys(Report), "quality")),
    (("findings", "[]"), codec.keys(Finding)),
    (("evidence", "endpoint_addresses", "[]"), codec.keys(AddressEvidence)),
    (("dns", "[]"), codec.keys(DnsResult)),
    (("probes", "[]"), codec.keys(ProbeResult)),
    (("probes", "[]", "certs", "[]"), codec.keys(CertSummary)),
    (("proxy",), codec.keys(ProxyRoute)),
    (("paths", "interfaces", "[]"), codec.keys(Interface)),
    (("paths", "routes", "[]"), ("role", *codec.keys(RouteFact))),
]


@pytest.mark.parametrize(
    ("path", "keys"), REPORT_OBJECTS, ids=["/".join(p) or "report" for p, _ in REPORT_OBJECTS]
)
def test_the_report_schema_names_the_fields(path: tuple[str, ...], keys: tuple[str, ...]) -> None:
    node = at(SCHEMA, *path)
    assert node.get("additionalProperties") is False, "the schema must close every object"
    assert set(node["properties"]) == set(keys)


def test_the_evidence_schema_takes_every_fact_and_only_facts() -> None:
    node = at(SCHEMA, "evidence")
    assert node["additionalProperties"] == {"enum": [t.value for t in Tri]}
    assert set(node["properties"]) == {"endpoint_addresses"}
    fields = [f for f in dataclasses.fields(Evidence) if f.type in ("Tri", Tri)]
    facts = {f.name for f in fields}
    later = {f.name for f in fields if f.metadata.get(codec.KNOWN_ONLY)}
    doc = json.loads(SAMPLES[0].read_text())
    # every first-version fact always; a later one only where it was measured
    assert facts - later <= set(doc["evidence"]) <= facts | {"endpoint_addresses"}
    assert all(doc["evidence"][k] != "unknown" for k in later & set(doc["evidence"]))


def test_the_logs_block_and_the_logs_schema_name_the_fields() -> None:
    logs = at(SCHEMA, "logs")
    assert logs["additionalProperties"] is False
    assert set(logs["properties"]) == set(codec.keys(ClientLogs))
    assert set(codec.keys(ClientLogs)) == {*codec.keys(ClientLogEvidence), "comparison"}
    for path, cls in (
        (("sessions", "[]"), Session),
        (("sessions", "[]", "offered", "[]"), Endpoint),
        (("errors", "[]"), LogError),
        (("findings", "[]"), Finding),
    ):
        node = at(LOGS_SCHEMA, *path)
        assert set(node["properties"]) == set(codec.keys(cls)), path


@pytest.mark.parametrize(
    "path", SAMPLES + V1, ids=[p.parent.name + "-" + p.stem for p in SAMPLES + V1]
)
def test_a_report_encodes_again_byte_for_byte(path: Path) -> None:
    text = path.read_text()
    doc = json.loads(text)
    obj = report_json(report_from_json(doc), Redaction(enabled=True))
    obj["host"]["redacted"] = doc["host"]["redacted"]  # said by the renderer that redacted
    assert dumps(obj) == text


def test_fields_added_after_v1_are_optional() -> None:
    """Every /1 document reads, so every field it lacks has a default: a new field without
    one fails here (give it a default; the schema stays /1)."""
    for path in V1:
        report = report_from_json(json.loads(path.read_text()))
        assert to_json(report)["verdict"] == json.loads(path.read_text())["verdict"]


# --- the codec itself -------------------------------------------------------------------

text = st.text(max_size=8)
ids = st.tuples(text, text).map("/".join)
FINDINGS = st.builds(
    Finding,
    code=text,
    message=text,
    probes=st.lists(ids, max_size=3).map(tuple),
    basis=st.lists(
        st.tuples(text, st.lists(ids, max_size=2).map(tuple)), max_size=3, unique_by=lambda x: x[0]
    ).map(tuple),
)
PROBES = st.builds(
    ProbeResult,
    certs=st.just(()),
    ms=st.none() | st.floats(0, 1e6, allow_nan=False),
    port=st.integers(0, 65535),
    # written only when known (dense): an ICMP kind and an address are never ""
    icmp=st.none() | st.text(min_size=1, max_size=8),
    offender=st.none() | st.text(min_size=1, max_size=8),
)
# keys left out when empty: None for icmp/offender (reports before issue 17), no cause
PROBE_DENSE: dict[str, object] = {"icmp": None, "offender": None, "cause": Fault.NONE}


@given(FINDINGS)
def test_a_finding_reads_back_as_written(f: Finding) -> None:
    doc = json.loads(json.dumps(codec.encode(f)))
    assert codec.decode(Finding, doc) == f


@given(PROBES)
def test_a_probe_reads_back_as_written(p: ProbeResult) -> None:
    doc = json.loads(json.dumps(codec.encode(p)))
    assert codec.decode(ProbeResult, doc) == p
    unknown = {k for k, empty in PROBE_DENSE.items() if getattr(p, k) == empty}
    assert set(doc) == set(codec.keys(ProbeResult)) - unknown


@given(st.builds(DnsResult, ms=st.none() | st.floats(0, 1e6, allow_nan=False)))
def test_dns_reads_back_but_what_the_report_leaves_out(d: DnsResult) -> None:
    doc = json.loads(json.dumps(codec.encode(d)))
    assert "dead_servers" not in doc and "target_id" not in doc and "target" in doc
    assert ("reason" in doc) == bool(d.reason)
    assert codec.decode(DnsResult, doc) == dataclasses.replace(d, dead_servers=())


def test_a_process_reads_back_and_json_is_plain() -> None:
    c = ClientProcess(7, "workspaces", Confidence.ASSUMED, "5.1")
    assert codec.encode(c) == {
        "pid": 7,
        "name": "workspaces",
        "confidence": "assumed",
        "version": "5.1",
    }
    assert codec.decode(ClientProcess, codec.encode(c)) == c


@pytest.mark.parametrize(
    ("cls", "data", "why"),
    [
        (
            Finding,
            {"code": "X", "severity": "fatal", "message": ""},
            'severity: "fatal" is not one of "info", "warning", "error"',
        ),
        (Finding, {"code": "X", "severity": "info"}, "message: missing"),
        (
            Finding,
            {"code": 1, "severity": "info", "message": ""},
            "code: expected a string, not a number",
        ),
        (
            Finding,
            {"code": "X", "severity": "info", "message": "", "basis": []},
            "basis: expected an object",
        ),
        (Finding, [], "document: expected an object, not an array"),
        (
            ProbeResult,
            {
                "id": "a",
                "target": "t",
                "host": "h",
                "address": None,
                "transport": "tcp",
                "port": True,
                "status": "open",
            },
            "port: expected a whole number, not a boolean",
        ),
        (
            CertSummary,
            {
                "subject_cn": "",
                "sans": [],
                "issuer": "",
                "issuer_cn": "",
                "not_before": "yesterday",
                "not_after": "2030-01-01T00:00:00+00:00",
                "sha256": "",
                "self_issued": False,
            },
            'not_before: "yesterday" is not an ISO 8601 time',
        ),
    ],
)
def test_a_wrong_shape_names_its_place(cls: type, data: object, why: str) -> None:
    with pytest.raises(codec.DecodeError, match=why.replace("[", r"\[").replace("(", r"\(")):
        codec.decode(cls, data)
