"""The terminal report as a person reads it: the lab's reports (examples/reports/*.json, made in
the namespace lab) rendered at 80 and 120 columns; the advice's order; the word wrap."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.render import advice as adv
from wsdiag.render.report import report_from_json, to_json
from wsdiag.render.text import HEADLINE, Block, render_text, wrap
from wsdiag.vocab.model import Owner, Severity, Status, Transport, Verdict
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import Finding, ProbeResult

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "reports").glob("*.json"))


def load(name: str) -> Report:
    path = ROOT / "examples" / "reports" / f"{name}.json"
    return report_from_json(json.loads(path.read_text()))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_loader_round_trips_the_json(path: Path) -> None:
    doc = json.loads(path.read_text())
    back = to_json(report_from_json(doc))
    # What was redacted is said by the renderer that redacts (render.formats), not the model.
    back["host"]["redacted"] = doc["host"]["redacted"]
    assert back == doc


@pytest.mark.parametrize("verbose", [False, True], ids=["short", "verbose"])
@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_fits_the_width_without_splitting_a_word(path: Path, width: int, verbose: bool) -> None:
    report = report_from_json(json.loads(path.read_text()))
    text = render_text(report, width=width, verbose=verbose)
    long = [line for line in text.splitlines() if len(line) > width]
    assert not long, f"{len(long)} line(s) wider than {width}: {long[0]!r}"
    # Wrapping may only move line breaks: the same words, in the same order, as unwrapped.
    unwrapped = render_text(report, width=100_000, verbose=verbose)
    assert text.split() == unwrapped.split()
    assert text.startswith(HEADLINE[report.diagnosis.verdict])
    assert "\x1b[" not in text


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_names_codes_and_addresses_are_whole(path: Path) -> None:
    report = report_from_json(json.loads(path.read_text()))
    words = set(render_text(report, width=80, verbose=True).replace(",", " ").split())
    for f in report.diagnosis.findings:
        assert f"{f.code}:" in words or f.code in words
    for p in report.probes:
        if p.status is not Status.SKIPPED:
            assert p.host in words or f"{p.host}:" in words, p.host
        if p.address:
            assert any(w.strip("():") == p.address for w in words), p.address


def test_home_leads_with_what_the_user_can_do() -> None:
    text = render_text(load("home"), width=80)
    lines = text.splitlines()
    first = lines[lines.index("WHAT TO DO") + 1]
    assert first.strip() == "You can fix this now: Connect the VPN, then run wsdiag check again."
    # the user's action is the one action; the NXDOMAIN being at home implies is a note
    # (issue 19 item 2), not a ticket for the network team
    assert "Network team" not in text
    assert text.index("HOME_NETWORK") < text.index("NOTES") < text.index("ENDPOINT_NXDOMAIN")


@pytest.mark.parametrize(
    ("name", "whom"),
    [("closed", "your network team"), ("sg-missing-4195", "your AWS administrator")],
)
def test_nothing_to_do_here_says_whom_to_escalate_to(name: str, whom: str) -> None:
    flat = " ".join(render_text(load(name), width=80).split())
    first = flat.split("WHAT TO DO ")[1]
    assert first.startswith(
        "Nothing to change at this machine: hand `wsdiag bundle` (or the "
        f"output of `wsdiag check --json`) to {whom}."
    )


def test_all_well_collapses_to_one_line_per_group_and_skipped_is_a_footnote() -> None:
    text = render_text(load("open-egress"), width=120)
    paths = text.split("PATHS\n")[1].split("\n\n")[0].splitlines()
    heads = [line.split(":")[0] for line in paths if not line.startswith("    ")]
    assert heads == [
        "  ✓ streaming endpoint privatelink.prod.eu-west-1.highlander.aws.a2z.com (10.20.1.10, "
        "10.20.2.10)",
        "  ✓ 11 sign-in domains",
        "  ✓ health-check host drp-dub.amazonworkspaces.com (198.51.100.10)",
        "  Not tested",
    ]
    assert "tcp/4195, tcp/443, quic/4195, quic/443 open" in " ".join(paths)
    assert "11 sign-in domains: tls/443 open, quic/443 open (1 of 11)," in text
    assert "<directory_id>" not in text and "skipped" not in text
    assert "Nothing to do: streaming should work from here." in text


def test_a_failing_group_is_expanded_and_verbose_shows_every_probe() -> None:
    report = load("udp-blocked")
    short = render_text(report, width=120)
    assert "10.20.1.10: tcp/4195 open" in short and "quic/443 filtered" in short
    verbose = render_text(report, width=10_000, verbose=True)
    for p in report.probes:
        if p.status is not Status.SKIPPED:
            assert f"{p.transport}/{p.port} {p.status}" in verbose


def test_colour_only_when_asked_and_ascii_when_the_stream_cannot_encode() -> None:
    report = load("home")
    assert "\x1b[" in render_text(report, color=True)
    plain = render_text(report, ascii_only=True)
    assert plain.isascii() and "x streaming endpoint" in plain


def test_control_and_bidi_characters_never_reach_the_terminal() -> None:
    report = load("home")
    evil = Finding(
        "HOME_NETWORK", Severity.INFO, "bad\x1b[2J \u202eevil\u2066 text\x07", "fix\r\nit"
    )
    report = dataclasses.replace(
        report, diagnosis=dataclasses.replace(report.diagnosis, findings=(evil,))
    )
    text = render_text(report, width=80)
    for ch in ("\x1b", "\u202e", "\u2066", "\x07", "\r"):
        assert ch not in text


def _unknown(report: Report, probes: tuple[ProbeResult, ...]) -> Report:
    return dataclasses.replace(
        report,
        probes=probes,
        diagnosis=dataclasses.replace(report.diagnosis, verdict=Verdict.UNKNOWN, findings=()),
    )


def test_unknown_says_what_would_decide_it() -> None:
    base = load("minimal-egress")
    cut = ProbeResult(
        "endpoint/tcp/4195@10.20.1.10",
        "endpoint",
        base.endpoint_hosts[0],
        "10.20.1.10",
        Transport.TCP,
        4195,
        Status.ERROR,
        phase="deadline",
        detail="run deadline reached",
    )
    advice = adv.advise(_unknown(base, (cut,)))
    assert advice.decide is not None and "--deadline" in advice.decide
    assert advice.first == advice.decide
    # with a finding to act on first, the deciding step still shows
    nxd = Finding("ENDPOINT_DNS_FAILED", Severity.ERROR, "m", "r", owner=Owner.NETWORK)
    report = _unknown(base, (cut,))
    report = dataclasses.replace(
        report, diagnosis=dataclasses.replace(report.diagnosis, findings=(nxd,))
    )
    text = " ".join(render_text(report, width=80).split())
    assert "hand `wsdiag bundle`" in text and "run again with a longer --deadline" in text
    # Silence is an answer: a rerun would see it again, so none is suggested.
    silent = dataclasses.replace(cut, status=Status.FILTERED, phase="connect")
    advice = adv.advise(_unknown(base, (silent,)))
    assert advice.decide is not None and "run again" not in advice.decide
    assert "--timeout" not in advice.decide


@given(
    st.lists(
        st.tuples(st.sampled_from([*Owner, None]), st.sampled_from(list(Severity))), max_size=8
    )
)
def test_groups_follow_owner_order_and_keep_every_finding(
    spec: list[tuple[Owner | None, Severity]],
) -> None:
    findings = tuple(
        Finding(f"CODE_{i}", sev, "m", "r", owner=o) for i, (o, sev) in enumerate(spec)
    )
    report = load("open-egress")
    report = dataclasses.replace(
        report,
        diagnosis=dataclasses.replace(
            report.diagnosis, findings=findings, verdict=Verdict.DEGRADED
        ),
    )
    advice = adv.advise(report)
    order = [*adv.OWNER_ORDER, None]
    assert [order.index(g.owner) for g in advice.groups] == sorted(
        order.index(g.owner) for g in advice.groups
    )
    shown = [f for g in advice.groups for f in g.findings] + list(advice.notes)
    assert sorted(f.code for f in shown) == sorted(f.code for f in findings)
    if advice.groups and advice.groups[0].owner is not Owner.USER:
        assert "hand `wsdiag bundle`" in advice.first.lower()


_WORD = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30)


@given(st.lists(_WORD, max_size=40), st.integers(0, 12), st.integers(20, 120))
def test_wrap_keeps_words_whole_and_lines_within_width(
    ws: list[str], indent: int, width: int
) -> None:
    block = Block([(" " * indent, "")] if indent else [], [(w, "") for w in ws], rest=indent)
    lines = ["".join(t for t, _ in line) for line in wrap(block, width)]
    assert " ".join(lines).split() == ws
    for line in lines:
        assert len(line) <= width or len(line.split()) == 1  # only a lone over-long word


# --- FRESH-REPORT item 21: "no endpoint path answered" only where one was probed -------------

# the lab's report -> the session quality's first line
QUALITY_HEAD = {
    "home": "unknown: the endpoint was not probed (its name did not resolve)",
    "resolver-unreachable": "unknown: the endpoint was not probed (its name did not resolve)",
    "home-public": "unknown: no endpoint path answered, so none was sampled",  # probed, silent
}


@pytest.mark.parametrize("name", QUALITY_HEAD)
def test_session_quality_says_why_nothing_was_sampled(name: str) -> None:
    from wsdiag.render.html import render_html

    report = load(name)
    text = render_text(report, width=200)
    head = text.split("\nSESSION QUALITY\n", 1)[1].splitlines()[0].strip()
    assert head == QUALITY_HEAD[name]
    page = render_html(report)
    assert QUALITY_HEAD[name] in page
    other = set(QUALITY_HEAD.values()) - {QUALITY_HEAD[name]}
    assert not any(o in text or o in page for o in other)
