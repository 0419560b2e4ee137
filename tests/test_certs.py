"""Certificate judgements, offline: public root, OS-style path validation, clock skew, trust
stores. Certificates are made here (tests/support/certs.py); nothing touches the network."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from tests.support.certs import LabPki, LeafFiles, make_ca, self_signed
from wsdiag.certs import (
    CertSummary,
    PublicRoots,
    anchored_in,
    clock_skew,
    ends_in_public_root,
    load_der,
    load_pem_bundle,
    seen_of_ssl_reason,
    skew_direction,
    summarise,
    summarise_chain,
    unverified_chain,
    verify_for_host,
)
from wsdiag.host import trust
from wsdiag.vocab.model import Tri

NAME = "ws-broker-service.eu-west-1.amazonaws.com"
NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class World:
    public: LabPki  # a "public" root, passed as the public set
    inter: LabPki  # an intermediate under it, as real public chains have
    corp: LabPki  # an inspecting firewall's own root ("Corp SSL Forward Trust CA")
    impostor: LabPki  # a root with the public root's name but another key
    good: LeafFiles  # leaf <- inter <- public
    direct: LeafFiles  # leaf <- public
    expired: LeafFiles
    not_yet: LeafFiles
    inspected: LeafFiles  # leaf <- corp
    forged: LeafFiles  # leaf <- impostor (issuer name matches the public root)
    nas: LeafFiles  # self-signed nas.local


@pytest.fixture(scope="module")  # module scope: hypothesis tests may use it too
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return _make_world(tmp_path_factory.mktemp("pki"))


def _make_world(d: Path) -> World:
    public = make_ca(d / "public", "Test Public Root G1", path_length=None)
    inter = public.intermediate("Test Public Issuing CA 1")
    corp = make_ca(d / "corp", "Corp SSL Forward Trust CA")
    impostor = make_ca(d / "impostor", "Test Public Root G1")
    return World(
        public=public,
        inter=inter,
        corp=corp,
        impostor=impostor,
        good=inter.issue("good", [NAME]),
        direct=public.issue("direct", [NAME]),
        expired=inter.issue("expired", [NAME], valid=(NOW - 30 * DAY, NOW - DAY)),
        not_yet=inter.issue("not-yet", [NAME], valid=(NOW + DAY, NOW + 30 * DAY)),
        inspected=corp.issue("inspected", [NAME]),
        forged=impostor.issue("forged", [NAME]),
        nas=self_signed(d / "nas", "nas.local"),
    )


def roots(*cas: LabPki) -> PublicRoots:
    return PublicRoots(c.ca_cert for c in cas)


# --- summaries -------------------------------------------------------------------------


def test_summary_fields(world: World) -> None:
    der = world.good.der()
    s = summarise_chain(der)
    assert len(s) == 3
    leaf = s[0]
    assert leaf.subject_cn == NAME and leaf.sans == (NAME,)
    assert leaf.issuer_cn == "Test Public Issuing CA 1"
    assert "CN=Test Public Issuing CA 1" in leaf.issuer
    assert leaf.sha256 == hashlib.sha256(der[0]).hexdigest()
    assert leaf.not_before.tzinfo is not None and leaf.not_before < NOW < leaf.not_after
    assert not leaf.self_issued and s[2].self_issued
    assert leaf.names() == (NAME,)


def test_summary_without_san_names_the_cn(world: World, tmp_path: Path) -> None:
    bare = self_signed(tmp_path, "router.lan", dns_names=[])
    s = summarise(bare.chain[0])
    assert s.sans == () and s.names() == ("router.lan",)


def test_unparsable_bytes_are_dropped(world: World) -> None:
    got = load_der([b"\x30\x03junk", *world.good.der()[:1]])
    assert [c.subject for c in got] == [world.good.chain[0].subject]
    assert summarise_chain([b"not a certificate"]) == ()


def test_pem_bundle_skips_a_bad_block(world: World) -> None:
    pem = world.public.ca_cert.public_bytes(serialization.Encoding.PEM)
    bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    assert len(load_pem_bundle(bad + pem + pem)) == 2


# --- public root -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leaf", "chain", "expected"),
    [
        ("good", slice(0, 2), Tri.YES),  # leaf + intermediate, the usual
        ("good", slice(0, 3), Tri.YES),  # the root sent too
        ("good", slice(0, 1), Tri.NO),  # intermediate missing: the path stops (never fetched)
        ("direct", slice(0, 1), Tri.YES),  # issued by the root itself
        ("expired", slice(0, 2), Tri.YES),  # time plays no part
        ("not_yet", slice(0, 2), Tri.YES),
        ("inspected", slice(0, 2), Tri.NO),  # the firewall's own root, sent or not
        ("inspected", slice(0, 1), Tri.NO),
        ("forged", slice(0, 1), Tri.NO),  # the right issuer name, the wrong key
        ("forged", slice(0, 2), Tri.NO),
        ("nas", slice(0, 1), Tri.NO),
    ],
)
def test_ends_in_public_root(world: World, leaf: str, chain: slice, expected: Tri) -> None:
    files: LeafFiles = getattr(world, leaf)
    assert ends_in_public_root(files.der()[chain], roots(world.public)) is expected


@given(order=st.permutations(range(4)))
def test_chain_order_does_not_matter_after_the_leaf(world: World, order: list[int]) -> None:
    # Servers send intermediates in any order, with strays: the path is found by signature.
    w = world
    extras = [
        *w.good.der()[1:],
        w.corp.ca_cert.public_bytes(serialization.Encoding.DER),
        w.inspected.der()[0],
    ]
    chain = [w.good.der()[0], *(extras[i] for i in order)]
    assert ends_in_public_root(chain, roots(w.public)) is Tri.YES
    assert (
        ends_in_public_root([w.inspected.der()[0], *(extras[i] for i in order)], roots(w.public))
        is Tri.NO
    )


def test_public_root_unknown_without_inputs(world: World) -> None:
    assert ends_in_public_root([], roots(world.public)) is Tri.UNKNOWN
    assert ends_in_public_root(world.good.der(), PublicRoots([])) is Tri.UNKNOWN
    assert ends_in_public_root([b"garbage"], roots(world.public)) is Tri.UNKNOWN


def test_deployed_corporate_root_counts_only_when_made_public(world: World) -> None:
    # A lab (or air-gapped test) may pass its own CA as "public" with --public-roots.
    assert ends_in_public_root(world.inspected.der(), roots(world.corp)) is Tri.YES
    assert ends_in_public_root(world.good.der(), roots(world.corp)) is Tri.NO


def test_a_server_padding_its_chain_with_a_public_cert_is_not_public(world: World) -> None:
    # The path is followed from the leaf: an unrelated public certificate sent along with an
    # intercepted leaf does not make the chain public.
    der = world.inspected.der()[:1] + world.good.der()[1:2]
    assert ends_in_public_root(der, roots(world.public)) is Tri.NO


# --- path validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leaf", "host", "anchors", "expected"),
    [
        ("good", NAME, "public", Tri.YES),
        ("good", "other.example.com", "public", Tri.NO),
        ("expired", NAME, "public", Tri.NO),
        ("not_yet", NAME, "public", Tri.NO),
        ("inspected", NAME, "public", Tri.NO),
        ("inspected", NAME, "corp", Tri.YES),  # the firewall's root deployed on the laptop
        ("forged", NAME, "public", Tri.NO),
        ("nas", "nas.local", "public", Tri.NO),
        ("good", NAME, "none", Tri.UNKNOWN),
    ],
)
def test_verify_for_host(world: World, leaf: str, host: str, anchors: str, expected: Tri) -> None:
    store = {"public": [world.public.ca_cert], "corp": [world.corp.ca_cert], "none": []}[anchors]
    files: LeafFiles = getattr(world, leaf)
    value, reason, path = verify_for_host(files.der()[:2], host, NOW, store)
    assert value is expected, reason
    assert (reason == "") == (value is Tri.YES) == bool(path)
    if path:  # leaf first, the anchor last
        assert path[0] == files.chain[0] and path[-1] in store


def test_a_validated_path_to_a_public_root_is_public(world: World) -> None:
    got = verify_for_host(world.good.der(), NAME, NOW, [world.public.ca_cert, world.corp.ca_cert])
    assert anchored_in(got.path, roots(world.public))
    assert not anchored_in(got.path, roots(world.corp))
    mitm = verify_for_host(world.inspected.der(), NAME, NOW, [world.corp.ca_cert])
    assert mitm.value is Tri.YES and not anchored_in(mitm.path, roots(world.public))
    assert not anchored_in((), roots(world.public))


def test_verify_uses_store_intermediates(world: World) -> None:
    # Windows' CA store may hold the intermediate a server left out.
    leaf_only = world.good.der()[:1]
    assert verify_for_host(leaf_only, NAME, NOW, [world.public.ca_cert])[0] is Tri.NO
    got = verify_for_host(leaf_only, NAME, NOW, [world.public.ca_cert], [world.inter.ca_cert])
    assert got[0] is Tri.YES


# --- OS store and public-roots loading ---------------------------------------------------


def test_os_store_honours_ssl_cert_file(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(world.corp.ca_path))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty))
    store = trust.load_os_store("Linux")
    assert [c.subject for c in store.roots] == [world.corp.ca_cert.subject]
    assert trust.os_trust(world.inspected.der(), NAME, NOW, store)[0] is Tri.YES
    assert trust.os_trust(world.good.der(), NAME, NOW, store)[0] is Tri.NO


def test_os_store_reads_hashed_directory(world: World, tmp_path: Path) -> None:
    d = tmp_path / "certs"
    d.mkdir()
    (d / "abcd1234.0").write_bytes(world.public.ca_path.read_bytes())
    (d / "README").write_text("not a certificate")
    store = trust._openssl_store(None, str(d))
    assert len(store.roots) == 1


def test_the_hashed_directory_is_read_only_for_a_chain_the_ca_file_does_not_verify(
    world: World, tmp_path: Path
) -> None:
    # As OpenSSL: the CA file's roots first, the hashed folder for an issuer it lacks.
    d = tmp_path / "hashed"
    d.mkdir()
    (d / "abcd1234.0").write_bytes(world.public.ca_path.read_bytes())
    store = trust._openssl_store(str(world.corp.ca_path), str(d))
    assert [c.subject for c in store.roots] == [world.corp.ca_cert.subject]
    assert trust.os_trust(world.inspected.der(), NAME, NOW, store)[0] is Tri.YES
    assert "with_lookup_dir" not in store.__dict__  # verified by the CA file: not read
    assert trust.os_trust(world.good.der(), NAME, NOW, store)[0] is Tri.YES  # the folder's
    assert len(store.with_lookup_dir.roots) == 2
    # a CA file without certificates: the folder is all there is, read at once
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    alone = trust._openssl_store(str(empty), str(d))
    assert len(alone.roots) == 1 and not alone.lookup_dir
    # a chain neither the CA file nor a (missing) folder verifies stays NO
    other = trust._openssl_store(str(world.corp.ca_path), str(tmp_path / "missing"))
    assert trust.os_trust(world.good.der(), NAME, NOW, other)[0] is Tri.NO


def test_os_trust_unknown_on_macos_and_on_demand_windows(world: World) -> None:
    mac = trust.load_os_store("Darwin")
    value, reason, _ = trust.os_trust(world.good.der(), NAME, NOW, mac)
    assert value is Tri.UNKNOWN and "macOS" in reason
    win = trust.OsStore((world.impostor.ca_cert,), source="test", on_demand_roots=True)
    public = roots(world.public)
    assert trust.os_trust(world.good.der(), NAME, NOW, win, public)[0] is Tri.UNKNOWN
    # ... but a chain ending in no public root is still not trusted.
    assert trust.os_trust(world.inspected.der(), NAME, NOW, win, public)[0] is Tri.NO


def test_public_roots_sources(world: World, tmp_path: Path) -> None:
    assert trust.public_roots_path("a.pem", {trust.ENV_PUBLIC_ROOTS: "b.pem"}) == Path("a.pem")
    assert trust.public_roots_path(None, {trust.ENV_PUBLIC_ROOTS: "b.pem"}) == Path("b.pem")
    assert trust.public_roots_path(None, {}) is None
    mine = trust.load_public_roots(world.public.ca_path)
    assert len(mine) == 1
    assert len(trust.load_public_roots(None)) > 50  # certifi's Mozilla list
    with pytest.raises(trust.TrustError, match="no PEM certificate"):
        (tmp_path / "empty.pem").write_text("nothing")
        trust.load_public_roots(tmp_path / "empty.pem")
    with pytest.raises(trust.TrustError, match=r"missing\.pem"):
        trust.load_public_roots(tmp_path / "missing.pem")


# --- clock skew ----------------------------------------------------------------------------


def _s(i: int, start: dt.datetime, end: dt.datetime) -> CertSummary:
    return CertSummary(f"h{i}", (), "CN=x", "x", start, end, f"{i:064x}", False)


VALID = (NOW - DAY, NOW + DAY)
PAST = (NOW - 30 * DAY, NOW - DAY)
FUTURE = (NOW + DAY, NOW + 30 * DAY)


@pytest.mark.parametrize(
    ("windows", "skew", "direction"),
    [
        ([], False, ""),
        ([VALID, VALID, VALID], False, ""),
        ([PAST, VALID, VALID, VALID], False, "ahead"),  # one expired certificate: that server's
        ([PAST, PAST, VALID], True, "ahead"),
        ([FUTURE, FUTURE, FUTURE], True, "behind"),
        ([FUTURE, PAST], True, ""),
        ([FUTURE], False, "behind"),
    ],
)
def test_clock_skew(
    windows: list[tuple[dt.datetime, dt.datetime]], skew: bool, direction: str
) -> None:
    sums = [_s(i, *w) for i, w in enumerate(windows)]
    assert clock_skew(sums, NOW) is skew
    assert skew_direction(sums, NOW) == direction


def test_clock_skew_counts_distinct_certificates() -> None:
    same = _s(1, *PAST)
    assert not clock_skew([same, same, same, _s(2, *VALID)], NOW)


@given(st.lists(st.sampled_from([VALID, PAST, FUTURE]), max_size=12))
def test_clock_skew_properties(windows: list[tuple[dt.datetime, dt.datetime]]) -> None:
    sums = [_s(i, *w) for i, w in enumerate(windows)]
    outside = sum(w is not VALID for w in windows)
    assert clock_skew(sums, NOW) == (outside >= 2 and 2 * outside >= len(windows))
    # Every certificate valid again once the clock is right: never skew.
    assert not clock_skew([_s(i, *VALID) for i in range(len(windows))], NOW)


# --- handshake outcomes, chain capture fallbacks ------------------------------------------


@pytest.mark.parametrize(
    ("reason", "seen"),
    [
        ("WRONG_VERSION_NUMBER", "not-tls"),
        ("RECORD_LAYER_FAILURE", "not-tls"),
        ("HTTP_REQUEST", "not-tls"),
        ("TLSV1_ALERT_PROTOCOL_VERSION", "tls-refused"),
        ("SSLV3_ALERT_HANDSHAKE_FAILURE", "tls-refused"),
        ("TLSV1_UNRECOGNIZED_NAME", "none"),
        (None, "none"),
    ],
)
def test_seen_of_ssl_reason(reason: str | None, seen: str) -> None:
    assert seen_of_ssl_reason(reason) == seen


class _LeafOnly:
    """An SSL object without get_unverified_chain (another Python): the leaf is the fallback."""

    def __init__(self, der: bytes | None) -> None:
        self.der = der

    def getpeercert(self, binary_form: bool = False) -> bytes | None:
        return self.der


def test_unverified_chain_falls_back_to_the_leaf(world: World) -> None:
    leaf = world.good.der()[0]
    assert unverified_chain(_LeafOnly(leaf)) == [leaf]
    assert unverified_chain(_LeafOnly(None)) == []
    assert unverified_chain(object()) == []
