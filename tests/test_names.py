"""Names as the OS resolves them, captive portals, RFC 6598: pure, on synthetic results."""

from __future__ import annotations

import pytest

from tests.synth import F, O, R, diagnose, results
from wsdiag.check.plan import OS_RDTYPE, RDTYPES
from wsdiag.evidence.names import is_shared, not_public
from wsdiag.probes.registry import DNS_SOURCES
from wsdiag.rules.names import NAME_RULES
from wsdiag.vocab.model import DnsOutcome, Status, Transport, Tri

A, B = "10.0.1.10", "10.0.2.10"


def test_every_lookup_type_has_a_source() -> None:
    assert set(DNS_SOURCES) == {*RDTYPES, OS_RDTYPE}


@pytest.mark.parametrize(
    ("address", "shared", "ok"),
    [
        ("100.64.0.1", True, True),
        ("100.127.255.254", True, True),
        ("100.128.0.1", False, False),
        ("10.1.2.3", False, True),
        ("203.0.113.7", False, False),
        ("2600:1f18::5", False, True),
    ],
)
def test_shared_space(address: str, shared: bool, ok: bool) -> None:
    assert is_shared(address) is shared
    assert not_public(address, ()) is ok


def portal(addr: str, transport: Transport, port: int) -> Status:
    return O if (transport, port) == (Transport.TCP, 443) else R


def test_captive_portal_explains_the_path_and_tls_findings() -> None:
    e, d = diagnose(results(os_all=["192.168.1.1"], endpoint=portal, health=F))
    codes = {f.code for f in d.findings}
    assert e.captive_portal is Tri.YES and e.captive_address == "192.168.1.1"
    assert "CAPTIVE_PORTAL" in codes and str(d.verdict) == "blocked"
    explained = next(r for r in NAME_RULES if r.code == "CAPTIVE_PORTAL").never_with
    assert not codes & set(explained), codes
    f = next(f for f in d.findings if f.code == "CAPTIVE_PORTAL")
    assert f.owner == "user" and "192.168.1.1" in f.message
    assert "privatelink" in f.message and "ws-broker-service" in f.message


def test_one_address_for_related_names_only_is_not_a_portal() -> None:
    # every sign-in name on one address is ordinary (a proxy, a CDN); the endpoint differs
    e, d = diagnose(results(os=[A, B]))
    assert e.captive_portal is Tri.NO and "CAPTIVE_PORTAL" not in {f.code for f in d.findings}


def test_overlay_that_answers_is_never_called_public() -> None:
    e, d = diagnose(results(endpoint_dns=["100.64.1.10"]))
    codes = {f.code for f in d.findings}
    assert e.endpoint_overlay == ("100.64.1.10",) and e.endpoint_public == ()
    assert "ENDPOINT_PUBLIC_ANSWER" not in codes and "ENDPOINT_OVERLAY" in codes
    assert str(d.verdict) == "ready"


def test_overlay_silent_names_the_overlay_not_the_vpc() -> None:
    _, d = diagnose(results(endpoint_dns=["100.64.1.10"], endpoint=F))
    codes = {f.code for f in d.findings}
    assert "ENDPOINT_OVERLAY_SILENT" in codes and "ENDPOINT_UNREACHABLE" not in codes


def test_hosts_pin_is_what_the_client_dials() -> None:
    e, d = diagnose(results(endpoint_dns=DnsOutcome.NXDOMAIN, os=[A, B], os_reason="hosts-file"))
    assert e.endpoint_resolves is Tri.YES and str(d.verdict) == "ready"
    assert [(a.address, a.os_answer, a.dns_answer) for a in e.endpoint_addresses] == [
        (A, Tri.YES, Tri.NO),
        (B, Tri.YES, Tri.NO),
    ]
    f = next(f for f in d.findings if f.code == "OS_HOSTS_FILE")
    assert f.owner == "desktop" and "nxdomain" in f.message
    assert "ENDPOINT_NXDOMAIN" not in {x.code for x in d.findings}


def test_same_answers_are_no_divergence() -> None:
    e, d = diagnose(results(os=[A, B]))
    assert e.os_consulted is Tri.YES and e.name_divergences == ()
    assert not {f.code for f in d.findings} & {
        "OS_HOSTS_FILE",
        "OS_RESOLVER_DIFFERS",
        "OS_NAME_FAILED",
    }


def test_a_resolver_dnspython_cannot_hear_is_not_silent() -> None:
    e, d = diagnose(results(all_dns=DnsOutcome.TIMEOUT, os=[A, B], os_reason="link-local-resolver"))
    assert e.resolver_reachable is Tri.YES
    assert "DNS_RESOLVER_UNREACHABLE" not in {f.code for f in d.findings}


def test_without_the_os_nothing_changes() -> None:
    e, _ = diagnose(results())
    assert e.os_consulted is Tri.NO and e.name_divergences == ()
    assert {a.os_answer for a in e.endpoint_addresses} == {Tri.UNKNOWN}


def test_quic_and_tcp_probes_work_over_ipv6(tmp_path: pytest.TempPathFactory) -> None:
    """An IPv6-only endpoint is probed over IPv6: real servers on ::1 (port 0: no clash)."""
    import asyncio
    import socket
    from pathlib import Path

    from tests.support.certs import make_ca
    from tests.support.servers import Listen, running
    from wsdiag.probes.quic import probe_quic
    from wsdiag.probes.tcp import probe_tcp
    from wsdiag.vocab.results import ProbeResult

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    leaf = make_ca(Path(str(tmp_path))).issue("s", ["endpoint.example"])

    async def main() -> list[Status]:
        listens = [Listen("quic", "::1", 0), Listen("tcp", "::1", 0)]
        async with running(listens, leaf.cert_path, leaf.key_path) as servers:
            (_, _, qport), (_, _, tport) = servers.bound
            quic = ProbeResult(
                "q", "endpoint", "endpoint.example", "::1", Transport.QUIC, qport, Status.ERROR
            )
            tcp = ProbeResult(
                "t", "endpoint", "endpoint.example", "::1", Transport.TCP, tport, Status.ERROR
            )
            return [
                (await probe_quic(quic, 3.0, ("h3",))).status,
                (await probe_tcp(tcp, 3.0)).status,
            ]

    assert asyncio.run(main()) == [Status.OPEN, Status.OPEN]
