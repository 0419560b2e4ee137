"""This machine's paths as an evidence source: tunnels, the endpoint's route, an on-link
resolver, the path MTU for QUIC, the client's 443 fallback.

``PathsSource.gather`` reads the routes of what was tested and the client session (no
packets; ``wsdiag.host.paths``); ``facts`` is pure. Without host facts (a section of None)
every fact here is UNKNOWN but the path MTU a QUIC probe itself learned, so a rule reading
them never fires on a guess.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from wsdiag.check.plan import capped
from wsdiag.evidence.basis import Basis, ids
from wsdiag.evidence.dns import wire
from wsdiag.evidence.names import dialed_by, os_result
from wsdiag.fallback443 import client_has_443_fallback
from wsdiag.host.dns_agents import agents_seen
from wsdiag.host.interfaces import on_link
from wsdiag.host.mtu import fits_quic
from wsdiag.host.paths import (
    destinations,
    gather_paths,
    internet_target_ids,
    ip_of,
    on_link_resolvers,
    paths_json,
)
from wsdiag.vocab.machine import HostPaths, IfKind, PathFact
from wsdiag.vocab.model import Fault, Plan, Role, Status, Transport, Tri
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult, ProbeResult


@dataclass(frozen=True)
class MachineFacts:
    tunnel_up: Tri  # a tunnel/VPN interface is up with a routable address
    endpoint_via_tunnel: Tri  # every endpoint address's route uses a tunnel
    resolver_on_link: Tri  # a resolver asked is inside a local subnet
    path_mtu_small: Tri  # QUIC's 1,200-byte DF datagrams cannot pass to it
    client_fallback_443: Tri  # the client here has the 443 fallback
    internet_via_tunnel: Tri  # the internet path's route goes into a tunnel (a full VPN)
    vpc_routed: Tri  # a --vpc-cidr's route leaves another way than the internet's
    inside_vpc: Tri  # an interface here holds an address inside a --vpc-cidr
    # the values behind the facts, for messages
    tunnels: tuple[str, ...]
    endpoint_routes: tuple[str, ...]
    on_link_resolver: str
    path_mtu: int | None
    client: str
    basis: Basis
    vpc_routes: tuple[str, ...] = ()  # "10.0.0.2 via eth1" for each covered --vpc-cidr
    # the first DNS agent seen (wsdiag.host.dns_agents): name, signs, what its setting must
    # include, and whether a sign is a resolver the run asked (not a process alone)
    agent: str = ""
    agent_signs: tuple[str, ...] = ()
    agent_setting: str = ""
    agent_answers: bool = False


@dataclass(frozen=True)
class PathsSource:
    """The ``paths`` section: this machine's interfaces, the route of each tested path and
    the client session. ``client_version``: what the client's logs say, when read."""

    client_version: str | None = None
    name: str = "paths"

    def gather(
        self, plan: Plan, dns: tuple[DnsResult, ...], probes: tuple[ProbeResult, ...], until: float
    ) -> HostPaths:
        """The routes to what DNS answered (every endpoint name's addresses: which one the
        facts describe is known only once the probes are in, see ``described``) and the
        client session, by ``until`` (monotonic s). Needs no probe result, so the run
        gathers it while the probes wait. Sends nothing; never raises."""
        seen = Observed(plan, dns, ())
        endpoints = [a for tid in seen.target_ids(Role.ENDPOINT) for a in dialed_by(seen, tid)]
        dests = destinations(
            dns,
            dict.fromkeys(endpoints),
            internet_target_ids(plan.targets),
            plan.proxy,
            plan.vpc_cidrs,
        )
        proxy = (plan.proxy.host, plan.proxy.port) if plan.proxy.host and plan.proxy.port else None
        return gather_paths(dests, until, proxy, self.client_version)

    def described(self, gathered: HostPaths, observed: Observed) -> HostPaths:
        """Pure: the gathered paths cut to the endpoint name the facts describe (the first
        that answered, ``Observed.endpoint_id``): the report's section."""
        plan = observed.plan
        wanted = set(
            destinations(
                observed.dns,
                dialed_by(observed, observed.endpoint_id()),
                internet_target_ids(plan.targets),
                plan.proxy,
                plan.vpc_cidrs,
            )
        )
        kept = tuple(p for p in gathered.paths if (p.role, p.destination) in wanted)
        return replace(gathered, paths=kept)

    def facts(self, section: HostPaths | None, observed: Observed) -> MachineFacts:
        return machine_facts(section, observed)

    def to_json(self, section: HostPaths | None) -> Mapping[str, object] | None:
        return paths_json(section)


def machine_facts(paths: HostPaths | None, r: Observed) -> MachineFacts:
    """This machine's paths and what the run observed -> the host facts, each with the
    results behind it. One piece past 60 lines: with and without paths, the same facts
    named once each (mypy checks every name and type of both)."""
    ep = r.endpoint_id()
    probed, _ = capped(dialed_by(r, ep))
    quic = [p for p in r.probes_for([ep]) if p.transport is Transport.QUIC]
    small = [p for p in quic if p.cause is Fault.TOO_BIG]
    learned = [p.path_mtu for p in small if p.path_mtu]
    basis = {
        "path_mtu_small": ids(small or quic),
        "endpoint_via_tunnel": ids([r.dns_for(ep, "A"), os_result(r, ep)]),
        "resolver_on_link": ids(wire(r.dns)),
        "tunnel_up": (),
        "client_fallback_443": (),
        "internet_via_tunnel": (),
        "vpc_routed": (),
        "inside_vpc": (),
    }
    agent = _agent(r, paths)
    if paths is None:
        return MachineFacts(
            tunnel_up=Tri.UNKNOWN,
            endpoint_via_tunnel=Tri.UNKNOWN,
            resolver_on_link=Tri.UNKNOWN,
            path_mtu_small=Tri.YES if small else Tri.UNKNOWN,
            client_fallback_443=Tri.UNKNOWN,
            internet_via_tunnel=Tri.UNKNOWN,
            vpc_routed=Tri.UNKNOWN,
            inside_vpc=Tri.UNKNOWN,
            tunnels=(),
            endpoint_routes=(),
            on_link_resolver="",
            path_mtu=min(learned) if learned else None,
            client="",
            basis=basis,
            **agent,
        )
    routes = [p for p in paths.of("endpoint") if p.destination in probed]
    mtus = learned + [p.route.mtu for p in routes if p.route.mtu]
    on_link = on_link_resolvers(paths)
    vpc, vpc_routes = vpc_route(paths)
    client = ""
    if paths.session is not None and paths.session.running is Tri.YES:
        client = f"The WorkSpaces client here ({paths.client_version or 'version unknown'})"
    return MachineFacts(
        tunnel_up=Tri.of(bool(paths.tunnels())) if paths.facts.interfaces else Tri.UNKNOWN,
        endpoint_via_tunnel=_all_via_tunnel(routes),
        resolver_on_link=Tri.of(bool(on_link)) if paths.of("resolver") else Tri.UNKNOWN,
        path_mtu_small=_mtu_small(bool(small), routes, quic),
        client_fallback_443=Tri.of(
            client_has_443_fallback(paths.facts.system, paths.client_version)
        ),
        internet_via_tunnel=_tunnel_of(paths.of("internet")),
        vpc_routed=vpc,
        inside_vpc=_inside_vpc(paths, r.plan.vpc_cidrs),
        vpc_routes=vpc_routes,
        tunnels=paths.tunnels(),
        endpoint_routes=tuple(f"{p.destination} {p.text}" for p in routes),
        on_link_resolver=", ".join(on_link),
        path_mtu=min(mtus) if mtus else None,
        client=client,
        basis=basis,
        **agent,
    )


def _all_via_tunnel(routes: list[PathFact]) -> Tri:
    """Whether every probed endpoint address's route goes into a tunnel."""
    tunnel = [p.route.is_tunnel for p in routes]
    if not routes or Tri.UNKNOWN in tunnel:
        return Tri.UNKNOWN
    return Tri.of(all(t is Tri.YES for t in tunnel))


def _mtu_small(too_big: bool, routes: list[PathFact], quic: list[ProbeResult]) -> Tri:
    """QUIC's 1,200-byte datagrams cannot pass: a probe's EMSGSIZE (``too_big``) or an
    interface MTU too small on an endpoint route; NO once a QUIC probe answered."""
    if too_big or any(fits_quic(p.route.mtu) is False for p in routes):
        return Tri.YES
    return Tri.NO if any(p.status is Status.OPEN for p in quic) else Tri.UNKNOWN


def _tunnel_of(paths: tuple[PathFact, ...]) -> Tri:
    """Whether the (first) path's route goes into a tunnel; UNKNOWN without a route."""
    return paths[0].route.is_tunnel if paths and paths[0].route.interface else Tri.UNKNOWN


def vpc_route(paths: HostPaths) -> tuple[Tri, tuple[str, ...]]:
    """Pure: (does a route cover a --vpc-cidr, the covering routes' texts). Found without
    the routing table (a connected UDP socket gives the interface, not the prefix): a
    VPC address that leaves through a tunnel, or through another interface than the
    internet's, has a route of its own; one that leaves with the internet has none but
    the default. An address inside a local subnet (a home LAN overlapping the VPC range)
    is that LAN, not the VPC. UNKNOWN without a --vpc-cidr or a route to compare."""
    vpcs = [p for p in paths.of("vpc") if p.route.interface]
    internet = paths.of("internet")
    way = internet[0].route.interface if internet and internet[0].route.interface else None
    covered, judged = [], False
    for p in vpcs:
        if on_link(p.destination, paths.facts.interfaces) is not None:
            judged = True
            continue
        if p.route.is_tunnel is Tri.YES or (way is not None and p.route.interface != way):
            covered.append(f"{p.destination} {p.text}")
            judged = True
        elif p.route.is_tunnel is Tri.NO and way is not None:
            judged = True
    if covered:
        return Tri.YES, tuple(covered)
    return (Tri.NO if judged else Tri.UNKNOWN), ()


def _agent(r: Observed, paths: HostPaths | None) -> dict[str, Any]:
    """The first DNS agent whose resolver the run asked for the private name, or whose
    process or interface is here: MachineFacts' agent values (empty when none)."""
    a = r.dns_for(r.endpoint_id(), "A")
    asked = [s.server for s in a.servers] + [a.resolver or ""] if a is not None else []
    seen = agents_seen(
        [ip for x in asked if (ip := ip_of(x))],
        paths.agent_processes if paths is not None else (),
        [i.name for i in paths.facts.interfaces] if paths is not None else (),
    )
    if not seen:
        return {}
    first = seen[0]
    return {
        "agent": first.agent.name,
        "agent_signs": first.signs,
        "agent_setting": first.agent.setting,
        "agent_answers": any(x.startswith("resolver ") for x in first.signs),
    }


def _inside_vpc(paths: HostPaths, cidrs: tuple[str, ...]) -> Tri:
    """Whether a non-loopback interface holds an address inside a --vpc-cidr (this machine
    is in the VPC: an EC2 instance, not a laptop); UNKNOWN without a CIDR or interfaces."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    if not nets or not paths.facts.interfaces:
        return Tri.UNKNOWN
    mine = [
        ipaddress.ip_interface(a).ip
        for i in paths.facts.interfaces
        if i.kind is not IfKind.LOOPBACK
        for a in i.addresses
    ]
    return Tri.of(any(ip.version == n.version and ip in n for ip in mine for n in nets))
