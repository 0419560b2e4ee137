"""Rows about the resolver chain: the servers the OS asks for the private name, read one
by one (wsdiag.evidence.chain), and where wsdiag runs. Pure.

The verdict follows what the OS does (its getaddrinfo answer), so the rows that describe a
server the OS moved past (SERVFAIL first, a slow answer) are advisory: they never change a
verdict (``ADVISORY_CODES``). The rows that name why the private name fails (DNSSEC
validation, a forwarder that does not answer, a VPC's +2 asked from outside, a resolver
without the zone) block, and replace the generic DNS failure finding.
"""

from __future__ import annotations

from wsdiag.host.dns_agents import local_signs, resolver_signs
from wsdiag.rules.facts import CheckFacts, CheckRule, region_hint
from wsdiag.vocab.model import DnsOutcome, Owner, Severity
from wsdiag.vocab.rows import FindingRule, Fire, N, Y

# Shown, never counted for the verdict: the OS's own answer already decides.
ADVISORY_CODES = frozenset({"DNS_FIRST_SERVER_SERVFAIL", "ENDPOINT_DNS_SLOW", "RUNS_IN_WSL"})


def _first(c: CheckFacts) -> Fire:
    ch = c.evidence.chain
    return Fire(
        {
            "host": c.evidence.endpoint_host,
            "first": ch.first,
            "source": ch.first_source or "the OS's list",
            "other": ch.answered_by,
        }
    )


def _slow(c: CheckFacts) -> Fire | None:
    ms = c.evidence.chain.slow_ms
    if ms is None:
        return None
    return Fire({"host": c.evidence.endpoint_host, "s": f"{ms / 1000:.1f}"})


def _dnssec(c: CheckFacts) -> Fire:
    ch = c.evidence.chain
    where = f"the local stub resolver {ch.dnssec_at}" if ch.dnssec_local else ch.dnssec_at
    return Fire({"host": c.evidence.endpoint_host, "where": where, "why": ch.dnssec_why})


def _forwarder(c: CheckFacts) -> Fire:
    return Fire({"server": c.evidence.chain.forwarder, "host": c.evidence.endpoint_host})


def _plus2(c: CheckFacts) -> Fire:
    ch = c.evidence.chain
    return Fire({"server": ch.plus2, "cidr": ch.plus2_cidr, "host": c.evidence.endpoint_host})


def _zone(c: CheckFacts) -> Fire:
    # Where the client's logs name only other regions, REGION_MISMATCH carries the action:
    # no resolver anywhere has a zone for a region whose endpoint does not exist.
    return Fire(
        {
            "server": c.evidence.chain.zone_missing_at,
            "host": c.evidence.endpoint_host,
            "hint": region_hint(c),
        },
        severity=Severity.INFO if c.logs_other_region is Y else None,
    )


def _agent(c: CheckFacts) -> Fire:
    e = c.evidence
    who = f"is answered by {e.agent}" if e.agent_answers else f"may be answered by {e.agent}"
    # "runs here" only where the agent itself is seen (its process, its own interface); a
    # resolver address alone (perhaps the one given with --nameserver) says where DNS was
    # answered, not what runs on this machine
    mine = local_signs(e.agent_signs)
    where = (
        f"runs here ({', '.join(e.agent_signs)})"
        if mine
        else f"answers at {', '.join(resolver_signs(e.agent_signs)) or 'its resolver address'} "
        "(no process or interface of it was seen here)"
    )
    # another region's NXDOMAIN is no agent's doing: REGION_MISMATCH carries the action
    wrong_region = c.logs_other_region is Y and e.endpoint_a is DnsOutcome.NXDOMAIN
    return Fire(
        {
            "host": e.endpoint_host,
            "who": who,
            "agent": e.agent,
            "where": where,
            "setting": e.agent_setting,
            "hint": region_hint(c),
        },
        severity=Severity.INFO if wrong_region else None,
    )


def _dns64(c: CheckFacts) -> Fire:
    ch = c.evidence.chain
    pairs = ", ".join(f"{v6} from {v4}" for v6, v4 in ch.synthesized)
    only = "an IPv6-only network" if c.evidence.ipv6_only is Y else "a network"
    return Fire({"only": only, "prefix": ch.dns64_prefix, "pairs": pairs})


def _wsl(c: CheckFacts) -> Fire:
    return Fire({"why": c.evidence.chain.runs_in_why})


_DNS_FAILURES = ("ENDPOINT_DNS_FAILED", "DNS_RESOLVER_UNREACHABLE", "ENDPOINT_NXDOMAIN")

CHAIN_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="runs-in-wsl",
        code="RUNS_IN_WSL",
        severity=Severity.WARNING,
        owner=Owner.USER,
        when="wsdiag runs inside WSL: the network seen is not Windows' (verdict at most unknown)",
        message="wsdiag is running inside WSL ({why}): the network, routes and DNS seen here "
        "are WSL's own, not those of Windows, where the WorkSpaces client runs.",
        remediation="Run wsdiag on Windows itself (wsdiag.exe check), not inside WSL.",
        facts=(("runs_in_wsl", (Y,)),),
        fire=_wsl,
        basis=(),
    ),
    FindingRule(
        name="dnssec-validation",
        code="DNSSEC_VALIDATION_FAILS",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="a resolver the OS asks fails the private name by DNSSEC validation (an RFC 8914 "
        "extended error 6-12, or SERVFAIL without CD while the CD query answers)",
        message="DNSSEC validation in {where} fails the private name {host}: {why}. The "
        "answer itself exists (asked with checking disabled it comes back).",
        remediation="Turn DNSSEC validation off for a2z.com in that resolver (systemd-resolved: "
        'DNSSEC=no or allow-downgrade in resolved.conf; unbound: domain-insecure: "a2z.com"), '
        "or forward a2z.com to a resolver that does not validate it; AWS private hosted zones "
        "are not signed.",
        facts=(("dnssec_validation", (Y,)),),
        fire=_dnssec,
        never_with=("ENDPOINT_DNS_FAILED",),
    ),
    FindingRule(
        name="resolver-vpc-plus2",
        code="DNS_VPC_RESOLVER_FROM_OUTSIDE",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="a server the OS asks is a --vpc-cidr's base + 2 (that VPC's Route 53 Resolver) "
        "and the private name fails there",
        message="The resolver {server} is the base + 2 address of {cidr}, the VPC's own Route 53 "
        "Resolver, and gives no answer for {host}: that resolver answers only from inside "
        "its VPC.",
        remediation="Forwarding to a VPC's .2 address from outside the VPC is not supported: "
        "create a Route 53 Resolver inbound endpoint in that VPC (Route 53 console > Resolver > "
        "Inbound endpoints) and forward a2z.com to its addresses.",
        facts=(("resolver_vpc_plus2", (Y,)),),
        fire=_plus2,
        never_with=(*_DNS_FAILURES, "DNS_FORWARDER_SILENT"),
    ),
    FindingRule(
        name="forwarder-silent",
        code="DNS_FORWARDER_SILENT",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="a server answers other names but not the private name, nor a2z.com's SOA",
        message="a2z.com alone fails on the resolver {server}: it answers other names, but not "
        "{host} nor the SOA of a2z.com: its forwarder for a2z.com does not answer.",
        remediation="Fix that resolver's conditional forwarder for a2z.com. Forwarding to a "
        "VPC's .2 address from outside the VPC is unsupported: forward to a Route 53 Resolver "
        "inbound endpoint in the endpoint's VPC.",
        facts=(("forwarder_silent", (Y,)), ("dnssec_validation", (N,))),
        fire=_forwarder,
        never_with=_DNS_FAILURES,
    ),
    FindingRule(
        name="resolver-without-zone",
        code="DNS_PRIVATE_ZONE_NOT_VISIBLE",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="NXDOMAIN for the private name from a private resolver off this LAN (a "
        "forwarder or inbound endpoint that cannot see the endpoint's private hosted zone; a "
        "note where the client's logs name only other regions: REGION_MISMATCH)",
        message="The resolver {server}, a private address off this LAN (the company's DNS, or "
        "the Route 53 Resolver inbound endpoint it forwards to), says {host} does not exist: "
        "the VPC that resolver answers for cannot see the endpoint's private hosted zone.",
        remediation="Route 53 console > Hosted zones > the endpoint's private hosted zone "
        "(created with its Private DNS names): associate it with the VPC of the inbound "
        "endpoint (the hub), or forward a2z.com to an inbound endpoint in the endpoint's own "
        "VPC. This is not a VPN problem: connecting again will not help.{hint}",
        facts=(("zone_missing", (Y,)),),
        fire=_zone,
        never_with=("ENDPOINT_NXDOMAIN", "HOME_NETWORK"),
    ),
    FindingRule(
        name="dns-agent",
        code="DNS_AGENT_OWNS_NAME",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="a VPN or security agent with its own DNS proxy is here (its resolver address "
        "or process: wsdiag.host.dns_agents) and the private name has no private answer (a "
        "note where the client's logs name only other regions: REGION_MISMATCH)",
        message="DNS on this machine {who}, which {where}. It sends names it is not told "
        "about to its own resolvers, so {host} does not get the endpoint's private answer.",
        remediation="In {agent}'s settings: {setting}. If this machine should reach the VPC "
        "through another VPN, connect that one.{hint}",
        facts=(("dns_agent", (Y,)),),
        fire=_agent,
        never_with=(
            *_DNS_FAILURES,
            "HOME_NETWORK",
            "DNS_PRIVATE_ZONE_NOT_VISIBLE",
            "DNS_FORWARDER_SILENT",
            "DNS_REBIND_PROTECTION_LIKELY",
        ),
    ),
    FindingRule(
        name="dns-first-server-servfail",
        code="DNS_FIRST_SERVER_SERVFAIL",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="the server the OS asks first SERVFAILs the private name, a later one answers "
        "(advisory: the OS's own answer sets the verdict)",
        message="The first DNS server, {first} (from {source}), answers {host} with SERVFAIL; "
        "the next one, {other}, has the private answer, which this OS takes. Older Microsoft "
        "documentation says Windows stops at a SERVFAIL (not confirmed for current Windows).",
        remediation="Fix or remove that server ({first}) so the private name does not depend "
        "on how each OS treats a SERVFAIL.",
        facts=(("servfail_first", (Y,)),),
        fire=_first,
    ),
    FindingRule(
        name="endpoint-dns-slow",
        code="ENDPOINT_DNS_SLOW",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="the private name answered after --timeout, within the OS resolver's own budget "
        "(advisory)",
        message="The resolver took {s} s for the private name {host} (other names answer at "
        "once): a slow conditional forwarder; the client waits for it at every connection.",
        remediation="Check the resolver's forwarder for a2z.com (the first forwarder in its list "
        "may be dead or far away) and point it at a Route 53 Resolver inbound endpoint.",
        facts=(("endpoint_dns_slow", (Y,)),),
        fire=_slow,
    ),
    FindingRule(
        name="dns64",
        code="NETWORK_DNS64",
        severity=Severity.INFO,
        owner=Owner.NETWORK,
        when="the private name's IPv6 answer embeds its IPv4 address (DNS64, RFC 6147/6052)",
        message="This is {only} with DNS64: the IPv6 answer is synthesized under {prefix} "
        "({pairs}), and a NAT64 gateway carries it to the VPC's IPv4 endpoint.",
        remediation="Nothing to change on the endpoint's record type. The endpoint's security "
        "group must admit the NAT64 gateway's IPv4 pool (the source the endpoint sees) on TCP "
        "and UDP 443 and 4195.",
        facts=(("dns64", (Y,)),),
        fire=_dns64,
        never_with=("ENDPOINT_DUAL_STACK",),
    ),
)
