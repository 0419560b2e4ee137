"""A TLS handshake that records what the server presented instead of judging it.

``start_tls_capture`` upgrades an open stream (direct TCP, or a CONNECT tunnel) with
verification OFF and SNI = the name the client would send, and returns what was seen: the
DER chain, or why there was none (not TLS at all, a TLS alert, a reset, silence). Trust is
judged afterwards and offline (:mod:`wsdiag.probes.certs`, :mod:`wsdiag.host.trust`), so one
handshake serves identity, interception and OS trust alike.

Two entry points for the TCP/TLS probes (the only code they need to call):

- :func:`identify_step`: after an endpoint TCP connect, the extra handshake; fills
  ``tls_seen`` and ``certs`` on the result, never changes its status (TCP works either way).
- :func:`signin_step`: the sign-in TLS step; fills ``status``, ``tls_seen``, ``certs``,
  ``tls_public_root`` and ``tls_trusted`` (= the OS trusts the chain for the host).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from wsdiag.host.trust import OsStore, load_os_store, load_public_roots, os_trust
from wsdiag.model import ProbeResult, Status, TlsSeen, Tri
from wsdiag.probes.certs import (
    PublicRoots,
    anchored_in,
    context_without_verification,
    ends_in_public_root,
    parsed,
    seen_of_ssl_reason,
    summarise_chain,
    unverified_chain,
)
from wsdiag.probes.errors import status_of

_CTX: ssl.SSLContext | None = None


def _context() -> ssl.SSLContext:
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
    ms: float | None = None  # handshake time, when it completed


async def start_tls_capture(
    writer: asyncio.StreamWriter, server_hostname: str, timeout: float, leaf_only: bool = False,
) -> Handshake:
    """TLS over ``writer``'s open connection within ``timeout`` seconds (at least 50 ms);
    ``leaf_only`` keeps just the server's own certificate. Never raises for network reasons;
    the caller still owns (and aborts) the transport."""
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(max(timeout, 0.05)):
            await writer.start_tls(_context(), server_hostname=server_hostname)
    except ssl.SSLError as exc:
        seen = seen_of_ssl_reason(exc.reason)
        if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            seen = TlsSeen.CLOSED
        return Handshake(seen, Status.ERROR, detail=f"TLS failed: {exc.reason or exc}")
    except (OSError, TimeoutError) as exc:
        status, code, text = status_of(exc)
        seen = TlsSeen.CLOSED if isinstance(exc, ConnectionError) else TlsSeen.NONE
        return Handshake(seen, status, detail=f"TLS: {text}", errno=code)
    ms = round((time.perf_counter() - t0) * 1000, 1)
    sslobj = writer.transport.get_extra_info("ssl_object")
    chain = [] if sslobj is None else (
        _leaf(sslobj) if leaf_only else unverified_chain(sslobj))
    if not chain:
        return Handshake(TlsSeen.NONE, Status.OPEN, ms=ms,
                         detail="the handshake completed without a certificate")
    return Handshake(TlsSeen.CERT, Status.OPEN, tuple(chain), ms=ms)


@dataclass(frozen=True)
class TrustSources:
    """Loaded once per run, before any probe, so judging a chain is CPU only (a few
    signature checks; at most MAX_CHAIN certificates per chain) and never waits on a disk."""

    public: PublicRoots
    os_store: OsStore
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))


def load_trust(public_roots: Path | None) -> TrustSources:
    """Raises wsdiag.host.trust.TrustError for an unusable ``--public-roots`` file."""
    store = load_os_store()
    _ = store.anchors  # built now, before any probe's clock runs
    return TrustSources(load_public_roots(public_roots), store)


async def identify_step(
    result: ProbeResult, writer: asyncio.StreamWriter, timeout: float
) -> ProbeResult:
    """After an OPEN endpoint TCP probe: handshake with SNI = ``result.host`` and record what
    the address presented. Status, phase and ms (the connect time) stay as they were."""
    hs = await start_tls_capture(writer, result.host, timeout, leaf_only=True)
    detail = result.detail if hs.seen is TlsSeen.CERT else "; ".join(
        x for x in (result.detail, hs.detail) if x)
    return replace(result, tls_seen=hs.seen, certs=summarise_chain(hs.chain), detail=detail)


async def signin_step(
    base: ProbeResult, writer: asyncio.StreamWriter, timeout: float, trust: TrustSources,
) -> tuple[ProbeResult, bool]:
    """The TLS step of a sign-in probe. Returns (result with status/phase/tls fields set,
    whether the handshake completed); ``ms`` is left to the caller (its connect time)."""
    hs = await start_tls_capture(writer, base.host, timeout)
    chain = parsed(hs.chain)  # once; every judgement below reads these objects
    certs = summarise_chain(chain)
    if hs.status is not Status.OPEN or not chain:
        return replace(base, status=hs.status, phase="tls", errno=hs.errno, detail=hs.detail,
                       tls_seen=hs.seen, certs=certs), False
    trusted, reason, path = os_trust(chain, base.host, trust.clock(), trust.os_store,
                                     trust.public)
    # A path the OS validated to a public root answers the public question too (no second
    # round of signature checks); otherwise walk the chain from the leaf.
    public = Tri.YES if anchored_in(path, trust.public) else ends_in_public_root(
        chain, trust.public)
    detail = f"certificate {reason}" if trusted is Tri.NO else ""
    if trusted is Tri.UNKNOWN and reason:
        detail = f"OS trust unknown: {reason}"
    return replace(base, status=Status.OPEN, phase="tls", errno=None, detail=detail,
                   tls_seen=hs.seen, certs=certs,
                   tls_public_root=_bool(public), tls_trusted=_bool(trusted)), True


def _leaf(sslobj: ssl.SSLObject) -> list[bytes]:
    leaf = sslobj.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _bool(value: Tri) -> bool | None:
    return None if value is Tri.UNKNOWN else value is Tri.YES
