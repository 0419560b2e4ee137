"""DNS that listens long enough and to the right records, against a loopback DNS server:
late answers, dead servers ahead of a good one, unrelated owners, CNAME chains and loops,
and replies that are not DNS (something came back: never "no answer")."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from tests.support.dnsserver import DROP, GARBAGE, NXDOMAIN, DnsServer, Reply
from tests.support.netns import Netns, unavailable_reason
from wsdiag.budgets import DEFAULT_TIMEOUT
from wsdiag.check.plan import check_nameservers
from wsdiag.probes.dns import nameservers, resolve
from wsdiag.vocab.model import DnsOutcome, DnsSpec
from wsdiag.vocab.results import DnsResult

HOST = "127.0.0.1"
NAME = "svc.wsdiag.test"


def lookup(
    servers: tuple[str, ...], timeout: float = DEFAULT_TIMEOUT, name: str = NAME, rdtype: str = "A"
) -> DnsResult:
    spec = DnsSpec(f"t/dns/{rdtype}", "t", name, rdtype, timeout)
    return asyncio.run(resolve(nameservers(check_nameservers(servers)), spec, timeout))


@pytest.fixture
def silent_servers() -> Iterator[list[str]]:
    """Three bound UDP sockets that never answer: dead resolvers, as the client sees them."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
    try:
        for s in socks:
            s.bind((HOST, 0))
        yield [f"{HOST}:{s.getsockname()[1]}" for s in socks]
    finally:
        for s in socks:
            s.close()


def test_an_answer_after_800_ms_is_heard_with_the_default_timeout() -> None:
    """A VPN resolver with a cold cache: later than a third of the timeout, in time."""
    with DnsServer(HOST, {NAME: Reply(["127.0.0.9"], delay=0.8)}) as server:
        r = lookup((server.address,))
        asked = len(server.queries)
    assert (r.outcome, r.addresses) == (DnsOutcome.ANSWER, ("127.0.0.9",))
    assert r.ms is not None and r.ms >= 800
    assert asked >= 2  # it was re-sent meanwhile, on the socket that heard the late answer


def test_a_good_server_after_dead_ones_is_heard_and_the_dead_ones_named(
    silent_servers: list[str],
) -> None:
    with DnsServer(HOST, {NAME: ["127.0.0.9"]}) as server:
        r = lookup((*silent_servers, server.address))
    assert (r.outcome, r.addresses) == (DnsOutcome.ANSWER, ("127.0.0.9",))
    assert r.dead_servers == tuple(silent_servers)
    assert r.ms is not None and r.ms < DEFAULT_TIMEOUT * 1000


def test_a_first_server_that_answers_leaves_no_dead_servers(silent_servers: list[str]) -> None:
    with DnsServer(HOST, {NAME: ["127.0.0.9"]}) as server:
        r = lookup((server.address, *silent_servers))
    assert (r.outcome, r.dead_servers) == (DnsOutcome.ANSWER, ())


def test_servfail_moves_on_to_the_next_server_at_once() -> None:
    with DnsServer(HOST, {NAME: "servfail"}) as bad, DnsServer(HOST, {NAME: ["127.0.0.9"]}) as good:
        r = lookup((bad.address, good.address))
    assert (r.outcome, r.dead_servers) == (DnsOutcome.ANSWER, ())  # SERVFAIL is not silence


def test_records_owned_by_an_unrelated_name_are_ignored() -> None:
    zone = {
        NAME: Reply(["127.0.0.9"], extra={"evil.wsdiag.test": ["127.6.6.6"]}),
        "empty.wsdiag.test": Reply(extra={"evil.wsdiag.test": ["127.6.6.6"]}),
    }
    with DnsServer(HOST, zone) as server:  # type: ignore[arg-type]
        r = lookup((server.address,))
        only_other = lookup((server.address,), name="empty.wsdiag.test")
    assert r.addresses == ("127.0.0.9",)
    assert (only_other.outcome, only_other.addresses) == (DnsOutcome.NO_ANSWER, ())


def test_a_cname_chain_is_followed_to_its_addresses() -> None:
    zone = {
        NAME: Reply(cname="hop.wsdiag.test"),
        "hop.wsdiag.test": Reply(cname="end.wsdiag.test"),
        "end.wsdiag.test": ["127.0.0.10"],
    }
    with DnsServer(HOST, zone) as server:  # type: ignore[arg-type]
        r = lookup((server.address,))
    assert (r.outcome, r.addresses) == (DnsOutcome.ANSWER, ("127.0.0.10",))


def test_a_cname_loop_is_an_error_not_an_answer() -> None:
    zone = {NAME: Reply(cname="loop.wsdiag.test"), "loop.wsdiag.test": Reply(cname=NAME)}
    with DnsServer(HOST, zone) as server:  # type: ignore[arg-type]
        r = lookup((server.address,), timeout=0.6)
    assert r.outcome is DnsOutcome.ERROR and not r.addresses
    assert "CNAME chain" in r.detail


def test_a_reply_that_is_not_dns_is_not_silence() -> None:
    with DnsServer(HOST, {NAME: GARBAGE}) as server:
        r = lookup((server.address,), timeout=0.6)
    assert r.outcome is DnsOutcome.ERROR
    assert "unreadable" in r.detail


@pytest.mark.parametrize(
    ("zone", "outcome"),
    [({NAME: NXDOMAIN}, DnsOutcome.NXDOMAIN), ({NAME: DROP}, DnsOutcome.TIMEOUT)],
)
def test_a_lookup_never_outlives_its_timeout(zone: dict[str, str], outcome: DnsOutcome) -> None:
    with DnsServer(HOST, zone) as server:  # type: ignore[arg-type]
        r = lookup((server.address,), timeout=0.4)
    assert r.outcome is outcome
    assert r.ms is not None and r.ms < 1000  # generous: a watchdog, not a benchmark


def test_an_unreadable_resolver_configuration_is_a_result_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import wsdiag.probes.dns
    from tests.synth import plan_for

    def broken(configured: object) -> None:
        raise ValueError("'10.0.0.300' is not an IP address")

    monkeypatch.setattr(wsdiag.probes.dns, "nameservers", broken)
    spec = DnsSpec("t/dns/A", "t", NAME, "A", 0.5)
    r = asyncio.run(wsdiag.probes.dns.for_plan(plan_for())(spec, 0.5))
    assert r.outcome is DnsOutcome.ERROR
    assert r.detail == "the resolver configuration could not be read (ValueError)"


def test_an_ipv6_nameserver_is_heard() -> None:
    """A reply on an AF_INET6 socket comes from a 4-tuple: it must still match the query."""
    with DnsServer("::1", {NAME: ["127.0.0.9"]}) as server:
        r = lookup((server.address,), timeout=1.0)
    assert (r.outcome, r.addresses) == (DnsOutcome.ANSWER, ("127.0.0.9",))
    assert r.dead_servers == ()


@pytest.mark.lab
def test_a_scoped_link_local_nameserver_is_heard() -> None:
    """A router-advertised resolver (fe80::…%if): the reply carries the scope id."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with Netns() as ns:
        ns.add("dns")
        ns.ip("dns", "link", "add", "d0", "type", "veth", "peer", "name", "d1")
        for dev in ("d0", "d1"):
            ns.ip("dns", "link", "set", dev, "up")
        ns.ip("dns", "addr", "add", "fe80::53/64", "dev", "d0", "nodad")
        got = ns.python(
            "dns",
            "import json\n"
            "from tests.support.dnsserver import DnsServer\n"
            "from tests.test_dns_honest import lookup\n"
            f"with DnsServer('fe80::53%d0', {{{NAME!r}: ['127.0.0.9']}}) as s:\n"
            "    r = lookup((s.address,), timeout=1.0)\n"
            "print(json.dumps([r.outcome.value, list(r.addresses)]))\n",
        )
    assert got == ["answer", ["127.0.0.9"]]


def test_a_scope_naming_no_interface_is_the_lookups_error_not_a_task_exception() -> None:
    """Fresh report item 6: ``fe80::1%nosuch0`` (resolv.conf, or a --nameserver from before
    the option was checked) failed before the first send (if_nametoindex); the task's
    OSError was never retrieved: ~30 tracebacks on stderr. Now it is the server's error,
    and asyncio has nothing to report. Nothing is sent: the scope resolves to no interface."""
    import gc

    import dns.message

    from wsdiag.probes.dns_query import lookup as wire_lookup

    async def go() -> tuple[object, list[dict[str, object]], DnsResult]:
        loop = asyncio.get_running_loop()
        reported: list[dict[str, object]] = []
        loop.set_exception_handler(lambda _loop, context: reported.append(context))
        server = ("fe80::1%nosuch0", 53)
        got = await wire_lookup(dns.message.make_query(NAME, "A"), [server, server], 0.5)
        spec = DnsSpec("t/dns/A", "t", NAME, "A", 0.5)
        result = await resolve([server], spec, 0.5)
        gc.collect()  # a finished task's unretrieved exception is reported when it is freed
        await asyncio.sleep(0)
        return got, reported, result

    got, reported, result = asyncio.run(go())
    assert reported == []
    heard = got.heard  # type: ignore[attr-defined]
    assert [h.error is not None for h in heard] == [True, True]
    assert result.outcome is DnsOutcome.ERROR
    # the OS's words (Linux: "no interface with this name"), never just "OSError"
    assert result.detail.startswith("fe80::1%nosuch0: ") and "interface" in result.detail


def test_a_cname_beside_addresses_tests_every_address_a_resolver_may_dial() -> None:
    """Issue 18, defect 14: CNAME and A for one name (RFC 2181 section 10.1 forbids it).
    dnspython alone takes the name's own A; glibc, reading the answer in order, follows
    the CNAME to another address. Both are probed (never a silent ready on one of them),
    and the answer says why."""
    zone = {
        NAME: Reply(cname="other.wsdiag.test"),
        "other.wsdiag.test": Reply(["127.0.0.20"], extra={NAME: ["127.0.0.9"]}),
    }
    with DnsServer(HOST, zone) as server:  # type: ignore[arg-type]
        r = lookup((server.address,))
    assert r.outcome is DnsOutcome.ANSWER
    assert set(r.addresses) == {"127.0.0.20", "127.0.0.9"}
    assert r.addresses[0] == "127.0.0.20"  # what glibc dials, first
    assert "RFC 2181" in r.detail and NAME in r.detail
