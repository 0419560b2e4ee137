"""QUIC reachability to one already-resolved IPv4/IPv6 address.

Not ``aioquic.asyncio.connect()``: it opens an IPv6 socket, resolves names itself and
reduces every failure to a bare ConnectionError (see QUIC-NOTES.md). We drive a
QuicConnection over a *connected* UDP socket, so ICMP port-unreachable reaches us through
``error_received``, and we decide as soon as the evidence is in:

- handshake completed                          -> open (ALPN recorded)
- the peer's CONNECTION_CLOSE or a version      -> open: a QUIC stack answered, the UDP
  negotiation packet was decrypted/parsed          path works; the code is recorded
- ICMP port unreachable                         -> refused
- ICMP net/host unreachable, no route           -> unreachable
- silence until the timeout                     -> filtered
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import replace
from typing import Any

from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import ConnectionTerminated, HandshakeCompleted, QuicEvent

from wsdiag.model import ProbeResult, Status
from wsdiag.probes.errors import status_of


def _peer_spoke(quic: QuicConnection) -> ConnectionTerminated | bool:
    """Did a datagram just processed come from a real QUIC peer?

    aioquic exposes no public signal before the handshake ends, and reports a peer's
    CONNECTION_CLOSE only after the ~0.6 s draining period. Its private state tells us at
    once: a peer CID is recorded only from a packet that decrypted, and _close_event is set
    by a CONNECTION_CLOSE or a version-negotiation packet. Raw datagram counts are not
    enough: a UDP echo service or a middlebox could send anything.
    """
    close = getattr(quic, "_close_event", None)
    if isinstance(close, ConnectionTerminated):
        return close
    peer = getattr(quic, "_peer_cid", None)
    return getattr(peer, "sequence_number", None) is not None


class _Probe(QuicConnectionProtocol):
    def __init__(self, quic: QuicConnection, done: asyncio.Future[tuple[str, Any]]) -> None:
        super().__init__(quic)
        self.done = done
        self.rx = 0
        self.answered = False

    def _finish(self, kind: str, value: Any) -> None:
        if not self.done.done():
            self.done.set_result((kind, value))

    def datagram_received(self, data: bytes | str, addr: Any) -> None:
        self.rx += 1
        closed_before = getattr(self._quic, "_close_event", None) is not None
        super().datagram_received(data, addr)
        spoke = _peer_spoke(self._quic)
        if isinstance(spoke, ConnectionTerminated):
            if not closed_before:  # this very datagram closed it: the peer spoke QUIC
                self.answered = True
                self._finish("closed", spoke)
        elif spoke:
            self.answered = True  # keep waiting for the handshake, briefly

    def quic_event_received(self, event: QuicEvent) -> None:
        if isinstance(event, HandshakeCompleted):
            self._finish("handshake", event.alpn_protocol)
        elif isinstance(event, ConnectionTerminated) and self.answered:
            # A termination with no answer from the peer is our own (idle timer): that is
            # silence, and the probe's timeout reports it as such.
            self._finish("closed", event)

    def error_received(self, exc: Exception) -> None:
        self._finish("icmp", exc)

    def shutdown(self, polite: bool) -> None:
        if polite:
            # One CONNECTION_CLOSE so the server frees its state at once.
            self._quic.close()
            self.transmit()
        for handle in (self._timer, self._transmit_task):
            if handle is not None:
                handle.cancel()
        self._timer = self._transmit_task = None

    def connection_lost(self, exc: Exception | None) -> None:
        # Do not let the base class touch waiters we never created.
        if exc is not None:
            self._finish("icmp", exc)


async def probe_quic(base: ProbeResult, timeout: float, alpn: tuple[str, ...]) -> ProbeResult:
    assert base.address is not None
    t0 = time.perf_counter()
    loop = asyncio.get_running_loop()
    # The timeout covers the probe's whole life, key generation included, so many probes
    # started together all end by start + timeout.
    deadline = loop.time() + timeout
    config = QuicConfiguration(
        is_client=True,
        alpn_protocols=list(alpn),
        # Reachability only: certificate trust for QUIC would need the service's ALPN and
        # name semantics we do not know; the TLS-over-TCP probe records trust instead.
        verify_mode=ssl.CERT_NONE,
        server_name=base.host,
        # Longer than our own timeout, so aioquic's idle timer never decides for us.
        idle_timeout=timeout + 10.0,
    )
    done: asyncio.Future[tuple[str, Any]] = loop.create_future()
    addr = (base.address, base.port)
    transport: asyncio.DatagramTransport | None = None
    proto: _Probe | None = None
    try:
        try:
            transport, proto = await loop.create_datagram_endpoint(
                lambda: _Probe(QuicConnection(configuration=config), done), remote_addr=addr
            )
        except OSError as exc:
            status, code, detail = status_of(exc)
            return _with(base, status, "connect", t0, errno=code, detail=detail)
        try:
            # The address must equal remote_addr exactly, or asyncio's sendto refuses it.
            proto.connect(addr)
        except OSError as exc:
            status, code, detail = status_of(exc)
            return _with(base, status, "connect", t0, errno=code, detail=detail, rx=0)
        try:
            async with asyncio.timeout_at(deadline):
                kind, value = await done
        except TimeoutError:
            if proto.answered:
                return _with(base, Status.OPEN, "handshake", t0, rx=proto.rx,
                             detail="a QUIC server answered; the handshake did not finish")
            return _with(base, Status.FILTERED, "handshake", t0, rx=proto.rx,
                         detail="no QUIC answer before the timeout")
        if kind == "handshake":
            return _with(base, Status.OPEN, "handshake", t0, rx=proto.rx, alpn=value)
        if kind == "closed":
            assert isinstance(value, ConnectionTerminated)
            reason = f" ({value.reason_phrase})" if value.reason_phrase else ""
            return _with(
                base, Status.OPEN, "handshake", t0, rx=proto.rx, quic_error=value.error_code,
                detail=f"a QUIC server answered and closed: code 0x{value.error_code:x}{reason}",
            )
        status, code, detail = status_of(value)
        return _with(base, status, "handshake", t0, errno=code, detail=detail, rx=proto.rx)
    finally:
        if proto is not None:
            # (done is cancelled, not resolved, when our timeout interrupted the wait)
            shook_hands = done.done() and not done.cancelled() and done.result()[0] == "handshake"
            proto.shutdown(polite=shook_hands)
        if transport is not None:
            transport.close()


def _with(
    base: ProbeResult,
    status: Status,
    phase: str,
    t0: float,
    *,
    errno: int | None = None,
    detail: str = "",
    rx: int | None = None,
    alpn: str | None = None,
    quic_error: int | None = None,
) -> ProbeResult:
    return replace(
        base, status=status, phase=phase, errno=errno, detail=detail, datagrams_rx=rx,
        alpn=alpn, quic_error=quic_error, ms=round((time.perf_counter() - t0) * 1000, 1),
    )
