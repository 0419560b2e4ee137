"""wsdiag.terminal: escaping, colour, orders, the exit-code rule, JSON text. Pure logic:
tables and property tests (the CLI's writing is tested end to end in
tests/test_runner_cli.py)."""

from __future__ import annotations

import io
import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.terminal import (
    EXIT_CODES_HELP,
    Paint,
    escape,
    one_line_error,
    path_text,
    shorten,
    shorten_middle,
    to_json_text,
    unsurrogate,
    use_colour,
    verdict_from_findings,
    worst_severity,
    worst_verdict,
)
from wsdiag.vocab.model import Severity, Verdict

HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a\tb", "a b"),
        ("line\nnext", "line\\x0anext"),
        ("\x1b[31m", "\\x1b[31m"),
        ("\x7f", "\\x7f"),
        ("\x9b", "\\x9b"),
        ("\u202eevil", "\\u202eevil"),  # RIGHT-TO-LEFT OVERRIDE
        ("\u2066x\u2069", "\\u2066x\\u2069"),  # isolates
        ("a\u200eb\u200f", "a\\u200eb\\u200f"),  # LRM, RLM
        ("zero\u200bwidth", "zero\\u200bwidth"),  # other format characters
        ("\ufeffbom", "\\ufeffbom"),
        ("split\u2028here", "split\\u2028here"),
        ("東京 · café", "東京 · café"),  # printable non-ASCII stays
        ("bad\udcffname", "bad\\xffname"),  # an undecodable byte of a file name
    ],
)
def test_escape(text: str, expected: str) -> None:
    assert escape(text) == expected


@given(st.text())
def test_escape_leaves_nothing_a_terminal_would_act_on(text: str) -> None:
    out = escape(text)
    assert not any(unicodedata.category(ch) in HIDDEN for ch in out), out
    out.encode("utf-8")  # valid Unicode: no lone surrogates


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_escape_is_identity_on_printable_ascii(text: str) -> None:
    assert escape(text) == text


@given(st.binary())
def test_undecodable_file_names_become_valid_text(raw: bytes) -> None:
    name = raw.decode("utf-8", "surrogateescape")
    text = path_text(name)
    text.encode("utf-8")
    # Strict JSON whose strings are valid Unicode: no lone \udcxx escapes (a surrogate
    # pair for a character outside the BMP is fine: it decodes to one character).
    json.loads(to_json_text({"path": name}))["path"].encode("utf-8")


def test_unsurrogate_keeps_valid_text_and_names_the_bytes() -> None:
    assert unsurrogate("ok é") == "ok é"
    assert unsurrogate("\udcc3\udca9") == "é"  # a valid UTF-8 pair smuggled as bytes
    assert unsurrogate("x\ud800y") == "x\\ud800y"  # not from surrogateescape


def test_json_text_is_ascii_and_cleans_keys_and_nested_values() -> None:
    doc = {"a\udcff": ["\udcfe", {"b": "é"}], "n": 1, "t": (None, True)}
    text = to_json_text(doc)
    assert text.isascii() and text.endswith("\n")
    assert json.loads(text) == {"a\\xff": ["\\xfe", {"b": "é"}], "n": 1, "t": [None, True]}
    compact = to_json_text(doc, indent=None)
    assert "\n" not in compact.rstrip("\n") and ": " not in compact


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 80, "short"),
        ("x" * 80, 80, "x" * 80),
        ("x" * 81, 80, "x" * 77 + "..."),
        ("abcdef", 5, "ab..."),
    ],
)
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 80, "short"),
        ("x" * 80, 80, "x" * 80),
        ("a" * 40 + "b" * 41, 80, "a" * 38 + "..." + "b" * 39),
        ("abcdef", 5, "a...f"),
        ("abcdef", 3, "..."),
    ],
)
def test_shorten_middle(text: str, limit: int, expected: str) -> None:
    assert shorten_middle(text, limit) == expected


def test_a_long_path_in_an_error_keeps_its_file_name() -> None:
    path = "/tmp/" + "deep/" * 30 + "none.pem"
    line = one_line_error(f"public roots {path}: No such file or directory", ["-x", path])
    assert line.endswith("/none.pem: No such file or directory") and len(line) < 140


def test_one_line_error_shortens_echoed_values_and_caps_the_line() -> None:
    value = "eu-" + "x" * 10_000
    line = one_line_error(f"unknown region {value!r} (known: eu-west-1)", ["--region", value])
    assert len(line) < 120 and "..." in line and line.endswith("(known: eu-west-1)")
    assert len(one_line_error("y" * 10_000)) == 400
    assert one_line_error("bad \x1b[2J value\n") == "bad \\x1b[2J value\\x0a"


@pytest.mark.parametrize(
    ("isatty", "env", "expected"),
    [
        (True, {}, True),
        (True, {"TERM": "xterm-256color"}, True),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: set and not empty
        (True, {"TERM": "dumb"}, False),
        (False, {}, False),
    ],
)
def test_colour_only_on_a_terminal_that_wants_it(
    isatty: bool, env: dict[str, str], expected: bool
) -> None:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return isatty

    assert use_colour(Stream(), env) is expected


def test_colour_on_a_closed_stream_is_off() -> None:
    stream = io.StringIO()
    stream.close()
    assert use_colour(stream, {}) is False


def test_paint() -> None:
    assert Paint(False)("x", "error") == "x"
    assert Paint(True)("x", "error") == "\x1b[31mx\x1b[0m"


@pytest.mark.parametrize(
    ("severities", "judged", "verdict", "code"),
    [
        ((), True, Verdict.READY, 0),
        ((Severity.INFO,), True, Verdict.READY, 0),
        ((Severity.INFO, Severity.WARNING), True, Verdict.DEGRADED, 1),
        ((Severity.WARNING, Severity.ERROR, Severity.INFO), True, Verdict.BLOCKED, 2),
        ((Severity.ERROR,), False, Verdict.UNKNOWN, 3),
    ],
)
def test_one_exit_code_rule(
    severities: tuple[Severity, ...], judged: bool, verdict: Verdict, code: int
) -> None:
    assert verdict_from_findings(severities, judged) is verdict
    assert verdict.exit_code == code


def test_orders() -> None:
    assert worst_severity([]) is None
    assert worst_severity([Severity.INFO, Severity.WARNING]) is Severity.WARNING
    assert worst_verdict([Verdict.READY, Verdict.DEGRADED, Verdict.UNKNOWN]) is Verdict.UNKNOWN
    assert worst_verdict([Verdict.UNKNOWN, Verdict.BLOCKED]) is Verdict.BLOCKED
    assert worst_verdict([]) is None


def test_exit_codes_help_names_every_code() -> None:
    for v in Verdict:
        assert f"{v.exit_code} {v}" in EXIT_CODES_HELP
    assert "130 interrupted" in EXIT_CODES_HELP
