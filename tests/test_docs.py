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


def _options() -> set[str]:
    """Every long option any wsdiag command takes."""
    import typer.main

    from wsdiag.cli import app

    command = typer.main.get_command(app)
    subs = getattr(command, "commands", {})
    return {
        o
        for sub in [command, *subs.values()]
        for p in sub.params
        for o in (*p.opts, *p.secondary_opts)
        if o.startswith("--")
    }


def test_every_option_a_finding_names_exists() -> None:
    """FRESH-REPORT item 7: STREAM_PATH_UNKNOWN's fix advised "--logs FILE", which no
    command takes. Every --option in a row's message, remediation or "when" is a real one."""
    import re

    from wsdiag.rules.cloud import CLOUD_RULES

    options = _options()
    assert {"--region", "--nameserver", "--no-logs", "--endpoint-host"} <= options
    texts = [
        (code, text)
        for code, rows in every_code().items()
        for r in rows
        for text in (r.message, r.remediation, r.when)
    ]
    texts += [(r.code, t) for r in CLOUD_RULES for t in (r.message, r.remediation, r.when)]
    named = {(code, o) for code, t in texts for o in re.findall(r"(?<![\w-])--[a-z][\w-]*", t)}
    assert len(named) > 5  # the scan reads something
    assert sorted((c, o) for c, o in named if o not in options) == []
