"""Each server the OS would use, asked alone, against real DNS servers on loopback: the
SERVFAIL-first list, RFC 8914 extended errors, a validating resolver (CD answers, plain
fails), a forwarder for a2z.com that does not answer, DNS64 (ipv4only.arpa), and the OS's
budget for a slow private name (patience only for a server that answered another name)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.support.dnsserver import DROP, NXDOMAIN, SERVFAIL, DnsServer, Reply
from wsdiag.check.catalog import load_catalog
from wsdiag.check.plan import make_plan
from wsdiag.check.runner import run_plan
from wsdiag.probes.dns import for_plan
from wsdiag.probes.dns_servers import ask_each, parent_zones
from wsdiag.vocab.model import DnsOutcome, DnsSpec, Inputs, Role, Status, Transport
from wsdiag.vocab.results import Ede, ProbeResult

HOST = "127.0.0.1"
REGION = "eu-west-1"
PRIVATE = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"
PARENT = f"prod.{REGION}.highlander.aws.a2z.com"
OTHER = "broker.wsdiag.test"


@pytest.fixture
def two() -> Iterator[tuple[DnsServer, DnsServer]]:
    with DnsServer(HOST) as a, DnsServer(HOST) as b:
        yield a, b


def ask(*servers: DnsServer, timeout: float = 0.5) -> list:  # type: ignore[type-arg]
    each = [((s.host, s.port), "--nameserver") for s in servers]
    return list(asyncio.run(ask_each(each, PRIVATE, timeout)))


def test_parent_zones_of_the_private_name() -> None:
    assert parent_zones(PRIVATE) == ("a2z.com", PARENT)


def test_the_first_server_servfails_the_second_answers(two: tuple[DnsServer, DnsServer]) -> None:
    a, b = two
    a.zone = {PRIVATE: SERVFAIL, "*": ["127.0.0.7"]}
    b.zone = {PRIVATE: ["127.0.0.9"], "*": ["127.0.0.7"]}
    first, second = ask(a, b)
    assert (first.order, first.outcome, first.addresses) == (0, DnsOutcome.SERVFAIL, ())
    assert (second.order, second.outcome, second.addresses) == (
        1,
        DnsOutcome.ANSWER,
        ("127.0.0.9",),
    )
    assert first.server == f"{HOST}:{a.port}" and first.source == "--nameserver"
    assert first.ms is not None and second.ms is not None
    # a plain SERVFAIL: the CD query and the plain one again were asked, both failed
    assert (first.cd_outcome, first.plain_again) == (DnsOutcome.SERVFAIL, DnsOutcome.SERVFAIL)
    assert second.cd_outcome is None  # no follow-up after an answer


def test_a_validator_answers_with_cd_and_says_why_without(
    two: tuple[DnsServer, DnsServer],
) -> None:
    a, _ = two
    a.zone = {
        PRIVATE: Reply(
            ["127.0.0.9"], rcode=SERVFAIL, ede=(10, "RRSIGs missing"), answer_with_cd=True
        ),
        "*": ["127.0.0.7"],
    }
    (only,) = ask(a)
    assert only.outcome is DnsOutcome.SERVFAIL
    assert only.ede == (Ede(10, "RRSIGs missing"),)
    assert (only.cd_outcome, only.plain_again) == (DnsOutcome.ANSWER, DnsOutcome.SERVFAIL)
    assert only.cd_ms is not None


def test_a_forwarder_for_a2z_com_that_does_not_answer(two: tuple[DnsServer, DnsServer]) -> None:
    a, _ = two
    a.zone = {PRIVATE: DROP, "a2z.com": DROP, PARENT: DROP, "*": ["127.0.0.7"]}
    (only,) = ask(a, timeout=0.3)
    assert only.outcome is DnsOutcome.TIMEOUT and only.ms is None
    assert (only.soa_apex, only.soa_region) == (DnsOutcome.TIMEOUT, DnsOutcome.TIMEOUT)


def test_a_hub_without_the_zone_answers_the_apex_and_says_nxdomain(
    two: tuple[DnsServer, DnsServer],
) -> None:
    a, _ = two
    a.zone = {PRIVATE: NXDOMAIN, PARENT: NXDOMAIN, "*": ["127.0.0.7"]}
    (only,) = ask(a)
    assert only.outcome is DnsOutcome.NXDOMAIN
    assert (only.soa_apex, only.soa_region) == (None, None)  # the name is settled there


def test_dns64_is_seen_through_ipv4only_arpa(two: tuple[DnsServer, DnsServer]) -> None:
    a, b = two
    a.zone = {"ipv4only.arpa": ["fd00:64::c000:aa", "fd00:64::c000:ab"], "*": ["127.0.0.7"]}
    b.zone = {"ipv4only.arpa": ["192.0.0.170"], "*": ["127.0.0.7"]}
    with_dns64, without = ask(a, b)
    assert (with_dns64.dns64_prefix, without.dns64_prefix) == ("fd00:64::/96", "")


def _plan(server: DnsServer, budget: float, timeout: float = 0.5, deadline: float | None = None):  # type: ignore[no-untyped-def]
    plan = make_plan(
        load_catalog(),
        Inputs(
            region=REGION,
            nameservers=(server.address,),
            timeout=timeout,
            deadline=deadline,
            samples=0,
        ),
    )
    from dataclasses import replace

    return replace(plan, dns_os_budget=budget)


def _spec(plan, rdtype: str = "A") -> DnsSpec:  # type: ignore[no-untyped-def]
    pt = next(p for p in plan.targets if p.target.role is Role.ENDPOINT)
    return next(s for s in pt.dns if s.rdtype == rdtype)


def test_a_slow_private_name_is_waited_for_when_its_server_answers_other_names() -> None:
    with DnsServer(HOST, {PRIVATE: Reply(["127.0.0.9"], delay=1.0), "*": ["127.0.0.7"]}) as s:
        plan = _plan(s, budget=6.0)
        spec = _spec(plan)
        other = DnsSpec("o/dns/A", "o", OTHER, "A", spec.timeout)

        async def go():  # type: ignore[no-untyped-def]
            resolve = for_plan(plan)
            await resolve(other, spec.timeout)  # the server answers another name first
            return await resolve(spec, 6.0)

        r = asyncio.run(go())
    assert (r.outcome, r.addresses, r.late) == (DnsOutcome.ANSWER, ("127.0.0.9",), True)
    assert r.ms is not None and r.ms >= 1000
    (alone,) = r.servers
    assert (alone.outcome, alone.answered_other) == (DnsOutcome.ANSWER, True)


def test_a_server_that_answered_nothing_gets_no_patience() -> None:
    """The silent-network bound: 20 s of patience offered, none taken."""
    with DnsServer(HOST, {"*": DROP}) as s:
        plan = _plan(s, budget=20.3)
        spec = _spec(plan)
        t0 = time.monotonic()
        r = asyncio.run(for_plan(plan)(spec, 20.3))
        took = time.monotonic() - t0
    assert (r.outcome, r.late) == (DnsOutcome.TIMEOUT, None)
    assert took < 10  # ends at its 0.5 s timeout; 10 s leaves room for a loaded machine
    (alone,) = r.servers
    assert (alone.outcome, alone.answered_other) == (DnsOutcome.TIMEOUT, False)


def test_the_run_deadline_grows_by_the_late_answer() -> None:
    """A private name 2.2 s late with a 0.5 s timeout: the deadline (2 x 0.5 + 1 s) would
    have cut its probes short; it grows by the extra DNS time, so they run."""
    zone = {PRIVATE: Reply(["127.0.0.9"], delay=2.2), "*": ["127.0.0.7"]}
    with DnsServer(HOST, zone) as s:  # type: ignore[arg-type]
        plan = _plan(s, budget=6.0)
        resolve = for_plan(plan)

        async def refused(base: ProbeResult, _budget: float) -> ProbeResult:
            from dataclasses import replace

            await asyncio.sleep(0)
            return replace(base, status=Status.REFUSED)

        probes = {t: refused for t in Transport}
        run = asyncio.run(run_plan(plan, resolve, probes, plan.deadline))
    a = next(d for d in run.dns if d.host == PRIVATE and d.rdtype == "A")
    assert (a.outcome, a.late) == (DnsOutcome.ANSWER, True)
    mine = [p for p in run.probes if p.host == PRIVATE and p.address == "127.0.0.9"]
    assert mine and {p.status for p in mine} == {Status.REFUSED}, [p.detail for p in mine]


def test_a_given_deadline_is_not_moved_by_a_late_answer() -> None:
    """--deadline 1 given: the private name answering after 5 s is waited for only as long
    as the deadline leaves (README: a given --deadline never moves); the run ends long
    before the answer, which it reports as not heard."""
    zone = {PRIVATE: Reply(["127.0.0.9"], delay=5.0), "*": ["127.0.0.7"]}
    with DnsServer(HOST, zone) as s:  # type: ignore[arg-type]
        plan = _plan(s, budget=6.0, deadline=1.0)
        assert plan.deadline_fixed

        async def refused(base: ProbeResult, _budget: float) -> ProbeResult:
            from dataclasses import replace

            await asyncio.sleep(0)
            return replace(base, status=Status.REFUSED)

        probes = {t: refused for t in Transport}
        run = asyncio.run(run_plan(plan, for_plan(plan), probes, plan.deadline))
    a = next(d for d in run.dns if d.host == PRIVATE and d.rdtype == "A")
    assert a.outcome is not DnsOutcome.ANSWER and not a.late
    assert run.duration_ms < 5000  # the answer came at 5 s: the run did not wait for it
