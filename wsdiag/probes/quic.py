"""QUIC reachability to one already-resolved IPv4/IPv6 address.

Not ``aioquic.asyncio.connect()``: it opens an IPv6 socket, resolves names itself and
reduces every failure to a bare ConnectionError (see QUIC-NOTES.md). We drive a
QuicConnection through its public API (receive_datagram, datagrams_to_send, get_timer,
handle_timer, next_event) over a *connected* UDP socket, so ICMP port-unreachable reaches
us through ``error_received``, and ``quic_facts.decide`` says as soon as the evidence is in.
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
from wsdiag.host.mtu import learned_mtu, set_dont_fragment
from wsdiag.probes.errors import failure_of
from wsdiag.probes.quic_facts import Decision, Facts, decide, heard
from wsdiag.vocab.model import Fault, Phase, Status
from wsdiag.vocab.results import ProbeResult

if TYPE_CHECKING:
    from wsdiag.probes.registry import ProbeFn
    from wsdiag.vocab.model import Plan


class _Driver(asyncio.DatagramProtocol):
    """Feeds datagrams and timers to the QuicConnection; records facts; owns its timer."""

    def __init__(self, quic: QuicConnection, log: QuicLogger) -> None:
        self.quic, self.log = quic, log
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
    sock: Any = None
    df = False
    try:
        try:
            transport, driver = await loop.create_datagram_endpoint(
                lambda: _Driver(QuicConnection(configuration=config), log), remote_addr=addr
            )
            # The client's datagrams carry DF: without it the kernel would fragment locally
            # once it learns a small path MTU, and the probe would pass where the client fails.
            sock = transport.get_extra_info("socket")
            df = sock is not None and set_dont_fragment(cast("socket.socket", sock))
            driver.quic.connect(addr, now=loop.time())
            driver.transmit()
        except OSError as exc:
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
            return _too_big(result, learned_mtu(cast("socket.socket", sock)) if sock else None)
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
