"""From catalog + inputs (+ the proxy found before planning) to every DNS lookup and probe of
the run, fully decided: ids, routes, timeouts, skip reasons. Pure: no I/O, golden-tested.

The one thing not known in advance is each name's addresses: ``expand`` turns a target's
DNS answers into its per-address probes, as a pure function the runner calls.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable, Sequence

from wsdiag.budgets import INFO_TIMEOUT, MAX_ENDPOINT_ADDRESSES, MAX_TIMEOUT
from wsdiag.check.options import check_samples, check_timing
from wsdiag.errors import WsdiagError
from wsdiag.host.proxy import ProxyConfig, route
from wsdiag.vocab.model import (
    Catalog,
    Check,
    DnsOutcome,
    DnsSpec,
    Inputs,
    Nameserver,
    Need,
    Plan,
    PlannedTarget,
    ProbeSpec,
    ProxyMode,
    ProxyRoute,
    Region,
    Role,
    Target,
    Transport,
    Via,
)
from wsdiag.vocab.results import DnsResult, ProbeResult

_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*$")
_DIRECTORY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
RDTYPES = ("A", "AAAA")  # both asked of the resolver and reported
# getaddrinfo, the OS's answer (hosts file, per-domain resolvers): what the client dials.
# Not asked when --nameserver names the resolver (the user chose it; tests stay on loopback).
OS_RDTYPE = "OS"


# Facts that are "any of" their probes (evidence: ``any_open``), by the probes that serve
# them: (role, need, transport, port) -> the fact. Once one answered, the others' silence
# cannot change the fact, so the runner ends them early (reported as skipped, naming the
# probe that decided). Per-address facts (the endpoint's) are never here: each address
# counts on its own.
ANY_OF_FACTS: dict[tuple[Role, Need, Transport, int], str] = {
    # One sign-in host answering QUIC proves UDP 443 open to the internet.
    (Role.AUTH, Need.NEEDED, Transport.QUIC, 443): "auth_quic",
}


# Any-of facts no verdict-bearing rule reads: a probe serving one is informational too,
# whatever its target's need. "auth_quic" feeds only AUTH_UDP_443_UNCONFIRMED (info): the
# broker's QUIC is undocumented (catalog.toml), its silence never decides the verdict.
INFO_FACTS = frozenset({"auth_quic"})


def info_timeout(timeout: float) -> float:
    """Seconds an informational probe (need "informational": it cannot change the
    verdict) waits: ``INFO_TIMEOUT``, or the run's ``timeout`` if smaller."""
    return min(INFO_TIMEOUT, timeout)


def probe_id(target_id: str, transport: Transport, port: int, address: str | None) -> str:
    """ "endpoint/quic/4195@10.0.1.5" (per-address targets) or "ws-broker/tls/443"."""
    base = f"{target_id}/{transport}/{port}"
    return f"{base}@{address}" if address else base


def dns_id(target_id: str, rdtype: str) -> str:
    return f"{target_id}/dns/{rdtype}"


def check_host(name: str, what: str) -> str:
    host = name.strip().rstrip(".").lower()
    if not _HOST_RE.match(host):
        raise WsdiagError(f"{what}: {name!r} is not a DNS host name")
    return host


def check_cidrs(cidrs: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for c in cidrs:
        try:
            out.append(str(ipaddress.IPv4Network(c.strip(), strict=False)))
        except ValueError:
            raise WsdiagError(
                f"--vpc-cidr: {c!r} is not an IPv4 network like 10.0.0.0/16"
            ) from None
    return tuple(out)


def check_nameservers(servers: tuple[str, ...]) -> tuple[Nameserver, ...]:
    """``--nameserver`` values (IP, IPv4:port or [IPv6]:port) parsed once, for every layer.
    Raises WsdiagError naming the first value that is not one, or that no resolver can
    have (:func:`not_a_resolver`). Whether an IPv6 scope names an interface of this machine
    is the edge's question (wsdiag.cli_options), not this pure module's."""
    out = []
    for s in servers:
        try:
            ip, port = split_nameserver(s.strip())
        except ValueError:
            raise WsdiagError(
                f"--nameserver: {s!r} is not an IP address (optionally IP:port)"
            ) from None
        why = not_a_resolver(ip)
        if why:
            raise WsdiagError(f"--nameserver: {s!r} is {why}, not a resolver's address")
        out.append(Nameserver(ip, port))
    return tuple(out)


def not_a_resolver(ip: str) -> str | None:
    """What kind of address ``ip`` is when it cannot be one DNS server's ("a broadcast
    address"), or None. A query sent there goes to nobody (unspecified: 0.0.0.0 or ::, which
    the kernel takes as this machine), to many (multicast; IPv4's limited broadcast, whose
    send Linux refuses with EACCES unless SO_BROADCAST is set, read as "this machine's own
    firewall"). A subnet's directed broadcast (10.0.0.255 of a /24) depends on a netmask no
    option gives: not judged."""
    addr = ipaddress.ip_address(ip)
    if addr.is_unspecified:
        return "the unspecified address"
    if addr.is_multicast:
        return "a multicast address"
    if addr == ipaddress.IPv4Address("255.255.255.255"):
        return "the broadcast address"
    return None


def split_nameserver(text: str) -> tuple[str, int]:
    port = 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = int(rest.removeprefix(":"))
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        port = int(p)
    else:
        host = text
    if not 0 < port < 65536:
        raise ValueError(text)
    return str(ipaddress.ip_address(host)), port


def _public_target(
    target: Target, region: Region, directory: str | None, values: dict[str, str | None]
) -> PlannedTarget:
    """A sign-in or health-check target with its host filled in, or why it is not probed."""
    skip = None
    if target.requires == "directory_id" and directory is None:
        skip = "no --directory-id given"
    elif "{airport}" in target.host and not region.airport:
        skip = "no health-check host known"
    if skip:
        return PlannedTarget(target, _unfilled(target.host), skip)
    return PlannedTarget(target, target.host.format(**values))


def make_plan(
    catalog: Catalog, inputs: Inputs, proxy: ProxyConfig | ProxyRoute | None = None
) -> Plan:
    """The whole run. ``proxy`` is the HTTPS proxy found before planning: a discovered
    ``ProxyConfig`` is applied to the planned names here (its bypass list decides per
    name, ``inputs.use_proxy`` whether it is used at all); a ``ProxyRoute`` is taken as
    already decided (tests, replays); None is a machine without a proxy.
    Raises WsdiagError (one line) for an input that cannot be planned."""
    region_code = inputs.region.strip().lower()
    region = catalog.regions.get(region_code)
    if region is None:
        known = ", ".join(sorted(catalog.regions))
        raise WsdiagError(f"unknown region {inputs.region!r}; known regions: {known}")
    timeout, deadline = check_timing(inputs.timeout, inputs.deadline)
    directory = inputs.directory_id.strip().lower() if inputs.directory_id else None
    if directory is not None and not _DIRECTORY_RE.match(directory):
        raise WsdiagError(f"--directory-id: {inputs.directory_id!r} is not a directory id or alias")

    values = {"region": region.code, "airport": region.airport or "", "directory_id": directory}
    planned: list[PlannedTarget] = []
    for target in catalog.targets:
        if target.role is Role.ENDPOINT:
            planned.extend(_endpoint_targets(target, inputs, values))
            continue
        planned.append(_public_target(target, region, directory, values))
    if isinstance(proxy, ProxyRoute):
        proxy_route = proxy
    else:
        hosts = [
            pt.host
            for pt in planned
            if not pt.skip_reason and pt.target.role in (Role.AUTH, Role.ENDPOINT)
        ]
        proxy_route = route(proxy, hosts, inputs.use_proxy)
    endpoints = [pt for pt in planned if pt.target.role is Role.ENDPOINT]
    return Plan(
        region=region,
        targets=tuple(
            _with_specs(pt, proxy_route, timeout, not inputs.nameservers, endpoints.index(pt))
            if pt in endpoints
            else _with_specs(pt, proxy_route, timeout, not inputs.nameservers)
            for pt in planned
        ),
        timeout=timeout,
        deadline=deadline,
        deadline_fixed=inputs.deadline is not None,
        vpc_cidrs=check_cidrs(inputs.vpc_cidrs),
        nameservers=check_nameservers(inputs.nameservers),
        quic_alpn=catalog.quic_alpn,
        public_roots=inputs.public_roots,
        proxy=proxy_route,
        samples=check_samples(inputs.samples),
        quality=catalog.quality,
        quality_verdict=inputs.quality_verdict,
    )


def _spec(
    pt: PlannedTarget,
    check: Check,
    timeout: float,
    *,
    address: str | None = None,
    via: Via = Via.DIRECT,
    skip: str | None = None,
) -> ProbeSpec:
    t = pt.target
    shown = address if t.all_addresses else None
    serves = ANY_OF_FACTS.get((t.role, t.need, check.transport, check.port), "")
    if t.need is Need.INFORMATIONAL or serves in INFO_FACTS:
        timeout = info_timeout(timeout)
    return ProbeSpec(
        id=probe_id(t.id, check.transport, check.port, shown),
        target_id=t.id,
        host=pt.host,
        role=t.role,
        need=t.need,
        transport=check.transport,
        port=check.port,
        address=address,
        via=via,
        timeout=timeout,
        skip_reason=skip,
        serves=serves,
    )


def _with_specs(
    pt: PlannedTarget,
    proxy: ProxyRoute,
    timeout: float,
    os_lookup: bool = True,
    pt_index: int = 0,
) -> PlannedTarget:
    """The target's DNS lookups and the probes known before they answer.

    Only TCP-based checks to the internet (auth) names go through the proxy (see
    ``ProxyRoute.routes``); the proxy resolves the name itself, so those start at once,
    beside the local lookups (still made and reported: they are what a direct path uses).
    A proxy wsdiag cannot speak leaves its checks skipped: untested, never "blocked"."""
    t = pt.target

    def via(c: Check) -> Via:
        return Via.PROXY if proxy.routes(t.role, pt.host, c.transport) else Via.DIRECT

    if pt.skip_reason:
        skipped = tuple(_spec(pt, c, timeout, via=via(c), skip=pt.skip_reason) for c in t.checks)
        return dataclasses.replace(pt, probes=skipped)
    untested = (
        f"would go through the proxy {proxy.url}, not tested"
        if proxy.mode is ProxyMode.UNTESTED
        else None
    )
    proxied = tuple(
        _spec(pt, c, timeout, via=Via.PROXY, skip=untested) for c in t.checks if via(c) is Via.PROXY
    )
    return dataclasses.replace(
        pt,
        dns=tuple(
            DnsSpec(
                dns_id(t.id, rd),
                t.id,
                pt.host,
                rd,
                timeout,
                # the private name: the OS waits its own budget for it, and each of its
                # servers is asked alone (wsdiag.probes.dns_servers)
                patient=t.role is Role.ENDPOINT,
                # the primary private name only: the chain's facts read that one
                per_server=t.role is Role.ENDPOINT and rd == "A" and not pt_index,
            )
            for rd in RDTYPES + ((OS_RDTYPE,) if os_lookup else ())
        ),
        probes=proxied + _streaming_through(pt, proxy, timeout),
        after_dns=tuple(c for c in t.checks if via(c) is Via.DIRECT),
    )


STREAM_PORTS = (4195, 443)


def _streaming_through(
    pt: PlannedTarget, proxy: ProxyRoute, timeout: float
) -> tuple[ProbeSpec, ...]:
    """``CONNECT <private name>:4195`` and ``:443`` through an http proxy, as a client
    streaming through it would (AWS documents HTTP proxies for TCP 4195; a proxied
    PrivateLink path needs Private DNS names off). Ids end in ``@proxy``; the endpoint's
    need and full timeout: where the client streams through the proxy they are its TCP
    paths (``wsdiag.evidence.client_paths``)."""
    if pt.target.role is not Role.ENDPOINT or proxy.mode is not ProxyMode.PROXY:
        return ()
    t = pt.target
    return tuple(
        ProbeSpec(
            id=f"{probe_id(t.id, Transport.TCP, port, None)}@proxy",
            target_id=t.id,
            host=pt.host,
            role=t.role,
            need=t.need,
            transport=Transport.TCP,
            port=port,
            via=Via.PROXY,
            timeout=timeout,
        )
        for port in STREAM_PORTS
    )


def capped(v4: Sequence[str]) -> tuple[tuple[str, ...], int]:
    """(the endpoint addresses probed, how many are left unprobed): the first
    ``MAX_ENDPOINT_ADDRESSES`` in answer order. The evidence uses the same cut, so the
    report names exactly what was not probed."""
    return tuple(v4[:MAX_ENDPOINT_ADDRESSES]), max(len(v4) - MAX_ENDPOINT_ADDRESSES, 0)


def dialed(answers: Sequence[DnsResult], families: Sequence[int] = (4, 6)) -> tuple[str, ...]:
    """The addresses the client dials for one name: the OS's answer (getaddrinfo) when it
    gave one, else the resolver's A and AAAA answers; IPv4 if there is any, else IPv6 (an
    IPv6-only endpoint record is probed over IPv6; dual-stack keeps to IPv4). ``families``:
    those this machine has a route for; without an IPv4 route IPv6 comes first (an
    IPv6-only network with DNS64: RFC 6724 sorts unreachable destinations last). Pure."""
    os_answer = next(
        (
            r
            for r in answers
            if r.rdtype == OS_RDTYPE and r.outcome is DnsOutcome.ANSWER and r.addresses
        ),
        None,
    )
    if os_answer is not None:
        found: Sequence[str] = os_answer.addresses
    else:
        found = [
            x
            for r in answers
            if r.rdtype in RDTYPES and r.outcome is DnsOutcome.ANSWER
            for x in r.addresses
        ]
    unique = list(dict.fromkeys(found))
    v4 = [x for x in unique if ipaddress.ip_address(x).version == 4]
    v6 = [x for x in unique if ipaddress.ip_address(x).version == 6]
    if v6 and 4 not in families and 6 in families:
        return tuple(v6)
    return tuple(v4 or v6)


def addresses_to_probe(
    pt: PlannedTarget, a: DnsResult, *more: DnsResult, families: Sequence[int] = (4, 6)
) -> list[str]:
    """``dialed`` of the answers: for the endpoint every address up to the cap (``capped``),
    for other targets the first."""
    addrs = list(dialed((a, *more), families))
    return list(capped(addrs)[0]) if pt.target.all_addresses else addrs[:1]


def expand(
    pt: PlannedTarget, answers: Sequence[DnsResult], families: Sequence[int] = (4, 6)
) -> tuple[ProbeSpec, ...]:
    """The direct probes of ``pt`` once its lookups answered: one per address the client
    would dial (``dialed``) and check, in plan order; without an address, each check
    skipped with the reason ("no IPv4 address", "DNS nxdomain" ...)."""
    a = next((r for r in answers if r.rdtype == "A"), None)
    timeout = next((s.timeout for s in pt.dns), MAX_TIMEOUT)
    addrs = addresses_to_probe(pt, *answers, families=families) if answers else []
    if not addrs:
        if a is None:
            reason = "no A lookup"
        else:
            reason = "no IPv4 address" if a.outcome is DnsOutcome.ANSWER else f"DNS {a.outcome}"
        return tuple(_spec(pt, c, timeout, skip=reason) for c in pt.after_dns)
    return tuple(_spec(pt, c, timeout, address=addr) for addr in addrs for c in pt.after_dns)


def result_order(plan: Plan) -> Callable[[ProbeResult], tuple[int, int, int, int]]:
    """Sort key for results in plan order: target, then address (IPv4 before IPv6,
    numerically), then the target's check order, whatever order the probes finished in."""
    rank = {
        (pt.target.id, c.transport, c.port): (i, j)
        for i, pt in enumerate(plan.targets)
        for j, c in enumerate(pt.target.checks)
    }

    def order(p: ProbeResult) -> tuple[int, int, int, int]:
        i, j = rank.get((p.target_id, p.transport, p.port), (len(rank), 0))
        ip = ipaddress.ip_address(p.address) if p.address else None
        return i, ip.version if ip else 0, int(ip) if ip else 0, j

    return order


def _unfilled(template: str) -> str:
    """A host we cannot fill in, shown as '<directory_id>.awsapps.com'."""
    return template.replace("{", "<").replace("}", ">")


def _endpoint_targets(
    target: Target, inputs: Inputs, values: dict[str, str | None]
) -> list[PlannedTarget]:
    """The private name: the override if given, else the catalog's, plus any the logs named."""
    if inputs.endpoint_hosts:
        hosts = [check_host(h, "--endpoint-host") for h in inputs.endpoint_hosts]
    else:
        hosts = [target.host.format(**values)]
    for h in inputs.log_endpoint_hosts:
        try:
            hosts.append(check_host(h, "host from the client's logs"))
        except WsdiagError:
            continue  # a garbled log line must not stop the check
    unique = list(dict.fromkeys(hosts))
    out = []
    for i, host in enumerate(unique):
        tid = target.id if i == 0 else f"{target.id}-{i + 1}"
        out.append(PlannedTarget(dataclasses.replace(target, id=tid), host))
    return out
