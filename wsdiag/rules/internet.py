"""Rows about the internet side: sign-in and registration, supporting domains, the
health-check host and the HTTPS proxy. Pure.

Where the OS has an HTTPS proxy, the client sends its 443 traffic (sign-in, registration,
API, updates) through it, never UDP and never streaming to the private endpoint.
"""

from __future__ import annotations

from collections.abc import Callable

from wsdiag.rules.facts import LOGIN_TARGET, CheckFacts, CheckRule, FireFn
from wsdiag.vocab.evidence import Evidence, TargetEvidence
from wsdiag.vocab.model import DnsOutcome, Environment, Need, Owner, ProxyMode, Severity
from wsdiag.vocab.rows import NOT_NO, NOT_YES, FindingRule, Fire, N, Y


def _failed(e: Evidence, need: Need) -> list[TargetEvidence]:
    return [t for t in e.targets if t.need is need and t.usable is N]


def _source(source: str | None) -> str:
    if source == "pac":
        return "a proxy auto-config"
    return "the system proxy settings" if source == "system" else "the environment (https_proxy)"


def _proxy_failure(
    ids: Callable[[TargetEvidence], tuple[str, ...]],
) -> FireFn:
    """One finding for the targets whose proxied probes failed this way: an error when a
    needed target is among them and the proxy explains its failure, else a warning (only
    supporting domains are affected)."""

    def fire(c: CheckFacts) -> Fire:
        e = c.evidence
        hit = [t for t in e.targets if ids(t)]
        blocks = any(t.need is Need.NEEDED and t.proxy_explains for t in hit)
        # The needed domains by name, the rest counted: a proxy fails them all alike.
        first = list(dict.fromkeys(t.host for t in hit if t.need is Need.NEEDED)) or [hit[0].host]
        others = len({t.host for t in hit} - set(first))
        hosts = ", ".join(first) + (f" and {others} other domain(s)" if others else "")
        return Fire(
            {"url": e.proxy.url, "hosts": hosts, "why": hit[0].proxy_down_why},
            basis=tuple(f"targets[{t.id}]" for t in hit),
            severity=Severity.ERROR if blocks else Severity.WARNING,
        )

    return fire


def _proxy_unsupported(c: CheckFacts) -> Fire:
    e = c.evidence
    untested = [t for t in e.targets if t.proxy_untested]
    return Fire(
        {"url": e.proxy.url, "source": _source(e.proxy.source), "reason": e.proxy.reason},
        basis=tuple(f"targets[{t.id}]" for t in untested),
    )


def _pac_answer_broken(c: CheckFacts) -> Fire:
    e = c.evidence
    untested = [t for t in e.targets if t.proxy_untested]
    return Fire(
        {"pac": e.proxy.pac or "the PAC", "why": e.proxy.pac_broken},
        basis=tuple(f"targets[{t.id}]" for t in untested),
    )


def _pac_untested(c: CheckFacts) -> Fire:
    e = c.evidence
    untested = [t for t in e.targets if t.proxy_untested]
    return Fire(
        {"pac": e.proxy.pac or "the PAC", "why": e.proxy.reason},
        basis=tuple(f"targets[{t.id}]" for t in untested),
    )


_FIREWALL_FIX = (
    "Allow outbound TCP and UDP 443 to the WorkSpaces registration and authentication domains "
    "(NAT gateway, firewall or proxy allow-list); streaming can stay on the endpoint."
)
_DNS_FIX = (
    "Fix public name resolution: the resolver ({resolvers}) gives no address for these "
    "public names, so no connection was tried; forward public names (or amazonaws.com, "
    "awsapps.com, amazonworkspaces.com) to a resolver that answers them. Not a firewall rule."
)


def _auth_unreachable(c: CheckFacts) -> Fire | None:
    e = c.evidence
    env = c.environment
    failed = [t for t in _failed(e, Need.NEEDED) if not t.proxy_explains]
    if c.directory_missing is Y:  # DIRECTORY_NOT_FOUND says it: the id, not the network
        failed = [t for t in failed if t.id != LOGIN_TARGET]
    if not failed:
        return None
    by_proxy = any(t.proxy_refused for t in failed)
    dns_only = all(t.dns not in (None, DnsOutcome.ANSWER) for t in failed)
    fix = (
        _DNS_FIX.format(resolvers=", ".join(e.resolvers) or "system") if dns_only else _FIREWALL_FIX
    )
    return Fire(
        {
            "failed": "; ".join(f"{t.host} ({t.why})" for t in failed),
            "closed": " — this is a closed network." if env is Environment.CLOSED else ".",
            "fix": fix,
            "by_proxy": " Here the proxy refused them: add them to its allow-list."
            if by_proxy
            else "",
        },
        basis=tuple(f"targets[{t.id}]" for t in failed),
    )


def _directory(c: CheckFacts) -> Fire:
    e = c.evidence
    login = next(t for t in e.targets if t.id == LOGIN_TARGET)
    return Fire(
        {"host": login.host, "resolvers": ", ".join(e.resolvers) or "the system resolver"},
        basis=tuple(f"targets[{t.id}]" for t in e.targets if t.dns is not None),
    )


def _optional_unreachable(c: CheckFacts) -> Fire:
    e = c.evidence
    failed = _failed(e, Need.EXPECTED)
    return Fire(
        {"n": len(failed), "failed": "; ".join(f"{t.host} ({t.why})" for t in failed)},
        basis=tuple(f"targets[{t.id}]" for t in failed),
    )


def _health(c: CheckFacts) -> Fire:
    e = c.evidence
    # "streaming over the endpoint works here" only where it does: a minimal-egress network
    # whose endpoint answers on TCP at every address and on both 4195 paths (no endpoint
    # finding can block then). Through a proxy allowing CONNECT to 443 only, or with a path
    # missing, the client's streaming may fail (CLIENT_NO_443_FALLBACK): not claimed.
    works = (
        c.environment is Environment.MINIMAL_EGRESS
        and e.endpoint_usable is Y
        and e.endpoint_complete is Y
    )
    return Fire(
        {
            "hosts": ", ".join(e.health_hosts),
            "expected": " even though streaming over the endpoint works here: this is expected."
            if works
            else ".",
        }
    )


def _proxy_in_use(c: CheckFacts) -> Fire:
    e = c.evidence
    used = [t for t in e.targets if t.proxy_used]
    bypassed = e.proxy.bypassed
    on_list = [h for h in e.endpoint_hosts if h in bypassed]
    off_list = [h for h in e.endpoint_hosts if h not in bypassed]
    direct_auth = [t.host for t in e.targets if t.host in bypassed]
    more = ""
    if direct_auth:
        more += f" The bypass list exempts {', '.join(direct_auth)}: probed directly."
    if on_list:
        more += f" The private name {', '.join(on_list)} is on the proxy bypass list."
    if off_list:
        more += f" The private name {', '.join(off_list)} is not on the proxy bypass list."
    return Fire(
        {
            "url": e.proxy.url,
            "source": _source(e.proxy.source),
            "more": more,
            "endpoints": ", ".join(e.endpoint_hosts),
        },
        basis=tuple(f"targets[{t.id}]" for t in used),
    )


INTERNET_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="pac-answer-broken",
        code="PAC_ANSWER_BROKEN",
        severity=Severity.WARNING,
        owner=Owner.DESKTOP,
        when="the PAC answers with a proxy address that is none (`PROXY [bad:3128`): the "
        "proxied paths are not tested (verdict unknown)",
        message="The proxy auto-config {pac} gives an answer no program can follow: {why}. The "
        "sign-in domains it routes were not probed, so wsdiag cannot say whether "
        "registration and sign-in work; a client following this PAC fails or goes direct, "
        "depending on how it reads the answer.",
        remediation="Fix the PAC's FindProxyForURL answer (`PROXY host:port`, `DIRECT`, entries "
        "separated by `;`), then run wsdiag check again.",
        facts=(("pac_broken", (Y,)),),
        fire=_pac_answer_broken,
        basis=(),
    ),
    FindingRule(
        name="pac-not-used",
        code="PAC_NOT_USED",
        severity=Severity.WARNING,
        owner=Owner.DESKTOP,
        when="the PAC could not be fetched or evaluated (a syntax error, a loop, not text), "
        "or names a proxy wsdiag cannot test: the proxied paths are not tested (verdict "
        "unknown)",
        message="The proxy auto-config {pac} was not followed: {why}. The sign-in domains it "
        "would route were not probed, so wsdiag cannot say whether registration and sign-in "
        "work.",
        remediation="Check the PAC (it must be JavaScript defining FindProxyForURL, answering "
        "`PROXY host:port` or `DIRECT`), or pass a working one with --pac; --no-proxy tests "
        "direct 443 egress instead.",
        facts=(("pac_untested", (Y,)), ("target_proxy_untested", (Y,))),
        fire=_pac_untested,
        basis=(),
    ),
    FindingRule(
        name="proxy-url-invalid",
        code="PROXY_URL_INVALID",
        severity=Severity.WARNING,
        owner=Owner.DESKTOP,
        when="the proxy setting is no usable URL (`http://[bad`, a port out of range, no "
        "host): those paths are not tested (verdict unknown)",
        message="The HTTPS proxy setting (from {source}) is not a proxy URL wsdiag or the "
        "WorkSpaces client can use: {reason}. The sign-in domains behind it were not probed, "
        "so wsdiag cannot say whether registration and sign-in work.",
        remediation="Correct the proxy setting (http://host:port, the port from 1 to 65535, an "
        "IPv6 address in [ ]), or remove it if this network reaches the internet directly; "
        "--no-proxy tests direct 443 egress.",
        facts=(
            ("proxy_mode", (ProxyMode.UNTESTED,)),
            ("target_proxy_untested", (Y,)),
            ("proxy_invalid", (Y,)),
        ),
        fire=_proxy_unsupported,
        basis=(),
    ),
    FindingRule(
        name="proxy-unsupported-scheme",
        code="PROXY_UNSUPPORTED_SCHEME",
        severity=Severity.WARNING,
        owner=Owner.DESKTOP,
        when="a `socks…://` or `https://` proxy: those paths are not tested (verdict unknown)",
        message="The HTTPS proxy {url} (from {source}) was not tested: {reason}. The sign-in "
        "domains behind it were not probed, so wsdiag cannot say whether registration and sign-in "
        "work.",
        remediation="Check the proxy by hand, or run wsdiag with --no-proxy to test direct 443 "
        "egress (the WorkSpaces client uses the OS proxy for 443; AWS documents HTTP proxies).",
        facts=(
            ("proxy_mode", (ProxyMode.UNTESTED,)),
            ("target_proxy_untested", (Y,)),
            ("pac_broken", (N,)),  # a broken PAC answer is PAC_ANSWER_BROKEN's
            ("pac_untested", (N,)),  # a PAC that could not be used is PAC_NOT_USED's
            ("proxy_invalid", (N,)),  # a setting that is no URL is PROXY_URL_INVALID's
        ),
        fire=_proxy_unsupported,
        basis=(),
    ),
    FindingRule(
        name="proxy-unreachable",
        code="PROXY_UNREACHABLE",
        severity=Severity.ERROR,
        owner=Owner.DESKTOP,
        when="the proxy itself cannot be reached (name, port, silence) for needed domains "
        "(warning if only supporting domains)",
        message="The proxy {url} cannot be reached ({why}), and the WorkSpaces client sends its "
        "443 traffic there: {hosts} fail.",
        remediation="Check the proxy setting (the https_proxy environment variable or the OS proxy "
        "settings) and that the proxy runs and is reachable from this network; if this "
        "network reaches the internet directly, remove the setting.",
        facts=(("target_proxy_down", (Y,)), ("no_route", NOT_YES)),  # NO_ROUTE says why
        fire=_proxy_failure(lambda t: t.proxy_down),
        basis=(),
    ),
    FindingRule(
        name="proxy-auth-required",
        code="PROXY_AUTH_REQUIRED",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="the proxy answers 407: the client does not support proxies that need credentials "
        "(warning if only supporting domains)",
        message="The proxy {url} asks for credentials (HTTP 407) for {hosts}. Proxy servers that "
        "require authentication with sign-in credentials are not supported by the WorkSpaces "
        "client, so registration and sign-in fail through it.",
        remediation="Let the WorkSpaces domains through the proxy without authentication (an "
        "allow-list rule for CONNECT to them on 443), or let this network reach them directly on "
        "443 (check that path with wsdiag --no-proxy).",
        facts=(("target_proxy_auth", (Y,)),),
        fire=_proxy_failure(lambda t: t.proxy_auth),
        basis=(),
    ),
    FindingRule(
        name="auth-unreachable",
        code="AUTH_UNREACHABLE",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="a needed sign-in/registration domain fails on 443 (directly, or refused by the "
        "proxy: 403, 502 …)",
        message="Registration and sign-in fail: {failed}. They need the internet on 443 even when "
        "streaming uses the VPC endpoint{closed}",
        # {fix}: outbound 443 (a firewall rule), or, where every failed name failed at DNS,
        # public name resolution (a resolver fault): never a firewall ticket for a DNS fault.
        remediation="{fix}{by_proxy}",
        facts=(("auth_reachable", (N,)), ("no_route", NOT_YES), ("resolver_reachable", NOT_NO)),
        fire=_auth_unreachable,
        basis=(),
    ),
    FindingRule(
        name="directory-missing",
        code="DIRECTORY_NOT_FOUND",
        severity=Severity.ERROR,
        owner=Owner.USER,
        when="`<directory id>.awsapps.com` NXDOMAIN while the other public WorkSpaces names "
        "resolve through the same resolver: the id or alias does not exist",
        message="This directory id or alias does not exist: {host} is NXDOMAIN while the other "
        "public WorkSpaces names resolve through the same resolver ({resolvers}).",
        remediation="Check the registration code (and the --directory-id given): copy it again "
        "from the invitation e-mail, or ask desktop support for the directory's registration "
        "code. Nothing to change in the network.",
        facts=(("directory_missing", (Y,)),),
        fire=_directory,
        basis=(),  # the fire names the targets' lookups behind it
    ),
    FindingRule(
        name="optional-unreachable",
        code="OPTIONAL_DOMAINS_UNREACHABLE",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="updates, metrics, CAPTCHA, connectivity-check domains fail",
        message="{n} supporting domain(s) cannot be reached on 443: {failed}. Updates, metrics, "
        "CAPTCHA or the connectivity check may fail.",
        remediation="Add these domains to the outbound 443 allow-list (firewall or proxy).",
        facts=(("optional_reachable", (N,)), ("internet_reachable", NOT_NO)),
        fire=_optional_unreachable,
        basis=(),
    ),
    FindingRule(
        name="health-blocked",
        code="HEALTH_CHECK_BLOCKED",
        severity=Severity.INFO,
        owner=Owner.NETWORK,
        when="health-check host unreachable on 4195: the client's network check will fail; "
        'expected in minimal-egress ("streaming over the endpoint works here" where every '
        "endpoint address answers TCP and both 4195 paths)",
        message="The public health-check host {hosts} is not reachable on 4195. The WorkSpaces "
        "client's own network check uses it, so that check will show a failure{expected}",
        remediation="Nothing to change for PrivateLink streaming; to make the client's network "
        "check pass, allow outbound TCP/UDP 4195 to the region's health-check servers.",
        # Only worth saying where the internet otherwise works; offline it is just noise.
        facts=(("beyond_443", (N,)), ("internet_reachable", (Y,))),
        fire=_health,
    ),
    FindingRule(
        name="auth-udp-unconfirmed",
        code="AUTH_UDP_443_UNCONFIRMED",
        severity=Severity.INFO,
        owner=Owner.NETWORK,
        when="no QUIC answer on UDP 443 from the broker (it may not speak QUIC)",
        message="No QUIC answer on UDP 443 from the registration service; it may not speak QUIC, "
        "so this proves nothing by itself, but AWS asks for UDP 443 to be open too.",
        remediation="If outbound UDP 443 is blocked, allow it to the WorkSpaces domains.",
        facts=(("auth_reachable", (Y,)), ("auth_quic", (N,))),
        basis=("auth_quic",),
    ),
    FindingRule(
        name="home-network",
        code="HOME_NETWORK",
        # The one action at home: the private name's NXDOMAIN or public answer that being
        # outside the VPC implies are notes beside it (ENDPOINT_NXDOMAIN, _PUBLIC_ANSWER).
        severity=Severity.ERROR,
        owner=Owner.USER,
        when="outside the VPC: connect the VPN (blocks: streaming goes through the VPC only)",
        message="You are not on the company network (VPN off?): the internet works here, but a "
        "WorkSpace whose directory streams through a VPC endpoint streams only from inside "
        "the VPC; it does not fall back to the internet.",
        remediation="Connect the VPN (or another route to the VPC with its DNS), then run wsdiag "
        "check again. Admin, if users must stream from anywhere: WorkSpaces console > Directories "
        "> the directory > VPC Endpoints > Edit: remove the streaming endpoint.",
        facts=(("environment", (Environment.HOME,)),),
        basis=("internet_reachable", "endpoint_reachable"),
    ),
    FindingRule(
        name="proxy-in-use",
        code="PROXY_IN_USE",
        severity=Severity.INFO,
        owner=Owner.DESKTOP,
        when="443 went through the proxy (shown without credentials); QUIC never does: bypass "
        "the private name, no caching",
        message="443 to the sign-in and registration domains goes through the proxy {url} (from "
        "{source}), as the WorkSpaces client's does, and was tested that way; QUIC (UDP) never "
        "uses the proxy and was tested directly; TCP streaming to the VPC endpoint was tested "
        "both directly and through the proxy (CONNECT).{more}",
        remediation="Make sure the private endpoint name ({endpoints}) bypasses the proxy "
        "(no_proxy, or the exceptions in the OS proxy settings) and that proxy caching is "
        "disabled for it, so streaming stays direct to the endpoint; the proxy must allow CONNECT "
        "to the WorkSpaces domains on 443 without authentication.",
        facts=(("proxy_mode", (ProxyMode.PROXY,)), ("target_proxy_used", (Y,))),
        fire=_proxy_in_use,
        basis=(),
    ),
)
