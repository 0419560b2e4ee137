"""The resolver chain as facts: each server the OS would use for the private name
(wsdiag.probes.dns_servers), read against how the OS walks them and what contradicts
"home". Pure: Observed, the endpoint's privacy and this machine's facts in, ChainFacts out.

- servfail_first: the server the OS asks first SERVFAILs the private name, a later one has
  the answer (glibc moves on; older Microsoft documentation says Windows stops).
- endpoint_dns_slow: the private name answered after --timeout, within the OS's budget.
- dnssec_validation: named only when an RFC 8914 extended error with INFO-CODE 6-12 (the
  DNSSEC ones: 6 DNSSEC Bogus ... 12 NSEC Missing) says so, or when the same query still
  SERVFAILs without CD while the CD query answers, both within a second.
- forwarder_silent: the private name and the SOAs of a2z.com and of its region zone get
  silence or SERVFAIL from a server that answered other names of the run.
- resolver_vpc_plus2: a server the OS asks is a --vpc-cidr's base + 2 (the Route 53
  Resolver of that VPC), and the private name fails there: asked from outside the VPC
  (no interface here holds an address inside that CIDR).
- zone_missing: NXDOMAIN from a private resolver that is not on this machine's LAN.
- dns64: the private name's IPv6 answer embeds its IPv4 address under a NAT64 prefix
  (RFC 6052; the prefix from ipv4only.arpa, RFC 7050, or from the A answer itself).
- ipv6_only: this machine has a route for IPv6 only (the plan's families).
- runs_in_wsl: wsdiag runs inside WSL, so the network read is not Windows' own.
- dns_agent: a VPN or security agent with its own DNS proxy (wsdiag.host.dns_agents: its
  resolver address among the servers, or its process) is here and the private name has
  no private answer. Its own resolver is not "a company forwarder without the zone": when
  it answered, zone_missing is NO.
- home_evidence: "home" needs positive evidence: NXDOMAIN or a public answer for the
  private name, from a resolver on the LAN, at a public address or a local stub, and
  nothing against it (a tunnel up, the endpoint or the default route into a tunnel, a
  route of its own for a --vpc-cidr, a private resolver off the LAN, a resolver with no
  zone, a DNS agent). Unknown host facts do not count against it. The default route's
  gateway itself is not read (that needs the routing table, which wsdiag does not parse):
  the internet path's interface stands for it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import TypedDict

from wsdiag.dns64 import matches_answer, synthesized_from
from wsdiag.evidence.basis import Basis, ids
from wsdiag.evidence.machine import MachineFacts
from wsdiag.host.dns_agents import local_signs, resolver_signs
from wsdiag.vocab.evidence import DnsChain
from wsdiag.vocab.model import DnsOutcome, Tri
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult, ServerAnswer

U = Tri.UNKNOWN


@dataclass(frozen=True)
class ChainFacts:
    servfail_first: Tri  # the first server SERVFAILs the name, a later answers
    endpoint_dns_slow: Tri  # the private name answered after --timeout, in the OS's budget
    dnssec_validation: Tri  # a server's SERVFAIL is DNSSEC validation (EDE 6-12, CD pair)
    forwarder_silent: Tri  # the a2z.com forwarder silent while the server answers others
    resolver_vpc_plus2: Tri  # a --vpc-cidr's +2 asked from outside, the name failing
    zone_missing: Tri  # NXDOMAIN from a private resolver off this LAN
    dns64: Tri  # the private name's IPv6 answer is synthesized (RFC 6147)
    ipv6_only: Tri  # this machine has a route for IPv6 only
    runs_in_wsl: Tri  # inside WSL: not Windows' network
    home_evidence: Tri  # positive evidence of a home network
    dns_agent: Tri  # a VPN/security agent's DNS proxy is here, the private name failing
    chain: DnsChain  # the values behind them, for messages
    basis: Basis


DNSSEC_EDE = range(6, 13)  # RFC 8914 section 4: 6 DNSSEC Bogus ... 12 NSEC Missing
EDE_NAMES = {
    6: "DNSSEC Bogus",
    7: "Signature Expired",
    8: "Signature Not Yet Valid",
    9: "DNSKEY Missing",
    10: "RRSIGs Missing",
    11: "No Zone Key Bit Set",
    12: "NSEC Missing",
}
PAIR_MS = 1000.0  # the CD and plain queries both within a second
_FAILED = (DnsOutcome.TIMEOUT, DnsOutcome.SERVFAIL)
_SAID = {
    DnsOutcome.SERVFAIL: "SERVFAIL",
    DnsOutcome.REFUSED: "REFUSED",
    DnsOutcome.NXDOMAIN: "NXDOMAIN",
    DnsOutcome.NO_ANSWER: "NOERROR without an address (NODATA)",
    DnsOutcome.TIMEOUT: "no answer",
    DnsOutcome.ANSWER: "the private answer",
}
_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_NOT_PUBLIC = (
    *_RFC1918,
    ipaddress.ip_network("100.64.0.0/10"),  # RFC 6598
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fc00::/7"),  # ULA
    ipaddress.ip_network("fe80::/10"),
)


def _ip(server: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = server.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def resolver_kind(server: str) -> str:
    """ "loopback" (a stub on this machine), "private" (RFC 1918, RFC 6598, ULA, link-local)
    or "public"; "" for text that is not an address."""
    ip = _ip(server)
    if ip is None:
        return ""
    if ip.is_loopback:
        return "loopback"
    if any(ip.version == n.version and ip in n for n in _NOT_PUBLIC):
        return "private"
    return "public"


def said(outcome: DnsOutcome) -> str:
    return _SAID.get(outcome, str(outcome))


def _dnssec(s: ServerAnswer) -> str:
    """Why this server's SERVFAIL is DNSSEC validation, "" when nothing says so."""
    for e in s.ede:
        code, text = e.code, e.text
        if code in DNSSEC_EDE:
            name = EDE_NAMES.get(code, "")
            extra = f": {text}" if text else ""
            return f"extended DNS error {code} ({name}{extra})"
    pair = (
        s.cd_outcome is DnsOutcome.ANSWER
        and s.plain_again is DnsOutcome.SERVFAIL
        and s.cd_ms is not None
        and s.cd_ms <= PAIR_MS
    )
    if pair:
        return "the same query fails (SERVFAIL) without CD and answers with CD set"
    return ""


def _plus2(server: str, cidrs: Sequence[str]) -> str:
    ip = _ip(server)
    for c in cidrs:
        net = ipaddress.ip_network(c, strict=False)
        if ip is not None and ip.version == net.version and int(ip) == int(net[0]) + 2:
            return str(net)
    return ""


class _Changes(TypedDict, total=False):
    """The DnsChain fields one group of facts sets (dataclasses.replace keywords)."""

    first: str
    first_said: str
    first_source: str
    answered_by: str
    slow_ms: float | None
    dnssec_at: str
    dnssec_local: bool
    dnssec_why: str
    forwarder: str
    plus2: str
    plus2_cidr: str
    zone_missing_at: str
    dns64_prefix: str
    synthesized: tuple[tuple[str, str], ...]
    home_why_not: str


# one group's facts (ChainFacts field name -> Tri; a fact left out stays UNKNOWN) and the
# DnsChain values behind them
_Group = tuple[dict[str, Tri], _Changes]


def chain_facts(r: Observed, endpoint_private: Tri, machine: MachineFacts) -> ChainFacts:
    """The resolver-chain facts, from the run and the facts they read: the endpoint's
    privacy (EndpointFacts) and this machine's tunnel, route and on-link resolver
    (MachineFacts). The groups in order: the DNS agent's may turn zone_missing to NO, and
    home reads zone_missing after it."""
    ep = r.endpoint_id()
    a = r.dns_for(ep, "A")
    aaaa = r.dns_for(ep, "AAAA")
    os = r.dns_for(ep, "OS")
    servers = tuple(sorted(a.servers, key=lambda s: s.order)) if a is not None else ()
    facts: dict[str, Tri] = {}
    changes: _Changes = {}
    for group_facts, group_changes in (
        _first_server(servers),
        _slow(a, os),
        _dnssec_validation(servers),
        _forwarder_silent(servers, os),
        _vpc_plus2(servers, r.plan.vpc_cidrs, machine),
        _zone_missing(a, os, machine),
        _dns64(servers, a, aaaa, os),
        _families_and_wsl(r.plan.families, r.where[0]),
        _dns_agent(endpoint_private, machine),
    ):
        facts.update(group_facts)
        changes.update(group_changes)
    home, why_not = _home(endpoint_private, machine, a, facts.get("zone_missing", U))
    changes["home_why_not"] = why_not
    chain = replace(DnsChain(runs_in=r.where[0], runs_in_why=r.where[1]), **changes)
    behind = ids([a, aaaa, os])
    return ChainFacts(
        servfail_first=facts.get("servfail_first", U),
        endpoint_dns_slow=facts.get("endpoint_dns_slow", U),
        dnssec_validation=facts.get("dnssec_validation", U),
        forwarder_silent=facts.get("forwarder_silent", U),
        resolver_vpc_plus2=facts.get("resolver_vpc_plus2", U),
        zone_missing=facts.get("zone_missing", U),
        dns64=facts.get("dns64", U),
        ipv6_only=facts["ipv6_only"],
        runs_in_wsl=facts["runs_in_wsl"],
        home_evidence=home,
        dns_agent=facts.get("dns_agent", U),
        chain=chain,
        # every fact, decided or not, names the lookups it was read from
        basis={name: behind for name in _FACT_NAMES},
    )


def _first_server(servers: Sequence[ServerAnswer]) -> _Group:
    """servfail_first: the first server (servers in the OS's order) and who has the answer."""
    if not servers:
        return {}, {}
    first = servers[0]
    later = next((s for s in servers[1:] if s.outcome is DnsOutcome.ANSWER), None)
    moved_on = first.outcome is not DnsOutcome.ANSWER  # the OS went past the first server
    facts = {"servfail_first": Tri.of(first.outcome is DnsOutcome.SERVFAIL and later is not None)}
    return facts, {
        "first": first.server,
        "first_said": said(first.outcome),
        "first_source": first.source,
        "answered_by": later.server if later is not None and moved_on else "",
    }


def _slow(a: DnsResult | None, os: DnsResult | None) -> _Group:
    """endpoint_dns_slow: the OS's or the A lookup answered past --timeout."""
    late = [d for d in (os, a) if d is not None and d.late]
    if late:
        return {"endpoint_dns_slow": Tri.YES}, {"slow_ms": late[0].ms}
    if a is not None and a.outcome is DnsOutcome.ANSWER:
        return {"endpoint_dns_slow": Tri.NO}, {}
    return {}, {}


def _dnssec_validation(servers: Sequence[ServerAnswer]) -> _Group:
    """dnssec_validation: a server's SERVFAIL that an EDE or the CD pair names DNSSEC."""
    if not servers:
        return {}, {}
    validating = [
        (s, why) for s in servers if s.outcome is DnsOutcome.SERVFAIL and (why := _dnssec(s))
    ]
    if not validating:
        return {"dnssec_validation": Tri.NO}, {}
    s, why = validating[0]
    return {"dnssec_validation": Tri.YES}, {
        "dnssec_at": s.server,
        "dnssec_local": resolver_kind(s.server) == "loopback",
        "dnssec_why": why,
    }


def _forwarder_silent(servers: Sequence[ServerAnswer], os: DnsResult | None) -> _Group:
    """forwarder_silent: the forwarder for a2z.com silent, while the server answers other
    names."""
    if not servers:
        return {}, {}
    dead = [
        s
        for s in servers
        if s.outcome in _FAILED
        and s.answered_other
        and not _dnssec(s)
        and (s.soa_apex in _FAILED or s.soa_region in _FAILED)
    ]
    # only a fault of the name when no server (and not the OS) has its answer: a server
    # the OS moves past is servfail_first's
    answered = any(s.outcome is DnsOutcome.ANSWER for s in servers) or (
        os is not None and os.outcome is DnsOutcome.ANSWER
    )
    if answered or not dead:
        return {"forwarder_silent": Tri.NO}, {}
    return {"forwarder_silent": Tri.YES}, {"forwarder": dead[0].server}


def _vpc_plus2(
    servers: Sequence[ServerAnswer], vpc_cidrs: Sequence[str], machine: MachineFacts
) -> _Group:
    """resolver_vpc_plus2: a --vpc-cidr's base + 2 asked from outside the VPC, failing."""
    # asked from inside the VPC (this machine holds an address in it), +2 is the right one
    if not servers or not vpc_cidrs or machine.inside_vpc is Tri.YES:
        return {}, {}
    plus2 = [
        (s, c)
        for s in servers
        if (c := _plus2(s.server, vpc_cidrs)) and s.outcome is not DnsOutcome.ANSWER
    ]
    if not plus2:
        return {"resolver_vpc_plus2": Tri.NO}, {}
    s, cidr = plus2[0]
    return {"resolver_vpc_plus2": Tri.YES}, {"plus2": s.server, "plus2_cidr": cidr}


def _zone_missing(a: DnsResult | None, os: DnsResult | None, machine: MachineFacts) -> _Group:
    """zone_missing: a private resolver off this LAN without the zone (a hub's inbound
    endpoint)."""
    decided = (DnsOutcome.NXDOMAIN, DnsOutcome.ANSWER, DnsOutcome.NO_ANSWER)
    if a is None or a.outcome not in decided:
        return {}, {}
    os_answers = os is not None and os.outcome is DnsOutcome.ANSWER
    who = a.resolver or ""
    off_lan = resolver_kind(who) == "private" and machine.resolver_on_link is Tri.NO
    if a.outcome is DnsOutcome.NXDOMAIN and off_lan and not os_answers:
        return {"zone_missing": Tri.YES}, {"zone_missing_at": who}
    return {"zone_missing": Tri.NO}, {}


def _dns64(
    servers: Sequence[ServerAnswer],
    a: DnsResult | None,
    aaaa: DnsResult | None,
    os: DnsResult | None,
) -> _Group:
    """dns64: every IPv6 answer embeds an IPv4 address under the NAT64 prefix (the
    servers' ipv4only.arpa prefix, else one the A answer itself shows)."""
    v6 = _addresses(aaaa) or tuple(x for x in (os.addresses if os is not None else ()) if ":" in x)
    if not v6:
        if aaaa is not None and aaaa.outcome in (DnsOutcome.NO_ANSWER, DnsOutcome.NXDOMAIN):
            return {"dns64": Tri.NO}, {}
        return {}, {}
    prefix = next((s.dns64_prefix for s in servers if s.dns64_prefix), "")
    pairs = tuple((x, synthesized_from(x, prefix) or "") for x in v6) if prefix else ()
    if not prefix or not all(v for _, v in pairs):
        prefix = matches_answer(v6, _addresses(a))
        pairs = tuple((x, synthesized_from(x, prefix) or "") for x in v6) if prefix else ()
    if not (pairs and all(v for _, v in pairs)):
        return {"dns64": Tri.NO}, {}
    return {"dns64": Tri.YES}, {"dns64_prefix": prefix, "synthesized": pairs}


def _families_and_wsl(families: Sequence[int], runs_in: str) -> _Group:
    """ipv6_only (a route for IPv6 only) and runs_in_wsl; DnsChain holds runs_in already."""
    return {
        "ipv6_only": Tri.of(4 not in families and 6 in families),
        "runs_in_wsl": Tri.of(runs_in == "wsl"),
    }, {}


def _dns_agent(endpoint_private: Tri, machine: MachineFacts) -> _Group:
    """dns_agent: a VPN or security agent that runs its own DNS proxy, the private name
    failing. When its own resolver answered, zone_missing turns NO: the agent's resolver
    is no company forwarder without the zone."""
    if machine.agent:
        agent = Tri.of(endpoint_private is not Tri.YES)
        if agent is Tri.YES and machine.agent_answers:
            return {"dns_agent": agent, "zone_missing": Tri.NO}, {"zone_missing_at": ""}
        return {"dns_agent": agent}, {}
    if machine.tunnel_up is not Tri.UNKNOWN:  # host facts read: no agent's resolver/process
        return {"dns_agent": Tri.NO}, {}
    return {}, {}


_FACT_NAMES = tuple(f.name for f in fields(ChainFacts) if f.name not in ("chain", "basis"))


def _addresses(d: DnsResult | None) -> tuple[str, ...]:
    return d.addresses if d is not None and d.outcome is DnsOutcome.ANSWER else ()


def _home(
    endpoint_private: Tri,
    machine: MachineFacts,
    a: DnsResult | None,
    zone_missing: Tri,
) -> tuple[Tri, str]:
    """(the fact, what stands against it): see the module docstring."""
    if a is None:
        return Tri.UNKNOWN, ""
    positive = a.outcome is DnsOutcome.NXDOMAIN or endpoint_private is Tri.NO
    if not positive:
        return Tri.NO, f"the private name got {said(a.outcome)}, not NXDOMAIN or a public answer"
    against = []
    if machine.tunnel_up is Tri.YES:
        against.append(f"a tunnel is up ({', '.join(machine.tunnels) or 'a VPN'})")
    if machine.endpoint_via_tunnel is Tri.YES:
        against.append("the endpoint's route goes into a tunnel")
    if machine.internet_via_tunnel is Tri.YES:
        against.append("the default route goes into a tunnel (a full-tunnel VPN)")
    if machine.vpc_routed is Tri.YES:
        against.append(f"a route covers the VPC range ({', '.join(machine.vpc_routes)})")
    if machine.agent and local_signs(machine.agent_signs):
        against.append(f"{machine.agent} runs its own DNS here ({', '.join(machine.agent_signs)})")
    elif machine.agent:  # its resolver address alone: where DNS answered, not what runs here
        at = ", ".join(resolver_signs(machine.agent_signs))
        against.append(f"the resolver {at} is {machine.agent}'s DNS address")
    if zone_missing is Tri.YES:
        against.append(f"the resolver {a.resolver} is a private address off this LAN")
    kind = resolver_kind(a.resolver or "")
    if kind == "private" and machine.resolver_on_link is Tri.NO and zone_missing is not Tri.YES:
        against.append(f"the resolver {a.resolver} is a private address off this LAN")
    if against:
        return Tri.NO, "; ".join(dict.fromkeys(against))
    return Tri.YES, ""
