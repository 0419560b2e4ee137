"""Streaming through the http proxy: can it carry CONNECT <private name>:4195 / :443? Pure."""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.evidence.basis import Basis, ids
from wsdiag.vocab.model import ProxyMode, Status, Tri, Via
from wsdiag.vocab.observed import Observed, any_open


@dataclass(frozen=True)
class ProxyStreamFacts:
    proxy_http: Tri  # an http:// proxy carries this run's 443 (mode PROXY)
    proxy_stream_4195: Tri  # CONNECT <private name>:4195 through it opened
    proxy_stream_443: Tri  # CONNECT <private name>:443 through it opened
    proxy_stream_refused: int | None  # the proxy's HTTP status refusing CONNECT :4195
    # (port, HTTP status) of every non-2xx answer to CONNECT <private name>:port, port order
    proxy_stream_answers: tuple[tuple[int, int], ...]
    basis: Basis


def proxy_stream_facts(r: Observed) -> ProxyStreamFacts:
    """The endpoint's ``…@proxy`` probes: can an http proxy carry streaming to the private
    name (CONNECT :4195, :443), did it refuse 4195 with an HTTP status, and every non-2xx
    answer it gave (read by ``wsdiag.vocab.model.refusal_of`` in the rules)?"""
    mine = [p for p in r.probes_for([r.endpoint_id()]) if p.via is Via.PROXY]
    by_port = {port: [p for p in mine if p.port == port] for port in (4195, 443)}
    refused = next(
        (p.proxy_status for p in by_port[4195] if p.proxy_status and p.status is not Status.OPEN),
        None,
    )
    return ProxyStreamFacts(
        proxy_http=Tri.of(r.plan.proxy.mode is ProxyMode.PROXY),
        proxy_stream_4195=any_open(by_port[4195]),
        proxy_stream_443=any_open(by_port[443]),
        proxy_stream_refused=refused,
        proxy_stream_answers=tuple(
            (p.port, p.proxy_status)
            for port in (4195, 443)
            for p in by_port[port]
            if p.proxy_status and not 200 <= p.proxy_status < 300
        ),
        basis={
            "proxy_http": (),
            "proxy_stream_4195": ids(by_port[4195]),
            "proxy_stream_443": ids(by_port[443]),
        },
    )
