"""Issue 19 items 2, 3: the right action on every line. At home the user's action is the one
action (the private name's NXDOMAIN or public answer are notes); every one-line format
carries the first action of the first owner; a captive portal is its own environment and no
renderer shows its answers as working."""

from __future__ import annotations

import json
import re

import pytest

from tests import synth
from tests.synth import F, O, diagnose, results
from tests.test_classify import only_443, quic_silent
from wsdiag.redact import Redaction
from wsdiag.render import advice as adv
from wsdiag.render.formats import Format, render, render_line
from wsdiag.render.html import render_html
from wsdiag.render.report import to_json
from wsdiag.render.text import render_text
from wsdiag.vocab.model import DnsOutcome, Environment, Severity, Verdict
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.report import Report


def report_of(r: Observed) -> Report:
    return synth.report_of(r, *diagnose(r))


HOME_CASES = {
    "nxdomain": results(endpoint_dns=DnsOutcome.NXDOMAIN, health=O),
    "public-answer": results(endpoint_dns=["52.94.1.10"], endpoint=F, health=O),
}


@pytest.mark.parametrize("name", HOME_CASES)
def test_at_home_the_users_action_is_the_one_action(name: str) -> None:
    report = report_of(HOME_CASES[name])
    d = report.diagnosis
    assert (d.environment, d.verdict) == (Environment.HOME, Verdict.BLOCKED)
    advice = adv.advise(report)
    # one owner acts: the person at the keyboard; the DNS consequences are notes
    assert [g.owner.value for g in advice.groups if g.owner] == ["user"]
    assert [f.code for f in advice.groups[0].findings] == ["HOME_NETWORK"]
    notes = {f.code: f for f in advice.notes}
    consequence = "ENDPOINT_NXDOMAIN" if name == "nxdomain" else "ENDPOINT_PUBLIC_ANSWER"
    assert notes[consequence].severity is Severity.INFO
    line = render_line(to_json(report))
    assert "fix: Connect the VPN" in line and "Private DNS names" not in line
    assert line.split(" findings=")[1].split()[0] == "HOME_NETWORK"
    jamf = render(report, Format.JAMF, Redaction())
    assert "fix: Connect the VPN" in jamf and "Private DNS" not in jamf


def test_outside_home_nxdomain_still_blocks_for_the_network_team() -> None:
    # Without internet this is not home: the NXDOMAIN stays the network team's error.
    report = report_of(results(endpoint_dns=DnsOutcome.NXDOMAIN, health=O, needed=F, expected=F))
    f = next(f for f in report.diagnosis.findings if f.code == "ENDPOINT_NXDOMAIN")
    assert f.severity is Severity.ERROR and report.diagnosis.environment is not Environment.HOME


CASES = {
    "home": results(endpoint_dns=DnsOutcome.NXDOMAIN, health=O),
    "closed": results(needed=F, expected=F, health=F),
    "udp-blocked": results(endpoint=quic_silent, health=O),
    "minimal-egress": results(endpoint=O, health=F),
    "captive": results(os_all=["192.168.1.1"], endpoint=only_443, health=F),
}


@pytest.mark.parametrize("name", CASES)
def test_every_one_line_format_carries_the_first_action_of_the_first_owner(name: str) -> None:
    report = report_of(CASES[name])
    advice = adv.advise(report)
    doc = to_json(report)
    line = render_line(doc)
    if advice.groups:
        first = advice.groups[0].findings[0]
        assert line.split(" findings=")[1].split(",")[0].split()[0] == first.code
        if first.remediation:
            assert "fix: " + first.remediation.split()[0] in line
    # info notes (ENDPOINT_CERTIFICATE, HEALTH_CHECK_BLOCKED) never crowd the line
    for f in advice.notes:
        assert f.code not in line.split(" fix: ")[0]


@pytest.mark.parametrize("name", CASES)
def test_no_literal_region_placeholder_where_the_region_is_known(name: str) -> None:
    report = report_of(CASES[name])
    text = render_text(report, width=100)
    doc = json.dumps(to_json(report))
    assert "<region>" not in text and "<region>" not in doc
    assert "com.amazonaws.<region>" not in render_html(report)


def test_a_captive_portal_is_not_minimal_egress_and_nothing_it_answers_is_green() -> None:
    report = report_of(CASES["captive"])
    assert report.diagnosis.environment is Environment.CAPTIVE
    assert report.diagnosis.verdict is Verdict.BLOCKED
    page = render_html(report)
    assert "status-open" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    text = render_text(report, width=100)
    assert "✓" not in text.split("PATHS", 1)[1].split("THIS MACHINE", 1)[0]
    assert render_line(to_json(report)).startswith("blocked env=captive ")


def test_proxy_wording_never_says_quic_went_through_the_proxy() -> None:
    report = report_of(results(proxy="relay", health=O))
    text = render_text(report, width=200)
    signin = next(ln for ln in text.splitlines() if "sign-in domains" in ln)
    assert "via proxy" in signin, signin
    assert not re.search(r"quic/\d+[^,·]* open via proxy", signin), signin
    if "quic/" in signin:
        assert "open direct" in signin
