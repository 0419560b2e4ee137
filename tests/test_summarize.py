"""`wsdiag summarize`: collected reports of every layout in, one honest table out."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsdiag.fleet.sources import looks_like_report
from wsdiag.fleet.summarize import render_csv, render_text, summarize, to_dict
from wsdiag.fleet.summary import MAX_KEYS, OTHER, Summary

ROOT = Path(__file__).resolve().parent.parent
LAB = {p.stem: json.loads(p.read_text()) for p in (ROOT / "examples/reports").glob("*.json")}


def report(
    shape: str, host: str | None = None, schema: str = "wsdiag.report/1", client: str | None = None
) -> dict[str, Any]:
    doc = dict(LAB[shape], schema=schema)
    if host:
        doc["host"] = {
            "name": host,
            "os": "Linux",
            "os_version": "6",
            "account": "root",
            "wsdiag_version": "0.2.0",
            "time": "2026-11-30T00:00:00Z",
        }
    if client:
        doc["logs"] = {"client_version": client}
    return doc


def compact(doc: object) -> str:
    return json.dumps(doc, separators=(",", ":"))


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A collection as admins end up with: every layout, some rubbish."""
    d = tmp_path / "fleet"
    (d / "ssm/i-0abc/awsrunShellScript/0.awsrunShellScript").mkdir(parents=True)
    (d / "pretty.json").write_text(json.dumps(report("closed", "PC-1"), indent=2))
    (d / "lines.jsonl").write_text(
        "\n".join(
            compact(report(s, f"PC-{i + 2}", client="5.29.1"))
            for i, s in enumerate(["minimal-egress", "udp-blocked", "home"])
        )
        + "\n\n"
    )
    with gzip.open(d / "zipped.json.gz", "wt") as f:
        f.write(compact(report("open-egress", "PC-5")) + "\n")
    (d / "ssm/i-0abc/awsrunShellScript/0.awsrunShellScript/stdout").write_text(
        json.dumps(report("no-route"), indent=2)
    )  # no host block: named by its path
    (d / "ssm/i-0abc/awsrunShellScript/0.awsrunShellScript/stderr").write_text("warn\n")
    (d / "future.json").write_text(compact(report("reject", "PC-6", schema="wsdiag.report/7")))
    (d / "truncated.json").write_text(json.dumps(report("closed"), indent=2)[:3000])
    (d / "logs.json").write_text(compact({"schema": "wsdiag.logs/1", "sessions": []}))
    (d / "array.json").write_text(compact([1, 2]))
    (d / "empty.json").write_text("")
    (d / "notgz.json.gz").write_bytes(b"\x1f\x8bnot really gzip")
    return d


def test_a_folder_of_every_layout(fleet: Path) -> None:
    s = summarize([str(fleet)])
    assert s.reports == 6  # future.json's wsdiag.report/7 is a later major: foreign
    assert s.counts["verdict"] == {"blocked": 3, "ready": 2, "degraded": 1}
    assert s.counts["client_version"] == {"5.29.1": 3, "(none)": 3}
    assert s.counts["region"] == {"eu-west-1": 3, "ap-northeast-1": 3}  # as the samples say
    assert s.counts["finding"]["AUTH_UNREACHABLE"] == 1
    assert s.skipped == 1  # stderr
    broken = {Path(w).name: r for w, r in s.named_broken}
    assert set(broken) == {"truncated.json", "empty.json", "notgz.json.gz"}
    assert broken["truncated.json"] == "report cut at 3,000 characters"  # as show says it
    foreign = {Path(w).name for w, _ in s.named_foreign}
    # JSON lines: path:line
    assert foreign == {"logs.json:1", "array.json:1[0]", "array.json:1[1]", "future.json:1"}
    worst = s.worst_hosts()
    assert [h.verdict for h in worst] == ["blocked"] * 3 + ["degraded"]
    assert {h.host for h in worst} >= {"PC-1", "PC-4", "PC-3"}
    assert any(h.host.endswith("0.awsrunShellScript/stdout") for h in worst)


@pytest.mark.parametrize("top", [0, 1, 3])
def test_worst_hosts_are_bounded_and_one_per_host(top: int) -> None:
    s = Summary(top=top)
    for i in range(50):
        s.add_document(report("udp-blocked", f"H{i % 5}"), f"f{i}", f"f{i}")
    s.add_document(report("closed", "H2"), "x", "x")
    s.add_document(report("minimal-egress", "H9"), "y", "y")  # ready, info only: not listed
    worst = s.worst_hosts()
    assert len(worst) == min(top, 5)
    assert len({h.host for h in worst}) == len(worst)
    if top:
        assert (worst[0].host, worst[0].verdict) == ("H2", "blocked")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(sorted(LAB)), max_size=30), st.integers(0, 4))
def test_counts_add_up(shapes: list[str], top: int) -> None:
    s = Summary(top=top)
    for i, shape in enumerate(shapes):
        s.add_document(report(shape, f"h{i}"), str(i), str(i))
    for name in ("verdict", "environment", "region", "client_version", "wsdiag_version"):
        assert sum(s.counts[name].values()) == s.reports == len(shapes)
    assert len(s.worst_hosts()) <= top
    out = to_dict(s)
    json.dumps(out)
    assert render_csv(s).count("\n") >= 2 and render_text(s).startswith(f"{len(shapes)} report")


def test_counters_stay_bounded() -> None:
    s = Summary(top=2)
    for i in range(MAX_KEYS + 10):
        s.add_document(report("closed", f"h{i}", client=f"v{i}"), "w", "w")
    assert len(s.counts["client_version"]) == MAX_KEYS + 1
    assert s.counts["client_version"][OTHER] == 10


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("a.json", True),
        ("a.jsonl", True),
        ("a.ndjson.gz", True),
        ("stdout", True),
        ("stderr", False),
        ("a.txt", False),
        ("a.json.bak", False),
    ],
)
def test_names_read_in_folders(name: str, read: bool) -> None:
    assert looks_like_report(name) is read


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wsdiag", "summarize", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_command_reads_stdin_and_writes_json(fleet: Path) -> None:
    lines = (fleet / "lines.jsonl").read_text() + "garbage\n"
    proc = run("--format", "json", "-", str(fleet / "pretty.json"), stdin=lines)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["schema"] == "wsdiag.summary/1" and out["reports"] == 4
    assert out["broken"]["named"] == [
        {"where": "(stdin):5", "reason": out["broken"]["named"][0]["reason"]}
    ]
    assert out["verdict"] == {"blocked": 2, "degraded": 1, "ready": 1}
    assert [h["host"] for h in out["worst_hosts"]][:1] in (["PC-1"], ["PC-4"])


def test_command_csv(fleet: Path) -> None:
    proc = run("--format", "csv", "--top", "2", str(fleet))
    assert proc.returncode == 0
    rows = proc.stdout.splitlines()
    assert rows[0] == "kind,key,count,detail" and "reports,,6," in rows
    assert sum(r.startswith("worst_host,") for r in rows) == 2


@pytest.mark.parametrize(
    "args", [("no/such/dir",), ("--format", "xml", "."), ("--top", "-1"), ("--bogus",)]
)
def test_usage_errors_exit_3_with_nothing_on_stdout(args: tuple[str, ...]) -> None:
    proc = run(*args)
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr.startswith("wsdiag: error:") and proc.stderr.count("\n") == 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "verdict",
                "findings",
                "host",
                "logs",
                "region",
                "started_at",
                "environment",
                "tool_version",
            ]
        ),
        JSON,
    ),
    JSON,
)
def test_any_json_is_counted_never_raises(fields: dict[str, Any], other: Any) -> None:
    """Damaged reports, with any value in any field: each counted as a report, broken or
    foreign, never silently none of them."""
    s = Summary(top=3)
    s.add_document({**fields, "schema": "wsdiag.report/1"}, "a", "a")
    s.add_document(other, "b", "b")
    assert s.reports + s.broken + s.foreign >= 2
    render_text(s), render_csv(s), json.dumps(to_dict(s))


def test_without_orjson_the_standard_library_gives_the_same_summary(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = to_dict(summarize([str(fleet)]))
    monkeypatch.setitem(sys.modules, "orjson", None)  # import orjson -> ImportError
    slow = to_dict(summarize([str(fleet)]))
    for d in (fast, slow):  # parsers word their errors differently
        for b in d["broken"]["named"]:
            b["reason"] = b["reason"].split(":")[0]
    assert slow == fast


def test_text_output_carries_no_terminal_escapes_from_reports() -> None:
    s = Summary()
    s.add_document(report("closed", "PC\x1b]0;owned\x07\x1b[31m"), "f\x1b[2J", "f")
    s.add_document({"schema": "evil\x1b[5m"}, "g", "g")
    text = render_text(s)
    assert "\x1b" not in text and "\x07" not in text and "PC\\x1b]0;owned\\x07" in text


def test_hostile_files_are_counted_never_fatal(tmp_path: Path) -> None:
    """Deep nesting (a C parser's stack), a FIFO (would block), /dev/zero (never ends): each
    is one broken entry, and the good report beside them is still summarised."""
    import os
    import subprocess
    import sys

    d = tmp_path / "fleet"
    d.mkdir()
    (d / "deep.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    os.mkfifo(d / "fifo.json")
    (d / "zero.json").symlink_to("/dev/zero")
    (d / "good.json").write_text(json.dumps(report("closed", "PC-OK")))
    proc = subprocess.run(
        [sys.executable, "-m", "wsdiag", "summarize", "--format", "json", str(d)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["reports"] == 1
    broken = json.dumps(out)
    assert all(name in broken for name in ("deep.json", "fifo.json", "zero.json"))


# --- issue 18: hostile input is bounded and counted, never fatal -----------------------------


def _loads_recording(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make summarize's parser record the size of every document it is handed."""
    import wsdiag.fleet.summarize as mod

    sizes: list[int] = []
    real = mod._loader()

    def loads(data: bytes) -> Any:
        sizes.append(len(data))
        return real(data)

    monkeypatch.setattr(mod, "_loader", lambda: loads)
    return sizes


def _broken(s: Summary) -> dict[str, str]:
    return dict(s.named_broken)


def test_a_gzip_bomb_of_newlines_is_given_up_as_a_bomb(tmp_path: Path) -> None:
    """1 MB of gzip that expands to 1 GiB of newlines (issue 18, defect 5): one broken
    entry naming the bomb, the report beside it still counted."""
    member = gzip.compress(b"\n" * (1 << 20), compresslevel=9)  # ~1 kB per MiB
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(member * 1024)  # multi-member gzip: 1 GiB expanded
    assert bomb.stat().st_size < 2 << 20
    good = tmp_path / "good.json"
    good.write_text(compact(report("closed", "PC-OK")))
    s = summarize([str(bomb), str(good)])
    assert s.reports == 1
    assert "gzip bomb" in _broken(s)[str(bomb)]


def test_a_gzip_of_similar_reports_is_read_in_full(tmp_path: Path) -> None:
    """10^4 similar reports compress ~100x (more than 64 MiB expanded): the ratio cap must
    not take them for a bomb."""
    doc = report("no-route", "PC-0")
    path = tmp_path / "fleet.jsonl.gz"
    expanded = 0
    with gzip.open(path, "wb", compresslevel=6) as f:
        for i in range(10_000):
            doc["host"]["name"] = f"PC-{i:05d}"
            line = (compact(doc) + "\n").encode()
            expanded += len(line)
            f.write(line)
    assert expanded > 64 << 20
    assert expanded / path.stat().st_size > 90  # the premise: close to 100x
    s = summarize([str(path)])
    assert (s.reports, s.broken) == (10_000, 0)


def test_a_40_mb_line_is_too_large_and_never_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One 40 MB line `[{},{},...]` (defect 6; 1.8 GB and 37 s before): counted too large
    without reaching the parser; the next line is still read, with its own line number."""
    sizes = _loads_recording(monkeypatch)
    path = tmp_path / "big.jsonl"
    with path.open("wb") as f:
        f.write(b"[" + b"{}," * 13_000_000 + b"{}]\n")
        f.write((compact(report("closed", "PC-OK")) + "\n").encode())
    pretty = tmp_path / "big.json"
    pretty.write_bytes(b"[\n" + b"{},\n" * 600_000 + b"{}]\n")  # 2.4 MB pretty document
    zipped = tmp_path / "big.jsonl.gz"
    zipped.write_bytes(gzip.compress(b"[" + b"{}," * 13_000_000 + b"{}]\n"))
    s = summarize([str(path), str(pretty), str(zipped)])
    assert s.reports == 1 and s.foreign == 0
    broken = _broken(s)
    for where in (f"{path}:1", str(pretty), f"{zipped}:1"):
        assert broken[where].startswith("too large"), broken
    assert max(sizes) < 1 << 20


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        # a valid gzip header, then a deflate stream that is not one: zlib.error
        ("corrupt.json.gz", gzip.compress(b"x" * 5000)[:10] + b"\xff" * 64, "unreadable"),
        ("truncated.json.gz", gzip.compress(b'{"a": 1}\n' * 999)[:-9], "unreadable"),  # EOF
        ("deep.json", b"[" * 1000 + b"]" * 1000, ""),  # RecursionError in the walk
        ("digits.json", b'{"schema":"wsdiag.report/' + b"9" * 5000 + b'"}', "schema wsdiag"),
        ("super.json", '{"schema":"wsdiag.report/²"}'.encode(), "schema wsdiag"),
        # the file's start is not UTF-8: the whole file is said to be so, once
        ("latin1.jsonl", b'{"schema":"wsdiag.report/1","verdict":"r\xe9ady"}\n', "not UTF-8"),
    ],
    ids=["corrupt-deflate", "truncated-gzip", "deep", "digits", "superscript", "latin1"],
)
def test_one_bad_file_is_one_named_broken_entry(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    """Defect 7: each of these once ended the whole summary with an internal error."""
    (tmp_path / name).write_bytes(data)
    (tmp_path / "good.json").write_text(compact(report("closed", "PC-OK")))
    s = summarize([str(tmp_path)])
    assert s.reports == 1 and s.broken >= 1
    assert any(name in where and why.startswith(reason) for where, why in s.named_broken), (
        s.named_broken
    )


def test_a_file_of_junk_lines_is_given_up_after_the_budget(tmp_path: Path) -> None:
    """A million junk lines say nothing more after the first thousand: the file is given up
    (one entry says so), and the next file is read."""
    junk = tmp_path / "a-junk.jsonl"
    junk.write_bytes(b"x\n" * 1_000_000)
    (tmp_path / "b-good.json").write_text(compact(report("closed", "PC-OK")))
    s = summarize([str(tmp_path)])
    from wsdiag.budgets import SUMMARIZE_MAX_UNUSABLE

    assert s.reports == 1
    assert s.broken == SUMMARIZE_MAX_UNUSABLE + 2  # the lines read, and "stopped reading"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.just(b"\n"),
            st.just(b"   \r\n"),
            st.sampled_from([b'{"schema":"wsdiag.report/1"}', b"junk", b"[]", b"  {}  "]),
        ),
        max_size=30,
    ),
    st.integers(min_value=1, max_value=64),
    st.integers(min_value=4, max_value=40),
)
def test_lines_are_numbered_across_any_chunking(parts: list[bytes], chunk: int, limit: int) -> None:
    """The line splitter gives the same (line number, text) as split, however the stream is
    cut into chunks; a line longer than the document limit comes as None."""
    from unittest import mock

    import wsdiag.fleet.sources as sources

    data = b"\n".join(parts)
    chunks = iter([data[i : i + chunk] for i in range(0, len(data), chunk)])
    with mock.patch.object(sources, "MAX_REPORT_BYTES", limit):
        got = list(sources._Lines(chunks))
    want = [
        (i + 1, None if len(ln.lstrip()) > limit else ln.lstrip())
        for i, ln in enumerate(data.split(b"\n"))
        if ln.strip()
    ]
    assert got == want


def _bad(**change: Any) -> dict[str, Any]:
    return {**report("closed", "PC-1"), **change}


COUNTED_WRONG = [
    # what summarize counted and show rejects: each broken (or foreign), named with its file
    ("bogus-verdict", _bad(verdict="bogus"), "broken", 'verdict: "bogus" is not one of'),
    ("null-findings", _bad(findings=None), "broken", "findings: expected an array, not null"),
    ("scalar-finding", _bad(findings=[1]), "broken", "findings[0]: expected an object"),
    ("code-number", _bad(findings=[{"code": 7}]), "broken", "findings[0].code: expected a string"),
    ("code-5000", _bad(findings=[{"code": "X" * 5000}]), "broken", "5,000 characters, at most 64"),
    ("host-array", _bad(host=[1, 2]), "broken", "host: expected an object, not an array"),
    ("schema-999", _bad(schema="wsdiag.report/999"), "foreign", "a later version"),
    ("empty-array", [], "foreign", "an empty JSON array"),
]


@pytest.mark.parametrize(
    ("name", "doc", "kind", "why"), COUNTED_WRONG, ids=[c[0] for c in COUNTED_WRONG]
)
def test_summarize_counts_only_what_show_would_read(
    tmp_path: Path, name: str, doc: Any, kind: str, why: str
) -> None:
    (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    (tmp_path / "good.json").write_text(json.dumps(report("closed", "PC-OK")))
    d = to_dict(summarize([str(tmp_path)]))
    assert d["reports"] == 1 and d["verdict"] == {"blocked": 1}
    assert d[kind]["count"] == 1
    ((entry,),) = [d[kind]["named"]]
    assert f"{name}.json" in entry["where"] and why in entry["reason"], entry
    assert "X" * 100 not in render_text(summarize([str(tmp_path)]))


def test_a_minor_version_of_the_first_schema_is_counted() -> None:
    s = Summary()
    s.add_document(report("closed", "PC-1", schema="wsdiag.report/1.3"), "a", "a")
    assert (s.reports, s.broken, s.foreign) == (1, 0, 0)


def test_top_0_says_the_lists_were_not_asked_for() -> None:
    s = Summary(top=0)
    s.add_document(report("closed", "PC-1"), "a", "a")
    text = render_text(s)
    assert "no report has session-quality samples" not in text
    assert "every report ready" not in text and text.count("(not listed: --top 0)") == 2


# --- a binary file is one entry; a bundle's zip is read as show reads it (FRESH-REPORT 14) -----


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (bytes(range(256)) * 20, "not a text file (it holds NUL bytes)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\xaa\n" * 2000, "not a text file"),
        (b"\xc3(\xff\n" * 1500, "not UTF-8 text"),  # no NUL, no UTF-8: one entry, not 1,500
        ('{"schema": "wsdiag.report/1"}\n'.encode("utf-16"), "UTF-16 text, not UTF-8"),
        (gzip.compress(bytes(range(256)) * 20), "not a text file"),
    ],
    ids=["binary", "png", "latin1-ish", "utf16", "gzip-of-binary"],
)
def test_a_file_that_is_not_text_is_one_broken_entry(tmp_path: Path, data: bytes, why: str) -> None:
    (tmp_path / "x.json").write_bytes(data)
    s = summarize([str(tmp_path / "x.json")])
    assert (s.reports, s.broken) == (0, 1), s.named_broken
    assert s.named_broken[0][1].startswith(why), s.named_broken


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=6000).map(lambda b: b[:100] + b"\x00" + b[100:]))
def test_any_file_with_nul_bytes_at_its_start_is_one_entry(data: bytes) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".jsonl") as f:
        f.write(data)
        f.flush()
        s = summarize([f.name])
    assert (s.reports, s.broken) == (0, 1)
    assert not any("surrogates" in why or "valid UTF-8" in why for _, why in s.named_broken)


def test_a_bad_line_later_in_a_text_file_is_still_one_line(tmp_path: Path) -> None:
    good = compact(report("closed", "PC-1")).encode()
    (tmp_path / "x.jsonl").write_bytes(good + b"\n\xff\xfe junk\n" + good + b"\n")
    s = summarize([str(tmp_path / "x.jsonl")])
    assert (s.reports, s.broken) == (2, 1) and s.named_broken[0][0].endswith("x.jsonl:2")


def _bundle(path: Path, report_text: str | None) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", "{}")
        zf.writestr("logs-tail.txt", "\n".join(["2026-12-01 junk"] * 80))
        if report_text is not None:
            zf.writestr("report.json", report_text)
    return path


def test_a_bundle_zip_is_its_report_as_show_reads_it(tmp_path: Path) -> None:
    """`wsdiag bundle` writes a zip; `show b.zip` shows its report.json: summarize counts
    that one report (it counted 80 broken "lines" of the zip's bytes)."""
    sample = ROOT / "examples" / "reports" / "home.json"
    z = _bundle(tmp_path / "b.zip", sample.read_text())
    d = to_dict(summarize([str(z)]))
    assert (d["reports"], d["broken"]["count"]) == (1, 0)
    assert d["verdict"] == {json.loads(sample.read_text())["verdict"]: 1}
    proc = subprocess.run(
        [sys.executable, "-m", "wsdiag", "summarize", "--format", "json", "-"],
        input=z.read_bytes(),
        capture_output=True,
        timeout=60,
        cwd=ROOT,
    )
    assert json.loads(proc.stdout)["reports"] == 1  # from stdin too (not seekable)


def test_a_zip_that_is_no_bundle_is_one_entry(tmp_path: Path) -> None:
    z = _bundle(tmp_path / "other.zip", None)
    s = summarize([str(z)])
    assert (s.reports, s.broken) == (0, 1)
    assert "a zip without report.json" in s.named_broken[0][1]


def test_a_zip_bomb_with_a_lying_header_costs_no_memory(tmp_path: Path) -> None:
    """report.json declared as 100 bytes over 200 MB of zeros (a 200 kB zip): zipfile's
    read() inflated it whole (460 MB); read in blocks it is one broken entry."""
    import io
    import struct
    import tracemalloc
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("report.json", b"\0" * (200 << 20))
    data = bytearray(buf.getvalue())
    del buf
    fake = struct.pack("<I", 100)
    i = data.find(b"PK\x03\x04")
    data[i + 22 : i + 26] = fake
    j = data.find(b"PK\x01\x02")
    data[j + 24 : j + 28] = fake
    (tmp_path / "bomb.zip").write_bytes(bytes(data))
    del data
    tracemalloc.start()
    try:
        s = summarize([str(tmp_path / "bomb.zip")])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (s.reports, s.broken) == (0, 1) and "broken zip" in s.named_broken[0][1]
    assert peak < 20 << 20, peak


# --- summarize counts a record exactly when show reads what is counted (FRESH-REPORT 12) ------


def _with_logs() -> dict[str, Any]:
    """minimal-egress with a real logs block (from a client log fixture)."""
    from wsdiag.logs.evidence import client_log_evidence
    from wsdiag.render.report import client_logs_json
    from wsdiag.vocab.logs import ClientLogs

    ev = client_log_evidence([ROOT / "tests/fixtures/logs/field-report-vpc-session.log"])
    assert ev is not None
    return {**LAB["minimal-egress"], "logs": client_logs_json(ClientLogs(ev, None))}


def _set(doc: Any, path: tuple[str | int, ...], value: Any) -> Any:
    doc = json.loads(json.dumps(doc))
    node = doc
    for step in path[:-1]:
        node = node[step]
    if value is _DROP:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


_DROP = object()


def _both(text: bytes, tmp_path: Path) -> tuple[bool, bool]:
    """(summarize counts it, show reads it) for one record's bytes."""
    from wsdiag.show import NotAReport, load, parse

    f = tmp_path / "r.json"
    f.write_bytes(text)
    counted = summarize([str(f)]).reports == 1
    try:
        load(parse(text))
        read = True
    except NotAReport:
        read = False
    return counted, read


PAIRED = [
    # (path, value, both read it)
    (("verdict",), "bogus", False),
    (("verdict",), None, False),
    (("environment",), "x", False),  # summarize counted any text
    (("environment",), _DROP, False),
    (("tool_version",), _DROP, False),
    (("region",), 7, False),
    (("started_at",), None, False),
    (("findings",), None, False),
    (("findings", 0), 1, False),
    (("findings", 0, "code"), "", False),  # show read an empty code
    (("findings", 0, "code"), "X" * 65, False),  # and a 65-character one
    (("findings", 0, "severity"), "fatal", False),
    (("findings", 0, "severity"), _DROP, False),
    (("findings", 0, "message"), _DROP, False),
    (("findings", 0, "owner"), "firewall", False),
    (("findings", 0, "owner"), [], False),
    (("findings", 0, "owner"), None, True),
    (("host",), None, False),  # summarize counted a null host
    (("host",), "pc", False),
    (("host", "name"), 5, False),
    (("host", "name"), None, True),
    (("logs",), [], False),
    (("logs", "client_version"), 5, False),
    (("logs", "client_version"), None, True),
    (("quality",), "good", False),
    (("quality",), None, False),  # summarize counted it, show refused it (fresh tester 2)
    (("quality", "grade"), "excellent", False),
    (("quality", "grade"), None, False),
    (("quality", "grade"), _DROP, True),
    (("schema",), "wsdiag.report/1.7", True),  # show refused a minor version
    (("schema",), "wsdiag.report/2", False),
    (("schema",), "wsdiag.report/1.", False),
]


@pytest.mark.parametrize(("path", "value", "read"), PAIRED)
def test_summarize_counts_exactly_what_show_reads(
    tmp_path: Path, path: tuple[str | int, ...], value: Any, read: bool
) -> None:
    doc = _set(_with_logs(), path, value)
    assert _both(json.dumps(doc).encode(), tmp_path) == (read, read)


@pytest.mark.parametrize(
    "number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"], ids=lambda n: n
)
@pytest.mark.parametrize("field", ["duration_ms", "probes"])
def test_nan_and_infinity_are_no_json_for_either(tmp_path: Path, number: str, field: str) -> None:
    """json.loads reads NaN, Infinity and 1e999 (inf); orjson refuses them, and show wrote
    NaN back into its --format json: both refuse them now, with the reason in words."""
    doc = _with_logs()
    text = json.dumps(doc)
    if field == "duration_ms":
        text = text.replace(
            f'"duration_ms": {json.dumps(doc["duration_ms"])}', f'"duration_ms": {number}'
        )
    else:
        text = text.replace('"ms": ', f'"ms": {number}, "x": ', 1)
    assert number in text
    assert _both(text.encode(), tmp_path) == (False, False)
    from wsdiag.show import NotAReport, parse

    with pytest.raises(NotAReport, match="strict JSON has no"):
        parse(text.encode())
    why = summarize([str(tmp_path / "r.json")]).named_broken[0][1]
    assert "strict JSON has no" in why, why


def _reasons(data: bytes, tmp_path: Path, name: str = "r.json") -> tuple[str | None, str | None]:
    """(why summarize does not count it, why show does not read it), None where it does."""
    from wsdiag.show import NotAReport, load, parse, read_source

    f = tmp_path / name
    f.write_bytes(data)
    s = summarize([str(f)])
    counted = None if s.reports == 1 else (s.named_broken + s.named_foreign)[0][1]
    try:
        load(parse(read_source(str(f))))
        read = None
    except NotAReport as exc:
        read = str(exc)
    return counted, read


def _with_number(field: str, number: str) -> bytes:
    doc = _with_logs()
    text = json.dumps(doc)
    old = f'"{field}": {json.dumps(doc[field])}'
    assert old in text
    return text.replace(old, f'"{field}": {number}').encode()


BOM = b"\xef\xbb\xbf"


def _latin1_late() -> bytes:
    """A report whose one byte that is not UTF-8 lies past the first 4 kB (summarize's sniff
    of a file's start): the parsers meet it, not the sniff."""
    text = json.dumps(_with_logs(), indent=2).encode()
    assert len(text) > 8192
    return text[:-1] + b', "note": "caf\xe9"}'


# (what, the bytes, both read it, the reason both give, with show's "not a report: " prefix off)
SAME_BYTES = [
    ("bom-compact", BOM + json.dumps(_with_logs()).encode(), True, None),
    ("bom-pretty", BOM + json.dumps(_with_logs(), indent=2).encode(), True, None),
    ("int-at-64-bits", _with_number("duration_ms", str(2**64 - 1)), True, None),
    ("int-past-64-bits", _with_number("duration_ms", str(2**64 + 1)), True, None),
    ("int-past-a-double", _with_number("duration_ms", "1" + "0" * 400), False, "too large for"),
    ("exit-code-past-a-double", _with_number("exit_code", "1" + "0" * 400), False, "too large"),
    # both read it: show's exit code is its verdict's, and summarize counts no exit_code
    ("exit-code-past-64-bits", _with_number("exit_code", str(2**70)), True, None),
    ("latin-1-late", _latin1_late(), False, "not UTF-8 text"),
    ("nested", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, False, "nested too deep"),
    ("cut", json.dumps(_with_logs(), indent=2)[:3000].encode(), False, "report cut at 3,000"),
    # the same refusals in the same words (fresh tester 2, defect 4)
    ("utf-16", json.dumps(_with_logs()).encode("utf-16"), False, "UTF-16 text"),
    ("no-schema", b'{"verdict": "ready"}', False, 'no "schema"'),
    ("logs-document", b'{"schema": "wsdiag.logs/1"}', False, "not a check report"),
    ("null", b"null", False, "null in JSON, not a report object"),
    ("minor-x", _with_number("schema", '"wsdiag.report/1.x"'), False, "no version this"),
]


@pytest.mark.parametrize(
    ("data", "read", "why"), [c[1:] for c in SAME_BYTES], ids=[c[0] for c in SAME_BYTES]
)
def test_the_same_bytes_are_read_by_both_or_refused_by_both_with_one_reason(
    tmp_path: Path, data: bytes, read: bool, why: str | None
) -> None:
    """show read a report with a byte order mark (Windows PowerShell 5.1's UTF-8) that
    summarize called broken, read an exit code of 10**400 that summarize refused, crashed
    on a duration of 10**400 (OverflowError), and gave other words for the same refusals
    (a fresh tester's defects 1 and 2, stop 27)."""
    counted, shown_why = _reasons(data, tmp_path)
    if read:
        assert (counted, shown_why) == (None, None)
        return
    assert counted is not None and shown_why is not None
    assert (
        shown_why.removeprefix("not a report: ").removeprefix("not a wsdiag.report/1 report: ")
        == counted.removeprefix("not a wsdiag.report/1 report: ")
        or counted in shown_why
    )
    if why is not None:
        assert why in counted and why in shown_why


def test_a_gzip_report_is_read_by_show_as_by_summarize(tmp_path: Path) -> None:
    """summarize reads reports.json.gz; show said "not UTF-8 text" of the same file."""
    doc = _with_logs()
    counted, shown_why = _reasons(gzip.compress(json.dumps(doc).encode()), tmp_path, "r.json.gz")
    assert (counted, shown_why) == (None, None)
    bomb = gzip.compress(b" " * (17 << 20))  # over show's 16 MiB once decompressed
    _, why = _reasons(bomb, tmp_path, "b.json.gz")
    assert why is not None and "stopped after" in why


@settings(max_examples=120, deadline=None)
@given(
    st.sampled_from(
        [
            ("verdict",),
            ("environment",),
            ("tool_version",),
            ("region",),
            ("started_at",),
            ("schema",),
            ("findings", 0, "code"),
            ("findings", 0, "severity"),
            ("findings", 0, "message"),
            ("findings", 0, "owner"),
            ("host", "name"),
            ("logs", "client_version"),
            ("quality", "grade"),
        ]
    ),
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=70),
        st.sampled_from(["ready", "blocked", "home", "error", "user", "good", "wsdiag.report/1.2"]),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    ),
)
def test_any_value_of_a_counted_field_is_counted_exactly_when_show_reads_it(
    path: tuple[str | int, ...], value: Any
) -> None:
    import tempfile

    doc = _set(_with_logs(), path, value)
    with tempfile.TemporaryDirectory() as d:
        counted, read = _both(json.dumps(doc).encode(), Path(d))
    assert counted == read, (path, value)


def test_a_json_value_that_is_no_object_is_named_in_json_words(tmp_path: Path) -> None:
    """It said "a JSON NoneType" (Python's name) of a line holding null (a fresh tester)."""
    f = tmp_path / "values.json"
    f.write_text('null\n7\n"x"\ntrue\n')
    s = summarize([str(f)])
    reasons = [why for _, why in s.named_foreign]
    assert reasons == [
        "null in JSON, not a report object",
        "a number in JSON, not a report object",
        "a string in JSON, not a report object",
        "a boolean in JSON, not a report object",
    ]


# --- a file of JSON values: pretty reports with content on the first line, several one after
# another, an array, text after a report, JSON lines whose first line is cut (fresh tester 2)


def _pretty() -> str:
    return json.dumps(_with_logs(), indent=2)


def _line() -> str:
    return compact(_with_logs())


def _nan(text: str) -> str:
    return text.replace('"duration_ms": ', '"duration_ms": NaN, "x": ', 1)


def _summary_of(data: bytes, tmp_path: Path) -> tuple[int, list[str]]:
    f = tmp_path / "f.json"
    f.write_bytes(data)
    s = summarize([str(f)])
    return s.reports, [why for _, why in s.named_broken + s.named_foreign]


def _show_says(data: bytes) -> str | None:
    from wsdiag.show import NotAReport, load, parse

    try:
        load(parse(data))
    except NotAReport as exc:
        return str(exc)
    return None


VALUE_FILES = [
    # (what, bytes, reports summarize counts, what it calls broken (substrings), show's reason)
    ("first-line-content", _pretty().replace('{\n  "', '{ "', 1).encode(), 1, [], None),
    ("an-array", json.dumps([_with_logs()], indent=2).encode(), 1, [], None),
    ("two-pretty", (_pretty() + "\n" + _pretty()).encode(), 2, [], "more than one document"),
    ("glued-lines", (compact(_with_logs()) + compact(_with_logs())).encode(), 2, [], "more than"),
    ("text-after", (_pretty() + "\ngarbage\n").encode(), 1, ["not JSON"], "other text beside"),
    (
        "lines-first-cut",
        (compact(_with_logs())[:500] + "\n" + (compact(_with_logs()) + "\n") * 3).encode(),
        3,
        ["report cut at 500 characters"],
        "more than one document",  # the cut line, then three reports
    ),
    # fresh tester 3: one broken pretty report is one entry (it was 1,519 of its lines), a
    # report after a broken one is still read, JSON lines then a pretty report, a cut line
    # before the last report, a byte order mark between reports, nested arrays
    ("broken-pretty", _nan(_pretty()).encode(), 0, ["NaN is not a JSON number"], "NaN"),
    (
        "after-a-broken-one",
        (_nan(_pretty()) + "\n" + _pretty()).encode(),
        1,
        ["NaN is not a JSON number"],
        "other text beside it",
    ),
    ("lines-then-pretty", (_line() + "\n" + _line() + "\n" + _pretty()).encode(), 3, [], "more"),
    (
        "cut-line-then-one",
        (_line()[:8751] + "\n" + _line() + "\n").encode(),
        1,
        ["report cut at 8,751"],
        "other text beside it",
    ),
    ("bom-between", (_pretty() + "\n\ufeff" + _pretty()).encode(), 2, [], "more than one"),
    ("nested-array", json.dumps([[_with_logs()]]).encode(), 1, [], None),
    (
        "cut-in-space",
        _pretty()[: _pretty().index(",\n", 5000) + 4].encode(),
        0,
        ["report cut"],
        "cut",
    ),
    (
        "cut-in-null",
        (_pretty().split('": null', 1)[0] + '": nul').encode(),
        0,
        ["report cut"],
        "cut",
    ),
]


@pytest.mark.parametrize(
    ("data", "reports", "broken", "shown"),
    [c[1:] for c in VALUE_FILES],
    ids=[c[0] for c in VALUE_FILES],
)
def test_a_file_of_json_values_is_read_value_by_value(
    tmp_path: Path, data: bytes, reports: int, broken: list[str], shown: str | None
) -> None:
    """summarize split a pretty report whose first line held more than "{" into 960 broken
    lines, read none of four pretty reports one after another, and none of a report with
    text after it; show called a cut in whitespace "not JSON"."""
    counted, why = _summary_of(data, tmp_path)
    assert counted == reports, why
    assert len(why) == len(broken) and all(b in w for b, w in zip(broken, why, strict=True)), why
    said = _show_says(data)
    assert (said is None) if shown is None else (said is not None and shown in said), said


def test_no_report_read_is_not_every_report_ready(tmp_path: Path) -> None:
    """`summarize /dev/zero` said "(none: every report ready)" of 0 reports (fresh tester 2)."""
    f = tmp_path / "empty.json"
    f.write_text("")
    text = render_text(summarize([str(f)]))
    assert "(none: no reports read)" in text and "every report ready" not in text


def test_at_a_terminal_summarize_says_it_reads_stdin() -> None:
    """Bare `wsdiag summarize` at a terminal waited silently for stdin (fresh tester 2)."""
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsdiag", "summarize"],
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            text=True,
        )
        os.close(follower)
        follower = -1
        assert proc.stderr is not None
        line = proc.stderr.readline()  # written before it starts to read
        os.write(leader, b"\x04")  # Ctrl-D: end of input
        proc.communicate(timeout=60)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert "reading reports from stdin" in line, line
    assert proc.returncode is not None
