"""TCP connect to one already-resolved address; for a TLS check, the TLS step on top
(``wsdiag.probes.tls``). Through an HTTP proxy, the same steps run over the proxy's
CONNECT tunnel instead (``wsdiag.probes.tunnel``)."""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import TYPE_CHECKING

from wsdiag.model import Phase, ProbeResult, ProxyMode, Status, Via
from wsdiag.probes.errors import status_of
from wsdiag.probes.outcome import ms_since, outcome
from wsdiag.probes.tls import tls_context, tls_step
from wsdiag.probes.tunnel import ProxyDialer, probe_via_proxy

if TYPE_CHECKING:
    from wsdiag.model import Plan
    from wsdiag.probes.registry import ProbeFn


async def probe_tcp(
    base: ProbeResult, timeout: float, ctx: ssl.SSLContext | None = None
) -> ProbeResult:
    """``base`` carries id/target/host/address/port; the result fills status and timings.
    With ``ctx``, a TLS handshake follows the connect, within the same ``timeout``."""
    assert base.address is not None
    t0 = time.perf_counter()
    writer: asyncio.StreamWriter | None = None
    try:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(base.address, base.port)
        except (OSError, TimeoutError) as exc:
            status, code, detail = status_of(exc)
            return outcome(base, status, Phase.CONNECT, t0, errno=code, detail=detail)
        connect_ms = ms_since(t0)
        if ctx is None:
            return outcome(base, Status.OPEN, Phase.CONNECT, t0, ms=connect_ms)
        return await tls_step(base, reader, writer, ctx, t0 + timeout, t0, connect_ms)
    finally:
        if writer is not None:
            # abort(): a graceful close could wait on a silent peer.
            writer.transport.abort()


def for_plan(plan: Plan) -> ProbeFn:
    """The TCP and TLS probe for a run: one TLS context, one proxy dialer (when the plan
    routes through an HTTP proxy). A result routed ``via`` the proxy goes through it; a
    kind that authenticates gets the TLS step."""
    ctx = tls_context()
    proxy = (ProxyDialer(plan.proxy.host, plan.proxy.port)
             if plan.proxy.mode is ProxyMode.PROXY and plan.proxy.host and plan.proxy.port
             else None)

    async def probe(base: ProbeResult, timeout: float) -> ProbeResult:
        tls = ctx if base.transport.authenticates else None
        if base.via is Via.PROXY and proxy is not None:
            return await probe_via_proxy(base, timeout, proxy, tls)
        return await probe_tcp(base, timeout, tls)

    return probe
