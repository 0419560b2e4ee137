"""Issue 19 item 4: a wrong ``--directory-id``. NXDOMAIN for ``<id>.awsapps.com`` while the
other public WorkSpaces names resolve through the same resolver: the id or alias does not
exist (the user's or desktop support's to fix); when the public names fail too, a DNS fault
(the network team's); never a firewall ticket."""

from __future__ import annotations

from dataclasses import replace

from tests.synth import O, plan_for, results
from tests.test_helpdesk_advice import report_of
from wsdiag.render import advice as adv
from wsdiag.render.formats import render_line
from wsdiag.render.report import to_json
from wsdiag.vocab.model import DnsOutcome, Owner, Verdict
from wsdiag.vocab.observed import Observed

PLAN = plan_for(directory_id="d-9067a1b2c3")


def _login_nxdomain(base: Observed) -> Observed:
    """``base`` with the login target as a run meets an NXDOMAIN for it."""
    failed = results(plan=PLAN, needed=DnsOutcome.NXDOMAIN, endpoint=O, health=O)
    dns = [d for d in base.dns if d.target_id != "login"]
    dns += [d for d in failed.dns if d.target_id == "login"]
    probes = [p for p in base.probes if p.target_id != "login"]
    probes += [p for p in failed.probes if p.target_id == "login"]
    return replace(base, dns=tuple(dns), probes=tuple(probes))


def _findings(r: Observed) -> dict[str, object]:
    report = report_of(r)
    return {"report": report, "codes": {f.code: f for f in report.diagnosis.findings}}


def test_a_directory_id_that_does_not_exist_is_the_users_not_a_firewall_ticket() -> None:
    r = _login_nxdomain(results(plan=PLAN, endpoint=O, health=O))
    got = _findings(r)
    codes = got["codes"]
    assert "DIRECTORY_NOT_FOUND" in codes and "AUTH_UNREACHABLE" not in codes, set(codes)
    f = codes["DIRECTORY_NOT_FOUND"]
    assert f.owner is Owner.USER
    assert "does not exist" in f.message and "registration code" in f.remediation
    report = got["report"]
    assert report.diagnosis.verdict is Verdict.BLOCKED
    line = render_line(to_json(report))
    assert "443" not in line.split(" fix: ")[1] and "firewall" not in line.split(" fix: ")[1]
    assert adv.advise(report).first.startswith("You can fix this now: Check the registration code")


def test_when_the_public_names_fail_too_it_is_a_dns_fault_for_the_network_team() -> None:
    r = results(plan=PLAN, needed=DnsOutcome.NXDOMAIN, expected=DnsOutcome.NXDOMAIN, endpoint=O)
    codes = _findings(r)["codes"]
    assert "DIRECTORY_NOT_FOUND" not in codes
    f = codes["AUTH_UNREACHABLE"]
    assert f.owner is Owner.NETWORK
    assert "name resolution" in f.remediation and "Allow outbound" not in f.remediation


def test_a_blocked_443_is_still_the_firewall_ticket() -> None:
    from tests.synth import F

    codes = _findings(results(plan=PLAN, needed=F, expected=F, endpoint=O))["codes"]
    assert codes["AUTH_UNREACHABLE"].remediation.startswith("Allow outbound TCP and UDP 443")
