"""Small real servers for tests: TLS over TCP, plain TCP accept, and QUIC (aioquic).

They only prove that a path works: each accepts, completes its handshake, and is done. Use
them in-process (``start_*`` coroutines, port 0 reports the bound port) or as a process in a
network namespace::

    python -m tests.support.servers --tls 10.20.1.10:443 --quic 10.20.1.10:443 \\
        --tcp 198.51.100.10:4195 --cert server.pem --key server-key.pem

The process prints ``ready`` once every socket is bound and exits 0 on SIGTERM or SIGINT.
One socket per address, never a wildcard: a UDP server bound to 0.0.0.0 may answer from
another local address than the one dialled, which a stateful firewall then drops.
``serving`` runs that process for the length of a block (in this namespace), and
``answering_options`` are its options for a plan whose every target answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aioquic.asyncio.server import QuicServer, serve
from aioquic.quic.configuration import QuicConfiguration

from tests.support.processes import stop_process

Closable = asyncio.Server | QuicServer
REPO_ROOT = Path(__file__).resolve().parents[2]


async def _close_after_handshake(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # For a TLS server asyncio has completed the handshake before this runs; nothing more
    # is needed to prove the path, so end the connection at once.
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()


def tls_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def _bound_port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


async def start_tcp_server(host: str, port: int) -> tuple[asyncio.Server, int]:
    """Accept TCP connections and close them. Returns the server and its bound port."""
    server = await asyncio.start_server(_close_after_handshake, host, port, reuse_address=True)
    return server, _bound_port(server)


async def start_banner_server(
    host: str, port: int, banner: bytes = b"HTTP/1.1 400 Bad Request\r\n\r\n"
) -> tuple[asyncio.Server, int]:
    """Accept TCP, answer whatever arrives with ``banner`` (plain bytes, not TLS), close: a
    device that speaks HTTP on 443, or a service with a banner."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(5.0):
                await reader.read(1)
            writer.write(banner)
            await writer.drain()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    server = await asyncio.start_server(answer, host, port, reuse_address=True)
    return server, _bound_port(server)


async def start_tls_server(
    host: str, port: int, cert: str | Path, key: str | Path
) -> tuple[asyncio.Server, int]:
    """Accept TCP, complete a TLS handshake, close. Returns the server and its bound port."""
    server = await asyncio.start_server(
        _close_after_handshake,
        host,
        port,
        ssl=tls_context(cert, key),
        # A client that only connects (a TCP probe) would otherwise hold the slot for 60 s.
        ssl_handshake_timeout=5.0,
        reuse_address=True,
    )
    return server, _bound_port(server)


async def start_quic_server(
    host: str,
    port: int,
    cert: str | Path,
    key: str | Path,
    alpn: Sequence[str] = ("h3",),
) -> tuple[QuicServer, int]:
    """A real QUIC server: handshakes with the given ALPN complete, nothing else is served."""
    config = QuicConfiguration(is_client=False, alpn_protocols=list(alpn))
    config.load_cert_chain(str(cert), str(key))
    server = await serve(host, port, configuration=config)
    transport: Any = server._transport  # aioquic keeps no public handle on its socket
    return server, int(transport.get_extra_info("sockname")[1])


@dataclass
class ServerSet:
    """Servers started together and closed together."""

    servers: list[Closable] = field(default_factory=list)
    bound: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, host, port)

    def close(self) -> None:
        for server in self.servers:
            server.close()
        self.servers.clear()


@dataclass(frozen=True)
class Listen:
    kind: str  # "tls" | "tcp" | "quic"
    host: str
    port: int


async def start_all(
    listens: Sequence[Listen], cert: str | Path | None, key: str | Path | None
) -> ServerSet:
    """Start every listener; on any failure close those already started and re-raise."""
    result = ServerSet()
    try:
        for spec in listens:
            server: Closable
            if spec.kind == "tcp":
                server, port = await start_tcp_server(spec.host, spec.port)
            else:
                if cert is None or key is None:
                    raise ValueError(f"--{spec.kind} needs --cert and --key")
                if spec.kind == "tls":
                    server, port = await start_tls_server(spec.host, spec.port, cert, key)
                elif spec.kind == "quic":
                    server, port = await start_quic_server(spec.host, spec.port, cert, key)
                else:
                    raise ValueError(f"unknown listener kind {spec.kind!r}")
            result.servers.append(server)
            result.bound.append((spec.kind, spec.host, port))
    except BaseException:
        result.close()
        raise
    return result


@contextlib.asynccontextmanager
async def running(
    listens: Sequence[Listen], cert: str | Path | None = None, key: str | Path | None = None
) -> AsyncIterator[ServerSet]:
    servers = await start_all(listens, cert, key)
    try:
        yield servers
    finally:
        servers.close()


def parse_hostport(text: str) -> tuple[str, int]:
    """``IP:PORT`` or ``[IPv6]:PORT``."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"expected IP:PORT, got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return host, int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad port in {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.support.servers", description=__doc__)
    for kind in ("tls", "tcp", "quic"):
        p.add_argument(
            f"--{kind}", action="append", default=[], type=parse_hostport, metavar="IP:PORT"
        )
    p.add_argument("--cert", help="PEM certificate chain (leaf first)")
    p.add_argument("--key", help="PEM private key")
    return p


async def _serve_until_signalled(listens: list[Listen], cert: str | None, key: str | None) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running(listens, cert, key):
        # The parent waits for this line: every socket is bound when it appears.
        print("ready", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    listens = [
        Listen(kind, host, port)
        for kind in ("tls", "tcp", "quic")
        for host, port in getattr(args, kind)
    ]
    if not listens:
        print("nothing to serve: give --tls, --tcp or --quic", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve_until_signalled(listens, args.cert, args.key))
    except OSError as exc:
        print(f"servers: {exc}", file=sys.stderr)
        return 1
    return 0


def answering_options(endpoint: Sequence[str], auth: str, health: str) -> list[str]:
    """``serving`` options for every target of a plan answering: TLS and QUIC on 443 and
    4195 of each ``endpoint`` address, TLS and QUIC on 443 of ``auth`` (the sign-in names),
    plain TCP and QUIC on 4195 of ``health`` (the health check)."""
    options: list[str] = []
    for addr in endpoint:
        options += ["--tls", f"{addr}:443", "--tls", f"{addr}:4195"]
        options += ["--quic", f"{addr}:443", "--quic", f"{addr}:4195"]
    options += ["--tls", f"{auth}:443", "--quic", f"{auth}:443"]
    options += ["--tcp", f"{health}:4195", "--quic", f"{health}:4195"]
    return options


@contextlib.contextmanager
def serving(
    options: Sequence[str], cert: str | Path, key: str | Path
) -> Iterator[subprocess.Popen[str]]:
    """``python -m tests.support.servers *options --cert cert --key key`` as a child process
    for the length of the block, entered once it printed ``ready``; RuntimeError (with what
    it said instead and its exit status) when it did not start. Stopped at the end, also on
    failure (SIGTERM, then SIGKILL after 10 s)."""
    files = ("--cert", str(cert), "--key", str(key))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.servers", *options, *files],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"servers did not start (said {line!r}, exit {proc.poll()})")
        yield proc
    finally:
        stop_process(proc, grace=10)


if __name__ == "__main__":
    sys.exit(main())
