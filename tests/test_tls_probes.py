"""The probes with the chain capture wired in, against real servers on loopback: sign-in TLS
(direct and through a CONNECT proxy) judged against a test "public" set and a test "OS"
store; the endpoint's TCP probes recording what each address presents; and the facts
(identity, interception) computed from those probe results."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.support.certs import LabPki, LeafFiles, make_ca, self_signed
from tests.support.proxy import RELAY, TRAILING, HttpProxy
from tests.support.servers import start_banner_server, start_tcp_server, start_tls_server
from wsdiag.certs import PublicRoots
from wsdiag.check.identity import (
    AddressVerdict,
    endpoint_identity,
    endpoint_outcomes,
    interception,
    signin_outcomes,
)
from wsdiag.host.trust import OsStore, load_public_roots
from wsdiag.probes.tcp import ProxyDialer, probe_tcp, probe_via_proxy
from wsdiag.probes.tls import TrustSources
from wsdiag.vocab.model import Status, Transport, Via
from wsdiag.vocab.results import ProbeResult, TlsSeen

HOST = "127.0.0.1"
BROKER = "ws-broker-service.eu-west-1.amazonaws.com"
PRIVATE = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"
NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Pki:
    public: LabPki
    corp: LabPki
    broker: LeafFiles  # leaf <- intermediate <- public
    intercepted: LeafFiles  # leaf <- "Corp SSL Forward Trust CA"
    expired: LeafFiles
    gateway: LeafFiles  # the endpoint's certificate from a private CA
    nas: LeafFiles


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    public = make_ca(d / "public", "Test Public Root", path_length=None)
    inter = public.intermediate("Test Public Issuing CA")
    corp = make_ca(d / "corp", "Corp SSL Forward Trust CA")
    pca = make_ca(d / "pca", "Highlander Private CA")
    day = dt.timedelta(days=1)
    return Pki(
        public,
        corp,
        inter.issue("broker", [BROKER]),
        corp.issue("mitm", [BROKER]),
        inter.issue("old", [BROKER], valid=(NOW - 9 * day, NOW - day)),
        pca.issue("gw", [PRIVATE]),
        self_signed(d / "nas", "nas.local"),
    )


def trust(public: LabPki, *os_roots: LabPki) -> TrustSources:
    return TrustSources(
        PublicRoots([public.ca_cert]), OsStore(tuple(c.ca_cert for c in os_roots), source="test")
    )


def base(transport: Transport, port: int, host: str, target: str = "t") -> ProbeResult:
    return ProbeResult(
        id=f"{target}/{transport}/{port}@{HOST}",
        target_id=target,
        host=host,
        address=HOST,
        transport=transport,
        port=port,
        status=Status.ERROR,
    )


@contextlib.asynccontextmanager
async def tls_server(leaf: LeafFiles) -> AsyncIterator[int]:
    server, port = await start_tls_server(HOST, 0, leaf.cert_path, leaf.key_path)
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


def signin(leaf: LeafFiles, sources: TrustSources) -> ProbeResult:
    async def go() -> ProbeResult:
        async with tls_server(leaf) as port:
            return await probe_tcp(
                base(Transport.TLS, port, BROKER, "ws-broker"), 2.0, trust=sources
            )

    return asyncio.run(go())


# --- sign-in TLS --------------------------------------------------------------------------


def test_public_and_trusted(pki: Pki) -> None:
    r = signin(pki.broker, trust(pki.public, pki.public))
    assert (r.status, r.phase, r.tls_seen) == (Status.OPEN, "tls", TlsSeen.CERT)
    assert (r.tls_public_root, r.tls_trusted, r.detail) == (True, True, "")
    assert [c.subject_cn for c in r.certs] == [BROKER, "Test Public Issuing CA", "Test Public Root"]
    assert r.ms is not None


def test_inspection_with_its_root_deployed(pki: Pki) -> None:
    # The lab row: the firewall's CA is in the laptop's store, so the OS trusts the chain,
    # and only the public-root judgement sees the interception.
    r = signin(pki.intercepted, trust(pki.public, pki.public, pki.corp))
    assert (r.status, r.tls_public_root, r.tls_trusted) == (Status.OPEN, False, True)
    assert r.certs[0].issuer_cn == "Corp SSL Forward Trust CA"


def test_untrusted_keeps_the_path_open(pki: Pki) -> None:
    r = signin(pki.intercepted, trust(pki.public, pki.public))
    assert (r.status, r.tls_public_root, r.tls_trusted) == (Status.OPEN, False, False)
    assert r.detail.startswith("certificate not trusted")


def test_expired_is_public_but_untrusted(pki: Pki) -> None:
    r = signin(pki.expired, trust(pki.public, pki.public))
    assert (r.tls_public_root, r.tls_trusted) == (True, False)


def test_os_trust_unknown_is_none(pki: Pki) -> None:
    mac = TrustSources(PublicRoots([pki.public.ca_cert]), OsStore((), unsupported="macOS …"))
    r = signin(pki.broker, mac)
    assert (r.tls_public_root, r.tls_trusted) == (True, None)
    assert "unknown" in r.detail


def test_not_tls_on_a_signin_port_is_an_error(pki: Pki) -> None:
    async def go() -> ProbeResult:
        server, port = await start_banner_server(HOST, 0)
        try:
            return await probe_tcp(
                base(Transport.TLS, port, BROKER), 2.0, trust=trust(pki.public, pki.public)
            )
        finally:
            server.close()

    r = asyncio.run(go())
    assert (r.status, r.phase, r.tls_seen, r.tls_trusted) == (
        Status.ERROR,
        "tls",
        TlsSeen.NOT_TLS,
        None,
    )


def test_signin_through_a_proxy(pki: Pki) -> None:
    proxy = HttpProxy(RELAY, upstream=HOST)

    async def go() -> ProbeResult:
        async with tls_server(pki.intercepted) as port:
            pport = await proxy.start(HOST, 0)
            try:
                probe = replace(base(Transport.TLS, port, BROKER), address=None, via=Via.PROXY)
                return await probe_via_proxy(
                    probe,
                    2.0,
                    ProxyDialer(HOST, pport),
                    trust=trust(pki.public, pki.public, pki.corp),
                )
            finally:
                await proxy.aclose()

    r = asyncio.run(go())
    assert (r.status, r.via, r.proxy_status) == (Status.OPEN, Via.PROXY, 200)
    assert (r.tls_public_root, r.tls_trusted) == (False, True)
    assert proxy.requests == [f"CONNECT {BROKER}:{r.port} HTTP/1.1"]


# --- endpoint identity on the TCP probes --------------------------------------------------------


def endpoint_probe(port: int) -> ProbeResult:
    return base(Transport.TCP, port, PRIVATE, "endpoint")


async def identify(port: int) -> ProbeResult:
    return await probe_tcp(endpoint_probe(port), 2.0, identify=True)


def test_endpoint_tcp_probe_records_the_certificate(pki: Pki) -> None:
    async def go() -> ProbeResult:
        async with tls_server(pki.gateway) as port:
            return await identify(port)

    r = asyncio.run(go())
    assert (r.status, r.phase, r.tls_seen) == (Status.OPEN, "connect", TlsSeen.CERT)
    assert r.certs[0].sans == (PRIVATE,) and r.certs[0].issuer_cn == "Highlander Private CA"
    assert r.tls_trusted is None  # the endpoint is never judged by trust


def test_identity_from_probe_results(pki: Pki) -> None:
    """The overlapping home LAN on loopback: one address presents the gateway's
    certificate, another a NAS's, a third speaks HTTP, a fourth closes at once."""

    async def go() -> list[ProbeResult]:
        banner, bport = await start_banner_server(HOST, 0)
        plain, pport = await start_tcp_server(HOST, 0)
        try:
            async with tls_server(pki.gateway) as gport, tls_server(pki.nas) as nport:
                got = []
                for i, port in enumerate((gport, nport, bport, pport)):
                    r = await identify(port)
                    got.append(replace(r, address=f"10.0.{i}.5", id=f"endpoint/{i}"))
                return got
        finally:
            banner.close()
            plain.close()

    probes = asyncio.run(go())
    assert [p.status for p in probes] == [Status.OPEN] * 4  # TCP works everywhere
    ident = endpoint_identity(endpoint_outcomes(probes, ["endpoint"]))
    assert [a.verdict for a in ident.addresses] == [
        AddressVerdict.SHOWN,
        AddressVerdict.OTHER,
        AddressVerdict.OTHER,
        AddressVerdict.UNKNOWN,
    ]
    assert "nas.local" in ident.addresses[1].reason
    assert "not with TLS" in ident.addresses[2].reason


def test_endpoint_identity_through_the_proxy(pki: Pki) -> None:
    """issue 17: ``endpoint/tcp/…@proxy`` runs the same identity handshake through the
    CONNECT tunnel as the direct probe (SNI = the private name); a tunnel that speaks
    something else (bytes after the proxy's 200 that are not TLS) is recorded as such."""

    async def through(mode: str, port: int) -> ProbeResult:
        proxy = HttpProxy(mode, upstream=HOST)
        pport = await proxy.start(HOST, 0)
        try:
            probe = replace(endpoint_probe(port), address=None, via=Via.PROXY)
            return await probe_via_proxy(probe, 2.0, ProxyDialer(HOST, pport), identify=True)
        finally:
            await proxy.aclose()

    async def go() -> tuple[ProbeResult, ProbeResult]:
        async with tls_server(pki.gateway) as port:
            return await through(RELAY, port), await through(TRAILING, port)

    gateway, other = asyncio.run(go())
    assert (gateway.status, gateway.proxy_status, gateway.tls_seen) == (
        Status.OPEN,
        200,
        TlsSeen.CERT,
    )
    assert gateway.certs[0].sans == (PRIVATE,)
    assert gateway.tls_trusted is None  # shown, never judged by trust
    assert (other.status, other.tls_seen) == (Status.OPEN, TlsSeen.NOT_TLS)  # the tunnel's


def test_identify_costs_nothing_when_tcp_fails(tmp_path: Path) -> None:
    async def go() -> ProbeResult:
        server, port = await start_tcp_server(HOST, 0)
        server.close()
        await server.wait_closed()
        return await identify(port)  # refused: no handshake attempted

    r = asyncio.run(go())
    assert (r.status, r.tls_seen, r.certs) == (Status.REFUSED, None, ())


# --- facts from sign-in results ------------------------------------------------------------


def test_interception_from_probe_results(pki: Pki) -> None:
    sources = trust(pki.public, pki.public, pki.corp)
    probes = [
        replace(signin(pki.intercepted, sources), target_id="ws-broker"),
        replace(signin(pki.broker, sources), target_id="s3", host="s3.amazonaws.com"),
    ]
    facts = interception(signin_outcomes(probes, ["ws-broker"]), NOW)
    assert [p.host for p in facts.inspected] == [BROKER]
    assert facts.issuers == ("Corp SSL Forward Trust CA",) and facts.untrusted == ()


def test_public_roots_file_is_the_lab_switch(pki: Pki) -> None:
    # --public-roots naming the firewall's CA (a lab, an air-gapped test): not inspection.
    corp_public = load_public_roots(pki.corp.ca_path)
    sources = TrustSources(corp_public, OsStore((pki.corp.ca_cert,)))
    assert signin(pki.intercepted, sources).tls_public_root is True
