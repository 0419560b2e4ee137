"""Hostile peers on loopback: a misbehaving DNS server, TCP/TLS peers that stall, drip or
talk nonsense. Each run must end with a report (exit 0-3), never an internal error, and
say what it saw: no silence where something answered, no address nobody resolved.

A generous watchdog (deadline + 10 s) guards against hangs; the exact time budgets are
measured in bench/, not asserted here."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.hostile import HostileDns, assert_reported, check_argv, hostile_tcp

REGION = "eu-west-1"
PRIVATE = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"
BROKER = f"ws-broker-service.{REGION}.amazonaws.com"
NET = random.randint(64, 250)
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 1.0
DEADLINE = 3.0


def ip(sub: int, host: int) -> str:
    return f"127.{NET}.{sub}.{host}"


@pytest.fixture
def dns_server() -> Iterator[HostileDns]:
    with HostileDns(ip(0, 53)) as server:
        yield server


def check(server: HostileDns, *extra: str) -> tuple[int, dict[str, Any], str]:
    cmd = check_argv(
        server, f"127.{NET}.0.0/16", *extra, region=REGION, timeout=TIMEOUT, deadline=DEADLINE
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=DEADLINE + 10, cwd=ROOT)
    assert_reported(proc)
    report = json.loads(proc.stdout)
    assert report["exit_code"] == proc.returncode
    return proc.returncode, report, proc.stderr


def endpoint_dns(report: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in report["dns"] if d["target"] == "endpoint" and d["type"] == "A")


def endpoint_probes(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in report["probes"] if p["target"] == "endpoint"]


def test_tc_with_a_stalling_tcp_side_is_not_silence(dns_server: HostileDns) -> None:
    dns_server.zone = {PRIVATE: ("tc-stall",), BROKER: ("answer", [ip(2, 10)])}
    _, report, _ = check(dns_server)
    # A truncated reply is not the answer, and its empty answer section not "no record".
    assert endpoint_dns(report)["outcome"] == "error"
    assert "truncated" in endpoint_dns(report)["detail"]
    # The server answered other names: it is not "did not answer any query".
    assert report["evidence"]["resolver_reachable"] == "yes"
    assert "DNS_RESOLVER_UNREACHABLE" not in {f["code"] for f in report["findings"]}


def test_tc_with_a_dripping_tcp_side_ends_in_time(dns_server: HostileDns) -> None:
    dns_server.zone = {PRIVATE: ("tc-drip",), BROKER: ("answer", [ip(2, 10)])}
    _, report, _ = check(dns_server)
    assert endpoint_dns(report)["outcome"] != "answer"
    assert report["verdict"] != "ready"


def test_cname_loop_is_a_dns_failure(dns_server: HostileDns) -> None:
    dns_server.zone = {PRIVATE: ("cname-loop",)}
    _, report, _ = check(dns_server)
    assert endpoint_dns(report)["outcome"] in ("error", "no-answer", "servfail")
    assert report["verdict"] != "ready"


def test_garbage_instead_of_dns_is_not_an_answer(dns_server: HostileDns) -> None:
    dns_server.zone = {PRIVATE: ("garbage",)}
    _, report, _ = check(dns_server)
    assert endpoint_dns(report)["outcome"] != "answer"
    assert report["verdict"] != "ready"


def test_records_owned_by_another_name_are_not_probed(dns_server: HostileDns) -> None:
    dns_server.zone = {PRIVATE: ("wrong-owner", ip(1, 10), ip(9, 9))}
    _, report, _ = check(dns_server)
    assert endpoint_dns(report)["addresses"] == [ip(1, 10)]
    assert ip(9, 9) not in {p["address"] for p in report["probes"]}


def test_a_slow_resolver_is_heard_within_the_timeout(dns_server: HostileDns) -> None:
    # A VPN resolver with a cold cache: 0.8 s, under the 1 s timeout.
    dns_server.zone = {PRIVATE: ("slow", 0.8, [ip(1, 10)])}
    _, report, _ = check(dns_server)
    assert endpoint_dns(report)["outcome"] == "answer"


def test_thousands_of_addresses_are_capped(dns_server: HostileDns) -> None:
    dns_server.zone = {PRIVATE: ("many", 4000)}
    # Building and parsing 4,000 records over TCP takes a loaded machine over a second.
    _, report, _ = check(dns_server, "--timeout", "3", "--deadline", "8")
    answered = endpoint_dns(report)
    assert answered["outcome"] == "answer"
    probed = {p["address"] for p in endpoint_probes(report) if p["status"] != "skipped"}
    assert 0 < len(probed) <= 16
    assert report["verdict"] != "ready"


@pytest.mark.parametrize(
    ("behaviour", "statuses"),
    [
        ("stall", {"filtered"}),
        ("garbage", {"error"}),
        ("drip", {"filtered", "error"}),
        ("reset", {"refused", "error"}),
        # a middlebox that ends the handshake: the network refused the path, not a local error
        ("close", {"refused"}),
    ],
)
def test_tls_peers_that_misbehave(
    dns_server: HostileDns,
    behaviour: str,
    statuses: set[str],
) -> None:
    peer = ip(2, 20)
    dns_server.zone = {BROKER: ("answer", [peer]), PRIVATE: ("answer", [ip(1, 10)])}
    with hostile_tcp({(peer, 443): behaviour}):
        _, report, _ = check(dns_server)
    broker = next(
        p for p in report["probes"] if p["target"] == "ws-broker" and p["transport"] == "tls"
    )
    assert broker["status"] in statuses, broker
    if behaviour != "reset":
        assert broker["phase"] in ("tls", "handshake"), broker  # TCP itself was accepted
