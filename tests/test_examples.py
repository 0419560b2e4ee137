"""The sample reports in examples/ (made in the lab) hold to the published schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from wsdiag.render.report import report_from_json
from wsdiag.render.text import render_text

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "wsdiag" / "schema" / "report.schema.json").read_text())
REPORTS = sorted((ROOT / "examples" / "reports").glob("*.json"))
EXIT = {"ready": 0, "degraded": 1, "blocked": 2, "unknown": 3}


def test_there_are_examples() -> None:
    assert {p.stem for p in REPORTS} >= {"closed", "minimal-egress", "home"}


@pytest.mark.parametrize("path", REPORTS, ids=[p.stem for p in REPORTS])
def test_example_report_holds_to_schema(path: Path) -> None:
    report = json.loads(path.read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["exit_code"] == EXIT[report["verdict"]]
    text = path.with_suffix(".txt").read_text()
    assert text.split(":")[0] == report["verdict"].upper()
    # The text beside each report is what `wsdiag check` prints for it, piped, at 80 columns.
    assert text == render_text(report_from_json(report), width=80)
