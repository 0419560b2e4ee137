"""Per-address judgement of the endpoint (issue 7), findings as data, and their basis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.synth import E, F, O, R, Synthetic, diagnose, results
from tests.synth_tls import NOW
from tests.test_classify import (
    A_ALL,
    NO_TCP4195_B,
    QUIC4195_ONLY_A,
    TCP443_ONLY_A,
    TCP_ONLY_B,
    A,
    B,
    any_results,
    paths,
)
from wsdiag.evidence.build import build
from wsdiag.evidence.client_paths import stream_route, views
from wsdiag.evidence.machine import machine_facts
from wsdiag.render.report import evidence_json, finding_json
from wsdiag.rules.facts import DERIVED
from wsdiag.rules.verdict import FINDING_RULES
from wsdiag.vocab.model import Owner, Status, Transport, Tri, Verdict
from wsdiag.vocab.observed import FAILED

ISSUE_NETWORKS = [
    # id, endpoint paths, code that must name the broken address, the failing paths it names
    (
        "b-has-no-quic",
        paths(A_ALL, TCP_ONLY_B),
        "ENDPOINT_QUIC_BLOCKED",
        B,
        ("quic/443", "quic/4195"),
    ),
    (
        "a-quic-4195-only",
        paths(QUIC4195_ONLY_A),
        "ENDPOINT_ADDRESS_PARTIAL",
        A,
        ("tcp/443", "tcp/4195", "quic/443"),
    ),
    (
        "a-tcp-443-only",
        paths(TCP443_ONLY_A, NO_TCP4195_B),
        "ENDPOINT_4195_BLOCKED",
        A,
        ("tcp/4195", "quic/443", "quic/4195"),
    ),
    (
        "b-no-tcp-4195",
        paths(TCP443_ONLY_A, NO_TCP4195_B),
        "ENDPOINT_ADDRESS_PARTIAL",
        B,
        ("tcp/4195",),
    ),
]


@pytest.mark.parametrize(
    ("endpoint", "code", "address", "missing"),
    [c[1:] for c in ISSUE_NETWORKS],
    ids=[c[0] for c in ISSUE_NETWORKS],
)
def test_the_finding_names_the_address_and_its_missing_paths(
    endpoint: object, code: str, address: str, missing: tuple[str, ...]
) -> None:
    _, d = diagnose(results(endpoint=endpoint))  # type: ignore[arg-type]
    assert d.verdict is Verdict.DEGRADED
    f = next(f for f in d.findings if f.code == code)
    assert address in f.message and all(m in f.message for m in missing), f.message
    assert f"endpoint_addresses[{address}]" in dict(f.basis)
    other = B if address == A else A
    assert f"endpoint_addresses[{other}]" not in dict(f.basis)


def test_quic_only_endpoint_is_blocked_and_says_why() -> None:
    _, d = diagnose(
        results(endpoint_dns=[A], endpoint=paths({(A, "tcp", 443): R, (A, "tcp", 4195): F}))
    )
    f = next(f for f in d.findings if f.code == "ENDPOINT_TCP_BLOCKED")
    assert d.verdict is Verdict.BLOCKED and "TCP WebSocket" in f.message
    assert f.owner is Owner.NETWORK


path_status = st.sampled_from([O, O, R, F, E, Status.UNREACHABLE])
ADDRESSES = ("10.0.1.10", "10.0.2.10", "10.0.3.10")


@st.composite
def per_address(draw: st.DrawFn) -> object:
    addrs = draw(st.lists(st.sampled_from(ADDRESSES), min_size=1, max_size=3, unique=True))
    table = {
        (a, k, p): draw(path_status) for a in addrs for k in ("tcp", "quic") for p in (443, 4195)
    }
    return results(endpoint_dns=addrs, endpoint=paths(table))


def _by_address(r: object) -> dict[str, dict[tuple[str, int], Status]]:
    out: dict[str, dict[tuple[str, int], Status]] = {}
    for p in r.probes:  # type: ignore[attr-defined]
        if p.target_id == "endpoint":
            kind = "quic" if p.transport is Transport.QUIC else "tcp"
            out.setdefault(p.address, {})[(kind, p.port)] = p.status
    return out


@settings(max_examples=400, deadline=None)
@given(per_address())
def test_ready_means_every_address_answers_both_4195_paths(r: object) -> None:
    _, d = diagnose(r)  # type: ignore[arg-type]
    units = _by_address(r)
    if d.verdict is Verdict.READY:
        for addr, got in units.items():
            assert got[("tcp", 4195)] is O and got[("quic", 4195)] is O, (addr, got)
    no_usable = all(
        got[("tcp", 443)] in FAILED and got[("tcp", 4195)] in FAILED for got in units.values()
    )
    if no_usable:
        assert d.verdict is Verdict.BLOCKED, [f.code for f in d.findings]
    if d.verdict is Verdict.DEGRADED:
        assert any(f.severity == "warning" for f in d.findings)


NEVER_TOGETHER = {(r.code, other) for r in FINDING_RULES for other in r.never_with}


def route_bases(r: Synthetic) -> list[Mapping[str, tuple[str, ...]]]:
    """The basis of each route's Evidence, as wsdiag.run.judge builds them (two where the
    client's route behind a proxy is undocumented: through the proxy, then direct)."""
    machine = machine_facts(r.paths, r)
    route = stream_route(r, r.paths)
    return [
        build(v.observed, NOW, machine, None, route, v.through_proxy).basis for v in views(r, route)
    ]


@settings(max_examples=300, deadline=None)
@given(st.one_of(any_results(), per_address()))
def test_rows_keep_their_promises(r: Synthetic) -> None:
    e, d = diagnose(r)
    codes = {f.code for f in d.findings}
    assert not {(a, b) for a, b in NEVER_TOGETHER if a in codes and b in codes}
    # a finding names the results of the route it was judged on (the Evidence shown is
    # the first route's; an undocumented route's findings may come from either)
    bases = route_bases(r)
    assert bases[0] == e.basis
    for f in d.findings:
        assert f.owner in Owner and f.rule
        for fact, ids in f.basis:
            assert fact in e.basis, (f.code, fact)
            assert any(ids == b[fact] for b in bases), (f.code, fact, ids)
        js = finding_json(f)
        assert set(js["basis"]) == {k for k, _ in f.basis} and js["owner"] == str(f.owner)
    # every fact records the results behind it
    tri = {x.name for x in fields(e) if isinstance(getattr(e, x.name), Tri)}
    assert tri <= set(e.basis)
    units = evidence_json(e)["endpoint_addresses"]
    assert [u["address"] for u in units] == [a.address for a in e.endpoint_addresses]


def test_every_rule_declares_an_owner_and_known_facts() -> None:
    known = {x.name for x in fields(diagnose(results())[0])} | DERIVED
    for rule in FINDING_RULES:
        assert rule.owner in Owner and rule.when
        assert {name for name, _ in rule.facts} <= known, rule.code
