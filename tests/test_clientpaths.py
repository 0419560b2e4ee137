"""The sourced table of where each client sends DCV's TCP stream behind an OS proxy
(wsdiag.clientpaths), and the route check.client_paths reads from a run. Pure."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.synth import O, R, results
from wsdiag.check.client_paths import client_view, stream_route
from wsdiag.clientpaths import CLIENT_PATHS, Route, client_path
from wsdiag.rules.verdict import diagnose
from wsdiag.vocab.machine import PeerKind, SessionPeer
from wsdiag.vocab.model import Transport, Via

P, D, U = Route.PROXY, Route.DIRECT, Route.UNDOCUMENTED


@pytest.mark.parametrize(
    ("system", "version", "route"),
    [
        ("Windows", "5.1.0.100", P),  # S1: Windows 5.1+ supports a proxy for 4195/TCP
        ("Windows", "5.0.9", D),  # older: S16, streaming does not go through the proxy
        ("Windows", "3.1.9", D),
        ("Darwin", "5.4.0", P),  # S1: macOS 5.4+
        ("Darwin", "5.3.2", D),
        ("Linux", "2024.8.5", U),  # not documented for Linux
        ("Windows", None, U),  # no version: not known which row
        (None, None, U),
        ("Windows", "beta", U),
        # the numbering names the family where the machine's OS contradicts it (a log read
        # elsewhere): 5.x is Windows or macOS, documented where both rows agree
        ("Linux", "5.24.0.5012", P),
        ("Linux", "5.2.0", U),  # Windows 5.2 through the proxy, macOS 5.2 direct
        ("Linux", "4.7.0", D),
        (None, "5.29.1.5595", P),
        ("Windows", "2024.8", U),  # a year is the Linux client's
        ("FreeBSD", "5.24", P),  # no client there: read as the 5.x family
    ],
)
def test_the_table(system: str | None, version: str | None, route: Route) -> None:
    got = client_path(system, version)
    assert got.tcp is route, got
    assert got.source  # every answer says what it rests on


def test_every_row_cites_its_source() -> None:
    for row in CLIENT_PATHS:
        assert "S1" in row.source or "S16" in row.source or "no AWS source" in row.source


@given(st.sampled_from(["Windows", "Darwin", "Linux", None]), st.text(max_size=12))
def test_never_raises(system: str | None, version: str) -> None:
    assert client_path(system, version).tcp in Route


DENY_4195 = {4195: (R, 403), 443: (O, 200)}


def test_the_route_of_a_run() -> None:
    assert stream_route(results(proxy="relay")) is None  # no CONNECT to the private name
    got = stream_route(results(proxy="relay", stream=DENY_4195, host="client-5.24"))
    assert got is not None and got.tcp is P and "5.24" in got.client
    got = stream_route(results(proxy="relay", stream=DENY_4195))
    assert got is not None and got.tcp is U
    bypass = ("privatelink.prod.eu-west-1.highlander.aws.a2z.com",)
    got = stream_route(results(proxy="relay", stream=DENY_4195, bypassed=bypass))
    assert got is not None and got.tcp is D and "bypass" in got.source


def test_the_client_view_puts_the_proxys_answer_in_place_of_direct_tcp() -> None:
    r = results(proxy="relay", endpoint=R, stream=DENY_4195)
    view = client_view(r)
    direct = [p for p in view.probes if p.target_id == "endpoint" and p.via is Via.DIRECT]
    tcp = {(p.address, p.port): (p.status, p.id) for p in direct if p.transport.is_tcp}
    assert tcp[("10.0.1.10", 443)] == (O, "endpoint/tcp/443@proxy")
    assert tcp[("10.0.2.10", 4195)] == (R, "endpoint/tcp/4195@proxy")
    assert all(p.status is R for p in direct if p.transport is Transport.QUIC)  # as probed
    assert len(view.probes) == len(r.probes)
    assert r.probes != view.probes  # the run itself is left as it was


def test_the_running_clients_own_socket_to_the_endpoint_says_direct() -> None:
    """A 5.24 client would take the proxy by the table, but its live TCP socket goes to an
    endpoint address: what it does wins over what the table says."""
    r = results(proxy="relay", endpoint=O, stream=DENY_4195, host="client-5.24")
    assert r.machine is not None and r.machine.session is not None
    peer = SessionPeer(4242, "tcp", "10.0.1.10", 4195, PeerKind.ENDPOINT, "ESTABLISHED")
    seen = replace(r, machine=replace(r.machine, session=replace(r.machine.session, peers=(peer,))))
    got = stream_route(seen)
    assert got is not None and got.tcp is D and "10.0.1.10:4195" in got.source
    _, d = diagnose(seen)
    assert str(d.verdict) == "ready"  # the direct paths all answer
    assert "STREAM_VIA_PROXY" not in {f.code for f in d.findings}
