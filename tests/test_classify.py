"""Classification rules, table-driven, plus properties that must hold for any input."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.synth import PROXY_BEHAVIOUR, E, EndpointFn, F, O, R, U, diagnose, plan_for, results
from tests.synth_tls import PRIVATE_NAME, both, cert, endpoint_certs, signin_chains
from wsdiag.evidence.names import not_public
from wsdiag.host.errqueue import SO_EE_ORIGIN_ICMP, IcmpReport
from wsdiag.probes.icmp import refine
from wsdiag.rules.chain import CHAIN_RULES
from wsdiag.rules.environment import ENVIRONMENT_RULES
from wsdiag.rules.verdict import FINDING_RULES
from wsdiag.vocab.model import (
    DnsOutcome,
    Environment,
    Need,
    Owner,
    Severity,
    Status,
    Transport,
    Tri,
    Verdict,
    Via,
)
from wsdiag.vocab.results import Finding, ProbeResult, TlsSeen


def quic_silent(addr: str, transport: Transport, port: int) -> Status:
    return F if transport is Transport.QUIC else O


def only_443(addr: str, transport: Transport, port: int) -> Status:
    return O if port == 443 else R


def firewall_4195(p: ProbeResult) -> ProbeResult:
    """A firewall at 10.30.0.1 answers the endpoint's 4195 paths with ICMP 3/13."""
    if p.target_id == "endpoint" and p.port == 4195 and p.status is not O:
        # what the probes' own reading of the error queue makes of it (probes.icmp.refine)
        report = IcmpReport(errno.EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 3, 13, 0, "10.30.0.1")
        return refine(p, [report], "192.168.1.20")
    return p


def only_4195(addr: str, transport: Transport, port: int) -> Status:
    return O if port == 4195 else F


def second_address_dead(addr: str, transport: Transport, port: int) -> Status:
    return O if addr == "10.0.1.10" else F


def second_address_errors(addr: str, transport: Transport, port: int) -> Status:
    return O if addr == "10.0.1.10" else E


def deadline_on_quic(addr: str, transport: Transport, port: int) -> Status:
    return E if transport is Transport.QUIC else O


A, B = "10.0.1.10", "10.0.2.10"
MANY = [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(4000)]  # past the fan-out cap
PathTable = dict[tuple[str, str, int], Status]


def paths(*tables: PathTable) -> EndpointFn:
    """Per address and path (transport "tcp" or "quic", port); a path not listed is open."""
    merged: PathTable = {k: v for t in tables for k, v in t.items()}

    def fn(addr: str, transport: Transport, port: int) -> Status:
        kind = "quic" if transport is Transport.QUIC else "tcp"
        return merged.get((addr, kind, port), O)

    return fn


def at(addr: str, **statuses: Status) -> PathTable:
    """at(B, quic443=R) -> {(B, "quic", 443): R}"""
    return {
        (addr, k[:-3] if k[-4:] != "4195" else k[:-4], int(k[-3:]) if k[-4:] != "4195" else 4195): v
        for k, v in statuses.items()
    }


# The three networks of issue 7 (two endpoint addresses, one per AZ) and the QUIC-only one.
A_ALL: PathTable = {}
B_ALL: PathTable = {}
TCP_ONLY_B = at(B, quic443=R, quic4195=F)
QUIC4195_ONLY_A = at(A, tcp443=R, tcp4195=F, quic443=R)
TCP443_ONLY_A = at(A, tcp4195=F, quic443=F, quic4195=F)
NO_TCP4195_B = at(B, tcp4195=F)
QUIC_ONLY_A = at(A, tcp443=R, tcp4195=F)
QUIC_ONLY_B = at(B, tcp443=F, tcp4195=F)
NO_443_B = at(B, tcp443=F, quic443=F)
# issue 8: what the endpoint's TCP handshakes and the sign-in chains showed
GATEWAY = cert((PRIVATE_NAME,), "Amazon RSA 2048 M02")
NAS = cert(("nas.fritz.box", "192.168.178.20"), "NAS self-signed", self_issued=True)
NAS_ONLY_443 = at(B, tcp4195=R, quic443=F, quic4195=F)

VPC_PLAN = plan_for(vpc_cidrs=("10.0.0.0/16",))

CASES = [
    # id, results kwargs, environment, verdict, findings that must be present
    ("open-egress", {"health": O}, "open-egress", "ready", set()),
    ("minimal-egress", {}, "minimal-egress", "ready", {"HEALTH_CHECK_BLOCKED"}),
    ("closed", {"needed": F, "expected": F}, "closed", "blocked", {"AUTH_UNREACHABLE"}),
    ("closed-rejecting", {"needed": R, "expected": R}, "closed", "blocked", {"AUTH_UNREACHABLE"}),
    (
        "closed-no-public-dns",
        {"needed": DnsOutcome.NXDOMAIN, "expected": DnsOutcome.NXDOMAIN},
        "closed",
        "blocked",
        {"AUTH_UNREACHABLE"},
    ),
    (
        "home-nxdomain",
        {"endpoint_dns": DnsOutcome.NXDOMAIN},
        "home",
        "blocked",
        {"ENDPOINT_NXDOMAIN", "HOME_NETWORK"},
    ),
    (
        "home-public-answer",
        {"endpoint_dns": ["203.0.113.7"], "endpoint": F},
        "home",
        "blocked",
        {"ENDPOINT_PUBLIC_ANSWER", "HOME_NETWORK"},
    ),
    # a private answer is not "home": the resolver knows the VPC's zone (issue 12)
    (
        "private-but-silent-is-not-home",
        {"endpoint": F},
        "unknown",
        "blocked",
        {"ENDPOINT_UNREACHABLE"},
    ),
    # issue 12: this machine's facts
    (
        "vpn-routes-miss-endpoint",
        {"endpoint": F, "host": "vpn-split"},
        "vpn",
        "blocked",
        {"VPN_ROUTES_MISS_ENDPOINT"},
    ),
    (
        "vpn-through-but-silent",
        {"endpoint": F, "host": "vpn-through"},
        "vpn",
        "blocked",
        {"VPN_ROUTES_MISS_ENDPOINT"},
    ),
    (
        "vpn-up-nxdomain-is-not-home",
        {"endpoint_dns": DnsOutcome.NXDOMAIN, "host": "vpn-split"},
        "vpn",
        "blocked",
        {"ENDPOINT_NXDOMAIN"},
    ),
    (
        "home-router-rebind",
        {"endpoint_dns": DnsOutcome.NO_ANSWER, "host": "home-router"},
        # issue 16: an empty NOERROR from an on-link resolver is a rebind filter's sign, not
        # positive evidence of home (NXDOMAIN or a public answer): the label says unknown
        "unknown",
        "blocked",
        {"ENDPOINT_DNS_FAILED", "DNS_REBIND_PROTECTION_LIKELY"},
    ),
    # issue 16: "home" from positive evidence only. The internet and the --vpc-cidr leave by
    # the same Wi-Fi (the default route): nothing against home, its one action stays
    (
        "home-vpc-by-the-default-route-is-home",
        {"endpoint_dns": DnsOutcome.NXDOMAIN, "host": "home-vpc-default", "plan": VPC_PLAN},
        "home",
        "blocked",
        {"ENDPOINT_NXDOMAIN", "HOME_NETWORK"},
    ),
    # ... a route of its own for the VPC range (a second LAN, a Direct Connect office): the
    # VPC is reachable from here, so NXDOMAIN is the resolver's, not being at home
    (
        "home-router-but-vpc-routed-is-not-home",
        {"endpoint_dns": DnsOutcome.NXDOMAIN, "host": "home-vpc-routed", "plan": VPC_PLAN},
        "unknown",
        "blocked",
        {"ENDPOINT_NXDOMAIN"},
    ),
    # Tailscale's MagicDNS (100.100.100.100, RFC 6598, off the LAN) answers NXDOMAIN: the
    # agent's split DNS is the fix, not "a hub's resolver without the zone", not home
    (
        "tailscale-magicdns-nxdomain",
        {"endpoint_dns": DnsOutcome.NXDOMAIN, "host": "tailscale"},
        "vpn",
        "blocked",
        {"DNS_AGENT_OWNS_NAME"},
    ),
    (
        "tunnel-mtu-1100",
        {"endpoint": quic_silent, "host": "mtu-1100"},
        "minimal-egress",
        "degraded",
        {"PATH_MTU_SMALL"},
    ),
    (
        "4195-blocked-old-client",
        {"endpoint": only_443, "host": "client-5.20"},
        "minimal-egress",
        "blocked",
        {"ENDPOINT_4195_BLOCKED", "CLIENT_NO_443_FALLBACK"},
    ),
    (
        "4195-blocked-new-client",
        {"endpoint": only_443, "host": "client-5.24"},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_4195_BLOCKED", "CLIENT_HAS_443_FALLBACK"},
    ),
    (
        "documentation-range-is-not-private",
        {"endpoint_dns": ["192.0.2.5"]},
        "home",
        "blocked",
        {"ENDPOINT_PUBLIC_ANSWER"},
    ),
    (
        "offline",
        {"endpoint": F, "needed": F, "expected": F},
        "offline",
        "blocked",
        {"ENDPOINT_UNREACHABLE", "AUTH_UNREACHABLE"},
    ),
    (
        "no-route",
        {"endpoint": U, "needed": U, "expected": U, "health": U},
        "offline",
        "blocked",
        {"NO_ROUTE"},
    ),
    ("no-route-dns", {"all_dns": DnsOutcome.NO_ROUTE}, "offline", "blocked", {"NO_ROUTE"}),
    # This machine's own firewall refused every send (EPERM): not offline, not NO_ROUTE;
    # the network behind it was never measured.
    (
        "local-firewall",
        {"endpoint": U, "needed": U, "expected": U, "health": U, "local_block": True},
        "unknown",
        "unknown",
        {"LOCAL_FIREWALL_BLOCKS", "NOT_MEASURED"},
    ),
    (
        "local-firewall-dns",
        {"all_dns": DnsOutcome.NO_ROUTE, "local_block": True},
        "unknown",
        "unknown",
        {"LOCAL_FIREWALL_BLOCKS", "NOT_MEASURED"},
    ),
    (
        "local-firewall-udp",
        {
            "endpoint": lambda a, t, p: U if t is Transport.QUIC else O,
            "health": O,
            "local_block": True,
        },
        "open-egress",
        "unknown",
        {"LOCAL_FIREWALL_BLOCKS", "NOT_MEASURED"},
    ),
    (
        "resolver-silent",
        {"all_dns": DnsOutcome.TIMEOUT},
        "unknown",
        "blocked",
        {"DNS_RESOLVER_UNREACHABLE"},
    ),
    (
        "resolver-port-unreachable",
        {"all_dns": DnsOutcome.UNREACHABLE},
        "unknown",
        "blocked",
        {"DNS_RESOLVER_UNREACHABLE"},
    ),
    (
        "no-resolver-config",
        {"all_dns": DnsOutcome.NOT_CONFIGURED},
        "unknown",
        "unknown",
        {"DNS_NOT_CONFIGURED"},
    ),
    # issue 16: SERVFAIL is no evidence of home (only NXDOMAIN or a public answer is)
    (
        "servfail",
        {"endpoint_dns": DnsOutcome.SERVFAIL},
        "unknown",
        "blocked",
        {"ENDPOINT_DNS_FAILED"},
    ),
    (
        "quic-blocked",
        {"endpoint": quic_silent},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_QUIC_BLOCKED"},
    ),
    (
        "4195-blocked",
        {"endpoint": only_443},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_4195_BLOCKED"},
    ),
    (
        # issue 17: the firewall is named and owns it, never the endpoint's security group
        "4195-prohibited-by-a-firewall",
        {"endpoint": only_443, "tweak": firewall_4195},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_PROHIBITED"},
    ),
    (
        "443-blocked-is-info",
        {"endpoint": only_4195},
        "minimal-egress",
        "ready",
        {"ENDPOINT_443_BLOCKED"},
    ),
    (
        "one-address-silent",
        {"endpoint": second_address_dead},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_ADDRESS_SILENT"},
    ),
    # an IPv6-only endpoint record is probed over IPv6 and judged (AWS allows IPv4 or IPv6)
    (
        "ipv6-only-endpoint-is-judged",
        {"endpoint_dns": DnsOutcome.NO_ANSWER, "aaaa": ["2600:1f18::5"]},
        "minimal-egress",
        "ready",
        set(),
    ),
    (
        "ipv6-only-endpoint-silent",
        {"endpoint_dns": DnsOutcome.NO_ANSWER, "aaaa": ["2600:1f18::5"], "endpoint": F},
        # an answer that is not provably outside the VPC: "home" would be a guess (issue 12)
        "unknown",
        "blocked",
        {"ENDPOINT_UNREACHABLE"},
    ),
    # names as the OS resolves them (the client dials the OS's answer)
    (
        "hosts-pin",
        {"endpoint_dns": DnsOutcome.NXDOMAIN, "os": [A, B], "os_reason": "hosts-file"},
        "minimal-egress",
        "ready",
        {"OS_HOSTS_FILE"},
    ),
    (
        "per-domain-resolver",
        {"endpoint_dns": DnsOutcome.NXDOMAIN, "os": [A, B], "os_reason": "per-domain-resolver"},
        "minimal-egress",
        "ready",
        {"OS_RESOLVER_DIFFERS"},
    ),
    (
        "link-local-resolver-is-not-silent",
        {"all_dns": DnsOutcome.TIMEOUT, "os": [A, B], "os_reason": "link-local-resolver"},
        "minimal-egress",
        "ready",
        {"OS_RESOLVER_DIFFERS"},
    ),
    (
        "os-cannot-resolve",
        {"os": DnsOutcome.NXDOMAIN, "os_reason": "per-domain-resolver"},
        "unknown",  # issue 16: the resolver's private answer says this is not home
        "blocked",
        {"OS_NAME_FAILED"},
    ),
    (
        "captive-portal",
        {"os_all": ["192.168.1.1"], "endpoint": only_443, "health": F},
        "captive",  # not minimal-egress: the portal answered for every name (issue 19 item 3)
        "blocked",
        {"CAPTIVE_PORTAL"},
    ),
    (
        "overlay-answers",
        {"endpoint_dns": ["100.64.1.10", "100.64.2.10"]},
        "minimal-egress",
        "ready",
        {"ENDPOINT_OVERLAY"},
    ),
    (
        "overlay-silent",
        {"endpoint_dns": ["100.64.1.10"], "endpoint": F},
        "unknown",
        "blocked",
        {"ENDPOINT_OVERLAY_SILENT"},
    ),
    ("dual-stack", {"aaaa": ["fd00::5"]}, "minimal-egress", "degraded", {"ENDPOINT_DUAL_STACK"}),
    (
        "optional-blocked",
        {"expected": F},
        "minimal-egress",
        "degraded",
        {"OPTIONAL_DOMAINS_UNREACHABLE"},
    ),
    (
        "quic-cut-by-deadline",
        {"endpoint": deadline_on_quic},
        "minimal-egress",
        "unknown",
        {"NOT_MEASURED"},
    ),
    (
        "second-address-unmeasured",
        {"endpoint": second_address_errors},
        "minimal-egress",
        "unknown",
        {"NOT_MEASURED"},
    ),
    ("auth-errors-unknown", {"needed": E}, "minimal-egress", "unknown", {"NOT_MEASURED"}),
    # issue 7: a defect on one address of two must not hide behind the other
    (
        "b-has-no-quic",
        {"endpoint": paths(A_ALL, TCP_ONLY_B)},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_QUIC_BLOCKED"},
    ),
    (
        "a-quic-4195-only",
        {"endpoint": paths(QUIC4195_ONLY_A, B_ALL)},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_ADDRESS_PARTIAL"},
    ),
    (
        "a-tcp-443-only-b-no-tcp-4195",
        {"endpoint": paths(TCP443_ONLY_A, NO_TCP4195_B)},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_QUIC_BLOCKED", "ENDPOINT_4195_BLOCKED", "ENDPOINT_ADDRESS_PARTIAL"},
    ),
    (
        "quic-only-endpoint-is-blocked",
        {"endpoint_dns": ["10.0.1.10"], "endpoint": paths(QUIC_ONLY_A, {})},
        "minimal-egress",
        "blocked",
        {"ENDPOINT_TCP_BLOCKED"},
    ),
    (
        "one-address-quic-only",
        {"endpoint": paths(A_ALL, QUIC_ONLY_B)},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_ADDRESS_PARTIAL"},
    ),
    (
        "both-addresses-quic-only",
        {"endpoint": paths(QUIC_ONLY_A, QUIC_ONLY_B)},
        "minimal-egress",
        "blocked",
        {"ENDPOINT_TCP_BLOCKED"},
    ),
    (
        "one-address-443-only-paths-missing",
        {"endpoint": paths(A_ALL, NO_443_B)},
        "minimal-egress",
        "ready",
        {"ENDPOINT_443_BLOCKED"},
    ),
    (
        "one-path-unmeasured",
        {"endpoint": paths(A_ALL, {("10.0.2.10", "quic", 4195): E})},
        "minimal-egress",
        "unknown",
        {"NOT_MEASURED"},
    ),
    # issue 8 item 2: is it the endpoint at each address?
    (
        "endpoint-certificate-shown",
        {"tweak": endpoint_certs({A: GATEWAY, B: GATEWAY})},
        "minimal-egress",
        "ready",
        {"ENDPOINT_CERTIFICATE"},
    ),
    (
        "lan-nas-at-one-address",
        {"endpoint": paths(A_ALL, NAS_ONLY_443), "tweak": endpoint_certs({A: GATEWAY, B: NAS})},
        "minimal-egress",
        "blocked",
        {"ENDPOINT_ADDRESS_OTHER"},
    ),
    (
        "not-tls-at-one-address",
        {"tweak": endpoint_certs({A: GATEWAY, B: TlsSeen.NOT_TLS})},
        "minimal-egress",
        "blocked",
        {"ENDPOINT_ADDRESS_OTHER"},
    ),
    (
        "tls-refused-is-not-evidence",
        {"tweak": endpoint_certs({A: GATEWAY, B: TlsSeen.REFUSED})},
        "minimal-egress",
        "ready",
        {"ENDPOINT_CERTIFICATE"},
    ),
    (
        "portal-at-every-address",
        {
            "endpoint": paths(NAS_ONLY_443, at(A, tcp4195=R, quic443=F, quic4195=F)),
            "tweak": endpoint_certs({A: NAS, B: NAS}),
        },
        "minimal-egress",
        "blocked",
        {"ENDPOINT_ADDRESS_OTHER"},
    ),
    (
        "endpoint-issuers-differ",
        {"tweak": endpoint_certs({A: GATEWAY, B: cert((PRIVATE_NAME,), "Corp SSL Forward Trust")})},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_ISSUERS_DIFFER"},
    ),
    # issue 8 item 3: interception, OS trust, the clock
    ("public-chains-trusted", {"tweak": signin_chains()}, "minimal-egress", "ready", set()),
    (
        "tls-inspected-trusted",
        {"tweak": signin_chains("Corp SSL Forward Trust CA", public=False)},
        "minimal-egress",
        "blocked",
        {"TLS_INSPECTED"},
    ),
    (
        "tls-untrusted-needed",
        {"tweak": signin_chains(trusted=False)},
        "minimal-egress",
        "blocked",
        {"TLS_UNTRUSTED"},
    ),
    (
        "tls-untrusted-supporting-warns",
        {"tweak": both(signin_chains(), signin_chains(trusted=False, only=Need.EXPECTED))},
        "minimal-egress",
        "degraded",
        {"TLS_UNTRUSTED"},
    ),
    (
        "os-trust-unknown-is-not-untrusted",
        {"tweak": signin_chains(trusted=None)},
        "minimal-egress",
        "ready",
        set(),
    ),
    (
        "clock-skew",
        {"tweak": signin_chains(trusted=False, valid=False)},
        "minimal-egress",
        "blocked",
        {"CLOCK_SKEW"},
    ),
    # issue 11: past the fan-out cap, every probed address answering is still not "ready"
    (
        "too-many-addresses",
        {"endpoint_dns": MANY},
        "minimal-egress",
        "unknown",
        {"ENDPOINT_ADDRESSES_NOT_PROBED", "NOT_MEASURED"},
    ),
    (
        "too-many-addresses-one-dead",
        {"endpoint_dns": MANY, "endpoint": lambda a, t, p: F if a == MANY[1] else O},
        "minimal-egress",
        "degraded",
        {"ENDPOINT_ADDRESSES_NOT_PROBED", "ENDPOINT_ADDRESS_SILENT"},
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "environment", "verdict", "codes"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rules(kwargs: dict, environment: str, verdict: str, codes: set[str]) -> None:
    _, d = diagnose(results(**kwargs))
    got = {f.code for f in d.findings}
    assert (str(d.environment), str(d.verdict)) == (environment, verdict), got
    assert codes <= got
    assert all(f.rule for f in d.findings)


@pytest.mark.parametrize("case", [c for c in CASES if c[0].startswith("local-firewall")])
def test_a_local_block_is_never_offline_or_a_network_ticket(case: tuple) -> None:
    """EPERM/EACCES is this machine's own firewall: never "connect to a network"
    (NO_ROUTE, offline), never a finding that sends the network or AWS team to fix it."""
    e, d = diagnose(results(**case[1]))
    assert e.no_route is Tri.NO and e.local_block is Tri.YES
    assert d.environment is not Environment.OFFLINE
    owners = {f.code: f.owner for f in d.findings}
    assert "NO_ROUTE" not in owners
    assert owners["LOCAL_FIREWALL_BLOCKS"] is Owner.DESKTOP
    assert all(o not in (Owner.NETWORK, Owner.AWS) for o in owners.values()), owners
    # The same results without the local cause are definite failures of the network.
    plain = {k: v for k, v in case[1].items() if k != "local_block"}
    _, before = diagnose(results(**plain))
    assert before.verdict in (Verdict.BLOCKED, Verdict.DEGRADED)


PRIVATE = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"
NX = DnsOutcome.NXDOMAIN
DENY_4195 = {4195: (R, 403), 443: (O, 200)}  # squid's deny CONNECT !SSL_ports
OPEN_BOTH = {4195: (O, 200), 443: (O, 200)}


def both(status: Status, code: int | None) -> dict[int, tuple[Status, int | None]]:
    return {4195: (status, code), 443: (status, code)}


def quic_only_direct(addr: str, transport: Transport, port: int) -> Status:
    return O if transport is Transport.QUIC else F


PROXY_CASES = [
    # id, results kwargs, environment, verdict, findings present, findings absent
    (
        "proxy-only-egress",
        {"proxy": "relay", "needed": R, "expected": R},
        "closed",
        "blocked",
        {"AUTH_UNREACHABLE"},
        {"PROXY_AUTH_REQUIRED"},
    ),
    (
        "proxy-relays",
        {"proxy": "relay"},
        "minimal-egress",
        "ready",
        {"PROXY_IN_USE", "HEALTH_CHECK_BLOCKED"},
        {"AUTH_UNREACHABLE"},
    ),
    # corporate DNS without public names: the proxy resolves them, so they still work
    (
        "proxy-relays-public-dns-absent",
        {"proxy": "relay", "needed": NX, "expected": NX},
        "minimal-egress",
        "ready",
        {"PROXY_IN_USE"},
        {"AUTH_UNREACHABLE"},
    ),
    (
        "proxy-relays-open-egress",
        {"proxy": "relay", "health": O},
        "open-egress",
        "ready",
        {"PROXY_IN_USE"},
        {"HEALTH_CHECK_BLOCKED"},
    ),
    # issue 12: with a proxy, NXDOMAIN may be the documented proxy set-up (Private DNS off):
    # not a confident "enable Private DNS names"; unknown while the proxy path is unmeasured
    (
        "proxy-relays-at-home",
        {"proxy": "relay", "endpoint_dns": NX},
        "unknown",
        "unknown",
        {"PROXY_IN_USE", "ENDPOINT_NXDOMAIN_BEHIND_PROXY"},
        {"ENDPOINT_NXDOMAIN", "HOME_NETWORK"},
    ),
    (
        "proxy-nxdomain-proxy-streams",
        {"proxy": "relay", "endpoint_dns": NX, "stream": {4195: (O, 200), 443: (O, 200)}},
        "unknown",
        "unknown",
        {"ENDPOINT_NXDOMAIN_BEHIND_PROXY"},
        {"ENDPOINT_NXDOMAIN", "HOME_NETWORK"},
    ),
    (
        "proxy-nxdomain-proxy-refuses",
        {"proxy": "relay", "endpoint_dns": NX, "stream": {4195: (R, 403), 443: (R, 403)}},
        "home",
        "blocked",
        {"ENDPOINT_NXDOMAIN_BEHIND_PROXY", "PROXY_DENIES_ENDPOINT"},
        {"ENDPOINT_NXDOMAIN"},
    ),
    # issue 17: the client's own paths. No client known: which way its TCP stream goes is
    # not documented, so both outcomes are given and the verdict is unknown where they differ.
    (
        "proxy-denies-4195-direct-works",
        {"proxy": "relay", "stream": DENY_4195},
        "unknown",
        "unknown",
        {"PROXY_DENIES_CONNECT_4195", "STREAM_PATH_UNKNOWN"},
        set(),
    ),
    (
        "proxy-denies-4195-direct-dead",
        {"proxy": "relay", "endpoint": F, "stream": DENY_4195},
        "unknown",
        "unknown",
        {"PROXY_DENIES_CONNECT_4195", "STREAM_PATH_UNKNOWN"},
        {"ENDPOINT_UNREACHABLE", "STREAM_VIA_PROXY"},
    ),
    # Windows 5.24 streams TCP through the OS proxy (S1, S13) and has the 443 fallback: the
    # proxy's CONNECT :443 carries it; the direct probes are information, not the cause
    (
        "proxy-443-only-client-5.24",
        {"proxy": "relay", "endpoint": F, "stream": DENY_4195, "host": "client-5.24"},
        "minimal-egress",
        "degraded",
        {"PROXY_DENIES_CONNECT_4195", "STREAM_VIA_PROXY", "ENDPOINT_QUIC_BLOCKED"},
        {"ENDPOINT_UNREACHABLE", "ENDPOINT_4195_BLOCKED", "STREAM_PATH_UNKNOWN"},
    ),
    (
        "proxy-443-only-client-5.20",
        {"proxy": "relay", "endpoint": F, "stream": DENY_4195, "host": "client-5.20"},
        "minimal-egress",
        "blocked",
        {"PROXY_DENIES_CONNECT_4195", "CLIENT_NO_443_FALLBACK"},
        {"ENDPOINT_UNREACHABLE", "ENDPOINT_4195_BLOCKED"},
    ),
    # QUIC direct works, TCP 4195 refused by the proxy: only the TCP 4195 path is missing
    (
        "proxy-443-quic-direct-client-5.24",
        {
            "proxy": "relay",
            "endpoint": quic_only_direct,
            "stream": DENY_4195,
            "host": "client-5.24",
        },
        "minimal-egress",
        "degraded",
        {"PROXY_DENIES_CONNECT_4195", "STREAM_VIA_PROXY"},
        {"ENDPOINT_TCP_BLOCKED", "ENDPOINT_ADDRESS_PARTIAL", "STREAM_PATH_UNKNOWN"},
    ),
    (
        "proxy-443-quic-direct-client-5.20",
        {
            "proxy": "relay",
            "endpoint": quic_only_direct,
            "stream": DENY_4195,
            "host": "client-5.20",
        },
        "minimal-egress",
        "blocked",
        {"PROXY_DENIES_CONNECT_4195"},
        {"ENDPOINT_TCP_BLOCKED", "STREAM_PATH_UNKNOWN"},
    ),
    (
        "proxy-carries-everything-client-5.24",
        {
            "proxy": "relay",
            "endpoint": quic_only_direct,
            "stream": OPEN_BOTH,
            "host": "client-5.24",
        },
        "minimal-egress",
        "ready",
        {"STREAM_VIA_PROXY"},
        {"ENDPOINT_TCP_BLOCKED", "PROXY_DENIES_CONNECT_4195"},
    ),
    # the Windows 4.x client streams direct (S16): the proxy's answer is information
    (
        "proxy-443-only-client-4.5",
        {"proxy": "relay", "endpoint": F, "stream": DENY_4195, "host": "client-4.5"},
        "unknown",
        "blocked",
        {"ENDPOINT_UNREACHABLE", "PROXY_DENIES_CONNECT_4195"},
        {"STREAM_VIA_PROXY", "STREAM_PATH_UNKNOWN"},
    ),
    # a year-numbered (Linux) client: its proxy use is not documented
    (
        "proxy-443-only-linux-client",
        {"proxy": "relay", "endpoint": F, "stream": DENY_4195, "host": "client-2024.8"},
        "unknown",
        "unknown",
        {"STREAM_PATH_UNKNOWN", "PROXY_DENIES_CONNECT_4195"},
        {"ENDPOINT_UNREACHABLE"},
    ),
    # the private name on the bypass list: the client streams direct
    (
        "proxy-bypassed-denies-4195",
        {"proxy": "relay", "stream": DENY_4195, "bypassed": (PRIVATE,)},
        "minimal-egress",
        "ready",
        {"PROXY_DENIES_CONNECT_4195"},
        {"STREAM_PATH_UNKNOWN", "STREAM_VIA_PROXY"},
    ),
    # the proxy's other answers, each its own code (RFC 9110 §15)
    (
        "proxy-cannot-reach-endpoint",
        {"proxy": "relay", "endpoint": F, "stream": both(R, 503), "host": "client-5.24"},
        "unknown",
        "blocked",
        {"PROXY_CANNOT_REACH_ENDPOINT"},
        {"ENDPOINT_UNREACHABLE", "PROXY_DENIES_CONNECT_4195", "PROXY_STREAM_FAILED"},
    ),
    (
        "proxy-endpoint-auth",
        {"proxy": "relay", "endpoint": F, "stream": both(R, 407), "host": "client-5.24"},
        "unknown",
        "blocked",
        {"PROXY_ENDPOINT_AUTH"},
        {"ENDPOINT_UNREACHABLE", "PROXY_STREAM_FAILED"},
    ),
    (
        "proxy-denies-endpoint",
        {"proxy": "relay", "endpoint": F, "stream": both(R, 403), "host": "client-5.24"},
        "unknown",
        "blocked",
        {"PROXY_DENIES_ENDPOINT"},
        {"ENDPOINT_UNREACHABLE", "PROXY_DENIES_CONNECT_4195", "PROXY_STREAM_FAILED"},
    ),
    (
        "proxy-stream-silent",
        {"proxy": "relay", "endpoint": F, "stream": both(F, None), "host": "client-5.24"},
        "unknown",
        "blocked",
        {"PROXY_STREAM_FAILED"},
        {"ENDPOINT_UNREACHABLE"},
    ),
    # Private DNS names off: the privatelink name is NXDOMAIN everywhere, the proxy cannot
    # resolve it either (503); never "home", never "enable Private DNS names"
    (
        "private-dns-off-nxdomain",
        {"proxy": "relay", "endpoint_dns": NX, "stream": both(R, 503)},
        "unknown",
        "unknown",
        {"ENDPOINT_NXDOMAIN_BEHIND_PROXY", "PROXY_CANNOT_REACH_ENDPOINT"},
        {"ENDPOINT_NXDOMAIN", "HOME_NETWORK"},
    ),
    (
        "proxy-407",
        {"proxy": "auth-407"},
        "unknown",  # the internet beyond the proxy was never asked (fresh report 15)
        "blocked",
        {"PROXY_AUTH_REQUIRED"},
        {"AUTH_UNREACHABLE", "PROXY_IN_USE", "NOT_MEASURED"},
    ),
    (
        "proxy-403",
        {"proxy": "forbid-403"},
        "closed",
        "blocked",
        {"AUTH_UNREACHABLE"},
        {"PROXY_AUTH_REQUIRED", "PROXY_UNREACHABLE"},
    ),
    (
        "proxy-silent-after-connect",
        {"proxy": "silent"},
        "closed",
        "blocked",
        {"AUTH_UNREACHABLE"},
        {"PROXY_UNREACHABLE"},
    ),
    (
        "proxy-port-closed",
        {"proxy": "down"},
        "unknown",  # the internet beyond the proxy was never asked (fresh report 15)
        "blocked",
        {"PROXY_UNREACHABLE"},
        {"AUTH_UNREACHABLE"},
    ),
    (
        "proxy-port-silent",
        {"proxy": "down-silent"},
        "unknown",  # the internet beyond the proxy was never asked (fresh report 15)
        "blocked",
        {"PROXY_UNREACHABLE"},
        {"AUTH_UNREACHABLE"},
    ),
    (
        "proxy-name-gone",
        {"proxy": "name-gone"},
        "unknown",  # the internet beyond the proxy was never asked (fresh report 15)
        "blocked",
        {"PROXY_UNREACHABLE"},
        {"AUTH_UNREACHABLE", "NO_ROUTE"},
    ),
    (
        "proxy-untested",
        {"proxy": "untested"},
        "unknown",
        "unknown",
        {"PROXY_UNSUPPORTED_SCHEME", "NOT_MEASURED"},
        {"AUTH_UNREACHABLE"},
    ),
    (
        "proxy-url-invalid",
        {"proxy": "invalid"},
        "unknown",
        "unknown",
        {"PROXY_URL_INVALID", "NOT_MEASURED"},
        {"AUTH_UNREACHABLE", "PROXY_UNSUPPORTED_SCHEME"},
    ),
    (
        "pac-answer-broken",
        {"proxy": "pac-broken"},
        "unknown",
        "unknown",
        {"PAC_ANSWER_BROKEN", "NOT_MEASURED"},
        {"AUTH_UNREACHABLE", "PROXY_UNSUPPORTED_SCHEME"},
    ),
    # a socks proxy that the sign-in domains bypass: nothing untested, so nothing unknown
    (
        "proxy-untested-but-bypassed",
        {
            "proxy": "untested",
            "bypassed": (
                "ws-broker-service.eu-west-1.amazonaws.com",
                "workspaces.eu-west-1.amazonaws.com",
                "ws-client-service.eu-west-1.amazonaws.com",
                "skylight-client-ds.eu-west-1.amazonaws.com",
                "connectivity.amazonworkspaces.com",
                "d2td7dqidlhjx7.cloudfront.net",
                "opfcaptcha-prod.s3.amazonaws.com",
                "s3.amazonaws.com",
                "fls-na.amazon.com",
                "device-metrics-us-2.amazon.com",
                "smartcard.eu-west-1.signin.aws",
            ),
        },
        "minimal-egress",
        "ready",
        set(),
        {"PROXY_UNSUPPORTED_SCHEME"},
    ),
    (
        "no-proxy-option",
        {"proxy": "disabled", "needed": R, "expected": R},
        "closed",
        "blocked",
        {"AUTH_UNREACHABLE"},
        {"PROXY_IN_USE", "PROXY_UNREACHABLE"},
    ),
    (
        "proxy-with-endpoint-bypassed",
        {"proxy": "relay", "bypassed": (PRIVATE,)},
        "minimal-egress",
        "ready",
        {"PROXY_IN_USE"},
        set(),
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "environment", "verdict", "present", "absent"),
    [c[1:] for c in PROXY_CASES],
    ids=[c[0] for c in PROXY_CASES],
)
def test_proxy_rules(
    kwargs: dict, environment: str, verdict: str, present: set[str], absent: set[str]
) -> None:
    _, d = diagnose(results(**kwargs))
    got = {f.code for f in d.findings}
    assert (str(d.environment), str(d.verdict)) == (environment, verdict), got
    assert present <= got
    assert not absent & got


def test_proxy_findings_say_what_and_where() -> None:
    def finding(code: str, **kwargs: object) -> Finding:
        return next(
            f
            for f in diagnose(results(**kwargs))[1].findings  # type: ignore[arg-type]
            if f.code == code
        )

    used = finding("PROXY_IN_USE", proxy="relay")
    assert "http://***@10.0.0.5:3128" in used.message and "QUIC" in used.message
    assert f"{PRIVATE} is not on the proxy bypass list" in used.message
    assert PRIVATE in used.remediation and "caching" in used.remediation
    bypassed = finding("PROXY_IN_USE", proxy="relay", bypassed=(PRIVATE,))
    assert f"{PRIVATE} is on the proxy bypass list" in bypassed.message
    auth = finding("PROXY_AUTH_REQUIRED", proxy="auth-407")
    assert auth.severity is Severity.ERROR and "not supported" in auth.message
    assert "ws-broker/tls/443" in auth.probes
    forbidden = finding("AUTH_UNREACHABLE", proxy="forbid-403")
    assert "tls/443 refused by the proxy (HTTP 403)" in forbidden.message
    assert "allow-list" in forbidden.remediation
    untested = finding("PROXY_UNSUPPORTED_SCHEME", proxy="untested")
    assert untested.severity is Severity.WARNING and "socks5://" in untested.message
    assert "proxy wsdiag does not test" in finding("NOT_MEASURED", proxy="untested").message


def test_a_proxy_failing_only_supporting_domains_warns() -> None:
    """The needed domains bypass the proxy and work; only supporting ones meet a 407."""
    r = results(proxy="auth-407", bypassed=("ws-broker-service.eu-west-1.amazonaws.com",))
    _, d = diagnose(r)
    f = next(f for f in d.findings if f.code == "PROXY_AUTH_REQUIRED")
    assert f.severity is Severity.WARNING
    assert d.verdict is Verdict.DEGRADED


def test_every_finding_rule_fires_somewhere() -> None:
    fired = {f.rule for c in CASES + PROXY_CASES for f in diagnose(results(**c[1]))[1].findings}
    never = (
        {r.name for r in FINDING_RULES}
        - fired
        - {"tls-untrusted", "endpoint-high-rtt", "auth-udp-unconfirmed"}
        # from sampled figures, not probe statuses: tests/test_quality_rules.py
        - {"quality-poor-network", "quality-poor-distance"}
        # one target's DNS among answered ones: tests/test_directory_id.py
        - {"directory-missing"}
        # a PAC route the PAC could not decide (synth has no PAC): tests/test_check_pac.py
        - {"pac-not-used"}
        # the client logs' regions beside the NXDOMAIN: tests/test_region_mismatch.py
        - {"region-mismatch"}
        # a plan with --nameserver (CASES plan none): tests/test_helpdesk_advice.py
        - {"nameserver-given"}
        # from the per-server answers and where wsdiag runs: tests/test_chain.py
        - {r.name for r in CHAIN_RULES}
    )
    assert never == set()


def test_every_environment_rule_is_reachable() -> None:
    fired = {diagnose(results(**c[1]))[1].rule for c in CASES + PROXY_CASES}
    assert {r.name for r in ENVIRONMENT_RULES} - fired <= {"undecided"}


def test_vpc_cidr_narrows_private() -> None:
    plan = plan_for(vpc_cidrs=("10.0.1.0/24",))
    _, d = diagnose(results(plan=plan))  # 10.0.2.10 is RFC 1918 but not in the VPC
    assert "ENDPOINT_PUBLIC_ANSWER" in {f.code for f in d.findings}
    assert d.verdict is Verdict.BLOCKED


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("10.0.0.1", True),
        ("172.16.0.1", True),
        ("172.31.255.255", True),
        ("192.168.1.1", True),
        ("172.32.0.1", False),
        ("100.64.0.1", True),  # RFC 6598 shared space: reached through an overlay, not public
        ("192.0.2.1", False),
        ("198.51.100.1", False),
        ("203.0.113.1", False),
        ("127.0.0.1", False),
        ("169.254.1.1", False),
        ("8.8.8.8", False),
        ("fd00::1", True),  # IPv6: a VPC's ranges are global unicast, the paths judge it
    ],
)
def test_rfc1918_explicitly(address: str, private: bool) -> None:
    assert not_public(address, ()) is private


statuses = st.sampled_from(list(Status))
outcomes = st.sampled_from(list(DnsOutcome))


@st.composite
def any_results(draw: st.DrawFn) -> object:
    table = draw(
        st.dictionaries(
            st.tuples(
                st.sampled_from(["10.0.1.10", "10.0.2.10"]),
                st.sampled_from(list(Transport)),
                st.sampled_from([443, 4195]),
            ),
            statuses,
        )
    )
    default = draw(statuses)
    return results(
        endpoint_dns=draw(
            st.one_of(
                outcomes,
                st.lists(
                    st.sampled_from(["10.0.1.10", "10.0.2.10", "203.0.113.9", "fd00::1"]),
                    min_size=1,
                    max_size=3,
                ),
            )
        ),
        endpoint=lambda a, t, p: table.get((a, t, p), default),
        needed=draw(st.one_of(statuses, outcomes)),
        expected=draw(st.one_of(statuses, outcomes)),
        health=draw(statuses),
        all_dns=draw(st.one_of(st.none(), outcomes)),
        proxy=(
            proxy := draw(
                st.sampled_from([None, "relay", "untested", "disabled", *PROXY_BEHAVIOUR])
            )
        ),
        # issue 17: the proxy's answers to CONNECT <private name>, and which client runs here
        stream=draw(
            st.dictionaries(
                st.sampled_from([4195, 443]),
                st.tuples(statuses, st.sampled_from([None, 200, 403, 405, 407, 500, 503, 504])),
            )
        )
        if proxy == "relay"
        else None,
        host=draw(
            st.sampled_from([None, "client-5.24", "client-5.20", "client-4.5", "client-2024.8"])
        ),
    )


@settings(max_examples=500, deadline=None)
@given(any_results())
def test_ready_only_on_measured_success(r: object) -> None:
    _, d = diagnose(r)  # type: ignore[arg-type]
    probes = r.probes  # type: ignore[attr-defined]
    if d.verdict in (Verdict.READY, Verdict.DEGRADED):
        ep = [p for p in probes if p.target_id == "endpoint"]
        assert any(p.status is Status.OPEN for p in ep)
        broker = [p for p in probes if p.target_id == "ws-broker" and p.transport is Transport.TLS]
        assert broker and all(p.status is Status.OPEN for p in broker)
        # never on a path that was not tested (an untested proxy's)
        assert not any(p.via is Via.PROXY and p.status is Status.SKIPPED for p in broker)
        # some TCP path the client would take answered: direct, or through the proxy
        assert any(p.status is Status.OPEN and p.transport.is_tcp for p in ep)
        assert not any(f.severity is Severity.ERROR for f in d.findings)
    if d.verdict is Verdict.READY:
        assert not any(f.severity is Severity.WARNING for f in d.findings)
        # a client streaming TCP through the proxy: ready only if the proxy carries 4195 and
        # refuses no port (443 unmeasured is judged as a direct path's 443 is: not needed)
        if "STREAM_VIA_PROXY" in {f.code for f in d.findings}:
            through = [p for p in probes if p.target_id == "endpoint" and p.via is Via.PROXY]
            assert 4195 in {p.port for p in through if p.status is Status.OPEN}
            assert not any(p.status in (Status.REFUSED, Status.FILTERED) for p in through)
    if "STREAM_PATH_UNKNOWN" in {f.code for f in d.findings}:
        assert d.verdict is Verdict.UNKNOWN
    if d.environment in (Environment.CLOSED, Environment.HOME, Environment.OFFLINE):
        assert d.verdict is Verdict.BLOCKED
    assert d.verdict.exit_code in (0, 1, 2, 3)


def test_tls_findings_name_the_cause_and_nothing_else() -> None:
    """The NAS address is named and judged not usable, without a second, wrong finding for
    it; a wrong clock is never read as interception or distrust."""
    _, d = diagnose(
        results(endpoint=paths(A_ALL, NAS_ONLY_443), tweak=endpoint_certs({A: GATEWAY, B: NAS}))
    )
    by = {f.code: f for f in d.findings}
    assert B in by["ENDPOINT_ADDRESS_OTHER"].message
    assert "nas.fritz.box" in by["ENDPOINT_ADDRESS_OTHER"].message
    assert A not in by["ENDPOINT_ADDRESS_OTHER"].message
    assert not {
        "ENDPOINT_ADDRESS_PARTIAL",
        "ENDPOINT_4195_BLOCKED",
        "ENDPOINT_QUIC_BLOCKED",
        "ENDPOINT_ISSUERS_DIFFER",
    } & set(by)
    _, d = diagnose(results(tweak=signin_chains(trusted=False, valid=False, public=False)))
    codes = {f.code for f in d.findings}
    assert "CLOCK_SKEW" in codes and "TLS_UNTRUSTED" not in codes
    # a foreign root is still interception, whatever the clock says
    assert "TLS_INSPECTED" in codes
    _, d = diagnose(results(tweak=signin_chains("Corp SSL Forward Trust CA", public=False)))
    inspected = next(f for f in d.findings if f.code == "TLS_INSPECTED")
    assert "Corp SSL Forward Trust CA" in inspected.message
    assert inspected.owner is not None and str(inspected.owner) == "network"
    assert inspected.basis and all(ids for _, ids in inspected.basis)
