"""QUIC reachability to one already-resolved IPv4/IPv6 address.

Not ``aioquic.asyncio.connect()``: it opens an IPv6 socket, resolves names itself and
reduces every failure to a bare ConnectionError (see QUIC-NOTES.md). We drive a
QuicConnection through its public API (receive_datagram, datagrams_to_send, get_timer,
handle_timer, next_event) over a *connected* UDP socket, so ICMP port-unreachable reaches
us through ``error_received``, and ``quic_facts.decide`` says as soon as the evidence is in.

The socket is made here, with the OS's ICMP error queue on (``wsdiag.host.errqueue``): an
error's sender and ICMP type name who refused (``wsdiag.probes.icmp``). The queue is read
empty in ``error_received``: a socket with a queued error polls as an error until then, and
the event loop would spin on it for the rest of the wait.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import HandshakeCompleted
from aioquic.quic.logger import QuicLogger

from wsdiag.budgets import QUIC_IDLE_MARGIN
from wsdiag.clock import ms_since
from wsdiag.host import errqueue
from wsdiag.host.mtu import learned_mtu, set_dont_fragment
from wsdiag.probes.errors import failure_of
from wsdiag.probes.icmp import FINAL, kind_here, refine
from wsdiag.probes.quic_facts import Decision, Facts, decide, heard
from wsdiag.vocab.model import Fault, Phase, Status
from wsdiag.vocab.results import ProbeResult

if TYPE_CHECKING:
    from wsdiag.probes.registry import ProbeFn
    from wsdiag.vocab.model import Plan


class _Driver(asyncio.DatagramProtocol):
    """Feeds datagrams and timers to the QuicConnection; records facts; owns its timer."""

    def __init__(
        self, quic: QuicConnection, log: QuicLogger, sock: socket.socket | None = None
    ) -> None:
        self.quic, self.log = quic, log
        self.sock = sock  # the socket itself (the transport's is a wrapper without recvmsg)
        self.local: str | None = sock.getsockname()[0] if sock is not None else None
        self.peer: str | None = sock.getpeername()[0] if sock is not None else None
        self.icmp: list[errqueue.IcmpReport] = []
        self.loop = asyncio.get_running_loop()
        self.facts = Facts()
        self.rx = 0
        self.changed = asyncio.Event()
        self.transport: asyncio.DatagramTransport | None = None
        self._wakeup: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.rx += 1
        # IPv6 sockets report (host, port, flowinfo, scope_id); the connection's path was
        # opened with (host, port): a 4-tuple would read as another path and the handshake
        # would never complete (an IPv6 endpoint then looked silent).
        self.quic.receive_datagram(data, tuple(addr[:2]), now=self.loop.time())
        events = [e for t in self.log.to_dict()["traces"] for e in t["events"]]
        self.facts = replace(self.facts, heard=heard(events))
        self._after()

    def error_received(self, exc: Exception) -> None:
        got = errqueue.drain(self.sock) if self.sock is not None else ()
        self.icmp.extend(got)
        # An ICMP the queue names but that says nothing final (time exceeded, protocol
        # unreachable) is kept for the result; the probe waits on, as a client retransmits.
        if got and not any(kind_here(r, self.local, self.peer) in FINAL for r in got):
            return
        self.facts = replace(self.facts, error=exc)
        self.changed.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.error_received(exc)

    def _after(self) -> None:
        while (event := self.quic.next_event()) is not None:
            if isinstance(event, HandshakeCompleted):
                self.facts = replace(self.facts, handshake=True, alpn=event.alpn_protocol)
        self.transmit()
        self.changed.set()

    def _on_wakeup(self) -> None:
        self._wakeup = None
        self.quic.handle_timer(now=self.loop.time())
        self._after()

    def transmit(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        for data, _ in self.quic.datagrams_to_send(now=self.loop.time()):
            self.transport.sendto(data)  # connected: no address
        if self._wakeup is not None:
            self._wakeup.cancel()
        when = self.quic.get_timer()
        self._wakeup = self.loop.call_at(when, self._on_wakeup) if when is not None else None

    def stop(self, polite: bool) -> None:
        if polite:  # one CONNECTION_CLOSE so the server frees its state at once
            self.quic.close()
            self.transmit()
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None


async def _await_decision(driver: _Driver, deadline: float) -> Decision:
    while True:
        found = decide(driver.facts, timed_out=False)
        if found is not None:
            return found
        driver.changed.clear()
        try:
            async with asyncio.timeout_at(deadline):
                await driver.changed.wait()
        except TimeoutError:
            timed_out = decide(driver.facts, timed_out=True)
            assert timed_out is not None
            return timed_out


async def probe_quic(base: ProbeResult, timeout: float, alpn: tuple[str, ...]) -> ProbeResult:
    """One QUIC handshake attempt to ``base.address``:``base.port`` within ``timeout``
    seconds (key generation included, so many probes started together all end by then)."""
    assert base.address is not None
    t0 = time.perf_counter()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    log = QuicLogger()
    config = QuicConfiguration(
        is_client=True,
        alpn_protocols=list(alpn),
        quic_logger=log,
        # Reachability only: certificate trust for QUIC would need the service's ALPN and
        # name semantics we do not know; the TLS-over-TCP probe records trust instead.
        verify_mode=ssl.CERT_NONE,
        server_name=base.host,
        idle_timeout=timeout + QUIC_IDLE_MARGIN,
    )
    addr = (base.address, base.port)
    transport: asyncio.DatagramTransport | None = None
    driver: _Driver | None = None
    sock: socket.socket | None = None
    df = False
    try:
        try:
            sock = _udp_socket(base.address, base.port)
            made = sock
            transport, driver = await loop.create_datagram_endpoint(
                lambda: _Driver(QuicConnection(configuration=config), log, made), sock=made
            )
            # The client's datagrams carry DF: without it the kernel would fragment locally
            # once it learns a small path MTU, and the probe would pass where the client fails.
            df = set_dont_fragment(sock)
            driver.quic.connect(addr, now=loop.time())
            driver.transmit()
        except OSError as exc:
            if sock is not None and transport is None:
                sock.close()  # made, but no transport owns it yet
            f = failure_of(exc)
            early = _with(
                base,
                Decision(f.status, f.detail, f.errno, cause=f.cause),
                Phase.CONNECT,
                t0,
                driver.rx if driver else None,
            )
            return _too_big(early, None) if f.cause is Fault.TOO_BIG else early
        decision = await _await_decision(driver, deadline)
        result = _with(base, decision, Phase.HANDSHAKE, t0, driver.rx)
        if result.cause is Fault.TOO_BIG:
            return _too_big(result, learned_mtu(sock) if sock else None)
        result = refine(result, driver.icmp, driver.local)
        if result.status is Status.OPEN and not df:
            return replace(
                result,
                detail=(result.detail + "; " if result.detail else "")
                + "Don't Fragment not settable here: a fragmented success is possible",
            )
        return result
    finally:
        if driver is not None:
            driver.stop(polite=driver.facts.handshake)
        if transport is not None:
            transport.close()


def _udp_socket(address: str, port: int) -> socket.socket:
    """A non-blocking UDP socket connected to ``address``:``port`` (a numeric address: no
    lookup), with the ICMP error queue on where the OS has one. Raises OSError (no route)."""
    family, kind, proto, _, sockaddr = socket.getaddrinfo(
        address, port, type=socket.SOCK_DGRAM, flags=socket.AI_NUMERICHOST
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        errqueue.enable(sock)
        sock.connect(sockaddr)  # UDP: sets the peer, never blocks
    except BaseException:
        sock.close()
        raise
    return sock


def _too_big(result: ProbeResult, mtu: int | None) -> ProbeResult:
    """EMSGSIZE on a DF datagram is a path fact: the 1,200 bytes cannot pass (status
    unreachable, the learned path MTU kept), never a bare error."""
    where = f"path MTU {mtu} bytes" if mtu else "path MTU not readable on this OS"
    return replace(
        result,
        status=Status.UNREACHABLE,
        path_mtu=mtu,
        detail=f"a 1200-byte QUIC datagram with Don't Fragment does not fit ({where})",
    )


def _with(base: ProbeResult, d: Decision, phase: Phase, t0: float, rx: int | None) -> ProbeResult:
    return replace(
        base,
        status=d.status,
        phase=phase,
        errno=d.errno,
        cause=d.cause,
        detail=d.detail,
        datagrams_rx=rx,
        alpn=d.alpn,
        quic_error=d.quic_error,
        ms=ms_since(t0),
    )


def for_plan(plan: Plan) -> ProbeFn:
    """The QUIC probe for a run, offering the catalog's ALPN list."""
    alpn = plan.quic_alpn

    async def probe(base: ProbeResult, timeout: float) -> ProbeResult:
        return await probe_quic(base, timeout, alpn)

    return probe
