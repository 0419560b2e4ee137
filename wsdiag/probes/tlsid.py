"""Run-wide trust sources and the offline judgement of a presented chain.

The handshake itself is :func:`wsdiag.probes.tls.capture` (memory BIOs, verification OFF,
SNI = the name the client would send; over direct TCP or a CONNECT tunnel). Here:

- :func:`load_trust`: public roots and the OS store, loaded once before the run.
- :func:`judge`: the sign-in TLS result from a captured chain: ``certs``, ``tls_public_root``
  and ``tls_trusted`` (= the OS trusts the chain for the host; None when unknown).
- :func:`identify_step`: after an endpoint TCP connect, the extra handshake; fills
  ``tls_seen`` and ``certs``, never changes the result's status (TCP works either way).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from wsdiag.host.trust import OsStore, load_os_store, load_public_roots, os_trust
from wsdiag.model import Status, Tri
from wsdiag.probes.certs import (
    PublicRoots,
    anchored_in,
    context_without_verification,
    ends_in_public_root,
    parsed,
    summarise_chain,
)
from wsdiag.results import ProbeResult, TlsSeen

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
    ms: float | None = None  # handshake time, when it completed


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
    result: ProbeResult,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    end: float,
) -> ProbeResult:
    """After an OPEN endpoint TCP probe: handshake with SNI = ``result.host`` until ``end``
    (a perf_counter time) and record what the address presented. Status, phase and ms (the
    connect time) stay as they were."""
    from wsdiag.probes.tls import capture

    hs = await capture(reader, writer, result.host, end, leaf_only=True)
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
