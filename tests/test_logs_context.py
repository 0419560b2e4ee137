"""wsdiag.logs.context: the log data `check` carries (typed, same JSON as before) and the
region fallback (option > WSDIAG_REGION > AWS_REGION > client logs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsdiag.logs.context import choose_region, client_logs, read_logs
from wsdiag.render.report import client_log_evidence_json, client_logs_json
from wsdiag.vocab.logs import LogContext
from wsdiag.vocab.model import Status, Transport
from wsdiag.vocab.results import ProbeResult

VPC = Path(__file__).parent / "fixtures" / "logs" / "field-report-vpc-session.log"
HL = "privatelink.prod.ap-northeast-1.highlander.aws.a2z.com"


def _probe(transport: Transport, port: int, status: Status) -> ProbeResult:
    return ProbeResult(
        id=f"endpoint/{transport}/{port}",
        target_id="endpoint",
        host=HL,
        address="10.0.1.10",
        transport=transport,
        port=port,
        status=status,
    )


def test_logs_block_is_the_evidence_then_the_comparison() -> None:
    ctx = read_logs([VPC])
    assert ctx.evidence is not None
    assert (ctx.region, ctx.private_hosts) == ("ap-northeast-1", (HL,))
    probes = [
        _probe(Transport.TCP, 443, Status.OPEN),
        _probe(Transport.QUIC, 4195, Status.OPEN),
        _probe(Transport.TCP, 4195, Status.FILTERED),
    ]
    logs = client_logs(ctx, probes)
    assert logs is not None
    doc = client_logs_json(logs)
    assert list(doc) == [*client_log_evidence_json(ctx.evidence), "comparison"]
    assert doc["comparison"] == (
        "last client session 2025-08-28T04:29:37.292Z (client 5.29.1.5595) reached: "
        "QUIC/4195, QUIC/443, TCP/4195, TCP/443; wsdiag now reaches: QUIC/4195, TCP/443"
    )


def test_no_logs_no_block() -> None:
    assert client_logs(LogContext(), []) is None


@pytest.mark.parametrize(
    ("option", "env", "logs", "expected"),
    [
        (
            "eu-west-1",
            {"WSDIAG_REGION": "us-east-1", "AWS_REGION": "ap-south-1"},
            "sa-east-1",
            ("eu-west-1", "option"),
        ),
        (
            None,
            {"WSDIAG_REGION": "us-east-1", "AWS_REGION": "ap-south-1"},
            "sa-east-1",
            ("us-east-1", "env"),
        ),
        (None, {"AWS_REGION": "ap-south-1"}, "sa-east-1", ("ap-south-1", "env")),
        (None, {"WSDIAG_REGION": "", "AWS_REGION": "ap-south-1"}, None, ("ap-south-1", "env")),
        (None, {}, "sa-east-1", ("sa-east-1", "logs")),
        ("", {"AWS_REGION": ""}, "sa-east-1", ("sa-east-1", "logs")),
        (None, {}, None, (None, "none")),
    ],
)
def test_region_fallback(
    option: str | None, env: dict[str, str], logs: str | None, expected: tuple[str | None, str]
) -> None:
    assert choose_region(option, env, logs) == expected
