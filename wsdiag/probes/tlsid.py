"""A TLS handshake that records what the server presented instead of judging it.

``start_tls_capture`` upgrades an open stream (direct TCP, or a CONNECT tunnel) with
verification OFF and SNI = the name the client would send, and returns what was seen: the
DER chain, or why there was none (not TLS at all, a TLS alert, a reset, silence). Trust is
judged afterwards and offline (:mod:`wsdiag.probes.certs`, :mod:`wsdiag.host.trust`), so one
handshake serves identity, interception and OS trust alike.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass

from wsdiag.probes.certs import (
    Seen,
    context_without_verification,
    seen_of_ssl_reason,
    unverified_chain,
)
from wsdiag.probes.errors import status_of

_CTX: ssl.SSLContext | None = None


def _context() -> ssl.SSLContext:
    # One context per process: creating one costs more than a loopback handshake.
    global _CTX
    if _CTX is None:
        _CTX = context_without_verification()
    return _CTX


@dataclass(frozen=True)
class Handshake:
    seen: Seen
    chain: tuple[bytes, ...] = ()  # DER, leaf first, with Seen.CERT
    detail: str = ""  # why not: the alert, the error, "no answer before the timeout"
    ms: float | None = None  # handshake time, when it completed


async def start_tls_capture(
    writer: asyncio.StreamWriter, server_hostname: str, timeout: float
) -> Handshake:
    """TLS over ``writer``'s open connection within ``timeout`` seconds. Never raises for
    network reasons; the caller still owns (and aborts) the transport."""
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(max(timeout, 0.05)):
            await writer.start_tls(_context(), server_hostname=server_hostname)
    except ssl.SSLError as exc:
        seen = seen_of_ssl_reason(exc.reason)
        if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            seen = Seen.CLOSED
        return Handshake(seen, detail=f"TLS failed: {exc.reason or exc}")
    except TimeoutError:
        return Handshake(Seen.NONE, detail="no TLS answer before the timeout")
    except ConnectionError as exc:  # reset or closed mid-handshake
        return Handshake(Seen.CLOSED, detail=f"TLS: {status_of(exc)[2]}")
    except OSError as exc:
        return Handshake(Seen.NONE, detail=f"TLS: {status_of(exc)[2]}")
    ms = round((time.perf_counter() - t0) * 1000, 1)
    sslobj = writer.transport.get_extra_info("ssl_object")
    chain = unverified_chain(sslobj) if sslobj is not None else []
    if not chain:
        return Handshake(Seen.NONE, detail="the handshake completed without a certificate", ms=ms)
    return Handshake(Seen.CERT, tuple(chain), ms=ms)
