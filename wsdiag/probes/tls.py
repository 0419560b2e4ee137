"""The TLS step: a handshake with SNI = host over any byte stream (a TCP connection, or
an HTTP CONNECT tunnel), certificate trust recorded, never fatal to reachability.

The handshake runs over memory BIOs rather than ``StreamWriter.start_tls``, so bytes that
already arrived on the stream (a proxy's bytes after its ``200``) are fed to TLS first,
as the start of the peer's stream, instead of being stranded in the plaintext reader.
"""

from __future__ import annotations

import asyncio
import ssl
import time

from wsdiag.budgets import TLS_MIN_BUDGET
from wsdiag.model import Phase, ProbeResult, Status
from wsdiag.probes.errors import status_of
from wsdiag.probes.outcome import outcome

_READ = 65536


def tls_context() -> ssl.SSLContext:
    # The system trust store (SSL_CERT_FILE honoured): an untrusted chain usually means a
    # TLS-inspecting proxy, which the WorkSpaces client rejects; we record it, not fail on it.
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


async def _handshake(obj: ssl.SSLObject, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO,
                     reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        else:
            if data := outgoing.read():
                writer.write(data)
            return
        if data := outgoing.read():
            writer.write(data)
            await writer.drain()
        chunk = await reader.read(_READ)
        if chunk:
            incoming.write(chunk)
        else:
            incoming.write_eof()  # the next do_handshake raises SSLEOFError


async def tls_step(
    base: ProbeResult, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
    ctx: ssl.SSLContext, end: float, t0: float, connect_ms: float, initial: bytes = b"",
) -> ProbeResult:
    """Handshake with SNI = ``base.host`` until ``end`` (a perf_counter time). OPEN with
    ``tls_trusted`` True/False once the server's certificate arrived (an untrusted chain
    proves the path); ERROR for a TLS failure; a socket error or silence by its status."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    incoming.write(initial)
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=base.host)
    try:
        async with asyncio.timeout(max(end - time.perf_counter(), TLS_MIN_BUDGET)):
            await _handshake(obj, incoming, outgoing, reader, writer)
    except ssl.SSLCertVerificationError as exc:
        # The server sent its certificate: the path works, the chain is not trusted.
        detail = f"certificate not trusted: {exc.verify_message}"
        return outcome(base, Status.OPEN, Phase.TLS, t0, detail=detail, ms=connect_ms,
                       trusted=False)
    except ssl.SSLError as exc:
        why = exc.reason or exc.__class__.__name__
        return outcome(base, Status.ERROR, Phase.TLS, t0, detail=f"TLS failed: {why}")
    except (OSError, TimeoutError) as exc:
        status, code, detail = status_of(exc)
        return outcome(base, status, Phase.TLS, t0, errno=code, detail=f"TLS: {detail}",
                       ms=connect_ms)
    return outcome(base, Status.OPEN, Phase.TLS, t0, ms=connect_ms, trusted=True)
