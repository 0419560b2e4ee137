"""The TLS step: a handshake with SNI = host over any byte stream (a TCP connection, or
an HTTP CONNECT tunnel), certificate trust recorded, never fatal to reachability.

The handshake runs over memory BIOs rather than ``StreamWriter.start_tls``, so bytes that
already arrived on the stream (a proxy's bytes after its ``200``) are fed to TLS first,
as the start of the peer's stream, instead of being stranded in the plaintext reader.

With run-wide ``TrustSources`` the handshake runs with verification
OFF and records the chain; trust (OS store, public roots) is judged afterwards, offline, so
one handshake serves interception, OS trust and the endpoint's identity (``capture``).

Run-wide trust sources are loaded once before the run (``load_trust``); ``judge`` turns a
captured chain into the sign-in TLS result (``certs``, ``tls_public_root``, ``tls_trusted``);
``identify_step`` is the endpoint's extra handshake after a TCP connect (it fills
``tls_seen`` and ``certs`` and never changes the status: TCP works either way).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from wsdiag.budgets import TLS_MIN_BUDGET
from wsdiag.certs import (
    PublicRoots,
    anchored_in,
    context_without_verification,
    ends_in_public_root,
    parsed,
    seen_of_ssl_reason,
    summarise_chain,
    unverified_chain,
)
from wsdiag.clock import ms_since
from wsdiag.host.trust import OsStore, load_os_store, load_public_roots, os_trust
from wsdiag.probes.errors import failure_of
from wsdiag.probes.outcome import failed, outcome
from wsdiag.vocab.model import Fault, Phase, Status, Tri
from wsdiag.vocab.results import ProbeResult, TlsSeen

_READ = 65536


def tls_context() -> ssl.SSLContext:
    # The system trust store (SSL_CERT_FILE honoured): an untrusted chain usually means a
    # TLS-inspecting proxy, which the WorkSpaces client rejects; we record it, not fail on it.
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


async def _handshake(
    obj: ssl.SSLObject,
    incoming: ssl.MemoryBIO,
    outgoing: ssl.MemoryBIO,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
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
    base: ProbeResult,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    ctx: ssl.SSLContext | None,
    end: float,
    t0: float,
    connect_ms: float,
    initial: bytes = b"",
    trust: Trust | None = None,
) -> ProbeResult:
    """Handshake with SNI = ``base.host`` until ``end`` (a perf_counter time). OPEN with
    ``tls_trusted`` True/False once the server's certificate arrived (an untrusted chain
    proves the path); ERROR for a TLS failure; a socket error or silence by its status.
    With ``trust``: the chain is recorded (``certs``, ``tls_seen``) and judged offline
    (``tls_trusted`` may then be None: unknown, ``tls_public_root``); ``ctx`` is unused."""
    if trust is not None:
        hs = await capture(reader, writer, base.host, end, initial)
        if hs.status is not Status.OPEN or not hs.chain:
            return replace(
                outcome(
                    base,
                    hs.status,
                    Phase.TLS,
                    t0,
                    errno=hs.errno,
                    cause=hs.cause,
                    detail=hs.detail,
                    ms=connect_ms if hs.status is not Status.ERROR else None,
                ),
                tls_seen=hs.seen,
            )
        sources = await trust.ready() if isinstance(trust, PendingTrust) else trust
        return replace(judge(base, hs.chain, sources), phase=Phase.TLS, ms=connect_ms)
    assert ctx is not None
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    incoming.write(initial)
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=base.host)
    try:
        async with asyncio.timeout(max(end - time.perf_counter(), TLS_MIN_BUDGET)):
            await _handshake(obj, incoming, outgoing, reader, writer)
    except ssl.SSLCertVerificationError as exc:
        # The server sent its certificate: the path works, the chain is not trusted.
        detail = f"certificate not trusted: {exc.verify_message}"
        return outcome(
            base, Status.OPEN, Phase.TLS, t0, detail=detail, ms=connect_ms, trusted=False
        )
    except ssl.SSLError as exc:
        why = exc.reason or exc.__class__.__name__
        return outcome(base, tls_failure_status(exc), Phase.TLS, t0, detail=f"TLS failed: {why}")
    except (OSError, TimeoutError) as exc:
        return failed(base, failure_of(exc), Phase.TLS, t0, where="TLS: ", ms=connect_ms)
    return outcome(base, Status.OPEN, Phase.TLS, t0, ms=connect_ms, trusted=True)


def tls_failure_status(exc: ssl.SSLError) -> Status:
    """A handshake the far side ended (closed mid-handshake, or a TLS alert: a firewall or
    proxy that blocks by SNI does either) is the path refused, a network fact; anything
    else (bytes that are not TLS, a local library error) stays an error."""
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return Status.REFUSED
    reason = exc.reason or ""
    return Status.REFUSED if "ALERT" in reason.upper() else Status.ERROR


async def capture(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: str,
    end: float,
    initial: bytes = b"",
    leaf_only: bool = False,
) -> Handshake:
    """TLS with verification OFF and SNI = ``host`` until ``end`` (at least TLS_MIN_BUDGET):
    what the peer presented (DER chain, leaf first; ``leaf_only``: its own certificate), or
    why nothing (not TLS, an alert, a reset, silence). Never raises for network reasons;
    the caller owns (and aborts) the transport."""
    t0 = time.perf_counter()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    incoming.write(initial)
    obj = unverifying_context().wrap_bio(incoming, outgoing, server_hostname=host)
    try:
        async with asyncio.timeout(max(end - t0, TLS_MIN_BUDGET)):
            await _handshake(obj, incoming, outgoing, reader, writer)
    except ssl.SSLError as exc:
        seen = seen_of_ssl_reason(exc.reason)
        if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            seen = TlsSeen.CLOSED
        return Handshake(seen, tls_failure_status(exc), detail=f"TLS failed: {exc.reason or exc}")
    except (OSError, TimeoutError) as exc:
        f = failure_of(exc)
        seen = TlsSeen.CLOSED if isinstance(exc, ConnectionError) else TlsSeen.NONE
        return Handshake(seen, f.status, detail=f"TLS: {f.detail}", errno=f.errno, cause=f.cause)
    ms = ms_since(t0)
    if leaf_only:
        leaf = obj.getpeercert(binary_form=True)
        chain = [leaf] if leaf else []
    else:
        chain = unverified_chain(obj)
    if not chain:
        return Handshake(
            TlsSeen.NONE, Status.OPEN, ms=ms, detail="the handshake completed without a certificate"
        )
    return Handshake(TlsSeen.CERT, Status.OPEN, tuple(chain), ms=ms)


_CTX: ssl.SSLContext | None = None


def unverifying_context() -> ssl.SSLContext:
    # One context per process: creating one costs more than a loopback handshake.
    global _CTX
    if _CTX is None:
        _CTX = context_without_verification()
    return _CTX


@dataclass(frozen=True)
class Handshake:
    seen: TlsSeen
    status: Status  # OPEN when it completed; else as the probe reports the failure
    chain: tuple[bytes, ...] = ()  # DER, leaf first, with TlsSeen.CERT
    detail: str = ""  # why not: the alert, the error, "no answer before the timeout"
    errno: int | None = None
    cause: Fault = Fault.NONE  # the error map's reading of a socket error that ended it
    ms: float | None = None  # handshake time, when it completed


@dataclass(frozen=True)
class TrustSources:
    """Loaded once per run, before any probe, so judging a chain is CPU only (a few
    signature checks; at most MAX_CHAIN certificates per chain); only a chain the OS's CA
    file does not verify reads its hashed folder, once a run (``OsStore.with_lookup_dir``)."""

    public: PublicRoots
    os_store: OsStore
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))


def load_trust(public_roots: Path | None) -> TrustSources:
    """Raises wsdiag.host.trust.TrustError for an unusable ``--public-roots`` file."""
    store = load_os_store()
    _ = store.anchors  # built now, before any probe's clock runs
    return TrustSources(load_public_roots(public_roots), store)


class PendingTrust:
    """``load_trust`` in the background from creation: the first packets never wait for the
    OS store and the public roots (parsing ~150 certificates), a handshake that completes
    waits for them once, before its chain is judged, and a silent network never needs them.
    Made in a run's lane (wsdiag.lane: the probe kinds load there), the load is queued in
    it behind the kinds still to load (Priority.TRUST), so it never delays aioquic and the
    first QUIC packet; elsewhere it gets a daemon thread of its own. A TrustError is raised
    where the trust is awaited (the run checks a public-roots file before any probe, so
    there it is a bug, reported as that probe's internal error)."""

    def __init__(self, public_roots: Path | None) -> None:
        import threading
        from concurrent.futures import Future

        from wsdiag.lane import Priority, current

        lane = current()
        if lane is not None:
            self._loaded: Future[TrustSources] = lane.submit(
                Priority.TRUST, load_trust, public_roots
            )
            return
        self._loaded = Future()

        def work() -> None:
            try:
                self._loaded.set_result(load_trust(public_roots))
            except BaseException as exc:  # handed to the awaiting probe, never lost
                self._loaded.set_exception(exc)

        threading.Thread(target=work, name="wsdiag-trust", daemon=True).start()

    async def ready(self) -> TrustSources:
        return await asyncio.wrap_future(self._loaded)


Trust = TrustSources | PendingTrust  # what the TLS step judges a chain with


async def identify_step(
    result: ProbeResult,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    end: float,
    initial: bytes = b"",
) -> ProbeResult:
    """After an OPEN endpoint TCP probe: handshake with SNI = ``result.host`` until ``end``
    (a perf_counter time) and record what the address presented. Status, phase and ms (the
    connect time) stay as they were. ``initial``: bytes already read (what a proxy sent
    after its answer to CONNECT, the start of the tunnel)."""
    hs = await capture(reader, writer, result.host, end, initial=initial, leaf_only=True)
    detail = (
        result.detail
        if hs.seen is TlsSeen.CERT
        else "; ".join(x for x in (result.detail, hs.detail) if x)
    )
    return replace(result, tls_seen=hs.seen, certs=summarise_chain(hs.chain), detail=detail)


def judge(base: ProbeResult, chain_der: tuple[bytes, ...], trust: TrustSources) -> ProbeResult:
    """``base`` as an OPEN sign-in TLS result for a completed handshake that presented
    ``chain_der`` (leaf first). CPU only: a few signature checks, nothing fetched."""
    chain = parsed(chain_der)  # once; every judgement below reads these objects
    trusted, reason, path = os_trust(chain, base.host, trust.clock(), trust.os_store, trust.public)
    # A path the OS validated to a public root answers the public question too (no second
    # round of signature checks); otherwise walk the chain from the leaf.
    public = (
        Tri.YES if anchored_in(path, trust.public) else ends_in_public_root(chain, trust.public)
    )
    detail = f"certificate {reason}" if trusted is Tri.NO else ""
    if trusted is Tri.UNKNOWN and reason:
        detail = f"OS trust unknown: {reason}"
    return replace(
        base,
        status=Status.OPEN,
        errno=None,
        detail=detail,
        tls_seen=TlsSeen.CERT,
        certs=summarise_chain(chain),
        tls_public_root=_bool(public),
        tls_trusted=_bool(trusted),
    )


def _bool(value: Tri) -> bool | None:
    return None if value is Tri.UNKNOWN else value is Tri.YES
