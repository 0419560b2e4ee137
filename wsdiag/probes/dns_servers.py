"""Each server the OS would use, asked alone for the private name: what it says, how fast,
and why (RFC 8914 extended errors), with the follow-ups that name the cause. dnspython
builds and parses every message (EDNS0, the CD flag, EDE options); ``dns_query`` sends.

Per server, at once: the private name's A record (EDNS on), the SOA of the name's apex
(``a2z.com``) and of its parent zone (``prod.<region>.highlander.aws.a2z.com``), and
``ipv4only.arpa`` AAAA (RFC 7050). After a SERVFAIL: the same A query with CD set and once
more without, side by side (a validating resolver answers the first and fails the second).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import wsdiag.probes.dnslib  # noqa: F401  (first: before dnspython decides its features)

# isort: split
import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from wsdiag.budgets import DNS_FOLLOWUP_TIMEOUT
from wsdiag.dns64 import IPV4ONLY, discovered_prefix
from wsdiag.probes.dns_query import Lookup, Server, lookup, server_text
from wsdiag.probes.errors import DNS_RCODES, dns_outcome_of
from wsdiag.vocab.model import DnsOutcome
from wsdiag.vocab.results import Ede, ServerAnswer

# Replies that settle the name at this server: its SOAs add nothing then.
_SPOKE = (DnsOutcome.ANSWER, DnsOutcome.NXDOMAIN, DnsOutcome.NO_ANSWER)
EDNS_PAYLOAD = 1232  # bytes: the DNS Flag Day 2020 size, no IP fragmentation on the path


def query(name: str, rdtype: str, cd: bool = False) -> dns.message.Message:
    """A recursive query with EDNS0 (so extended errors can come back), CD set on demand."""
    q = dns.message.make_query(name.rstrip(".") + ".", rdtype, use_edns=0, payload=EDNS_PAYLOAD)
    if cd:
        q.flags |= dns.flags.CD
    return q


def outcome_of(got: Lookup, rdtype: str) -> tuple[DnsOutcome, tuple[str, ...]]:
    """One server's reply as an outcome and its addresses of ``rdtype`` (the name's own
    records and its CNAME chain, as wsdiag.probes.dns reads them)."""
    h = got.heard[0] if got.heard else None
    r = got.answer or (h.response if h is not None else None)
    if r is None:
        if h is not None and h.error is not None:
            return dns_outcome_of(h.error)[0], ()
        return (DnsOutcome.ERROR if h is not None and h.garbled else DnsOutcome.TIMEOUT), ()
    rcode = r.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return DnsOutcome.NXDOMAIN, ()
    if rcode != dns.rcode.NOERROR:
        return DNS_RCODES.get(rcode, (DnsOutcome.ERROR, ""))[0], ()
    want = dns.rdatatype.from_text(rdtype)
    try:
        chain = r.resolve_chaining() if isinstance(r, dns.message.QueryMessage) else None
    except Exception:  # a loop or an unusable answer: not this name's records
        return DnsOutcome.ERROR, ()
    rrset = chain.answer if chain is not None else None
    if rrset is None or rrset.rdtype != want:
        return DnsOutcome.NO_ANSWER, ()
    found = tuple(str(x.address) for x in rrset if hasattr(x, "address"))
    return (DnsOutcome.ANSWER, found) if found else (DnsOutcome.NO_ANSWER, ())


def extended_errors(got: Lookup) -> tuple[Ede, ...]:
    """RFC 8914 EDE options of the server's reply: (INFO-CODE, EXTRA-TEXT)."""
    h = got.heard[0] if got.heard else None
    r = got.answer or (h.response if h is not None else None)
    if r is None:
        return ()
    return tuple(
        Ede(int(o.code), (o.text or "")[:200])
        for o in r.options
        if isinstance(o, dns.edns.EDEOption)
    )


def parent_zones(host: str) -> tuple[str, str]:
    """(the apex, the private name's parent zone): ("a2z.com",
    "prod.eu-west-1.highlander.aws.a2z.com") for the WorkSpaces private name."""
    labels = host.rstrip(".").split(".")
    return ".".join(labels[-2:]), ".".join(labels[1:]) if len(labels) > 2 else host


async def ask_server(
    server: Server,
    order: int,
    source: str,
    host: str,
    budget: float,
    extra: float = 0.0,
    keep_going: Callable[[], bool] | None = None,
) -> ServerAnswer:
    """``server`` alone, for ``host`` A and the follow-ups, within ``budget`` seconds (and
    up to ``extra`` more while ``keep_going()``). Never raises for the network's doing."""
    t0 = time.perf_counter()
    follow = min(budget, DNS_FOLLOWUP_TIMEOUT)
    apex, parent = parent_zones(host)

    async def main() -> tuple[Lookup, float]:
        got = await lookup(query(host, "A"), [server], budget, extra, keep_going)
        return got, (time.perf_counter() - t0) * 1000

    (got, ms), soa_apex, soa_parent, v4only = await asyncio.gather(
        main(),
        lookup(query(apex, "SOA"), [server], follow),
        lookup(query(parent, "SOA"), [server], follow),
        lookup(query(IPV4ONLY, "AAAA"), [server], follow),
    )
    outcome, addresses = outcome_of(got, "A")
    answer = ServerAnswer(
        server=server_text(server),
        order=order,
        source=source,
        outcome=outcome,
        addresses=addresses,
        ms=round(ms, 1) if outcome is not DnsOutcome.TIMEOUT else None,
        ede=extended_errors(got),
        # the SOAs tell a forwarder fault apart only where the name failed: kept there
        soa_apex=outcome_of(soa_apex, "SOA")[0] if outcome not in _SPOKE else None,
        soa_region=outcome_of(soa_parent, "SOA")[0] if outcome not in _SPOKE else None,
        dns64_prefix=discovered_prefix(outcome_of(v4only, "AAAA")[1]),
    )
    if outcome is not DnsOutcome.SERVFAIL:
        return answer
    # DNSSEC: the same question with checking disabled, and plain once more, side by side,
    # each within a second (RFC 4035 section 3.2.2: CD asks a validator to skip validation).
    t1 = time.perf_counter()

    async def timed(q: dns.message.Message) -> tuple[Lookup, float]:
        got = await lookup(q, [server], DNS_FOLLOWUP_TIMEOUT)
        return got, (time.perf_counter() - t1) * 1000

    (cd, cd_ms), (plain, _) = await asyncio.gather(
        timed(query(host, "A", cd=True)), timed(query(host, "A"))
    )
    cd_outcome = outcome_of(cd, "A")[0]
    return replace(
        answer,
        cd_outcome=cd_outcome,
        cd_ms=round(cd_ms, 1) if cd_outcome is not DnsOutcome.TIMEOUT else None,
        plain_again=outcome_of(plain, "A")[0],
        ede=answer.ede or extended_errors(plain),
    )


async def ask_each(
    servers: Sequence[tuple[Server, str]],
    host: str,
    budget: float,
    extra: float = 0.0,
    answered_other: Callable[[Server], bool] | None = None,
) -> tuple[ServerAnswer, ...]:
    """Every server of ``servers`` ((server, where the OS keeps it), in the OS's order)
    asked alone and at once for ``host``; a server may use the ``extra`` patience only if it
    answered another query of this run (``answered_other``)."""

    def patience(s: Server) -> Callable[[], bool] | None:
        if answered_other is None:
            return None
        return lambda: answered_other(s)

    answers = await asyncio.gather(
        *(
            ask_server(s, i, where, host, budget, extra, patience(s))
            for i, (s, where) in enumerate(servers)
        )
    )
    return tuple(
        replace(a, answered_other=bool(answered_other and answered_other(s)))
        for a, (s, _) in zip(answers, servers, strict=True)
    )
