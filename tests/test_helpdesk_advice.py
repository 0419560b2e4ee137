"""Issue 19 items 2, 3: the right action on every line. At home the user's action is the one
action (the private name's NXDOMAIN or public answer are notes); every one-line format
carries the first action of the first owner; a captive portal is its own environment and no
renderer shows its answers as working."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
from wsdiag.vocab.model import DnsOutcome, Environment, Owner, Severity, Verdict
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import Finding


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


# --- FRESH-REPORT items 10 and 19: info findings are notes, whoever owns them ---------------

LOGS_NO_SESSIONS = Finding(
    "LOGS_NO_SESSIONS",
    Severity.INFO,
    "The logs (2 lines) record no streaming session in the period read.",
    "Connect to the WorkSpace once, then run this again.",
    rule="sessions",
    owner=Owner.USER,
)
LOGS_VPC = Finding(
    "LOGS_VPC_ENDPOINT_IN_USE",
    Severity.INFO,
    "In its last DCV session the client was given the PrivateLink streaming endpoint.",
    "Nothing to fix.",
    rule="endpoint-kind",
    owner=Owner.USER,
)
# (the run, its extra info findings, the owner WHAT TO DO leads with: None where nobody acts)
INFO_CASES = {
    "degraded, the network's warning": (CASES["udp-blocked"], Owner.NETWORK),
    "blocked, the network's error": (CASES["closed"], Owner.NETWORK),
    "ready, nothing to do": (results(endpoint=O, health=O), None),
    "at home, the user's error": (CASES["home"], Owner.USER),
}


@pytest.mark.parametrize("name", INFO_CASES)
def test_an_info_finding_is_a_note_whoever_owns_it(name: str) -> None:
    """`switch proxy-443-only-client-5.24`: "Nothing to change at this machine: hand ... to
    your network team" was followed by "You, at this machine: i LOGS_NO_SESSIONS ...". An
    info finding never stands in WHAT TO DO; the line's findings= never lists it."""
    r, leads = INFO_CASES[name]
    report = synth.report_of(r, *diagnose(r, (LOGS_NO_SESSIONS, LOGS_VPC)))
    advice = adv.advise(report)
    assert all(f.severity is not Severity.INFO for g in advice.groups for f in g.findings)
    notes = {f.code for f in advice.notes}
    assert {"LOGS_NO_SESSIONS", "LOGS_VPC_ENDPOINT_IN_USE"} <= notes
    assert (advice.groups[0].owner if advice.groups else None) is leads
    if leads is not Owner.USER:  # the user has nothing to do: the first line never says so
        assert not advice.first.startswith("You can fix this now")
    text = render_text(report, width=100)
    todo = text.split("WHAT TO DO", 1)[1].split("\nPATHS", 1)[0]
    assert "LOGS_NO_SESSIONS" not in todo and "LOGS_VPC_ENDPOINT_IN_USE" not in todo
    assert ("You, at this machine" in todo) is (leads is Owner.USER)
    assert "LOGS_NO_SESSIONS" in text.split("\nNOTES", 1)[1]
    line = render_line(to_json(report))
    listed = line.split(" findings=", 1)[1].split()[0].split(",")
    assert not {"LOGS_NO_SESSIONS", "LOGS_VPC_ENDPOINT_IN_USE"} & set(listed)
    assert "Connect to the WorkSpace once" not in line


def test_actionable_summaries_leave_out_info_codes_whoever_owns_them(tmp_path: Path) -> None:
    """`summarize --actionable` kept the user's info codes (LOGS_NO_SESSIONS); the README
    says info codes are left out, as from the line's findings=."""
    from wsdiag.fleet.summarize import summarize, to_dict

    r = CASES["closed"]
    report = synth.report_of(r, *diagnose(r, (LOGS_NO_SESSIONS,)))
    (tmp_path / "r.json").write_text(json.dumps(to_json(report)))
    plain = to_dict(summarize([str(tmp_path)]))["finding"]
    acting = to_dict(summarize([str(tmp_path)], actionable=True))
    assert "LOGS_NO_SESSIONS" in plain and "ENDPOINT_CERTIFICATE" not in acting["finding"]
    assert "LOGS_NO_SESSIONS" not in acting["finding"]
    assert all("LOGS_NO_SESSIONS" not in h["findings"] for h in acting["worst_hosts"])


# --- FRESH-REPORT item 1: --nameserver bounds the verdict to that resolver's answers -------

GIVEN = ("127.0.0.1:5353",)


@pytest.mark.parametrize("given", [GIVEN, ()], ids=["--nameserver", "the OS's resolver"])
@pytest.mark.parametrize("name", ["ready", "home", "closed"])
def test_every_output_says_when_the_answers_are_the_given_resolvers_only(
    name: str, given: tuple[str, ...]
) -> None:
    shapes = {"ready": {"health": O}, "home": {"endpoint_dns": DnsOutcome.NXDOMAIN, "health": O}}
    shape = shapes.get(name, {"needed": F, "expected": F, "health": F})
    r = results(plan=synth.plan_for(nameservers=given), **shape)  # type: ignore[arg-type]
    report = report_of(r)
    unbounded = report_of(results(**shape))  # type: ignore[arg-type]
    # the verdict stays what the answers give
    assert report.diagnosis.verdict is unbounded.diagnosis.verdict
    found = {f.code: f for f in report.diagnosis.findings}
    assert ("NAMESERVER_GIVEN" in found) is bool(given)
    text = render_text(report, width=100).splitlines()
    line = render_line(to_json(report))
    verdict = str(report.diagnosis.verdict)
    page = render_html(report)
    if not given:
        assert (
            adv.SCOPE not in " ".join(text[:3]) and "dns=" not in line and 'id="scope"' not in page
        )
        return
    f = found["NAMESERVER_GIVEN"]
    assert (f.severity, f.owner) == (Severity.INFO, Owner.USER)
    assert "127.0.0.1:5353" in f.message and "was not asked" in f.message
    assert f.remediation == "Run without --nameserver to check what the client sees."
    assert text[1].startswith("DNS answers from the resolver given with --nameserver only")
    assert line.startswith(f"{verdict} dns=nameserver-only env=")  # the verdict stays first
    assert "NAMESERVER_GIVEN" not in line.split(" fix: ")[0]  # a note, not an action
    assert render(report, Format.JAMF, Redaction()).startswith(f"<result>{verdict} dns=nameserver")
    assert adv.SCOPE.replace("'", "&#39;") in page
    advice = adv.advise(report)
    assert all(x.code != "NAMESERVER_GIVEN" for g in advice.groups for x in g.findings)
    if name == "ready":
        assert advice.first.startswith("Nothing to do: ") and "--nameserver" in advice.first
