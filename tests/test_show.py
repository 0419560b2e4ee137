"""`wsdiag show REPORT`: a report collected elsewhere rendered again, as a user runs it.

The oracle is the reports themselves: every sample (examples/reports) and every report of
schema /1 as the previous release wrote it (tests/fixtures/reports-v1, kept when the samples
are regenerated) comes back as the text `wsdiag check` printed, as the same JSON byte for
byte, as a line and as an HTML page; a json-line copy (what SSM collects) as the same report
but its certificate chains. What is not a whole report gets one line and exit 3.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.render_checks import check_html
from wsdiag.render.formats import compact, dumps

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "examples" / "reports").glob("*.json"))
V1 = sorted((ROOT / "tests" / "fixtures" / "reports-v1").glob("*.json"))
EXIT = {"ready": 0, "degraded": 1, "blocked": 2, "unknown": 3}


def show(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "wsdiag", "show", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env=env,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def one_error_line(proc: subprocess.CompletedProcess[str], text: str) -> None:
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wsdiag: error: "), proc.stderr
    assert text in lines[0], lines[0]


def without_certs(doc: dict[str, object]) -> dict[str, object]:
    probes = doc["probes"]
    assert isinstance(probes, list)
    return {**doc, "probes": [{k: v for k, v in p.items() if k != "certs"} for p in probes]}


def test_the_v1_fixtures_are_the_previous_release_reports() -> None:
    assert len(V1) >= 15 and {p.stem for p in V1} >= {"closed", "home", "udp-blocked"}
    assert all(json.loads(p.read_text())["schema"] == "wsdiag.report/1" for p in V1)


@pytest.mark.parametrize(
    "path", SAMPLES + V1, ids=[f"sample-{p.stem}" for p in SAMPLES] + [f"v1-{p.stem}" for p in V1]
)
def test_a_report_comes_back_as_text_json_line_and_html(path: Path, tmp_path: Path) -> None:
    doc = json.loads(path.read_text())
    page = tmp_path / "report.html"
    proc = show(str(path), "--html", str(page))
    assert proc.returncode == EXIT[doc["verdict"]], proc.stderr
    head, _, text = proc.stdout.partition("\n")
    assert head == f"report from {doc['host']['name']} at {doc['started_at']}"
    txt = path.with_suffix(".txt")
    if txt.exists():  # the text beside a sample is what `wsdiag check` printed at 80 columns
        assert text == txt.read_text()
    check_html(page.read_text(encoding="utf-8"), doc)
    again = show(str(path), "--format", "json")
    assert again.stdout == path.read_text()  # byte for byte: nothing lost, nothing un-redacted
    line = show(str(path), "--format", "LINE")  # any case
    assert line.stdout.startswith(f"{doc['verdict']} env={doc['environment']} host=")
    assert line.stdout.count("\n") == 1 and line.returncode == EXIT[doc["verdict"]]


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_a_json_line_report_from_stdin_is_rebuilt(path: Path) -> None:
    doc = json.loads(path.read_text())
    collected = dumps(compact(doc), one_line=True).encode()
    back = show("-", "--format", "json", stdin=collected)
    assert back.returncode == EXIT[doc["verdict"]], back.stderr
    # ids, hosts and addresses json-line leaves out are rebuilt; certificate chains are not
    # in json-line, and stay out
    assert without_certs(json.loads(back.stdout)) == without_certs(doc)
    assert show("-", "--format", "json-line", stdin=collected).stdout.encode() == collected
    text = show("-", stdin=collected)
    assert text.stdout == show(str(path)).stdout


def test_a_bundle_zip_shows_its_report(tmp_path: Path) -> None:
    sample = ROOT / "examples" / "reports" / "home.json"
    bundle = tmp_path / "wsdiag-bundle.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("manifest.json", "{}")
        zf.writestr("report.json", sample.read_text())
    proc = show(str(bundle), "--format", "json")
    assert (proc.returncode, proc.stdout) == (2, sample.read_text())
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("notes.txt", "hello")
    one_error_line(show(str(other)), "a zip without report.json")


@pytest.mark.parametrize("keep", [1, 100, 0.5, 0.99, -1])
@pytest.mark.parametrize("fmt", ["json", "json-line"])
def test_a_cut_report_is_one_line_and_exit_3(keep: float, fmt: str) -> None:
    doc = json.loads((ROOT / "examples" / "reports" / "minimal-egress.json").read_text())
    full = dumps(doc) if fmt == "json" else dumps(compact(doc), one_line=True)
    full = full.rstrip("\n")
    n = int(keep) if keep >= 1 else (len(full) - 1 if keep == -1 else int(len(full) * keep))
    proc = show("-", stdin=full[:n].encode())
    one_error_line(proc, f"report cut at {n:,} characters")
    assert proc.stdout == ""
    line = show("-", "--format", "line", stdin=full[:n].encode())
    assert line.stdout == f"unknown reason: report cut at {n:,} characters\n"


BROKEN = [
    (b"", "empty"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"hello world\n", "not JSON"),
    (b"[1, 2]", "an array in JSON, not a report object"),
    (b'{"schema": "wsdiag.logs/1", "sessions": []}', "a wsdiag.logs/1 document"),
    (b'{"schema": "wsdiag.report/2"}', "a later version than this wsdiag reads"),
    (b'{"name": "something else"}', "not a wsdiag report"),
    (b'{"schema": "wsdiag.report/1"}', "not a wsdiag.report/1 report: tool_version: missing"),
    (b"{}\n{}\n", "more than one document"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),  # json's RecursionError
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deep"),
]


@pytest.mark.parametrize(("data", "why"), BROKEN, ids=[w for _, w in BROKEN])
def test_a_broken_or_foreign_document_is_one_line_and_exit_3(data: bytes, why: str) -> None:
    proc = show("-", stdin=data)
    one_error_line(proc, why)
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        (
            ("probes", 0, "status"),
            "opne",
            'probes[0].status: "opne" is not one of "open", "refused"',
        ),
        (("dns", 0, "ms"), "fast", "dns[0].ms: expected a number, not a string"),
        (("findings",), {"a": 1}, "findings: expected an array, not an object"),
        (
            ("evidence", "endpoint_tcp"),
            "maybe",
            'evidence.endpoint_tcp: "maybe" is not one of "yes", "no", "unknown"',
        ),
        (("host", "account"), "king", 'host.account: "king" is not one of'),
    ],
)
def test_a_wrong_field_is_named_in_one_line(
    path: tuple[str | int, ...], value: object, why: str, tmp_path: Path
) -> None:
    doc = json.loads((ROOT / "examples" / "reports" / "minimal-egress.json").read_text())
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    one_error_line(show(str(bad)), why)


def test_what_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    one_error_line(show(str(tmp_path)), "not a regular file")
    one_error_line(show(str(tmp_path / "nothing.json")), "no such file")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    one_error_line(show(str(fifo)), "not a regular file")  # never blocks on it


# --- errors in words, never Python's (FRESH-REPORT item 14) -----------------------------------

# What only Python says: a reader of a report can act on none of it.
PYTHON_WORDS = re.compile(
    r"NoneType|has no attribute|not iterable|invalid literal|argument of type|unhashable"
    r"|not subscriptable|positional argument|\b(?:int|float|str)\(\)|'(?:str|dict|list|int|"
    r"float|bool)'|expected (?:float|str|int|bool)\b|is not a [A-Z]|Error\b|Traceback"
)
MINIMAL = ROOT / "examples" / "reports" / "minimal-egress.json"


def _base(layout: str = "json") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(MINIMAL.read_text())
    return doc if layout == "json" else compact(doc)  # json-line: what SSM collects


def _mutated(path: tuple[str | int, ...], value: object, layout: str = "json") -> dict[str, Any]:
    doc = _base(layout)
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


def _read_all_ways(doc: dict[str, Any]) -> str | None:
    """What `show` does with ``doc`` in every format, in process: None when it was read and
    rendered, else its one-line reason. Any other exception fails the test (a traceback)."""
    from wsdiag.render.formats import Format
    from wsdiag.show import NotAReport, load, parse, render

    try:
        report = load(parse(json.dumps(doc).encode()))
    except NotAReport as exc:
        return str(exc)
    for fmt in Format:
        render(report, doc, fmt)
    return None


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        (("evidence",), None, "evidence: expected an object, not null"),
        (("evidence",), [], "evidence: expected an object, not an array"),
        (("quality", "samples"), "a", "quality.samples: expected a whole number, not a string"),
        (("quality",), 1, "quality: expected an object, not a number"),
        (("quality", "bounds", "rtt_ms"), [], "quality.bounds.rtt_ms: expected [good, poor]"),
        (("quality", "overall", "rtt_ms"), "a", "quality.overall.rtt_ms: expected an object"),
        (("quality", "overall", "jitter_ms"), "a", "quality.overall.jitter_ms: expected a number"),
        (("quality", "paths", 0, "id"), None, "quality.paths[0].id: expected a string, not null"),
        (("dns",), True, "dns: expected an array, not a boolean"),  # was a traceback
        (("paths", "routes", 0, "mtu"), "a", "paths.routes[0].mtu: expected a whole number"),
        (("environment_rule",), 1, "environment_rule: expected a string"),  # its own key
        (("host", "view"), "a", "host.view: expected an object, not a string"),
        (("verdict",), None, 'verdict: null is not one of "ready", "degraded", "blocked"'),
    ],
)
def test_a_wrong_shape_is_said_in_words(
    path: tuple[str | int, ...], value: object, why: str
) -> None:
    reason = _read_all_ways(_mutated(path, value))
    assert reason is not None and why in reason, reason
    assert not PYTHON_WORDS.search(reason), reason


def test_a_finding_basis_of_objects_is_a_reason_not_a_traceback() -> None:
    doc = json.loads(MINIMAL.read_text())
    doc["findings"][0]["basis"] = {"x": [{}]}
    reason = _read_all_ways(doc)
    assert reason is not None and "findings[0].basis.x[0]: expected a string" in reason


def _paths(node: Any, at: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [at] if at else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:2]):
            out += _paths(v, (*at, i))
    return out


WRONG = [None, "a", 1, -1, 1e308, [], {}, True, "", [None], {"a": None}]
CASES = [(layout, p) for layout in ("json", "json-line") for p in _paths(_base(layout))]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CASES), st.sampled_from(WRONG))
def test_any_field_of_any_wrong_kind_is_read_or_one_reason_in_words(
    case: tuple[str, tuple[str | int, ...]], value: object
) -> None:
    """Every field of a real report (json and json-line), set to a value of each other
    kind: `show` reads it or gives one reason naming the field; never a traceback, never
    Python's words."""
    layout, path = case
    reason = _read_all_ways(_mutated(path, value, layout))
    if reason is not None:
        assert not PYTHON_WORDS.search(reason), (layout, path, value, reason)


def test_a_bundle_zip_whose_header_lies_costs_no_memory(tmp_path: Path) -> None:
    """report.json declared as 100 bytes over 200 MB of zeros: zipfile's read() inflated it
    whole (460 MB from a 200 kB file); read in blocks, it is one line."""
    import io
    import struct
    import tracemalloc

    from wsdiag.show import NotAReport, read_source

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("report.json", b"\0" * (200 << 20))
    data = bytearray(buf.getvalue())
    del buf
    for magic, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.find(magic) + at
        data[i : i + 4] = struct.pack("<I", 100)
    (tmp_path / "b.zip").write_bytes(bytes(data))
    del data
    tracemalloc.start()
    try:
        with pytest.raises(NotAReport, match="broken zip"):
            read_source(str(tmp_path / "b.zip"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20, peak


def test_an_html_file_that_cannot_be_written_is_refused_before_the_report(tmp_path: Path) -> None:
    """show printed the whole report, then "cannot write": check refuses the same path at
    once (a fresh tester, stop 27)."""
    proc = show(str(SAMPLES[0]), "--html", str(tmp_path / "missing" / "r.html"))
    one_error_line(proc, "no folder")
    assert proc.stdout == ""


def test_an_empty_file_name_is_said_so() -> None:
    """`show ''` said ": not a regular file (a directory)" (the current folder)."""
    proc = show("")
    one_error_line(proc, "an empty file name")
