"""This machine's side of a check: the route each tested path takes and the client's session.

Gathered after the probes have run (the endpoint's addresses come from its DNS answer) and
without sending a packet: ``wsdiag.host.facts`` asks the routing table through a connected
UDP socket, ``wsdiag.host.client`` reads the client's own sockets through psutil. What the OS
withholds stays unknown. ``gather_paths`` does the I/O; everything else here is pure.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from wsdiag.host.interfaces import describe, on_link
from wsdiag.vocab import codec
from wsdiag.vocab.machine import (
    ClientProcess,
    ClientSession,
    HostFacts,
    HostPaths,
    IfKind,
    Interface,
    PathFact,
    RouteFact,
    SessionPeer,
)
from wsdiag.vocab.model import DnsOutcome, ProxyRoute, Role, Tri
from wsdiag.vocab.results import DnsResult


def ip_of(text: str) -> str | None:
    """'10.0.0.2' / '127.0.0.1:5353' / '[::1]:5353' -> the address, or None."""
    host = (
        text[1:].split("]", 1)[0]
        if text.startswith("[")
        else (text.rsplit(":", 1)[0] if text.count(":") == 1 else text)
    )
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def destinations(
    dns: Sequence[DnsResult],
    endpoint_addrs: Iterable[str],
    internet_ids: Sequence[str],
    proxy: ProxyRoute,
    vpc_cidrs: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """Pure: (role, address) of every path worth naming: each resolver asked, each endpoint
    address, the internet (the proxy where 443 goes through it, else the first needed
    sign-in target's first address), and one address inside each ``--vpc-cidr`` (its
    base + 2, the VPC resolver's: whether a route covers the VPC is evidence against
    "home")."""
    resolvers = [ip_of(d.resolver) for d in dns if d.resolver]
    out = [("resolver", ip) for ip in dict.fromkeys(x for x in resolvers if x)]
    out += [("endpoint", a) for a in endpoint_addrs]
    internet = ip_of(proxy.host or "") if proxy.host else None
    if internet is None:
        for tid in internet_ids:
            a = next(
                (
                    d
                    for d in dns
                    if d.target_id == tid
                    and d.rdtype == "A"
                    and d.outcome is DnsOutcome.ANSWER
                    and d.addresses
                ),
                None,
            )
            if a is not None:
                internet = a.addresses[0]
                break
    if internet is not None:
        out.append(("internet", internet))
    out += [("vpc", a) for a in dict.fromkeys(_inside(c) for c in vpc_cidrs) if a]
    return out


def _inside(cidr: str) -> str:
    """An address inside ``cidr`` to ask the routing table about: base + 2 (a VPC's
    resolver; AWS VPC user guide, "Amazon DNS server"), the base itself for a /31 or /32;
    "" for text that is no network."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return ""
    return str(net[2] if net.num_addresses > 2 else net[0])


def gather_paths(
    dests: Sequence[tuple[str, str]],
    deadline: float,
    proxy: tuple[str, int] | None = None,
    log_version: str | None = None,
) -> HostPaths:
    """The routes to ``dests`` ((role, IP) pairs) and the client session; never raises.

    ``deadline`` is a ``time.monotonic()`` value; ``proxy`` the proxy's (IP, port) so a
    session through it is named. Sends nothing (see ``wsdiag.host.facts``)."""
    from wsdiag.host.client import client_session, read_processes
    from wsdiag.host.dns_agents import agent_processes
    from wsdiag.host.facts import gather_host_facts

    facts = gather_host_facts([d for _, d in dests], deadline)
    paths = tuple(
        PathFact(role, dest, facts.routes[dest], describe(facts.routes[dest], facts))
        for role, dest in dests
        if dest in facts.routes
    )
    session: ClientSession | None = None
    agents: tuple[str, ...] = ()
    if time.monotonic() < deadline:
        processes = read_processes()
        session = client_session(
            [d for role, d in dests if role == "endpoint"], proxy, processes=processes
        )
        agents = agent_processes(p.info.get("name") or "" for p in processes[0])
    version = (
        next((p.version for p in (session.processes if session else ()) if p.version), None)
        or log_version
    )
    return HostPaths(facts, paths, session, version, agents)


def on_link_resolvers(hp: HostPaths) -> list[str]:
    """Pure: "192.168.1.1 (en0)" for each resolver inside a local interface's subnet."""
    out = []
    for p in hp.of("resolver"):
        iface = on_link(p.destination, hp.facts.interfaces)
        if iface is not None:
            out.append(f"{p.destination} ({iface.name})")
    return out


def paths_json(hp: HostPaths | None) -> dict[str, Any] | None:
    """The report's ``paths`` block (wsdiag.report/1, additive): the interfaces the tested
    paths use and every tunnel, one row per tested path, the client session. None when not
    gathered. A view of HostPaths, not its fields: rows are written by ``wsdiag.vocab.codec``,
    the block's summary and sentences are what the text says."""
    if hp is None:
        return None
    s = hp.session
    # Only the interfaces a tested path uses, and tunnels: bridges and container veths are
    # noise, and the one-line JSON must stay within SSM's 24,000 characters.
    used = {p.route.interface for p in hp.paths}
    return {
        "system": hp.facts.system,
        "problem": hp.facts.problem,
        "interfaces": codec.encode(
            [i for i in hp.facts.interfaces if i.name in used or i.kind is IfKind.TUNNEL]
        ),
        "tunnels": list(hp.tunnels()),
        "routes": [{"role": p.role, **codec.encode(p.route)} for p in hp.paths],
        "summary": hp.summary(),
        **({"agent_processes": list(hp.agent_processes)} if hp.agent_processes else {}),
        "client": None
        if s is None
        else {
            "running": s.running.value,
            "version": hp.client_version,
            "processes": codec.encode(s.processes),
            "peers": codec.encode(s.live()),
            "sentences": s.sentences(),
            "problem": s.problem,
        },
    }


def paths_from_json(d: dict[str, Any] | None) -> HostPaths | None:
    """The ``paths`` block back into HostPaths (a report read from a file); None for None.
    Peers come back with pid 0 (the block has none). Raises codec.DecodeError on a block
    that is not ``paths_json`` output."""
    if d is None:
        return None
    if "routes" not in d:
        raise codec.DecodeError("paths.routes: missing")
    rows = codec.decode_all(_Row, d["routes"], at="paths.routes")
    routes = [
        (row.role, codec.decode(RouteFact, r, at=f"paths.routes[{i}]"))
        for i, (row, r) in enumerate(zip(rows, d["routes"], strict=True))
    ]
    facts = HostFacts(
        codec.decode(str, d.get("system", ""), at="paths.system"),
        codec.decode_all(Interface, d.get("interfaces", []), at="paths.interfaces"),
        {rf.destination: rf for _, rf in routes},
        codec.decode(str, d.get("problem", ""), at="paths.problem"),
    )
    paths = tuple(PathFact(role, rf.destination, rf, describe(rf, facts)) for role, rf in routes)
    agents = codec.decode_all(str, d.get("agent_processes", []), at="paths.agent_processes")
    c = d.get("client")
    if c is None:
        return HostPaths(facts, paths, agent_processes=agents)
    client = codec.decode(_Client, c, at="paths.client")
    peers = c.get("peers", [])
    if not isinstance(peers, list) or not all(isinstance(x, dict) for x in peers):
        raise codec.DecodeError("paths.client.peers: expected an array of objects")
    session = ClientSession(
        client.running,
        client.processes,
        codec.decode_all(SessionPeer, [{"pid": 0, **x} for x in peers], at="paths.client.peers"),
        client.problem,
    )
    return HostPaths(facts, paths, session, client.version, agents)


@dataclass(frozen=True)
class _Client:
    """The ``client`` block's own fields, as read back."""

    running: Tri
    version: str | None = None
    processes: tuple[ClientProcess, ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class _Row:
    role: str  # "resolver" | "endpoint" | "internet" | "vpc": a route row's own key


def internet_target_ids(targets: Iterable[Any]) -> list[str]:
    """Pure: ids of planned sign-in targets (``PlannedTarget``), needed ones first: the
    "internet" path's candidates."""
    auth = [pt for pt in targets if pt.target.role is Role.AUTH and not pt.skip_reason]
    return [pt.target.id for pt in sorted(auth, key=lambda pt: pt.target.need != "needed")]
