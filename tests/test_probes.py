"""Each probe against real sockets on loopback: what it reports for each behaviour."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator

import pytest

from tests.support.certs import LabPki, LeafFiles, make_ca
from tests.support.dnsserver import DROP, NXDOMAIN, REFUSED, SERVFAIL, DnsServer
from tests.support.servers import start_quic_server, start_tcp_server, start_tls_server
from wsdiag.dns_probe import make_resolver, resolve
from wsdiag.model import DnsOutcome, ProbeResult, Status, Transport
from wsdiag.quic_probe import probe_quic
from wsdiag.tcp_probe import probe_tcp, tls_context

HOST = "127.0.0.1"
NAME = "svc.wsdiag.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[LabPki, LeafFiles]:
    ca = make_ca(tmp_path_factory.mktemp("pki"))
    return ca, ca.issue("server", [NAME], [HOST])


def base(transport: Transport, port: int, host: str = NAME) -> ProbeResult:
    return ProbeResult(id="t", target_id="t", host=host, address=HOST, transport=transport,
                       port=port, status=Status.ERROR)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def udp_hole() -> Iterator[int]:
    """A bound UDP socket that never answers: silence, not ICMP."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        yield int(s.getsockname()[1])


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


# --- TCP / TLS ---------------------------------------------------------------------------


def test_tcp_open_and_refused() -> None:
    async def go() -> tuple[ProbeResult, ProbeResult]:
        server, port = await start_tcp_server(HOST, 0)
        try:
            return (await probe_tcp(base(Transport.TCP, port), 1.0),
                    await probe_tcp(base(Transport.TCP, free_port(socket.SOCK_STREAM)), 1.0))
        finally:
            server.close()

    opened, refused = run(go())  # type: ignore[misc]
    assert (opened.status, opened.phase) == (Status.OPEN, "connect")
    assert opened.ms is not None
    assert (refused.status, refused.phase) == (Status.REFUSED, "connect")
    assert refused.errno is not None


@pytest.mark.parametrize("trust", [True, False])
def test_tls_trust_is_recorded_not_fatal(pki: tuple[LabPki, LeafFiles], trust: bool) -> None:
    ca, leaf = pki

    async def go() -> ProbeResult:
        server, port = await start_tls_server(HOST, 0, leaf.cert_path, leaf.key_path)
        ctx = tls_context()
        if trust:
            ctx.load_verify_locations(str(ca.ca_path))
        try:
            return await probe_tcp(base(Transport.TLS, port), 2.0, ctx)
        finally:
            server.close()

    r = run(go())
    assert (r.status, r.phase, r.tls_trusted) == (Status.OPEN, "tls", trust)  # type: ignore[union-attr]


def test_tls_to_a_plain_tcp_server_is_an_error_not_open() -> None:
    async def go() -> ProbeResult:
        # accepts and closes at once: the TLS handshake cannot complete
        server, port = await start_tcp_server(HOST, 0)
        try:
            return await probe_tcp(base(Transport.TLS, port), 1.0, ssl.create_default_context())
        finally:
            server.close()

    r = run(go())
    assert r.status is not Status.OPEN  # type: ignore[union-attr]
    assert r.phase == "tls"  # type: ignore[union-attr]


# --- QUIC --------------------------------------------------------------------------------


def test_quic_handshake(pki: tuple[LabPki, LeafFiles]) -> None:
    _, leaf = pki

    async def go() -> ProbeResult:
        server, port = await start_quic_server(HOST, 0, leaf.cert_path, leaf.key_path)
        try:
            return await probe_quic(base(Transport.QUIC, port), 2.0, ("h3",))
        finally:
            server.close()

    r = run(go())
    assert (r.status, r.alpn, r.quic_error) == (Status.OPEN, "h3", None)  # type: ignore[union-attr]
    assert r.datagrams_rx and r.datagrams_rx >= 1  # type: ignore[union-attr]


def test_quic_peer_close_proves_the_path(pki: tuple[LabPki, LeafFiles]) -> None:
    _, leaf = pki

    async def go() -> ProbeResult:
        server, port = await start_quic_server(HOST, 0, leaf.cert_path, leaf.key_path,
                                               alpn=("dcv-unknown",))
        try:
            return await probe_quic(base(Transport.QUIC, port), 2.0, ("h3",))
        finally:
            server.close()

    r = run(go())
    # 0x178 = CRYPTO_ERROR + TLS alert 120 (no_application_protocol)
    assert (r.status, r.quic_error) == (Status.OPEN, 0x178)  # type: ignore[union-attr]


def test_quic_icmp_port_unreachable_is_refused() -> None:
    r = run(probe_quic(base(Transport.QUIC, free_port(socket.SOCK_DGRAM)), 2.0, ("h3",)))
    assert r.status is Status.REFUSED  # type: ignore[union-attr]


def test_quic_silence_is_filtered(udp_hole: int) -> None:
    r = run(probe_quic(base(Transport.QUIC, udp_hole), 0.5, ("h3",)))
    assert (r.status, r.datagrams_rx) == (Status.FILTERED, 0)  # type: ignore[union-attr]


def test_a_udp_echo_is_not_a_quic_answer() -> None:
    """Something answering UDP is not a QUIC server; counting datagrams would say open."""

    async def go() -> ProbeResult:
        loop = asyncio.get_running_loop()

        class Echo(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                self.transport.sendto(data, addr)  # type: ignore[attr-defined]
                self.transport.sendto(b"\xc0garbage" * 20, addr)  # type: ignore[attr-defined]

        transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(HOST, 0))
        port = transport.get_extra_info("sockname")[1]
        try:
            return await probe_quic(base(Transport.QUIC, port), 0.5, ("h3",))
        finally:
            transport.close()

    r = run(go())
    assert r.status is Status.FILTERED  # type: ignore[union-attr]
    assert r.datagrams_rx and r.datagrams_rx > 0  # type: ignore[union-attr]


# --- DNS ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("behaviour", "outcome", "addresses"), [
    (["127.0.0.9", "127.0.0.10"], DnsOutcome.ANSWER, ("127.0.0.9", "127.0.0.10")),
    (["::1"], DnsOutcome.NO_ANSWER, ()),  # an AAAA-only name asked for A
    (NXDOMAIN, DnsOutcome.NXDOMAIN, ()),
    (SERVFAIL, DnsOutcome.SERVFAIL, ()),
    (REFUSED, DnsOutcome.REFUSED, ()),
    (DROP, DnsOutcome.TIMEOUT, ()),
])
def test_dns_outcomes(behaviour: object, outcome: DnsOutcome, addresses: tuple[str, ...]) -> None:
    with DnsServer("127.0.0.1", {NAME: behaviour}) as server:  # type: ignore[dict-item]
        resolver = make_resolver((server.address,), 0.6)
        r = run(resolve(resolver, "t/dns/A", "t", NAME, "A"))
    # an RRset has no order
    assert (r.outcome, sorted(r.addresses)) == (outcome, sorted(addresses))  # type: ignore[union-attr]


def test_dns_server_down_is_unreachable() -> None:
    resolver = make_resolver((f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}",), 0.6)
    r = run(resolve(resolver, "t/dns/A", "t", NAME, "A"))
    assert r.outcome in (DnsOutcome.UNREACHABLE, DnsOutcome.TIMEOUT)  # type: ignore[union-attr]
    assert r.outcome is not DnsOutcome.ANSWER  # type: ignore[union-attr]


def test_no_resolver_configuration_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where dnspython finds no resolver configuration, check reports it: unknown, exit 3."""
    import dns.resolver

    import wsdiag.dns_probe
    from wsdiag.diagnose import run_check
    from wsdiag.model import Inputs, Verdict

    def no_config(*_: object) -> None:
        raise dns.resolver.NoResolverConfiguration("no nameservers")

    monkeypatch.setattr(wsdiag.dns_probe, "make_resolver", no_config)
    report = run_check(Inputs(region="eu-west-1", timeout=0.5))
    assert report.diagnosis.verdict is Verdict.UNKNOWN
    assert "DNS_NOT_CONFIGURED" in {f.code for f in report.diagnosis.findings}
    assert {d.outcome for d in report.dns} == {DnsOutcome.NOT_CONFIGURED}
    assert {p.status for p in report.probes} == {Status.SKIPPED}
