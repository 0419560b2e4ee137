"""TCP connect, and optionally a TLS handshake with SNI, to one already-resolved address."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import replace

from wsdiag.model import ProbeResult, Status, Transport
from wsdiag.netmap import status_of


def tls_context() -> ssl.SSLContext:
    # The system trust store (SSL_CERT_FILE honoured): an untrusted chain usually means a
    # TLS-inspecting proxy, which the WorkSpaces client rejects; we record it, not fail on it.
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


async def probe_tcp(
    base: ProbeResult, timeout: float, ctx: ssl.SSLContext | None = None
) -> ProbeResult:
    """``base`` carries id/target/host/address/port; the result fills status and timings."""
    assert base.address is not None
    t0 = time.perf_counter()
    loop_deadline = t0 + timeout
    writer: asyncio.StreamWriter | None = None
    try:
        try:
            async with asyncio.timeout(timeout):
                _, writer = await asyncio.open_connection(base.address, base.port)
        except (OSError, TimeoutError) as exc:
            status, code, detail = status_of(exc)
            return _with(base, status, "connect", code, detail, t0)
        connect_ms = _ms(t0)
        if base.transport is not Transport.TLS:
            return _with(base, Status.OPEN, "connect", None, "", t0, ms=connect_ms)
        assert ctx is not None
        remaining = max(loop_deadline - time.perf_counter(), 0.05)
        try:
            async with asyncio.timeout(remaining):
                await writer.start_tls(ctx, server_hostname=base.host)
        except ssl.SSLCertVerificationError as exc:
            # The server sent its certificate: the path works, the chain is not trusted.
            detail = f"certificate not trusted: {exc.verify_message}"
            return _with(base, Status.OPEN, "tls", None, detail, t0, ms=connect_ms, trusted=False)
        except ssl.SSLError as exc:
            return _with(base, Status.ERROR, "tls", None, f"TLS failed: {exc.reason}", t0)
        except (OSError, TimeoutError) as exc:
            status, code, detail = status_of(exc)
            return _with(base, status, "tls", code, f"TLS: {detail}", t0, ms=connect_ms)
        return _with(base, Status.OPEN, "tls", None, "", t0, ms=connect_ms, trusted=True)
    finally:
        if writer is not None:
            # abort(): a graceful TLS close could wait on a silent peer.
            writer.transport.abort()


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


def _with(
    base: ProbeResult,
    status: Status,
    phase: str,
    code: int | None,
    detail: str,
    t0: float,
    ms: float | None = None,
    trusted: bool | None = None,
) -> ProbeResult:
    return replace(
        base, status=status, phase=phase, errno=code, detail=detail,
        ms=ms if ms is not None else _ms(t0), tls_trusted=trusted,
    )
