"""The vocabulary of what a run decided: evidence (tri-state facts with the results behind
them) per endpoint address, per internet target and for the run, and the values behind the
facts for messages. Built by wsdiag.evidence from the results (wsdiag.vocab.results); the
rules read it and nothing else. Frozen dataclasses, no I/O.

Apart from the results because the first packet needs the results' types and never these:
a check imports this module while the probes wait (wsdiag.run.AFTER_NETWORK)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from wsdiag.quality.facts import QualityFacts
from wsdiag.vocab import codec
from wsdiag.vocab.model import (
    DnsOutcome,
    Need,
    ProxyRoute,
    Transport,
    Tri,
    all_of,
    any_of,
)

Paths = tuple[tuple[Transport, int], ...]
ENDPOINT_PATHS: Paths = (
    (Transport.TCP, 443),
    (Transport.TCP, 4195),
    (Transport.QUIC, 443),
    (Transport.QUIC, 4195),
)


@dataclass(frozen=True)
class AddressEvidence:
    """One IPv4 address of the endpoint and its four paths. DNS rotates answers, so every
    address is some client's endpoint: each is judged on its own (issue 7)."""

    address: str
    tcp443: Tri
    tcp4195: Tri
    quic443: Tri
    quic4195: Tri
    answered: Tri = Tri.UNKNOWN  # any path answered (NO: every probe run definitely failed)
    probes: tuple[str, ...] = ()  # ids of the probes behind these facts
    # Not "": positive evidence that something else answers here (not TLS, or a certificate
    # naming only non-AWS hosts), why in one clause; such an address is not usable.
    other: str = ""
    os_answer: Tri = Tri.UNKNOWN  # in the OS's answer (getaddrinfo); UNKNOWN: not consulted
    dns_answer: Tri = Tri.UNKNOWN  # in the resolver's A/AAAA answer; UNKNOWN: none came

    def path(self, transport: Transport, port: int) -> Tri:
        """The fact for one of ENDPOINT_PATHS: TCP (with or without TLS) or QUIC, on 443 or
        4195. Raises KeyError for any other kind or port."""
        kind = "tcp" if transport.is_tcp else str(transport)
        return {
            ("tcp", 443): self.tcp443,
            ("tcp", 4195): self.tcp4195,
            ("quic", 443): self.quic443,
            ("quic", 4195): self.quic4195,
        }[(kind, port)]

    def missing(self) -> tuple[str, ...]:
        """The paths measured as failing, e.g. ("quic/443", "quic/4195")."""
        return tuple(f"{t}/{p}" for t, p in ENDPOINT_PATHS if self.path(t, p) is Tri.NO)


def usable(a: AddressEvidence) -> Tri:
    """DCV authenticates over a TCP WebSocket even when QUIC carries the data (DCV admin
    guide, "Disabling the QUIC UDP transport protocol"): no TCP, no session. Something
    else answering there (``a.other``) is not the endpoint: not usable."""
    return Tri.NO if a.other else any_of([a.tcp443, a.tcp4195])


def complete(a: AddressEvidence) -> Tri:
    """Both 4195 paths answer: every client, old or new, streams as designed."""
    return Tri.NO if a.other else all_of([a.tcp4195, a.quic4195])


@dataclass(frozen=True)
class TargetEvidence:
    """One internet (sign-in, registration, supporting) target as the client would use it."""

    id: str
    host: str
    need: Need
    usable: Tri  # TCP/TLS 443 answers (through the proxy where one applies)
    why: str = ""  # how it failed, for a person: "tls/443 refused by the proxy (HTTP 403)"
    quic: Tri = Tri.UNKNOWN  # UDP 443 (QUIC) answered; UNKNOWN also when not probed
    proxied: bool = False  # its TCP/TLS probes went (or would go) through the proxy
    proxy_refused: bool = False  # the proxy answered CONNECT with a refusal (403, 502 ...)
    proxy_down: tuple[str, ...] = ()  # probes that failed at the proxy itself
    proxy_down_why: str = ""  # "connection refused", "its name does not resolve" ...
    proxy_auth: tuple[str, ...] = ()  # probes the proxy answered with 407
    proxy_used: tuple[str, ...] = ()  # probes the proxy took part in (tunnel or silence)
    proxy_untested: tuple[str, ...] = ()  # probes skipped: a proxy wsdiag cannot speak
    # every TCP/TLS probe failed at the proxy (down, or asking for credentials)
    proxy_explains: bool = False
    probes: tuple[str, ...] = ()  # every result behind ``usable`` (its DNS included)
    dns: DnsOutcome | None = None  # its own A lookup's outcome (None: not asked, or proxied)


@dataclass(frozen=True)
class TlsValues:
    """The values behind the TLS facts, for messages (``wsdiag.evidence.tls``)."""

    other: tuple[tuple[str, str], ...] = ()  # (endpoint address, why something else answers)
    issuers: tuple[tuple[str, str], ...] = ()  # (endpoint address, issuer(s) it presented)
    shown: tuple[tuple[str, str], ...] = ()  # (endpoint address, "names issued by X")
    inspected: tuple[str, ...] = ()  # needed sign-in hosts whose chain ends in no public root
    inspected_by: tuple[str, ...] = ()  # the top issuers of those chains
    untrusted_needed: tuple[str, ...] = ()  # needed hosts the OS does not trust (clock aside)
    untrusted_other: tuple[str, ...] = ()  # the same for supporting hosts
    skew: str = ""  # "ahead" / "behind": the certificates' view of this machine's clock


@dataclass(frozen=True)
class NameDivergence:
    """One name the OS (getaddrinfo, what the client dials) resolves differently from the
    resolver wsdiag asked: the two answers and the reason read from the OS's configuration."""

    host: str
    target_id: str
    needed: bool  # the endpoint or a needed sign-in name
    os_outcome: DnsOutcome
    os_addresses: tuple[str, ...]
    dns_outcome: DnsOutcome | None  # the A lookup's
    dns_addresses: tuple[str, ...]  # A and AAAA answers
    reason: str  # wsdiag.host.resolvers.Divergence value
    detail: str  # one line: "the hosts file pins x to 10.0.0.5"
    ids: tuple[str, ...] = ()  # the OS and DNS result ids


@dataclass(frozen=True)
class DnsChain:
    """The values behind the resolver-chain facts (wsdiag.evidence.chain), for
    messages; never read as facts themselves. Servers as ``ServerAnswer.server``."""

    first: str = ""  # the server the OS asks first for the private name
    first_said: str = ""  # what it said: "SERVFAIL", "NXDOMAIN", "no answer" ...
    first_source: str = ""  # where the OS keeps it (resolv.conf, systemd-resolved eth0 ...)
    answered_by: str = ""  # a later server with the private answer
    slow_ms: float | None = None  # the private name's answer time, past --timeout
    dnssec_at: str = ""  # the validating server
    dnssec_local: bool = False  # ... on this machine (a local stub)
    dnssec_why: str = ""  # "extended DNS error 10 (RRSIGs Missing)" / the CD pair
    forwarder: str = ""  # the server whose forwarder for a2z.com does not answer
    plus2: str = ""  # a configured server that is a --vpc-cidr's base + 2
    plus2_cidr: str = ""
    zone_missing_at: str = ""  # a private resolver (not on this LAN) saying NXDOMAIN
    dns64_prefix: str = ""  # the NAT64 /96 (or other RFC 6052 length)
    synthesized: tuple[tuple[str, str], ...] = ()  # (IPv6 answer, the IPv4 it embeds)
    runs_in: str = "host"  # wsdiag.host.where.RunsIn value
    runs_in_why: str = ""
    home_why_not: str = ""  # what contradicts "home" (a private resolver, a tunnel ...)


@dataclass(frozen=True)
class Evidence:
    """Tri-state facts distilled from results; each with the result ids behind it
    (``basis``: fact name -> ids). Rules read this and nothing else."""

    dns_configured: Tri
    resolver_reachable: Tri
    endpoint_resolves: Tri  # has at least one IPv4 address
    endpoint_private: Tri  # every IPv4 address inside RFC 1918 / --vpc-cidr
    endpoint_reachable: Tri  # any address answers on any port/transport
    endpoint_all_addresses: Tri  # every address answers on something
    endpoint_quic: Tri  # QUIC answered on some address/port
    endpoint_tcp: Tri
    endpoint_4195: Tri  # 4195 answers (TCP or QUIC)
    endpoint_443: Tri
    auth_reachable: Tri  # every needed auth domain answers on TCP/TLS 443
    internet_reachable: Tri  # any auth domain (needed or expected) answers
    optional_reachable: Tri  # every expected domain answers
    beyond_443: Tri  # a health-check host answers on 4195
    no_route: Tri  # every failure was "no route"
    basis: dict[str, tuple[str, ...]] = field(default_factory=dict)
    endpoint_usable: Tri = Tri.UNKNOWN  # some address answers on TCP (DCV authenticates there)
    endpoint_complete: Tri = Tri.UNKNOWN  # every address answers TCP 4195 and QUIC 4195
    auth_quic: Tri = Tri.UNKNOWN  # the needed domains' UDP 443 (QUIC) answered
    # The values behind the facts, for messages; never read as facts themselves.
    endpoint_addresses: tuple[AddressEvidence, ...] = ()
    endpoint_host: str = ""  # the private name the endpoint facts describe
    endpoint_hosts: tuple[str, ...] = ()  # every private name planned
    endpoint_a: DnsOutcome | None = None  # its A lookup's outcome
    endpoint_a_detail: str = ""
    endpoint_v6: tuple[str, ...] = ()  # its AAAA answer
    endpoint_public: tuple[str, ...] = ()  # its IPv4 addresses outside the private ranges
    vpc_cidrs: tuple[str, ...] = ()  # the private ranges: --vpc-cidr, or () for RFC 1918
    endpoint_failures: tuple[str, ...] = ()  # distinct statuses of its failed probes
    endpoint_rtt_ms: float | None = None  # lowest TCP connect RTT to it
    resolvers: tuple[str, ...] = ()  # the nameservers asked
    targets: tuple[TargetEvidence, ...] = ()  # internet targets, planned and not skipped
    health_hosts: tuple[str, ...] = ()
    tls_untrusted: tuple[str, ...] = ()  # hosts whose certificate chain did not verify
    proxy: ProxyRoute = ProxyRoute()
    # TLS (issue 8 items 2, 3; wsdiag.evidence.tls): is it the endpoint at each address,
    # is sign-in TLS decrypted on the way, does the OS trust it, is the clock right.
    endpoint_other: Tri = Tri.UNKNOWN  # something else answers at some endpoint address
    endpoint_issuers_differ: Tri = Tri.UNKNOWN  # its addresses' certificates differ in issuer
    tls_inspected: Tri = Tri.UNKNOWN  # a needed sign-in chain ends in no public root
    tls_untrusted_needed: Tri = Tri.UNKNOWN  # the OS rejects a needed sign-in chain
    clock_skew: Tri = Tri.UNKNOWN  # the certificates seen say this machine's clock is off
    tls: TlsValues = TlsValues()
    # --- this machine (wsdiag.evidence.machine): routes, tunnels, MTU, the client -------
    tunnel_up: Tri = Tri.UNKNOWN  # a tunnel/VPN interface is up with a routable address
    endpoint_via_tunnel: Tri = Tri.UNKNOWN  # every endpoint address's route uses a tunnel
    resolver_on_link: Tri = Tri.UNKNOWN  # a resolver asked is inside a local subnet
    path_mtu_small: Tri = Tri.UNKNOWN  # QUIC's 1,200-byte DF datagrams cannot pass to it
    client_fallback_443: Tri = Tri.UNKNOWN  # the client here has the 443 fallback
    tunnels: tuple[str, ...] = ()  # the connected tunnels' interface names
    endpoint_routes: tuple[str, ...] = ()  # "10.0.1.5 via utun4 (VPN, MTU 1380)" per address
    on_link_resolver: str = ""  # "192.168.1.1 (en0)": the on-link resolver
    path_mtu: int | None = None  # the smallest MTU (bytes) known on an endpoint path
    client: str = ""  # "WorkSpaces 5.22.1 on Windows": the running client, when known
    # the internet path's route goes into a tunnel; a --vpc-cidr has a route of its own
    internet_via_tunnel: Tri = field(default=Tri.UNKNOWN, metadata=codec.known_only())
    vpc_routed: Tri = field(default=Tri.UNKNOWN, metadata=codec.known_only())
    inside_vpc: Tri = field(default=Tri.UNKNOWN, metadata=codec.known_only())  # an address in it
    vpc_routes: tuple[str, ...] = field(default=(), metadata=codec.dense())  # "10.0.0.2 via eth1"
    # a VPN/security agent's DNS proxy seen here (wsdiag.host.dns_agents), for messages
    agent: str = field(default="", metadata=codec.dense())  # its name
    agent_signs: tuple[str, ...] = field(default=(), metadata=codec.dense())  # "process x"
    agent_setting: str = field(default="", metadata=codec.dense())  # what it must include
    agent_answers: bool = field(default=False, metadata=codec.dense())  # its resolver asked
    # --- streaming through the http proxy (CONNECT <private name>:4195 / :443) ----------
    proxy_http: Tri = Tri.UNKNOWN  # an http:// proxy carries this run's 443 (mode PROXY)
    proxy_stream_4195: Tri = Tri.UNKNOWN  # CONNECT <private name>:4195 through it opened
    proxy_stream_443: Tri = Tri.UNKNOWN  # CONNECT <private name>:443 through it opened
    proxy_stream_refused: int | None = None  # the proxy's HTTP status refusing CONNECT :4195
    # (port, HTTP status) of every non-2xx answer to CONNECT <private name>:port, port order
    proxy_stream_answers: tuple[tuple[int, int], ...] = ()
    # --- the client's own paths (wsdiag.evidence.client_paths, wsdiag.clientpaths; issue 17) ---
    # where the client's DCV TCP stream goes behind the proxy: "proxy", "direct" or
    # "undocumented" (wsdiag.clientpaths.Route); "" where no proxy path was probed
    stream_tcp: str = ""
    # the endpoint's TCP facts here are the proxy's answers to CONNECT (its direct TCP probes
    # are not the client's path; wsdiag.evidence.client_paths.client_view)
    tcp_through_proxy: bool = False
    stream_client: str = ""  # "the Windows client 5.24.0": the table row's client, for messages
    stream_source: str = ""  # the row's source (FACTS tags), or what the live session showed
    # (an undocumented route is judged on two Evidences, one per route; whether their
    # verdicts differ is the rules' judgement: wsdiag.rules.verdict.diagnose_routes)
    # --- names as the OS resolves them (wsdiag.evidence.names) ---
    os_consulted: Tri = Tri.UNKNOWN  # NO: --nameserver given, getaddrinfo not asked
    # --nameserver given: every name was asked of those servers only, never of this
    # machine's own resolver, so the verdict is theirs (written only when known)
    nameserver_given: Tri = field(default=Tri.UNKNOWN, metadata=codec.known_only())
    nameservers_given: tuple[str, ...] = ()  # those servers, as given ("127.0.0.1:5353")
    name_divergences: tuple[NameDivergence, ...] = ()  # names the OS answers differently
    captive_portal: Tri = Tri.UNKNOWN  # unrelated names all resolve to one address
    captive_address: str = ""
    captive_hosts: tuple[str, ...] = ()
    endpoint_overlay: tuple[str, ...] = ()  # endpoint addresses in RFC 6598 shared space
    # --- who refused the endpoint's direct paths (wsdiag.check.refusals, issue 17) ---------
    # (firewall address, its refused paths "udp/443" ...), for messages; never a fact itself
    endpoint_refused_by: tuple[tuple[str, tuple[str, ...]], ...] = ()
    endpoint_all_refused: bool = False  # every failed direct endpoint path was refused so
    # endpoint IPv4 addresses past the fan-out cap, never probed (they keep the facts about
    # "every address" unknown); a value for messages, as the ones above
    endpoint_unprobed: int = 0
    # --- the resolver chain (wsdiag.evidence.chain, issue 16) ---
    servfail_first: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # the first server SERVFAILs the name, a later answers
    endpoint_dns_slow: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # the private name answered after --timeout
    dnssec_validation: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # DNSSEC validation fails the private name
    forwarder_silent: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # a server fails a2z.com (SOAs too), answers others
    resolver_vpc_plus2: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # a server is a --vpc-cidr's +2, failing the name
    zone_missing: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # NXDOMAIN from a private resolver off this LAN
    dns64: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # the private name's IPv6 answer is synthesized (RFC 6147)
    ipv6_only: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # this machine has a route for IPv6 only
    runs_in_wsl: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # inside WSL: not Windows' network
    home_evidence: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # positive evidence of a home network (see wsdiag.evidence.chain)
    dns_agent: Tri = field(
        default=Tri.UNKNOWN, metadata=codec.known_only()
    )  # a VPN/security agent's DNS proxy answers, the private name failing
    chain: DnsChain = DnsChain()
    # --- session quality (wsdiag.quality, issue 20): sampled RTT, jitter, loss; a score ---
    quality: QualityFacts | None = None  # None: a report from before this field
    region: str = ""  # the checked region's code, for messages (never a fact)
    # --- this machine's own firewall (wsdiag.evidence.route) ---
    # it refused some send (EPERM/EACCES): nothing left (written only when known)
    local_block: Tri = field(default=Tri.UNKNOWN, metadata=codec.known_only())
    local_blocked: tuple[str, ...] = ()  # the hosts whose sends it refused
    # The facts of evidence sources that have no field above (source name -> its facts
    # dataclass); rows read them by name through ``fact``.
    sources: Mapping[str, object] = field(default_factory=dict, metadata=codec.omit())

    def fact(self, name: str) -> object:
        """The fact (or value) ``name``: a field of this record, else a field of a source's
        facts. Raises AttributeError for a name nobody owns (a row's typo fails loudly)."""
        if name in _FIELDS:
            return getattr(self, name)
        for part in self.sources.values():
            if hasattr(part, name):
                return getattr(part, name)
        raise AttributeError(f"no evidence source has a fact {name!r}")


_FIELDS = frozenset(f.name for f in fields(Evidence))
