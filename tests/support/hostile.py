"""Misbehaving peers on loopback, for the hostile-peer suite: a DNS server (UDP and TCP on
one port) and TCP peers that stall, drip or talk nonsense. Packets are built by dnspython.

DNS behaviours, by name in ``zone``:
    ("many", n)        n A records: UDP answers truncated (TC), TCP gives all n
    ("tc-stall",)      UDP answers TC; the TCP side accepts and never answers
    ("tc-drip",)       UDP answers TC; the TCP side sends its answer one byte at a time
    ("cname-loop",)    name -> CNAME loop-b.<name> -> CNAME name
    ("wrong-owner", ip, other) the name's own A record ip, plus one owned by an unrelated
                       name (other): only the first may count
    ("slow", s, ips)   the answer after s seconds
    ("garbage",)       random bytes instead of a DNS message
    ("answer", ips)    a plain answer

TCP peer behaviours (one per listening port): "stall" (accept, read, never write), "garbage"
(answer any bytes with a text line), "drip" (one byte of garbage every 0.2 s, forever),
"reset" (accept, then close with RST), "close" (read the ClientHello, close with FIN).

``check_argv`` is the `wsdiag check` run against them (tests/test_hostile.py,
tests/test_bounded.py, bench/bench_bounded.py), ``assert_reported`` what every such run
must end with.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.rrset


def _records(query: dns.message.Message, behaviour: tuple[Any, ...]) -> dns.message.Message:
    q = query.question[0]
    reply = dns.message.make_response(query)
    reply.flags |= dns.flags.AA
    kind = behaviour[0]
    if q.rdtype != dns.rdatatype.A and kind not in ("cname-loop",):
        return reply  # NODATA for AAAA and the rest
    if kind == "many":
        ips = [f"127.{100 + i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(behaviour[1])]
        reply.answer.append(dns.rrset.from_text_list(q.name, 60, "IN", "A", ips))
    elif kind == "cname-loop":
        other = dns.name.from_text("loop-b", q.name)
        reply.answer.append(dns.rrset.from_text(q.name, 60, "IN", "CNAME", other.to_text()))
        reply.answer.append(dns.rrset.from_text(other, 60, "IN", "CNAME", q.name.to_text()))
    elif kind == "wrong-owner":
        reply.answer.append(dns.rrset.from_text(q.name, 60, "IN", "A", behaviour[1]))
        reply.answer.append(dns.rrset.from_text("unrelated.example.", 60, "IN", "A", behaviour[2]))
    elif kind == "slow":
        reply.answer.append(dns.rrset.from_text_list(q.name, 60, "IN", "A", behaviour[2]))
    elif kind == "answer":
        reply.answer.append(dns.rrset.from_text_list(q.name, 60, "IN", "A", behaviour[1]))
    return reply


@dataclass
class HostileDns:
    """UDP and TCP DNS on ``host``: one port, behaviours per name (see the module doc)."""

    host: str
    zone: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    port: int = 0

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("hostile DNS server did not start")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _behaviour(self, query: dns.message.Message) -> tuple[Any, ...]:
        name = query.question[0].name.to_text(omit_final_dot=True).lower()
        return self.zone.get(name, ("answer", []))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        self._tcp = await asyncio.start_server(self._tcp_client, self.host, self.port)
        self.port = self._tcp.sockets[0].getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((self.host, self.port))
        self._udp, _ = await self._loop.create_datagram_endpoint(lambda: _Udp(self), sock=udp)

    async def udp_reply(self, data: bytes, peer: Any, transport: Any) -> None:
        try:
            query = dns.message.from_wire(data)
        except Exception:
            return
        b = self._behaviour(query)
        if b[0] == "garbage":
            transport.sendto(os.urandom(64), peer)
            return
        if b[0] == "slow":
            await asyncio.sleep(b[1])
        reply = _records(query, b)
        if b[0] in ("tc-stall", "tc-drip"):
            reply = dns.message.make_response(query)
            reply.flags |= dns.flags.TC
        try:
            # to_wire() stops at the query's EDNS payload size (1,232 from wsdiag), raising
            wire = reply.to_wire(max_size=65535)
        except dns.exception.TooBig:
            wire = b""
        if not wire or len(wire) > 512:  # a big answer over UDP (RFC 1035 4.2.1): TC, empty
            short = dns.message.make_response(query)
            short.flags |= dns.flags.TC
            wire = short.to_wire()
        transport.sendto(wire, peer)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            size = struct.unpack("!H", await reader.readexactly(2))[0]
            query = dns.message.from_wire(await reader.readexactly(size))
            b = self._behaviour(query)
            if b[0] == "tc-stall":
                await asyncio.sleep(3600)
            wire = _records(query, b).to_wire(max_size=65535)
            framed = struct.pack("!H", len(wire)) + wire
            if b[0] == "tc-drip":
                for i in range(len(framed)):
                    writer.write(framed[i : i + 1])
                    await writer.drain()
                    await asyncio.sleep(0.2)
            writer.write(framed)
            await writer.drain()
        except Exception:
            pass
        finally:
            writer.transport.abort()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _stop(self) -> None:
        self._tcp.close()
        self._udp.close()
        await _cancel_others()

    def __enter__(self) -> HostileDns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: HostileDns) -> None:
        self.server = server
        self.transport: Any = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        task = asyncio.ensure_future(self.server.udp_reply(data, addr, self.transport))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def _cancel_others() -> None:
    """Cancel every task of this loop but the caller's and wait for them, so none is left
    to run (and warn) after the loop closes."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


async def _peer(kind: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        if kind == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if kind == "close":  # reads the ClientHello, then a clean close (FIN), no answer
            await reader.read(4096)
            writer.close()
            return
        if kind == "garbage":
            await reader.read(4096)
            writer.write(b"SSH-2.0-OpenSSH_9.6 not TLS\r\n")
            await writer.drain()
            await asyncio.sleep(1)
            return
        if kind == "drip":
            while True:
                writer.write(b"\x16")
                await writer.drain()
                await asyncio.sleep(0.2)
        await asyncio.sleep(3600)  # stall
    except Exception:
        pass
    finally:
        writer.transport.abort() if kind != "reset" else writer.close()


@contextlib.contextmanager
def hostile_tcp(listen: dict[tuple[str, int], str]) -> Iterator[None]:
    """TCP peers ``{(host, port): behaviour}`` served from a thread until the block ends."""
    loop = asyncio.new_event_loop()
    servers: list[asyncio.Server] = []
    started = threading.Event()

    async def start() -> None:
        for (host, port), kind in listen.items():
            servers.append(
                await asyncio.start_server(
                    lambda r, w, k=kind: _peer(k, r, w), host, port, reuse_address=True
                )
            )

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not started.wait(5):
        raise RuntimeError("hostile TCP peers did not start")
    try:
        yield
    finally:

        async def stop() -> None:
            for s in servers:
                s.close()
            await _cancel_others()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def check_argv(
    server: HostileDns,
    vpc_cidr: str,
    *extra: str,
    region: str,
    timeout: float,
    deadline: float,
    logs: bool = False,
) -> list[str]:
    """The argv of ``wsdiag check --json`` (this interpreter) against ``server`` as its only
    nameserver: ``vpc_cidr`` the VPC, no proxy, the client's logs read only with ``logs``,
    ``timeout``/``deadline`` in seconds; ``extra`` comes last, so it overrides them."""
    return [
        sys.executable,
        "-m",
        "wsdiag",
        "check",
        "--region",
        region,
        "--json",
        "--nameserver",
        server.address,
        "--vpc-cidr",
        vpc_cidr,
        *(() if logs else ("--no-logs",)),
        "--no-proxy",
        "--timeout",
        str(timeout),
        "--deadline",
        str(deadline),
        *extra,
    ]


def assert_reported(proc: subprocess.CompletedProcess[str]) -> None:
    """The run ended with a report: exit 0-3, no traceback and no internal error."""
    assert "internal error" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2, 3), (proc.returncode, proc.stderr)
