"""The vocabulary every layer speaks: plain frozen dataclasses and enums, no I/O.

Everything that crosses a module boundary (catalog -> plan -> runner -> evidence ->
classify -> report) is one of these types, so each layer can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the logs package builds on this vocabulary; a type-only reference back
    from wsdiag.logs.context import ClientLogs

from wsdiag.budgets import DEFAULT_TIMEOUT


class Role(StrEnum):
    """What a catalog target is for."""

    ENDPOINT = "endpoint"  # the private streaming endpoint (PrivateLink)
    AUTH = "auth"  # registration / authentication / service domains on the internet
    HEALTH = "health"  # public health-check (DRP) hosts: egress beyond 443


class Need(StrEnum):
    """How much the verdict depends on a target."""

    NEEDED = "needed"  # failure blocks streaming
    EXPECTED = "expected"  # failure degrades (updates, metrics, captcha ...)
    INFORMATIONAL = "informational"  # reported, never changes the verdict


class Transport(StrEnum):
    """A probe kind. What each kind is (TCP-based, authenticates ...) is registered once, in
    ``wsdiag.probes.registry``; rules ask these properties, never "not QUIC means TCP"."""

    TCP = "tcp"  # TCP connect only
    TLS = "tls"  # TCP connect + TLS handshake with SNI = host
    QUIC = "quic"  # QUIC Initial; any valid QUIC reply proves the UDP path

    @property
    def is_tcp(self) -> bool:
        """Runs over TCP (so an HTTP proxy can carry it, and DCV can authenticate on it)."""
        from wsdiag.probes.registry import kind

        return kind(self).over_tcp

    @property
    def authenticates(self) -> bool:
        """Proves the peer's identity (a TLS handshake whose certificate chain is checked)."""
        from wsdiag.probes.registry import kind

        return kind(self).authenticates


class Phase(StrEnum):
    """Where a probe stopped. The values are the report's strings (``probes[].phase``)."""

    NONE = ""  # not run (skipped)
    RESOLVE = "resolve"
    CONNECT = "connect"  # TCP connect, or a UDP socket's send
    TLS = "tls"  # TLS handshake over TCP (direct or through the proxy's tunnel)
    HANDSHAKE = "handshake"  # QUIC handshake
    DEADLINE = "deadline"  # the run deadline cut the probe short
    INTERNAL = "internal"  # a bug in a probe: never evidence either way
    PROXY_RESOLVE = "proxy-resolve"  # the proxy's own name did not resolve
    PROXY_CONNECT = "proxy-connect"  # the proxy itself did not accept a connection
    PROXY = "proxy"  # the proxy's answer to CONNECT (or the tunnel, for a bare TCP probe)


class Status(StrEnum):
    """Outcome of one probe. Only OPEN is evidence that a path works."""

    OPEN = "open"
    REFUSED = "refused"  # TCP RST, ICMP port unreachable
    FILTERED = "filtered"  # silence until the timeout
    UNREACHABLE = "unreachable"  # no route, net or host unreachable
    ERROR = "error"  # anything else, including the run deadline cutting a probe short
    SKIPPED = "skipped"  # not run, with a reason


class Via(StrEnum):
    """Which way a probe went (or, skipped, would have gone)."""

    DIRECT = "direct"
    PROXY = "proxy"  # HTTP CONNECT through the machine's HTTPS proxy


class ProxyMode(StrEnum):
    """How wsdiag treated the machine's HTTPS proxy setting in this run."""

    NONE = "none"  # no HTTPS proxy configured: everything direct
    PROXY = "proxy"  # an http:// proxy: 443 to the sign-in domains goes through it
    UNTESTED = "untested"  # a proxy wsdiag cannot speak (socks, https://): those paths not tested
    DISABLED = "disabled"  # --no-proxy: everything direct, whatever is configured


class DnsOutcome(StrEnum):
    ANSWER = "answer"
    NXDOMAIN = "nxdomain"
    NO_ANSWER = "no-answer"  # the name exists, no record of this type (NODATA)
    SERVFAIL = "servfail"
    REFUSED = "refused"  # the resolver refused the query
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # the resolver's host/port answered with ICMP unreachable
    NO_ROUTE = "no-route"  # the resolver could not even be sent to
    NOT_CONFIGURED = "not-configured"  # no system resolver configuration at all
    ERROR = "error"
    SKIPPED = "skipped"


class Tri(StrEnum):
    """A fact is yes, no, or unknown. 'Not checked' is never 'no'."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    @staticmethod
    def of(value: bool | None) -> Tri:
        if value is None:
            return Tri.UNKNOWN
        return Tri.YES if value else Tri.NO


class Environment(StrEnum):
    CLOSED = "closed"
    MINIMAL_EGRESS = "minimal-egress"
    OPEN_EGRESS = "open-egress"
    HOME = "home"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class Verdict(StrEnum):
    READY = "ready"
    DEGRADED = "degraded"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"

    @property
    def exit_code(self) -> int:
        # Monitoring-plugin convention: OK, WARNING, CRITICAL, UNKNOWN.
        return {"ready": 0, "degraded": 1, "blocked": 2, "unknown": 3}[self.value]


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Owner(StrEnum):
    """Who must act on a finding: the report groups its advice by this."""

    USER = "user"  # the person at the keyboard: connect the VPN, log in to the Wi-Fi portal
    DESKTOP = "desktop"  # this machine's settings: proxy, hosts file, client version
    NETWORK = "network"  # firewall, proxy, DNS forwarding, routes, MTU
    AWS = "aws"  # endpoint security group, private DNS, directory association


class Account(StrEnum):
    """The kind of account wsdiag ran as: management agents run it as SYSTEM or root."""

    SYSTEM = "system"  # Windows LocalSystem (Intune, SSM, most RMM agents)
    ROOT = "root"  # uid 0 on Linux/macOS (cron, Jamf, SSM)
    USER = "user"  # an ordinary account, usually the person at the keyboard
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class HostIdentity:
    """Which machine a report comes from and whose view of it wsdiag used.

    Raw facts: names here are NOT redacted; renderers redact them (wsdiag.render.redact).
    """

    name: str | None = None  # the host name (socket.gethostname())
    os: str = ""  # platform.system(): Windows | Darwin | Linux
    os_version: str = ""  # e.g. "Windows 10.0.22631", "macOS 14.5", "Ubuntu 24.04.1 LTS"
    tool_version: str = ""
    account: Account = Account.UNKNOWN
    user: str | None = None  # the account's name
    time: str = ""  # ISO 8601 UTC, when the facts were collected
    logs_user: str | None = None  # whose client logs were read (None: this account's own)
    logs_read: bool = False  # False: no client logs were found/read
    proxy_view: str = "own"  # own | machine (WinHTTP) | user: whose proxy setting was used
    proxy_user: str | None = None  # proxy_view "user": whose


# --- catalog ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One transport/port pair to try against a target."""

    transport: Transport
    port: int

    def __str__(self) -> str:
        return f"{self.transport}/{self.port}"


@dataclass(frozen=True)
class Target:
    """A catalog entry. ``host`` may hold ``{region}``, ``{airport}``, ``{directory_id}``."""

    id: str
    host: str
    role: Role
    need: Need
    checks: tuple[Check, ...]
    purpose: str = ""
    requires: str | None = None  # "directory_id": only planned when that input is given
    all_addresses: bool = False  # probe every resolved IPv4 address (the endpoint), else the first


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    airport: str | None  # health-check host code, e.g. "dub"
    airport_borrowed: bool = False  # no own health-check host; this is the nearest region's


@dataclass(frozen=True)
class Catalog:
    regions: dict[str, Region]
    targets: tuple[Target, ...]
    quic_alpn: tuple[str, ...] = ("h3",)
    sources: tuple[str, ...] = ()  # files it was loaded from, for error messages and reports


@dataclass(frozen=True)
class ProxyRoute:
    """The machine's HTTPS proxy as this run uses it. Never holds credentials: ``url`` is
    redacted, and wsdiag does not send them (the WorkSpaces client cannot either)."""

    mode: ProxyMode = ProxyMode.NONE
    url: str | None = None  # as configured, credentials replaced by "***"
    host: str | None = None  # the proxy's host name or IP (mode PROXY)
    port: int | None = None
    source: str | None = None  # "environment" | "system" (registry, SystemConfiguration)
    bypassed: tuple[str, ...] = ()  # planned hosts the bypass list (no_proxy ...) exempts
    reason: str = ""  # mode UNTESTED: why

    def routes(self, role: Role, host: str, transport: Transport) -> bool:
        """Does a probe of this kind go through the proxy (or would, if it were tested)?

        Only TCP/TLS to the internet (auth) targets: the client sends its 443 API and
        sign-in traffic through the OS proxy, but never UDP, and streaming to the private
        endpoint is direct (a proxied PrivateLink path needs private DNS disabled)."""
        return (self.mode in (ProxyMode.PROXY, ProxyMode.UNTESTED) and role is Role.AUTH
                and transport.is_tcp and host not in self.bypassed)


# --- plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """Everything the user (or the environment, or the client's logs) told us."""

    region: str
    endpoint_hosts: tuple[str, ...] = ()  # --endpoint-host: replaces the catalog's private name
    log_endpoint_hosts: tuple[str, ...] = ()  # private names the client's logs were offered
    directory_id: str | None = None
    vpc_cidrs: tuple[str, ...] = ()
    nameservers: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    deadline: float | None = None  # whole run; None -> derived from timeout
    use_proxy: bool = True  # False: --no-proxy, probe the sign-in domains directly


@dataclass(frozen=True)
class DnsSpec:
    """One DNS lookup the plan asks for: ``rdtype`` of ``host``, within ``timeout`` seconds."""

    id: str  # e.g. "endpoint/dns/A"
    target_id: str
    host: str
    rdtype: str  # "A" | "AAAA"
    timeout: float  # seconds; the lookup's whole life, retransmissions and servers included


@dataclass(frozen=True)
class ProbeSpec:
    """One probe the plan asks for, fully decided: the runner only runs it (or, with a
    ``skip_reason``, records it as skipped). Direct probes to a name get their ``address``
    from its DNS answer (``wsdiag.check.plan.expand``); probes through the proxy have none."""

    id: str  # e.g. "endpoint/quic/4195@10.0.1.5" or "ws-broker/tls/443"
    target_id: str
    host: str
    role: Role
    need: Need
    transport: Transport
    port: int
    address: str | None = None
    via: Via = Via.DIRECT
    timeout: float = DEFAULT_TIMEOUT  # seconds; the runner gives min(this, time left)
    skip_reason: str | None = None

    def result(self) -> ProbeResult:
        """The result before the probe runs: an error until the probe says otherwise, or
        skipped with the reason."""
        skipped = self.skip_reason is not None
        return ProbeResult(
            id=self.id, target_id=self.target_id, host=self.host, address=self.address,
            transport=self.transport, port=self.port,
            status=Status.SKIPPED if skipped else Status.ERROR,
            detail=self.skip_reason or "", via=self.via,
        )


@dataclass(frozen=True)
class PlannedTarget:
    """A catalog target with its host name filled in, or a reason why it is not probed.

    ``dns`` and ``probes`` are what runs for it: ``probes`` holds what is known before DNS
    answers (skipped checks, checks through the proxy); ``after_dns`` the direct checks that
    ``expand`` turns into one probe per address once the A lookup answers."""

    target: Target
    host: str
    skip_reason: str | None = None
    dns: tuple[DnsSpec, ...] = ()
    probes: tuple[ProbeSpec, ...] = ()
    after_dns: tuple[Check, ...] = ()


@dataclass(frozen=True)
class Plan:
    region: Region
    targets: tuple[PlannedTarget, ...]
    timeout: float
    deadline: float
    vpc_cidrs: tuple[str, ...]
    nameservers: tuple[str, ...]
    quic_alpn: tuple[str, ...]
    proxy: ProxyRoute = ProxyRoute()  # decided before planning (an input of make_plan)


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DnsResult:
    id: str  # e.g. "endpoint/dns/A"
    target_id: str
    host: str
    rdtype: str  # "A" | "AAAA"
    outcome: DnsOutcome
    addresses: tuple[str, ...] = ()
    resolver: str | None = None  # the nameserver that answered (or was tried)
    detail: str = ""
    ms: float | None = None
    # configured servers that sent nothing back before another one answered (in the
    # configured order): the OS resolver would wait on each before trying the next
    dead_servers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProbeResult:
    id: str  # e.g. "endpoint/quic/4195@10.0.1.5" or "ws-broker/tls/443"
    target_id: str
    host: str
    address: str | None
    transport: Transport
    port: int
    status: Status
    phase: Phase = Phase.NONE  # where it stopped
    errno: int | None = None
    quic_error: int | None = None  # peer's CONNECTION_CLOSE code, when that is what we saw
    detail: str = ""
    ms: float | None = None  # connect RTT / handshake time
    tls_trusted: bool | None = None  # TLS only: did the chain verify against the system store
    alpn: str | None = None
    datagrams_rx: int | None = None  # QUIC only
    via: Via = Via.DIRECT
    proxy_status: int | None = None  # the proxy's HTTP status for CONNECT, when it answered


@dataclass(frozen=True)
class Finding:
    code: str  # stable, SCREAMING_SNAKE; documented in the README
    severity: Severity
    message: str  # one plain sentence for a person
    remediation: str = ""  # the admin step that fixes it
    probes: tuple[str, ...] = ()  # ids of the probe/DNS results behind it
    rule: str = ""  # classification rule that produced it
    owner: Owner | None = None  # who acts; None only for findings not yet given one
    # fact -> ids of the probe/DNS results behind it: why this finding, traceable in the JSON
    basis: tuple[tuple[str, tuple[str, ...]], ...] = ()


Paths = tuple[tuple[Transport, int], ...]
ENDPOINT_PATHS: Paths = ((Transport.TCP, 443), (Transport.TCP, 4195),
                         (Transport.QUIC, 443), (Transport.QUIC, 4195))


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

    def path(self, transport: Transport, port: int) -> Tri:
        tcp = transport is not Transport.QUIC
        return {(True, 443): self.tcp443, (True, 4195): self.tcp4195,
                (False, 443): self.quic443, (False, 4195): self.quic4195}[(tcp, port)]

    def missing(self) -> tuple[str, ...]:
        """The paths measured as failing, e.g. ("quic/443", "quic/4195")."""
        return tuple(f"{t}/{p}" for t, p in ENDPOINT_PATHS if self.path(t, p) is Tri.NO)


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
    # endpoint IPv4 addresses past the fan-out cap, never probed (they keep the facts about
    # "every address" unknown); a value for messages, as the ones above
    endpoint_unprobed: int = 0


@dataclass(frozen=True)
class Diagnosis:
    environment: Environment
    verdict: Verdict
    findings: tuple[Finding, ...]
    rule: str  # which environment rule fired


@dataclass(frozen=True)
class Report:
    schema: str
    tool_version: str
    region: str
    endpoint_hosts: tuple[str, ...]
    diagnosis: Diagnosis
    evidence: Evidence
    dns: tuple[DnsResult, ...]
    probes: tuple[ProbeResult, ...]
    duration_ms: float
    started_at: str  # ISO 8601 UTC
    region_source: str = "option"  # option | env | logs
    logs: ClientLogs | None = None  # the client's logs, when read
    proxy: ProxyRoute = ProxyRoute()
    host: HostIdentity = HostIdentity()
    # The whole run from its start (the process's, for a CLI run): imports, logs, catalog,
    # probes, classifying. None in reports from before this field.
    process_ms: float | None = None
