"""Rows about the private name's resolution: no resolver configuration, no route, a silent
resolver, NXDOMAIN (or the checked region not the client's), an answer outside the private
ranges, IPv6 only, another DNS failure. Pure. The endpoint's addresses are judged in
wsdiag.rules.endpoint."""

from __future__ import annotations

from wsdiag.rules.facts import CheckFacts, CheckRule, log_facts, region_hint
from wsdiag.vocab.model import DnsOutcome, Environment, Owner, Severity
from wsdiag.vocab.rows import NOT_NO, NOT_YES, FindingRule, Fire, N, Y


def _resolver_silent(c: CheckFacts) -> Fire:
    e = c.evidence
    return Fire({"servers": ", ".join(e.resolvers) or "system"})


def _consequence(c: CheckFacts, params: dict[str, object]) -> Fire:
    """At home the private name's absence (or public answer) is what being outside the VPC
    means: HOME_NETWORK carries the one action, this finding stays as a note."""
    home = c.environment is Environment.HOME
    return Fire(params, severity=Severity.INFO if home else None)


def _nxdomain(c: CheckFacts) -> Fire:
    e = c.evidence
    params: dict[str, object] = {
        "host": e.endpoint_host,
        "region": e.region or "<region>",
        "hint": region_hint(c),
    }
    fired = _consequence(c, params)
    if c.logs_other_region is Y:  # REGION_MISMATCH carries the one action: checked elsewhere
        return Fire(fired.params, severity=Severity.INFO)
    return fired


def _region_mismatch(c: CheckFacts) -> Fire | None:
    e = c.evidence
    logs = log_facts(e)
    if logs is None:  # the fact says the logs were read; never fire on a guess
        return None
    others = [r for r in logs.log_regions if r != e.region.lower()]
    latest = logs.log_region_latest
    suggest = latest if latest in others else others[0]
    return Fire(
        {
            "region": e.region,
            "others": ", ".join(others),
            "suggest": suggest,
        },
        basis=("logs_other_region",) if "logs_other_region" in e.basis else (),
    )


def _aaaa_only(c: CheckFacts) -> Fire:
    e = c.evidence
    return Fire({"host": e.endpoint_host, "v6": ", ".join(e.endpoint_v6)})


def _dns_failed(c: CheckFacts) -> Fire:
    e = c.evidence
    return Fire({"host": e.endpoint_host, "outcome": e.endpoint_a, "detail": e.endpoint_a_detail})


def _public(c: CheckFacts) -> Fire:
    e = c.evidence
    where = "the VPC ranges given" if e.vpc_cidrs else "private (RFC 1918) ranges"
    return _consequence(
        c, {"host": e.endpoint_host, "public": ", ".join(e.endpoint_public), "where": where}
    )


DNS_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="dns-not-configured",
        code="DNS_NOT_CONFIGURED",
        severity=Severity.WARNING,
        owner=Owner.DESKTOP,
        when="no resolver configuration (verdict unknown)",
        message="This machine has no DNS resolver configuration that wsdiag can read, so nothing "
        "could be looked up.",
        remediation="Check the network adapter's DNS settings (or VPN client); to test a specific "
        "resolver run wsdiag with --nameserver IP.",
        facts=(("dns_configured", (N,)),),
        never_with=("DNS_RESOLVER_UNREACHABLE",),
    ),
    FindingRule(
        name="no-route",
        code="NO_ROUTE",
        severity=Severity.ERROR,
        owner=Owner.USER,
        when="no route: every connection failed before a packet left",
        message="This machine has no network route: every connection failed with 'network "
        "unreachable' before a packet left.",
        remediation="Connect to the network (Wi-Fi/Ethernet) or the VPN; check that the machine "
        "has a default route or a route to the VPC.",
        facts=(("no_route", (Y,)),),
        never_with=(
            "DNS_RESOLVER_UNREACHABLE",
            "ENDPOINT_UNREACHABLE",
            "PROXY_UNREACHABLE",
            "AUTH_UNREACHABLE",
        ),
    ),
    FindingRule(
        name="resolver-silent",
        code="DNS_RESOLVER_UNREACHABLE",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="the resolver answered nothing",
        message="The DNS resolver ({servers}) did not answer any query, so the WorkSpaces client "
        "cannot find the streaming endpoint or the sign-in service.",
        remediation="Make sure the resolver is reachable on UDP/TCP 53 from this network "
        "(firewall, VPN split-DNS), or fix the DNS servers configured on this machine.",
        facts=(("resolver_reachable", (N,)), ("no_route", NOT_YES), ("dns_configured", NOT_NO)),
        fire=_resolver_silent,
        basis=("resolver_reachable",),
    ),
    FindingRule(
        name="region-mismatch",
        code="REGION_MISMATCH",
        # Before ENDPOINT_NXDOMAIN and HOME_NETWORK: of the user's actions, this one first
        # (another region's private name does not exist anywhere here).
        severity=Severity.ERROR,
        owner=Owner.USER,
        when="the private name does not exist for this resolver and the client's logs name "
        "only other regions: probably the wrong region was checked (ENDPOINT_NXDOMAIN is then "
        "a note)",
        message="You checked {region} but this machine's WorkSpaces client logs name {others}: "
        "run `wsdiag check --region {suggest}`.",
        # the notes, not one code: with an agent resolver it is DNS_AGENT_OWNS_NAME's, with
        # a company resolver DNS_PRIVATE_ZONE_NOT_VISIBLE's, at home HOME_NETWORK's
        remediation="Run `wsdiag check --region {suggest}`; if {region} is the right region "
        "after all, the notes below say what to fix.",
        facts=(("endpoint_a", (DnsOutcome.NXDOMAIN,)), ("logs_other_region", (Y,))),
        fire=_region_mismatch,
        basis=("endpoint_a",),
    ),
    FindingRule(
        name="endpoint-nxdomain",
        code="ENDPOINT_NXDOMAIN",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="the private name does not exist for this resolver (a note at home: "
        "HOME_NETWORK says what to do; a note where the client's logs name only other regions: "
        "REGION_MISMATCH)",
        message="This machine cannot find the WorkSpaces streaming endpoint: the private name "
        "{host} does not exist for its resolver (NXDOMAIN), so it is not using the VPC's DNS.",
        remediation="VPC console > Endpoints > the com.amazonaws.{region}.prod.highlander "
        "endpoint: enable 'Private DNS names' (and, under Your VPCs > Edit VPC settings, DNS "
        "resolution and DNS hostnames); from on-premises or over VPN, forward a2z.com to a Route "
        "53 Resolver inbound endpoint in that VPC (Route 53 console > Resolver > Inbound "
        "endpoints).{hint}",
        facts=(
            ("endpoint_resolves", NOT_YES),
            ("endpoint_a", (DnsOutcome.NXDOMAIN,)),
            ("proxy_http", NOT_YES),
        ),
        fire=_nxdomain,
        basis=("endpoint_a",),
    ),
    FindingRule(
        name="endpoint-no-address",
        code="ENDPOINT_AAAA_ONLY",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="only IPv6 addresses, and they could not be judged (verdict unknown); IPv6-only "
        "answers that can be probed are judged like IPv4",
        message="The private name {host} has only IPv6 addresses ({v6}) and wsdiag could not judge "
        "them, so it cannot vouch for streaming.",
        remediation="Set the endpoint's DNS record IP type to IPv4 (dual-stack is not supported).",
        facts=(
            ("endpoint_resolves", NOT_YES),
            ("endpoint_a", tuple(o for o in DnsOutcome if o is not DnsOutcome.NXDOMAIN)),
            ("endpoint_has_v6", (Y,)),
        ),
        fire=_aaaa_only,
        basis=("endpoint_a", "endpoint_v6"),
    ),
    FindingRule(
        name="endpoint-no-address",
        code="ENDPOINT_DNS_FAILED",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="no IPv4 answer (NODATA, SERVFAIL, REFUSED)",
        message="The resolver gave no IPv4 address for {host} ({outcome}: {detail}).",
        remediation="Check the VPC endpoint's private DNS name and the resolver's forwarding for "
        "a2z.com.",
        facts=(
            ("endpoint_resolves", NOT_YES),
            ("endpoint_a", (DnsOutcome.NO_ANSWER, DnsOutcome.SERVFAIL, DnsOutcome.REFUSED)),
            ("endpoint_has_v6", (N,)),
        ),
        fire=_dns_failed,
        basis=("endpoint_a",),
        never_with=("ENDPOINT_NXDOMAIN",),
    ),
    FindingRule(
        name="endpoint-public",
        code="ENDPOINT_PUBLIC_ANSWER",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="an address outside RFC 1918 / `--vpc-cidr` (a note at home: HOME_NETWORK says "
        "what to do)",
        message="The private name {host} resolves to {public}, outside {where}: this machine is "
        "not getting the VPC endpoint's private DNS answer.",
        remediation="Use the VPC's resolver (VPN split-DNS or a Route 53 Resolver inbound "
        "endpoint); check that 'Private DNS names' is enabled on the endpoint and that no other "
        "DNS zone shadows the name.",
        facts=(("endpoint_private", (N,)),),
        fire=_public,
        basis=("endpoint_public",),
    ),
)
