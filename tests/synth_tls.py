"""What TLS handshakes recorded, for the synthetic results of tests/synth.py (``tweak``):
endpoint certificates per address, sign-in chains with their judgements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace

from wsdiag.vocab.model import Need, Role, Status, Transport
from wsdiag.vocab.results import CertSummary, ProbeResult, TlsSeen

PRIVATE_NAME = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"
NOW = dt.datetime.now(dt.UTC)
YEAR = dt.timedelta(days=365)
Tweak = Callable[[ProbeResult], ProbeResult]


def cert(
    names: tuple[str, ...], issuer: str, *, valid: bool = True, self_issued: bool = False
) -> CertSummary:
    start, end = (NOW - YEAR, NOW + YEAR) if valid else (NOW - 2 * YEAR, NOW - YEAR)
    return CertSummary(
        subject_cn=names[0] if names else "",
        sans=names,
        issuer=f"CN={issuer}",
        issuer_cn=issuer,
        not_before=start,
        not_after=end,
        sha256=f"{hash((names, issuer, valid)) & 0xFFFFFFFF:064x}",
        self_issued=self_issued,
    )


def _roles() -> dict[str, tuple[Role, Need]]:
    from tests.synth import plan_for

    return {pt.target.id: (pt.target.role, pt.target.need) for pt in plan_for().targets}


def endpoint_certs(by_address: Mapping[str, CertSummary | TlsSeen]) -> Tweak:
    """The endpoint's open TCP probes at each address record this leaf (or this TlsSeen)."""
    roles = _roles()

    def tweak(p: ProbeResult) -> ProbeResult:
        if (
            roles[p.target_id][0] is not Role.ENDPOINT
            or p.transport is not Transport.TCP
            or p.status is not Status.OPEN
            or p.address not in by_address
        ):
            return p
        got = by_address[p.address]
        if isinstance(got, TlsSeen):
            return replace(p, tls_seen=got)
        return replace(p, tls_seen=TlsSeen.CERT, certs=(got,))

    return tweak


def signin_chains(
    issuer: str = "Amazon RSA 2048 M01",
    *,
    public: bool = True,
    trusted: bool | None = True,
    valid: bool = True,
    only: Need | None = None,
) -> Tweak:
    """Every open sign-in TLS probe (of ``only`` that need, else all) presented a chain from
    ``issuer``, judged ``public``/``trusted``; ``valid`` False: every leaf expired."""
    roles = _roles()

    def tweak(p: ProbeResult) -> ProbeResult:
        role, need = roles[p.target_id]
        if (
            p.transport is not Transport.TLS
            or p.status is not Status.OPEN
            or role is not Role.AUTH
            or (only is not None and need is not only)
        ):
            return p
        chain = (cert((p.host,), issuer, valid=valid), cert((), issuer, self_issued=True))
        return replace(
            p, tls_seen=TlsSeen.CERT, certs=chain, tls_public_root=public, tls_trusted=trusted
        )

    return tweak


def both(*tweaks: Tweak) -> Tweak:
    def tweak(p: ProbeResult) -> ProbeResult:
        for t in tweaks:
            p = t(p)
        return p

    return tweak
