"""What the simulated world contains: which names exist, at which addresses, serving what.

The names come from wsdiag's own plan, so the lab follows the catalog instead of copying it:
a target added to the catalog gets a DNS record and a real server here without a lab change.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from wsdiag.check.catalog import load_catalog
from wsdiag.check.plan import make_plan
from wsdiag.vocab.model import Inputs, Role, Transport

# --- addressing ------------------------------------------------------------------------
# Only private space (the VPC, the office LAN, the transit links) and the documentation
# ranges (the "internet"). Nothing here can be routed off the machine, and no namespace
# has a route out of it anyway.

CLIENT_ADDR = "10.30.0.2"  # the user's laptop on the office LAN
CLIENT_GW = "10.30.0.1"  # the router's LAN side
CLIENT_PREFIX = 24
RTR_VPC = ("10.99.1.1", "10.99.1.2")  # transit router <-> VPC, /30
RTR_NET = ("10.99.2.1", "10.99.2.2")  # transit router <-> internet, /30
TRANSIT_PREFIX = 30

VPC_CIDR = "10.20.0.0/16"
VPC_RESOLVER = "10.20.0.2"  # where Route 53 Resolver sits in a real VPC: base + 2
# One address per endpoint ENI (two subnets, two AZs), as a real interface endpoint has.
ENDPOINT_ADDRS = ("10.20.1.10", "10.20.2.10")

# The endpoint through a zero-trust overlay: RFC 6598 shared space, routed to the VPC side,
# answered by the overlay client's resolver (issue 8).
OVERLAY_CIDR = "100.64.0.0/10"
OVERLAY_ADDRS = ("100.64.1.10", "100.64.2.10")
OVERLAY_RESOLVER = "10.20.0.3"
# An endpoint whose DNS record type is IPv6 (AWS allows IPv4 or IPv6): AAAA only, from this
# resolver; the client, router and VPC have IPv6 (ULA) on their links, the internet has none.
V6_RESOLVER = "10.20.0.4"
CLIENT_ADDR6, CLIENT_GW6 = "fd00:30::2", "fd00:30::1"
RTR_VPC6 = ("fd00:99:1::1", "fd00:99:1::2")
VPC_CIDR6 = "fd00:20::/32"
ENDPOINT_ADDRS6 = ("fd00:20:1::10", "fd00:20:2::10")

# The resolver chain (issue 16): scripted resolvers in the VPC's range standing for a
# company's DNS servers (tests.support.dnsserver run as a process), a validating local stub
# (unbound on the client's 127.0.0.53) and a DNS64 resolver (unbound on the router's LAN
# side) with a NAT64 (tayga, router) under a network-specific /96 (RFC 6052 section 3.1).
SERVFAIL_RESOLVER = "10.20.0.10"  # SERVFAIL for every a2z.com name at once; others answer
SLOW_RESOLVER = "10.20.0.11"  # a conditional forwarder: the private name after 3 s
DEAD_FORWARDER_RESOLVER = "10.20.0.12"  # its forwarder for a2z.com never answers
HUB_RESOLVER = "10.20.0.13"  # a hub's inbound endpoint without the private zone: NXDOMAIN
SLOW_SECONDS = 3.0
STUB_RESOLVER = "127.0.0.53"  # on the client: unbound validating DNSSEC
NAT64_PREFIX = "fd00:64::/96"
NAT64_POOL = "10.99.64.0/24"  # the IPv4 sources the endpoint sees through the NAT64
NAT64_ADDR = "10.99.64.1"
IPV4ONLY = (("ipv4only.arpa", "192.0.0.170"), ("ipv4only.arpa", "192.0.0.171"))  # RFC 7050

INTERNET_CIDRS = ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")
AUTH_NET = "203.0.113.0/24"  # one address per auth/service host, from .10 up
HEALTH_NET = "198.51.100.0/24"  # one address per health-check host, from .10 up
HOME_RESOLVER = "192.0.2.53"  # a home ISP's resolver: private name is NXDOMAIN
HOME_PUBLIC_RESOLVER = "192.0.2.54"  # same, but answers the private name publicly
PUBLIC_ANSWER = "203.0.113.250"  # what HOME_PUBLIC_RESOLVER returns; nothing listens there

ENDPOINT_PORTS = (443, 4195)
AUTH_PORT = 443
HEALTH_PORT = 4195


@dataclass(frozen=True)
class LabHost:
    name: str
    role: Role
    addresses: tuple[str, ...]
    # (kind, port) with kind "tls" | "tcp" | "quic", as tests.support.servers understands it
    listeners: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class World:
    regions: tuple[str, ...]
    hosts: tuple[LabHost, ...]

    def by_role(self, role: Role) -> tuple[LabHost, ...]:
        return tuple(h for h in self.hosts if h.role is role)

    def endpoint_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.by_role(Role.ENDPOINT))

    def internet_addresses(self) -> tuple[str, ...]:
        return tuple(a for h in self.hosts if h.role is not Role.ENDPOINT for a in h.addresses)


def _baseline(role: Role) -> set[tuple[str, int]]:
    # What the real hosts serve, whatever the catalog probes: a lab that served only what
    # wsdiag asks for could not catch wsdiag asking for the wrong thing.
    if role is Role.ENDPOINT:
        return {(k, p) for p in ENDPOINT_PORTS for k in ("tls", "quic")}
    if role is Role.AUTH:
        return {("tls", AUTH_PORT), ("quic", AUTH_PORT)}
    return {("tcp", HEALTH_PORT), ("quic", HEALTH_PORT)}


def _listener_kind(role: Role, transport: Transport) -> str:
    if transport is Transport.QUIC:
        return "quic"
    # A TLS listener also accepts a bare TCP connect; the health-check hosts are not TLS.
    return "tcp" if role is Role.HEALTH and transport is Transport.TCP else "tls"


def build_world(regions: Iterable[str]) -> World:
    regions = tuple(dict.fromkeys(regions))
    catalog = load_catalog()
    listeners: dict[str, set[tuple[str, int]]] = {}
    roles: dict[str, Role] = {}
    for region in regions:
        plan = make_plan(catalog, Inputs(region=region))
        for planned in plan.targets:
            if planned.skip_reason is not None:
                continue
            role = planned.target.role
            seen = roles.setdefault(planned.host, role)
            if seen is not role:
                raise ValueError(f"{planned.host} is both {seen} and {role} in the catalog")
            wanted = listeners.setdefault(planned.host, _baseline(role))
            wanted.update(
                (_listener_kind(role, c.transport), c.port) for c in planned.target.checks
            )
    auth_pool = iter(ipaddress.IPv4Network(AUTH_NET).hosts())
    health_pool = iter(ipaddress.IPv4Network(HEALTH_NET).hosts())
    hosts = []
    for name in sorted(roles, key=lambda n: (list(Role).index(roles[n]), n)):
        role = roles[name]
        addrs: tuple[str, ...]
        if role is Role.ENDPOINT:
            addrs = ENDPOINT_ADDRS
        else:
            pool = auth_pool if role is Role.AUTH else health_pool
            addrs = (str(_next_from(pool, 10)),)
        hosts.append(LabHost(name, role, addrs, tuple(sorted(listeners[name]))))
    return World(regions=regions, hosts=tuple(hosts))


def _next_from(pool: Iterator[ipaddress.IPv4Address], first_host: int) -> ipaddress.IPv4Address:
    for addr in pool:
        if int(addr) & 0xFF >= first_host and str(addr) != PUBLIC_ANSWER:
            return addr
    raise ValueError("lab address pool exhausted")
