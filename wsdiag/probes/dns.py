"""DNS: A and AAAA through the system resolver's servers (or --nameserver), outcomes told
apart. The wire work is ``dns_query.lookup``; this module reads what came back.

Only the records of the queried name and its CNAME chain count (dnspython's
``resolve_chaining``, the rule its own ``Answer.rrset`` follows): records an answer
carries for unrelated names are never taken as the name's addresses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import wsdiag.probes.dnslib  # noqa: F401  (first: before dnspython decides its features)
from wsdiag.clock import ms_since

# isort: split
import dns.exception
import dns.flags
import dns.message
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver

from wsdiag.probes.dns_query import Heard, Lookup, Server, lookup, server_text
from wsdiag.probes.errors import DNS_RCODES, dns_outcome_of
from wsdiag.probes.registry import ResolveFn
from wsdiag.vocab.model import DnsOutcome, DnsSpec, Fault, Nameserver
from wsdiag.vocab.results import DnsResult

if TYPE_CHECKING:
    from wsdiag.vocab.model import Plan

# When every server failed, the most informative failure is reported: a server that
# spoke beats one that was silent, and silence beats "could not even send".
_FAILURE_ORDER = [
    DnsOutcome.SERVFAIL,
    DnsOutcome.REFUSED,
    DnsOutcome.ERROR,
    DnsOutcome.UNREACHABLE,
    DnsOutcome.TIMEOUT,
    DnsOutcome.NO_ROUTE,
]


def nameservers(configured: Sequence[Nameserver]) -> list[Server]:
    """``--nameserver`` values, or the system's resolver configuration (read here).
    Raises dns.resolver.NoResolverConfiguration when the system has none."""
    if configured:
        return [(ns.ip, ns.port) for ns in configured]
    resolver = dns.resolver.Resolver()
    out: list[Server] = []
    for ns in resolver.nameservers:
        if isinstance(ns, str):
            out.append((ns, resolver.port))
        elif isinstance(ns, dns.nameserver.Do53Nameserver):
            out.append((ns.address, ns.port))
    if not out:
        raise dns.resolver.NoResolverConfiguration("no nameservers")  # type: ignore[no-untyped-call]
    return out


async def resolve(
    servers: Sequence[Server],
    spec: DnsSpec,
    budget: float,
    keep_going: Callable[[], bool] | None = None,
) -> DnsResult:
    """``spec.rdtype`` of ``spec.host`` within ``budget`` seconds. Never raises for what
    the network does; the detail names the server(s) as ``server_text``. A budget beyond
    ``spec.timeout`` is patience, used only while ``keep_going()`` when the timeout ends
    (an answer in it is ``late``)."""
    shell = DnsResult(
        id=spec.id,
        target_id=spec.target_id,
        host=spec.host,
        rdtype=spec.rdtype,
        outcome=DnsOutcome.ERROR,
        resolver=server_text(servers[0]) if servers else None,
    )
    t0 = time.perf_counter()
    q = dns.message.make_query(spec.host + ".", spec.rdtype)
    base = min(budget, spec.timeout)
    got = await lookup(q, servers, base, budget - base, keep_going)
    outcome, detail, addresses, cause = _read(got, spec.rdtype)
    return replace(
        shell,
        outcome=outcome,
        detail=detail,
        cause=cause,
        addresses=addresses,
        # the answering server by address, as dnspython's Answer.nameserver names it
        resolver=(
            got.answered_by[0]
            if got.answered_by and outcome is DnsOutcome.ANSWER
            else shell.resolver
        ),
        dead_servers=tuple(server_text(s) for s in got.dead_before),
        ms=ms_since(t0),
        late=True if got.late and outcome is DnsOutcome.ANSWER else None,
    )


def _read(got: Lookup, rdtype: str) -> tuple[DnsOutcome, str, tuple[str, ...], Fault]:
    """(outcome, detail, addresses, cause): the cause only where a socket error decided it."""
    if got.answer is None or got.answered_by is None:
        outcome, detail, cause = _failure(got.heard)
        return outcome, detail, (), cause
    return (*_answered(got.answer, rdtype), Fault.NONE)


def _answered(r: dns.message.Message, rdtype: str) -> tuple[DnsOutcome, str, tuple[str, ...]]:
    if r.rcode() == dns.rcode.NXDOMAIN:
        return DnsOutcome.NXDOMAIN, "the name does not exist", ()
    try:
        chain = r.resolve_chaining() if isinstance(r, dns.message.QueryMessage) else None
    except dns.message.ChainTooLong:
        return DnsOutcome.ERROR, "the answer's CNAME chain is too long (a loop?)", ()
    except dns.exception.DNSException as exc:
        return DnsOutcome.ERROR, f"unusable answer: {exc.__class__.__name__}", ()
    want = dns.rdatatype.from_text(rdtype)
    rrset = chain.answer if chain is not None else None
    if rrset is None or rrset.rdtype != want:
        return DnsOutcome.NO_ANSWER, f"the name exists but has no {rdtype} record", ()
    found = [str(x.address) for x in rrset]
    detail = ""
    both = _cname_beside_records(r, want)
    if both is not None:
        # RFC 2181 section 10.1: a name with a CNAME has no other data. dnspython takes the
        # name's own records, glibc's getaddrinfo follows the answer in order (a CNAME
        # first: the target's records), others may differ: every address some resolver
        # may dial is probed, so that the verdict is ready only if all of them work.
        owner, glibc, followed = both
        found = list(dict.fromkeys(glibc + found + followed))
        detail = (
            f"the answer holds both a CNAME and {rdtype} records for {owner} (forbidden by "
            "RFC 2181 section 10.1): resolvers differ in which they use, so every address "
            "was tested"
        )
    # A resolver may put odd things in an answer; keep only well-formed addresses.
    valid = tuple(a for a in dict.fromkeys(found) if _is_ip(a))
    if not valid:
        return DnsOutcome.NO_ANSWER, f"no usable {rdtype} address in the answer", ()
    return DnsOutcome.ANSWER, detail, valid


def _cname_beside_records(
    r: dns.message.Message, want: dns.rdatatype.RdataType
) -> tuple[str, list[str], list[str]] | None:
    """A CNAME and ``want`` records owned by the same name in the chain from the question:
    (that name, the addresses glibc's walk takes, the addresses the CNAME leads to); None
    when the answer is lawful. glibc (nss_dns getanswer_r) reads the answer in order,
    keeps records owned by the name it expects, and a CNAME changes that name."""
    if not r.question:
        return None
    qname = r.question[0].name
    rdclass = r.question[0].rdclass
    name, owner = qname, None
    for _ in range(16):  # the chain's length, as resolve_chaining bounds it
        has_cname = r.get_rrset(r.answer, name, rdclass, dns.rdatatype.CNAME)
        if has_cname is None:
            break
        if r.get_rrset(r.answer, name, rdclass, want) is not None:
            owner = name
        name = has_cname[0].target
    if owner is None:
        return None
    target = r.get_rrset(r.answer, name, rdclass, want)
    followed = [str(x.address) for x in target] if target is not None else []
    glibc: list[str] = []
    expected = qname
    for rrset in r.answer:
        if rrset.name != expected:
            continue
        if rrset.rdtype == dns.rdatatype.CNAME:
            expected = rrset[0].target
        elif rrset.rdtype == want:
            glibc += [str(x.address) for x in rrset]
    return owner.to_text(omit_final_dot=True), glibc, followed


def _failure(heard: Sequence[Heard]) -> tuple[DnsOutcome, str, Fault]:
    """No server gave the name's answer: what did each actually say (and, for a socket
    error, its cause)?"""
    outcomes: list[tuple[DnsOutcome, str, Fault]] = []
    for h in heard:
        who = server_text(h.server)
        if h.response is not None and h.response.flags & dns.flags.TC:
            outcomes.append(
                (
                    DnsOutcome.ERROR,
                    f"{who} sent a truncated (TC) answer and the retry over TCP did not complete",
                    Fault.NONE,
                )
            )
        elif h.response is not None:
            outcome, said = DNS_RCODES.get(
                h.response.rcode(),
                (DnsOutcome.ERROR, f"answered {dns.rcode.to_text(h.response.rcode())}"),
            )
            outcomes.append((outcome, f"{who} {said}", Fault.NONE))
        elif h.error is not None:
            outcome, cause, text = dns_outcome_of(h.error)
            outcomes.append((outcome, f"{who}: {text}", cause))
        elif h.garbled:
            outcomes.append(
                (DnsOutcome.ERROR, f"{who}: sent {h.garbled} unreadable answer(s)", Fault.NONE)
            )
        elif h.started:
            outcomes.append((DnsOutcome.TIMEOUT, f"{who}: no answer", Fault.TIMEOUT))
    if not outcomes:
        return DnsOutcome.TIMEOUT, "no resolver was asked before the timeout", Fault.NONE
    return min(outcomes, key=lambda o: _FAILURE_ORDER.index(o[0]))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def for_plan(plan: Plan) -> ResolveFn:
    """The run's DNS probe: the servers are read once (the system's configuration, unless
    the plan names servers); a machine without any gets NOT_CONFIGURED per lookup.

    The private name's lookups (``spec.patient``) may wait past their timeout, up to the
    budget the runner gives, only when a server they ask has answered another name in this
    run; its A lookup (``spec.per_server``) also asks each server the OS would use alone
    (``plan.os_servers``, or ``--nameserver``'s) and keeps their answers."""
    # Reported per lookup, so the report says what could not be done.
    servers: list[Server] | None = None
    outcome = DnsOutcome.NOT_CONFIGURED
    detail = "no DNS resolver configuration found on this machine"
    try:
        servers = nameservers(plan.nameservers)
    except dns.resolver.NoResolverConfiguration:
        pass
    except Exception as exc:  # e.g. a resolv.conf with an invalid address or binary content
        outcome = DnsOutcome.ERROR
        detail = f"the resolver configuration could not be read ({exc.__class__.__name__})"
    each: list[tuple[Server, str]] = (
        [((ns.ip, ns.port), "--nameserver") for ns in plan.nameservers]
        if plan.nameservers
        else [((ns.ip, ns.port), where) for ns, where in plan.os_servers]
    )
    # server -> the names it has answered (any rcode) in this run's lookups
    answered: dict[Server, set[str]] = {}

    def answered_other(host: str) -> Callable[[Server], bool]:
        return lambda s: bool(answered.get(s, set()) - {host})

    async def do_resolve(spec: DnsSpec, budget: float) -> DnsResult:
        if servers is None:
            return DnsResult(
                id=spec.id,
                target_id=spec.target_id,
                host=spec.host,
                rdtype=spec.rdtype,
                outcome=outcome,
                detail=detail,
            )
        other = answered_other(spec.host)
        main = resolve(servers, spec, budget, lambda: any(other(s) for s in servers))
        if spec.per_server and each:
            from wsdiag.probes.dns_servers import ask_each

            base = min(budget, spec.timeout)
            result, alone = await asyncio.gather(
                main, ask_each(each, spec.host, base, budget - base, other)
            )
            result = replace(result, servers=alone)
        else:
            result = await main
        for who in _spoke(result, servers):
            answered.setdefault(who, set()).add(spec.host)
        return result

    return do_resolve


def _spoke(result: DnsResult, servers: Sequence[Server]) -> list[Server]:
    """The servers a result shows answering (any rcode): the one that answered, or, for a
    failure, those the detail names as having said something (SERVFAIL, REFUSED ...)."""
    if result.outcome in (DnsOutcome.ANSWER, DnsOutcome.NXDOMAIN, DnsOutcome.NO_ANSWER):
        named = [s for s in servers if s[0] == result.resolver]
        return named or list(servers[:1])
    if result.outcome in (DnsOutcome.SERVFAIL, DnsOutcome.REFUSED):
        return [s for s in servers if result.detail.startswith(server_text(s) + " ")]
    return []
