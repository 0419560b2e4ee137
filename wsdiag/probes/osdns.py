"""Names as the operating system resolves them: getaddrinfo, the call the WorkSpaces client
makes (hosts file, per-domain resolvers, VPN split DNS and search rules included).

getaddrinfo blocks and has no timeout of its own, so it runs in a daemon thread that is
abandoned at the timeout: a hung OS resolver cannot hold the process past its deadline
(asyncio's default executor would be joined on the way out)."""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from wsdiag.clock import ms_since
from wsdiag.vocab.model import DnsOutcome, DnsSpec
from wsdiag.vocab.results import DnsResult

if TYPE_CHECKING:
    from wsdiag.probes.registry import ResolveFn
    from wsdiag.vocab.model import Plan

AddrInfo = list[tuple[str, int]]  # (address, family) in the OS's order


class OsOutcome(StrEnum):
    ANSWER = "answer"
    NO_NAME = "no-name"  # EAI_NONAME: the name (or an address of the family) does not exist
    TEMPORARY = "temporary"  # EAI_AGAIN: the resolver did not answer (or said SERVFAIL)
    FAILED = "failed"  # EAI_FAIL and anything else the OS reports
    TIMEOUT = "timeout"  # getaddrinfo did not return within the timeout
    SKIPPED = "skipped"  # not consulted (--nameserver given: the user chose the resolver)


# getaddrinfo's error codes differ by OS: POSIX EAI_* (Linux negative, BSD/macOS positive)
# and Windows WSA codes (WSAHOST_NOT_FOUND 11001, WSATRY_AGAIN 11002, WSANO_RECOVERY 11003,
# WSANO_DATA 11004). Values from each OS's netdb.h / winsock2.h.
_NO_NAME = {
    getattr(socket, "EAI_NONAME", -2),
    getattr(socket, "EAI_NODATA", -5),
    -2,
    -5,
    8,
    7,
    11001,
    11004,
}
_TEMPORARY = {getattr(socket, "EAI_AGAIN", -3), -3, 2, 11002}


def outcome_of_gaierror(code: int | None) -> OsOutcome:
    """The outcome a getaddrinfo error code (errno of socket.gaierror) stands for. Pure."""
    if code in _NO_NAME:
        return OsOutcome.NO_NAME
    if code in _TEMPORARY:
        return OsOutcome.TEMPORARY
    return OsOutcome.FAILED


@dataclass(frozen=True)
class OsAnswer:
    host: str
    outcome: OsOutcome
    addresses: tuple[str, ...] = ()  # IPv4 and IPv6, in the order the OS returned them
    detail: str = ""
    ms: float | None = None

    @property
    def v4(self) -> tuple[str, ...]:
        return tuple(a for a in self.addresses if ":" not in a)

    @property
    def v6(self) -> tuple[str, ...]:
        return tuple(a for a in self.addresses if ":" in a)


def getaddrinfo_in_daemon_thread(
    host: str, port: int
) -> asyncio.Future[tuple[AddrInfo, OSError | None]]:
    """getaddrinfo(host, port, SOCK_STREAM) in a daemon thread: a future of (addresses with
    their family, error). The outcome is a value, never a future exception, so a late answer
    nobody awaits any more logs nothing. The thread is the standard library's low-level one
    (``_thread``: never joined at exit, as a daemon): ``threading.Thread.start`` waits until
    the new thread has run, and with another thread holding the interpreter (the lane's
    imports) each of a run's ~13 starts cost the event loop up to two switch intervals
    (5 ms each) just as the first answers came in."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[tuple[AddrInfo, OSError | None]] = loop.create_future()

    def deliver(value: tuple[AddrInfo, OSError | None]) -> None:
        if not fut.done():
            fut.set_result(value)

    def work() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            value: tuple[AddrInfo, OSError | None] = (
                list(dict.fromkeys((str(i[4][0]).split("%", 1)[0], int(i[0])) for i in infos)),
                None,
            )
        except OSError as exc:
            value = ([], exc)
        except Exception as exc:  # e.g. UnicodeError for an odd name: still an answer
            value = ([], OSError(f"{exc.__class__.__name__}: {exc}"))
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            loop.call_soon_threadsafe(deliver, value)

    _thread.start_new_thread(work, ())
    return fut


async def os_resolve(
    host: str,
    timeout: float,
    extra: float = 0.0,
    keep_going: Callable[[], bool] | None = None,
) -> OsAnswer:
    """The OS's answer for ``host`` within ``timeout`` seconds (IPv4 and IPv6), and up to
    ``extra`` seconds more when ``keep_going()`` is true as the timeout ends (the OS answered
    other names of this run: its resolver is slow for this one, not silent). Never raises."""
    t0 = time.perf_counter()

    def done(outcome: OsOutcome, addresses: tuple[str, ...] = (), detail: str = "") -> OsAnswer:
        return OsAnswer(host, outcome, addresses, detail, ms_since(t0))

    fut = getaddrinfo_in_daemon_thread(host, 443)
    try:
        try:
            infos, error = await asyncio.wait_for(asyncio.shield(fut), timeout)
        except TimeoutError:
            if not (extra > 0 and keep_going is not None and keep_going()):
                raise
            infos, error = await asyncio.wait_for(fut, extra)
    except TimeoutError:
        waited = timeout + (extra if keep_going is not None and keep_going() else 0.0)
        return done(OsOutcome.TIMEOUT, detail=f"getaddrinfo did not return in {waited:g} s")
    if error is not None:
        code = error.errno if isinstance(error, socket.gaierror) else None
        return done(outcome_of_gaierror(code), detail=(error.strerror or str(error))[:200])
    addresses = tuple(dict.fromkeys(a for a, _ in infos))
    if not addresses:
        return done(OsOutcome.NO_NAME, detail="getaddrinfo returned no address")
    return done(OsOutcome.ANSWER, addresses)


_AS_DNS = {
    OsOutcome.ANSWER: DnsOutcome.ANSWER,
    OsOutcome.NO_NAME: DnsOutcome.NXDOMAIN,
    OsOutcome.TIMEOUT: DnsOutcome.TIMEOUT,
    OsOutcome.TEMPORARY: DnsOutcome.ERROR,
    OsOutcome.FAILED: DnsOutcome.ERROR,
    OsOutcome.SKIPPED: DnsOutcome.SKIPPED,
}


def as_dns_result(spec: DnsSpec, answer: OsAnswer, why: tuple[str, str] | None) -> DnsResult:
    """The OS's answer as a report's DNS result (rdtype "OS", resolver "os"): NO_NAME reads
    as NXDOMAIN (getaddrinfo cannot tell NXDOMAIN from NODATA); ``why`` is the reason its
    answer can differ from a resolver's (wsdiag.host.resolvers.explain), when known. Pure."""
    reason, because = why if why is not None else ("", "")
    detail = "; ".join(x for x in (answer.detail, because) if x)
    return DnsResult(
        id=spec.id,
        target_id=spec.target_id,
        host=spec.host,
        rdtype=spec.rdtype,
        outcome=_AS_DNS[answer.outcome],
        addresses=answer.addresses,
        resolver="os",
        detail=detail[:300],
        ms=answer.ms,
        reason=reason,
        late=True
        if answer.outcome is OsOutcome.ANSWER
        and answer.ms is not None
        and answer.ms > spec.timeout * 1000
        else None,
    )


def for_plan(plan: Plan) -> ResolveFn:
    """The run's OS lookups. The OS's resolver configuration (hosts file, per-domain
    resolvers, resolv.conf) is read once, in a worker thread, beside the first lookup; a
    lookup waits for it no longer than its own budget (then the reason is unknown)."""
    import platform

    from wsdiag.host.resolvers import OsView, explain, read_os_view

    view: asyncio.Task[OsView] | None = None
    answered: set[str] = set()  # names the OS resolved (or said do not exist) in this run

    async def do_resolve(spec: DnsSpec, budget: float) -> DnsResult:
        nonlocal view
        if view is None:
            view = asyncio.ensure_future(asyncio.to_thread(read_os_view, platform.system()))
        deadline = time.perf_counter() + budget
        base = min(budget, spec.timeout)
        answer = await os_resolve(
            spec.host, base, budget - base, lambda: bool(answered - {spec.host})
        )
        if answer.outcome in (OsOutcome.ANSWER, OsOutcome.NO_NAME):
            answered.add(spec.host)
        why = None
        with contextlib.suppress(Exception):  # TimeoutError, or a reader's bug: reason unknown
            left = max(deadline - time.perf_counter(), 0.0)
            got = await asyncio.wait_for(asyncio.shield(view), left)
            reason, because = explain(spec.host, answer.addresses, got)
            why = (str(reason), because)
        return as_dns_result(spec, answer, why)

    return do_resolve
