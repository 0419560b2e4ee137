"""Synthetic results for the pure layers: a real plan, made-up DNS and probe outcomes."""

from __future__ import annotations

from collections.abc import Callable

from wsdiag.catalog import load_catalog
from wsdiag.evidence import Results
from wsdiag.model import (
    DnsOutcome,
    DnsResult,
    Inputs,
    Need,
    Plan,
    ProbeResult,
    Role,
    Status,
    Transport,
)
from wsdiag.plan import make_plan
from wsdiag.runner import addresses_to_probe, dns_id, probe_id, skipped

# One letter a status, so the rule tables read like tables.
O, R, F, U, E = (  # noqa: E741
    Status.OPEN, Status.REFUSED, Status.FILTERED, Status.UNREACHABLE, Status.ERROR)
EndpointFn = Callable[[str, Transport, int], Status]


def plan_for(region: str = "eu-west-1", **kw: object) -> Plan:
    return make_plan(load_catalog(), Inputs(region=region, **kw))  # type: ignore[arg-type]


def results(
    endpoint_dns: DnsOutcome | list[str] = ["10.0.1.10", "10.0.2.10"],  # noqa: B006
    endpoint: EndpointFn | Status = O,
    needed: Status | DnsOutcome = O,
    expected: Status | DnsOutcome = O,
    health: Status = R,
    aaaa: list[str] | None = None,
    all_dns: DnsOutcome | None = None,
    plan: Plan | None = None,
) -> Results:
    """One Results object. A Status stands for every probe of that group; a DnsOutcome for
    the group's A lookup failing that way; ``all_dns`` makes every lookup fail."""
    plan = plan or plan_for()
    dns: list[DnsResult] = []
    probes: list[ProbeResult] = []
    for pt in plan.targets:
        t = pt.target
        if pt.skip_reason:
            probes += skipped(pt, pt.skip_reason)
            continue
        if t.role is Role.ENDPOINT:
            spec: object = endpoint_dns
            status_of = endpoint if callable(endpoint) else _constant(endpoint)
        elif t.role is Role.HEALTH:
            spec, status_of = ["192.0.2.40"], _constant(health)
        else:
            group = needed if t.need is Need.NEEDED else expected
            spec = group if isinstance(group, DnsOutcome) else ["192.0.2.10"]
            status_of = _constant(group if isinstance(group, Status) else O)
        if all_dns is not None:
            spec = all_dns
        a = _dns(pt.target.id, pt.host, "A", spec)
        use_aaaa = t.role is Role.ENDPOINT and aaaa and all_dns is None
        six = aaaa if use_aaaa else DnsOutcome.NO_ANSWER
        dns += [a, _dns(pt.target.id, pt.host, "AAAA", six if all_dns is None else all_dns)]
        addrs = addresses_to_probe(pt, a)
        if not addrs:
            probes += skipped(pt, f"DNS {a.outcome}")
            continue
        for addr in addrs:
            for c in t.checks:
                status = status_of(addr, c.transport, c.port)
                probes.append(ProbeResult(
                    id=probe_id(t.id, c.transport, c.port, addr if t.all_addresses else None),
                    target_id=t.id, host=pt.host, address=addr, transport=c.transport,
                    port=c.port, status=status, ms=5.0 if status is O else None,
                    tls_trusted=True if (status is O and c.transport is Transport.TLS) else None,
                ))
    return Results(plan, tuple(dns), tuple(probes))


def _constant(status: Status) -> EndpointFn:
    def fn(addr: str, transport: Transport, port: int) -> Status:
        return status

    return fn


def _dns(target_id: str, host: str, rdtype: str, spec: object) -> DnsResult:
    rid = dns_id(target_id, rdtype)
    if isinstance(spec, DnsOutcome):
        return DnsResult(rid, target_id, host, rdtype, spec)
    addrs = [a for a in spec if (":" in a) == (rdtype == "AAAA")]  # type: ignore[attr-defined]
    if not addrs:
        return DnsResult(rid, target_id, host, rdtype, DnsOutcome.NO_ANSWER)
    return DnsResult(rid, target_id, host, rdtype, DnsOutcome.ANSWER, tuple(addrs), "10.0.0.2")
