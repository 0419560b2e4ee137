"""A throwaway certificate authority for tests: one CA, leaf certificates signed by it.

wsdiag verifies TLS against the OpenSSL default paths, which honour ``SSL_CERT_FILE``;
pointing that at ``LabPki.ca_path`` makes a test's servers trusted exactly the way a real
corporate CA would be, without touching the machine's trust store. ``WSDIAG_PUBLIC_ROOTS``
decides which roots count as public (else certifi's list, which no test CA is in).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# P-256 keys: fast to generate and accepted by both ssl and aioquic.
_CURVE = ec.SECP256R1()


@dataclass(frozen=True)
class LeafFiles:
    cert_path: Path  # leaf certificate followed by the CA (a full chain)
    key_path: Path
    chain: tuple[x509.Certificate, ...] = ()  # what cert_path holds, leaf first

    def der(self) -> list[bytes]:
        """The chain as a server sends it (leaf first), DER."""
        return [c.public_bytes(serialization.Encoding.DER) for c in self.chain]


@dataclass(frozen=True)
class LabPki:
    directory: Path
    ca_path: Path
    ca_cert: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey
    parents: tuple[x509.Certificate, ...] = ()  # an intermediate's issuers, up to the root

    def env(self) -> dict[str, str]:
        """Environment additions that make the machine trust the lab CA (Python's default SSL
        context, wsdiag's OS-store check) and wsdiag count it as a public root, as if the
        lab's servers had real public certificates (else every chain is "inspected")."""
        return {"SSL_CERT_FILE": str(self.ca_path), "WSDIAG_PUBLIC_ROOTS": str(self.ca_path)}

    def issue(
        self,
        name: str,
        dns_names: Iterable[str] = (),
        ip_addresses: Iterable[str] = (),
        valid: tuple[dt.datetime, dt.datetime] | None = None,
    ) -> LeafFiles:
        """Issue a server certificate for the given SANs and write ``<name>.pem``/``-key.pem``.
        ``valid``: (not_before, not_after), default an hour ago to a week ahead."""
        dns = list(dict.fromkeys(dns_names))
        ips = list(dict.fromkeys(ip_addresses))
        if not dns and not ips:
            raise ValueError("a leaf certificate needs at least one SAN")
        key = ec.generate_private_key(_CURVE)
        common_name = dns[0] if dns else ips[0]
        sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        now = _now()
        start, end = valid or (now - dt.timedelta(hours=1), now + dt.timedelta(days=7))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signs_certificates=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                critical=False,
            )
            .sign(self.ca_key, hashes.SHA256())
        )
        cert_path = self.directory / f"{name}.pem"
        key_path = self.directory / f"{name}-key.pem"
        chain = (cert, self.ca_cert, *self.parents)
        cert_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
        _write_key(key_path, key)
        return LeafFiles(cert_path=cert_path, key_path=key_path, chain=chain)

    def intermediate(self, common_name: str) -> LabPki:
        """A CA signed by this one, in ``<directory>/<common_name slug>/``; its leaves' chain
        files hold leaf, intermediate, then this CA and its own parents."""
        directory = self.directory / "".join(ch if ch.isalnum() else "-" for ch in common_name)
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(_CURVE)
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(signs_certificates=True), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                critical=False,
            )
            .sign(self.ca_key, hashes.SHA256())
        )
        ca_path = directory / "ca.pem"
        ca_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(directory / "ca-key.pem", key)
        return LabPki(
            directory=directory,
            ca_path=ca_path,
            ca_cert=cert,
            ca_key=key,
            parents=(self.ca_cert, *self.parents),
        )


def make_ca(
    directory: Path, common_name: str = "wsdiag lab CA", path_length: int | None = 0
) -> LabPki:
    """Create a root CA in ``directory`` (``ca.pem``, ``ca-key.pem``); ``path_length`` None
    lets it sign intermediates (:meth:`LabPki.intermediate`)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(_CURVE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(directory / "ca-key.pem", key)
    return LabPki(directory=directory, ca_path=ca_path, ca_cert=cert, ca_key=key)


def make_pki(
    directory: Path,
    dns_names: Iterable[str] = ("localhost",),
    ip_addresses: Iterable[str] = ("127.0.0.1",),
) -> tuple[LabPki, LeafFiles]:
    """Shortcut for the common case: a CA and one server leaf named ``server``."""
    pki = make_ca(directory)
    return pki, pki.issue("server", dns_names, ip_addresses)


def self_signed(
    directory: Path,
    common_name: str = "nas.local",
    dns_names: Iterable[str] | None = None,
) -> LeafFiles:
    """A device's own certificate, as a NAS or a router's portal serves: self-signed, no CA,
    named after the device (``nas.local``). Written as ``<common_name>.pem``/``-key.pem``."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(_CURVE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    sans = [x509.DNSName(d) for d in (dns_names if dns_names is not None else [common_name])]
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365))
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    cert_path = directory / f"{common_name}.pem"
    key_path = directory / f"{common_name}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key_path, key)
    return LeafFiles(cert_path=cert_path, key_path=key_path, chain=(cert,))


def _key_usage(signs_certificates: bool) -> x509.KeyUsage:
    """ECDSA keys sign: handshakes (leaf), or certificates and CRLs too (CA)."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
