"""One DNS lookup on the wire, asked of the configured servers the way that hears a real
answer: dnspython builds and parses every message; this module only decides when to send.

- One UDP socket per server per lookup, listening for the whole lifetime: a re-sent query
  keeps its id, so a slow answer to the first send still counts (a fresh socket per try
  would throw it away).
- Servers start one after another (``DNS_STAGGER_SHARE``), and at once when the previous
  ones failed outright, so a good server after dead ones is heard within the lifetime.
- A server counts as silent only when nothing came back from it: an answer that does not
  parse is recorded as such, never as silence.
- A truncated answer is asked again over TCP, within the same lifetime.
- Patience: a lookup may be given more time than its lifetime (``extra``), used only while
  ``keep_going()`` says so when the lifetime ends (its server answered another query of the
  run: slow, not silent); then it re-sends once a second, as a stub resolver would.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import wsdiag.probes.dnslib  # noqa: F401  (first: before dnspython decides its features)

# isort: split
import dns.asyncbackend
import dns.asyncquery
import dns.exception
import dns.flags
import dns.inet
import dns.message
import dns.rcode

from wsdiag.budgets import (
    DNS_MIN_RETRANSMIT,
    DNS_PATIENT_RETRANSMIT,
    DNS_RETRANSMIT_SHARE,
    DNS_STAGGER_SHARE,
)

Server = tuple[str, int]  # (IP address, port)
_DEFINITE = {dns.rcode.NOERROR, dns.rcode.NXDOMAIN}  # the name's own answer: stop asking


def server_text(server: Server) -> str:
    """'10.0.0.2' or '127.0.0.1:5353' or '[::1]:5353'."""
    ip, port = server
    if port == 53:
        return ip
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


@dataclass
class Heard:
    """What one server sent back during the lookup."""

    server: Server
    response: dns.message.Message | None = None
    error: OSError | None = None  # a socket error (ICMP, no route) on send or receive
    garbled: int = 0  # datagrams from it that dnspython could not parse as the answer
    started: bool = False

    @property
    def silent(self) -> bool:
        """Nothing at all came back from this server."""
        return self.response is None and self.error is None and not self.garbled


@dataclass
class Until:
    """The loop-time instant a lookup ends; moved later once when patience applies."""

    at: float


@dataclass
class Lookup:
    """The outcome: ``answer`` (rcode NOERROR or NXDOMAIN) from ``answered_by``, or none;
    ``heard`` per server in the configured order."""

    heard: list[Heard]
    answer: dns.message.Message | None = None
    answered_by: Server | None = None
    dead_before: list[Server] = field(default_factory=list)
    late: bool = False  # the answer came in the patience after the lifetime


async def _listen(q: dns.message.Message, h: Heard, end: Until) -> None:
    """Send ``q`` to one server, re-send on the same socket, keep the first parsed reply.
    Never raises: whatever stops it is this server's ``error``, so no task of a lookup ends
    with an exception nobody retrieves (asyncio's "Task exception was never retrieved")."""
    try:
        await _ask(q, h, end)
    except OSError as exc:
        # before the socket's first send: an IPv6 scope naming no interface of this machine
        # ("fe80::1%eth9" in resolv.conf; if_nametoindex), a family the kernel lacks; its
        # words kept as strerror, which the report's detail shows
        h.error = exc if exc.strerror else OSError(exc.errno, str(exc)[:200] or "OSError")
    except ValueError as exc:  # an address the socket layer cannot use (a config's oddity)
        h.error = OSError(None, f"{exc.__class__.__name__}: {exc}"[:200])


async def _ask(q: dns.message.Message, h: Heard, end: Until) -> None:
    loop = asyncio.get_running_loop()
    backend = dns.asyncbackend.get_default_backend()
    ip, port = h.server
    af = dns.inet.af_for_address(ip)
    # The destination in the socket family's own form: an AF_INET6 socket reports a reply's
    # source as (ip, port, flowinfo, scope_id), and dnspython drops a reply whose source does
    # not equal the destination it was given, so a 2-tuple made every IPv6 server "silent".
    dest = dns.inet.low_level_address_tuple((ip, port), af)
    wire = q.to_wire()
    first_end = end.at
    lifetime = end.at - loop.time()
    every = max(lifetime * DNS_RETRANSMIT_SHARE, DNS_MIN_RETRANSMIT)
    connected = dest if backend.datagram_connection_required() else None  # type: ignore[no-untyped-call]
    sock = await backend.make_socket(  # type: ignore[no-untyped-call]
        af, socket.SOCK_DGRAM, 0, None, connected
    )

    def wall(at: float) -> float:  # dnspython's expirations are time.time() instants
        return time.time() + (at - loop.time())

    try:
        next_send = loop.time()
        while loop.time() < end.at:
            if loop.time() >= next_send:
                await dns.asyncquery.send_udp(sock, wire, dest, wall(end.at))
                patient = loop.time() >= first_end
                next_send = loop.time() + (max(every, DNS_PATIENT_RETRANSMIT) if patient else every)
            try:
                r, _, _ = await dns.asyncquery.receive_udp(
                    sock, dest, wall(min(next_send, end.at)), ignore_unexpected=True, query=q
                )
            except dns.exception.Timeout:
                continue
            except (dns.exception.DNSException, ValueError):
                h.garbled += 1  # something answered, in a form we cannot read
                continue
            h.response = r
            return
    except OSError as exc:
        h.error = exc
    finally:
        await sock.close()


async def _over_tcp(q: dns.message.Message, h: Heard, end: Until) -> None:
    loop = asyncio.get_running_loop()
    try:
        h.response = await dns.asyncquery.tcp(
            q, h.server[0], max(end.at - loop.time(), 0.0), h.server[1]
        )
    except OSError as exc:
        h.error = exc
    except dns.exception.DNSException:
        pass  # keep the truncated UDP answer: the server did answer


async def lookup(
    q: dns.message.Message,
    servers: Sequence[Server],
    lifetime: float,
    extra: float = 0.0,
    keep_going: Callable[[], bool] | None = None,
) -> Lookup:
    """Ask ``servers`` (configured order) for ``q`` within ``lifetime`` seconds, and up to
    ``extra`` seconds more when ``keep_going()`` is true as the lifetime ends; never raises
    for the network's behaviour, never runs past lifetime + extra (plus scheduling)."""
    loop = asyncio.get_running_loop()
    first_end = loop.time() + lifetime
    end = Until(first_end)
    heard = [Heard(s) for s in servers]
    out = Lookup(heard)
    if not servers:
        return out
    stagger = lifetime * DNS_STAGGER_SHARE / len(servers)
    t0 = loop.time()
    tasks: dict[asyncio.Task[None], Heard] = {}

    def start(i: int) -> None:
        if i < len(heard) and not heard[i].started:
            heard[i].started = True
            tasks[asyncio.create_task(_listen(q, heard[i], end))] = heard[i]

    try:
        while True:
            now = loop.time()
            if now >= end.at:
                patient = end.at == first_end and extra > 0 and keep_going is not None
                if not (patient and keep_going is not None and keep_going()):
                    break
                end.at = first_end + extra
                continue
            for i, h in enumerate(heard):
                if not h.started and t0 + i * stagger <= now:
                    start(i)
            waiting = [t0 + i * stagger for i, h in enumerate(heard) if not h.started]
            if not tasks and not waiting:
                break
            wake = min([end.at, *waiting])
            if not tasks:
                await asyncio.sleep(wake - now)
                continue
            done, _ = await asyncio.wait(
                tasks, timeout=wake - now, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                h = tasks.pop(task)
                if not task.cancelled() and (exc := task.exception()) is not None:
                    # _listen never raises; should a bug make it, the server's result says
                    # so (retrieved here, never logged by asyncio as unretrieved)
                    h.error = h.error or OSError(None, f"{exc.__class__.__name__}: {exc}"[:200])
                if h.response is not None and h.response.flags & dns.flags.TC:
                    await _over_tcp(q, h, end)
                r = h.response
                # A reply still truncated after TCP is a part of the answer at most (often
                # none of it): never the name's answer, never "no such record".
                if r is not None and r.rcode() in _DEFINITE and not r.flags & dns.flags.TC:
                    out.answer, out.answered_by = r, h.server
                    out.late = loop.time() > first_end
                    out.dead_before = [x.server for x in heard[: heard.index(h)] if x.silent]
                    return out
                # This server failed outright (SERVFAIL, REFUSED, ICMP): the next one now.
                start(next((i for i, x in enumerate(heard) if not x.started), len(heard)))
        return out
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
