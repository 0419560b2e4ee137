"""Evidence built once, by its owners: each fact belongs to one stage, the stages' bases never
overlap, the clock is an input, and a new evidence source plugs in through the seam."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

import pytest

from tests.synth import results
from tests.synth_tls import NOW, signin_chains
from tests.test_classify import CASES, PROXY_CASES
from wsdiag.evidence.build import build, collect
from wsdiag.evidence.chain import ChainFacts, chain_facts
from wsdiag.evidence.client_paths import StreamRouteFacts, stream_route_facts
from wsdiag.evidence.dns import DnsFacts, dns_facts
from wsdiag.evidence.endpoint import EndpointFacts, endpoint_facts
from wsdiag.evidence.internet import InternetFacts, internet_facts
from wsdiag.evidence.logs import LogsSource
from wsdiag.evidence.machine import MachineFacts, PathsSource, machine_facts
from wsdiag.evidence.names import NameFacts, name_facts
from wsdiag.evidence.quality import SessionFacts, session_facts
from wsdiag.evidence.refusals import RefusalFacts, refusal_facts
from wsdiag.evidence.route import RouteFacts, route_facts
from wsdiag.evidence.stream import ProxyStreamFacts, proxy_stream_facts
from wsdiag.evidence.tls import TlsFacts, tls_facts
from wsdiag.host.paths import paths_json
from wsdiag.rules.facts import CheckFacts
from wsdiag.rules.verdict import diagnose
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.logs import LogContext
from wsdiag.vocab.model import DnsOutcome, Environment, Owner, Plan, Severity, Tri
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult, ProbeResult
from wsdiag.vocab.rows import FindingRule, Y, apply

STAGES = (
    DnsFacts,
    EndpointFacts,
    InternetFacts,
    RouteFacts,
    TlsFacts,
    NameFacts,
    ProxyStreamFacts,
    MachineFacts,
    SessionFacts,
    RefusalFacts,
    ChainFacts,
    StreamRouteFacts,
)
OWN = {"basis", "sources"}  # Evidence's own fields: the merged basis, other sources' facts
KWARGS = [c[1] for c in CASES + PROXY_CASES]


def test_every_fact_has_exactly_one_owner_of_the_same_type() -> None:
    evidence = {f.name: f.type for f in fields(Evidence) if f.name not in OWN}
    owners: dict[str, list[str]] = {}
    for stage in STAGES:
        for f in fields(stage):
            if f.name == "basis":
                continue
            owners.setdefault(f.name, []).append(stage.__name__)
            assert f.name in evidence, f"{stage.__name__}.{f.name} is not an Evidence fact"
            assert f.type == evidence[f.name], (stage.__name__, f.name, f.type)
    assert {n: o for n, o in owners.items() if len(o) > 1} == {}
    assert set(evidence) - set(owners) == set(), "Evidence facts no stage decides"


def _stages(r: Observed) -> list[Mapping[str, tuple[str, ...]]]:
    ep = endpoint_facts(r)
    return [
        dns_facts(r).basis,
        ep.basis,
        internet_facts(r).basis,
        route_facts(r).basis,
        tls_facts(r, NOW).basis,
        name_facts(r, ep.endpoint_addresses).basis,
        proxy_stream_facts(r).basis,
        machine_facts(getattr(r, "paths", None), r).basis,
        session_facts(r).basis,
        refusal_facts(r).basis,
        chain_facts(r, ep.endpoint_private, machine_facts(getattr(r, "paths", None), r)).basis,
        stream_route_facts(None, False).basis,
    ]


@pytest.mark.parametrize("kwargs", KWARGS)
def test_the_stages_bases_never_overlap_and_cover_every_known_fact(kwargs: dict) -> None:
    r = results(**kwargs)
    bases = _stages(r)
    seen: set[str] = set()
    for b in bases:
        assert not seen & set(b), f"decided twice: {seen & set(b)}"
        seen |= set(b)
    e = build(r, NOW, machine_facts(r.paths, r))
    assert e.basis == {k: v for b in bases for k, v in b.items()}
    # every fact a stage decided (YES or NO) names the results behind it
    known = {
        f.name
        for f in fields(Evidence)
        if isinstance(v := getattr(e, f.name), Tri) and v is not Tri.UNKNOWN
    }
    assert known <= set(e.basis), known - set(e.basis)


def test_the_clock_is_an_input() -> None:
    """The same handshakes judged at two instants: only ``now`` moves clock_skew."""
    r = results(tweak=signin_chains())
    machine = machine_facts(None, r)
    at_now = build(r, NOW, machine)
    later = build(r, NOW + dt.timedelta(days=3650), machine)
    assert at_now.clock_skew is Tri.NO
    assert later.clock_skew is Tri.YES and later.tls.skew == "ahead"
    assert build(r, NOW, machine) == at_now


# --- the seam: a third source, as the cloud cross-check will be ---------------------------


@dataclass(frozen=True)
class ToyFacts:
    toy_sg_4195: Tri
    basis: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class ToySource:
    """Gathers nothing from the network: its section is what the plan says."""

    name: str = "toy"

    def gather(
        self, plan: Plan, dns: tuple[DnsResult, ...], probes: tuple[ProbeResult, ...], until: float
    ) -> tuple[str, ...]:
        return tuple(pt.host for pt in plan.targets if not pt.skip_reason)

    def facts(self, section: tuple[str, ...], observed: Observed) -> ToyFacts:
        return ToyFacts(Tri.of(bool(section)), {"toy_sg_4195": ("toy/api",)})

    def to_json(self, section: tuple[str, ...]) -> Mapping[str, object]:
        return {"hosts": list(section)}


TOY_ROW: FindingRule[CheckFacts] = FindingRule(
    name="toy-sg",
    code="TOY_SG_4195",
    severity=Severity.WARNING,
    owner=Owner.AWS,
    when="the toy source says so",
    message="toy",
    remediation="",
    facts=(("toy_sg_4195", (Y,)),),
)


def test_a_third_source_plugs_in_without_touching_evidence_or_the_rows_engine() -> None:
    r = results()
    toy = collect(ToySource(), r, time.monotonic() + 1)
    e = build(r, NOW, machine_facts(None, r), {"toy": toy.facts})
    assert e.fact("toy_sg_4195") is Tri.YES and e.basis["toy_sg_4195"] == ("toy/api",)
    finding = apply(TOY_ROW, CheckFacts.of(e, Environment.UNKNOWN))
    assert finding is not None and finding.basis == (("toy_sg_4195", ("toy/api",)),)
    with pytest.raises(AttributeError):
        e.fact("no_such_fact")
    # Its findings (the cloud's are) can be shown beside the check's without setting the
    # verdict; its rows read its facts by name through Evidence.fact, as here.
    assert diagnose(e).verdict is diagnose(build(r, NOW, machine_facts(None, r))).verdict


def test_the_paths_and_logs_sources_fill_their_sections() -> None:
    """This machine's paths to loopback-only answers (routes read, nothing sent), and logs
    never read."""
    made = results(
        endpoint_dns=["127.0.0.10"], needed=DnsOutcome.NXDOMAIN, expected=DnsOutcome.NXDOMAIN
    )
    r = Observed(made.plan, tuple(replace(d, resolver=None) for d in made.dns), made.probes)
    paths = collect(PathsSource(), r, time.monotonic() + 2)
    assert paths.section is not None
    assert [p.destination for p in paths.section.paths] == ["127.0.0.10"]
    assert paths_json(paths.section) is not None
    assert paths.facts.tunnel_up in (Tri.YES, Tri.NO)
    logs = collect(LogsSource(LogContext()), r, time.monotonic() + 1)
    assert (logs.section, logs.facts.findings) == (None, ())
    assert LogsSource(LogContext()).to_json(None) is None
