"""The vocabulary of this machine's side of a check: interfaces, the route of each tested
path, and the WorkSpaces client's process and live session. Pure data; ``wsdiag.host``
reads them from the OS."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from wsdiag.vocab import codec
from wsdiag.vocab.model import Tri


class IfKind(StrEnum):
    LOOPBACK = "loopback"
    TUNNEL = "tunnel"  # VPN/tunnel adapter: tun, wg, ppp, ipsec, utun, vendor VPN adapters
    PHYSICAL = "physical"  # anything else: Ethernet, Wi-Fi, bridges, virtual switches
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Interface:
    """One network interface as the OS reports it.

    ``addresses`` are "address/prefixlen" strings (IPv6 without the "%scope"); ``mtu`` in
    bytes; ``up`` and ``point_to_point`` are None where the OS did not say.
    """

    name: str
    kind: IfKind
    up: bool | None = None
    addresses: tuple[str, ...] = ()
    mtu: int | None = None
    point_to_point: bool | None = field(default=None, metadata=codec.dense())
    # Windows adapter description; None elsewhere
    description: str | None = field(default=None, metadata=codec.dense())


@dataclass(frozen=True)
class RouteFact:
    """How this machine would send to ``destination``; found without sending a packet.

    ``interface`` is None and ``reason`` says why where the OS gave no answer ("no route to
    host" is itself a fact: a VPN whose route list misses the destination often shows it).
    """

    destination: str
    local_addr: str | None = field(metadata=codec.dense())
    interface: str | None
    is_tunnel: Tri = field(metadata=codec.key("tunnel"))
    mtu: int | None = field(default=None, metadata=codec.dense())
    reason: str = field(default="", metadata=codec.dense())


@dataclass(frozen=True)
class HostFacts:
    """Interfaces plus the route of each destination asked about (keyed by destination)."""

    system: str
    interfaces: tuple[Interface, ...]
    routes: Mapping[str, RouteFact] = field(default_factory=dict)
    problem: str = ""  # why the interface list is missing or partial ("" when complete)

    def interface(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name == name), None)

    def tunnels_carrying_routes(self) -> tuple[str, ...]:
        """Tunnel interfaces that at least one asked-about destination uses."""
        used = (r.interface for r in self.routes.values() if r.is_tunnel is Tri.YES)
        return tuple(dict.fromkeys(n for n in used if n))


def carries_traffic(iface: Interface) -> bool:
    """Pure: whether an interface has an address a route could use (not only link-local).

    macOS's system utun0-utun3 carry only fe80:: addresses; a VPN's utun has a routable one.
    """
    for text in iface.addresses:
        addr = ipaddress.ip_interface(text).ip
        if not (addr.is_link_local or addr.is_loopback):
            return True
    return False


def active_tunnels(interfaces: Iterable[Interface]) -> tuple[Interface, ...]:
    """Pure: tunnels that are up and hold a routable address (a VPN that is connected)."""
    return tuple(
        i
        for i in interfaces
        if i.kind is IfKind.TUNNEL and i.up is not False and carries_traffic(i)
    )


class Confidence(StrEnum):
    CONFIRMED = "confirmed"  # the name appears in AWS documentation
    ASSUMED = "assumed"  # inferred (app bundle name, third-party logs); not seen here


class PeerKind(StrEnum):
    ENDPOINT = "endpoint"  # one of the given endpoint addresses
    PROXY = "proxy"  # the configured proxy
    PUBLIC = "public"
    PRIVATE = "private"  # RFC 1918, RFC 6598, ULA ... but not an endpoint address
    LOOPBACK = "loopback"
    UNKNOWN = "unknown"  # the OS did not give the peer


@dataclass(frozen=True)
class SessionPeer:
    """One socket of a client process. ``remote_addr`` None: the OS did not say."""

    pid: int = field(metadata=codec.omit())  # not in the report: it names nothing there
    protocol: str  # "tcp" | "udp"
    remote_addr: str | None
    remote_port: int | None
    kind: PeerKind
    status: str = ""  # psutil's TCP state ("ESTABLISHED"); "" for UDP

    def sentence(self) -> str:
        """E.g. "TCP to 10.20.1.10:4195 (an endpoint address)"."""
        proto = self.protocol.upper()
        if self.remote_addr is None:
            return f"{proto} socket, peer unknown (this OS does not give it)"
        host = f"[{self.remote_addr}]" if ":" in self.remote_addr else self.remote_addr
        return f"{proto} to {host}:{self.remote_port} ({_KIND_WORDS[self.kind]})"


_KIND_WORDS = {
    PeerKind.ENDPOINT: "an endpoint address",
    PeerKind.PROXY: "through the proxy",
    PeerKind.PUBLIC: "a public address: this session was opened before the directory used "
    "the endpoint, or it streams over the internet",
    PeerKind.PRIVATE: "a private address that is not an endpoint address",
    PeerKind.LOOPBACK: "this machine",
    PeerKind.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class ClientProcess:
    pid: int
    name: str
    confidence: Confidence
    version: str | None = None  # from the app bundle (macOS); None where not readable


@dataclass(frozen=True)
class ClientSession:
    """``running`` is UNKNOWN when the process list could not be read; ``peers`` are the
    live sockets of the client processes; ``problem`` says what the OS withheld."""

    running: Tri
    processes: tuple[ClientProcess, ...] = ()
    peers: tuple[SessionPeer, ...] = ()
    problem: str = ""

    def live(self) -> tuple[SessionPeer, ...]:
        """Peers that are streaming candidates: not loopback (local helper sockets)."""
        return tuple(p for p in self.peers if p.kind is not PeerKind.LOOPBACK)

    def sentences(self) -> list[str]:
        """Report lines: "live session: TCP to 10.20.1.10:4195 (an endpoint address)"."""
        if self.running is Tri.UNKNOWN:
            return [f"client: unknown ({self.problem or 'the process list was not readable'})"]
        if self.running is Tri.NO:
            return ["client: not running"]
        lines = [f"live session: {p.sentence()}" for p in self.live()]
        if self.problem:
            lines.append(f"live session: unknown for some sockets ({self.problem})")
        return lines or ["client running, no live session"]


@dataclass(frozen=True)
class PathFact:
    """One destination this run tested and the way the OS sends to it."""

    role: str  # "resolver" | "endpoint" | "internet" | "vpc" (an address in a --vpc-cidr)
    destination: str  # an IP address
    route: RouteFact
    text: str  # "via utun4 (VPN, MTU 1380)" (``interfaces.describe``)


@dataclass(frozen=True)
class HostPaths:
    """Interfaces, the route of each tested path, and the WorkSpaces client on this machine.
    ``session`` None: not looked at; ``client_version`` from the process or the logs."""

    facts: HostFacts
    paths: tuple[PathFact, ...] = ()
    session: ClientSession | None = None
    client_version: str | None = None
    # the DNS agents' processes running here (wsdiag.host.dns_agents; no other name kept)
    agent_processes: tuple[str, ...] = ()

    def of(self, role: str) -> tuple[PathFact, ...]:
        return tuple(p for p in self.paths if p.role == role)

    def tunnels(self) -> tuple[str, ...]:
        """Connected tunnels (up, with a routable address): a VPN that is connected."""
        return tuple(i.name for i in active_tunnels(self.facts.interfaces))

    def summary(self) -> str:
        """ "endpoint via utun4 (VPN, MTU 1380); internet and resolver 10.0.0.2 via en0":
        paths that leave the same way are named together; endpoint addresses are named one
        by one only where they differ."""
        labels: dict[str, list[str]] = {}
        for role in ("endpoint", "internet", "resolver"):
            mine = self.of(role)
            if len({p.text for p in mine}) == 1 and role != "resolver":
                labels.setdefault(mine[0].text, []).append(role)
                continue
            for p in mine:
                labels.setdefault(p.text, []).append(f"{role} {p.destination}")
        return "; ".join(f"{_and(names)} {text}" for text, names in labels.items())

    def sentences(self) -> list[str]:
        """The report's lines about this machine: paths, tunnels, the client."""
        lines = [self.summary()] if self.paths else []
        if self.facts.problem:
            lines.append(f"interfaces: {self.facts.problem}")
        tunnels = self.tunnels()
        lines.append(
            f"VPN connected: {', '.join(tunnels)}"
            if tunnels
            else "no VPN (tunnel interface) connected"
        )
        if self.session is not None:
            version = f" (version {self.client_version})" if self.client_version else ""
            said = self.session.sentences()
            if self.session.running is Tri.YES and version:
                said = [f"client running{version}", *said]
            lines += said
        return lines


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
