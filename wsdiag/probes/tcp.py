"""TCP connect to one already-resolved address; for a TLS check, the TLS step on top
(``wsdiag.probes.tls``). Through an HTTP proxy, the same steps run over the proxy's
CONNECT tunnel instead (``wsdiag.probes.tunnel``)."""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from typing import TYPE_CHECKING

from wsdiag.budgets import TLS_MIN_BUDGET
from wsdiag.clock import ms_since
from wsdiag.probes.errors import failure_of
from wsdiag.probes.outcome import failed, outcome
from wsdiag.probes.tls import tls_context, tls_step
from wsdiag.probes.tunnel import ProxyDialer, probe_via_proxy
from wsdiag.vocab.model import Phase, ProxyMode, Role, Status, Via
from wsdiag.vocab.results import ProbeResult

if TYPE_CHECKING:
    from wsdiag.probes.registry import ProbeFn
    from wsdiag.probes.tls import TrustSources
    from wsdiag.vocab.model import Plan


async def probe_tcp(
    base: ProbeResult,
    timeout: float,
    ctx: ssl.SSLContext | None = None,
    trust: TrustSources | None = None,
    identify: bool = False,
) -> ProbeResult:
    """``base`` carries id/target/host/address/port; the result fills status and timings.
    With ``ctx`` (or ``trust``: chain recorded, judged offline), a TLS handshake follows the
    connect, within the same ``timeout``. Plain TCP with ``identify`` (the endpoint): a
    handshake records what the address presents (``tls_seen``, ``certs``) if at least
    TLS_MIN_BUDGET of the budget is left; the TCP status is unchanged by it."""
    assert base.address is not None
    t0 = time.perf_counter()
    writer: asyncio.StreamWriter | None = None
    try:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(base.address, base.port)
        except (OSError, TimeoutError) as exc:
            return failed(base, failure_of(exc), Phase.CONNECT, t0)
        connect_ms = ms_since(t0)
        if ctx is None and trust is None:
            result = outcome(base, Status.OPEN, Phase.CONNECT, t0, ms=connect_ms)
            if identify and t0 + timeout - time.perf_counter() > TLS_MIN_BUDGET:
                from wsdiag.probes.tls import identify_step

                result = await identify_step(result, reader, writer, t0 + timeout)
            return result
        return await tls_step(base, reader, writer, ctx, t0 + timeout, t0, connect_ms, trust=trust)
    finally:
        if writer is not None:
            # abort(): a graceful close could wait on a silent peer.
            writer.transport.abort()


def for_plan(plan: Plan, *, record: bool = True, identify: bool = True) -> ProbeFn:
    """The TCP and TLS probe for a run: one TLS context, the trust sources (public roots:
    ``plan.public_roots``, else $WSDIAG_PUBLIC_ROOTS, else certifi; the OS store), one proxy
    dialer (when the plan routes through an HTTP proxy). A result routed ``via`` the proxy
    goes through it; a kind that authenticates gets the TLS step (chain recorded, judged
    offline); the endpoint's direct TCP probes also record what each address presents.
    Raises wsdiag.host.trust.TrustError (a WsdiagError) for an unusable public-roots file.
    ``record``/``identify`` False (bench/ only: the cost of each) verify in the handshake
    instead / skip the endpoint's extra handshake."""
    from wsdiag.host.trust import public_roots_path
    from wsdiag.probes.tls import load_trust

    ctx = tls_context()
    trust = load_trust(public_roots_path(plan.public_roots, os.environ)) if record else None
    endpoint = {pt.target.id for pt in plan.targets if identify and pt.target.role is Role.ENDPOINT}
    proxy = (
        ProxyDialer(plan.proxy.host, plan.proxy.port)
        if plan.proxy.mode is ProxyMode.PROXY and plan.proxy.host and plan.proxy.port
        else None
    )

    async def probe(base: ProbeResult, timeout: float) -> ProbeResult:
        auth = base.transport.authenticates
        tls, judge = (ctx, trust) if auth else (None, None)
        if base.via is Via.PROXY and proxy is not None:
            return await probe_via_proxy(base, timeout, proxy, tls, judge)
        return await probe_tcp(
            base, timeout, tls, judge, identify=not auth and base.target_id in endpoint
        )

    return probe
