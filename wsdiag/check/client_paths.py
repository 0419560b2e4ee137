"""The client's own paths behind an HTTP proxy (issue 17): which way its DCV TCP stream
goes, and the run as that client sees it. Pure.

Where the plan probed ``CONNECT <private name>:4195/443`` through the proxy, the route comes
from, first to last: the private name on the proxy's bypass list (direct); the running
client's own TCP socket to an endpoint address (direct, seen); the sourced table
``wsdiag.clientpaths`` for the client's platform and version (from its files or its logs).
QUIC is always direct. A direct TCP probe a client streaming through the proxy would not
make is information, not the cause: ``client_view`` puts the proxy's answer in its place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from wsdiag.check.observed import Observed
from wsdiag.clientpaths import Route, client_path
from wsdiag.vocab.machine import PeerKind
from wsdiag.vocab.model import Role, Transport, Via
from wsdiag.vocab.results import Evidence, ProbeResult

_TCPISH = (Transport.TCP, Transport.TLS)


@dataclass(frozen=True)
class StreamRoute:
    tcp: Route
    client: str  # "the Windows client 5.24.0"; "" where the route does not rest on it
    source: str  # the table row's source, or what decided it


def _endpoints(r: Observed) -> list[str]:
    return r.target_ids(Role.ENDPOINT)


def proxied(r: Observed) -> list[ProbeResult]:
    """The endpoint's ``…@proxy`` probes (CONNECT <private name>:port through the proxy)."""
    return [p for p in r.probes_for(_endpoints(r)) if p.via is Via.PROXY]


def stream_route(r: Observed) -> StreamRoute | None:
    """Where the client's DCV TCP stream goes; None where no proxy path was probed (no
    http:// proxy): the direct probes are then the client's own."""
    if not proxied(r):
        return None
    host = r.host(r.endpoint_id())
    if host in r.plan.proxy.bypassed:
        return StreamRoute(Route.DIRECT, "", f"{host} is on the proxy bypass list")
    hp = r.machine
    if hp is not None and hp.session is not None:
        seen = [
            p
            for p in hp.session.peers
            if p.protocol == "tcp" and p.kind is PeerKind.ENDPOINT and p.remote_port in (443, 4195)
        ]
        if seen:
            where = f"{seen[0].remote_addr}:{seen[0].remote_port}"
            return StreamRoute(
                Route.DIRECT, "the running client", f"its own TCP socket to {where} (seen)"
            )
    found = client_path(
        hp.facts.system if hp is not None else None, hp.client_version if hp is not None else None
    )
    return StreamRoute(found.tcp, found.client, found.source)


def client_view(r: Observed) -> Observed:
    """The run as a client streaming TCP through the proxy sees it: each direct TCP probe of
    an endpoint address is replaced by the proxy's answer to CONNECT on its port (the proxy
    resolves the name and picks the address, so every address's TCP path is that answer),
    with the @proxy probe's id, TLS identity and status; QUIC stays as probed. The copies
    carry no RTT (the tunnel's time includes the proxy's own connect)."""
    by_port = {(p.target_id, p.port): p for p in proxied(r)}
    out = []
    for p in r.probes:
        through = by_port.get((p.target_id, p.port))
        if through is not None and p.via is Via.DIRECT and p.transport in _TCPISH:
            p = replace(through, address=p.address, via=Via.DIRECT, ms=None)
        out.append(p)
    return replace(r, probes=tuple(out))


def with_route(e: Evidence, route: StreamRoute | None, through_proxy: bool) -> Evidence:
    """``e`` with the route's fields (``stream_tcp``, ``stream_client``, ``stream_source``)
    and ``tcp_through_proxy``: ``e`` was gathered from ``client_view``."""
    if route is None:
        return e
    return replace(
        e,
        stream_tcp=str(route.tcp),
        stream_client=route.client,
        stream_source=route.source,
        tcp_through_proxy=through_proxy,
    )
