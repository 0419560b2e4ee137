"""Synthetic results for the pure layers: a real plan, made-up DNS and probe outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from wsdiag.check.catalog import load_catalog
from wsdiag.check.plan import dns_id, expand, make_plan
from wsdiag.evidence.machine import machine_facts
from wsdiag.host.interfaces import describe, route_fact
from wsdiag.run import judge
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.machine import (
    ClientProcess,
    ClientSession,
    Confidence,
    HostFacts,
    HostPaths,
    IfKind,
    Interface,
    PathFact,
    RouteFact,
)
from wsdiag.vocab.model import (
    DnsOutcome,
    Fault,
    Inputs,
    Need,
    Phase,
    Plan,
    ProbeSpec,
    ProxyMode,
    ProxyRoute,
    Role,
    Status,
    Transport,
    Tri,
)
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.report import Diagnosis, Report
from wsdiag.vocab.results import DnsResult, Finding, ProbeResult, planned

# One letter a status, so the rule tables read like tables.
O, R, F, U, E = (  # noqa: E741
    Status.OPEN,
    Status.REFUSED,
    Status.FILTERED,
    Status.UNREACHABLE,
    Status.ERROR,
)
EndpointFn = Callable[[str, Transport, int], Status]
Result = TypeVar("Result", ProbeResult, DnsResult)

PROXY_URL = "http://***@10.0.0.5:3128"
PRIVATE_NAME = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"
# What every probe through the proxy meets, by name: (status, phase, the proxy's HTTP status).
# "relay" is the proxy opening the tunnel: the probe then meets the group's own status.
PROXY_BEHAVIOUR: dict[str, tuple[Status, Phase, int | None]] = {
    "auth-407": (R, Phase.PROXY, 407),
    "forbid-403": (R, Phase.PROXY, 403),
    "silent": (F, Phase.PROXY, None),
    "down": (R, Phase.PROXY_CONNECT, None),
    "down-silent": (F, Phase.PROXY_CONNECT, None),
    "name-gone": (U, Phase.PROXY_RESOLVE, None),
}


def proxy_route(proxy: str | None, bypassed: tuple[str, ...] = ()) -> ProxyRoute:
    if proxy is None:
        return ProxyRoute()
    if proxy == "disabled":
        return ProxyRoute(ProxyMode.DISABLED, PROXY_URL, source="environment")
    if proxy == "pac-broken":  # a PAC answering "PROXY [bad:3128" (issue 18)
        why = "FindProxyForURL answered 'PROXY [bad:3128': 'PROXY [bad:3128' is no proxy address"
        return ProxyRoute(
            ProxyMode.UNTESTED,
            "PAC /etc/wsdiag/p.pac",
            source="pac",
            bypassed=bypassed,
            reason=f"the PAC's answer is broken: {why}",
            pac="/etc/wsdiag/p.pac",
            pac_broken=why,
        )
    if proxy == "invalid":  # HTTPS_PROXY=http://10.30.0.1:99999 (fresh report item 15)
        return ProxyRoute(
            ProxyMode.UNTESTED,
            "http://<unreadable>",
            source="environment",
            bypassed=bypassed,
            reason="the proxy setting has no valid port (a number from 1 to 65535)",
            invalid=True,
        )
    if proxy == "untested":
        return ProxyRoute(
            ProxyMode.UNTESTED,
            "socks5://10.0.0.5:1080",
            source="environment",
            bypassed=bypassed,
            reason="wsdiag tests http:// proxies only (HTTP CONNECT), not socks5://",
        )
    return ProxyRoute(ProxyMode.PROXY, PROXY_URL, "10.0.0.5", 3128, "environment", bypassed)


def plan_for(region: str = "eu-west-1", proxy: ProxyRoute | None = None, **kw: object) -> Plan:
    return make_plan(load_catalog(), Inputs(region=region, **kw), proxy)  # type: ignore[arg-type]


def results(
    endpoint_dns: DnsOutcome | list[str] = ["10.0.1.10", "10.0.2.10"],  # noqa: B006
    endpoint: EndpointFn | Status = O,
    needed: Status | DnsOutcome = O,
    expected: Status | DnsOutcome = O,
    health: Status = R,
    aaaa: list[str] | None = None,
    all_dns: DnsOutcome | None = None,
    plan: Plan | None = None,
    proxy: str | None = None,
    bypassed: tuple[str, ...] = (),
    tweak: Callable[[ProbeResult], ProbeResult] | None = None,
    host: str | None = None,
    stream: dict[int, tuple[Status, int | None]] | None = None,
    os: DnsOutcome | list[str] | None = None,
    os_all: list[str] | None = None,
    os_reason: str = "unknown",
    local_block: bool = False,
) -> Synthetic:
    """One Observed object, and the made-up machine's paths (``host``). A Status stands
    for every probe of that group; a DnsOutcome for
    the group's A lookup failing that way; ``all_dns`` makes every lookup fail. ``proxy``
    (None, "relay", "untested", "disabled" or a PROXY_BEHAVIOUR key) sends the auth
    targets' TCP/TLS probes through an HTTPS proxy, which resolves names itself: a group's
    DnsOutcome then fails only its direct (QUIC) probes. ``tweak`` rewrites every probe
    result last (what TLS handshakes recorded, say).

    ``os``: the OS's answer (getaddrinfo) for the endpoint, every other name getting from
    the OS what its resolver would have said before ``all_dns``; ``os_all``: every name's
    OS answer (a captive portal); ``os_reason``: why the OS answers as it does. Neither:
    the OS was not consulted (as with --nameserver). One piece: the groups' made-up
    outcomes over the plan's own specs, target by target. ``local_block``: every "unreachable"
    probe and "no route" lookup was this machine's own firewall refusing the send (EPERM)."""
    if plan is not None and proxy is not None:
        raise ValueError("plan the proxy in: plan_for(proxy=proxy_route(...))")
    plan = plan or plan_for(proxy=proxy_route(proxy, bypassed))
    # The plan's own specs decide ids, routing and skips: the probes known before DNS
    # (skipped targets, checks through the proxy) and, once the made-up lookups answer,
    # ``expand``'s direct probes. Only the outcomes are made up here.
    dns: list[DnsResult] = []
    probes: list[ProbeResult] = []
    for pt in plan.targets:
        t = pt.target
        if pt.skip_reason:
            probes += [planned(s) for s in pt.probes]
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
        natural = spec
        if all_dns is not None:
            spec = all_dns
        a = _dns(pt.target.id, pt.host, "A", spec)
        use_aaaa = t.role is Role.ENDPOINT and aaaa and all_dns is None
        six = aaaa if use_aaaa else DnsOutcome.NO_ANSWER
        six_result = _dns(pt.target.id, pt.host, "AAAA", six if all_dns is None else all_dns)
        dns += [a, six_result]
        answers = [a, six_result]
        os_spec = (
            os_all
            if os_all is not None
            else (None if os is None else os if t.role is Role.ENDPOINT else natural)
        )
        if os_spec is not None:
            answers.append(_os(pt.target.id, pt.host, os_spec, os_reason))
            dns.append(answers[-1])
        for s in pt.probes:
            if s.id.endswith("@proxy"):  # CONNECT <private name>:port, only where asked
                if stream is not None and s.port in stream:
                    probes.append(_streamed(s, *stream[s.port]))
                elif stream is not None:  # asked of the proxy, no answer given: as a run
                    probes.append(planned(s))  # records a probe it could not finish
            elif s.skip_reason is not None:
                probes.append(planned(s))
            else:
                probes.append(_through_proxy(s, proxy, status_of("", s.transport, s.port)))
        for s in expand(pt, answers):
            if s.skip_reason is not None or s.address is None:
                probes.append(planned(s))
                continue
            status = status_of(s.address, s.transport, s.port)
            probes.append(
                replace(
                    planned(s),
                    status=status,
                    ms=5.0 if status is O else None,
                    tls_trusted=True if (status is O and s.transport is Transport.TLS) else None,
                )
            )
    if local_block:
        probes = [_blocked(p) if p.status is U else p for p in probes]
        dns = [_blocked(d) if d.outcome is DnsOutcome.NO_ROUTE else d for d in dns]
    if tweak is not None:
        probes = [tweak(p) for p in probes]
    ep = next((d for d in dns if d.target_id == "endpoint" and d.rdtype == "A"), None)
    addrs = ep.addresses if ep is not None else ()
    return Synthetic(plan, tuple(dns), tuple(probes), paths=synthetic_host(host, addrs))


@dataclass(frozen=True)
class Synthetic(Observed):
    """What a made-up run observed, and the made-up machine it ran on (``host``)."""

    paths: HostPaths | None = None


def diagnose(r: Observed, extra: tuple[Finding, ...] = ()) -> tuple[Evidence, Diagnosis]:
    """The production composition (``wsdiag.run.judge``) over synthetic results: this
    machine's facts from ``r.paths`` (none for a plain Observed), the clock now; ``extra``:
    other sources' findings (the logs', the cloud's)."""
    paths = r.paths if isinstance(r, Synthetic) else None
    return judge(r, dt.datetime.now(dt.UTC), machine_facts(paths, r), paths, extra)


# This machine as the rules see it: a Wi-Fi interface, perhaps a VPN tunnel, the route of
# each endpoint address and of the resolver, and perhaps a client process. Keys: "vpn-split"
# (tunnel up, the endpoint routed by Wi-Fi), "vpn-through" (endpoint routed by the tunnel),
# "home-router" (resolver on the Wi-Fi subnet, no tunnel), "mtu-1100" (endpoint through a
# tunnel of MTU 1100), "client-5.20" / "client-5.24" (a Windows client of that version);
# "home-vpc-default" / "home-vpc-routed" (a home router; the internet via Wi-Fi, VPC_ADDR
# via Wi-Fi too / via a second LAN, eth1); "tailscale" (Tailscale's tunnel and MagicDNS
# resolver 100.100.100.100, its process running).
VPC_ADDR = "10.0.0.2"  # what the paths ask about for --vpc-cidr 10.0.0.0/16
INTERNET_ADDR = "192.0.2.10"  # the sign-in targets' made-up address


def synthetic_host(kind: str | None, endpoint_addrs: tuple[str, ...]) -> HostPaths | None:
    if kind is None:
        return None
    tun_mtu = 1100 if kind == "mtu-1100" else 1380
    wifi = Interface("en0", IfKind.PHYSICAL, True, ("192.168.1.20/24",), 1500)
    tun = Interface("utun4", IfKind.TUNNEL, True, ("10.8.0.2/32",), tun_mtu, True)
    if kind == "tailscale":
        tun = Interface("tailscale0", IfKind.TUNNEL, True, ("100.101.102.103/32",), 1280, True)
    lan2 = Interface("eth1", IfKind.PHYSICAL, True, ("172.20.0.5/24",), 1500)
    tunnelled = ("vpn-split", "vpn-through", "mtu-1100", "tailscale")
    interfaces = (wifi, tun) if kind in tunnelled else (wifi,)
    interfaces += (lan2,) if kind == "home-vpc-routed" else ()
    ep_iface = tun if kind in ("vpn-through", "mtu-1100") else wifi
    resolver = {"tailscale": "100.100.100.100"}.get(
        kind, "192.168.1.1" if kind.startswith("home-") else "10.0.0.2"
    )
    res_iface = tun if tun in interfaces else wifi

    def via(dest: str, iface: Interface) -> RouteFact:
        return route_fact(dest, iface.addresses[0].split("/")[0], interfaces)

    rows = [("resolver", resolver, via(resolver, res_iface))]
    rows += [("endpoint", a, via(a, ep_iface)) for a in endpoint_addrs]
    if kind.startswith("home-vpc-"):
        rows.append(("internet", INTERNET_ADDR, via(INTERNET_ADDR, wifi)))
        rows.append(("vpc", VPC_ADDR, via(VPC_ADDR, lan2 if lan2 in interfaces else wifi)))
    facts = HostFacts("Windows", interfaces, {d: r for _, d, r in rows})
    paths = tuple(PathFact(role, d, r, describe(r, facts)) for role, d, r in rows)
    session, version = None, None
    if kind.startswith("client-"):
        version = kind.removeprefix("client-")
        session = ClientSession(
            Tri.YES, (ClientProcess(4242, "workspaces.exe", Confidence.CONFIRMED, version),)
        )
    agents = ("tailscaled",) if kind == "tailscale" else ()
    return HostPaths(facts, paths, session, version, agents)


def _streamed(spec: ProbeSpec, status: Status, code: int | None) -> ProbeResult:
    """A CONNECT <private name>:port through the proxy: ``status``, the proxy's ``code``."""
    return replace(
        planned(spec),
        status=status,
        phase=Phase.PROXY if status is not O else Phase.CONNECT,
        proxy_status=code,
    )


def _through_proxy(spec: ProbeSpec, proxy: str | None, relayed: Status) -> ProbeResult:
    """One probe the plan sends through the proxy, meeting the proxy behaviour ``proxy``
    (or, "relay", the group's own status through an opened tunnel)."""
    base = planned(spec)
    if proxy in PROXY_BEHAVIOUR:
        status, phase, code = PROXY_BEHAVIOUR[proxy]
        return replace(base, status=status, phase=phase, proxy_status=code)
    opened = relayed is O
    return replace(
        base,
        status=relayed,
        phase=Phase.TLS,
        proxy_status=200 if opened else None,
        ms=5.0 if opened else None,
        tls_trusted=True if opened and spec.transport is Transport.TLS else None,
    )


def _blocked(r: Result) -> Result:
    """``r`` as this machine's firewall refusing the send makes it (EPERM)."""
    detail = "Operation not permitted (blocked on this machine)"
    return replace(r, cause=Fault.LOCAL_BLOCK, detail=detail)


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


def _os(target_id: str, host: str, spec: object, reason: str) -> DnsResult:
    rid = dns_id(target_id, "OS")
    if isinstance(spec, DnsOutcome):
        return DnsResult(rid, target_id, host, "OS", spec, resolver="os", reason=reason)
    return DnsResult(
        rid,
        target_id,
        host,
        "OS",
        DnsOutcome.ANSWER,
        tuple(spec),  # type: ignore[arg-type]
        "os",
        f"why: {reason}",
        reason=reason,
    )


def report_of(r: Observed, evidence: Evidence, diagnosis: Diagnosis) -> Report:
    """The Report a run of ``r`` judged so would write (fixed version, times)."""
    return Report(
        schema="wsdiag.report/1",
        tool_version="0",
        region=r.plan.region.code,
        endpoint_hosts=evidence.endpoint_hosts,
        diagnosis=diagnosis,
        evidence=evidence,
        dns=r.dns,
        probes=r.probes,
        duration_ms=1.0,
        started_at="2026-01-01T00:00:00Z",
    )
