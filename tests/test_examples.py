"""The sample reports in examples/ (made in the lab) hold to the published schema, and the
README quotes them as they are."""

from __future__ import annotations

import json
import re
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


# --- the README's sample texts are the files' (issue 19: regenerated from the lab, matching) --

README = ROOT / "README.md"
SAMPLE = re.compile(r"<!-- sample: (examples/reports/[\w.-]+\.txt) -->\n```\n(.*?)\n```", re.S)


def readme_samples() -> list[tuple[str, str, list[str]]]:
    """(file, the command line, the excerpt's lines) of every marked sample in the README."""
    out = []
    for path, body in SAMPLE.findall(README.read_text(encoding="utf-8")):
        command, *lines = body.split("\n")
        out.append((path, command, lines))
    return out


def test_every_sample_text_in_the_readme_is_marked_with_its_file() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## What a report looks like", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^\$ wsdiag check .*$", section, re.M)
    assert commands and len(commands) == len(readme_samples())


@pytest.mark.parametrize("path", [s[0] for s in readme_samples()])
def test_the_readme_quotes_its_sample_as_the_file_has_it(path: str) -> None:
    """Each run of lines between `...` marks is in the file, in order, line for line."""
    ((_, command, lines),) = [s for s in readme_samples() if s[0] == path]
    text = (ROOT / path).read_text().splitlines()
    report = json.loads((ROOT / path).with_suffix(".json").read_text())
    assert f"--region {report['region']} " in command + " ", (command, report["region"])
    at = 0
    chunk: list[str] = []
    for line in [*lines, "..."]:
        if line != "...":
            chunk.append(line)
            continue
        found = next(
            (i for i in range(at, len(text) - len(chunk) + 1) if text[i : i + len(chunk)] == chunk),
            None,
        )
        assert found is not None, f"{path}: not in the file as quoted:\n" + "\n".join(chunk)
        at, chunk = found + len(chunk), []
    assert lines[0] == text[0], "an excerpt starts where the report does: the verdict"
