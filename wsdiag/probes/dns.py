"""DNS: A and AAAA through the system resolver (or --nameserver), outcomes told apart."""

from __future__ import annotations

import dataclasses
import errno
import ipaddress
import time

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from wsdiag.check.plan import split_nameserver
from wsdiag.model import DnsOutcome, DnsResult

_NO_ROUTE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, 10050, 10051, 10065}


def make_resolver(nameservers: tuple[str, ...], timeout: float) -> dns.asyncresolver.Resolver:
    """The system resolver, or the given servers. Raises NoResolverConfiguration."""
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(*split_nameserver(ns)) for ns in nameservers
        ]
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.lifetime = timeout
    # Several tries within the lifetime, so one lost UDP datagram is not a "timeout".
    resolver.timeout = max(timeout / 3, 0.2)
    resolver.cache = None
    return resolver


async def resolve(
    resolver: dns.asyncresolver.Resolver, rid: str, target_id: str, host: str, rdtype: str
) -> DnsResult:
    first = resolver.nameservers[0] if resolver.nameservers else None
    base = DnsResult(
        id=rid, target_id=target_id, host=host, rdtype=rdtype,
        outcome=DnsOutcome.ERROR, resolver=_server_text(first) if first is not None else None,
    )
    names = {str(ns): _server_text(ns) for ns in resolver.nameservers}
    t0 = time.perf_counter()

    def done(outcome: DnsOutcome, detail: str = "", **kw: object) -> DnsResult:
        ms = round((time.perf_counter() - t0) * 1000, 1)
        return dataclasses.replace(base, outcome=outcome, detail=detail, ms=ms, **kw)  # type: ignore[arg-type]

    try:
        answer = await resolver.resolve(host + ".", rdtype, search=False)
    except dns.resolver.NXDOMAIN:
        return done(DnsOutcome.NXDOMAIN, "the name does not exist")
    except dns.resolver.NoAnswer:
        return done(DnsOutcome.NO_ANSWER, f"the name exists but has no {rdtype} record")
    except dns.resolver.NoNameservers as exc:
        return done(*_nameserver_failure(exc.kwargs.get("errors") or [], names))
    except dns.resolver.LifetimeTimeout as exc:
        outcome, detail = _nameserver_failure(exc.kwargs.get("errors") or [], names)
        if outcome is DnsOutcome.ERROR:
            outcome, detail = DnsOutcome.TIMEOUT, "no answer from the resolver"
        return done(outcome, detail)
    except dns.exception.Timeout:
        return done(DnsOutcome.TIMEOUT, "no answer from the resolver")
    except dns.exception.DNSException as exc:
        return done(DnsOutcome.ERROR, f"{exc.__class__.__name__}: {exc}"[:200])
    except OSError as exc:
        if exc.errno in _NO_ROUTE:
            return done(DnsOutcome.NO_ROUTE, exc.strerror or "no route to the resolver")
        return done(DnsOutcome.ERROR, exc.strerror or str(exc))
    want = dns.rdatatype.from_text(rdtype)
    addresses: list[str] = []
    for rrset in answer.response.answer:
        if rrset.rdtype == want:
            addresses.extend(str(r.address) for r in rrset)
    # A resolver may put odd things in an answer; keep only well-formed addresses.
    valid = tuple(a for a in dict.fromkeys(addresses) if _is_ip(a))
    if not valid:
        return done(DnsOutcome.NO_ANSWER, f"no usable {rdtype} address in the answer")
    return done(DnsOutcome.ANSWER, addresses=valid, resolver=str(answer.nameserver))


def _server_text(ns: object) -> str:
    """'10.0.0.2' or '127.0.0.1:5353', not dnspython's 'Do53:10.0.0.2@53'."""
    address, port = getattr(ns, "address", None), getattr(ns, "port", 53)
    if address is None:
        return str(ns)
    return str(address) if port == 53 else f"{address}:{port}"


def _nameserver_failure(
    errors: list[tuple[object, ...]], names: dict[str, str]
) -> tuple[DnsOutcome, str]:
    """Read dnspython's per-server error trail: what did the servers actually say?"""
    outcomes = []
    for err in errors:
        # The trail names servers as str(nameserver) ("Do53:10.0.0.2@53"); show ours.
        server, what = names.get(str(err[0]), str(err[0])), err[3] if len(err) > 3 else None
        if what == "SERVFAIL":
            outcomes.append((DnsOutcome.SERVFAIL, f"{server} answered SERVFAIL"))
        elif what == "REFUSED":
            outcomes.append((DnsOutcome.REFUSED, f"{server} refused the query"))
        elif isinstance(what, ConnectionRefusedError | ConnectionResetError):
            outcomes.append((DnsOutcome.UNREACHABLE, f"{server}: port unreachable"))
        elif isinstance(what, OSError) and what.errno in _NO_ROUTE:
            outcomes.append((DnsOutcome.NO_ROUTE, f"{server}: {what.strerror}"))
        elif isinstance(what, dns.exception.Timeout):
            outcomes.append((DnsOutcome.TIMEOUT, f"{server}: no answer"))
        elif what is not None:
            outcomes.append((DnsOutcome.ERROR, f"{server}: {what}"[:200]))
    if not outcomes:
        return DnsOutcome.ERROR, "all resolvers failed"
    # The most informative answer wins: a server that spoke beats one that was silent.
    order = [DnsOutcome.SERVFAIL, DnsOutcome.REFUSED, DnsOutcome.ERROR,
             DnsOutcome.UNREACHABLE, DnsOutcome.TIMEOUT, DnsOutcome.NO_ROUTE]
    return min(outcomes, key=lambda o: order.index(o[0]))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
