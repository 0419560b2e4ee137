"""Issue 19, "start from what the user has": a wrong region is said in one line. The private
name of the checked region is NXDOMAIN while the client's logs name only other regions:
REGION_MISMATCH (owner user) leads and names the command to run; the NXDOMAIN (and a
resolver's missing zone) become notes. Never where the name resolved, where the logs also
name the checked region, or where no logs were read.

The rows over synthetic runs with the logs' facts as ``wsdiag.run.judge`` gets them, then the
real `wsdiag check` against a loopback DNS server with the client's log in $HOME."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dnsserver import NXDOMAIN, DnsServer
from tests.synth import F, report_of, results
from wsdiag.evidence.machine import machine_facts
from wsdiag.render import advice as adv
from wsdiag.render.formats import render_line
from wsdiag.render.report import to_json
from wsdiag.rules.verdict import diagnose
from wsdiag.run import judge
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.logs import ClientLogFacts
from wsdiag.vocab.model import DnsOutcome, Owner, Severity, Tri
from wsdiag.vocab.report import Report

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"
NOW = dt.datetime.now(dt.UTC)
ONE_LINE = (
    "You checked eu-west-1 but this machine's WorkSpaces client logs name {others}: "
    "run `wsdiag check --region {suggest}`."
)


def report_with_logs(
    endpoint_dns: object, logs: ClientLogFacts | None, home: bool = False
) -> Report:
    """A run in the VPC whose internet is closed (at ``home``: the internet open), the
    private name answering ``endpoint_dns``, the logs' facts ``logs`` (None: not read)."""
    down = {} if home else {"needed": F, "expected": F, "health": F}
    r = results(endpoint_dns=endpoint_dns, **down)  # type: ignore[arg-type]
    sources = {"logs": logs} if logs is not None else None
    return report_of(r, *judge(r, NOW, machine_facts(None, r), None, (), sources))


def logs(*regions: str, latest: str | None = None) -> ClientLogFacts:
    return ClientLogFacts(
        (), tuple(sorted(regions)), latest or (regions[-1] if regions else None), True
    )


NX = DnsOutcome.NXDOMAIN
ANSWER = ["10.0.1.10", "10.0.2.10"]
# name -> (the private name's answer, the logs' facts, the region suggested or None)
CASES: dict[str, tuple[object, ClientLogFacts | None, str | None]] = {
    "NXDOMAIN, the logs name another region": (NX, logs("us-east-1"), "us-east-1"),
    "NXDOMAIN, two others: the newest session's": (
        NX,
        logs("ap-northeast-1", "us-east-1", latest="us-east-1"),
        "us-east-1",
    ),
    "the name resolves": (ANSWER, logs("us-east-1"), None),
    "the logs also name the checked region": (NX, logs("eu-west-1", "us-east-1"), None),
    "the logs name no region": (NX, logs(), None),
    "no logs read": (NX, None, None),
    "logs read, nothing parsed": (NX, ClientLogFacts((), (), None, False), None),
    "SERVFAIL, not NXDOMAIN": (DnsOutcome.SERVFAIL, logs("us-east-1"), None),
}


@pytest.mark.parametrize("home", [False, True], ids=["in the VPC", "at home"])
@pytest.mark.parametrize("name", CASES)
def test_a_wrong_region_is_said_in_one_line_first(name: str, home: bool) -> None:
    answer, facts, suggest = CASES[name]
    report = report_with_logs(answer, facts, home)
    found = {f.code: f for f in report.diagnosis.findings}
    assert ("REGION_MISMATCH" in found) is (suggest is not None)
    if suggest is None:
        if answer is NX and not home:  # the NXDOMAIN keeps its weight: the network's error
            assert found["ENDPOINT_NXDOMAIN"].severity is Severity.ERROR
        return
    f = found["REGION_MISMATCH"]
    assert (f.severity, f.owner) == (Severity.ERROR, Owner.USER)
    assert facts is not None
    others = ", ".join(r for r in facts.log_regions if r != "eu-west-1")
    assert f.message == ONE_LINE.format(others=others, suggest=suggest)
    assert f.message.count("\n") == 0
    # FRESH-REPORT item 9: the notes in general, never one code that may not be there (an
    # agent's resolver gives DNS_AGENT_OWNS_NAME, not ENDPOINT_NXDOMAIN)
    assert f.remediation == (
        f"Run `wsdiag check --region {suggest}`; if eu-west-1 is the right region after all, "
        "the notes below say what to fix."
    )
    # it leads: the first line, the first code and fix of the one-line format
    advice = adv.advise(report)
    assert advice.first == f"You can fix this now: Run `wsdiag check --region {suggest}`."
    assert advice.groups[0].findings[0].code == "REGION_MISMATCH"
    line = render_line(to_json(report))
    assert line.split(" findings=")[1].startswith("REGION_MISMATCH")
    assert f"fix: Run `wsdiag check --region {suggest}`" in line
    # the NXDOMAIN that a wrong region implies is a note, not a ticket for the network team
    assert found["ENDPOINT_NXDOMAIN"].severity is Severity.INFO
    assert "Private DNS" not in line
    if home:  # both the user's: the region first (at home every private name is NXDOMAIN)
        user = [f.code for f in advice.groups[0].findings]
        assert user == ["REGION_MISMATCH", "HOME_NETWORK"]


# --- the real command: a loopback resolver, the client's log in $HOME ---------------------

NET = random.randint(64, 250)  # 127.NET.0.0/16: nothing listens there, paths are refused
PRIVATE = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    with DnsServer("127.0.0.1", {"*": [f"127.{NET}.2.10"]}) as server:
        yield server


def client_log(home: Path, *regions: str) -> None:
    """The field report's session, dated yesterday, once per region (the sessions count)."""
    folder = home / ".local/share/Amazon Web Services/Amazon WorkSpaces/logs"
    folder.mkdir(parents=True)
    yesterday = (NOW - dt.timedelta(days=1)).date().isoformat()
    text = (FIXTURES / "field-report-vpc-session.log").read_text().replace("2025-08-28", yesterday)
    for i, region in enumerate(regions):
        (folder / f"client-{i}.log").write_text(text.replace("ap-northeast-1", region))


def check(dns: DnsServer, home: Path, *extra: str) -> tuple[dict[str, object], str]:
    env = {**os.environ, "HOME": str(home), "NO_COLOR": "1"}
    for var in ("WSDIAG_REGION", "AWS_REGION"):
        env.pop(var, None)
    base = [sys.executable, "-m", "wsdiag", "check", "--region", "eu-west-1"]
    base += ["--nameserver", dns.address, "--timeout", "0.5", *extra]
    proc = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.stderr == "", proc.stderr
    line = subprocess.run(
        [*base, "--format", "line"], capture_output=True, text=True, timeout=60, env=env
    )
    report: dict[str, object] = json.loads(proc.stdout)
    return report, line.stdout


def codes(report: dict[str, object]) -> dict[str, dict[str, str]]:
    return {f["code"]: f for f in report["findings"]}  # type: ignore[attr-defined, index]


def test_check_says_the_logs_name_another_region(dns: DnsServer, tmp_path: Path) -> None:
    dns.zone[PRIVATE] = NXDOMAIN
    client_log(tmp_path, "ap-northeast-1")
    report, line = check(dns, tmp_path)
    first = report["findings"][0]  # type: ignore[index]
    assert first["code"] == "REGION_MISMATCH" and first["owner"] == "user"
    assert first["message"] == ONE_LINE.format(others="ap-northeast-1", suggest="ap-northeast-1")
    assert codes(report)["ENDPOINT_NXDOMAIN"]["severity"] == "info"
    assert report["verdict"] == "blocked"
    assert line.split(" findings=")[1].startswith("REGION_MISMATCH")
    assert "fix: Run `wsdiag check --region ap-northeast-1`" in line


@pytest.mark.parametrize(
    ("case", "regions", "private"),
    [
        ("the name resolves", ("ap-northeast-1",), [f"127.{NET}.1.10"]),
        ("the logs also name eu-west-1", ("ap-northeast-1", "eu-west-1"), NXDOMAIN),
        ("no logs", (), NXDOMAIN),
    ],
)
def test_check_names_no_other_region_where_it_is_not_so(
    dns: DnsServer, tmp_path: Path, case: str, regions: tuple[str, ...], private: object
) -> None:
    dns.zone[PRIVATE] = private  # type: ignore[assignment]
    if regions:
        client_log(tmp_path, *regions)
    report, line = check(dns, tmp_path, *(() if regions else ("--no-logs",)))
    assert "REGION_MISMATCH" not in codes(report) and "REGION_MISMATCH" not in line
    if private == NXDOMAIN:
        assert codes(report)["ENDPOINT_NXDOMAIN"]["severity"] == "error"


@pytest.mark.parametrize(
    ("facts", "severity"),
    [
        (logs("us-east-1"), Severity.INFO),
        (logs("eu-west-1"), Severity.ERROR),
        (None, Severity.ERROR),
    ],
)
def test_a_resolver_without_the_zone_is_a_note_where_the_region_is_wrong(
    facts: ClientLogFacts | None, severity: Severity
) -> None:
    """NXDOMAIN from a company resolver off the LAN: "the VPC it answers for cannot see the
    zone" is the network team's error, unless the region checked is not the client's."""
    report = report_with_logs(NX, facts)
    e = report.evidence
    e = dataclasses.replace(
        e, zone_missing=Tri.YES, chain=dataclasses.replace(e.chain, zone_missing_at="10.9.0.2")
    )
    found = {f.code: f for f in diagnose(e).findings}
    assert found["DNS_PRIVATE_ZONE_NOT_VISIBLE"].severity is severity
    assert ("REGION_MISMATCH" in found) is (severity is Severity.INFO)


@pytest.mark.parametrize(
    ("facts", "severity"),
    [(logs("us-east-1"), Severity.INFO), (logs("eu-west-1"), Severity.ERROR)],
)
def test_a_dns_agent_is_a_note_where_the_region_is_wrong(
    facts: ClientLogFacts, severity: Severity
) -> None:
    """WARP answering NXDOMAIN for another region's private name: the region is the action."""
    report = report_with_logs(NX, facts)
    e = dataclasses.replace(
        report.evidence,
        dns_agent=Tri.YES,
        agent="Cloudflare WARP",
        agent_signs=("resolver 127.0.2.2",),
        agent_answers=True,
    )
    found = {f.code: f for f in diagnose(e).findings}
    assert found["DNS_AGENT_OWNS_NAME"].severity is severity
    assert ("REGION_MISMATCH" in found) is (severity is Severity.INFO)
    if "REGION_MISMATCH" in found:  # it names no note that is not there
        assert "ENDPOINT_NXDOMAIN" not in found
        assert "ENDPOINT_NXDOMAIN" not in found["REGION_MISMATCH"].remediation


# --- FRESH-REPORT item 5: no client logs, the region may be wrong: the fix says so ------------

HINT = (
    "If eu-west-1 is not the directory's region, run `wsdiag check --region "
    "<the directory's region>`."
)


def _zone(e: Evidence) -> Evidence:
    chain = dataclasses.replace(e.chain, zone_missing_at="10.9.0.2")
    return dataclasses.replace(e, zone_missing=Tri.YES, chain=chain)


def _agent(e: Evidence) -> Evidence:
    return dataclasses.replace(
        e,
        dns_agent=Tri.YES,
        agent="Cloudflare WARP",
        agent_signs=("process warp-svc",),
        agent_setting="add a2z.com to Local Domain Fallback",
        agent_answers=True,
    )


def _same(e: Evidence) -> Evidence:
    return e


# code -> (how the evidence is made to carry it, its owner)
HINTED = {
    "ENDPOINT_NXDOMAIN": (_same, Owner.NETWORK),
    "DNS_PRIVATE_ZONE_NOT_VISIBLE": (_zone, Owner.NETWORK),
    "DNS_AGENT_OWNS_NAME": (_agent, Owner.NETWORK),
}
# the logs' facts -> whether the fix says the region may be wrong
LOG_CASES: dict[str, tuple[ClientLogFacts | None, bool]] = {
    "no logs read": (None, True),
    "logs read, nothing parsed": (ClientLogFacts((), (), None, False), True),
    "the logs name no region": (logs(), True),
    "the logs name the checked region": (logs("eu-west-1"), False),
    "the logs name another region (REGION_MISMATCH)": (logs("us-east-1"), False),
}


@pytest.mark.parametrize("case", LOG_CASES)
@pytest.mark.parametrize("code", HINTED)
def test_a_missing_name_says_the_region_may_be_wrong_where_no_log_decided_it(
    code: str, case: str
) -> None:
    """minimal-egress, `HOME=/tmp/empty check --region eu-west-1`: the VPC's resolver says
    NXDOMAIN for another region's name, and the fix spoke only of hosted zones."""
    facts, hinted = LOG_CASES[case]
    make, owner = HINTED[code]
    e = make(report_with_logs(NX, facts).evidence)
    found = {f.code: f for f in diagnose(e).findings}
    f = found[code]
    assert f.owner is owner
    assert f.remediation.endswith(HINT) is hinted, f.remediation
    assert ("wsdiag check --region" in f.remediation) is hinted


def test_no_region_hint_where_the_name_exists_publicly() -> None:
    """The agent's finding for a public answer: the region is not what it is about."""
    report = report_with_logs(["52.94.1.10"], None)
    found = {f.code: f for f in diagnose(_agent(report.evidence)).findings}
    assert "--region" not in found["DNS_AGENT_OWNS_NAME"].remediation
