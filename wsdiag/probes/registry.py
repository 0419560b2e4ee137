"""Every probe kind, registered once: what it is, and where its implementation lives.

The plan, the runner and the rules read kinds from here (``Transport.is_tcp`` ...), so a
new kind is one row below, one value in ``Transport`` and its own probe module. The
implementation is named by import path and loaded only by ``load`` (the runner, at run
time): ``--help`` and the pure layers never import aioquic or ssl through this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wsdiag.model import Transport

if TYPE_CHECKING:
    from wsdiag.model import DnsResult, DnsSpec, Plan, ProbeResult

# (base result with id/host/address/port/via, budget in seconds) -> the result
ProbeFn = Callable[["ProbeResult", float], Awaitable["ProbeResult"]]
# (DNS spec, budget in seconds) -> the lookup's result
ResolveFn = Callable[["DnsSpec", float], Awaitable["DnsResult"]]
# plan -> ProbeFn: run-wide resources (TLS context, proxy dialer, ALPN) bound once
ProbeFactory = Callable[["Plan"], ProbeFn]


@dataclass(frozen=True)
class Kind:
    transport: Transport
    over_tcp: bool  # runs over TCP: can go through an HTTP proxy; DCV authenticates on TCP
    authenticates: bool  # checks the peer's certificate chain (records tls_trusted)
    factory: str  # "module:function" returning a ProbeFn for a plan (see ProbeFactory)


KINDS: dict[Transport, Kind] = {
    k.transport: k for k in (
        Kind(Transport.TCP, over_tcp=True, authenticates=False,
             factory="wsdiag.probes.tcp:for_plan"),
        Kind(Transport.TLS, over_tcp=True, authenticates=True,
             factory="wsdiag.probes.tcp:for_plan"),
        Kind(Transport.QUIC, over_tcp=False, authenticates=False,
             factory="wsdiag.probes.quic:for_plan"),
    )
}


def kind(transport: Transport) -> Kind:
    """The registered kind. KeyError for a Transport without a row (a test enforces none)."""
    return KINDS[transport]


def load(plan: Plan) -> dict[Transport, ProbeFn]:
    """Every kind's probe function for this plan; imports the network stack."""
    out: dict[Transport, ProbeFn] = {}
    for transport, k in KINDS.items():
        module, _, name = k.factory.partition(":")
        factory: ProbeFactory = getattr(importlib.import_module(module), name)
        out[transport] = factory(plan)
    return out


# Name lookups by ``DnsSpec.rdtype``: the resolver asked directly (dnspython: which server,
# NXDOMAIN vs NODATA vs SERVFAIL) and the OS (getaddrinfo: what the client dials). Each
# factory takes the plan and returns a ResolveFn; loaded only by ``load_resolve``.
DNS_SOURCES: dict[str, str] = {
    "A": "wsdiag.probes.dns:for_plan",
    "AAAA": "wsdiag.probes.dns:for_plan",
    "OS": "wsdiag.probes.osdns:for_plan",
}


def load_resolve(plan: Plan) -> ResolveFn:
    """One ResolveFn for the plan, dispatching each lookup to its source (each factory
    called once). KeyError-free: a rdtype without a source is a bug the tests catch."""
    built: dict[str, ResolveFn] = {}
    for factory_path in dict.fromkeys(DNS_SOURCES.values()):
        module, _, name = factory_path.partition(":")
        built[factory_path] = getattr(importlib.import_module(module), name)(plan)
    by_type = {rd: built[f] for rd, f in DNS_SOURCES.items()}

    async def resolve(spec: DnsSpec, budget: float) -> DnsResult:
        return await by_type[spec.rdtype](spec, budget)

    return resolve
