"""Endpoint identity and sign-in interception facts (pure), and the handshake that captures
what a server presents, against real TLS / plain / silent servers on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.certs import LabPki, make_ca, self_signed
from tests.support.servers import (
    start_banner_server,
    start_tcp_server,
    start_tls_server,
    tls_context,
)
from wsdiag.evidence.identity import (
    AWS_SUFFIXES,
    AddressVerdict,
    EndpointTls,
    SigninTls,
    endpoint_identity,
    interception,
    is_aws_name,
)
from wsdiag.probes.tls import Handshake
from wsdiag.probes.tls import capture as tls_capture
from wsdiag.vocab.model import Tri
from wsdiag.vocab.results import CertSummary, TlsSeen

HOST = "127.0.0.1"
PRIVATE = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"
NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


def cert(
    names: tuple[str, ...],
    issuer: str = "Highlander PCA",
    cn: str = "",
    window: tuple[dt.datetime, dt.datetime] = (NOW - DAY, NOW + DAY),
) -> CertSummary:
    fp = f"{abs(hash((names, issuer, cn, window))):064x}"[-64:]
    return CertSummary(cn, names, f"CN={issuer}", issuer, *window, fp, False)


# --- AWS names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "aws"),
    [
        (PRIVATE, True),
        ("*.prod.eu-west-1.highlander.aws.a2z.com", True),
        ("vpce-0abc.prod.highlander.eu-west-1.vpce.amazonaws.com.", True),
        ("D-1234567890.AWSAPPS.COM", True),
        ("smartcard.eu-west-1.signin.aws", True),
        ("nas.local", False),
        ("portal.example.net", False),
        ("evilamazonaws.com", False),  # a suffix only at a label boundary
        ("amazonaws.com.evil.net", False),
        ("10.0.1.5", False),
        ("", False),
    ],
)
def test_is_aws_name(name: str, aws: bool) -> None:
    assert is_aws_name(name) is aws


@given(
    st.from_regex(r"[a-z0-9-]{1,20}(\.[a-z0-9-]{1,20}){0,3}", fullmatch=True),
    st.sampled_from(AWS_SUFFIXES),
)
def test_any_name_under_an_aws_suffix_is_aws(label: str, suffix: str) -> None:
    assert is_aws_name(f"{label}.{suffix}")
    assert is_aws_name(f"*.{label}.{suffix}".upper())


# --- endpoint identity --------------------------------------------------------------------


def tls(
    address: str, port: int, seen: TlsSeen, c: CertSummary | None = None, detail: str = ""
) -> EndpointTls:
    return EndpointTls(address, port, seen, c, detail, f"endpoint/tls/{port}@{address}")


REAL = cert((PRIVATE, "*.prod.eu-west-1.highlander.aws.a2z.com"))
NAS = cert(("nas.local",), issuer="nas.local", cn="nas.local")
PORTAL = cert(("portal.hotel-wifi.example",), issuer="GlobalSign RSA OV SSL CA 2018")
IP_ONLY = cert(("10.0.1.6",), issuer="10.0.1.6")
NAMELESS = cert((), issuer="Private PCA")


@pytest.mark.parametrize(
    ("outcomes", "verdicts", "needle"),
    [
        # The overlapping home LAN: a NAS answers only TCP 443 with its own certificate.
        (
            [
                tls("10.0.1.5", 443, TlsSeen.CERT, REAL),
                tls("10.0.1.5", 4195, TlsSeen.CERT, REAL),
                tls("10.0.1.6", 443, TlsSeen.CERT, NAS),
                tls("10.0.1.6", 4195, TlsSeen.NONE),
            ],
            {"10.0.1.5": AddressVerdict.SHOWN, "10.0.1.6": AddressVerdict.OTHER},
            "nas.local",
        ),
        # A captive portal's login page: a public, trusted certificate for another name.
        (
            [tls("10.0.0.1", 443, TlsSeen.CERT, PORTAL)],
            {"10.0.0.1": AddressVerdict.OTHER},
            "portal",
        ),
        # Something that speaks HTTP on 4195, TLS on 443.
        (
            [
                tls("10.0.1.5", 443, TlsSeen.CERT, REAL),
                tls("10.0.1.5", 4195, TlsSeen.NOT_TLS, detail="'HTTP/1.1 400 Bad Request'"),
            ],
            {"10.0.1.5": AddressVerdict.OTHER},
            "not with TLS ('HTTP/1.1 400",
        ),
        (
            [tls("10.0.1.5", 443, TlsSeen.CERT, IP_ONLY)],
            {"10.0.1.5": AddressVerdict.OTHER},
            "10.0.1.6",
        ),
        # No names at all, alerts, resets, silence: no positive evidence, never OTHER.
        (
            [tls("10.0.1.5", 443, TlsSeen.CERT, NAMELESS)],
            {"10.0.1.5": AddressVerdict.SHOWN},
            "no name",
        ),
        (
            [tls("10.0.1.5", 443, TlsSeen.REFUSED), tls("10.0.1.5", 4195, TlsSeen.CLOSED)],
            {"10.0.1.5": AddressVerdict.UNKNOWN},
            "no TLS handshake",
        ),
        ([tls("10.0.1.5", 443, TlsSeen.NONE)], {"10.0.1.5": AddressVerdict.UNKNOWN}, ""),
    ],
)
def test_endpoint_identity(
    outcomes: list[EndpointTls], verdicts: dict[str, AddressVerdict], needle: str
) -> None:
    ident = endpoint_identity(outcomes)
    assert {a.address: a.verdict for a in ident.addresses} == verdicts
    assert any(needle in a.reason for a in ident.addresses)
    for a in ident.addresses:
        assert set(a.probes) == {o.probe_id for o in outcomes if o.address == a.address}


def test_issuers_differ_names_each_address() -> None:
    other = cert((PRIVATE,), issuer="Corp SSL Forward Trust CA")
    ident = endpoint_identity(
        [
            tls("10.0.1.5", 443, TlsSeen.CERT, REAL),
            tls("10.0.2.5", 443, TlsSeen.CERT, other),
            tls("10.0.3.5", 443, TlsSeen.CERT, NAS),
        ]
    )
    assert ident.issuers_differ()
    assert dict(ident.issuer_by_address()) == {
        "10.0.1.5": "Highlander PCA",
        "10.0.2.5": "Corp SSL Forward Trust CA",
        "10.0.3.5": "nas.local",
    }
    # The NAS is its own finding; alone with one real address, issuers do not "differ".
    assert not endpoint_identity(
        [tls("10.0.1.5", 443, TlsSeen.CERT, REAL), tls("10.0.3.5", 443, TlsSeen.CERT, NAS)]
    ).issuers_differ()


_SEEN = st.sampled_from(list(TlsSeen))
_CERTS = st.sampled_from([REAL, NAS, PORTAL, NAMELESS, None])


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["10.0.1.5", "10.0.2.5"]), st.sampled_from([443, 4195]), _SEEN, _CERTS
        ),
        max_size=8,
    )
)
def test_only_positive_evidence_makes_other(
    rows: list[tuple[str, int, TlsSeen, CertSummary | None]],
) -> None:
    outcomes = [tls(a, p, s, c if s is TlsSeen.CERT else None) for a, p, s, c in rows]
    for a in endpoint_identity(outcomes).addresses:
        mine = [o for o in outcomes if o.address == a.address]
        positive = any(o.seen is TlsSeen.NOT_TLS or o.cert in (NAS, PORTAL) for o in mine)
        assert (a.verdict is AddressVerdict.OTHER) == positive


# --- interception ---------------------------------------------------------------------------


def signin(
    host: str, needed: bool, chain: tuple[CertSummary, ...], public: Tri, os_trusted: Tri
) -> SigninTls:
    return SigninTls(host, needed, chain, public, os_trusted, probe_id=f"{host}/tls/443")


BROKER = "ws-broker-service.eu-west-1.amazonaws.com"
LOGIN = "d-1234567890.awsapps.com"
S3 = "s3.amazonaws.com"
CORP_LEAF = cert((BROKER,), issuer="Corp SSL Forward Trust CA")
CORP_ROOT = cert((), issuer="Corp SSL Forward Trust CA", cn="Corp SSL Forward Trust CA")
AMZ = cert((BROKER,), issuer="Amazon RSA 2048 M02")


def test_deployed_inspection_is_inspected_not_untrusted() -> None:
    got = interception(
        [
            signin(BROKER, True, (CORP_LEAF, CORP_ROOT), Tri.NO, Tri.YES),
            signin(LOGIN, True, (cert((LOGIN,), "Corp SSL Forward Trust CA"),), Tri.NO, Tri.YES),
            signin(S3, False, (cert((S3,), "Corp SSL Forward Trust CA"),), Tri.NO, Tri.YES),
        ],
        NOW,
    )
    assert [p.host for p in got.inspected] == [BROKER, LOGIN]  # needed names only
    assert got.exempt() == (BROKER, LOGIN)
    assert got.issuers == ("Corp SSL Forward Trust CA",)
    assert got.untrusted == () and not got.clock_skew


def test_untrusted_public_chain() -> None:
    got = interception(
        [
            signin(BROKER, True, (AMZ,), Tri.YES, Tri.NO),
            signin(S3, False, (cert((S3,), "Amazon RSA 2048 M01"),), Tri.YES, Tri.NO),
        ],
        NOW,
    )
    assert got.inspected == ()
    assert [p.host for p in got.untrusted] == [BROKER]
    assert [p.host for p in got.untrusted_optional] == [S3]


def test_clock_skew_is_not_interception() -> None:
    past = (NOW + 400 * DAY, NOW + 800 * DAY)  # the laptop's clock is a year behind
    rows = [
        signin(h, True, (cert((h,), "Amazon RSA 2048 M02", window=past),), Tri.YES, Tri.NO)
        for h in (BROKER, LOGIN, S3)
    ]
    got = interception(rows, NOW)
    assert got.clock_skew and got.untrusted == () and got.inspected == ()


def test_nothing_seen_is_no_fact() -> None:
    got = interception([signin(BROKER, True, (), Tri.UNKNOWN, Tri.UNKNOWN)], NOW)
    assert got.inspected == () and got.untrusted == () and not got.clock_skew


# --- real handshakes on loopback --------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(server: asyncio.Server) -> AsyncIterator[None]:
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


async def capture(port: int, name: str = PRIVATE, timeout: float = 2.0) -> Handshake:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        return await tls_capture(reader, writer, name, time.perf_counter() + timeout)
    finally:
        writer.transport.abort()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPki:
    return make_ca(tmp_path_factory.mktemp("pki"), "Test Root", path_length=None)


def test_capture_the_whole_chain(pki: LabPki) -> None:
    leaf = pki.intermediate("Test Issuing CA").issue("gw", [PRIVATE])

    async def go() -> Handshake:
        server, port = await start_tls_server(HOST, 0, leaf.cert_path, leaf.key_path)
        async with serving(server):
            return await capture(port)

    got = asyncio.run(go())
    assert got.seen is TlsSeen.CERT and got.ms is not None
    assert list(got.chain) == leaf.der()  # leaf, intermediate, root: as sent


def test_capture_a_self_signed_device(tmp_path: Path) -> None:
    nas = self_signed(tmp_path, "nas.local")

    async def go() -> Handshake:
        server, port = await start_tls_server(HOST, 0, nas.cert_path, nas.key_path)
        async with serving(server):
            return await capture(port)

    got = asyncio.run(go())
    assert got.seen is TlsSeen.CERT and list(got.chain) == nas.der()


def test_plain_answer_is_not_tls() -> None:
    async def go() -> Handshake:
        server, port = await start_banner_server(HOST, 0)
        async with serving(server):
            return await capture(port)

    got = asyncio.run(go())
    assert got.seen is TlsSeen.NOT_TLS and got.chain == ()


def test_accept_and_close_is_closed_not_other() -> None:
    async def go() -> Handshake:
        server, port = await start_tcp_server(HOST, 0)
        async with serving(server):
            return await capture(port)

    assert asyncio.run(go()).seen is TlsSeen.CLOSED


def test_alert_is_tls_refused(pki: LabPki) -> None:
    leaf = pki.issue("old", [PRIVATE])
    ctx = tls_context(leaf.cert_path, leaf.key_path)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("AES128-SHA")  # nothing the client offers: the server sends an alert

    # A blocking server in a thread: OpenSSL writes its alert before the socket closes
    # (asyncio's server side aborts the transport instead, which reads as a reset).
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen()
        listener.settimeout(5.0)

        def serve_once() -> None:
            with contextlib.suppress(OSError):
                conn, _ = listener.accept()
                with conn, contextlib.suppress(OSError):
                    ctx.wrap_socket(conn, server_side=True)

        thread = threading.Thread(target=serve_once, daemon=True)
        thread.start()
        got = asyncio.run(capture(int(listener.getsockname()[1])))
        thread.join(5.0)
    assert got.seen is TlsSeen.REFUSED, got.detail
    assert "ALERT" in got.detail


def test_silent_server_times_out_as_nothing_learned() -> None:
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen()  # the kernel accepts; nobody ever answers
        port = int(listener.getsockname()[1])
        got = asyncio.run(capture(port, timeout=0.3))
    assert got.seen is TlsSeen.NONE and "timeout" in got.detail
