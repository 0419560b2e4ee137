"""Evidence -> environment, verdict and findings. Pure; every rule is a row in a table.

Two tables:
- ENVIRONMENT_RULES: first match wins; the report names the rule that fired.
- FINDING_RULES: every rule that matches adds one finding. A finding's severity decides
  the verdict: any ERROR -> blocked; else any fact needed for "ready" unknown -> unknown;
  else any WARNING -> degraded; else ready. So a false "ready" needs every needed fact to
  be a measured YES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from wsdiag.check.evidence import FAILED, Results, gather, is_private, target_usable
from wsdiag.model import (
    Diagnosis,
    DnsOutcome,
    Environment,
    Evidence,
    Finding,
    Need,
    ProbeResult,
    ProxyMode,
    Role,
    Severity,
    Status,
    Transport,
    Tri,
    Verdict,
    Via,
)

Y, N, U = Tri.YES, Tri.NO, Tri.UNKNOWN
HIGH_RTT_MS = 250.0  # DCV: above 250 ms RTT the session is usable but degraded (admin guide)


# --- environment -------------------------------------------------------------------------


def _endpoint_ok(e: Evidence) -> bool:
    return (e.endpoint_resolves, e.endpoint_private, e.endpoint_reachable) == (Y, Y, Y)


def _endpoint_bad(e: Evidence) -> bool:
    return N in (e.endpoint_resolves, e.endpoint_private, e.endpoint_reachable)


@dataclass(frozen=True)
class EnvRule:
    name: str
    when: Callable[[Evidence], bool]
    environment: Environment


ENVIRONMENT_RULES: tuple[EnvRule, ...] = (
    EnvRule("no-resolver-config", lambda e: e.dns_configured is N, Environment.UNKNOWN),
    EnvRule("no-route", lambda e: e.no_route is Y, Environment.OFFLINE),
    EnvRule("resolver-silent", lambda e: e.resolver_reachable is N, Environment.UNKNOWN),
    EnvRule("endpoint-only",
            lambda e: _endpoint_ok(e) and e.internet_reachable is N, Environment.CLOSED),
    EnvRule("endpoint-and-443-only",
            lambda e: _endpoint_ok(e) and e.internet_reachable is Y and e.beyond_443 is N,
            Environment.MINIMAL_EGRESS),
    EnvRule("endpoint-and-open-egress",
            lambda e: _endpoint_ok(e) and e.internet_reachable is Y and e.beyond_443 is Y,
            Environment.OPEN_EGRESS),
    EnvRule("internet-without-endpoint",
            lambda e: _endpoint_bad(e) and e.internet_reachable is Y, Environment.HOME),
    EnvRule("nothing-reachable",
            lambda e: _endpoint_bad(e) and e.internet_reachable is N, Environment.OFFLINE),
    EnvRule("undecided", lambda e: True, Environment.UNKNOWN),
)


def environment_of(e: Evidence) -> tuple[Environment, str]:
    rule = next(r for r in ENVIRONMENT_RULES if r.when(e))
    return rule.environment, rule.name


# --- findings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    e: Evidence
    r: Results
    environment: Environment


FindingFn = Callable[[Ctx], Finding | None]


def _ids(*groups: object) -> tuple[str, ...]:
    out: list[str] = []
    for g in groups:
        if g is None:
            continue
        if isinstance(g, list | tuple):
            out.extend(getattr(x, "id", str(x)) for x in g)
        else:
            out.append(getattr(g, "id", str(g)))
    return tuple(dict.fromkeys(out))


def _ep(c: Ctx) -> tuple[str, str]:
    tid = c.r.endpoint_id()
    return tid, c.r.host(tid)


def f_dns_not_configured(c: Ctx) -> Finding | None:
    if c.e.dns_configured is not N:
        return None
    return Finding(
        "DNS_NOT_CONFIGURED", Severity.WARNING,
        "This machine has no DNS resolver configuration that wsdiag can read, so nothing "
        "could be looked up.",
        "Check the network adapter's DNS settings (or VPN client); to test a specific "
        "resolver run wsdiag with --nameserver IP.",
    )


def f_no_route(c: Ctx) -> Finding | None:
    if c.e.no_route is not Y:
        return None
    return Finding(
        "NO_ROUTE", Severity.ERROR,
        "This machine has no network route: every connection failed with 'network "
        "unreachable' before a packet left.",
        "Connect to the network (Wi-Fi/Ethernet) or the VPN; check that the machine has a "
        "default route or a route to the VPC.",
        _ids(c.e.basis.get("no_route", ())),
    )


def f_resolver_silent(c: Ctx) -> Finding | None:
    if c.e.resolver_reachable is not N or c.e.no_route is Y or c.e.dns_configured is N:
        return None
    servers = sorted({d.resolver for d in c.r.dns if d.resolver})
    return Finding(
        "DNS_RESOLVER_UNREACHABLE", Severity.ERROR,
        f"The DNS resolver ({', '.join(servers) or 'system'}) did not answer any query, so "
        "the WorkSpaces client cannot find the streaming endpoint or the sign-in service.",
        "Make sure the resolver is reachable on UDP/TCP 53 from this network (firewall, "
        "VPN split-DNS), or fix the DNS servers configured on this machine.",
        _ids([d for d in c.r.dns]),
    )


def f_endpoint_nxdomain(c: Ctx) -> Finding | None:
    tid, host = _ep(c)
    a = c.r.dns_for(tid, "A")
    if a is None or a.outcome is not DnsOutcome.NXDOMAIN or c.e.endpoint_resolves is Y:
        return None
    return Finding(
        "ENDPOINT_NXDOMAIN", Severity.ERROR,
        f"The private streaming name {host} does not exist for this machine's resolver: "
        "it is not using the VPC's DNS.",
        "On the VPC endpoint enable 'Private DNS names' (and DNS hostnames/resolution on "
        "the VPC); from on-premises or over VPN forward a2z.com queries to a Route 53 "
        "Resolver inbound endpoint in that VPC.",
        _ids(a),
    )


def f_endpoint_no_address(c: Ctx) -> Finding | None:
    tid, host = _ep(c)
    a, aaaa = c.r.dns_for(tid, "A"), c.r.dns_for(tid, "AAAA")
    if a is None or c.e.endpoint_resolves is Y or a.outcome is DnsOutcome.NXDOMAIN:
        return None
    if aaaa is not None and aaaa.outcome is DnsOutcome.ANSWER:
        return Finding(
            "ENDPOINT_AAAA_ONLY", Severity.WARNING,
            f"The private name {host} has only IPv6 addresses ({', '.join(aaaa.addresses)}); "
            "IPv4 is the tested path, so wsdiag cannot vouch for streaming.",
            "Set the endpoint's DNS record IP type to IPv4 (dual-stack is not supported).",
            _ids(a, aaaa),
        )
    if a.outcome in (DnsOutcome.NO_ANSWER, DnsOutcome.SERVFAIL, DnsOutcome.REFUSED):
        return Finding(
            "ENDPOINT_DNS_FAILED", Severity.ERROR,
            f"The resolver gave no IPv4 address for {host} ({a.outcome}: {a.detail}).",
            "Check the VPC endpoint's private DNS name and the resolver's forwarding for "
            "a2z.com.",
            _ids(a),
        )
    return None


def f_endpoint_ipv6(c: Ctx) -> Finding | None:
    tid, host = _ep(c)
    aaaa = c.r.dns_for(tid, "AAAA")
    if c.e.endpoint_resolves is not Y or aaaa is None or aaaa.outcome is not DnsOutcome.ANSWER:
        return None
    return Finding(
        "ENDPOINT_DUAL_STACK", Severity.WARNING,
        f"The private name {host} has IPv6 as well as IPv4 addresses; dual-stack is not "
        "supported for WorkSpaces streaming endpoints and the client may prefer IPv6.",
        "Set the VPC endpoint's DNS record IP type to IPv4.",
        _ids(aaaa),
    )


def f_endpoint_public(c: Ctx) -> Finding | None:
    if c.e.endpoint_private is not N:
        return None
    tid, host = _ep(c)
    plan = c.r.plan
    public = [x for x in c.r.endpoint_v4() if not is_private(x, plan.vpc_cidrs)]
    where = "the VPC ranges given" if plan.vpc_cidrs else "private (RFC 1918) ranges"
    return Finding(
        "ENDPOINT_PUBLIC_ANSWER", Severity.ERROR,
        f"The private name {host} resolves to {', '.join(public)}, outside {where}: this "
        "machine is not getting the VPC endpoint's private DNS answer.",
        "Use the VPC's resolver (VPN split-DNS or a Route 53 Resolver inbound endpoint); "
        "check that 'Private DNS names' is enabled on the endpoint and that no other DNS "
        "zone shadows the name.",
        _ids(c.r.dns_for(tid, "A")),
    )


def f_endpoint_unreachable(c: Ctx) -> Finding | None:
    if c.e.endpoint_reachable is not N or c.e.endpoint_private is not Y or c.e.no_route is Y:
        return None
    tid, host = _ep(c)
    probes = c.r.probes_for([tid])
    statuses = sorted({str(p.status) for p in probes})
    return Finding(
        "ENDPOINT_UNREACHABLE", Severity.ERROR,
        f"No address of {host} ({', '.join(c.r.endpoint_v4())}) answered on TCP or UDP "
        f"443/4195 ({'/'.join(statuses)}).",
        "Give this network a route to the VPC (VPN / Direct Connect / peering), and allow "
        "inbound TCP and UDP 443 and 4195 from the client range in the endpoint's security "
        "group and the subnet's network ACL.",
        _ids(probes),
    )


def f_address_silent(c: Ctx) -> Finding | None:
    if c.e.endpoint_reachable is not Y or c.e.endpoint_all_addresses is not N:
        return None
    tid, host = _ep(c)
    probes = c.r.probes_for([tid])
    dead = [x for x in c.r.endpoint_v4()
            if all(p.status in FAILED for p in probes if p.address == x)]
    return Finding(
        "ENDPOINT_ADDRESS_SILENT", Severity.WARNING,
        f"{len(dead)} of {len(c.r.endpoint_v4())} addresses of {host} did not answer "
        f"({', '.join(dead)}); a client that picks one of them will fail or wait.",
        "Check the route and network ACL to every endpoint subnet (each address is one "
        "Availability Zone's interface), or remove the subnet from the endpoint.",
        _ids([p for p in probes if p.address in dead]),
    )


def f_quic_blocked(c: Ctx) -> Finding | None:
    if not (c.e.endpoint_reachable is Y and c.e.endpoint_quic is N and c.e.endpoint_tcp is Y):
        return None
    tid, _ = _ep(c)
    return Finding(
        "ENDPOINT_QUIC_BLOCKED", Severity.WARNING,
        "The endpoint answers on TCP but not on UDP (QUIC): streaming falls back to TCP, "
        "which works but performs worse.",
        "Allow inbound UDP 443 and 4195 in the endpoint's security group and network ACL, "
        "and outbound UDP 443/4195 on any firewall between this network and the VPC.",
        _ids([p for p in c.r.probes_for([tid]) if p.transport is Transport.QUIC]),
    )


def f_4195_blocked(c: Ctx) -> Finding | None:
    if not (c.e.endpoint_reachable is Y and c.e.endpoint_4195 is N and c.e.endpoint_443 is Y):
        return None
    tid, _ = _ep(c)
    return Finding(
        "ENDPOINT_4195_BLOCKED", Severity.WARNING,
        "The endpoint answers on 443 but not on 4195: only clients with the 443 fallback "
        "can stream (Windows and macOS 5.23 or later, Linux 2024.7 or later).",
        "Allow inbound TCP and UDP 4195 in the endpoint's security group (and outbound "
        "4195 on firewalls towards the VPC), or make sure every client is recent enough.",
        _ids([p for p in c.r.probes_for([tid]) if p.port == 4195]),
    )


def f_443_blocked(c: Ctx) -> Finding | None:
    if not (c.e.endpoint_reachable is Y and c.e.endpoint_443 is N and c.e.endpoint_4195 is Y):
        return None
    tid, _ = _ep(c)
    return Finding(
        "ENDPOINT_443_BLOCKED", Severity.INFO,
        "The endpoint answers on 4195 but not on 443; streaming uses 4195, so this only "
        "removes the fallback port.",
        "Allow inbound TCP and UDP 443 in the endpoint's security group as well.",
        _ids([p for p in c.r.probes_for([tid]) if p.port == 443]),
    )


def f_high_rtt(c: Ctx) -> Finding | None:
    tid, host = _ep(c)
    rtts = [p.ms for p in c.r.probes_for([tid])
            if p.status is Status.OPEN and p.transport is Transport.TCP and p.ms is not None]
    if not rtts or min(rtts) <= HIGH_RTT_MS:
        return None
    return Finding(
        "ENDPOINT_HIGH_RTT", Severity.WARNING,
        f"The round trip to {host} is {min(rtts):.0f} ms; above {HIGH_RTT_MS:.0f} ms "
        "DCV streaming is usable but sluggish.",
        "Check the VPN or WAN path to the VPC; a closer region may help.",
        _ids([p for p in c.r.probes_for([tid]) if p.transport is Transport.TCP]),
    )


def _why(p: ProbeResult) -> str:
    text = f"{p.transport}/{p.port} {p.status}"
    if p.via is Via.PROXY:
        text += f" by the proxy (HTTP {p.proxy_status})" if p.proxy_status else " via the proxy"
    return text


def _failed_targets(c: Ctx, need: Need) -> list[tuple[str, str]]:
    """(target id, "host (why)") for each internet target of this need that failed."""
    out = []
    for t in c.r.target_ids(Role.AUTH, [need]):
        if target_usable(c.r, t) is not N:
            continue
        tcp = [p for p in c.r.probes_for([t]) if p.transport is not Transport.QUIC]
        a = c.r.dns_for(t, "A")
        if a is not None and a.outcome is not DnsOutcome.ANSWER and not _proxied(tcp):
            why = f"DNS {a.outcome}"
        else:
            why = ", ".join(_why(p) for p in tcp)
        out.append((t, f"{c.r.host(t)} ({why})"))
    return out


# --- the proxy ---------------------------------------------------------------------------
# Where the OS has an HTTPS proxy, the client sends its 443 traffic (sign-in, registration,
# API, updates) through it, never UDP and never streaming to the private endpoint.

_PROXY_DOWN_PHASES = ("proxy-resolve", "proxy-connect")


def _proxied(probes: list[ProbeResult]) -> bool:
    return any(p.via is Via.PROXY for p in probes)


def _proxy_down(p: ProbeResult) -> bool:
    """The proxy itself could not be reached (its name, or its port)."""
    return p.via is Via.PROXY and p.phase in _PROXY_DOWN_PHASES and p.status in FAILED


def _proxy_auth(p: ProbeResult) -> bool:
    return p.via is Via.PROXY and p.proxy_status == 407


def _explained_by_proxy(c: Ctx, target_id: str) -> bool:
    """Every TCP/TLS probe of the target failed at the proxy (down or asking for
    credentials): a proxy finding names the cause, so AUTH_UNREACHABLE need not repeat it."""
    tcp = [p for p in c.r.probes_for([target_id]) if p.transport is not Transport.QUIC]
    return bool(tcp) and all(_proxy_down(p) or _proxy_auth(p) for p in tcp)


def _proxy_failure(
    c: Ctx, code: str, match: Callable[[ProbeResult], bool], message: str, remediation: str,
) -> Finding | None:
    """One finding for the targets whose proxied probes failed this way: an error when a
    needed target is among them, else a warning (only supporting domains are affected)."""
    hit = [p for p in c.r.probes if match(p)]
    if not hit:
        return None
    needed = set(c.r.target_ids(Role.AUTH, [Need.NEEDED]))
    blocks = any(p.target_id in needed and _explained_by_proxy(c, p.target_id) for p in hit)
    # The needed domains by name, the rest counted: a proxy fails them all alike.
    first = [p.host for p in hit if p.target_id in needed] or [hit[0].host]
    first = list(dict.fromkeys(first))
    others = len({p.host for p in hit} - set(first))
    hosts = ", ".join(first) + (f" and {others} other domain(s)" if others else "")
    return Finding(code, Severity.ERROR if blocks else Severity.WARNING,
                   message.format(url=c.r.plan.proxy.url, hosts=hosts,
                                  why=_proxy_down_why(hit[0])), remediation, _ids(hit))


def _proxy_down_why(p: ProbeResult) -> str:
    if p.phase == "proxy-resolve":
        return "its name does not resolve"
    return {Status.REFUSED: "connection refused", Status.FILTERED: "no answer",
            Status.UNREACHABLE: "no route"}.get(p.status, str(p.status))


def _source(source: str | None) -> str:
    return "the system proxy settings" if source == "system" else "the environment (https_proxy)"


def f_proxy_in_use(c: Ctx) -> Finding | None:
    proxy = c.r.plan.proxy
    # The proxy took part: it answered, or went silent after CONNECT. Where it could not be
    # reached or asked for credentials, PROXY_UNREACHABLE / PROXY_AUTH_REQUIRED name it.
    used = [p for p in c.r.probes if p.via is Via.PROXY and p.status is not Status.SKIPPED
            and not _proxy_down(p) and not _proxy_auth(p)]
    if proxy.mode is not ProxyMode.PROXY or not used:
        return None
    endpoints = [c.r.host(t) for t in c.r.target_ids(Role.ENDPOINT)]
    on_list = [h for h in endpoints if h in proxy.bypassed]
    off_list = [h for h in endpoints if h not in proxy.bypassed]
    direct_auth = [c.r.host(t) for t in c.r.target_ids(Role.AUTH) if c.r.host(t) in proxy.bypassed]
    message = (
        f"443 to the sign-in and registration domains goes through the proxy {proxy.url} "
        f"(from {_source(proxy.source)}), as the WorkSpaces client's does, and was tested "
        "that way; streaming to the VPC endpoint and QUIC (UDP) do not use the proxy and were "
        "tested directly."
    )
    if direct_auth:
        message += f" The bypass list exempts {', '.join(direct_auth)}: probed directly."
    if on_list:
        message += f" The private name {', '.join(on_list)} is on the proxy bypass list."
    if off_list:
        message += (f" The private name {', '.join(off_list)} is not on the proxy bypass "
                    "list.")
    return Finding(
        "PROXY_IN_USE", Severity.INFO, message,
        f"Make sure the private endpoint name ({', '.join(endpoints)}) bypasses the proxy "
        "(no_proxy, or the exceptions in the OS proxy settings) and that proxy caching is "
        "disabled for it, so streaming stays direct to the endpoint; the proxy must allow "
        "CONNECT to the WorkSpaces domains on 443 without authentication.",
        _ids(used),
    )


def f_proxy_auth_required(c: Ctx) -> Finding | None:
    return _proxy_failure(
        c, "PROXY_AUTH_REQUIRED", _proxy_auth,
        "The proxy {url} asks for credentials (HTTP 407) for {hosts}. Proxy servers that "
        "require authentication with sign-in credentials are not supported by the WorkSpaces "
        "client, so registration and sign-in fail through it.",
        "Let the WorkSpaces domains through the proxy without authentication (an allow-list "
        "rule for CONNECT to them on 443), or let this network reach them directly on 443 "
        "(check that path with wsdiag --no-proxy).",
    )


def f_proxy_unreachable(c: Ctx) -> Finding | None:
    if c.e.no_route is Y:
        return None  # NO_ROUTE already says why
    return _proxy_failure(
        c, "PROXY_UNREACHABLE", _proxy_down,
        "The proxy {url} cannot be reached ({why}), and the WorkSpaces client sends its "
        "443 traffic there: {hosts} fail.",
        "Check the proxy setting (the https_proxy environment variable or the OS proxy "
        "settings) and that the proxy runs and is reachable from this network; if this "
        "network reaches the internet directly, remove the setting.",
    )


def f_proxy_unsupported(c: Ctx) -> Finding | None:
    proxy = c.r.plan.proxy
    planned = c.r.target_ids(Role.AUTH)  # not those skipped for want of --directory-id
    untested = [p for p in c.r.probes_for(planned)
                if p.via is Via.PROXY and p.status is Status.SKIPPED]
    if proxy.mode is not ProxyMode.UNTESTED or not untested:
        return None
    return Finding(
        "PROXY_UNSUPPORTED_SCHEME", Severity.WARNING,
        f"The HTTPS proxy {proxy.url} (from {_source(proxy.source)}) was not tested: "
        f"{proxy.reason}. The sign-in domains behind it were not probed, so wsdiag cannot "
        "say whether registration and sign-in work.",
        "Check the proxy by hand, or run wsdiag with --no-proxy to test direct 443 egress "
        "(the WorkSpaces client uses the OS proxy for 443; AWS documents HTTP proxies).",
        _ids(untested),
    )


def f_auth_unreachable(c: Ctx) -> Finding | None:
    if c.e.auth_reachable is not N or c.e.no_route is Y or c.e.resolver_reachable is N:
        return None
    failed = [(t, h) for t, h in _failed_targets(c, Need.NEEDED)
              if not _explained_by_proxy(c, t)]
    if not failed:
        return None
    closed = c.environment is Environment.CLOSED
    by_proxy = any(p.via is Via.PROXY and p.proxy_status
                   for p in c.r.probes_for([t for t, _ in failed]))
    return Finding(
        "AUTH_UNREACHABLE", Severity.ERROR,
        f"Registration and sign-in fail: {'; '.join(h for _, h in failed)}. They need the "
        "internet on 443 even when streaming uses the VPC endpoint"
        + (" — this is a closed network." if closed else "."),
        "Allow outbound TCP and UDP 443 to the WorkSpaces registration and authentication "
        "domains (NAT gateway, firewall or proxy allow-list); streaming can stay on the "
        "endpoint."
        + (" Here the proxy refused them: add them to its allow-list." if by_proxy else ""),
        _ids(c.r.probes_for([t for t, _ in failed]), [c.r.dns_for(t, "A") for t, _ in failed]),
    )


def f_optional_unreachable(c: Ctx) -> Finding | None:
    if c.e.optional_reachable is not N or c.e.internet_reachable is N:
        return None
    failed = _failed_targets(c, Need.EXPECTED)
    return Finding(
        "OPTIONAL_DOMAINS_UNREACHABLE", Severity.WARNING,
        f"{len(failed)} supporting domain(s) cannot be reached on 443: "
        f"{'; '.join(h for _, h in failed)}. Updates, metrics, CAPTCHA or the "
        "connectivity check may fail.",
        "Add these domains to the outbound 443 allow-list (firewall or proxy).",
        _ids(c.r.probes_for([t for t, _ in failed])),
    )


def f_tls_untrusted(c: Ctx) -> Finding | None:
    bad = [p for p in c.r.probes if p.transport is Transport.TLS and p.tls_trusted is False]
    if not bad:
        return None
    return Finding(
        "TLS_UNTRUSTED", Severity.WARNING,
        f"{len(bad)} host(s) presented a certificate this machine does not trust "
        f"({', '.join(sorted({p.host for p in bad}))}); usually a TLS-inspecting proxy, "
        "which the WorkSpaces client rejects.",
        "Exempt the WorkSpaces domains from TLS inspection; the client requires Amazon "
        "Trust Services certificates.",
        _ids(bad),
    )


def f_health_blocked(c: Ctx) -> Finding | None:
    # Only worth saying where the internet otherwise works; offline it is just noise.
    if c.e.beyond_443 is not N or c.e.internet_reachable is not Y:
        return None
    ids = c.r.target_ids(Role.HEALTH)
    hosts = [pt.host for pt in c.r.plan.targets if pt.target.id in ids]
    works = c.environment in (Environment.MINIMAL_EGRESS,)
    return Finding(
        "HEALTH_CHECK_BLOCKED", Severity.INFO,
        f"The public health-check host {', '.join(hosts)} is not reachable on 4195. The "
        "WorkSpaces client's own network check uses it, so that check will show a failure"
        + (" even though streaming over the endpoint works here: this is expected."
           if works else "."),
        "Nothing to change for PrivateLink streaming; to make the client's network check "
        "pass, allow outbound TCP/UDP 4195 to the region's health-check servers.",
        _ids(c.r.probes_for(ids)),
    )


def f_auth_udp_unconfirmed(c: Ctx) -> Finding | None:
    needed = c.r.target_ids(Role.AUTH, [Need.NEEDED])
    quic = [p for p in c.r.probes_for(needed) if p.transport is Transport.QUIC]
    if c.e.auth_reachable is not Y or not quic or any(p.status is Status.OPEN for p in quic):
        return None
    if not all(p.status in FAILED for p in quic):
        return None
    return Finding(
        "AUTH_UDP_443_UNCONFIRMED", Severity.INFO,
        "No QUIC answer on UDP 443 from the registration service; it may not speak QUIC, "
        "so this proves nothing by itself, but AWS asks for UDP 443 to be open too.",
        "If outbound UDP 443 is blocked, allow it to the WorkSpaces domains.",
        _ids(quic),
    )


def f_home(c: Ctx) -> Finding | None:
    if c.environment is not Environment.HOME:
        return None
    return Finding(
        "HOME_NETWORK", Severity.INFO,
        "This machine is outside the VPC: the internet works, but a directory that streams "
        "over a VPC endpoint does not fall back to the internet for streaming.",
        "Connect the VPN (or another route to the VPC with its DNS), or, if users must "
        "stream from anywhere, remove the streaming endpoint from the directory.",
    )


# Every one of these must be a measured YES or NO for a verdict of ready or degraded:
# streaming paths we could not measure are never assumed to work.
READY_FACTS: dict[str, str] = {
    "DNS configuration": "dns_configured",
    "private name resolves": "endpoint_resolves",
    "private address": "endpoint_private",
    "endpoint reachable": "endpoint_reachable",
    "every endpoint address": "endpoint_all_addresses",
    "QUIC to the endpoint": "endpoint_quic",
    "port 4195 on the endpoint": "endpoint_4195",
    "registration reachable": "auth_reachable",
}


# ... and these must be YES: a NO here without an error finding would be a gap in the rules,
# and a gap must read "unknown", never "ready".
MUST_BE_YES = ("dns_configured", "endpoint_resolves", "endpoint_private", "endpoint_reachable",
               "auth_reachable")


def unmeasured(e: Evidence) -> list[str]:
    return [label for label, attr in READY_FACTS.items() if getattr(e, attr) is U]


def f_not_measured(c: Ctx) -> Finding | None:
    unknown = unmeasured(c.e)
    if not unknown:
        return None
    causes = ("errors, the run deadline or a proxy wsdiag does not test"
              if c.r.plan.proxy.mode is ProxyMode.UNTESTED else "errors or the run deadline")
    return Finding(
        "NOT_MEASURED", Severity.INFO,
        f"Could not measure: {', '.join(unknown)} ({causes}); wsdiag does not guess, so the "
        "verdict cannot be 'ready'.",
        "Run again, with a longer --timeout if the network is slow; the probe details "
        "say what went wrong.",
    )


FINDING_RULES: tuple[tuple[str, FindingFn], ...] = (
    ("dns-not-configured", f_dns_not_configured),
    ("no-route", f_no_route),
    ("resolver-silent", f_resolver_silent),
    ("endpoint-nxdomain", f_endpoint_nxdomain),
    ("endpoint-no-address", f_endpoint_no_address),
    ("endpoint-public", f_endpoint_public),
    ("endpoint-unreachable", f_endpoint_unreachable),
    ("endpoint-address-silent", f_address_silent),
    ("endpoint-quic-blocked", f_quic_blocked),
    ("endpoint-4195-blocked", f_4195_blocked),
    ("endpoint-443-blocked", f_443_blocked),
    ("endpoint-dual-stack", f_endpoint_ipv6),
    ("endpoint-high-rtt", f_high_rtt),
    ("proxy-unsupported-scheme", f_proxy_unsupported),
    ("proxy-unreachable", f_proxy_unreachable),
    ("proxy-auth-required", f_proxy_auth_required),
    ("auth-unreachable", f_auth_unreachable),
    ("optional-unreachable", f_optional_unreachable),
    ("tls-untrusted", f_tls_untrusted),
    ("health-blocked", f_health_blocked),
    ("auth-udp-unconfirmed", f_auth_udp_unconfirmed),
    ("home-network", f_home),
    ("proxy-in-use", f_proxy_in_use),
    ("not-measured", f_not_measured),
)


def verdict_of(e: Evidence, findings: tuple[Finding, ...]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return Verdict.BLOCKED
    if unmeasured(e) or any(getattr(e, a) is not Y for a in MUST_BE_YES):
        return Verdict.UNKNOWN
    if Severity.WARNING in severities:
        return Verdict.DEGRADED
    return Verdict.READY


def diagnose(r: Results, extra: tuple[Finding, ...] = ()) -> tuple[Evidence, Diagnosis]:
    e = gather(r)
    environment, env_rule = environment_of(e)
    ctx = Ctx(e, r, environment)
    findings = []
    for name, fn in FINDING_RULES:
        f = fn(ctx)
        if f is not None:
            findings.append(replace(f, rule=name))
    if any(f.severity is Severity.ERROR for f in findings):
        # A blocking finding already explains why; "could not measure" would only repeat it.
        findings = [f for f in findings if f.code != "NOT_MEASURED"]
    own = tuple(findings)
    # Findings from other sources (the client's logs) describe the past: they are shown,
    # but the verdict is about what this machine can do now, so only our own rules set it.
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    shown = tuple(sorted(own + extra, key=lambda f: order[f.severity]))
    return e, Diagnosis(environment, verdict_of(e, own), shown, env_rule)
