"""This machine's side of a check (issue 12): routes per tested path, the client's 443
fallback, the ``paths`` block, host facts as Evidence, and the QUIC probe's Don't Fragment."""

from __future__ import annotations

import asyncio
import errno
import json
import shutil
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.netns import Netns, client_router_server, unavailable_reason
from tests.synth import F, diagnose, results, synthetic_host
from wsdiag.evidence.machine import MachineFacts, vpc_route
from wsdiag.evidence.stream import ProxyStreamFacts
from wsdiag.host.interfaces import describe, route_fact
from wsdiag.host.paths import (
    destinations,
    gather_paths,
    paths_from_json,
    paths_json,
)
from wsdiag.vocab.machine import HostFacts, HostPaths, IfKind, Interface, PathFact
from wsdiag.vocab.model import DnsOutcome, Fault, ProxyRoute, Status, Transport, Tri
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult, ProbeResult


def test_destinations_name_each_resolver_endpoint_address_and_the_internet() -> None:
    dns = [
        DnsResult(
            "endpoint/dns/A", "endpoint", "x", "A", DnsOutcome.ANSWER, ("10.0.1.10",), "10.0.0.2"
        ),
        DnsResult(
            "ws-broker/dns/A",
            "ws-broker",
            "b",
            "A",
            DnsOutcome.ANSWER,
            ("52.1.2.3",),
            "127.0.0.1:5353",
        ),
    ]
    got = destinations(dns, ["10.0.1.10"], ["ws-broker"], ProxyRoute())
    assert got == [
        ("resolver", "10.0.0.2"),
        ("resolver", "127.0.0.1"),
        ("endpoint", "10.0.1.10"),
        ("internet", "52.1.2.3"),
    ]
    proxied = destinations(dns, [], ["ws-broker"], ProxyRoute(host="10.0.0.5", port=3128))
    assert proxied[-1] == ("internet", "10.0.0.5")
    # one address inside each --vpc-cidr (its base + 2), for the route only
    vpc = destinations(dns, [], [], ProxyRoute(), ("10.0.0.0/16", "10.9.0.0/31", "nonsense"))
    assert vpc[-2:] == [("vpc", "10.0.0.2"), ("vpc", "10.9.0.0")]


@pytest.mark.parametrize(
    ("kind", "want"),
    [
        ("home-vpc-default", Tri.NO),  # the VPC leaves with the internet: the default route
        ("home-vpc-routed", Tri.YES),  # another LAN carries it: a route of its own
        ("home-router", Tri.UNKNOWN),  # no --vpc-cidr asked about
    ],
)
def test_a_route_of_its_own_for_the_vpc(kind: str, want: Tri) -> None:
    hp = synthetic_host(kind, ("10.0.1.10",))
    assert hp is not None
    got, texts = vpc_route(hp)
    assert got is want and bool(texts) == (want is Tri.YES)


def test_a_home_lan_inside_the_vpc_range_is_that_lan() -> None:
    lan = Interface("en0", IfKind.PHYSICAL, True, ("10.0.0.20/24",), 1500)
    other = Interface("eth1", IfKind.PHYSICAL, True, ("172.20.0.5/24",), 1500)
    facts = HostFacts("Linux", (lan, other), {})
    rows = [
        ("internet", "192.0.2.10", route_fact("192.0.2.10", "172.20.0.5", facts.interfaces)),
        ("vpc", "10.0.0.2", route_fact("10.0.0.2", "10.0.0.20", facts.interfaces)),
    ]
    hp = HostPaths(facts, tuple(PathFact(r, d, f, describe(f, facts)) for r, d, f in rows))
    assert vpc_route(hp) == (Tri.NO, ())


def test_summary_names_the_tunnel_and_its_mtu() -> None:
    hp = synthetic_host("vpn-through", ("10.0.1.10", "10.0.2.10"))
    assert hp is not None
    assert hp.summary() == "endpoint and resolver 10.0.0.2 via utun4 (VPN, MTU 1380)"
    assert "VPN connected: utun4" in hp.sentences()


@given(
    st.sampled_from(
        [
            "vpn-split",
            "vpn-through",
            "home-router",
            "mtu-1100",
            "client-5.20",
            "client-5.24",
            "home-vpc-routed",
            "tailscale",
        ]
    )
)
def test_paths_block_round_trips(kind: str) -> None:
    hp = synthetic_host(kind, ("10.0.1.10", "10.0.2.10"))
    block = paths_json(hp)
    assert block is not None
    assert paths_json(paths_from_json(json.loads(json.dumps(block)))) == block


def test_loopback_route_is_not_a_tunnel_and_sends_nothing() -> None:
    hp = gather_paths([("endpoint", "127.0.0.1")], deadline=float("inf"))
    route = hp.of("endpoint")[0].route
    assert route.local_addr == "127.0.0.1" and route.is_tunnel is Tri.NO


HOST_FACTS = [f.name for f in fields(MachineFacts) if f.type == "Tri"]
STREAM_FACTS = [f.name for f in fields(ProxyStreamFacts) if f.type == "Tri"]


def test_without_host_facts_every_host_fact_is_unknown() -> None:
    r = results(endpoint=F)
    e, _ = diagnose(r)
    assert HOST_FACTS and all(getattr(e, f) is Tri.UNKNOWN for f in HOST_FACTS)
    assert all(getattr(e, f) is Tri.UNKNOWN for f in STREAM_FACTS if f != "proxy_http")
    assert e.proxy_http is Tri.NO  # a setting, known without host facts
    assert set(HOST_FACTS + STREAM_FACTS) <= set(e.basis)


def test_emsgsize_on_quic_is_a_small_path_even_without_host_facts() -> None:
    r = results()
    probes = tuple(
        p
        if p.transport is not Transport.QUIC
        else ProbeResult(
            **{
                **p.__dict__,
                "status": Status.UNREACHABLE,
                "errno": errno.EMSGSIZE,
                "cause": Fault.TOO_BIG,
                "path_mtu": 1100,
            }
        )
        for p in r.probes
    )
    e, _ = diagnose(Observed(r.plan, r.dns, probes))
    assert e.path_mtu_small is Tri.YES and e.path_mtu == 1100


# --- the QUIC probe's own socket, in namespaces (Linux, root) -----------------------------

needs_netns = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))

_QUIC = """
import asyncio, json
from wsdiag.vocab.model import Transport, Status
from wsdiag.vocab.results import ProbeResult
from wsdiag.probes.quic import probe_quic
base = ProbeResult("e/quic/4195", "e", "e.example", "10.99.2.2", Transport.QUIC, 4195,
                   Status.ERROR)
r = asyncio.run(probe_quic(base, 2.0, ("h3",)))
print(json.dumps({"status": str(r.status), "cause": str(r.cause), "mtu": r.path_mtu}))
"""


@needs_netns
@pytest.mark.parametrize(
    ("where", "expect"),
    [
        ("router", ("unreachable", 1100)),  # ICMP 'fragmentation needed' comes back
        ("local", ("unreachable", 1100)),  # the laptop's own (VPN) link is the small one
        ("none", ("refused", None)),  # control: 1500 everywhere, the port is closed
    ],
)
def test_quic_probe_sets_dont_fragment(where: str, expect: tuple[str, int | None]) -> None:
    with Netns() as ns:
        client_router_server(ns, 1100 if where == "router" else 1500)
        if where == "local":
            ns.ip("c", "link", "set", "c0", "mtu", "1100")
        got = ns.python("c", _QUIC)
    assert isinstance(got, dict)
    assert (got["status"], got["mtu"]) == expect, got
    if expect[0] == "unreachable":
        assert got["cause"] == "too-big"


def test_quic_probe_on_loopback_still_answers_refused() -> None:
    """DF on loopback (MTU 65536) changes nothing: a closed port is refused."""
    from wsdiag.probes.quic import probe_quic

    base = ProbeResult("e/quic/1", "e", "localhost", "127.0.0.1", Transport.QUIC, 9, Status.ERROR)
    got = asyncio.run(probe_quic(base, 1.0, ("h3",)))
    assert got.status is Status.REFUSED and got.path_mtu is None


def test_a_dns_agents_process_is_seen_and_no_other_name_kept(tmp_path: Path) -> None:
    """A real process named as Tailscale's daemon (a copy of sleep): the process scan keeps
    its name and nothing else of the process list."""
    exe = tmp_path / "tailscaled"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", exe)
    proc = subprocess.Popen([str(exe), "30"])
    try:
        hp = gather_paths([("endpoint", "127.0.0.1")], deadline=float("inf"))
    finally:
        proc.kill()
        proc.wait()
    assert hp.agent_processes == ("tailscaled",)
    block = paths_json(hp)
    assert block is not None and block["agent_processes"] == ["tailscaled"]
