"""`wsdiag logs` text fits the terminal (COLUMNS): wsdiag.logs.report.wrap_text (pure),
and the command on a recorded client log."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.logs.report import wrap_text

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "tests" / "fixtures" / "logs" / "field-report-vpc-session.log"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _fits(line: str, width: int) -> bool:
    visible = ANSI.sub("", line)
    # a word is never cut: one that does not fit stands alone (or beside its row's label)
    return len(visible) <= width or len(visible.split()) <= 2


CASES = [
    # (line, width, expected lines)
    ("short", 40, ["short"]),
    (
        "    offered    privatelink.example QUIC/4195 QUIC/443 TCP/4195",
        42,
        ["    offered    privatelink.example", "               QUIC/4195 QUIC/443 TCP/4195"],
    ),
    (
        "           fix: Nothing to fix from here at all today",
        32,
        [
            "           fix: Nothing to fix",
            "                from here at all",
            "                today",
        ],
    ),
    (
        "\x1b[31mred words and more words here\x1b[0m",
        20,
        ["\x1b[31mred words and more", "words here\x1b[0m"],
    ),  # colour takes no column
]


@pytest.mark.parametrize(("line", "width", "expected"), CASES)
def test_wrap_lines_up_continuations_with_the_value(
    line: str, width: int, expected: list[str]
) -> None:
    assert wrap_text(line, width).split("\n") == expected


words = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30)
lines = st.builds(
    lambda indent, ws: " " * indent + " ".join(ws), st.integers(0, 12), st.lists(words, max_size=30)
)


@given(st.lists(lines, max_size=8), st.integers(20, 120))
def test_wrap_keeps_every_word_in_order_and_fits_the_width(text: list[str], width: int) -> None:
    joined = "\n".join(text)
    out = wrap_text(joined, width)
    assert out.split() == joined.split()
    assert all(_fits(line, width) for line in out.split("\n"))


@pytest.mark.parametrize("columns", [50, 72, 100])
def test_logs_text_wraps_to_columns(columns: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wsdiag", "logs", str(LOG)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns)},
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    out = proc.stdout.splitlines()
    assert len(out) > 10
    assert all(_fits(line, columns) for line in out), [ln for ln in out if not _fits(ln, columns)]
    assert "LOGS_VPC_ENDPOINT_IN_USE" in proc.stdout
