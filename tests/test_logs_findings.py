"""Rules from a parsed log to findings: which code fires, at what severity, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsdiag.logs.files import ProblemKind, ReadProblem
from wsdiag.logs.findings import log_findings
from wsdiag.logs.parse import LogParser, parse_lines
from wsdiag.vocab.logs import LogSummary
from wsdiag.vocab.model import Severity
from wsdiag.vocab.results import Finding

FIX = Path(__file__).parent / "fixtures" / "logs"
VPC = FIX / "field-report-vpc-session.log"
HOME = FIX / "field-report-home-no-endpoint.log"
PCOIP = FIX / "field-report-pcoip-resource-not-found.log"

H = '2025-08-28T06:00:00.000Z { Version: "%s" }: '


def parse(*paths: Path) -> LogSummary:
    parser = LogParser()
    for p in paths:
        parser.feed_block(p.read_bytes())
    return parser.summary()


def codes(findings: tuple[Finding, ...]) -> list[tuple[str, Severity]]:
    return [(f.code, f.severity) for f in findings]


def session(version: str, *, offered: list[str], reachable: list[str] | None) -> list[str]:
    """A DCV session; ``reachable`` None means "No endpoints are reachable"."""
    h = H % version

    def ep(spec: str) -> str:
        host, transport, port = spec.split(":")
        return f"hostname: {host}, transport: {transport}, port: {port}, gatewayType: NLB, "

    sid = "prod-eu-west-1-0000"
    lines = [f"{h}[INF] Starting WSP session using SessionId: {sid}, endpoints:"]
    lines += [ep(s) for s in offered]
    if reachable is None:
        lines.append(
            f"{h}[WRN] No endpoints are reachable. A connection may not be able to be established."
        )
    else:
        lines += [f'{h}[INF] Reachable endpoint: "{ep(s)}", session ID: {sid}' for s in reachable]
    return lines


PL = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"
PUB = "abc-3.prod.eu-west-1.highlander.aws.a2z.com"
ALL = [f"{PL}:QUIC:4195", f"{PL}:QUIC:443", f"{PL}:TCP:4195", f"{PL}:TCP:443"]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            session("5.29.1.5595", offered=ALL, reachable=ALL),
            [("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO)],
        ),
        (
            session("5.29.1.5595", offered=ALL, reachable=None),
            [
                ("LOGS_NO_ENDPOINT_REACHABLE", Severity.ERROR),
                ("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO),
            ],
        ),
        (
            session("5.29.1.5595", offered=ALL, reachable=[f"{PL}:TCP:4195", f"{PL}:TCP:443"]),
            [
                ("LOGS_QUIC_UNREACHABLE", Severity.WARNING),
                ("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO),
            ],
        ),
        (
            session("5.29.1.5595", offered=ALL, reachable=[f"{PL}:QUIC:443", f"{PL}:TCP:443"]),
            [
                ("LOGS_4195_UNREACHABLE", Severity.WARNING),
                ("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO),
            ],
        ),
        (
            session("5.22.0.1", offered=ALL, reachable=ALL),
            [
                ("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO),
                ("LOGS_CLIENT_TOO_OLD_FOR_443_FALLBACK", Severity.INFO),
            ],
        ),
        (
            # Too old AND nothing reachable: the missing fallback may be why, so it warns.
            session("5.22.0.1", offered=ALL, reachable=None),
            [
                ("LOGS_NO_ENDPOINT_REACHABLE", Severity.ERROR),
                ("LOGS_CLIENT_TOO_OLD_FOR_443_FALLBACK", Severity.WARNING),
                ("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO),
            ],
        ),
        (
            session("2024.7.1", offered=ALL, reachable=ALL),
            [("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO)],
        ),
        (
            session("2024.6.0", offered=ALL, reachable=ALL),
            [
                ("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO),
                ("LOGS_CLIENT_TOO_OLD_FOR_443_FALLBACK", Severity.INFO),
            ],
        ),
        (
            session("4.7.0", offered=[f"{PUB}:TCP:4195"], reachable=[f"{PUB}:TCP:4195"]),
            [
                ("LOGS_INTERNET_ENDPOINT_IN_USE", Severity.INFO),
                ("LOGS_CLIENT_TOO_OLD_FOR_443_FALLBACK", Severity.INFO),
            ],
        ),
        # A version the rule cannot read: no claim either way.
        (
            session("dev-build", offered=ALL, reachable=ALL),
            [("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO)],
        ),
        ([f"{H % '5.29.1.5595'}[DBG] nothing of interest"], [("LOGS_NO_SESSIONS", Severity.INFO)]),
    ],
)
def test_rules(lines: list[str], expected: list[tuple[str, Severity]]) -> None:
    found = log_findings(parse_lines(lines))
    assert codes(found) == expected
    for f in found:
        assert f.message.endswith(".") and "\n" not in f.message
        assert f.rule and f.remediation


def test_field_report_timeline() -> None:
    found = log_findings(parse(VPC, HOME, PCOIP))
    assert codes(found) == [
        ("LOGS_NO_ENDPOINT_REACHABLE", Severity.ERROR),
        ("LOGS_PCOIP_RESOURCE_NOT_FOUND", Severity.ERROR),
        ("LOGS_VPC_ENDPOINT_IN_USE", Severity.INFO),
    ]
    no_ep, pcoip, _ = found
    assert "2025-08-28T05:05:17.238Z" in no_ep.message
    assert no_ep.probes == (
        "logs/session/prod-ap-northeast-1-af1a279d-fefe-4a61-ad99-ae0c5534d9ad",
    )
    assert 'InternetFallbackProtocols = ["PCOIP"]' in pcoip.remediation
    assert "Allow users with PCoIP WorkSpaces to stream from the internet" in pcoip.remediation
    # The same logs show a VPC endpoint, so the cause is stated, not guessed.
    assert "most likely" not in pcoip.message


def test_pcoip_alone_is_hedged() -> None:
    (pcoip,) = log_findings(parse(PCOIP))
    assert pcoip.code == "LOGS_PCOIP_RESOURCE_NOT_FOUND"
    assert "most likely" in pcoip.message
    assert "2025-08-28T05:29:49.308Z" in pcoip.message


def test_a_later_good_session_clears_an_earlier_failure() -> None:
    # The field report's good session (04:29) came before the failed one (05:05); move it a
    # day later. Order is the logs' own time, not the order the files were read in.
    later_good = VPC.read_text().replace("2025-08-28T", "2025-08-29T")
    for order in ([HOME.read_text(), later_good], [later_good, HOME.read_text()]):
        summary = parse_lines("".join(order).splitlines())
        assert "LOGS_NO_ENDPOINT_REACHABLE" not in [f.code for f in log_findings(summary)]
    assert "LOGS_NO_ENDPOINT_REACHABLE" in [f.code for f in log_findings(parse(VPC, HOME))]
    assert "LOGS_NO_ENDPOINT_REACHABLE" in [f.code for f in log_findings(parse(HOME, VPC))]


def test_other_broker_errors() -> None:
    h = H % "5.29.1.5595"
    lines = [
        f"{h}[DBG] PerformResourceActionRequest Type: CONNECT, Protocol: WSP, Session-Id: r1",
        f"{h}[ERR] X.WsBroker.Y Error. Code: WORKSPACE_UNHEALTHY; Message: Unhealthy.; Type: t",
    ]
    (f,) = log_findings(parse_lines(lines))
    assert (f.code, f.severity) == ("LOGS_BROKER_ERROR", Severity.WARNING)
    assert "WORKSPACE_UNHEALTHY (Unhealthy)" in f.message


def test_problems_become_findings() -> None:
    problems = [
        ReadProblem("/x/a.log", ProblemKind.NOT_FOUND, "no such file"),
        ReadProblem("/x/b.log", ProblemKind.UNREADABLE, "Permission denied"),
    ]
    assert codes(log_findings(None, problems)) == [
        ("LOGS_NOT_FOUND", Severity.WARNING),
        ("LOGS_UNREADABLE", Severity.WARNING),
    ]
