"""The log parser's matching is linear in the line length.

Nothing here is timed. Linearity is held structurally: every regular expression in the
parser has only bounded quantifiers (so one match attempt costs at most a constant, and a
search over a line at most a constant per position), which a walk over the compiled
patterns checks. The one search that had an unbounded, overlapping quantifier ("Code:"
with the component before it) is now str.find plus a backwards scan, and a property test
holds it to the old pattern's answers. Adversarial long lines then run under a generous
watchdog: a quadratic path (64 kB of dotted text took seconds per line before) would blow
it by orders of magnitude.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.watchdog import watchdog
from wsdiag.logs import lines, parse
from wsdiag.logs.files import MAX_LINE
from wsdiag.logs.lines import code_source, find_code
from wsdiag.logs.parse import LogParser

_sre: Any = importlib.import_module("re._parser")
_MAXREPEAT: Any = importlib.import_module("re._constants").MAXREPEAT


def _unbounded(tree: Any) -> list[str]:
    """Names of repeat operators in a parsed pattern whose upper bound is unlimited."""
    found: list[str] = []
    for op, av in tree:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = av
            if hi == _MAXREPEAT:
                found.append(f"{name}{{{lo},}}")
            found += _unbounded(sub)
        elif name == "SUBPATTERN":
            found += _unbounded(av[-1])
        elif name == "BRANCH":
            for alt in av[1]:
                found += _unbounded(alt)
        elif name in ("ASSERT", "ASSERT_NOT"):
            found += _unbounded(av[1])
        elif name == "ATOMIC_GROUP":
            found += _unbounded(av)
        elif name == "GROUPREF_EXISTS":
            found += _unbounded(av[1])
            if av[2] is not None:
                found += _unbounded(av[2])
    return found


def _patterns() -> dict[str, re.Pattern[Any]]:
    """Every compiled pattern the parser uses: its own and the line formats'."""
    found: dict[str, re.Pattern[Any]] = {}
    seen: set[int] = set()
    for module in (lines, parse):
        for key, value in vars(module).items():
            if isinstance(value, re.Pattern) and id(value) not in seen:
                seen.add(id(value))
                found[f"{module.__name__.rsplit('.', 1)[1]}.{key}"] = value
    return found


def test_the_walker_sees_an_unbounded_quantifier() -> None:
    # The check below must be able to fail: the old Code: pattern is caught.
    old = r"(?:^|[\s.])(?:(?P<source>[A-Za-z][\w.]*) Error\.\s*)?Code: (?P<code>[A-Z]{1,9})"
    assert _unbounded(_sre.parse(old)) != []
    assert _unbounded(_sre.parse(r"a{1,5}(?:b|c{0,3})(?=d{2})")) == []


@pytest.mark.parametrize("name", sorted(_patterns()))
def test_every_parser_pattern_has_only_bounded_quantifiers(name: str) -> None:
    pattern = _patterns()[name]
    assert _unbounded(_sre.parse(pattern.pattern, pattern.flags)) == [], name


# --- the Code: search, old pattern vs new code ------------------------------------------------

_OLD_CODE = re.compile(
    r"(?:^|[\s.])(?:(?P<source>[A-Za-z][\w.]*) Error\.\s*)?"
    r"Code: (?P<code>[A-Za-z][A-Za-z0-9_.]{0,63})"
)

_pieces = st.sampled_from(
    [
        "Code: ",
        "X",
        "RESOURCE_NOT_FOUND",
        " Error.",
        " Error. ",
        ".",
        " ",
        "a",
        "Z9",
        "_",
        "(",
        "WsBroker",
        "\t",
        "é",
        "1",
        ";",
        "Code:",
        "Error",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_pieces, max_size=14).map("".join))
def test_find_code_answers_as_the_old_pattern_did(msg: str) -> None:
    old = _OLD_CODE.search(msg)
    new = find_code(msg)
    if old is None:
        assert new is None
        return
    assert new is not None
    match, source = new
    assert (match["code"], source) == (old["code"], old["source"])


@pytest.mark.parametrize(
    ("before", "source"),
    [
        (
            "WorkSpacesClient.Common.WsBroker.AllocateResourceResponse Error. ",
            "WorkSpacesClient.Common.WsBroker.AllocateResourceResponse",
        ),
        ("x 1abc Error. ", None),
        ("x .Foo Error. ", "Foo"),
        ("(Foo Error. ", None),
        ("(a.Foo Error. ", "Foo"),
        ("Foo Error.", "Foo"),
        ("Foo error. ", None),
        ("x " + "a" * 256 + " Error. ", "a" * 256),
        ("x " + "a" * 257 + " Error. ", None),  # no component name is that long
    ],
)
def testcode_source(before: str, source: str | None) -> None:
    assert code_source(before) == source


# --- adversarial long lines under a watchdog ----------------------------------------------------

HEADS = [
    '2025-08-28T04:29:38.769Z { Version: "5.29.1.5595" }: [ERR] ',
    "2025-03-04T09:12.07Z [ Native ]: [ERROR] ",
    "2025-03-04 09:12:07,123456 [ 1:2 ] ERROR DCV.Connection - ",
]
SEEDS = [
    "a.",
    "a.b:",
    ".",
    ":",
    ". ",
    "a",
    "Code: ",
    "Code: A",
    " Error.",
    "hostname: ",
    "hostname: a",
    "ndpoint",
    "ws-broker-service.",
    "-ab",
    "{",
    '{"a":',
    "[",
    "session ID: ",
    "Error while calling ",
    "9",
    "-",
    "Starting WSP session using SessionId: ",
    "ResourceAction",
    "\t",
    "Supported endpoint:",
]


def _line(head: str, seed: str, tail: str, size: int) -> str:
    body = seed * (size // max(1, len(seed)))
    return head + body[:size] + tail


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(HEADS),
    st.lists(st.sampled_from(SEEDS), min_size=1, max_size=3).map("".join),
    st.sampled_from(["", " Code: X", " Error. Code: X", "}", ", session ID: prod-eu-west-1-x"]),
)
def test_adversarial_long_lines_parse_in_linear_time(head: str, seed: str, tail: str) -> None:
    # Just under the line cap, where the reader still hands the line to the parser.
    line = _line(head, seed, tail, MAX_LINE - 200)
    data = (line + "\n").encode() * 3
    with watchdog(20, what="the parser (not linear?)"):
        parser = LogParser()
        parser.feed_block(data)
        parser.feed(line)
        parser.summary()


def test_the_reported_case_180_kb_of_dotted_lines() -> None:
    # The field case: 180 kB of long dotted lines made `wsdiag logs` take 31 s.
    line = HEADS[0] + "a." * 30_000 + " Code: X"
    data = (line + "\n").encode() * 3
    assert len(data) > 180_000
    with watchdog(10, what="the parser (not linear?)"):
        parser = LogParser()
        parser.feed_block(data)
    assert parser.summary().errors[-1].code == "X"
