"""Trust anchors: the public set (is a chain "public"?) and the OS store (does the client's
OS trust it?). The one place that knows where each operating system keeps its roots.

- Public roots: the Mozilla list that ``certifi`` ships, replaced as a whole by a PEM bundle
  given with ``--public-roots FILE`` or ``WSDIAG_PUBLIC_ROOTS`` (labs, air-gapped tests).
- OS roots:
  * Linux and other Unix: the OpenSSL default paths (``ssl.get_default_verify_paths()``),
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured, as Python's default context loads them.
  * Windows: the ``ROOT`` and ``CA`` system stores (``ssl.enum_certificates``), anchors
    limited to those trusted for server authentication. Windows adds Microsoft-trusted roots
    to ``ROOT`` on demand (automatic root update, a download we must not trigger), so a chain
    that ends in a public root but not in the local ``ROOT`` store is UNKNOWN, not untrusted.
  * macOS: UNKNOWN. The trust settings live in the keychains and SecTrust evaluation (what
    ``truststore`` calls) may fetch intermediates and revocation data from the network,
    which wsdiag must not cause; nothing offline answers "does macOS trust this" faithfully.

Loading is lazy and cached per process: a report that needs no TLS judgement loads nothing.
"""

from __future__ import annotations

import datetime as dt
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from wsdiag.certs import (
    Chain,
    PublicRoots,
    Verified,
    ends_in_public_root,
    load_der,
    load_pem_bundle,
    verify_for_host,
)
from wsdiag.errors import WsdiagError
from wsdiag.vocab.model import Tri

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509 import verification

ENV_PUBLIC_ROOTS = "WSDIAG_PUBLIC_ROOTS"
MAX_BUNDLE = 16 * 1024 * 1024  # bytes read from one PEM bundle
_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"


class TrustError(WsdiagError):
    """A public-roots file that cannot be read or holds no certificate (a one-line message)."""


@dataclass(frozen=True)
class OsStore:
    """The OS trust anchors (and, on Windows, cached intermediates), or why there are none."""

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    source: str = ""  # where they came from, for the report
    unsupported: str = ""  # non-empty: this OS's trust cannot be judged offline, and why
    on_demand_roots: bool = False  # Windows: absent public roots may still be trusted
    # OpenSSL's hashed folder beside a CA file (Linux: /etc/ssl/certs, SSL_CERT_DIR), read
    # only when the roots above do not verify a chain (``with_lookup_dir``): OpenSSL, too,
    # looks there only for an issuer its CA file lacks. On Debian it holds the CA file's
    # roots again, one file each: reading all of them cost every TLS run ~50 ms.
    lookup_dir: str = ""

    @cached_property
    def anchors(self) -> verification.Store | None:
        """The roots as cryptography's Store, built once (about 0.4 ms for 150 roots)."""
        from cryptography.x509.verification import Store

        return Store(list(self.roots)) if self.roots else None

    @cached_property
    def with_lookup_dir(self) -> OsStore:
        """This store with the roots of ``lookup_dir`` added, read once, on first need (a
        folder that cannot be read adds nothing)."""
        if not self.lookup_dir:
            return self
        certs = {_fp(c): c for c in self.roots}
        for c in _hashed_dir(Path(self.lookup_dir)):
            certs.setdefault(_fp(c), c)
        return replace(self, roots=tuple(certs.values()), lookup_dir="")


def public_roots_path(option: str | None, env: Mapping[str, str]) -> Path | None:
    """``--public-roots`` wins over ``WSDIAG_PUBLIC_ROOTS``; None means certifi's list."""
    value = option or env.get(ENV_PUBLIC_ROOTS, "")
    return Path(value) if value else None


def load_public_roots(path: Path | None) -> PublicRoots:
    """The public root set. Raises TrustError for an unreadable or certificate-less file."""
    if path is not None:
        return _public_from_file(str(path))
    return _public_from_certifi()


@cache
def _public_from_file(path: str) -> PublicRoots:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BUNDLE)
    except OSError as exc:
        raise TrustError(f"public roots {path}: {exc.strerror or exc}") from None
    certs = load_pem_bundle(data)
    if not certs:
        raise TrustError(f"public roots {path}: no PEM certificate in it")
    return PublicRoots(certs)


@cache
def _public_from_certifi() -> PublicRoots:
    import certifi

    with open(certifi.where(), "rb") as f:
        return PublicRoots(load_pem_bundle(f.read()))


def load_os_store(system: str | None = None) -> OsStore:
    """The trust store the client's OS would use. ``system``: ``platform.system()`` name."""
    system = system or {"win32": "Windows", "darwin": "Darwin"}.get(sys.platform, "Linux")
    if system == "Darwin":
        return OsStore(
            (),
            unsupported="macOS trust settings cannot be evaluated offline "
            "(SecTrust may fetch from the network); not judged",
        )
    if system == "Windows":
        return _windows_store()
    paths = ssl.get_default_verify_paths()
    return _openssl_store(paths.cafile, paths.capath)


@cache
def _openssl_store(cafile: str | None, capath: str | None) -> OsStore:
    """The CA file's roots, the hashed folder kept for ``OsStore.with_lookup_dir``; a
    folder alone (no CA file, or one without a certificate) is read now."""
    certs: dict[bytes, x509.Certificate] = {}
    sources = []
    if cafile:
        for c in _read_pem(Path(cafile)):
            certs.setdefault(_fp(c), c)
        sources.append(cafile)
    folder = capath if capath and Path(capath).is_dir() else ""
    if folder:
        sources.append(folder)
    store = OsStore(tuple(certs.values()), source=", ".join(sources) or "none", lookup_dir=folder)
    return store if certs else store.with_lookup_dir


def _hashed_dir(folder: Path) -> list[x509.Certificate]:
    """The certificates of an OpenSSL hashed folder: the ``<hash>.N`` entries are what
    OpenSSL reads; other files there are copies."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [
        c
        for entry in entries
        if entry.suffix[1:].isdigit() and entry.is_file()
        for c in _read_pem(entry)
    ]


def _windows_store() -> OsStore:
    enum = getattr(ssl, "enum_certificates", None)
    if enum is None:
        return OsStore((), unsupported="the Windows certificate stores are not readable here")
    roots: list[x509.Certificate] = []
    intermediates: list[x509.Certificate] = []
    for store, into in (("ROOT", roots), ("CA", intermediates)):
        try:
            entries = enum(store)
        except (OSError, PermissionError):
            continue
        ders = [
            der
            for der, enc, trust in entries
            if enc == "x509_asn" and (trust is True or _SERVER_AUTH in trust)
        ]
        into.extend(load_der(ders, limit=None))
    return OsStore(
        tuple(roots), tuple(intermediates), source="Windows ROOT/CA stores", on_demand_roots=True
    )


def _read_pem(path: Path) -> list[x509.Certificate]:
    try:
        with path.open("rb") as f:
            return load_pem_bundle(f.read(MAX_BUNDLE))
    except OSError:
        return []


def _fp(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256())


def os_trust(
    chain_der: Chain,
    host: str,
    now: dt.datetime,
    store: OsStore,
    public: PublicRoots | None = None,
) -> Verified:
    """Does the OS trust this chain for ``host`` at ``now`` (UTC), as the client would?
    Returns (YES/NO/UNKNOWN, reason, validated path). Offline: the intermediates are those the
    server sent (and, on Windows, the local CA store), never fetched. ``public`` lets a
    Windows NO on a chain that ends in a public root become UNKNOWN (automatic root update,
    see above)."""
    if store.unsupported:
        return Verified(Tri.UNKNOWN, store.unsupported)
    got = verify_for_host(chain_der, host, now, store.anchors or (), store.intermediates)
    if got.value is not Tri.YES and store.lookup_dir:  # as OpenSSL: the folder, then
        store = store.with_lookup_dir
        got = verify_for_host(chain_der, host, now, store.anchors or (), store.intermediates)
    if (
        got.value is Tri.NO
        and store.on_demand_roots
        and public is not None
        and ends_in_public_root(chain_der, public) is Tri.YES
    ):
        return Verified(
            Tri.UNKNOWN, "ends in a public root Windows may add on demand; " + got.reason
        )
    return got
