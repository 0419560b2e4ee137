"""Every probe kind, registered once: what it is, and where its implementation lives.

The plan, the runner and the rules read kinds from here (``Transport.is_tcp`` ...), so a
new kind is one row below, one value in ``Transport`` and its own probe module. The
implementation is named by import path and loaded only by ``load`` (the runner, at run
time): ``--help`` and the pure layers never import aioquic or ssl through this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wsdiag.vocab.model import Transport

if TYPE_CHECKING:
    from concurrent.futures import Future

    from wsdiag.lane import Lane, Quiet
    from wsdiag.vocab.model import DnsSpec, Plan
    from wsdiag.vocab.results import DnsResult, ProbeResult

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
    # its import holds the interpreter for long (aioquic, ~0.1 s of CPU): in the background
    # it yields to the event loop while DNS answers are read (load_in_background)
    heavy: bool = False


KINDS: dict[Transport, Kind] = {
    k.transport: k
    for k in (
        Kind(
            Transport.TCP, over_tcp=True, authenticates=False, factory="wsdiag.probes.tcp:for_plan"
        ),
        Kind(
            Transport.TLS, over_tcp=True, authenticates=True, factory="wsdiag.probes.tcp:for_plan"
        ),
        Kind(
            Transport.QUIC,
            over_tcp=False,
            authenticates=False,
            factory="wsdiag.probes.quic:for_plan",
            heavy=True,
        ),
    )
}


def kind(transport: Transport) -> Kind:
    """The registered kind. KeyError for a Transport without a row (a test enforces none)."""
    return KINDS[transport]


def load(plan: Plan) -> dict[Transport, ProbeFn]:
    """Every kind's probe function for this plan; imports the network stack (aioquic,
    cryptography, ssl: ~0.1-0.2 s), here and now."""
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


def load_in_background(
    plan: Plan,
    warm: Sequence[str] = (),
    lane: Lane | None = None,
    quiet: Quiet | None = None,
) -> dict[Transport, ProbeFn]:
    """Like ``load``, but the imports run in ``lane`` (wsdiag.lane; None: a lane of its
    own) from now on, while the run's DNS lookups wait on the network: a probe kind is
    needed only once its name has answered, and in a silent network never. Each kind's
    factory loads on its own, in registry order (TCP and TLS, then QUIC), first in the
    lane (Priority.PROBE_KINDS), so a TLS probe never waits for aioquic and the first
    QUIC packet never waits for the trust roots or the rules. A ``heavy`` kind first
    waits for ``quiet`` (the runner's lookups to end, LANE_YIELD_MAX at most), so its
    import does not take the interpreter from the loop while it reads DNS answers. Each
    returned function waits for its kind (once), then probes with its whole budget: the
    wait is wsdiag's, not the network's. An import error surfaces as that probe's
    exception (the runner reports it as an internal error). ``warm``: modules the caller
    needs after the network, imported in the same lane after the kinds (Priority.WARM;
    an import error there is left for the caller's own import to raise)."""
    import asyncio

    from wsdiag.lane import Lane, Priority

    own = lane is None
    lane = Lane() if lane is None else lane
    factories: dict[str, Future[ProbeFn]] = {}
    for k in KINDS.values():
        if k.factory not in factories:
            after = quiet if k.heavy else None
            factories[k.factory] = lane.submit(Priority.PROBE_KINDS, _build, k.factory, plan, after)
    if warm:
        lane.submit(Priority.WARM, _warm, warm)
    if own:
        lane.close()  # the thread ends with the imports (and what they queue: the trust)

    def lazy(transport: Transport) -> ProbeFn:
        loaded = factories[KINDS[transport].factory]

        async def probe(base: ProbeResult, budget: float) -> ProbeResult:
            fn = await asyncio.wrap_future(loaded)
            return await fn(base, budget)

        return probe

    return {transport: lazy(transport) for transport in KINDS}


def _build(path: str, plan: Plan, after: Quiet | None = None) -> ProbeFn:
    """The probe function the "module:function" factory at ``path`` makes for ``plan``
    (importing its module here), once ``after`` lets it (see ``load_in_background``)."""
    if after is not None:
        from wsdiag.budgets import LANE_YIELD_MAX

        after.wait(LANE_YIELD_MAX)
    module, _, name = path.partition(":")
    factory: ProbeFactory = getattr(importlib.import_module(module), name)
    return factory(plan)


def _warm(modules: Sequence[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the caller's own import raises it, where it is needed
            continue
