"""This machine's facts as Evidence: tunnels, the endpoint's route, an on-link resolver, the
path MTU for QUIC, the client's 443 fallback. Pure.

Runs after ``evidence.gather``; without host facts (``paths`` None) every fact here is
UNKNOWN, so a rule reading them never fires on a guess.
"""

from __future__ import annotations

from dataclasses import replace

from wsdiag.check.observed import Observed, any_open
from wsdiag.fallback443 import client_has_443_fallback
from wsdiag.host.mtu import EMSGSIZE_CODES, fits_quic
from wsdiag.host.paths import on_link_resolvers
from wsdiag.vocab.machine import HostPaths
from wsdiag.vocab.model import ProxyMode, Status, Transport, Tri, Via
from wsdiag.vocab.results import Evidence, ProbeResult

HOST_FACTS = (
    "tunnel_up",
    "endpoint_via_tunnel",
    "resolver_on_link",
    "path_mtu_small",
    "client_fallback_443",
    "proxy_http",
    "proxy_stream_4195",
    "proxy_stream_443",
)


def proxy_streaming(e: Evidence, r: Observed, basis: dict[str, tuple[str, ...]]) -> Evidence:
    """The endpoint's ``…@proxy`` probes: can an http proxy carry streaming to the private
    name (CONNECT :4195, :443), and did it refuse 4195 with an HTTP status?"""
    mine = [p for p in r.probes_for([r.endpoint_id()]) if p.via is Via.PROXY]
    by_port = {port: [p for p in mine if p.port == port] for port in (4195, 443)}
    basis["proxy_http"] = ()
    basis["proxy_stream_4195"] = tuple(p.id for p in by_port[4195])
    basis["proxy_stream_443"] = tuple(p.id for p in by_port[443])
    refused = next(
        (p.proxy_status for p in by_port[4195] if p.proxy_status and p.status is not Status.OPEN),
        None,
    )
    return replace(
        e,
        basis=basis,
        proxy_http=Tri.of(e.proxy.mode is ProxyMode.PROXY),
        proxy_stream_4195=any_open(by_port[4195]),
        proxy_stream_443=any_open(by_port[443]),
        proxy_stream_refused=refused,
        proxy_stream_answers=tuple(
            (p.port, p.proxy_status)
            for port in (4195, 443)
            for p in by_port[port]
            if p.proxy_status and not 200 <= p.proxy_status < 300
        ),
    )


def _emsgsize(p: ProbeResult) -> bool:
    return p.transport is Transport.QUIC and p.errno in EMSGSIZE_CODES


def with_host(e: Evidence, r: Observed, paths: HostPaths | None) -> Evidence:
    """``e`` with the host facts filled in (and their ``basis``: the results behind them)."""
    basis = dict(e.basis)
    ep_ids = tuple(a.address for a in e.endpoint_addresses)
    quic = [p for p in r.probes_for([r.endpoint_id()]) if p.transport is Transport.QUIC]
    small = [p for p in quic if _emsgsize(p)]
    basis["path_mtu_small"] = tuple(p.id for p in (small or quic))
    basis["endpoint_via_tunnel"] = e.basis.get("endpoint_resolves", ())
    basis["resolver_on_link"] = e.basis.get("resolvers", ())
    basis["tunnel_up"] = basis["client_fallback_443"] = ()
    learned = [p.path_mtu for p in small if p.path_mtu]
    e = proxy_streaming(e, r, basis)
    if paths is None:
        mtu_small = Tri.YES if small else Tri.UNKNOWN
        return replace(
            e, basis=basis, path_mtu_small=mtu_small, path_mtu=min(learned) if learned else None
        )
    routes = [p for p in paths.of("endpoint") if p.destination in ep_ids]
    tunnel = [p.route.is_tunnel for p in routes]
    via_tunnel = (
        Tri.UNKNOWN
        if not routes or Tri.UNKNOWN in tunnel
        else Tri.of(all(t is Tri.YES for t in tunnel))
    )
    mtus = learned + [p.route.mtu for p in routes if p.route.mtu]
    iface_small = any(fits_quic(p.route.mtu) is False for p in routes)
    if small or iface_small:
        mtu_small = Tri.YES
    elif any(p.status is Status.OPEN for p in quic):
        mtu_small = Tri.NO
    else:
        mtu_small = Tri.UNKNOWN
    on_link = on_link_resolvers(paths)
    resolvers = paths.of("resolver")
    system = paths.facts.system
    client = ""
    if paths.session is not None and paths.session.running is Tri.YES:
        client = f"The WorkSpaces client here ({paths.client_version or 'version unknown'})"
    return replace(
        e,
        basis=basis,
        tunnel_up=Tri.of(bool(paths.tunnels())) if paths.facts.interfaces else Tri.UNKNOWN,
        endpoint_via_tunnel=via_tunnel,
        resolver_on_link=Tri.of(bool(on_link)) if resolvers else Tri.UNKNOWN,
        path_mtu_small=mtu_small,
        client_fallback_443=Tri.of(client_has_443_fallback(system, paths.client_version)),
        tunnels=paths.tunnels(),
        endpoint_routes=tuple(f"{p.destination} {p.text}" for p in routes),
        on_link_resolver=", ".join(on_link),
        path_mtu=min(mtus) if mtus else None,
        client=client,
    )
