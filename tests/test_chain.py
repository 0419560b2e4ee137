"""Pure: the resolver chain's facts and rows, table-driven over synthetic runs with the
per-server answers a run records, and where wsdiag runs (a container changes no code)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.synth import diagnose, results
from tests.test_classify import CASES
from wsdiag.vocab.model import DnsOutcome, Tri, Verdict
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult, Ede, ServerAnswer

A, SF, NX, TO = DnsOutcome.ANSWER, DnsOutcome.SERVFAIL, DnsOutcome.NXDOMAIN, DnsOutcome.TIMEOUT
EP = ["10.0.1.10", "10.0.2.10"]


def sa(server: str, order: int, outcome: DnsOutcome, **kw: object) -> ServerAnswer:
    addresses = tuple(EP) if outcome is A else ()
    return ServerAnswer(server, order, "resolv.conf", outcome, addresses, 5.0, **kw)  # type: ignore[arg-type]


def with_servers(r: Observed, servers: tuple[ServerAnswer, ...], **a_kw: object) -> Observed:
    ep = r.endpoint_id()

    def fix(d: DnsResult) -> DnsResult:
        if d.target_id == ep and d.rdtype == "A":
            return replace(d, servers=servers, **a_kw)  # type: ignore[arg-type]
        return d

    return replace(r, dns=tuple(fix(d) for d in r.dns))


def run(r: Observed) -> tuple[str, str, list[str]]:
    _, d = diagnose(r)
    return str(d.environment), str(d.verdict), [f.code for f in d.findings]


def test_servfail_first_then_the_answer_is_ready_with_the_advisory() -> None:
    r = with_servers(results(), (sa("10.9.0.53", 0, SF), sa("10.0.0.2", 1, A)))
    _, verdict, codes = run(r)
    assert verdict == "ready" and "DNS_FIRST_SERVER_SERVFAIL" in codes
    _, d = diagnose(r)
    f = next(f for f in d.findings if f.code == "DNS_FIRST_SERVER_SERVFAIL")
    assert "10.9.0.53" in f.message and "SERVFAIL" in f.message and "10.0.0.2" in f.message
    assert "not confirmed for current Windows" in f.message
    assert "fix or remove" in f.remediation.lower()


def test_a_late_answer_is_ready_and_says_how_slow() -> None:
    r = with_servers(results(), (sa("10.0.0.2", 0, A),), late=True, ms=3012.0)
    _, verdict, codes = run(r)
    assert verdict == "ready" and "ENDPOINT_DNS_SLOW" in codes
    _, d = diagnose(r)
    assert "3.0 s" in next(f.message for f in d.findings if f.code == "ENDPOINT_DNS_SLOW")


@pytest.mark.parametrize(
    ("server", "kw", "named"),
    [
        ("127.0.0.53", {"ede": (Ede(10, "RRSIGs missing"),)}, "local stub"),
        ("127.0.0.53", {"cd_outcome": A, "cd_ms": 12.0, "plain_again": SF}, "local stub"),
        ("10.0.0.2", {"ede": (Ede(6),)}, "10.0.0.2"),
    ],
)
def test_dnssec_validation_is_named_only_with_its_evidence(
    server: str, kw: dict[str, object], named: str
) -> None:
    r = with_servers(results(endpoint_dns=SF), (sa(server, 0, SF, **kw),))
    _, verdict, codes = run(r)
    assert verdict == "blocked" and codes[0] == "DNSSEC_VALIDATION_FAILS", codes
    assert "ENDPOINT_DNS_FAILED" not in codes
    _, d = diagnose(r)
    assert named in d.findings[0].message


@pytest.mark.parametrize(
    "kw",
    [
        {},  # a plain SERVFAIL
        {"ede": (Ede(22, "no reachable authority"),)},  # EDE, but not a DNSSEC one
        {"cd_outcome": SF, "plain_again": SF},  # CD fails too
        {"cd_outcome": A, "cd_ms": 1500.0, "plain_again": SF},  # not within a second
    ],
)
def test_no_dnssec_without_its_evidence(kw: dict[str, object]) -> None:
    r = with_servers(results(endpoint_dns=SF), (sa("10.0.0.2", 0, SF, **kw),))
    _, verdict, codes = run(r)
    assert "DNSSEC_VALIDATION_FAILS" not in codes and verdict == "blocked"


def test_a_forwarder_for_a2z_com_that_does_not_answer() -> None:
    silent = sa("10.9.0.53", 0, TO, soa_apex=TO, soa_region=TO, answered_other=True)
    r = with_servers(results(endpoint_dns=TO), (replace(silent, ms=None),))
    env, verdict, codes = run(r)
    assert (env, verdict) == ("unknown", "blocked") and codes[0] == "DNS_FORWARDER_SILENT", codes
    _, d = diagnose(r)
    assert "a2z.com alone fails on the resolver 10.9.0.53" in d.findings[0].message
    assert "inbound endpoint" in d.findings[0].remediation


def test_a_silent_server_that_answered_nothing_else_is_not_a_forwarder_fault() -> None:
    silent = sa("10.9.0.53", 0, TO, soa_apex=TO, soa_region=TO, answered_other=False)
    _, _, codes = run(with_servers(results(endpoint_dns=TO), (silent,)))
    assert "DNS_FORWARDER_SILENT" not in codes


def test_the_vpcs_plus2_from_outside_is_named_outright() -> None:
    from tests.synth import plan_for

    plan = replace(plan_for(), vpc_cidrs=("10.0.0.0/16",))
    silent = sa("10.0.0.2", 0, TO, soa_apex=TO, answered_other=True)
    r = with_servers(results(endpoint_dns=TO, plan=plan), (silent,))
    _, verdict, codes = run(r)
    assert verdict == "blocked" and codes[0] == "DNS_VPC_RESOLVER_FROM_OUTSIDE", codes
    assert "DNS_FORWARDER_SILENT" not in codes


@pytest.mark.parametrize(
    ("server", "host", "agent", "setting", "where"),
    [
        # WARP's local DNS proxy, no host facts: its resolver address alone names it, and
        # says where DNS answered, never that WARP runs here (FRESH-REPORT item 23a: the
        # address may be the one given with --nameserver)
        (
            "127.0.2.2",
            None,
            "Cloudflare WARP",
            "Local Domain Fallback",
            "answers at 127.0.2.2 (no process or interface of it was seen here)",
        ),
        # MagicDNS is RFC 6598 and off the LAN: without the agent table it would read as a
        # company resolver that cannot see the zone (DNS_PRIVATE_ZONE_NOT_VISIBLE); its
        # process and interface are here
        (
            "100.100.100.100",
            "tailscale",
            "Tailscale MagicDNS",
            "split-DNS",
            "runs here (resolver 100.100.100.100, process tailscaled, interface tailscale0)",
        ),
    ],
)
def test_a_dns_agent_that_answers_the_private_name_is_named_with_its_setting(
    server: str, host: str | None, agent: str, setting: str, where: str
) -> None:
    r = with_servers(results(endpoint_dns=NX, host=host), (sa(server, 0, NX),), resolver=server)
    env, verdict, codes = run(r)
    assert verdict == "blocked" and codes[0] == "DNS_AGENT_OWNS_NAME", codes
    assert env != "home" and "HOME_NETWORK" not in codes
    assert {"ENDPOINT_NXDOMAIN", "DNS_PRIVATE_ZONE_NOT_VISIBLE"}.isdisjoint(codes)
    _, d = diagnose(r)
    f = d.findings[0]
    assert f"is answered by {agent}, which {where}. It sends" in f.message
    assert ("runs here" in f.message) is (host is not None)
    assert setting in f.remediation and "a2z.com" in f.remediation


def test_a_dns_agent_beside_a_private_answer_is_no_finding() -> None:
    r = with_servers(results(), (sa("127.0.2.2", 0, A),), resolver="127.0.2.2")
    e, d = diagnose(r)
    assert str(d.verdict) == "ready" and "DNS_AGENT_OWNS_NAME" not in {f.code for f in d.findings}
    assert e.agent == "Cloudflare WARP"  # still said among the values


def test_the_vpcs_plus2_asked_from_inside_the_vpc_is_no_fault_of_asking() -> None:
    """An instance inside the VPC (its own address in --vpc-cidr) is where +2 answers."""
    from tests.synth import plan_for
    from wsdiag.vocab.machine import HostFacts, HostPaths, IfKind, Interface

    plan = replace(plan_for(), vpc_cidrs=("10.0.0.0/16",))
    silent = sa("10.0.0.2", 0, TO, soa_apex=TO, answered_other=True)
    r = with_servers(results(endpoint_dns=TO, plan=plan), (silent,))
    eth0 = Interface("eth0", IfKind.PHYSICAL, True, ("10.0.5.17/24",), 9001)
    inside = replace(r, paths=HostPaths(HostFacts("Linux", (eth0,))))
    e, d = diagnose(inside)
    assert e.inside_vpc is Tri.YES
    assert "DNS_VPC_RESOLVER_FROM_OUTSIDE" not in {f.code for f in d.findings}


def test_a_synthesized_aaaa_is_dns64_not_dual_stack() -> None:
    v6 = ["fd00:64::a00:10a", "fd00:64::a00:20a"]
    r = with_servers(results(aaaa=v6), (sa("10.0.0.2", 0, A, dns64_prefix="fd00:64::/96"),))
    _, _, codes = run(r)
    assert "NETWORK_DNS64" in codes and "ENDPOINT_DUAL_STACK" not in codes
    _, d = diagnose(r)
    f = next(f for f in d.findings if f.code == "NETWORK_DNS64")
    assert "synthesized" in f.message and "10.0.1.10" in f.message
    assert "NAT64" in f.remediation and "record type" in f.remediation


def test_a_real_dual_stack_record_is_still_dual_stack() -> None:
    r = with_servers(results(aaaa=["fd00:20:1::10"]), (sa("10.0.0.2", 0, A),))
    _, _, codes = run(r)
    assert "ENDPOINT_DUAL_STACK" in codes and "NETWORK_DNS64" not in codes


def test_wsl_first_and_at_most_unknown() -> None:
    r = replace(results(), where=("wsl", "WSL_DISTRO_NAME is set"))
    _, d = diagnose(r)
    assert d.findings[0].code == "RUNS_IN_WSL" and d.verdict is Verdict.UNKNOWN
    assert "Windows" in d.findings[0].remediation


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_container_changes_no_code_and_no_verdict(case: tuple) -> None:  # type: ignore[type-arg]
    """CI machines are containers: the detector's answer must not move any diagnosis."""
    r = results(**case[1])
    here = diagnose(r)[1]
    there = diagnose(replace(r, where=("container", "/.dockerenv exists")))[1]
    assert [f.code for f in here.findings] == [f.code for f in there.findings]
    assert (here.verdict, here.environment) == (there.verdict, there.environment)


@settings(max_examples=200, deadline=None)
@given(
    first=st.sampled_from(list(DnsOutcome)),
    second=st.sampled_from(list(DnsOutcome)),
    late=st.booleans(),
)
def test_per_server_answers_never_make_a_failed_name_ready(
    first: DnsOutcome, second: DnsOutcome, late: bool
) -> None:
    """No false ready: whatever the servers said alone, a private name whose own lookup
    failed is never ready (the advisory rows never lift a verdict)."""
    r = with_servers(
        results(endpoint_dns=SF), (sa("10.9.0.53", 0, first), sa("10.0.0.2", 1, second)), late=late
    )
    assert diagnose(r)[1].verdict is not Verdict.READY
