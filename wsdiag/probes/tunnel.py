"""The HTTP CONNECT tunnel: a layer under the same TCP/TLS steps, the way the WorkSpaces
client reaches the sign-in services on a network whose 443 goes through the OS proxy.

TCP to the proxy, ``CONNECT host:port``, the proxy's answer read by the pure
``parse_connect_answer``; then, for a TLS check, ``tls_step`` over the tunnel, fed first
with whatever the proxy sent after its final head.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from wsdiag.budgets import PROXY_RESOLVE_TIMEOUT, TLS_MIN_BUDGET
from wsdiag.clock import ms_since
from wsdiag.probes.connect_answer import State, parse_connect_answer, printable, refusal_words
from wsdiag.probes.errors import failure_of
from wsdiag.probes.osdns import AddrInfo, getaddrinfo_in_daemon_thread
from wsdiag.probes.outcome import failed, outcome
from wsdiag.probes.tls import identify_step, tls_step
from wsdiag.vocab.model import DnsOutcome, DnsSpec, Fault, Phase, Status, Via
from wsdiag.vocab.results import ProbeResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wsdiag.probes.dns_query import Server
    from wsdiag.probes.tls import Trust

# getaddrinfo's "no such name" codes (EAI_NODATA is not on every platform).
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
_READ = 4096


class ProxyDialer:
    """One HTTP proxy for one run. A name is resolved once, by the OS (getaddrinfo), as the
    client's own proxy setting is: hosts file, search domains and all. With ``nameservers``
    (--nameserver: ``[(ip, port)]``) the run was told which resolvers to use, and the OS is
    never asked: the name is looked up (A, then AAAA) through those servers, or reported
    unresolvable by them."""

    def __init__(self, host: str, port: int, nameservers: Sequence[Server] = ()) -> None:
        self.host, self.port = host, port
        self.nameservers = tuple(nameservers)
        self._resolved: asyncio.Future[tuple[AddrInfo, OSError | None]] | None = None

    def label(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    async def addresses(
        self, timeout: float = PROXY_RESOLVE_TIMEOUT
    ) -> tuple[list[tuple[str, int]], OSError | None]:
        """The proxy's addresses in dialling order, or ``([], why)``. ``timeout`` (s) bounds
        a lookup through --nameserver (the first caller's; later callers share it)."""
        with contextlib.suppress(ValueError):
            ipaddress.ip_address(self.host)
            return [(self.host, self.port)], None
        if self._resolved is None:
            if self.nameservers:
                self._resolved = asyncio.ensure_future(self._by_nameservers(timeout))
            else:
                # by the OS, in a daemon thread a hung resolver cannot hold the run with
                self._resolved = getaddrinfo_in_daemon_thread(self.host, self.port)
        # shield: one probe's timeout must not cancel the lookup the others share.
        infos, error = await asyncio.shield(self._resolved)
        return [(address, self.port) for address, _ in infos], error

    async def _by_nameservers(self, timeout: float) -> tuple[AddrInfo, OSError | None]:
        from wsdiag.probes.dns import resolve
        from wsdiag.probes.dns_query import server_text

        asked = ", ".join(server_text(s) for s in self.nameservers)
        results = await asyncio.gather(
            *(
                resolve(
                    self.nameservers,
                    DnsSpec(f"proxy/dns/{t}", "proxy", self.host, t, timeout),
                    timeout,
                )
                for t in ("A", "AAAA")
            )
        )
        found: AddrInfo = [
            (address, int(socket.AF_INET6 if ":" in address else socket.AF_INET))
            for r in results
            for address in r.addresses
        ]
        if found:
            return found, None
        if all(r.outcome in (DnsOutcome.NXDOMAIN, DnsOutcome.NO_ANSWER) for r in results):
            return [], socket.gaierror(
                socket.EAI_NONAME, f"the name does not resolve (asked {asked}: --nameserver)"
            )
        return [], OSError(None, f"its name did not resolve through {asked}: {results[0].detail}")


async def _resolve(
    base: ProbeResult, proxy: ProxyDialer, timeout: float, t0: float, where: str
) -> list[tuple[str, int]] | ProbeResult:
    try:
        async with asyncio.timeout(timeout):
            addresses, error = await proxy.addresses(timeout)
    except TimeoutError:
        return outcome(
            base,
            Status.ERROR,
            Phase.PROXY_RESOLVE,
            t0,
            detail=f"{where}: its name did not resolve before the timeout",
        )
    if addresses:
        return addresses
    if isinstance(error, socket.gaierror) and error.errno in _NO_SUCH_NAME:
        # A definite answer: the client cannot reach this proxy either.
        said = (
            error.strerror if proxy.nameservers and error.strerror else "the name does not resolve"
        )
        return outcome(
            base,
            Status.UNREACHABLE,
            Phase.PROXY_RESOLVE,
            t0,
            errno=error.errno,
            detail=f"{where}: {said}",
        )
    text = (error.strerror if error is not None else None) or "no address"
    code = error.errno if error is not None else None
    return outcome(
        base, Status.ERROR, Phase.PROXY_RESOLVE, t0, errno=code, detail=f"{where}: {text}"
    )


async def _dial(
    addresses: list[tuple[str, int]], end: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str] | BaseException:
    """The first proxy address (in the OS's order, as a client tries them) that accepts."""
    last: BaseException = TimeoutError()
    for address, port in addresses:
        left = end - time.perf_counter()
        if left <= 0:
            break
        try:
            async with asyncio.timeout(left):
                reader, writer = await asyncio.open_connection(address, port)
        except (OSError, TimeoutError) as exc:
            last = exc
            continue
        return reader, writer, f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    return last


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bytes] | tuple[Status, str]:
    """(code, status line, bytes after the head), or (status, problem) for no usable answer."""
    data = b""
    while True:
        chunk = await reader.read(_READ)
        data += chunk
        got = parse_connect_answer(data, eof=not chunk)
        if got.state is State.FINAL:
            assert got.code is not None
            return got.code, got.line, got.rest
        if got.state is State.BAD:
            assert got.status is not None
            return got.status, got.problem


async def probe_via_proxy(
    base: ProbeResult,
    timeout: float,
    proxy: ProxyDialer,
    ctx: ssl.SSLContext | None = None,
    trust: Trust | None = None,
    identify: bool = False,
) -> ProbeResult:
    """TCP to the proxy, ``CONNECT host:port``, then (with ``ctx``) a handshake with
    SNI = host, all within ``timeout``; plain TCP with ``identify`` (the endpoint's
    ``…@proxy`` probes): the same identity handshake as the direct endpoint probes, through
    the tunnel (``tls.identify_step``; the status is the tunnel's). No credentials are sent:
    the WorkSpaces client cannot send any."""
    base = replace(base, via=Via.PROXY, address=None)
    t0 = time.perf_counter()
    end = t0 + timeout
    where = f"proxy {proxy.label()}"
    addresses = await _resolve(base, proxy, timeout, t0, where)
    if isinstance(addresses, ProbeResult):
        return addresses
    dialled = await _dial(addresses, end)
    if isinstance(dialled, BaseException):
        return failed(base, failure_of(dialled), Phase.PROXY_CONNECT, t0, where=f"{where}: ")
    reader, writer, via = dialled
    try:
        return await _through(base, reader, writer, ctx, end, t0, where, via, trust, identify)
    finally:
        writer.transport.abort()


async def _through(
    base: ProbeResult,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    ctx: ssl.SSLContext | None,
    end: float,
    t0: float,
    where: str,
    via: str,
    trust: Trust | None = None,
    identify: bool = False,
) -> ProbeResult:
    target = f"{base.host}:{base.port}"
    try:
        async with asyncio.timeout(max(end - time.perf_counter(), 0.0)):
            writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode("ascii"))
            got = await _answer(reader)
    except TimeoutError:
        return outcome(
            base,
            Status.FILTERED,
            Phase.PROXY,
            t0,
            cause=Fault.TIMEOUT,
            detail=f"{where}: no answer to CONNECT before the timeout",
        )
    except OSError as exc:
        return failed(base, failure_of(exc), Phase.PROXY, t0, where=f"{where}: ")
    if isinstance(got[0], Status):
        return outcome(base, got[0], Phase.PROXY, t0, detail=f"{where}: {got[1]!s}")
    code, line, rest = got
    shown = printable(line)
    if not 200 <= code < 300:
        # 403/405 the proxy's policy, 5xx its own reach, 407 credentials (connect_answer)
        return replace(
            outcome(
                base,
                Status.REFUSED,
                Phase.PROXY,
                t0,
                detail=f"{where} {refusal_words(code, target)}: '{shown}'",
            ),
            proxy_status=code,
        )
    tunnel_ms = ms_since(t0)  # through a proxy, the time until the tunnel stood
    base = replace(base, proxy_status=code)
    if ctx is None and trust is None:
        result = outcome(base, Status.OPEN, Phase.PROXY, t0, detail=f"via {via}", ms=tunnel_ms)
        if identify and end - time.perf_counter() > TLS_MIN_BUDGET:
            result = await identify_step(result, reader, writer, end, initial=rest)
        return result
    result = await tls_step(
        base, reader, writer, ctx, end, t0, tunnel_ms, initial=rest, trust=trust
    )
    return replace(result, detail="; ".join(x for x in (f"via {via}", result.detail) if x))
