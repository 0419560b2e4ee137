"""Session quality over time and across a fleet: watch's run lines and grade changes,
summarize's grade counts and slowest hosts. Pure (saved reports, stand-in clocks)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

from wsdiag.fleet.summarize import render_csv, render_text, to_dict
from wsdiag.fleet.summary import Summary
from wsdiag.quality.facts import quality_facts
from wsdiag.quality.samples import PathSamples, Sample
from wsdiag.render.report import report_from_json, to_json
from wsdiag.vocab.model import Transport, Via
from wsdiag.vocab.report import Report
from wsdiag.watch import watch

ROOT = Path(__file__).resolve().parent.parent
HOME = json.loads((ROOT / "examples" / "reports" / "open-egress.json").read_text())
# The same sample as the previous release wrote it: no session-quality block.
OLD = json.loads((ROOT / "tests" / "fixtures" / "reports-v1" / "open-egress.json").read_text())


def with_rtt(report: Report, rtt: float) -> Report:
    path = PathSamples(
        "endpoint/quic/4195@10.0.1.10",
        Transport.QUIC,
        4195,
        "10.0.1.10",
        Via.DIRECT,
        tuple(Sample(rtt + (i % 3)) for i in range(10)),
        True,
    )
    q = quality_facts([path], 10)
    return replace(report, evidence=replace(report.evidence, quality=q))


def test_watch_prints_the_score_and_flags_a_grade_change() -> None:
    base = report_from_json(HOME)
    runs = iter([with_rtt(base, 20.0), with_rtt(base, 20.0), with_rtt(base, 500.0)])
    out = io.StringIO()
    clock = iter(float(i) for i in range(100))
    watch(lambda: next(runs), 1.0, 3, out, monotonic=lambda: next(clock), sleep=lambda s: None)
    lines = out.getvalue().splitlines()
    runs_lines = [line for line in lines if " quality " in line and "CHANGE" not in line]
    assert len(runs_lines) == 3
    assert "quality good 100 p50 21 p95 22 ms" in runs_lines[0]
    assert "quality poor 0" in runs_lines[2]
    changes = [line for line in lines if "CHANGE" in line]
    assert len(changes) == 1 and "quality good -> poor" in changes[0]


def test_summarize_counts_grades_and_lists_the_slowest_hosts() -> None:
    s = Summary(top=2)
    base = report_from_json(HOME)
    for name, rtt in (("a", 20.0), ("b", 300.0), ("c", 500.0)):
        doc = to_json(with_rtt(base, rtt))
        doc["host"]["name"] = name
        s.add_document(doc, f"{name}.json", name)
    assert "quality" not in OLD
    s.add_document(OLD, "old.json", "old")  # a report from before session quality
    d = to_dict(s)
    assert d["quality_grade"] == {"good": 1, "fair": 1, "poor": 1, "(none)": 1}
    assert [h["host"] for h in d["slowest_hosts"]] == ["c", "b"]
    assert "Worst hosts by RTT p95" in render_text(s)
    assert "slowest_host,c,1," in render_csv(s)
