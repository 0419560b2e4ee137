"""One sample of an endpoint path that already answered: its handshake again, timed.

TCP: a connect, the RTT read from the kernel (``wsdiag.host.tcpinfo``) where it gives one,
then closed. QUIC: one Initial through aioquic's public API (as ``wsdiag.probes.quic``
drives it; no packet is written by hand), the time to the first datagram back, never a
retransmission (the timer is never handed to aioquic), then one CONNECTION_CLOSE so the
endpoint frees its state. Through an HTTP proxy: the time until the proxy answers CONNECT.
Each returns a Sample and never raises but for cancellation.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from typing import TYPE_CHECKING, Any, cast

from wsdiag.host.tcpinfo import kernel_rtt_ms
from wsdiag.quality.samples import RttSource, Sample
from wsdiag.vocab.model import Status, Transport, Via

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from wsdiag.vocab.model import Plan
    from wsdiag.vocab.results import ProbeResult


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


async def sample_tcp(base: ProbeResult, timeout: float) -> Sample:
    """A TCP connect to ``base.address``:``base.port``; no answer within ``timeout``: lost."""
    assert base.address is not None
    family = socket.AF_INET6 if ":" in base.address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (base.address, base.port))
        elapsed = _ms(t0)
        kernel = kernel_rtt_ms(sock)
        if kernel is not None:
            return Sample(kernel, elapsed, source=RttSource.KERNEL)
        return Sample(elapsed, elapsed, source=RttSource.TIMER)
    except TimeoutError:
        return Sample(None, None, source=RttSource.KERNEL)
    except OSError:
        # a refusal or ICMP error is neither a round trip of the path that answered nor a
        # lost packet: left out of the loss
        return Sample(None, None, judged=False, source=RttSource.KERNEL)
    finally:
        sock.close()


class _FirstAnswer(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not self.answer.done():
            self.answer.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc)


async def sample_quic(base: ProbeResult, timeout: float, alpn: tuple[str, ...]) -> Sample:
    """One QUIC Initial; the time to the first datagram back (ms). Never retransmits."""
    from aioquic.quic.configuration import QuicConfiguration
    from aioquic.quic.connection import QuicConnection

    assert base.address is not None
    loop = asyncio.get_running_loop()
    addr = (base.address, base.port)
    config = QuicConfiguration(
        is_client=True, alpn_protocols=list(alpn), verify_mode=ssl.CERT_NONE, server_name=base.host
    )
    quic = QuicConnection(configuration=config)
    transport: asyncio.DatagramTransport | None = None
    try:
        quic.connect(addr, now=loop.time())
        datagrams = [d for d, _ in quic.datagrams_to_send(now=loop.time())]
        transport, proto = cast(
            "tuple[asyncio.DatagramTransport, _FirstAnswer]",
            await loop.create_datagram_endpoint(_FirstAnswer, remote_addr=addr),
        )
        t0 = time.perf_counter()  # after key generation: the path's time, not the CPU's
        for d in datagrams:
            transport.sendto(d)
        async with asyncio.timeout(timeout):
            first = await proto.answer
        elapsed = _ms(t0)
        # The server now holds a half-open connection: tell it we are done (its Initial
        # keys are enough to send CONNECTION_CLOSE in an Initial packet).
        quic.receive_datagram(first, addr, now=loop.time())
        quic.close()
        for d, _ in quic.datagrams_to_send(now=loop.time()):
            transport.sendto(d)
        return Sample(elapsed, elapsed, source=RttSource.TIMER)
    except TimeoutError:
        return Sample(None, None, source=RttSource.TIMER)
    except (OSError, ValueError):  # ICMP unreachable, a datagram aioquic cannot parse
        return Sample(None, None, judged=False, source=RttSource.TIMER)
    finally:
        if transport is not None:
            transport.close()


def for_plan(plan: Plan) -> Callable[[ProbeResult, float], Awaitable[Sample]]:
    """The sample function for a run: by the answered result's transport and route. The
    proxy's modules load with the first proxied sample (a silent network never pays)."""
    alpn = plan.quic_alpn
    proxy: list[Any] = []

    async def sample(base: ProbeResult, timeout: float) -> Sample:
        if base.via is Via.PROXY:
            from wsdiag.probes.tunnel import ProxyDialer, probe_via_proxy

            if not (plan.proxy.host and plan.proxy.port):
                return Sample(None, None, judged=False, source=RttSource.CONNECT_ANSWER)
            if not proxy:  # one dialer, so the proxy's name is resolved once
                servers = [(ns.ip, ns.port) for ns in plan.nameservers]
                proxy.append(ProxyDialer(plan.proxy.host, plan.proxy.port, servers))
            got = await probe_via_proxy(base, timeout, proxy[0])
            ok = got.status is Status.OPEN and got.ms is not None
            return Sample(
                got.ms if ok else None, got.ms if ok else None, source=RttSource.CONNECT_ANSWER
            )
        if base.transport is Transport.QUIC:
            return await sample_quic(base, timeout, alpn)
        return await sample_tcp(base, timeout)

    return sample
