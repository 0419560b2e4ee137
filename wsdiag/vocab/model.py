"""The vocabulary every layer speaks: plain frozen dataclasses and enums, no I/O.

Everything that crosses a module boundary (catalog -> plan -> runner -> evidence ->
classify -> report) is one of these types, so each layer can be tested on its own. What a run
found (results, findings) is in wsdiag.vocab.results, what it decided in wsdiag.vocab.evidence,
the report in wsdiag.vocab.report, built on these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from wsdiag.budgets import DEFAULT_SAMPLES, DEFAULT_TIMEOUT
from wsdiag.quality.bounds import QualityBounds
from wsdiag.vocab import codec


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
    """A probe kind. What each kind is (runs over TCP, authenticates the peer) is data below,
    beside the enum; rules ask these properties, never "not QUIC means TCP"."""

    TCP = "tcp"  # TCP connect only
    TLS = "tls"  # TCP connect + TLS handshake with SNI = host
    QUIC = "quic"  # QUIC Initial; any valid QUIC reply proves the UDP path

    @property
    def is_tcp(self) -> bool:
        """Runs over TCP (so an HTTP proxy can carry it, and DCV can authenticate on it)."""
        return self in _OVER_TCP

    @property
    def authenticates(self) -> bool:
        """Proves the peer's identity (a TLS handshake whose certificate chain is checked)."""
        return self in _AUTHENTICATES


# The kinds' properties. A new Transport gets its row here and its factory in
# wsdiag.probes.registry (a test holds both tables to every Transport).
_OVER_TCP = frozenset({Transport.TCP, Transport.TLS})
_AUTHENTICATES = frozenset({Transport.TLS})


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


class Fault(StrEnum):
    """Why a probe or lookup failed, as the one error map (``wsdiag.probes.errors``) read the
    socket error; kept beside the coarse ``Status`` so evidence never re-reads errnos. The
    values are the report's strings (``probes[].cause``).

    On Linux an errno alone cannot name the sender of an ICMP error: a remote firewall's
    "administratively prohibited" arrives as ENETUNREACH/EHOSTUNREACH (ICMP 3/9, 3/10, 3/13)
    or, for ICMPv6 1/1, as EACCES, the same as a local block; so PROHIBITED is only set
    where the sender (``ProbeResult.offender``, read from the error queue) is known.
    """

    NONE = ""  # no socket error ended it: an answer, a skip, a TLS alert, the deadline
    REFUSED = "refused"  # TCP RST, ICMP port unreachable
    NO_ROUTE = "no-route"  # no route or no usable local address: nothing was sent
    HOST_UNREACHABLE = "host-unreachable"  # the host (or its network) is unreachable
    PROHIBITED = "prohibited"  # an ICMP administratively-prohibited from a known sender
    LOCAL_BLOCK = "local-block"  # this machine's firewall refused the send (EPERM/EACCES)
    TOO_BIG = "too-big"  # EMSGSIZE: a Don't-Fragment datagram does not fit the path MTU
    TIMEOUT = "timeout"  # silence
    OTHER = "other"  # any other error (the detail names it)


# The cause each of these statuses has unless a probe says otherwise: json-line leaves such a
# ``cause`` out (a reader rebuilds it from ``status``); any other pair is always written.
USUAL_CAUSE: dict[str, Fault] = {Status.REFUSED: Fault.REFUSED, Status.FILTERED: Fault.TIMEOUT}


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


class Refusal(StrEnum):
    """What a proxy's non-2xx answer to ``CONNECT`` says, and so whose it is to fix
    (``refusal_of``). Vocabulary: the probe records the HTTP status, the rules read it."""

    POLICY = "policy"  # 403, 405: the proxy's own rules refuse this host or port
    UPSTREAM = "upstream"  # 500, 502, 503, 504: the proxy could not resolve or reach it
    AUTH = "auth"  # 407: the proxy wants credentials (the WorkSpaces clients send none)
    OTHER = "other"  # any other status: the proxy refused, the reason not standard


# RFC 9110 §15.5.4 (403), §15.5.6 (405), §15.5.8 (407), §15.6.1 (500), §15.6.3 (502),
# §15.6.4 (503), §15.6.5 (504). Squid answers 403 for ``http_access deny CONNECT
# !SSL_ports`` and an ACL's deny, 503 when it cannot resolve or connect to the host (its
# ERR_DNS_FAIL / ERR_CONNECT_FAIL pages), 504 on its connect timeout, 502 for a broken
# upstream; other proxies use 500/502 for the same failures.
_REFUSALS = {
    403: Refusal.POLICY,
    405: Refusal.POLICY,
    407: Refusal.AUTH,
    500: Refusal.UPSTREAM,
    502: Refusal.UPSTREAM,
    503: Refusal.UPSTREAM,
    504: Refusal.UPSTREAM,
}


def refusal_of(code: int) -> Refusal:
    """Pure: the reading of a proxy's final non-2xx status to ``CONNECT`` (RFC 9110 §15)."""
    return _REFUSALS.get(code, Refusal.OTHER)


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


def all_of(facts: Sequence[Tri]) -> Tri:
    """NO if any is NO; YES if all (at least one) are YES; else UNKNOWN."""
    if not facts:
        return Tri.UNKNOWN
    if any(f is Tri.NO for f in facts):
        return Tri.NO
    return Tri.YES if all(f is Tri.YES for f in facts) else Tri.UNKNOWN


def any_of(facts: Sequence[Tri]) -> Tri:
    """YES if any is YES; NO if all (at least one) are NO; else UNKNOWN."""
    if any(f is Tri.YES for f in facts):
        return Tri.YES
    if facts and all(f is Tri.NO for f in facts):
        return Tri.NO
    return Tri.UNKNOWN


class Environment(StrEnum):
    CLOSED = "closed"
    MINIMAL_EGRESS = "minimal-egress"
    OPEN_EGRESS = "open-egress"
    HOME = "home"
    VPN = "vpn"  # a VPN (tunnel) is connected, yet the endpoint is not reached through it
    # A captive portal (or DNS hijack) answers every name: nothing else seen is real, so no
    # egress shape (minimal, open) can be read from it.
    CAPTIVE = "captive"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class Verdict(StrEnum):
    READY = "ready"
    DEGRADED = "degraded"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Worse is higher, in the order a monitor ranks verdicts: "could not judge" is worse
        than "works with caveats", better than "cannot work"."""
        return _VERDICT_RANK[self]

    @property
    def exit_code(self) -> int:
        """The process's exit code, the monitoring-plugin convention: OK, WARNING, CRITICAL,
        UNKNOWN."""
        return _EXIT_CODE[self]


_VERDICT_RANK = {Verdict.READY: 0, Verdict.DEGRADED: 1, Verdict.UNKNOWN: 2, Verdict.BLOCKED: 3}
_EXIT_CODE = {Verdict.READY: 0, Verdict.DEGRADED: 1, Verdict.BLOCKED: 2, Verdict.UNKNOWN: 3}


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """More severe is higher: info 0, warning 1, error 2. Sort by ``-rank`` for the most
        severe first."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


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

    Raw facts: names here are NOT redacted; renderers redact them (wsdiag.redact).
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
    # where wsdiag ran (wsdiag.host.where): "host" | "wsl" | "container", and the sign seen
    runs_in: str = "host"
    runs_in_why: str = ""


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
    quality: QualityBounds = QualityBounds()  # [quality]: the session-quality score's bounds


@dataclass(frozen=True)
class ProxyRoute:
    """The machine's HTTPS proxy as this run uses it. Never holds credentials: ``url`` is
    redacted, and wsdiag does not send them (the WorkSpaces client cannot either)."""

    mode: ProxyMode = ProxyMode.NONE
    url: str | None = None  # as configured, credentials replaced by "***"
    # the proxy's host name or IP (mode PROXY) and port: in the report, ``url`` says them
    host: str | None = field(default=None, metadata=codec.omit())
    port: int | None = field(default=None, metadata=codec.omit())
    source: str | None = None  # "environment" | "system" (registry, SystemConfiguration)
    bypassed: tuple[str, ...] = ()  # planned hosts the bypass list (no_proxy ...) exempts
    reason: str = ""  # mode UNTESTED: why
    pac: str | None = None  # the PAC (URL or path) that decided this route, when one did
    pac_note: str = ""  # what the PAC answered and what of it was tested
    # the PAC answered with no usable proxy address: what it said (a fact for the rules; the
    # report says it in PAC_ANSWER_BROKEN's message)
    pac_broken: str = field(default="", metadata=codec.omit())
    # mode UNTESTED because the setting is no usable proxy URL at all (a [ left open, a port
    # out of range, no host): a fact for the rules (PROXY_URL_INVALID), not a scheme problem
    invalid: bool = field(default=False, metadata=codec.omit())

    def routes(self, role: Role, host: str, transport: Transport) -> bool:
        """Does a probe of this kind go through the proxy (or would, if it were tested)?

        Only TCP/TLS to the internet (auth) targets: the client sends its 443 API and
        sign-in traffic through the OS proxy, but never UDP, and streaming to the private
        endpoint is direct (a proxied PrivateLink path needs private DNS disabled)."""
        return (
            self.mode in (ProxyMode.PROXY, ProxyMode.UNTESTED)
            and role is Role.AUTH
            and transport.is_tcp
            and host not in self.bypassed
        )


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
    public_roots: str | None = None  # --public-roots FILE; None: $WSDIAG_PUBLIC_ROOTS, certifi
    pac: str | None = None  # --pac URL|FILE: this proxy auto-config instead of the system's
    samples: int = DEFAULT_SAMPLES  # --samples: handshakes repeated per answered endpoint path
    quality_verdict: bool = False  # --quality-verdict: a poor session quality changes the verdict


@dataclass(frozen=True)
class Nameserver:
    """A DNS server to ask directly (``--nameserver``), parsed once, in the plan."""

    ip: str  # normalised IPv4 or IPv6 text, without brackets or a scope
    port: int = 53

    def __str__(self) -> str:
        """'10.0.0.2', '127.0.0.1:5353' or '[::1]:5353': how the report and options write it."""
        if self.port == 53:
            return self.ip
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"


@dataclass(frozen=True)
class DnsSpec:
    """One DNS lookup the plan asks for: ``rdtype`` of ``host``, within ``timeout`` seconds."""

    id: str  # e.g. "endpoint/dns/A"
    target_id: str
    host: str
    rdtype: str  # "A" | "AAAA" (asked of a resolver) | "OS" (getaddrinfo: IPv4 and IPv6)
    timeout: float  # seconds; the lookup's whole life, retransmissions and servers included
    # The private name's lookups: may wait past ``timeout`` up to the OS resolver's own
    # budget (Plan.dns_os_budget) when the server answered another query of this run
    patient: bool = False
    per_server: bool = False  # the private name's A: also ask each OS server alone


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
    # The any-of fact this probe serves (wsdiag.check.plan.ANY_OF_FACTS): once one probe
    # serving it answered, the others' silence cannot change it, so they end early.
    serves: str = ""


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
    nameservers: tuple[Nameserver, ...]
    quic_alpn: tuple[str, ...]
    proxy: ProxyRoute = ProxyRoute()  # decided before planning (an input of make_plan)
    public_roots: str | None = None  # --public-roots FILE (None: $WSDIAG_PUBLIC_ROOTS, certifi)
    samples: int = 0  # per answered endpoint path (wsdiag.check.sampling); 0: none
    quality: QualityBounds = QualityBounds()
    quality_verdict: bool = False
    # Seconds the OS resolver itself waits for a name (wsdiag.host.dns_os.os_budget, read at
    # the edge, capped by DNS_OS_BUDGET_MAX); 0: no more than --timeout
    dns_os_budget: float = 0.0
    # True where --deadline was given: nothing moves it, a late private answer's patience
    # included (it waits only as long as the deadline leaves); False: the default deadline,
    # which a late private answer moves by the extra DNS time
    deadline_fixed: bool = False
    # The servers the OS would ask for the private name, in order, with where each is kept:
    # (Nameserver, source); () with --nameserver (then those are asked) or when not read
    os_servers: tuple[tuple[Nameserver, str], ...] = ()
    # IP families this machine has a route for (wsdiag.host.families); the client dials an
    # IPv6 answer when only IPv6 is routable (DNS64/NAT64 networks)
    families: tuple[int, ...] = (4, 6)
