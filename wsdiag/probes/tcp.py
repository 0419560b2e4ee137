"""TCP connect, and optionally a TLS handshake with SNI: to one already-resolved address, or
through an HTTP proxy (CONNECT host:port), the way the WorkSpaces client reaches the sign-in
services on a network whose 443 goes through the OS proxy."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from wsdiag.model import ProbeResult, Status, Transport, Via
from wsdiag.probes.errors import status_of

if TYPE_CHECKING:
    from wsdiag.probes.tlsid import TrustSources

MAX_PROXY_HEAD = 8192  # the proxy's answer to CONNECT (status line + headers), bytes
_STATUS_LINE = re.compile(rb"^HTTP/\d(?:\.\d)?[ \t]+(\d{3})(?:[ \t].*)?$")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def tls_context() -> ssl.SSLContext:
    # The system trust store (SSL_CERT_FILE honoured): an untrusted chain usually means a
    # TLS-inspecting proxy, which the WorkSpaces client rejects; we record it, not fail on it.
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


async def probe_tcp(
    base: ProbeResult, timeout: float, ctx: ssl.SSLContext | None = None,
    trust: TrustSources | None = None, identify: bool = False,
) -> ProbeResult:
    """``base`` carries id/target/host/address/port; the result fills status and timings.
    TLS: with ``trust``, the handshake records the chain and judges it offline
    (:func:`wsdiag.probes.tlsid.signin_step`), else it verifies with ``ctx``. TCP with
    ``identify`` (the endpoint): after the connect, a handshake records what the address
    presents, within the same timeout; the TCP status is unchanged by it."""
    assert base.address is not None
    t0 = time.perf_counter()
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
            result = _with(base, Status.OPEN, "connect", None, "", t0, ms=connect_ms)
            left = t0 + timeout - time.perf_counter()
            if identify and left > 0.05:  # else not attempted: tls_seen stays None
                from wsdiag.probes.tlsid import identify_step

                result = await identify_step(result, writer, left)
            return result
        return await _tls(base, writer, ctx, t0 + timeout, t0, connect_ms, trust)
    finally:
        if writer is not None:
            # abort(): a graceful TLS close could wait on a silent peer.
            writer.transport.abort()


class ProxyDialer:
    """One HTTP proxy for one run. A name is resolved once, by the OS (getaddrinfo), as the
    client's own proxy setting is: hosts file, search domains and all, which the DNS probe's
    resolver (the VPC's, or --nameserver) is not meant to answer for."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._resolved: asyncio.Future[tuple[list[tuple[str, int]], OSError | None]] | None = None

    def label(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    async def addresses(self) -> tuple[list[tuple[str, int]], OSError | None]:
        with contextlib.suppress(ValueError):
            ipaddress.ip_address(self.host)
            return [(self.host, self.port)], None
        if self._resolved is None:
            self._resolved = _getaddrinfo_in_daemon_thread(self.host, self.port)
        # shield: one probe's timeout must not cancel the lookup the others share.
        return await asyncio.shield(self._resolved)


def _getaddrinfo_in_daemon_thread(
    host: str, port: int
) -> asyncio.Future[tuple[list[tuple[str, int]], OSError | None]]:
    """getaddrinfo without the loop's executor: asyncio.run() joins that executor's threads
    on the way out, so a hung OS resolver would hold the run past its deadline. A daemon
    thread is abandoned instead; its late answer goes nowhere. The outcome is a value, never
    a future exception, so an answer nobody awaits any more logs nothing."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[tuple[list[tuple[str, int]], OSError | None]] = loop.create_future()

    def deliver(value: tuple[list[tuple[str, int]], OSError | None]) -> None:
        if not fut.done():
            fut.set_result(value)

    def work() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            value: tuple[list[tuple[str, int]], OSError | None] = (
                list(dict.fromkeys((str(i[4][0]), int(i[4][1])) for i in infos)), None)
        except OSError as exc:
            value = ([], exc)
        except Exception as exc:  # e.g. UnicodeError for an odd name: still an answer
            value = ([], OSError(f"{exc.__class__.__name__}: {exc}"))
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            loop.call_soon_threadsafe(deliver, value)

    threading.Thread(target=work, name="wsdiag-proxy-resolve", daemon=True).start()
    return fut


async def probe_via_proxy(
    base: ProbeResult, timeout: float, proxy: ProxyDialer, ctx: ssl.SSLContext | None = None,
    trust: TrustSources | None = None,
) -> ProbeResult:
    """TCP to the proxy, ``CONNECT host:port``, then (TLS) a handshake with SNI = host, all
    within ``timeout``. No credentials are sent: the WorkSpaces client cannot send any."""
    base = replace(base, via=Via.PROXY, address=None)
    t0 = time.perf_counter()
    end = t0 + timeout
    where = f"proxy {proxy.label()}"

    try:
        async with asyncio.timeout(timeout):
            addresses, error = await proxy.addresses()
    except TimeoutError:
        return _with(base, Status.ERROR, "proxy-resolve", None,
                     f"{where}: its name did not resolve before the timeout", t0)
    if not addresses:
        if isinstance(error, socket.gaierror) and error.errno in _NO_SUCH_NAME:
            # A definite answer: the client cannot reach this proxy either.
            return _with(base, Status.UNREACHABLE, "proxy-resolve", error.errno,
                         f"{where}: the name does not resolve", t0)
        text = (error.strerror if error is not None else None) or "no address"
        code = error.errno if error is not None else None
        return _with(base, Status.ERROR, "proxy-resolve", code, f"{where}: {text}", t0)

    writer: asyncio.StreamWriter | None = None
    try:
        reader: asyncio.StreamReader | None = None
        last: BaseException = TimeoutError()
        dialled = ""
        for address, port in addresses:  # in the OS's order, as a client would try them
            left = end - time.perf_counter()
            if left <= 0:
                break
            try:
                async with asyncio.timeout(left):
                    reader, writer = await asyncio.open_connection(
                        address, port, limit=MAX_PROXY_HEAD)
                dialled = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
                break
            except (OSError, TimeoutError) as exc:
                last = exc
        if reader is None or writer is None:
            status, code, detail = status_of(last)
            return _with(base, status, "proxy-connect", code, f"{where}: {detail}", t0)

        target = f"{base.host}:{base.port}"
        try:
            async with asyncio.timeout(max(end - time.perf_counter(), 0.0)):
                writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"
                             .encode("ascii"))
                status_line = await _read_head(reader)
        except TimeoutError:
            return _with(base, Status.FILTERED, "proxy", None,
                         f"{where}: no answer to CONNECT before the timeout", t0)
        except _ProxyAnswer as exc:
            return _with(base, exc.status, "proxy", None, f"{where}: {exc}", t0)
        except OSError as exc:
            status, code, detail = status_of(exc)
            return _with(base, status, "proxy", code, f"{where}: {detail}", t0)
        m = _STATUS_LINE.match(status_line)
        if m is None:
            return _with(base, Status.ERROR, "proxy", None,
                         f"{where}: not an HTTP answer: '{printable(status_line)}'", t0)
        code = int(m.group(1))
        line = printable(status_line)
        if code == 407:
            return replace(_with(base, Status.REFUSED, "proxy", None,
                                 f"{where} requires authentication: '{line}'", t0),
                           proxy_status=code)
        if not 200 <= code < 300:
            return replace(_with(base, Status.REFUSED, "proxy", None,
                                 f"{where} refused CONNECT {target}: '{line}'", t0),
                           proxy_status=code)
        tunnel_ms = _ms(t0)  # through a proxy, the time until the tunnel stood
        base = replace(base, proxy_status=code)
        if base.transport is not Transport.TLS:
            return _with(base, Status.OPEN, "proxy", None, f"via {dialled}", t0, ms=tunnel_ms)
        result = await _tls(base, writer, ctx, end, t0, tunnel_ms, trust)
        return replace(result, detail="; ".join(x for x in (f"via {dialled}", result.detail) if x))
    finally:
        if writer is not None:
            writer.transport.abort()


# getaddrinfo's "no such name" codes (EAI_NODATA is not on every platform).
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


class _ProxyAnswer(Exception):
    """The proxy's answer ended early or broke a bound; carries the status to report."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    """The status line of the proxy's answer, after reading its headers: at most
    MAX_PROXY_HEAD bytes, so a proxy (or anything posing as one) cannot make us read on."""
    size = 0
    first: bytes | None = None
    while True:
        try:
            line = await reader.readline()
        except ValueError:  # one line longer than the stream's limit
            raise _ProxyAnswer(Status.ERROR, f"answer longer than {MAX_PROXY_HEAD} bytes") from None
        size += len(line)
        if size > MAX_PROXY_HEAD:
            raise _ProxyAnswer(Status.ERROR, f"answer longer than {MAX_PROXY_HEAD} bytes")
        if not line:
            # Closed on us: the proxy will not open this tunnel for the client either.
            raise _ProxyAnswer(Status.REFUSED, "closed the connection without an answer"
                               if first is None else "closed the connection mid-answer")
        if line in (b"\r\n", b"\n"):
            if first is None:
                continue  # tolerate a stray blank line before the status line
            return first
        if first is None:
            first = line.rstrip(b"\r\n")


def printable(data: bytes | str, limit: int = 120) -> str:
    """Network text for a report: printable ASCII only, and short."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    return _UNPRINTABLE.sub("?", text)[:limit]


async def _tls(
    base: ProbeResult, writer: asyncio.StreamWriter, ctx: ssl.SSLContext | None, end: float,
    t0: float, connect_ms: float, trust: TrustSources | None = None,
) -> ProbeResult:
    remaining = max(end - time.perf_counter(), 0.05)
    if trust is not None:
        from wsdiag.probes.tlsid import signin_step

        result, _ = await signin_step(base, writer, remaining, trust)
        return replace(result, ms=connect_ms)  # the connect (or tunnel) time, as below
    assert ctx is not None
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
