"""The fleet summary: counters and a bounded list of the worst hosts. Pure, no I/O.

Constant memory whatever the number of reports: each counter keeps at most MAX_KEYS
distinct keys (the rest fold into "(other)"), the worst hosts are a heap of `top` entries,
and broken or foreign records are counted with only the first MAX_NAMED named.

Reports of schema `wsdiag.report/1` (the /1 family: `/1` or `/1.N`, a minor version only
adds fields) are read: only fields present since /1 (verdict, environment, findings[].code,
region) and optional ones (`host.name`, `logs.client_version`, `tool_version`) are used.
What is counted is validated first, as `show` would: a verdict this version knows, findings
a list of objects with string codes of at most MAX_CODE_CHARS, host an object; a record that
fails is broken, named with its file. A later major version (`wsdiag.report/2`) is foreign,
named: a new major may change what a field means, and counting its verdict as this
version's would be guessing (a /999 "ready" counted ready was a false ready).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from wsdiag.fleet.todo import HostTable, time_rank
from wsdiag.quality.score import Grade
from wsdiag.vocab.codec import kind, one_of, shown
from wsdiag.vocab.model import Environment, Owner, Severity, Verdict

SCHEMA_PREFIX = "wsdiag.report/"
MAX_KEYS = 1000  # distinct values kept per counter; a fleet has a handful of each
MAX_NAMED = 50  # broken/foreign records named; the rest are counted
# Reports come one per document or as an array (`jq -s`, and arrays of those): deeper
# nesting is no layout anything writes, and the walk stays shallow whatever a file holds.
MAX_ARRAY_DEPTH = 4
MAX_SCHEMA_DIGITS = 9  # a schema version of more digits is not one
SCHEMA_MAJOR = 1  # the major version read; a later one is foreign
# The longest finding code wsdiag writes is ~30 characters (ENDPOINT_CERTIFICATE_UNTRUSTED);
# 64 leaves room for later codes, and a 5,000-character "code" is not one.
MAX_CODE_CHARS = 64
OTHER = "(other)"
NONE = "(none)"
# The monitoring order (issue 9, watch): worse first. An unrecognised verdict ranks as
# unknown: it was not judged ready by anything this version understands.
VERDICT_RANK = {str(v): v.rank for v in Verdict}
SEVERITY_RANK = {str(s): s.rank for s in Severity}
FIELDS = (
    "verdict",
    "environment",
    "finding",
    "region",
    "client_version",
    "wsdiag_version",
    "quality_grade",  # quality.grade (issue 20); (none) in reports from before it
)


# (verdict rank, worst severity, acting codes, time_rank tier, seconds): higher is worse
WorstKey = tuple[int, int, int, int, float]


@dataclass(frozen=True, slots=True)
class WorstHost:
    host: str
    verdict: str
    environment: str
    findings: tuple[str, ...]
    started_at: str
    where: str


@dataclass(frozen=True, slots=True)
class SlowHost:
    """A host by its session quality's RTT p95 (ms, the direct paths pooled)."""

    host: str
    p95_ms: float
    grade: str
    started_at: str
    where: str


@dataclass
class Summary:
    """Feed it with add_report / add_broken / add_foreign / add_skipped; read the counts."""

    top: int = 10
    reports: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: {name: {} for name in FIELDS})
    broken: int = 0
    foreign: int = 0
    skipped: int = 0
    named_broken: list[tuple[str, str]] = field(default_factory=list)
    named_foreign: list[tuple[str, str]] = field(default_factory=list)
    _heap: list[tuple[WorstKey, int, WorstHost]] = field(default_factory=list)
    _seq: int = 0
    _slow: list[tuple[float, int, SlowHost]] = field(default_factory=list)  # min-heap by p95
    _schemas: dict[str, bool] = field(default_factory=dict)
    # --actionable: info codes (ENDPOINT_CERTIFICATE ...) are neither counted nor listed
    actionable: bool = False
    # --latest / --owner: each host's newest report as a row (wsdiag.fleet.todo)
    hosts: HostTable | None = None
    # codes seen, with whether every report had them as info only (bounded as the counters)
    info_only: dict[str, bool] = field(default_factory=dict)
    # the reading machine's clock (``todo.time_rank``: a report dated far ahead is suspect)
    now: datetime | None = None

    def add_broken(self, where: str, reason: str) -> None:
        self.broken += 1
        if len(self.named_broken) < MAX_NAMED:
            self.named_broken.append((where, reason))

    def add_foreign(self, where: str, reason: str) -> None:
        self.foreign += 1
        if len(self.named_foreign) < MAX_NAMED:
            self.named_foreign.append((where, reason))

    def add_skipped(self) -> None:
        self.skipped += 1

    def add_document(self, doc: Any, where: str, fallback_host: str) -> None:
        """One parsed JSON value: a report, an array of reports (arrays of arrays too), or
        something foreign. Iterative, in document order: nesting depth costs no stack."""
        stack: list[tuple[Any, str, str, int]] = [(doc, where, fallback_host, 0)]
        while stack:
            doc, where, fallback_host, depth = stack.pop()
            if isinstance(doc, list):
                if not doc:
                    self.add_foreign(where, "an empty JSON array: no report in it")
                    continue
                if depth >= MAX_ARRAY_DEPTH:
                    self.add_broken(
                        where, f"arrays nested deeper than {MAX_ARRAY_DEPTH}: not reports"
                    )
                    continue
                stack.extend(
                    (item, f"{where}[{i}]", f"{fallback_host}[{i}]", depth + 1)
                    for i, item in reversed(list(enumerate(doc)))
                )
            elif not isinstance(doc, dict):
                self.add_foreign(where, f"{kind(doc)} in JSON, not a report object")
            elif self._known_schema(schema := doc.get("schema")):
                major = int(str(schema).removeprefix(SCHEMA_PREFIX).split(".")[0])
                why = invalid_report(doc)
                if major != SCHEMA_MAJOR:
                    self.add_foreign(where, str(schema_problem(schema)))
                elif why is not None:
                    self.add_broken(where, f"not a {SCHEMA_PREFIX}{SCHEMA_MAJOR} report: {why}")
                else:
                    self._add_report(doc, where, fallback_host)
            elif isinstance(schema, str) and schema.startswith(SCHEMA_PREFIX):
                self.add_broken(where, str(schema_problem(schema)))
            else:
                self.add_foreign(where, str(schema_problem(schema)))

    def _known_schema(self, schema: object) -> bool:
        if not isinstance(schema, str):
            return False
        ok = self._schemas.get(schema)
        if ok is None:
            ok = schema_major(schema) is not None
            if len(self._schemas) < MAX_KEYS:
                self._schemas[schema] = ok
        return ok

    def _add_report(self, doc: dict[str, Any], where: str, fallback_host: str) -> None:
        self.reports += 1
        verdict = _text(doc.get("verdict"))
        environment = _text(doc.get("environment"))
        counts = self.counts
        _bump(counts["verdict"], verdict)
        _bump(counts["environment"], environment)
        _bump(counts["region"], _text(doc.get("region")))
        logs = doc.get("logs")
        _bump(
            counts["client_version"],
            _text(logs.get("client_version")) if isinstance(logs, dict) else NONE,
        )
        _bump(counts["wsdiag_version"], _text(doc.get("tool_version")))
        codes: list[str] = []
        worst_severity = 0
        findings = doc.get("findings")
        if isinstance(findings, list):
            finding_counts = counts["finding"]
            for f in findings:
                if isinstance(f, dict):
                    code = _text(f.get("code"))
                    severity = f.get("severity")
                    info = severity == "info"  # whoever owns it (render.formats.actionable)
                    if info and self.actionable:
                        continue
                    if code in self.info_only or len(self.info_only) < MAX_KEYS:
                        self.info_only[code] = self.info_only.get(code, True) and info
                    if code not in codes:  # a host counts once per code
                        codes.append(code)
                        _bump(finding_counts, code)
                    if isinstance(severity, str):
                        worst_severity = max(worst_severity, SEVERITY_RANK.get(severity, 0))
        self._add_quality(doc, where, fallback_host)
        if self.hosts is not None:
            self.hosts.add(doc, where, fallback_host)
        rank = VERDICT_RANK.get(verdict, Verdict.UNKNOWN.rank)
        if self.top == 0 or (rank == 0 and worst_severity == 0):
            return  # ready with nothing worth a look: not a "worst host"
        started = _text(doc.get("started_at"))
        # info notes do not make a host look worse (ENDPOINT_CERTIFICATE is on every one)
        acting = sum(1 for c in codes if not self.info_only.get(c, False))
        # newest by the time named, not the text ("9999-99-99" is no newest report)
        key = (rank, worst_severity, acting, *time_rank(started, self.now))
        heap = self._heap
        if len(heap) >= self.top and key <= heap[0][0]:
            return
        host = doc.get("host")
        name = host.get("name") if isinstance(host, dict) else None
        # A redacted name ("***", --redact-host) names no one: the file tells hosts apart.
        named = isinstance(name, str) and name.strip("*")
        entry = WorstHost(
            name if named and isinstance(name, str) else fallback_host,
            verdict,
            environment,
            tuple(codes),
            started,
            where,
        )
        self._seq += 1
        _keep(heap, key, self._seq, entry, self.top)  # a host's worst (then newest) report

    def _add_quality(self, doc: dict[str, Any], where: str, fallback_host: str) -> None:
        q = doc.get("quality")
        q = q if isinstance(q, dict) else {}
        _bump(self.counts["quality_grade"], _text(q.get("grade")))
        overall = q.get("overall")
        rtt = overall.get("rtt_ms") if isinstance(overall, dict) else None
        p95 = rtt.get("p95") if isinstance(rtt, dict) else None
        if not isinstance(p95, int | float) or isinstance(p95, bool) or self.top == 0:
            return
        entry = SlowHost(
            _host_name(doc, fallback_host),
            float(p95),
            _text(q.get("grade")),
            _text(doc.get("started_at")),
            where,
        )
        self._seq += 1
        _keep(self._slow, entry.p95_ms, self._seq, entry, self.top)  # a host's slowest report

    def slowest_hosts(self) -> list[SlowHost]:
        """The hosts with the highest RTT p95 first (at most ``top``)."""
        return [e for _, _, e in sorted(self._slow, reverse=True)]

    def worst_hosts(self) -> list[WorstHost]:
        """Worst first: verdict (blocked > unknown > degraded > ready), then the worst
        finding severity, the number of finding codes, the newest start time."""
        return [e for _, _, e in sorted(self._heap, reverse=True)]


Key = TypeVar("Key", WorstKey, float)
Host = TypeVar("Host", WorstHost, SlowHost)


def _keep(heap: list[tuple[Key, int, Host]], key: Key, seq: int, entry: Host, top: int) -> None:
    """Offer ``entry`` to ``heap``: a min-heap of at most ``top`` entries, those of the highest
    keys, one per host (a host's entry is replaced only by one of a higher key). ``seq``
    grows with every offer: among equal keys the earlier entry ranks higher."""
    for i, (old_key, _, old) in enumerate(heap):
        if old.host == entry.host:
            if old_key >= key:
                return
            heap[i] = heap[-1]
            heap.pop()
            heapq.heapify(heap)
            break
    item = (key, -seq, entry)
    if len(heap) < top:
        heapq.heappush(heap, item)
    elif heap and item > heap[0]:
        heapq.heapreplace(heap, item)


def schema_problem(schema: object) -> str | None:
    """Why a document whose "schema" is ``schema`` is not a report this wsdiag reads, in the
    words ``show`` and ``summarize`` both use; None for wsdiag.report/1 and its minors."""
    major = schema_major(schema)
    if major == SCHEMA_MAJOR:
        return None
    current = f"{SCHEMA_PREFIX}{SCHEMA_MAJOR}"
    if not isinstance(schema, str) or not schema.startswith("wsdiag."):
        return f'not a wsdiag report: no "schema": "{current}"'
    shown = schema if len(schema) <= 40 else f"{schema[:40]}... ({len(schema)} characters)"
    if major is not None:
        return (
            f"schema {shown}: a later version than this wsdiag reads ({current} and its minor"
            " versions): read it with a newer wsdiag"
        )
    if schema.startswith(SCHEMA_PREFIX):
        return f"schema {shown}: no version this wsdiag knows ({current} and its minor versions)"
    return f"a {shown} document, not a check report ({current})"


def schema_major(schema: object) -> int | None:
    """The major version of a ``wsdiag.report/N`` or ``/N.M`` schema, or None when it is not
    one: ASCII digits only and few of them (int() refuses more than 4,300 digits, and "²"
    is a digit to str.isdigit)."""
    if not isinstance(schema, str) or not schema.startswith(SCHEMA_PREFIX):
        return None
    version = schema.removeprefix(SCHEMA_PREFIX)
    major, dot, minor = version.partition(".")
    ok = (
        0 < len(version) <= MAX_SCHEMA_DIGITS
        and major.isascii()
        and major.isdigit()
        and int(major) >= 1
        and (not dot or (minor.isascii() and minor.isdigit()))
    )
    return int(major) if ok else None


ENVIRONMENTS = frozenset(str(e) for e in Environment)
OWNERS = frozenset(str(o) for o in Owner)
GRADES = frozenset(str(g) for g in Grade)


def invalid_report(doc: dict[str, Any]) -> str | None:
    """Why ``doc`` (a /1-family report object) cannot be counted, or None: every field
    summarize counts or ranks by, checked as ``show`` decodes it (``show`` runs this check
    too), so that a record is counted exactly when ``show`` reads what is counted. Fields
    summarize does not read (dns, probes, evidence, paths) are left to ``show``: decoding
    them costs 50 times the parse."""
    for key in ("tool_version", "started_at", "region"):  # the document's order
        if key not in doc:
            return f"{key}: missing"
        if not isinstance(doc[key], str):
            return f"{key}: expected a string, not {_kind(doc[key])}"
    verdict = doc.get("verdict")
    if not isinstance(verdict, str) or verdict not in VERDICT_RANK:
        return f"verdict: {shown(verdict)} is not {one_of(Verdict)}"
    environment = doc.get("environment")
    if not isinstance(environment, str) or environment not in ENVIRONMENTS:
        return f"environment: {shown(environment)} is not {one_of(Environment)}"
    why = _invalid_findings(doc.get("findings"))
    if why is not None:
        return why
    if "host" in doc:
        host = doc["host"]
        if not isinstance(host, dict):
            return f"host: expected an object, not {_kind(host)}"
        name = host.get("name")
        if name is not None and not isinstance(name, str):
            return f"host.name: expected a string or null, not {_kind(name)}"
    logs = doc.get("logs")
    if logs is not None and not isinstance(logs, dict):
        return f"logs: expected an object or null, not {_kind(logs)}"
    # quality may be absent (reports from before it) but, present, is an object (the schema)
    if "quality" in doc and not isinstance(doc["quality"], dict):
        return f"quality: expected an object, not {_kind(doc['quality'])}"
    version = (logs or {}).get("client_version")
    if version is not None and not isinstance(version, str):
        return f"logs.client_version: expected a string or null, not {_kind(version)}"
    quality = doc.get("quality") or {}
    grade = quality.get("grade", "unknown")  # absent: unknown, as show reads it
    if not isinstance(grade, str) or grade not in GRADES:
        return f"quality.grade: {shown(grade)} is not {one_of(Grade)}"
    return None


def _invalid_findings(findings: object) -> str | None:
    if not isinstance(findings, list):
        return f"findings: expected an array, not {_kind(findings)}"
    for i, f in enumerate(findings):
        if not isinstance(f, dict):
            return f"findings[{i}]: expected an object, not {_kind(f)}"
        code = f.get("code")
        if not isinstance(code, str):
            return f"findings[{i}].code: expected a string, not {_kind(code)}"
        if not code:
            return f"findings[{i}].code: an empty string, not a finding code"
        if len(code) > MAX_CODE_CHARS:
            return f"findings[{i}].code: {len(code):,} characters, at most {MAX_CODE_CHARS}"
        severity = f.get("severity")
        if not isinstance(severity, str) or severity not in SEVERITY_RANK:
            return f"findings[{i}].severity: {shown(severity)} is not {one_of(Severity)}"
        if not isinstance(f.get("message"), str):
            return f"findings[{i}].message: expected a string, not {_kind(f.get('message'))}"
        owner = f.get("owner")
        if owner is not None and (not isinstance(owner, str) or owner not in OWNERS):
            return f"findings[{i}].owner: {shown(owner)} is not {one_of(Owner)}"
    return None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def _host_name(doc: dict[str, Any], fallback: str) -> str:
    host = doc.get("host")
    name = host.get("name") if isinstance(host, dict) else None
    return name if isinstance(name, str) and name.strip("*") else fallback


def _text(value: object) -> str:
    return value if isinstance(value, str) and value else NONE


def _bump(counter: dict[str, int], key: str) -> None:
    n = counter.get(key)
    if n is not None:
        counter[key] = n + 1
    elif len(counter) < MAX_KEYS:
        counter[key] = 1
    else:
        counter[OTHER] = counter.get(OTHER, 0) + 1
