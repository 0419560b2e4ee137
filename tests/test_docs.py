"""The README's decision tables are generated from the rule rows and must not drift."""

from __future__ import annotations

import ast
from pathlib import Path

from wsdiag.rules.docs import render

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def test_readme_tables_are_what_the_generator_writes() -> None:
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "README.md is stale: run python scripts/gen-docs.py"


def codes_in_code_base() -> set[str]:
    """Every finding code the package can emit: the ``code`` of each Finding(...),
    FindingRule(...) or LogRule(...) written in wsdiag/ (keyword or second/first argument)."""
    makers = {"Finding": 0, "FindingRule": 1, "LogRule": 0}
    found: set[str] = set()
    for path in (ROOT / "wsdiag").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id not in makers:
                continue
            args = [k.value for k in node.keywords if k.arg == "code"]
            if not args and len(node.args) > makers[node.func.id]:
                args = [node.args[makers[node.func.id]]]
            found |= {
                a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)
            }
    return found


def test_every_finding_code_is_in_the_readme_table() -> None:
    codes = codes_in_code_base()
    assert len(codes) > 30 and "ENDPOINT_QUIC_BLOCKED" in codes and "LOGS_NOT_FOUND" in codes
    table = README.read_text(encoding="utf-8").split("<!-- BEGIN findings")[1]
    missing = sorted(c for c in codes if f"| `{c}` |" not in table)
    assert not missing, f"finding codes missing from README's table: {missing}"


def test_a_missing_marker_is_an_error() -> None:
    try:
        render("no markers here")
    except ValueError as exc:
        assert "markers" in str(exc)
    else:
        raise AssertionError("render accepted a README without markers")
