"""Did a real QUIC peer answer? Decided by a pure function over recorded facts.

The facts come from aioquic's public qlog interface (``QuicLogger``): a packet is logged
as ``transport:packet_received`` only once it decrypted (or was a version negotiation or
retry packet, which only a QUIC stack sends), and a peer's CONNECTION_CLOSE appears as a
frame of such a packet at once, not after aioquic's ~0.6 s draining period. Raw datagram
counts are not enough: a UDP echo service or a middlebox could send anything.

- handshake completed                        -> open (ALPN recorded)
- the peer's CONNECTION_CLOSE                 -> open: a QUIC stack answered; code recorded
- a version negotiation packet               -> open: a QUIC stack answered
- ICMP port unreachable / net unreachable ... -> refused / unreachable (the error map)
- a decrypted packet, then the timeout        -> open, the handshake did not finish
- silence (or only garbage) until the timeout -> filtered
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wsdiag.probes.errors import failure_of
from wsdiag.vocab.model import Fault, Status

_PEER_PACKET = "transport:packet_received"


@dataclass(frozen=True)
class Heard:
    """What the peer sent that only a QUIC stack could have sent."""

    packets: int = 0  # packets that decrypted (or version negotiation / retry)
    close_code: int | None = None  # the peer's CONNECTION_CLOSE error code
    close_reason: str = ""
    version_negotiation: bool = False


@dataclass(frozen=True)
class Facts:
    heard: Heard = Heard()
    handshake: bool = False  # aioquic's HandshakeCompleted event
    alpn: str | None = None
    error: BaseException | None = None  # a socket error (ICMP) on send or receive


@dataclass(frozen=True)
class Decision:
    status: Status
    detail: str = ""
    errno: int | None = None
    alpn: str | None = None
    quic_error: int | None = None
    cause: Fault = Fault.NONE


def heard(events: Iterable[Mapping[str, Any]]) -> Heard:
    """Fold qlog events (``QuicLoggerTrace.to_dict()["events"]``) into what the peer said."""
    packets, code, reason, vn = 0, None, "", False
    for event in events:
        if event.get("name") != _PEER_PACKET:
            continue
        data = event.get("data") or {}
        packets += 1
        if (data.get("header") or {}).get("packet_type") == "version_negotiation":
            vn = True
        for frame in data.get("frames") or ():
            if frame.get("frame_type") == "connection_close" and code is None:
                code, reason = int(frame.get("error_code", 0)), str(frame.get("reason") or "")
    return Heard(packets, code, reason, vn)


def decide(facts: Facts, timed_out: bool) -> Decision | None:
    """The probe's outcome, or None while the evidence is not in (keep waiting)."""
    if facts.handshake:
        return Decision(Status.OPEN, alpn=facts.alpn)
    h = facts.heard
    if h.close_code is not None:
        why = f" ({h.close_reason})" if h.close_reason else ""
        return Decision(
            Status.OPEN,
            quic_error=h.close_code,
            detail=f"a QUIC server answered and closed: code 0x{h.close_code:x}{why}",
        )
    if h.version_negotiation:
        return Decision(Status.OPEN, detail="a QUIC server answered with version negotiation")
    if facts.error is not None:
        f = failure_of(facts.error)
        return Decision(f.status, detail=f.detail, errno=f.errno, cause=f.cause)
    if not timed_out:
        return None
    if h.packets:
        return Decision(Status.OPEN, detail="a QUIC server answered; the handshake did not finish")
    return Decision(
        Status.FILTERED, detail="no QUIC answer before the timeout", cause=Fault.TIMEOUT
    )
