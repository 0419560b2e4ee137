"""A small real HTTP CONNECT proxy for tests, on loopback (asyncio).

Modes (``HttpProxy.mode``, changeable between runs like ``DnsServer.zone``):

- ``relay``: ``200 Connection established``, then bytes both ways to the upstream
- ``auth``: ``407 Proxy Authentication Required`` (it never accepts credentials)
- ``forbid``: ``403 Forbidden``, as a proxy whose allow-list lacks the host
- ``silent``: reads the CONNECT, never answers
- ``flood``: a status line, then headers without end (a bound must stop the reader)
- ``close``: reads the CONNECT, closes without a word
- ``continue``: ``100 Continue`` (an interim answer, RFC 9110 15.2), then as ``relay``
- ``trailing``: ``200`` and, in the same write, bytes that are not TLS (the tunnel's start)
- ``ssl-ports``: squid's default ``http_access deny CONNECT !SSL_ports``: ``403`` for a
  CONNECT to any port but 443, else as ``relay``

``upstream`` stands for the proxy's own DNS: every CONNECT goes to that address (the port
as requested), whatever the name; without it, to the name itself. ``names`` (host -> address)
overrides it per name, as a proxy resolving a private name to the VPC endpoint would.
Use it in a coroutine (``await proxy.start(host, 0)``, ``proxy.close()``), in a thread of
the test process (``with ThreadedProxy(host, ...) as proxy:``), or as a process::

    python -m tests.support.proxy --listen 127.0.0.1:3128 --mode relay --upstream 127.0.0.2

which prints ``ready PORT`` once bound and exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Sequence

RELAY, AUTH, FORBID, SILENT, FLOOD, CLOSE = "relay", "auth", "forbid", "silent", "flood", "close"
CONTINUE, TRAILING, SSL_PORTS = "continue", "trailing", "ssl-ports"
MODES = (RELAY, AUTH, FORBID, SILENT, FLOOD, CLOSE, CONTINUE, TRAILING, SSL_PORTS)
_ANSWERS = {
    AUTH: b"HTTP/1.1 407 Proxy Authentication Required\r\n"
    b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n',
    FORBID: b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
}
MAX_REQUEST = 16384


class HttpProxy:
    def __init__(self, mode: str = RELAY, upstream: str | None = None) -> None:
        assert mode in MODES, mode
        self.mode = mode
        self.upstream = upstream
        self.names: dict[str, str] = {}
        self.requests: list[str] = []  # request lines, e.g. "CONNECT host:443 HTTP/1.1"
        self.headers: list[list[str]] = []  # header lines of each request
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, host, port, reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self) -> None:
        """close(), then wait for every open tunnel to be torn down."""
        tasks = list(self._tasks)
        self.close()
        await asyncio.gather(*tasks, return_exceptions=True)

    def targets(self) -> list[str]:
        """The host:port of every CONNECT seen."""
        return [r.split()[1] for r in self.requests if r.startswith("CONNECT ")]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > MAX_REQUEST:
                return
            lines = head.decode("latin-1").split("\r\n")
            self.requests.append(lines[0])
            self.headers.append([x for x in lines[1:] if x])
            if self.mode in _ANSWERS:
                writer.write(_ANSWERS[self.mode])
                await writer.drain()
                return
            if self.mode == CLOSE:
                return
            if self.mode == SILENT:
                await reader.read()  # until the client gives up
                return
            if self.mode == TRAILING:
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\nSSH-2.0-not-tls\r\n")
                await writer.drain()
                await reader.read()
                return
            if self.mode == FLOOD:
                writer.write(b"HTTP/1.1 200 Connection established\r\n")
                for _ in range(64):
                    writer.write(b"X-Pad: " + b"a" * 1024 + b"\r\n")
                    await writer.drain()
                await reader.read()
                return
            method, target, _ = lines[0].split(" ", 2)
            host, _, port = target.rpartition(":")
            if method != "CONNECT":
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            if self.mode == SSL_PORTS and port != "443":
                writer.write(_ANSWERS[FORBID])
                await writer.drain()
                return
            try:
                up_reader, upstream_writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        self.names.get(host) or self.upstream or host, int(port)
                    ),
                    5,
                )
            except (OSError, TimeoutError):
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            if self.mode == CONTINUE:
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pump(reader, upstream_writer), _pump(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self._tasks.discard(task)
            for w in (writer, upstream_writer):
                if w is not None:
                    w.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()  # one side ended: so does the tunnel


class ThreadedProxy(HttpProxy):
    """The proxy on its own event loop in a daemon thread: for tests that run wsdiag as a
    process. Stopped (server closed, tunnels cancelled, thread joined) on leaving the block."""

    def __init__(
        self, host: str, mode: str = RELAY, upstream: str | None = None, port: int = 0
    ) -> None:
        super().__init__(mode, upstream)
        self.host = host
        self._want_port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ThreadedProxy:
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(
                self.start(self.host, self._want_port), self._loop
            ).result(10)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.aclose(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()


async def _serve(
    host: str, port: int, mode: str, upstream: str | None, names: dict[str, str] | None = None
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    proxy = HttpProxy(mode, upstream)
    proxy.names = dict(names or {})
    bound = await proxy.start(host, port)
    print(f"ready {bound}", flush=True)
    try:
        await stop.wait()
    finally:
        await proxy.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.support.proxy", description=__doc__)
    p.add_argument("--listen", required=True, metavar="IP:PORT")
    p.add_argument("--mode", choices=MODES, default=RELAY)
    p.add_argument("--upstream", metavar="IP", help="send every CONNECT to this address")
    p.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="HOST=IP",
        help="send CONNECTs to HOST to IP (the proxy's own DNS); repeatable",
    )
    args = p.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    names = dict(x.split("=", 1) for x in args.name if "=" in x)
    try:
        asyncio.run(_serve(host, int(port), args.mode, args.upstream, names))
    except OSError as exc:
        print(f"proxy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
