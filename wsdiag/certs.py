"""Certificates a TLS server presented, and the judgements made on them without traffic.

The chain is captured from a handshake made with verification OFF (``CERT_NONE``, no host
name check), so that an untrusted, expired or foreign chain is still seen; every judgement is
made afterwards, offline, from the DER bytes:

- :func:`summarise`: subject CN, SANs, issuer, validity (UTC), SHA-256 fingerprint.
- :func:`ends_in_public_root`: does the path from the leaf end in a public root (the Mozilla
  list that ``certifi`` ships, or ``--public-roots``)? Independent of host name and time:
  interception is a question of *who issued*, not of expiry.
- :func:`verify_for_host`: path validation to a given trust store with the host name at a
  given time (what the client does against the OS store; the store comes from
  :mod:`wsdiag.host.trust`).
- :func:`clock_skew`: many certificates out of their validity window at once means the
  machine's clock is off, not that the network intercepts.

``cryptography`` is imported here only (it is heavy; ``wsdiag --help`` must not load it).
Nothing here fetches anything: missing intermediates are never looked up via AIA URLs.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from wsdiag.vocab.model import Tri
from wsdiag.vocab.results import CertSummary, TlsSeen

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509 import verification

MAX_CHAIN = 10  # certificates examined per chain; a longer chain is cut (a hostile server)


# --- capture -------------------------------------------------------------------------


def unverified_chain(sslobj: ssl.SSLObject | ssl.SSLSocket | Any) -> list[bytes]:
    """The DER chain the peer sent (leaf first), after a completed handshake.

    Python 3.13 has the public ``get_unverified_chain()``; 3.10-3.12 have it on the C object
    (``_sslobj``), the same shim ``truststore`` uses. Falls back to the leaf alone
    (``getpeercert(binary_form=True)``); ``[]`` if nothing can be had. Never raises."""
    try:
        getter = getattr(sslobj, "get_unverified_chain", None)
        inner = sslobj
        while getter is None and hasattr(inner, "_sslobj"):
            inner = inner._sslobj
            getter = getattr(inner, "get_unverified_chain", None)
        if getter is not None:
            chain = getter() or []
            # Before 3.13 the items are _ssl.Certificate objects; from 3.13, DER bytes.
            der = [
                c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
                for c in chain
            ]
            if der:
                return der[:MAX_CHAIN]
    except (AttributeError, ValueError, ssl.SSLError):
        pass
    try:
        leaf = sslobj.getpeercert(binary_form=True)
    except (AttributeError, ValueError, ssl.SSLError):
        return []
    return [leaf] if leaf else []


def context_without_verification() -> ssl.SSLContext:
    """A client context that completes a handshake with any certificate (TLS 1.2+)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


# OpenSSL reasons (ssl.SSLError.reason) meaning "the peer's bytes are not a TLS record".
_NOT_TLS_REASONS = frozenset(
    {
        "WRONG_VERSION_NUMBER",
        "HTTP_REQUEST",
        "HTTPS_PROXY_REQUEST",
        "UNKNOWN_PROTOCOL",
        "PACKET_LENGTH_TOO_LONG",
        "RECORD_LAYER_FAILURE",
        "WRONG_SSL_VERSION",
        "UNEXPECTED_RECORD",
        "RECORD_TOO_LARGE",
        "ENCRYPTED_LENGTH_TOO_LONG",
    }
)


def seen_of_ssl_reason(reason: str | None) -> TlsSeen:
    """Map an ``ssl.SSLError.reason`` from a failed handshake to what it shows: an alert the
    peer sent (``TLSV1_ALERT_*``, ``SSLV3_ALERT_*``, ``*_ALERT_*``) is TLS; a record that is
    not TLS is NOT_TLS; anything else (a local failure) is NONE, nothing learned."""
    r = (reason or "").upper()
    if "ALERT" in r:
        return TlsSeen.REFUSED
    if r in _NOT_TLS_REASONS:
        return TlsSeen.NOT_TLS
    return TlsSeen.NONE


# --- parsing -------------------------------------------------------------------------


def load_der(chain_der: Sequence[bytes], limit: int | None = MAX_CHAIN) -> list[x509.Certificate]:
    """Parse DER certificates (at most ``limit``), dropping what does not parse (a hostile
    peer's bytes)."""
    from cryptography import x509

    certs = []
    with warnings.catch_warnings():
        # Real roots and middlebox certificates break RFC 5280 in small ways (a negative
        # serial); cryptography warns, the report should still show them.
        warnings.simplefilter("ignore")
        for der in chain_der[:limit]:
            try:
                certs.append(x509.load_der_x509_certificate(der))
            except ValueError:
                continue
    return certs


Chain = Sequence[bytes] | Sequence["x509.Certificate"]  # DER as sent, or already parsed


def parsed(chain: Chain) -> list[x509.Certificate]:
    """A chain as certificates (parse DER once, judge many times), at most MAX_CHAIN."""
    if chain and isinstance(chain[0], bytes):
        return load_der([c for c in chain if isinstance(c, bytes)])
    return [c for c in chain[:MAX_CHAIN] if not isinstance(c, bytes)]


def load_pem_bundle(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle that parses; a bad block does not spoil the rest."""
    from cryptography import x509

    certs = []
    marker = b"-----BEGIN CERTIFICATE-----"
    for block in data.split(marker)[1:]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                certs.append(x509.load_pem_x509_certificate(marker + block))
            except ValueError:
                continue
    return certs


def summarise(cert: x509.Certificate) -> CertSummary:
    """Shape: see :class:`CertSummary`. Missing or malformed extensions give empty fields."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    sans: list[str] = []
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans += [str(n) for n in ext.get_values_for_type(x509.DNSName)]
        sans += [str(a) for a in ext.get_values_for_type(x509.IPAddress)]
    except (x509.ExtensionNotFound, ValueError):
        pass
    return CertSummary(
        subject_cn=_cn(cert.subject),
        sans=tuple(sans),
        issuer=_rfc4514(cert.issuer),
        issuer_cn=_cn(cert.issuer),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
        self_issued=cert.subject == cert.issuer,
    )


def summarise_chain(chain: Chain) -> tuple[CertSummary, ...]:
    return tuple(summarise(c) for c in parsed(chain))


def _cn(name: x509.Name) -> str:
    from cryptography.x509.oid import NameOID

    try:
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return ""
    value = attrs[0].value if attrs else ""
    return value if isinstance(value, str) else value.decode("latin-1")


def _rfc4514(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return "?"


# --- judgements ----------------------------------------------------------------------


class PublicRoots:
    """A set of trust anchors indexed by subject, for :func:`ends_in_public_root`."""

    def __init__(self, roots: Iterable[x509.Certificate]) -> None:
        from cryptography.hazmat.primitives import hashes

        self.by_subject: dict[bytes, list[x509.Certificate]] = {}
        self.fingerprints: set[bytes] = set()
        for root in roots:
            self.by_subject.setdefault(root.subject.public_bytes(), []).append(root)
            self.fingerprints.add(root.fingerprint(hashes.SHA256()))

    def __len__(self) -> int:
        return len(self.fingerprints)


def anchored_in(path: Sequence[x509.Certificate], public: PublicRoots) -> bool:
    """A validated path (:class:`Verified`) whose anchor is a public root: the chain is
    public without checking a signature again."""
    from cryptography.hazmat.primitives import hashes

    return bool(path) and path[-1].fingerprint(hashes.SHA256()) in public.fingerprints


def ends_in_public_root(chain_der: Chain, public: PublicRoots) -> Tri:
    """Does the path from the leaf, through the certificates the server sent, end in a public
    root? YES if some certificate on that path is a public root or is issued (signature
    verified) by one; NO if the path ends elsewhere (an inspecting proxy's own CA, a
    self-signed certificate); UNKNOWN without a parsable leaf or with an empty root set.
    Host name and validity dates are deliberately not considered."""
    from cryptography.hazmat.primitives import hashes

    certs = parsed(chain_der)
    if not certs or not len(public):
        return Tri.UNKNOWN
    current, rest = certs[0], certs[1:]
    for _ in range(len(certs) + 1):
        if current.fingerprint(hashes.SHA256()) in public.fingerprints:
            return Tri.YES
        if any(
            _issued_by(current, root)
            for root in public.by_subject.get(current.issuer.public_bytes(), ())
        ):
            return Tri.YES
        parent = next((c for c in rest if _issued_by(current, c)), None)
        if parent is None:
            return Tri.NO
        rest = [c for c in rest if c is not parent]
        current = parent
    return Tri.NO


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    from cryptography.hazmat.primitives import hashes

    key = (cert.fingerprint(hashes.SHA256()), issuer.fingerprint(hashes.SHA256()))
    known = _ISSUED.get(key)
    if known is None:
        try:
            cert.verify_directly_issued_by(issuer)
            known = True
        except Exception:  # InvalidSignature, ValueError (names differ), TypeError (key type)
            known = False
        if len(_ISSUED) < 4096:  # intermediates recur across names; bounded memory
            _ISSUED[key] = known
    return known


# (certificate, issuer) SHA-256 fingerprints -> signature verified: a pure fact, memoised.
_ISSUED: dict[tuple[bytes, bytes], bool] = {}


class Verified(NamedTuple):
    value: Tri
    reason: str  # "" when trusted
    path: tuple[x509.Certificate, ...] = ()  # the validated path, leaf to anchor (YES only)


def verify_for_host(
    chain_der: Chain,
    host: str,
    now: dt.datetime,
    roots: Sequence[x509.Certificate] | verification.Store,
    intermediates: Sequence[x509.Certificate] = (),
) -> Verified:
    """Path validation of the chain to ``roots`` for ``host`` at ``now`` (UTC), with
    cryptography's verifier (RFC 5280 and the CA/Browser Forum profile; no AIA fetching, no
    revocation). ``roots``: certificates, or a Store built once (:func:`anchor_store`).
    ``intermediates``: extra candidates beside those the server sent (Windows' CA store).
    Returns (YES/NO, reason, path); UNKNOWN when there is nothing to verify with."""
    from cryptography.x509 import DNSName, IPAddress
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    certs = parsed(chain_der)
    if not certs:
        return Verified(Tri.UNKNOWN, "no certificate to verify")
    if not isinstance(roots, Store):
        if not roots:
            return Verified(Tri.UNKNOWN, "no trust anchors loaded")
        roots = Store(list(roots))
    try:
        subject: DNSName | IPAddress = IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = DNSName(host)
    try:
        verifier = PolicyBuilder().store(roots).time(now).build_server_verifier(subject)
        path = verifier.verify(certs[0], [*certs[1:], *intermediates])
    except VerificationError as exc:
        return Verified(Tri.NO, f"not trusted: {exc}")
    except ValueError as exc:  # e.g. a host name cryptography will not take
        return Verified(Tri.UNKNOWN, f"could not verify: {exc}")
    return Verified(Tri.YES, "", tuple(path))


def clock_skew(summaries: Iterable[CertSummary], now: dt.datetime) -> bool:
    """True when the wall clock, not the network, is off: at least two distinct leaf
    certificates out of their validity window ("not yet valid" or "expired"), and they are at
    least half of the distinct ones seen. One expired certificate is that server's problem;
    an interceptor mints certificates valid at its own time, so this never reads as one."""
    distinct = {s.sha256: s for s in summaries}
    outside = [s for s in distinct.values() if not s.valid_at(now)]
    return len(outside) >= 2 and 2 * len(outside) >= len(distinct)


def skew_direction(summaries: Iterable[CertSummary], now: dt.datetime) -> str:
    """ "behind" (certificates not yet valid), "ahead" (expired), or "" when mixed or none."""
    early = late = 0
    for s in {s.sha256: s for s in summaries}.values():
        early += now < s.not_before
        late += now > s.not_after
    if early and not late:
        return "behind"
    if late and not early:
        return "ahead"
    return ""
