"""Issue 19 item 5: the symbols and words of the paths say exactly what was tested and what it
means. A health-check host the report itself calls expected to fail (HEALTH_CHECK_BLOCKED in
minimal egress) is neither a ✓ nor a red ✗; an endpoint whose paths all opened is never a ✗,
through a proxy or not; no text says QUIC went "via proxy" (QUIC never goes through an HTTP
proxy). Table-driven over synthetic runs (tests.synth) and rendered by both renderers."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest

from tests.synth import F, O, R, results
from tests.test_classify import DENY_4195, only_443, quic_silent, signin_chains
from tests.test_helpdesk_advice import report_of
from wsdiag.render import paths as pv
from wsdiag.render.html import diagram, render_html
from wsdiag.render.text import render_text
from wsdiag.vocab.model import DnsOutcome, Phase, ProxyMode, Role, Status, Transport, Via
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import ProbeResult


def paths_text(report: Report, verbose: bool = False, ascii_only: bool = False) -> str:
    text = render_text(report, width=200, verbose=verbose, ascii_only=ascii_only)
    return text.split("\nPATHS\n", 1)[1].split("\n\n", 1)[0]


def line_of(text: str, what: str) -> str:
    return next(ln for ln in text.splitlines() if what in ln)


def svg_of(page: str) -> str:
    return page.split("<svg", 1)[1].split("</svg>", 1)[0]


# --- (a) the health-check host: expected only where the report says so --------------------

# name -> (results(...) arguments, the health-check host's state)
HEALTH = {
    "minimal-egress, filtered": (dict(health=F), "expected"),
    "minimal-egress, refused": (dict(health=R), "expected"),
    "minimal-egress behind a proxy": (dict(proxy="relay", health=F), "expected"),
    "minimal-egress, degraded endpoint": (dict(endpoint=quic_silent, health=F), "expected"),
    # FRESH-REPORT item 8: minimal egress, but the verdict is blocked: "as expected here"
    # would read as all being well
    "minimal-egress, blocked: old client, 4195 shut": (
        dict(endpoint=only_443, host="client-5.20", health=F),
        "fail",
    ),
    "minimal-egress, blocked: old client through a 443-only proxy": (
        dict(proxy="relay", endpoint=F, stream=DENY_4195, host="client-5.20", health=F),
        "fail",
    ),
    "minimal-egress, blocked: sign-in TLS untrusted": (
        dict(tweak=signin_chains(trusted=False), health=F),
        "fail",
    ),
    "minimal-egress, degraded: new client through a 443-only proxy": (
        dict(proxy="relay", endpoint=F, stream=DENY_4195, host="client-5.24", health=F),
        "expected",
    ),
    # the finding is there, but its message does not call it expected: at home it is a fault
    "home": (dict(endpoint_dns=DnsOutcome.NXDOMAIN, health=F), "fail"),
    "closed (no HEALTH_CHECK_BLOCKED)": (dict(needed=F, expected=F, health=F), "fail"),
    "captive portal": (dict(os_all=["192.168.1.1"], endpoint=only_443, health=F), "fail"),
    "open egress": (dict(health=O), "ok"),
}
MARK = {"expected": ("○", "-"), "fail": ("✗", "x"), "ok": ("✓", "+")}


@pytest.mark.parametrize("name", HEALTH)
def test_a_health_check_host_is_expected_only_where_the_report_says_so(name: str) -> None:
    kwargs, state = HEALTH[name]
    report = report_of(results(**kwargs))  # type: ignore[arg-type]
    (view,) = [v for v in pv.target_views(report) if v.role is Role.HEALTH]
    assert view.state == state
    assert (view.reason == pv.EXPECTED_WHY) is (state == "expected")
    for ascii_only, mark in ((False, MARK[state][0]), (True, MARK[state][1])):
        line = line_of(paths_text(report, ascii_only=ascii_only), "health-check host")
        assert line.startswith(f"  {mark} health-check host"), line
    text = paths_text(report)
    assert (pv.EXPECTED_WHY in text) is (state == "expected")
    chips = [c for c in diagram(report).chips if c.probe_id.startswith("health-check/")]
    assert chips and all(c.expected is (state == "expected") for c in chips)
    page = svg_of(render_html(report))
    assert (pv.EXPECTED_WHY.replace("'", "&#39;") in page) is (state == "expected")
    if state == "expected":
        # the status stays what was measured; the drawing is neutral, not a fault's red
        assert 'class="probe status-filtered expected"' in page or (
            'class="probe status-refused expected"' in page
        )
        assert "link status-expected" in page
        assert "✗" not in line_of(text, "health-check host")


# name -> (results(...) arguments, the verdict, whether HEALTH_CHECK_BLOCKED says streaming
# over the endpoint works here: only where every address answers TCP and both 4195 paths)
WORKS = {
    "minimal-egress": (dict(health=F), "ready", True),
    "QUIC silent: TCP fallback": (dict(endpoint=quic_silent, health=F), "degraded", False),
    "old client, 4195 shut": (dict(endpoint=only_443, host="client-5.20"), "blocked", False),
    "old client, 443-only proxy": (
        dict(proxy="relay", endpoint=F, stream=DENY_4195, host="client-5.20"),
        "blocked",
        False,
    ),
    "new client, 443-only proxy": (
        dict(proxy="relay", endpoint=F, stream=DENY_4195, host="client-5.24"),
        "degraded",
        False,
    ),
    # the endpoint's paths all answer; sign-in is what blocks
    "sign-in TLS untrusted": (dict(tweak=signin_chains(trusted=False)), "blocked", True),
}


@pytest.mark.parametrize("name", WORKS)
def test_the_health_note_says_streaming_works_only_where_it_does(name: str) -> None:
    kwargs, verdict, works = WORKS[name]
    report = report_of(results(**kwargs))  # type: ignore[arg-type]
    assert str(report.diagnosis.verdict) == verdict
    (f,) = [f for f in report.diagnosis.findings if f.code == "HEALTH_CHECK_BLOCKED"]
    assert ("streaming over the endpoint works here" in f.message) is works, f.message
    assert f.message.endswith("this is expected." if works else "will show a failure.")


def test_without_the_finding_a_blocked_health_check_stays_a_failure() -> None:
    report = report_of(results(health=F))
    d = report.diagnosis
    gone = tuple(f for f in d.findings if f.code != "HEALTH_CHECK_BLOCKED")
    report = dataclasses.replace(report, diagnosis=dataclasses.replace(d, findings=gone))
    (view,) = [v for v in pv.target_views(report) if v.role is Role.HEALTH]
    assert view.state == "fail"
    assert line_of(paths_text(report), "health-check host").startswith("  ✗ ")


# --- FRESH-REPORT item 13: what the run deadline cut short is not measured, never a ✗ -------

DEADLINE_DETAIL = "cut short by the run deadline: this machine was too busy (started 0.3 s late)"


def cut_short(target: str, *kinds: str) -> Callable[[ProbeResult], ProbeResult]:
    """A tweak: the probes of ``target`` whose "transport/port" is in ``kinds`` were cut by
    the run deadline (as `check --deadline 2` showed under load)."""

    def tweak(p: ProbeResult) -> ProbeResult:
        if p.target_id == target and f"{p.transport}/{p.port}" in kinds:
            return dataclasses.replace(
                p, status=Status.ERROR, phase=Phase.DEADLINE, detail=DEADLINE_DETAIL, ms=None
            )
        return p

    return tweak


# name -> (results(...) arguments, the target, its state, the kinds its words name as cut)
CUT = {
    "health: TCP silent, QUIC cut": (
        dict(health=F, tweak=cut_short("health-check", "quic/4195")),
        "health-check",
        "unmeasured",
        "quic/4195",
    ),
    "health: both cut": (
        dict(health=F, tweak=cut_short("health-check", "tcp/4195", "quic/4195")),
        "health-check",
        "unmeasured",
        "tcp/4195, quic/4195",
    ),
    "health: TCP open, QUIC cut": (
        dict(health=O, tweak=cut_short("health-check", "quic/4195")),
        "health-check",
        "unmeasured",
        "quic/4195",
    ),
    "sign-in: TLS open, QUIC cut": (
        dict(health=O, tweak=cut_short("ws-broker", "quic/443")),
        "ws-broker",
        "unmeasured",
        "quic/443",
    ),
    "sign-in: TLS refused, QUIC cut: a measured failure": (
        dict(needed=R, health=O, tweak=cut_short("ws-broker", "quic/443")),
        "ws-broker",
        "fail",
        "",
    ),
    "health: both silent, none cut": (dict(health=F), "health-check", "expected", ""),
}


@pytest.mark.parametrize("name", CUT)
def test_what_the_deadline_cut_is_drawn_not_measured(name: str) -> None:
    kwargs, target, state, named = CUT[name]
    report = report_of(results(**kwargs))  # type: ignore[arg-type]
    (view,) = [v for v in pv.target_views(report) if v.target_id == target]
    assert view.state == state
    text = paths_text(report, verbose=True)
    line = line_of(text, view.host)
    if state != "unmeasured":  # a measured failure keeps its mark; a cut cell says so
        assert line.startswith("  ✗ " if state == "fail" else "  ○ "), line
        assert "not measured: the run deadline" not in text
        return
    assert line.startswith("  ? ") and "✗" not in line, line
    why = f"not measured: the run deadline cut {named} short (run again with a longer --deadline)"
    assert view.reason == why and why in " ".join(text.split())
    for kind in named.split(", "):
        assert f"{kind} not measured" in text and f"{kind} error" not in text
    assert why in render_html(report)  # the page says it too, on a line under the host
    rows = diagram(report).rows
    assert any(r.note and r.label.strip() == why for r in rows)
    if target == "health-check":  # its section's link: not measured, not a failure's red
        (head,) = [r for r in rows if r.head and r.label.startswith("health-check host")]
        assert head.status == "unmeasured"


# --- (b) an endpoint whose paths all opened is never a ✗, a proxy or not ------------------

BOTH_OPEN = {4195: (O, 200), 443: (O, 200)}
# name -> (results(...) arguments, every endpoint path opened)
ENDPOINT = {
    "direct": (dict(health=O), True),
    "sign-in via proxy, endpoint direct": (dict(proxy="relay", health=O), True),
    "TCP through the proxy open, QUIC direct": (dict(proxy="relay", stream=BOTH_OPEN), True),
    "through the proxy, health blocked": (
        dict(proxy="relay", stream=BOTH_OPEN, health=F),
        True,
    ),
    "the proxy denies 4195": (dict(proxy="relay", stream={4195: (R, 403), 443: (O, 200)}), False),
    "443 through the proxy unanswered": (dict(proxy="relay", stream={4195: (O, 200)}), False),
    "QUIC silent": (dict(endpoint=quic_silent), False),
}


@pytest.mark.parametrize("name", ENDPOINT)
def test_an_endpoint_whose_paths_all_opened_is_never_crossed(name: str) -> None:
    kwargs, all_open = ENDPOINT[name]
    report = report_of(results(**kwargs))  # type: ignore[arg-type]
    (view,) = [v for v in pv.target_views(report) if v.role is Role.ENDPOINT]
    ran = [p for p in view.probes if p.status is not Status.SKIPPED]
    assert all(p.status is Status.OPEN for p in ran) is all_open
    assert view.state == ("ok" if all_open else "fail")
    text = paths_text(report)
    line = line_of(text, "streaming endpoint")
    assert line.startswith("  ✓ " if all_open else "  ✗ "), line
    # every probe that ran is on the page, and shown in the text where it failed
    if not all_open:
        verbose = paths_text(report, verbose=True)
        for p in ran:
            if p.address is None:  # CONNECT through the proxy: its own row
                row = line_of(verbose, "through the proxy:")
                assert f"{p.transport}/{p.port} {p.status}" in row, row


def test_tcp_tested_both_ways_says_so() -> None:
    report = report_of(results(proxy="relay", stream=BOTH_OPEN))
    line = line_of(paths_text(report), "streaming endpoint")
    assert "tcp/4195, tcp/443 open direct and via proxy" in line, line
    assert "quic/4195, quic/443 open direct" in line, line


# --- no text says QUIC went through the proxy --------------------------------------------

PROXIED = {
    "relay": dict(proxy="relay", health=O),
    "relay, endpoint through it": dict(proxy="relay", stream=BOTH_OPEN),
    "proxy refuses 403": dict(proxy="forbid-403"),
    "proxy down": dict(proxy="down"),
    "proxy silent": dict(proxy="silent"),
}
QUIC_VIA_PROXY = re.compile(r"quic/\d+[^,·;)\n]*\bvia proxy")


@pytest.mark.parametrize("name", PROXIED)
def test_no_text_says_quic_went_through_the_proxy(name: str) -> None:
    report = report_of(results(**PROXIED[name]))  # type: ignore[arg-type]
    report = dataclasses.replace(
        report, proxy=dataclasses.replace(report.proxy, mode=ProxyMode.PROXY, url="http://p:3128")
    )
    for verbose in (False, True):
        text = render_text(report, width=200, verbose=verbose)
        assert not QUIC_VIA_PROXY.search(text), QUIC_VIA_PROXY.search(text)
        assert "TCP 443 via proxy http://p:3128" in text  # the header: only TCP 443 goes there
    page = render_html(report)
    titles = re.findall(r'data-probe-id="([^"]+)"[^>]*>\s*<title>([^<]*)</title>', page)
    assert titles
    for pid, title in titles:
        assert not ("/quic/" in pid and "via proxy" in title), (pid, title)
    quic_auth = any(
        p.transport is Transport.QUIC and p.status is not Status.SKIPPED and p.port == 443
        for p in report.probes
        if not p.target_id.startswith(("endpoint", "health"))
    )
    heading = "sign-in domains (TCP via proxy http://p:3128" + (
        "; QUIC direct)" if quic_auth else ")"
    )
    assert f">{heading}</text>" in page


def _probe(transport: Transport, via: Via, status: Status, **kw: object) -> ProbeResult:
    return ProbeResult(
        id=f"t/{transport}/443",
        target_id="t",
        host="h.example",
        address=None if via is Via.PROXY else "192.0.2.1",
        transport=transport,
        port=443,
        status=status,
        via=via,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("probe", "note"),
    [
        (_probe(Transport.TLS, Via.PROXY, Status.OPEN), "via proxy"),
        (_probe(Transport.TCP, Via.PROXY, Status.REFUSED, proxy_status=403), "proxy: HTTP 403"),
        (
            _probe(Transport.TLS, Via.PROXY, Status.REFUSED, phase=Phase.PROXY_CONNECT),
            "proxy unreachable",
        ),
        (_probe(Transport.TLS, Via.PROXY, Status.SKIPPED), ""),
        (
            _probe(Transport.TLS, Via.DIRECT, Status.OPEN, tls_trusted=False),
            "untrusted certificate",
        ),
        (_probe(Transport.QUIC, Via.DIRECT, Status.OPEN), ""),
        # a QUIC result marked as proxied (an old or hand-made report): still never "via proxy"
        (_probe(Transport.QUIC, Via.PROXY, Status.OPEN), ""),
        (_probe(Transport.QUIC, Via.PROXY, Status.FILTERED), ""),
    ],
)
def test_probe_note_says_what_the_proxy_did(probe: ProbeResult, note: str) -> None:
    assert pv.probe_note(probe) == note
