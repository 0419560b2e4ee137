"""The TLS part of the Evidence: endpoint identity per address, sign-in interception, OS
trust and clock skew, from what the handshakes recorded (``ProbeResult.tls_seen``/``certs``/
``tls_public_root``/``tls_trusted``). Pure, apart from reading the wall clock once (the
clock is what CLOCK_SKEW measures; tests pass ``now``).

The judgements themselves live in :mod:`wsdiag.evidence.identity` (sources there: FACTS §2
``highlanderPCACert`` for why the endpoint is never judged by trust or issuer, §1.1/§7 for
"TLS decryption and inspection are not supported").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from wsdiag.certs import skew_direction
from wsdiag.evidence.basis import Basis
from wsdiag.evidence.identity import (
    AddressVerdict,
    endpoint_identity,
    endpoint_outcomes,
    interception,
    signin_outcomes,
)
from wsdiag.vocab.evidence import TlsValues
from wsdiag.vocab.model import Need, Role, Tri
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import ProbeResult


@dataclass(frozen=True)
class TlsFacts:
    endpoint_other: Tri  # something else answers at some endpoint address
    endpoint_issuers_differ: Tri  # its addresses' certificates differ in issuer
    tls_inspected: Tri  # a needed sign-in chain ends in no public root
    tls_untrusted_needed: Tri  # the OS rejects a needed sign-in chain
    clock_skew: Tri  # the certificates seen say this machine's clock is off
    tls: TlsValues  # the values behind them, for messages
    basis: Basis


class _Seen(Protocol):
    @property
    def probe_id(self) -> str: ...


def other_at(probes: Sequence[ProbeResult], endpoint_ids: Iterable[str]) -> dict[str, str]:
    """Endpoint address -> why something else answers there, for the addresses with
    positive evidence of it (see ``identity.endpoint_identity``); others are absent."""
    ident = endpoint_identity(endpoint_outcomes(probes, endpoint_ids))
    return {a.address: a.reason for a in ident.other()}


def tls_facts(r: Observed, now: dt.datetime) -> TlsFacts:
    """The TLS facts, each with its probe ids; UNKNOWN where no handshake told anything.
    ``now`` (UTC) is the clock the certificates' validity is judged against."""
    ep_ids = r.target_ids(Role.ENDPOINT)
    ep_out = endpoint_outcomes(r.probes, ep_ids)
    ident = endpoint_identity(ep_out)
    signin = signin_outcomes(r.probes, r.target_ids(Role.AUTH, [Need.NEEDED]))
    got = interception(signin, now)
    seen = [s for s in signin if s.chain]
    needed_seen = [s for s in seen if s.needed]

    def ids(items: Iterable[_Seen]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.probe_id for i in items if i.probe_id))

    shown = [a for a in ident.addresses if a.verdict is AddressVerdict.SHOWN]
    learned = any(a.verdict is not AddressVerdict.UNKNOWN for a in ident.addresses)
    differ = tuple(p for a in shown for p in a.probes)
    return TlsFacts(
        endpoint_other=Tri.YES if ident.other() else (Tri.NO if learned else Tri.UNKNOWN),
        endpoint_issuers_differ=Tri.of(ident.issuers_differ()) if shown else Tri.UNKNOWN,
        tls_inspected=_judged(bool(got.inspected), [s.public_root for s in needed_seen]),
        tls_untrusted_needed=(
            Tri.UNKNOWN
            if got.clock_skew
            else _judged(bool(got.untrusted), [s.os_trusted for s in needed_seen])
        ),
        clock_skew=Tri.of(got.clock_skew) if seen else Tri.UNKNOWN,
        tls=TlsValues(
            other=tuple((a.address, a.reason) for a in ident.other()),
            issuers=ident.issuer_by_address(),
            shown=tuple((a.address, a.reason) for a in shown),
            inspected=got.exempt(),
            inspected_by=got.issuers,
            untrusted_needed=tuple(dict.fromkeys(s.host for s in got.untrusted)),
            untrusted_other=tuple(dict.fromkeys(s.host for s in got.untrusted_optional)),
            skew=skew_direction((s.chain[0] for s in seen), now) if got.clock_skew else "",
        ),
        basis={
            "endpoint_other": tuple(p for a in ident.other() for p in a.probes) or ids(ep_out),
            "endpoint_issuers_differ": differ,
            "endpoint_certificate": differ,
            "tls_inspected": ids(got.inspected) or ids(needed_seen),
            "tls_untrusted_needed": ids(got.untrusted) or ids(needed_seen),
            "tls_untrusted_other": ids(got.untrusted_optional),
            "clock_skew": ids(seen),
        },
    )


def _judged(hit: bool, fine: Sequence[Tri]) -> Tri:
    """YES when hit; NO only when every needed sign-in chain seen was judged fine (YES; one
    at least): an OS store we cannot read (macOS) leaves the answer unknown."""
    if hit:
        return Tri.YES
    return Tri.NO if fine and all(f is Tri.YES for f in fine) else Tri.UNKNOWN
