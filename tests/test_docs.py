"""The README's decision tables are generated from the rule rows and must not drift."""

from __future__ import annotations

from pathlib import Path

from wsdiag.rules.docs import every_code, render

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def test_readme_tables_are_what_the_generator_writes() -> None:
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "README.md is stale: run python scripts/gen-docs.py"


def test_every_finding_code_is_in_the_readme_table() -> None:
    codes = every_code()  # every finding is made by a row (wsdiag.vocab.rows.apply)
    assert len(codes) > 30 and "ENDPOINT_QUIC_BLOCKED" in codes and "LOGS_NOT_FOUND" in codes
    table = README.read_text(encoding="utf-8").split("<!-- BEGIN findings")[1]
    missing = sorted(c for c in codes if f"| `{c}` |" not in table)
    assert not missing, f"finding codes missing from README's table: {missing}"


def test_one_owner_per_code() -> None:
    """Every row of one code names the same owner: the table's owner is the finding's."""
    split = {c: {r.owner for r in rows} for c, rows in every_code().items()}
    assert {c: o for c, o in split.items() if len(o) > 1} == {}


def test_a_missing_marker_is_an_error() -> None:
    try:
        render("no markers here")
    except ValueError as exc:
        assert "markers" in str(exc)
    else:
        raise AssertionError("render accepted a README without markers")
