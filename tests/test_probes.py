"""Each probe against real sockets on loopback: what it reports for each behaviour."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from tests.support.certs import LabPki, LeafFiles, make_ca
from tests.support.dnsserver import DROP, NXDOMAIN, REFUSED, SERVFAIL, DnsServer
from tests.support.proxy import AUTH, CLOSE, FLOOD, FORBID, RELAY, SILENT, HttpProxy
from tests.support.servers import start_quic_server, start_tcp_server, start_tls_server
from wsdiag.check.plan import check_nameservers
from wsdiag.probes.connect_answer import printable
from wsdiag.probes.dns import nameservers, resolve
from wsdiag.probes.quic import probe_quic
from wsdiag.probes.tcp import probe_tcp
from wsdiag.probes.tls import tls_context
from wsdiag.probes.tunnel import ProxyDialer, probe_via_proxy
from wsdiag.vocab.model import DnsOutcome, DnsSpec, Status, Transport, Via
from wsdiag.vocab.results import DnsResult, ProbeResult

HOST = "127.0.0.1"
NAME = "svc.wsdiag.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[LabPki, LeafFiles]:
    ca = make_ca(tmp_path_factory.mktemp("pki"))
    return ca, ca.issue("server", [NAME], [HOST])


def base(transport: Transport, port: int, host: str = NAME) -> ProbeResult:
    return ProbeResult(
        id="t",
        target_id="t",
        host=host,
        address=HOST,
        transport=transport,
        port=port,
        status=Status.ERROR,
    )


def client_context(ca: LabPki, trust: bool) -> ssl.SSLContext:
    """wsdiag's own TLS context, trusting the test CA or (like a stranger's machine) not."""
    ctx = tls_context()
    if trust:
        ctx.load_verify_locations(str(ca.ca_path))
    return ctx


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


def lookup(
    servers: tuple[str, ...], timeout: float, name: str = NAME, rdtype: str = "A"
) -> DnsResult:
    """One DNS lookup as a run makes it: the plan's spec, the servers as --nameserver."""
    spec = DnsSpec(f"t/dns/{rdtype}", "t", name, rdtype, timeout)
    return asyncio.run(resolve(nameservers(check_nameservers(servers)), spec, timeout))


# --- TCP / TLS ---------------------------------------------------------------------------


def test_tcp_open_and_refused() -> None:
    async def go() -> tuple[ProbeResult, ProbeResult]:
        server, port = await start_tcp_server(HOST, 0)
        try:
            return (
                await probe_tcp(base(Transport.TCP, port), 1.0),
                await probe_tcp(base(Transport.TCP, free_port(socket.SOCK_STREAM)), 1.0),
            )
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
        ctx = client_context(ca, trust)
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
        server, port = await start_quic_server(
            HOST, 0, leaf.cert_path, leaf.key_path, alpn=("dcv-unknown",)
        )
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


@pytest.mark.parametrize(
    ("behaviour", "outcome", "addresses"),
    [
        (["127.0.0.9", "127.0.0.10"], DnsOutcome.ANSWER, ("127.0.0.9", "127.0.0.10")),
        (["::1"], DnsOutcome.NO_ANSWER, ()),  # an AAAA-only name asked for A
        (NXDOMAIN, DnsOutcome.NXDOMAIN, ()),
        (SERVFAIL, DnsOutcome.SERVFAIL, ()),
        (REFUSED, DnsOutcome.REFUSED, ()),
        (DROP, DnsOutcome.TIMEOUT, ()),
    ],
)
def test_dns_outcomes(behaviour: object, outcome: DnsOutcome, addresses: tuple[str, ...]) -> None:
    with DnsServer("127.0.0.1", {NAME: behaviour}) as server:  # type: ignore[dict-item]
        r = lookup((server.address,), 0.6)
    # an RRset has no order
    assert (r.outcome, sorted(r.addresses)) == (outcome, sorted(addresses))


def test_dns_server_down_is_a_timeout_named_by_address() -> None:
    # The query goes out on an unconnected UDP socket, so the kernel's ICMP port
    # unreachable never reaches it: a resolver that is down looks silent, not refused.
    port = free_port(socket.SOCK_DGRAM)
    r = lookup((f"127.0.0.1:{port}",), 0.6)
    assert r.outcome is DnsOutcome.TIMEOUT
    assert r.detail == f"127.0.0.1:{port}: no answer"
    assert r.resolver == f"127.0.0.1:{port}"


def test_no_resolver_configuration_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where dnspython finds no resolver configuration, check reports it: unknown, exit 3."""
    import socket

    import dns.resolver

    import wsdiag.probes.dns
    import wsdiag.probes.osdns
    from wsdiag.run import run_check
    from wsdiag.vocab.model import Inputs, Verdict

    def no_config(*_: object) -> None:
        raise dns.resolver.NoResolverConfiguration("no nameservers")

    def no_resolver(*_: object, **__: object) -> None:
        # The OS without resolvers too, as glibc says it (EAI_AGAIN). Without --nameserver
        # check asks the OS (getaddrinfo): here it must not reach this machine's resolver.
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(wsdiag.probes.dns, "nameservers", no_config)
    monkeypatch.setattr(wsdiag.probes.osdns.socket, "getaddrinfo", no_resolver)
    report = run_check(Inputs(region="eu-west-1", timeout=0.5))
    assert report.diagnosis.verdict is Verdict.UNKNOWN
    assert "DNS_NOT_CONFIGURED" in {f.code for f in report.diagnosis.findings}
    assert {d.outcome for d in report.dns if d.rdtype != "OS"} == {DnsOutcome.NOT_CONFIGURED}
    assert {d.outcome for d in report.dns if d.rdtype == "OS"} == {DnsOutcome.ERROR}
    assert {p.status for p in report.probes} == {Status.SKIPPED}


# --- through an HTTP proxy (CONNECT) -------------------------------------------------------


def proxied(transport: Transport, port: int) -> ProbeResult:
    return replace(base(transport, port), address=None, via=Via.PROXY)


async def _through(
    proxy: HttpProxy,
    probe: ProbeResult,
    timeout: float = 2.0,
    ctx: ssl.SSLContext | None = None,
    proxy_host: str = HOST,
) -> ProbeResult:
    """Start the proxy, probe through it, stop it (also on failure)."""
    port = await proxy.start(HOST, 0)
    try:
        return await probe_via_proxy(probe, timeout, ProxyDialer(proxy_host, port), ctx)
    finally:
        await proxy.aclose()


@pytest.mark.parametrize("trust", [True, False])
def test_tls_through_a_proxy(pki: tuple[LabPki, LeafFiles], trust: bool) -> None:
    ca, leaf = pki
    proxy = HttpProxy(RELAY, upstream=HOST)

    async def go() -> ProbeResult:
        server, port = await start_tls_server(HOST, 0, leaf.cert_path, leaf.key_path)
        ctx = client_context(ca, trust)
        try:
            return await _through(proxy, proxied(Transport.TLS, port), ctx=ctx)
        finally:
            server.close()

    r = run(go())
    assert (r.status, r.phase, r.tls_trusted, r.via) == (  # type: ignore[union-attr]
        Status.OPEN,
        "tls",
        trust,
        Via.PROXY,
    )
    assert (r.proxy_status, r.address) == (200, None)  # type: ignore[union-attr]
    # SNI and CONNECT name the host, exactly; no credentials are offered
    assert proxy.requests == [f"CONNECT {NAME}:{r.port} HTTP/1.1"]  # type: ignore[union-attr]
    assert proxy.headers == [[f"Host: {NAME}:{r.port}"]]  # type: ignore[union-attr]


def test_tcp_through_a_proxy_is_open_once_the_tunnel_stands() -> None:
    async def go() -> ProbeResult:
        server, port = await start_tcp_server(HOST, 0)
        try:
            return await _through(HttpProxy(RELAY, upstream=HOST), proxied(Transport.TCP, port))
        finally:
            server.close()

    r = run(go())
    assert (r.status, r.phase, r.proxy_status) == (Status.OPEN, "proxy", 200)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("mode", "status", "proxy_status", "detail"),
    [
        (AUTH, Status.REFUSED, 407, "requires authentication"),
        (FORBID, Status.REFUSED, 403, "'HTTP/1.1 403 Forbidden'"),
        (CLOSE, Status.REFUSED, None, "closed the connection without an answer"),
        (SILENT, Status.FILTERED, None, "no answer to CONNECT"),
        (FLOOD, Status.ERROR, None, "longer than 8192 bytes"),
    ],
)
def test_proxy_answers(mode: str, status: Status, proxy_status: int | None, detail: str) -> None:
    r = run(_through(HttpProxy(mode), proxied(Transport.TLS, 443), timeout=0.5, ctx=tls_context()))
    assert (r.status, r.phase, r.proxy_status) == (status, "proxy", proxy_status)  # type: ignore[union-attr]
    assert detail in r.detail  # type: ignore[union-attr]


def test_proxy_that_cannot_reach_the_target_is_a_refusal() -> None:
    dead = free_port(socket.SOCK_STREAM)
    r = run(
        _through(HttpProxy(RELAY, upstream=HOST), proxied(Transport.TLS, dead), ctx=tls_context())
    )
    assert (r.status, r.phase, r.proxy_status) == (Status.REFUSED, "proxy", 502)  # type: ignore[union-attr]


def test_proxy_port_closed() -> None:
    dialer = ProxyDialer(HOST, free_port(socket.SOCK_STREAM))
    r = run(probe_via_proxy(proxied(Transport.TLS, 443), 1.0, dialer, tls_context()))
    assert (r.status, r.phase, r.via) == (Status.REFUSED, "proxy-connect", Via.PROXY)  # type: ignore[union-attr]
    assert f"proxy {HOST}:" in r.detail  # type: ignore[union-attr]


@pytest.fixture
def proxy_names(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The OS resolver, for names under .proxy.test only: loopback, a failure, or a hang.
    Every other lookup goes to the real getaddrinfo (numeric addresses, no network)."""
    real = socket.getaddrinfo
    calls: dict[str, object] = {"count": 0}

    def fake(host: object, *args: object, **kw: object) -> object:
        if isinstance(host, str) and host.endswith(".proxy.test"):
            calls["count"] = int(calls["count"]) + 1  # type: ignore[call-overload]
            if host.startswith("gone."):
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            if host.startswith("hung."):
                time.sleep(3)
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure")
            return real(HOST, *args, **kw)  # type: ignore[arg-type]
        return real(host, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return calls


def test_proxy_name_is_resolved_once_by_the_os(proxy_names: dict[str, object]) -> None:
    async def go() -> list[ProbeResult]:
        server, port = await start_tcp_server(HOST, 0)
        proxy = HttpProxy(RELAY, upstream=HOST)
        proxy_port = await proxy.start(HOST, 0)
        dialer = ProxyDialer("corp.proxy.test", proxy_port)
        try:
            return list(
                await asyncio.gather(
                    *(probe_via_proxy(proxied(Transport.TCP, port), 2.0, dialer) for _ in range(5))
                )
            )
        finally:
            await proxy.aclose()
            server.close()

    rs = run(go())
    assert {r.status for r in rs} == {Status.OPEN}  # type: ignore[attr-defined]
    assert proxy_names["count"] == 1


def test_proxy_name_that_does_not_resolve(proxy_names: dict[str, object]) -> None:
    r = run(
        probe_via_proxy(
            proxied(Transport.TLS, 443), 1.0, ProxyDialer("gone.proxy.test", 8080), tls_context()
        )
    )
    assert (r.status, r.phase) == (Status.UNREACHABLE, "proxy-resolve")  # type: ignore[union-attr]


def test_a_hung_os_resolver_cannot_hold_the_run(proxy_names: dict[str, object]) -> None:
    """The lookup runs in a daemon thread: the probe ends at its timeout, and so does
    asyncio.run (the loop's own executor would be joined on the way out)."""
    t0 = time.perf_counter()
    r = run(
        probe_via_proxy(
            proxied(Transport.TLS, 443), 0.3, ProxyDialer("hung.proxy.test", 8080), tls_context()
        )
    )
    assert time.perf_counter() - t0 < 1.5
    assert (r.status, r.phase) == (Status.ERROR, "proxy-resolve")  # type: ignore[union-attr]


def test_printable_keeps_network_text_harmless() -> None:
    assert printable(b"HTTP/1.1 403 \x1b[2J\xff" + b"x" * 500) == "HTTP/1.1 403 ?[2J?" + "x" * 102
