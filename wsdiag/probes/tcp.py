"""TCP connect to one already-resolved address; for a TLS check, the TLS step on top
(``wsdiag.probes.tls``). Through an HTTP proxy, the same steps run over the proxy's
CONNECT tunnel instead (``wsdiag.probes.tunnel``).

The connect's socket is made here with the OS's ICMP error queue on (``wsdiag.host.errqueue``):
a failed connect reads it, so a firewall's "administratively prohibited" names the firewall
(``wsdiag.probes.icmp``) instead of reading as "no route to host". Once connected the queue is
turned off again, so the TLS step sees ICMP errors the way the client's sockets do."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import time
from typing import TYPE_CHECKING

from wsdiag.budgets import TLS_MIN_BUDGET
from wsdiag.clock import ms_since
from wsdiag.host import errqueue
from wsdiag.probes.errors import failure_of
from wsdiag.probes.icmp import refine
from wsdiag.probes.outcome import failed, outcome
from wsdiag.probes.tls import tls_context, tls_step
from wsdiag.probes.tunnel import ProxyDialer, probe_via_proxy
from wsdiag.vocab.model import Phase, ProxyMode, Role, Status, Via
from wsdiag.vocab.results import ProbeResult

if TYPE_CHECKING:
    from wsdiag.probes.registry import ProbeFn
    from wsdiag.probes.tls import Trust
    from wsdiag.vocab.model import Plan


async def probe_tcp(
    base: ProbeResult,
    timeout: float,
    ctx: ssl.SSLContext | None = None,
    trust: Trust | None = None,
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
                reader, writer = await _connect(base.address, base.port)
        except TimeoutError as exc:
            return failed(base, failure_of(exc), Phase.CONNECT, t0)
        except _Failed as error:
            result = failed(base, failure_of(error.error), Phase.CONNECT, t0)
            return refine(result, error.icmp, error.local)
        connect_ms = _on_the_wire(writer, ms_since(t0))
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


def _on_the_wire(writer: asyncio.StreamWriter, timer_ms: float) -> float:
    """The connect's round trip (ms): the kernel's own measure of the SYN to SYN-ACK time
    (Linux TCP_INFO, wsdiag.host.tcpinfo) where it gives one, else ``timer_ms``, wsdiag's
    clock from the connect call to its completion. The timer also counts how long this
    process waited to be scheduled, which on a loaded machine is hundreds of ms and made a
    LAN endpoint "high RTT" (ENDPOINT_HIGH_RTT); the kernel's figure never exceeds it."""
    from wsdiag.host.tcpinfo import kernel_rtt_ms

    sock = writer.get_extra_info("socket")
    kernel = kernel_rtt_ms(sock) if sock is not None else None
    return min(kernel, timer_ms) if kernel is not None else timer_ms


class _Failed(Exception):
    """A connect that failed: the socket error (or TimeoutError), the ICMP errors its queue
    held and the socket's local address."""

    def __init__(
        self, error: BaseException, icmp: tuple[errqueue.IcmpReport, ...], local: str | None
    ) -> None:
        super().__init__(str(error))
        self.error, self.icmp, self.local = error, icmp, local


async def _connect(address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TCP connect to a numeric ``address``, the ICMP error queue on until it stands.
    Raises _Failed (with the queue read) for any OSError; a cancellation (the caller's
    timeout) closes the socket and propagates: an ICMP error would have ended the connect
    (Linux aborts a SYN_SENT connect on any ICMP unreachable), so none is lost."""
    loop = asyncio.get_running_loop()
    try:
        family, kind, proto, _, sockaddr = socket.getaddrinfo(
            address, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise _Failed(exc, (), None) from None
    local: str | None = None
    queued = False
    try:
        sock.setblocking(False)
        queued = errqueue.enable(sock)
        await loop.sock_connect(sock, sockaddr)
    except OSError as exc:
        icmp = errqueue.drain(sock) if queued else ()
        with contextlib.suppress(OSError):
            local = sock.getsockname()[0]  # kept after a failed connect (the source chosen)
        sock.close()
        raise _Failed(exc, icmp, local) from None
    except BaseException:
        sock.close()
        raise
    if queued:
        errqueue.disable(sock)
    try:
        return await asyncio.open_connection(sock=sock)
    except OSError as exc:
        sock.close()
        raise _Failed(exc, (), local) from None
    except BaseException:
        sock.close()
        raise


def for_plan(plan: Plan, *, record: bool = True, identify: bool = True) -> ProbeFn:
    """The TCP and TLS probe for a run: one TLS context, the trust sources (public roots:
    ``plan.public_roots``, else $WSDIAG_PUBLIC_ROOTS, else certifi; the OS store), one proxy
    dialer (when the plan routes through an HTTP proxy). A result routed ``via`` the proxy
    goes through it; a kind that authenticates gets the TLS step (chain recorded, judged
    offline); the endpoint's direct TCP probes also record what each address presents.
    An unusable public-roots file raises wsdiag.host.trust.TrustError where a chain is
    judged (the run refuses one before any probe: ``wsdiag.run._check_public_roots``).
    ``record``/``identify`` False (bench/ only: the cost of each) verify in the handshake
    instead / skip the endpoint's extra handshake."""
    from wsdiag.host.trust import public_roots_path
    from wsdiag.probes.tls import PendingTrust

    # Recording judges chains offline: no verifying context (the system bundle's parse) and
    # the trust sources load beside the first packets (PendingTrust), not before them.
    ctx = None if record else tls_context()
    trust = PendingTrust(public_roots_path(plan.public_roots, os.environ)) if record else None
    endpoint = {pt.target.id for pt in plan.targets if identify and pt.target.role is Role.ENDPOINT}
    proxy = (
        ProxyDialer(plan.proxy.host, plan.proxy.port, [(ns.ip, ns.port) for ns in plan.nameservers])
        if plan.proxy.mode is ProxyMode.PROXY and plan.proxy.host and plan.proxy.port
        else None
    )

    async def probe(base: ProbeResult, timeout: float) -> ProbeResult:
        auth = base.transport.authenticates
        tls, judge = (ctx, trust) if auth else (None, None)
        if base.via is Via.PROXY and proxy is not None:
            # the endpoint's CONNECT probes check who answers, as its direct ones do
            who = not auth and base.target_id in endpoint
            return await probe_via_proxy(base, timeout, proxy, tls, judge, identify=who)
        return await probe_tcp(
            base, timeout, tls, judge, identify=not auth and base.target_id in endpoint
        )

    return probe
