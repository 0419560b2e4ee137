"""VPN and security agents that run their own DNS proxy: how to recognise each, and what
its setting must include for the WorkSpaces private name. A sourced table; pure matching.

Such an agent answers the OS's queries itself (a local resolver address, a virtual
interface), and sends names it is not told about to its own (public) resolvers: the
private name then gets the public answer or NXDOMAIN, while the VPN is up.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class DnsAgent:
    name: str
    interfaces: tuple[str, ...]  # fnmatch patterns of its virtual interfaces
    resolvers: tuple[str, ...]  # the local/virtual resolver addresses it answers on
    processes: tuple[str, ...]  # process names, lower case
    setting: str  # what must include the private name's domain
    source: str


AGENTS: tuple[DnsAgent, ...] = (
    DnsAgent(
        "Cloudflare WARP",
        ("CloudflareWARP", "utun*"),
        ("127.0.2.2", "127.0.2.3", "172.64.36.1", "172.64.36.2"),
        ("warp-svc", "cloudflare warp", "warp-svc.exe"),
        "Zero Trust > Settings > WARP Client > Local Domain Fallback: add a2z.com with the "
        "VPC's resolver (a Route 53 Resolver inbound endpoint)",
        "Cloudflare Zero Trust docs, 'Local Domain Fallback'; WARP's DNS proxy listens on "
        "127.0.2.2/127.0.2.3 and 172.64.36.1/.2",
    ),
    DnsAgent(
        "Zscaler Client Connector",
        ("zcctun*", "utun*"),
        ("100.64.0.1",),
        ("zsatunnel", "zscaler", "zsatunnel.exe", "zsaservice.exe"),
        "ZPA application segment (or the Client Connector's DNS inclusion list) must cover "
        "*.a2z.com, or a2z.com must be excluded so the VPN's resolver answers it",
        "Zscaler help, 'About Client Connector DNS' / ZPA 'DNS Search Domains'; synthetic "
        "answers in 100.64.0.0/10 (FACTS section 10)",
    ),
    DnsAgent(
        "Netskope Client",
        ("nsTunnel*", "utun*"),
        (),
        ("stagentsvc", "netskope", "stagentsvc.exe", "stagentui.exe"),
        "the steering configuration's DNS settings must exempt a2z.com (or send it to the "
        "VPC's resolver)",
        "Netskope docs, 'Steering Configuration: DNS traffic'",
    ),
    DnsAgent(
        "Tailscale MagicDNS",
        ("tailscale*", "utun*"),
        ("100.100.100.100",),
        ("tailscaled", "tailscale-ipn", "tailscaled.exe", "tailscale-ipn.exe"),
        "Tailscale admin console > DNS: a split-DNS nameserver for a2z.com (the VPC's inbound "
        "endpoint), or MagicDNS off for this device",
        "Tailscale docs, 'MagicDNS' (resolver 100.100.100.100) and 'Split DNS'",
    ),
)


@dataclass(frozen=True)
class AgentSeen:
    agent: DnsAgent
    signs: tuple[str, ...]  # "resolver 100.100.100.100", "process tailscaled"


def local_signs(signs: Iterable[str]) -> tuple[str, ...]:
    """The signs that the agent itself is on this machine: its process or its own interface
    (``AgentSeen.signs``); a resolver address alone says only where DNS was answered (one
    given with --nameserver, or a server elsewhere that shares the agent's address)."""
    return tuple(x for x in signs if not x.startswith("resolver "))


def resolver_signs(signs: Iterable[str]) -> tuple[str, ...]:
    """The agent's resolver addresses among the signs ("127.0.2.2")."""
    return tuple(x.removeprefix("resolver ") for x in signs if x.startswith("resolver "))


# Every agent's process names (lower case): what the process scan keeps, and nothing else
# (the full process list is not the report's business).
AGENT_PROCESSES = frozenset(p for agent in AGENTS for p in agent.processes)


def agent_processes(names: Iterable[str]) -> tuple[str, ...]:
    """Pure: the names (lower case, first seen first) of ``names`` that are a DNS agent's
    process; every other process name is dropped here."""
    return tuple(dict.fromkeys(n.lower() for n in names if n and n.lower() in AGENT_PROCESSES))


def agents_seen(
    resolvers: Iterable[str], processes: Iterable[str], interfaces: Iterable[str] = ()
) -> tuple[AgentSeen, ...]:
    """The agents whose resolver address or process is here (an interface name alone is
    not enough: ``utun*`` belongs to every macOS VPN). Pure."""
    servers = set(resolvers)
    running = {p.lower() for p in processes}
    links = list(interfaces)
    out = []
    for agent in AGENTS:
        signs = [f"resolver {r}" for r in agent.resolvers if r in servers]
        signs += [f"process {p}" for p in agent.processes if p in running]
        if not signs:
            continue
        # utun* is every macOS VPN's: only an agent's own interface names count as a sign
        own = [pat for pat in agent.interfaces if not pat.startswith("utun")]
        signs += [f"interface {i}" for i in links if any(fnmatch.fnmatch(i, p) for p in own)]
        out.append(AgentSeen(agent, tuple(dict.fromkeys(signs))))
    return tuple(out)
