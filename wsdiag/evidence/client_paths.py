"""The client's own paths behind an HTTP proxy (issue 17): which way its DCV TCP stream
goes, and the run as that client sees it. Pure.

Where the plan probed ``CONNECT <private name>:4195/443`` through the proxy, the route comes
from, first to last: the private name on the proxy's bypass list (direct); the running
client's own TCP socket to an endpoint address (direct, seen); the sourced table
``wsdiag.clientpaths`` for the client's platform and version (from its files or its logs).
QUIC is always direct. A direct TCP probe a client streaming through the proxy would not
make is information, not the cause: ``client_view`` puts the proxy's answer in its place.

The composition root builds one Evidence per view ``views`` gives (two where the route is
undocumented: through the proxy, then direct) and hands them to
``wsdiag.rules.verdict.diagnose_routes``, which judges and combines them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from wsdiag.clientpaths import Route, client_path
from wsdiag.evidence.basis import Basis
from wsdiag.vocab.machine import HostPaths, PeerKind
from wsdiag.vocab.model import Role, Transport, Via
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import ProbeResult

_TCPISH = (Transport.TCP, Transport.TLS)


@dataclass(frozen=True)
class StreamRoute:
    tcp: Route
    client: str  # "the Windows client 5.24.0"; "" where the route does not rest on it
    source: str  # the table row's source, or what decided it


@dataclass(frozen=True)
class StreamRouteFacts:
    """The route one Evidence was judged on (values for rows and messages)."""

    stream_tcp: str  # Route's value; "" where no proxy path was probed
    tcp_through_proxy: bool  # built from ``client_view``: TCP facts are the proxy's answers
    stream_client: str
    stream_source: str
    basis: Basis


@dataclass(frozen=True)
class RouteView:
    """The run as the client on one route sees it, and whether that is through the proxy."""

    observed: Observed
    through_proxy: bool


def _endpoints(r: Observed) -> list[str]:
    return r.target_ids(Role.ENDPOINT)


def proxied(r: Observed) -> list[ProbeResult]:
    """The endpoint's ``…@proxy`` probes (CONNECT <private name>:port through the proxy)."""
    return [p for p in r.probes_for(_endpoints(r)) if p.via is Via.PROXY]


def stream_route(r: Observed, paths: HostPaths | None) -> StreamRoute | None:
    """Where the client's DCV TCP stream goes, from the run and this machine's paths (the
    client session's sockets, the OS, the client's version; None: not read); None where
    no proxy path was probed (no http:// proxy): the direct probes are then the client's
    own."""
    if not proxied(r):
        return None
    host = r.host(r.endpoint_id())
    if host in r.plan.proxy.bypassed:
        return StreamRoute(Route.DIRECT, "", f"{host} is on the proxy bypass list")
    if paths is not None and paths.session is not None:
        seen = [
            p
            for p in paths.session.peers
            if p.protocol == "tcp" and p.kind is PeerKind.ENDPOINT and p.remote_port in (443, 4195)
        ]
        if seen:
            where = f"{seen[0].remote_addr}:{seen[0].remote_port}"
            return StreamRoute(
                Route.DIRECT, "the running client", f"its own TCP socket to {where} (seen)"
            )
    found = client_path(
        paths.facts.system if paths is not None else None,
        paths.client_version if paths is not None else None,
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


def views(r: Observed, route: StreamRoute | None) -> tuple[RouteView, ...]:
    """The views to build an Evidence from: the run as probed where no proxy path was
    probed or the route is direct; the client's view where it streams through the proxy;
    both (through the proxy first) where the route is undocumented."""
    if route is None or route.tcp is Route.DIRECT:
        return (RouteView(r, False),)
    through = RouteView(client_view(r), True)
    if route.tcp is Route.PROXY:
        return (through,)
    return (through, RouteView(r, False))


def stream_route_facts(route: StreamRoute | None, through_proxy: bool) -> StreamRouteFacts:
    """The route's values for one Evidence (``through_proxy``: built from ``client_view``).
    The basis of the rules' ``tcp_via_proxy`` is no result: the bypass list, the client's
    own socket or the sourced table decided it (empty, as ``tunnel_up``'s)."""
    basis = {"tcp_via_proxy": ()}
    if route is None:
        return StreamRouteFacts("", False, "", "", basis)
    return StreamRouteFacts(str(route.tcp), through_proxy, route.client, route.source, basis)
