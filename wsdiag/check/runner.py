"""Run a plan: every target concurrently (resolve, then probe), one whole-run deadline.

Each probe catches its own errors, so a bug in one cannot cancel its siblings; whatever
has not finished when the deadline falls is reported as an error with phase "deadline",
never as success and never silently dropped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from wsdiag.model import (
    Check,
    DnsOutcome,
    DnsResult,
    Plan,
    PlannedTarget,
    ProbeResult,
    ProxyMode,
    Role,
    Status,
    Transport,
    Via,
)

if TYPE_CHECKING:
    from wsdiag.probes.tlsid import TrustSources

# Probe functions are parameters so tests can count calls without a network; the real
# ones are imported lazily (aioquic and dnspython are slow to import).
ProbeFn = Callable[[ProbeResult, float], Awaitable[ProbeResult]]
ResolveFn = Callable[[str, str, str, str], Awaitable[DnsResult]]


@dataclass
class RunResult:
    dns: list[DnsResult]
    probes: list[ProbeResult]
    duration_ms: float


def probe_id(target_id: str, transport: Transport, port: int, address: str | None) -> str:
    base = f"{target_id}/{transport}/{port}"
    return f"{base}@{address}" if address else base


def dns_id(target_id: str, rdtype: str) -> str:
    return f"{target_id}/dns/{rdtype}"


def _base(pt: PlannedTarget, transport: Transport, port: int, address: str | None,
          via: Via = Via.DIRECT) -> ProbeResult:
    return ProbeResult(
        id=probe_id(pt.target.id, transport, port, address if pt.target.all_addresses else None),
        target_id=pt.target.id, host=pt.host, address=address, transport=transport,
        port=port, status=Status.ERROR, via=via,
    )


def skipped(
    pt: PlannedTarget, reason: str, plan: Plan | None = None,
    checks: Sequence[Check] | None = None,
) -> list[ProbeResult]:
    return [
        replace(_base(pt, c.transport, c.port, None, _via(plan, pt, c.transport)),
                status=Status.SKIPPED, detail=reason)
        for c in (pt.target.checks if checks is None else checks)
    ]


def _via(plan: Plan | None, pt: PlannedTarget, transport: Transport) -> Via:
    routed = plan is not None and plan.proxy.routes(pt.target.role, pt.host, transport)
    return Via.PROXY if routed else Via.DIRECT


def addresses_to_probe(pt: PlannedTarget, a: DnsResult) -> list[str]:
    """IPv4 only (the tested path); every address for the endpoint, the first otherwise."""
    v4 = [x for x in a.addresses if ipaddress.ip_address(x).version == 4]
    return v4 if pt.target.all_addresses else v4[:1]


async def run_plan(
    plan: Plan,
    resolve: ResolveFn,
    probes: dict[Transport, ProbeFn],
) -> RunResult:
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    deadline = loop.time() + plan.deadline
    dns_out: dict[str, DnsResult | None] = {}
    probe_out: dict[str, ProbeResult] = {}
    pending_probes: dict[str, ProbeResult] = {}

    def remaining() -> float:
        return max(deadline - loop.time(), 0.0)

    async def one_probe(base: ProbeResult) -> None:
        pending_probes[base.id] = base
        fn = probes[base.transport]
        budget = min(plan.timeout, remaining())
        try:
            result = await fn(base, budget)
        except Exception as exc:  # a bug in one probe must not cancel its siblings
            result = replace(base, status=Status.ERROR, phase="internal",
                             detail=f"{exc.__class__.__name__}: {exc}"[:200])
        if result.status is Status.FILTERED and budget < plan.timeout:
            # Silent for less than the full timeout: that is not evidence of a filter.
            result = replace(result, status=Status.ERROR, phase="deadline",
                             detail=f"silent for {budget:.2f} s before the run deadline")
        probe_out[base.id] = result
        pending_probes.pop(base.id, None)

    async def one_dns(pt: PlannedTarget, rdtype: str) -> DnsResult:
        rid = dns_id(pt.target.id, rdtype)
        dns_out[rid] = None
        try:
            result = await resolve(rid, pt.target.id, pt.host, rdtype)
        except Exception as exc:
            result = DnsResult(id=rid, target_id=pt.target.id, host=pt.host, rdtype=rdtype,
                               outcome=DnsOutcome.ERROR,
                               detail=f"{exc.__class__.__name__}: {exc}"[:200])
        dns_out[rid] = result
        return result

    async def direct(pt: PlannedTarget, checks: list[Check]) -> None:
        a, _aaaa = await asyncio.gather(one_dns(pt, "A"), one_dns(pt, "AAAA"))
        addrs = addresses_to_probe(pt, a)
        if not addrs:
            reason = "no IPv4 address" if a.outcome is DnsOutcome.ANSWER else f"DNS {a.outcome}"
            for r in skipped(pt, reason, checks=checks):
                probe_out[r.id] = r
            return
        await asyncio.gather(*(
            one_probe(_base(pt, c.transport, c.port, addr))
            for addr in addrs for c in checks
        ))

    async def one_target(pt: PlannedTarget) -> None:
        proxied = [c for c in pt.target.checks if _via(plan, pt, c.transport) is Via.PROXY]
        # The proxy resolves the name itself, so these start at once, beside the local DNS
        # lookups (still made and reported: they are what a direct path would use).
        if plan.proxy.mode is ProxyMode.UNTESTED:
            for c in proxied:
                r = replace(_base(pt, c.transport, c.port, None, Via.PROXY),
                            status=Status.SKIPPED,
                            detail=f"would go through the proxy {plan.proxy.url}, not tested")
                probe_out[r.id] = r
            proxied_probes = []
        else:
            proxied_probes = [one_probe(_base(pt, c.transport, c.port, None, Via.PROXY))
                              for c in proxied]
        rest = [c for c in pt.target.checks if c not in proxied]
        await asyncio.gather(direct(pt, rest), *proxied_probes)

    tasks = []
    for pt in plan.targets:
        if pt.skip_reason:
            for r in skipped(pt, pt.skip_reason, plan):
                probe_out[r.id] = r
        else:
            tasks.append(asyncio.create_task(one_target(pt)))
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=remaining())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # Whatever the deadline cut short is an error, so it can never count as "open".
    if loop.time() >= deadline:
        phase, why = "deadline", "cut short by the run deadline"
    else:
        phase, why = "internal", "the probe ended without a result (internal error)"
    for pid, base in pending_probes.items():
        probe_out.setdefault(pid, replace(base, status=Status.ERROR, phase=phase, detail=why))
    dns_final: list[DnsResult] = []
    for rid, res in dns_out.items():
        if res is None:
            target_id, _, rdtype = rid.partition("/dns/")
            host = next(p.host for p in plan.targets if p.target.id == target_id)
            res = DnsResult(id=rid, target_id=target_id, host=host, rdtype=rdtype,
                            outcome=DnsOutcome.ERROR, detail="cut short by the run deadline")
        dns_final.append(res)
    # Plan order (target, address, check), whatever order the probes finished in.
    rank = {(pt.target.id, c.transport, c.port): (i, j)
            for i, pt in enumerate(plan.targets) for j, c in enumerate(pt.target.checks)}

    def order(p: ProbeResult) -> tuple[int, int, int, int]:
        i, j = rank.get((p.target_id, p.transport, p.port), (len(rank), 0))
        ip = ipaddress.ip_address(p.address) if p.address else None
        return i, ip.version if ip else 0, int(ip) if ip else 0, j

    ordered = sorted(probe_out.values(), key=order)
    return RunResult(
        dns=dns_final,
        probes=ordered,
        duration_ms=round((time.perf_counter() - t0) * 1000, 1),
    )


def real_probes(
    plan: Plan, trust: TrustSources | None = None, identify: bool = True,
) -> tuple[ResolveFn, dict[Transport, ProbeFn]]:
    """The network implementations, imported here so --help never pays for them. With
    ``trust``, sign-in TLS records and judges the chain offline, and (``identify``) the
    endpoint's TCP probes also handshake to record what each address presents."""
    import dns.resolver

    from wsdiag.probes.dns import make_resolver, resolve
    from wsdiag.probes.quic import probe_quic
    from wsdiag.probes.tcp import ProxyDialer, probe_tcp, probe_via_proxy, tls_context

    ctx: ssl.SSLContext = tls_context()
    try:
        resolver = make_resolver(plan.nameservers, plan.timeout)
    except dns.resolver.NoResolverConfiguration:
        resolver = None  # reported per lookup, so the report says what could not be done

    async def do_resolve(rid: str, target_id: str, host: str, rdtype: str) -> DnsResult:
        if resolver is None:
            return DnsResult(id=rid, target_id=target_id, host=host, rdtype=rdtype,
                             outcome=DnsOutcome.NOT_CONFIGURED,
                             detail="no DNS resolver configuration found on this machine")
        return await resolve(resolver, rid, target_id, host, rdtype)

    proxy = (ProxyDialer(plan.proxy.host, plan.proxy.port)
             if plan.proxy.mode is ProxyMode.PROXY and plan.proxy.host and plan.proxy.port
             else None)

    # The endpoint's TCP probes (443, 4195) also handshake: is it the endpoint at each address?
    endpoint = {pt.target.id for pt in plan.targets if pt.target.role is Role.ENDPOINT}

    async def do_tcp(base: ProbeResult, timeout: float) -> ProbeResult:
        if base.via is Via.PROXY and proxy is not None:
            return await probe_via_proxy(base, timeout, proxy)
        return await probe_tcp(base, timeout, identify=identify and trust is not None
                               and base.target_id in endpoint)

    async def do_tls(base: ProbeResult, timeout: float) -> ProbeResult:
        if base.via is Via.PROXY and proxy is not None:
            return await probe_via_proxy(base, timeout, proxy, ctx, trust)
        return await probe_tcp(base, timeout, ctx, trust)

    async def do_quic(base: ProbeResult, timeout: float) -> ProbeResult:
        return await probe_quic(base, timeout, plan.quic_alpn)

    return do_resolve, {Transport.TCP: do_tcp, Transport.TLS: do_tls, Transport.QUIC: do_quic}
