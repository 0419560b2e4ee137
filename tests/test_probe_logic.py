"""The probes' pure parts, table-tested: the proxy's CONNECT answer, the QUIC peer
decision, the kind registry, and the plan's specs (expand). No sockets here."""

from __future__ import annotations

import dataclasses
import errno

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.synth import plan_for
from wsdiag.check.plan import dialed, expand
from wsdiag.probes.connect_answer import State, parse_connect_answer, refusal_words
from wsdiag.probes.quic_facts import Facts, Heard, decide, heard
from wsdiag.probes.registry import KINDS
from wsdiag.vocab.model import (
    DnsOutcome,
    ProbeSpec,
    ProxyMode,
    ProxyRoute,
    Refusal,
    Status,
    Transport,
    Via,
    refusal_of,
)
from wsdiag.vocab.results import DnsResult

OK = b"HTTP/1.1 200 Connection established\r\n\r\n"


@pytest.mark.parametrize(
    ("data", "eof", "state", "code", "rest", "status"),
    [
        (OK, False, State.FINAL, 200, b"", None),
        (b"HTTP/1.0 200 OK\n\n", False, State.FINAL, 200, b"", None),  # bare LF
        (b"\r\n" + OK, False, State.FINAL, 200, b"", None),  # a stray blank line first
        (OK + b"\x16\x03\x03", False, State.FINAL, 200, b"\x16\x03\x03", None),  # tunnel's start
        (b"HTTP/1.1 100 Continue\r\n\r\n" + OK, False, State.FINAL, 200, b"", None),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n" + OK + b"z",
            False,
            State.FINAL,
            200,
            b"z",
            None,
        ),
        (b"HTTP/1.1 100 Continue\r\n\r\n", False, State.INCOMPLETE, None, b"", None),
        (b"HTTP/1.1 100 Continue\r\n\r\n", True, State.BAD, None, b"", Status.REFUSED),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", False, State.FINAL, 101, b"", None),
        (
            b"HTTP/1.1 407 Proxy Authentication Required\r\nA: b\r\n\r\n",
            False,
            State.FINAL,
            407,
            b"",
            None,
        ),
        (b"HTTP/1.1 200 Connection established\r\n", False, State.INCOMPLETE, None, b"", None),
        (b"HTTP/1.1 200 Connection established\r\n", True, State.BAD, None, b"", Status.REFUSED),
        (b"", True, State.BAD, None, b"", Status.REFUSED),
        (b"SSH-2.0-OpenSSH\r\n\r\n", False, State.BAD, None, b"", Status.ERROR),
        (b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 9000, False, State.BAD, None, b"", Status.ERROR),
        (b"HTTP/1.1 100 Continue\r\n\r\n" * 400, False, State.BAD, None, b"", Status.ERROR),
    ],
)
def test_connect_answer(
    data: bytes, eof: bool, state: State, code: int | None, rest: bytes, status: Status | None
) -> None:
    got = parse_connect_answer(data, eof)
    assert (got.state, got.code, got.rest, got.status) == (state, code, rest, status)
    assert "\n" not in got.problem


@pytest.mark.parametrize(
    ("code", "refusal", "words"),
    [
        (403, Refusal.POLICY, "by its policy (HTTP 403)"),  # squid: deny CONNECT !SSL_ports
        (405, Refusal.POLICY, "by its policy (HTTP 405)"),
        (407, Refusal.AUTH, "requires authentication"),
        (500, Refusal.UPSTREAM, "could not resolve or reach"),
        (502, Refusal.UPSTREAM, "could not resolve or reach"),
        (503, Refusal.UPSTREAM, "could not resolve or reach"),  # squid: ERR_DNS_FAIL
        (504, Refusal.UPSTREAM, "could not resolve or reach"),  # squid: connect timeout
        (404, Refusal.OTHER, "refused CONNECT h:4195 (HTTP 404)"),
        (418, Refusal.OTHER, "refused CONNECT"),
    ],
)
def test_a_proxys_refusal_says_whose_it_is(code: int, refusal: Refusal, words: str) -> None:
    assert refusal_of(code) is refusal
    assert words in refusal_words(code, "h:4195")


@given(st.binary(max_size=9000), st.booleans())
def test_connect_answer_never_raises_and_is_bounded(data: bytes, eof: bool) -> None:
    got = parse_connect_answer(data, eof)
    if got.state is State.FINAL:
        assert (got.code is not None and not 100 <= got.code < 200) or got.code == 101
        assert len(data) - len(got.rest) <= 8192
    if got.state is State.INCOMPLETE:
        assert not eof and len(data) <= 8192


def packet(ptype: str = "initial", *frames: dict[str, object]) -> dict[str, object]:
    return {
        "name": "transport:packet_received",
        "data": {"header": {"packet_type": ptype}, "frames": list(frames)},
    }


CLOSE = {"frame_type": "connection_close", "error_code": 0x178, "reason": "no ALPN"}


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], Heard()),
        ([{"name": "transport:packet_sent", "data": {}}], Heard()),
        ([{"name": "transport:packet_dropped", "data": {}}], Heard()),  # garbage: not the peer
        ([packet(), packet("handshake")], Heard(packets=2)),
        ([packet("initial", {"frame_type": "ack"}, CLOSE)], Heard(1, 0x178, "no ALPN")),
        ([packet("version_negotiation")], Heard(1, version_negotiation=True)),
    ],
)
def test_what_the_peer_said(events: list[dict[str, object]], expected: Heard) -> None:
    assert heard(events) == expected


@pytest.mark.parametrize(
    ("facts", "timed_out", "status", "quic_error"),
    [
        (Facts(), False, None, None),  # keep waiting
        (Facts(), True, Status.FILTERED, None),
        (Facts(heard=Heard(packets=1)), False, None, None),  # a peer: wait for the handshake
        (Facts(heard=Heard(packets=1)), True, Status.OPEN, None),
        (Facts(handshake=True, alpn="h3"), False, Status.OPEN, None),
        (Facts(heard=Heard(1, 0x178)), False, Status.OPEN, 0x178),
        (Facts(heard=Heard(1, version_negotiation=True)), False, Status.OPEN, None),
        (
            Facts(error=ConnectionRefusedError(errno.ECONNREFUSED, "refused")),
            False,
            Status.REFUSED,
            None,
        ),
        (Facts(error=OSError(errno.ENETUNREACH, "unreachable")), False, Status.UNREACHABLE, None),
    ],
)
def test_quic_decision(
    facts: Facts, timed_out: bool, status: Status | None, quic_error: int | None
) -> None:
    got = decide(facts, timed_out)
    if status is None:
        assert got is None
    else:
        assert got is not None and (got.status, got.quic_error) == (status, quic_error)


def test_every_kind_is_registered_once() -> None:
    assert set(KINDS) == set(Transport)
    assert {t for t in Transport if t.is_tcp} == {Transport.TCP, Transport.TLS}
    assert {t for t in Transport if t.authenticates} == {Transport.TLS}


def a(outcome: DnsOutcome, *addresses: str) -> DnsResult:
    return DnsResult("endpoint/dns/A", "endpoint", "x", "A", outcome, addresses)


def test_plan_specs_are_complete_and_frozen() -> None:
    plan = plan_for(proxy=ProxyRoute(ProxyMode.PROXY, "http://10.0.0.5:3128", "10.0.0.5", 3128))
    by_id = {pt.target.id: pt for pt in plan.targets}
    broker = by_id["ws-broker"]
    assert [d.id for d in broker.dns] == [
        "ws-broker/dns/A",
        "ws-broker/dns/AAAA",
        "ws-broker/dns/OS",
    ]
    # --nameserver: the user chose the resolver; the OS (getaddrinfo) is not consulted
    chosen = plan_for(nameservers=("127.0.0.1",))
    assert {d.rdtype for pt in chosen.targets for d in pt.dns} == {"A", "AAAA"}
    assert [(s.id, s.via, s.address, s.timeout) for s in broker.probes] == [
        ("ws-broker/tls/443", Via.PROXY, None, 2.0)
    ]
    assert [str(c) for c in broker.after_dns] == ["quic/443"]  # UDP never goes to the proxy
    login = by_id["login"]
    assert not login.dns and {s.skip_reason for s in login.probes} == {"no --directory-id given"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        broker.probes[0].port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("answer", "ids", "skip"),
    [
        (
            a(DnsOutcome.ANSWER, "10.0.2.10", "fd00::1", "10.0.1.10"),
            [
                f"endpoint/{c}@{ip}"
                for ip in ("10.0.2.10", "10.0.1.10")
                for c in ("tcp/4195", "tcp/443", "quic/4195", "quic/443")
            ],
            None,
        ),
        # IPv6-only: probed over IPv6 like IPv4 (dual-stack above keeps to IPv4)
        (
            a(DnsOutcome.ANSWER, "fd00::1"),
            [f"endpoint/{c}@fd00::1" for c in ("tcp/4195", "tcp/443", "quic/4195", "quic/443")],
            None,
        ),
        (
            a(DnsOutcome.NXDOMAIN),
            ["endpoint/tcp/4195", "endpoint/tcp/443", "endpoint/quic/4195", "endpoint/quic/443"],
            "DNS nxdomain",
        ),
    ],
)
def test_expand(answer: DnsResult, ids: list[str], skip: str | None) -> None:
    endpoint = plan_for().targets[0]
    specs = expand(endpoint, [answer])
    assert [s.id for s in specs] == ids
    assert {s.skip_reason for s in specs} == {skip}
    assert all(isinstance(s, ProbeSpec) and s.via is Via.DIRECT for s in specs)


def test_an_untested_proxy_is_a_skip_reason_in_the_plan() -> None:
    plan = plan_for(proxy=ProxyRoute(ProxyMode.UNTESTED, "socks5://10.0.0.5:1080"))
    broker = next(pt for pt in plan.targets if pt.target.id == "ws-broker")
    assert [(s.via, s.skip_reason) for s in broker.probes] == [
        (Via.PROXY, "would go through the proxy socks5://10.0.0.5:1080, not tested")
    ]


def os_answer(outcome: DnsOutcome, *addresses: str) -> DnsResult:
    return DnsResult("endpoint/dns/OS", "endpoint", "x", "OS", outcome, addresses, "os")


@pytest.mark.parametrize(
    ("answers", "want"),
    [
        # the OS's answer is what the client dials (a hosts pin beats the resolver's NXDOMAIN)
        ([a(DnsOutcome.NXDOMAIN), os_answer(DnsOutcome.ANSWER, "10.0.1.10")], ("10.0.1.10",)),
        (
            [
                a(DnsOutcome.ANSWER, "10.0.9.9"),
                os_answer(DnsOutcome.ANSWER, "10.0.1.10", "fd00::1"),
            ],
            ("10.0.1.10",),
        ),
        # the OS failed: the resolver's answer is still probed (the finding says the OS failed)
        ([a(DnsOutcome.ANSWER, "10.0.9.9"), os_answer(DnsOutcome.TIMEOUT)], ("10.0.9.9",)),
        ([os_answer(DnsOutcome.ANSWER, "fd00::2", "fd00::1")], ("fd00::2", "fd00::1")),
        ([a(DnsOutcome.TIMEOUT), os_answer(DnsOutcome.NXDOMAIN)], ()),
    ],
)
def test_dialed_prefers_the_os(answers: list[DnsResult], want: tuple[str, ...]) -> None:
    assert dialed(answers) == want
