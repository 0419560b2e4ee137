"""Pure facts from TLS handshakes: is it the endpoint at each address, and is sign-in traffic
intercepted. No I/O; inputs are what the probes saw (see :mod:`wsdiag.certs`).

Endpoint identity (issue 8, item 2). The endpoint is NOT judged by OS trust or by issuer: the
client hands its DCV viewer a private CA certificate of its own (``highlanderPCACert`` in the
viewer's auth token, FACTS §2), so the real gateway's certificate is probably not one the OS
trusts, and a wrong guess would block every real user. Only positive evidence that something
else answers counts: bytes that are not TLS at all on 443/4195, or a certificate that names
only hosts outside AWS's domains (a NAS's own name, a portal's). QUIC gives no identity (a
server that rejects the ALPN closes before sending a certificate).

Interception (item 3): a needed sign-in name whose chain does not end in a public root is
TLS inspection, which AWS documents as unsupported (FACTS §1.1 "4195", §7: "TLS decryption
and inspection are not supported"); unless the clock is off (CLOCK_SKEW), which explains
certificates out of their validity window but never a foreign issuer.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from wsdiag.certs import clock_skew
from wsdiag.vocab.model import Transport, Tri
from wsdiag.vocab.results import CertSummary, ProbeResult, TlsSeen

# DNS suffixes of names AWS serves WorkSpaces under, from the allow-lists in FACTS §1.3/§1.4
# (S1): amazonaws.com (service APIs, vpce names), a2z.com (aws.a2z.com: DCV gateways and the
# private name), amazonworkspaces.com (health checks, connectivity), awsapps.com (login),
# the .aws TLD (signin.aws, api.aws), amazon.com (logs, metrics), cloudfront.net (updates),
# amazonaws-us-gov.com (GovCloud smart card). amazonaws.com.cn is the China partition's
# service domain (FACTS §8.13: its WorkSpaces names were not found), kept so a China endpoint
# is never called foreign.
AWS_SUFFIXES: tuple[str, ...] = (
    "amazonaws.com",
    "a2z.com",
    "amazonworkspaces.com",
    "awsapps.com",
    "aws",
    "amazon.com",
    "cloudfront.net",
    "amazonaws-us-gov.com",
    "amazonaws.com.cn",
)


def is_aws_name(name: str) -> bool:
    """A DNS name (a wildcard's ``*.`` ignored, case and trailing dot ignored) under one of
    :data:`AWS_SUFFIXES`. IP addresses are never AWS names."""
    n = name.strip().rstrip(".").lower().removeprefix("*.")
    try:
        ipaddress.ip_address(n)
        return False
    except ValueError:
        pass
    return any(n == s or n.endswith("." + s) for s in AWS_SUFFIXES)


@dataclass(frozen=True)
class EndpointTls:
    """One handshake on an endpoint address: TCP 443 or 4195, SNI = the private name."""

    address: str
    port: int
    seen: TlsSeen
    cert: CertSummary | None = None  # the leaf, with TlsSeen.CERT
    detail: str = ""  # e.g. the first bytes of a non-TLS answer, the alert
    probe_id: str = ""


class AddressVerdict(StrEnum):
    OTHER = "other"  # positive evidence that something else answers here: not usable
    SHOWN = "shown"  # a certificate was seen and nothing says it is not the endpoint
    UNKNOWN = "unknown"  # no handshake told us anything


@dataclass(frozen=True)
class AddressIdentity:
    address: str
    verdict: AddressVerdict
    reason: str  # one clause for a person: why OTHER, or what was shown
    issuers: tuple[str, ...] = ()  # distinct issuer CNs (RFC 4514 when no CN) seen here
    certs: tuple[CertSummary, ...] = ()  # distinct leaves seen here
    probes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Identity:
    addresses: tuple[AddressIdentity, ...]  # in the order first seen

    def other(self) -> tuple[AddressIdentity, ...]:
        return tuple(a for a in self.addresses if a.verdict is AddressVerdict.OTHER)

    def issuers_differ(self) -> bool:
        """Addresses not judged OTHER present certificates from more than one issuer."""
        seen = {i for a in self.addresses if a.verdict is AddressVerdict.SHOWN for i in a.issuers}
        return len(seen) > 1

    def issuer_by_address(self) -> tuple[tuple[str, str], ...]:
        return tuple((a.address, ", ".join(a.issuers)) for a in self.addresses if a.issuers)


def foreign_names(cert: CertSummary) -> tuple[str, ...] | None:
    """The names of a certificate that names hosts and none under AWS's domains; None when it
    names an AWS host, or no host at all (no positive evidence either way)."""
    names = cert.names()
    if not names or any(is_aws_name(n) for n in names):
        return None
    return names


def issuer_label(cert: CertSummary) -> str:
    return cert.issuer_cn or cert.issuer


def endpoint_identity(outcomes: Iterable[EndpointTls]) -> Identity:
    """Per address, from its handshakes on 443 and 4195 (any order, any number): OTHER if one
    answered with non-TLS bytes or with a certificate naming only non-AWS hosts; SHOWN if a
    certificate was seen otherwise; UNKNOWN if nothing was learned (silent, refused, reset:
    a firewall can cause those, the device behind it need not be something else)."""
    by_address: dict[str, list[EndpointTls]] = {}
    for o in outcomes:
        by_address.setdefault(o.address, []).append(o)
    return Identity(tuple(_one_address(a, os) for a, os in by_address.items()))


def _one_address(address: str, outcomes: Sequence[EndpointTls]) -> AddressIdentity:
    certs = tuple({o.cert.sha256: o.cert for o in outcomes if o.cert is not None}.values())
    issuers = tuple(dict.fromkeys(issuer_label(c) for c in certs))
    probes = tuple(o.probe_id for o in outcomes if o.probe_id)
    reasons = []
    for o in sorted(outcomes, key=lambda o: o.port):
        if o.seen is TlsSeen.NOT_TLS:
            tail = f" ({o.detail})" if o.detail else ""
            reasons.append(f"TCP {o.port} answers, but not with TLS{tail}")
        elif o.cert is not None and (names := foreign_names(o.cert)) is not None:
            shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
            reasons.append(
                f"TCP {o.port} presents a certificate for {shown}, issued by {issuer_label(o.cert)}"
            )
    if reasons:
        return AddressIdentity(
            address, AddressVerdict.OTHER, "; ".join(reasons), issuers, certs, probes
        )
    if certs:
        shown = "; ".join(
            f"{', '.join(c.names()[:2]) or 'no name'} issued by {issuer_label(c)}" for c in certs
        )
        return AddressIdentity(address, AddressVerdict.SHOWN, shown, issuers, certs, probes)
    return AddressIdentity(
        address, AddressVerdict.UNKNOWN, "no TLS handshake completed", (), (), probes
    )


# --- sign-in interception ------------------------------------------------------------


@dataclass(frozen=True)
class SigninTls:
    """One sign-in TLS probe's chain and its judgements."""

    host: str
    needed: bool
    chain: tuple[CertSummary, ...]  # leaf first; () when no handshake completed
    public_root: Tri  # ends_in_public_root
    os_trusted: Tri  # wsdiag.host.trust.os_trust
    os_reason: str = ""
    probe_id: str = ""


@dataclass(frozen=True)
class Interception:
    """Facts for TLS_INSPECTED / TLS_UNTRUSTED / CLOCK_SKEW."""

    inspected: tuple[SigninTls, ...]  # needed names whose chain ends in no public root
    untrusted: tuple[SigninTls, ...]  # needed names the OS does not trust (not clock-caused)
    untrusted_optional: tuple[SigninTls, ...]  # the same for names that are not needed
    clock_skew: bool
    issuers: tuple[str, ...]  # the issuers the inspected chains end with (their top CA)

    def exempt(self) -> tuple[str, ...]:
        """The names to exempt from decryption: every name seen intercepted."""
        return tuple(dict.fromkeys(s.host for s in self.inspected))


def interception(probes: Iterable[SigninTls], now: dt.datetime) -> Interception:
    """Judge sign-in chains. Clock skew is decided on every leaf seen (needed or not); when
    the clock is off, "untrusted" is not reported (expiry explains it) but a chain ending in a
    foreign root is still interception: a wrong clock does not change who issued."""
    probes = [p for p in probes if p.chain]
    skew = clock_skew((p.chain[0] for p in probes), now)
    inspected = tuple(p for p in probes if p.needed and p.public_root is Tri.NO)
    untrusted = (
        () if skew else tuple(p for p in probes if p.os_trusted is Tri.NO and p not in inspected)
    )
    top = tuple(dict.fromkeys(issuer_label(p.chain[-1]) for p in inspected))
    return Interception(
        inspected=inspected,
        untrusted=tuple(p for p in untrusted if p.needed),
        untrusted_optional=tuple(p for p in untrusted if not p.needed),
        clock_skew=skew,
        issuers=top,
    )


# --- from probe results ----------------------------------------------------------------


def endpoint_outcomes(
    probes: Iterable[ProbeResult], endpoint_ids: Iterable[str]
) -> list[EndpointTls]:
    """The endpoint's direct TCP probes that made the extra handshake, as EndpointTls.
    QUIC gives no identity and is never included."""
    ids = set(endpoint_ids)
    return [
        EndpointTls(
            p.address,
            p.port,
            p.tls_seen,
            p.certs[0] if p.certs else None,
            "" if p.tls_seen is TlsSeen.CERT else p.detail,
            p.id,
        )
        for p in probes
        if p.target_id in ids
        and p.transport is Transport.TCP
        and p.address
        and p.tls_seen is not None
    ]


def signin_outcomes(probes: Iterable[ProbeResult], needed_ids: Iterable[str]) -> list[SigninTls]:
    """The sign-in TLS probes (direct or through the proxy) as SigninTls."""
    needed = set(needed_ids)
    return [
        SigninTls(
            p.host,
            p.target_id in needed,
            p.certs,
            Tri.of(p.tls_public_root),
            Tri.of(p.tls_trusted),
            p.detail,
            p.id,
        )
        for p in probes
        if p.transport is Transport.TLS and p.tls_seen is not None
    ]
