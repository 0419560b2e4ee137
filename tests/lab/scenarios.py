"""The networks users really sit in, and what wsdiag must say about each.

Each scenario is a :class:`~tests.lab.topology.Shape` (resolver, router rules, default route)
plus the expected diagnosis and a probe-level check that proves the path was really what the
scenario claims (a verdict can be right for the wrong reason).

Router rules see only packets from the client and may use the lab's sets: ``@endpoints``
(the endpoint ENIs), ``@vpc_resolver``, ``@vpc`` (10.20.0.0/16), ``@internet`` (the
documentation ranges) and ``@public_answer`` (the public address a bad resolver hands out).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from tests.lab.hosts import (
    CLIENT_GW,
    DEAD_FORWARDER_RESOLVER,
    ENDPOINT_ADDRS,
    ENDPOINT_ADDRS6,
    HUB_RESOLVER,
    NAT64_PREFIX,
    OVERLAY_ADDRS,
    PUBLIC_ANSWER,
    SERVFAIL_RESOLVER,
    STUB_RESOLVER,
    VPC_RESOLVER,
)
from tests.lab.topology import LAN_DEVICE_ADDR, Shape, vpce_name
from wsdiag.check.catalog import load_catalog
from wsdiag.evidence.identity import AddressVerdict, EndpointTls, endpoint_identity
from wsdiag.vocab.model import Role
from wsdiag.vocab.results import CertSummary, TlsSeen

# Rule sets, written as a firewall admin would.
DROP_INTERNET = ("ip daddr @internet drop",)
ONLY_443_OUT = (
    "ip daddr @internet tcp dport != 443 drop",
    "ip daddr @internet udp dport != 443 drop",
)
# nft's reject: TCP gets a RST, everything else ICMP port-unreachable (as a firewall "deny"
# that answers, rather than one that drops).
REJECT_INTERNET = (
    "ip daddr @internet meta l4proto tcp reject with tcp reset",
    "ip daddr @internet reject with icmpx type port-unreachable",
)
VPC_UNROUTABLE = ("ip daddr @vpc drop",)


class Observed:
    """Read access to one wsdiag JSON report, by role rather than by probe id."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report
        self.roles = {t.id: t.role for t in load_catalog().targets}

    def probes(
        self,
        role: Role | None = None,
        transports: Iterable[str] | None = None,
        port: int | None = None,
        include_skipped: bool = False,
    ) -> list[dict[str, Any]]:
        wanted = set(transports) if transports is not None else None
        out = []
        for p in self.report.get("probes", []):
            if role is not None and self.roles.get(p.get("target", "")) is not role:
                continue
            if wanted is not None and p.get("transport") not in wanted:
                continue
            if port is not None and p.get("port") != port:
                continue
            if not include_skipped and p.get("status") == "skipped":
                continue
            out.append(p)
        return out

    def dns(self, host: str, rdtype: str = "A") -> list[dict[str, Any]]:
        return [
            d
            for d in self.report.get("dns", [])
            if d.get("host") == host and d.get("type") == rdtype
        ]

    def finding(self, code: str) -> dict[str, Any] | None:
        return next((f for f in self.report.get("findings", []) if f.get("code") == code), None)


TCPISH = ("tcp", "tls")


def _all(probes: list[dict[str, Any]], status: str, what: str) -> None:
    assert probes, f"no {what} probes were run"
    bad = [(p.get("id"), p.get("status")) for p in probes if p.get("status") != status]
    assert not bad, f"{what}: expected every probe {status}, got {bad}"


def _none_open(probes: list[dict[str, Any]], what: str) -> None:
    opened = [p.get("id") for p in probes if p.get("status") == "open"]
    assert not opened, f"{what}: nothing should get through, but these are open: {opened}"


def _endpoint_fully_open(o: Observed) -> None:
    probes = o.probes(Role.ENDPOINT)
    _all(probes, "open", "endpoint")
    # Every ENI, every port, both transports: wsdiag must probe each address, not the first.
    seen = {(p.get("address"), p.get("transport") in TCPISH, p.get("port")) for p in probes}
    want = {(a, tcp, port) for a in ENDPOINT_ADDRS for tcp in (True, False) for port in (443, 4195)}
    assert want <= seen, f"endpoint probes missing: {sorted(want - seen, key=str)}"


def _auth_open(o: Observed) -> None:
    probes = o.probes(Role.AUTH)
    _all(probes, "open", "auth")
    untrusted = [p.get("id") for p in probes if p.get("transport") == "tls"
                 and p.get("tls_trusted") is not True]  # fmt: skip
    assert not untrusted, f"TLS not verified against the lab CA (SSL_CERT_FILE): {untrusted}"


def check_closed(o: Observed) -> None:
    _endpoint_fully_open(o)
    _all(o.probes(Role.AUTH), "filtered", "auth")
    _all(o.probes(Role.HEALTH), "filtered", "health-check")


def check_minimal_egress(o: Observed) -> None:
    _endpoint_fully_open(o)
    _auth_open(o)
    _all(o.probes(Role.HEALTH), "filtered", "health-check")
    info = o.finding("HEALTH_CHECK_BLOCKED")
    assert info is not None and info.get("severity") == "info", info


def check_open_egress(o: Observed) -> None:
    _endpoint_fully_open(o)
    _auth_open(o)
    _all(o.probes(Role.HEALTH), "open", "health-check")


def check_home(o: Observed, region: str) -> None:
    host = endpoint_host(region)
    outcomes = {d.get("outcome") for d in o.dns(host)}
    assert outcomes == {"nxdomain"}, f"{host} A via the home resolver: {outcomes}"
    _none_open(o.probes(Role.ENDPOINT), "endpoint")
    _auth_open(o)


def check_home_vpc_by_default(o: Observed, region: str) -> None:
    """The laptop at home with --vpc-cidr given: the VPC address's route is the default
    route, the one the internet takes (asked of the OS, nothing sent): nothing against home."""
    check_home(o, region)
    routes = {r["role"]: r for r in (o.report.get("paths") or {}).get("routes", [])}
    assert {"vpc", "internet"} <= set(routes), routes
    assert routes["vpc"]["destination"] == "10.20.0.2", routes["vpc"]
    assert routes["vpc"]["interface"] == routes["internet"]["interface"], routes
    assert routes["vpc"]["tunnel"] == "no"


def check_home_public(o: Observed, region: str) -> None:
    host = endpoint_host(region)
    answers = [tuple(d.get("addresses", ())) for d in o.dns(host)]
    assert answers == [(PUBLIC_ANSWER,)], f"{host} A via the home resolver: {answers}"
    endpoint = o.probes(Role.ENDPOINT)
    _none_open(endpoint, "endpoint")
    stray = {p.get("address") for p in endpoint} - {PUBLIC_ANSWER}
    assert not stray, f"endpoint probed at addresses DNS never gave: {stray}"
    _auth_open(o)


def check_udp_blocked(o: Observed) -> None:
    _all(o.probes(Role.ENDPOINT, ["quic"]), "filtered", "endpoint QUIC")
    _all(o.probes(Role.ENDPOINT, TCPISH), "open", "endpoint TCP")
    _auth_open(o)


def check_sg_missing_4195(o: Observed) -> None:
    _all(o.probes(Role.ENDPOINT, port=4195), "filtered", "endpoint 4195")
    _all(o.probes(Role.ENDPOINT, port=443), "open", "endpoint 443")
    _auth_open(o)


def check_resolver_unreachable(o: Observed, region: str) -> None:
    outcomes = {d.get("outcome") for d in o.dns(endpoint_host(region))}
    assert outcomes == {"timeout"}, f"endpoint A with the resolver dropped: {outcomes}"
    _none_open(o.probes(), "any")


def check_no_route(o: Observed, region: str) -> None:
    outcomes = {d.get("outcome") for d in o.dns(endpoint_host(region))}
    assert outcomes == {"no-route"}, f"endpoint A without a default route: {outcomes}"
    _none_open(o.probes(), "any")


def check_local_firewall(o: Observed, region: str) -> None:
    causes = {(d.get("outcome"), d.get("cause")) for d in o.dns(endpoint_host(region))}
    assert ("no-route", "local-block") in causes, f"endpoint A, every send refused: {causes}"
    _none_open(o.probes(), "any")


def check_local_udp_block(o: Observed) -> None:
    quic = o.probes(Role.ENDPOINT, ["quic"])
    _all(quic, "unreachable", "endpoint QUIC (refused by this machine)")
    assert {p.get("cause") for p in quic} == {"local-block"}, quic
    _all(o.probes(Role.ENDPOINT, TCPISH), "open", "endpoint TCP")


def check_reject(o: Observed) -> None:
    _endpoint_fully_open(o)
    _all(o.probes(Role.AUTH, TCPISH), "refused", "auth TCP (RST)")
    _all(o.probes(Role.AUTH, ["quic"]), "refused", "auth QUIC (ICMP port unreachable)")
    _all(o.probes(Role.HEALTH), "refused", "health-check")


def check_one_eni_silent(o: Observed) -> None:
    live, dead = ENDPOINT_ADDRS[0], ENDPOINT_ADDRS[1]
    endpoint = o.probes(Role.ENDPOINT)
    _all([p for p in endpoint if p.get("address") == live], "open", f"endpoint {live}")
    _all([p for p in endpoint if p.get("address") == dead], "filtered", f"endpoint {dead}")


def check_one_eni_no_udp(o: Observed) -> None:
    full, partial = ENDPOINT_ADDRS[0], ENDPOINT_ADDRS[1]
    endpoint = o.probes(Role.ENDPOINT)
    _all([p for p in endpoint if p.get("address") == full], "open", f"endpoint {full}")
    mine = [p for p in endpoint if p.get("address") == partial]
    _all([p for p in mine if p.get("transport") in TCPISH], "open", f"endpoint {partial} TCP")
    _all([p for p in mine if p.get("transport") == "quic"], "filtered", f"endpoint {partial} QUIC")
    # The finding names the broken address and its paths, and only that address.
    f = o.finding("ENDPOINT_QUIC_BLOCKED") or {}
    message = str(f.get("message", ""))
    assert partial in message and "quic/443" in message and "quic/4195" in message, f
    assert "1 of 2 addresses" in message, f
    assert full not in message, f
    assert f"endpoint_addresses[{partial}]" in f.get("basis", {}), f
    units = {u["address"]: u for u in o.report["evidence"]["endpoint_addresses"]}
    assert (units[partial]["quic4195"], units[partial]["tcp4195"]) == ("no", "yes"), units


def check_tls_untrusted(o: Observed) -> None:
    _endpoint_fully_open(o)
    tls = o.probes(Role.AUTH, ["tls"])
    _all(tls, "open", "auth TLS (the path works)")
    trusted = [p.get("id") for p in tls if p.get("tls_trusted") is not False]
    assert not trusted, f"certificates should be untrusted here: {trusted}"


def _identity(o: Observed) -> dict[str, AddressVerdict]:
    """wsdiag.evidence.identity's verdict per endpoint address, from the report's JSON."""
    outcomes = []
    for p in o.probes(Role.ENDPOINT, ["tcp"]):
        if p.get("tls_seen") is None:
            continue
        c = (p.get("certs") or [None])[0]
        cert = (
            None
            if c is None
            else CertSummary(
                c["subject_cn"],
                tuple(c["sans"]),
                c["issuer"],
                c["issuer_cn"],
                dt.datetime.fromisoformat(c["not_before"]),
                dt.datetime.fromisoformat(c["not_after"]),
                c["sha256"],
                c["self_issued"],
            )
        )
        outcomes.append(EndpointTls(p["address"], p["port"], TlsSeen(p["tls_seen"]), cert))
    return {a.address: a.verdict for a in endpoint_identity(outcomes).addresses}


def check_lan_device(o: Observed) -> None:
    real = ENDPOINT_ADDRS[0]
    endpoint = o.probes(Role.ENDPOINT, include_skipped=True)
    _all([p for p in endpoint if p.get("address") == real], "open", f"endpoint {real}")
    nas = {
        (p.get("transport"), p.get("port")): p
        for p in endpoint
        if p.get("address") == LAN_DEVICE_ADDR
    }
    tcp443 = nas[("tcp", 443)]
    assert tcp443.get("status") == "open", tcp443  # the NAS answers TCP 443 ...
    assert tcp443["certs"][0]["subject_cn"] == "nas.local", tcp443  # ... as itself
    assert nas[("tcp", 4195)].get("status") == "refused", nas[("tcp", 4195)]
    assert _identity(o) == {real: AddressVerdict.SHOWN, LAN_DEVICE_ADDR: AddressVerdict.OTHER}
    other = [f for f in o.report.get("findings", []) if f.get("code") == "ENDPOINT_ADDRESS_OTHER"]
    assert other and LAN_DEVICE_ADDR in other[0]["message"], other  # names the address ...
    assert real not in other[0]["message"], other  # ... and only that one
    units = {a["address"]: a for a in o.report["evidence"]["endpoint_addresses"]}
    assert units[LAN_DEVICE_ADDR]["other"] and not units[real]["other"], units


def check_tls_deployed(o: Observed) -> None:
    _all(o.probes(Role.ENDPOINT, ["quic"], port=443), "filtered", "endpoint QUIC 443")
    tls = o.probes(Role.AUTH, ["tls"])
    _all(tls, "open", "auth TLS (the path works)")
    seen = {(p.get("tls_trusted"), p.get("tls_public_root")) for p in tls}
    assert seen == {(True, False)}, f"trusted by the laptop, not public: {seen}"
    # The endpoint is not judged by its issuer: its certificate names it, so it is shown.
    assert set(_identity(o).values()) == {AddressVerdict.SHOWN}
    inspected = [f for f in o.report.get("findings", []) if f.get("code") == "TLS_INSPECTED"]
    assert inspected and inspected[0].get("owner") == "network", inspected


def check_hosts_pin(o: Observed, region: str) -> None:
    host = endpoint_host(region)
    outcomes = {d.get("outcome") for d in o.dns(host)}
    assert outcomes == {"nxdomain"}, f"{host} A via the home resolver: {outcomes}"
    answers = [(d.get("outcome"), tuple(d.get("addresses", ()))) for d in o.dns(host, "OS")]
    assert answers == [("answer", ENDPOINT_ADDRS)], f"{host} through getaddrinfo: {answers}"
    _endpoint_fully_open(o)  # the client dials the hosts file's addresses
    _auth_open(o)
    units = o.report["evidence"]["endpoint_addresses"]
    assert {(u["os_answer"], u["dns_answer"]) for u in units} == {("yes", "no")}, units


def check_captive(o: Observed, region: str) -> None:
    host = endpoint_host(region)
    answers = {tuple(d.get("addresses", ())) for d in o.dns(host) + o.dns(host, "OS")}
    assert answers == {(CLIENT_GW,)}, f"{host} behind the portal: {answers}"
    f = o.finding("CAPTIVE_PORTAL") or {}
    assert CLIENT_GW in str(f.get("message")) and f.get("owner") == "user", f
    # the portal's own page answers TLS on 443 with a certificate nobody trusts
    tls = o.probes(Role.AUTH, ["tls"])
    assert tls and {p.get("address") for p in tls} == {CLIENT_GW}, tls
    assert all(p.get("tls_trusted") is False for p in tls if p.get("status") == "open"), tls


def check_no_resolver(o: Observed) -> None:
    # the resolver's lookups; getaddrinfo (type OS) fails its own way (glibc tries 127.0.0.1)
    outcomes = {d.get("outcome") for d in o.report.get("dns", []) if d.get("type") != "OS"}
    assert outcomes == {"not-configured"}, f"DNS with an empty resolv.conf: {outcomes}"
    assert not o.probes(), "nothing can be probed without names"


def _endpoint_open_at(o: Observed, addresses: tuple[str, ...]) -> None:
    probes = o.probes(Role.ENDPOINT)
    _all(probes, "open", "endpoint")
    seen = {(p.get("address"), p.get("transport") in TCPISH, p.get("port")) for p in probes}
    want = {(a, tcp, port) for a in addresses for tcp in (True, False) for port in (443, 4195)}
    assert seen == want, f"endpoint probes: {sorted(seen, key=str)}"


def check_overlay(o: Observed) -> None:
    _endpoint_open_at(o, OVERLAY_ADDRS)
    _auth_open(o)
    f = o.finding("ENDPOINT_OVERLAY") or {}
    assert all(a in str(f.get("message")) for a in OVERLAY_ADDRS), f


def check_ipv6_only(o: Observed, region: str) -> None:
    host = endpoint_host(region)
    assert [d.get("outcome") for d in o.dns(host)] == ["no-answer"], o.dns(host)
    aaaa = [set(d.get("addresses", ())) for d in o.dns(host, "AAAA")]
    assert aaaa == [set(ENDPOINT_ADDRS6)], aaaa  # dnsmasq rotates the order
    _endpoint_open_at(o, ENDPOINT_ADDRS6)  # TCP and QUIC, 443 and 4195, over IPv6
    _auth_open(o)


def endpoint_host(region: str) -> str:
    # The same template wsdiag uses; a test that hard-coded it could drift from the catalog.
    target = next(t for t in load_catalog().targets if t.role is Role.ENDPOINT)
    return target.host.format(region=region)


@dataclass(frozen=True)
class Expect:
    environment: str
    verdict: str
    exit_code: int
    findings: tuple[str, ...] = ()  # codes that must be present
    absent: tuple[str, ...] = ()  # codes that must not be


@dataclass(frozen=True)
class Scenario:
    name: str
    region: str
    story: str
    shape: Shape
    expect: Expect
    check: Callable[[Observed, str], None] = field(repr=False)
    # Not "" while the rule that gives the expected diagnosis is not written yet: the probe
    # check must pass, the expectation is an expected failure until then (and a failure
    # once met, so the mark is removed).
    pending: str = ""


def _plain(fn: Callable[[Observed], None]) -> Callable[[Observed, str], None]:
    return lambda o, _region: fn(o)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "closed",
        "eu-west-1",
        "endpoint reachable through the VPC, nothing reaches the internet",
        Shape(rules=DROP_INTERNET),
        Expect("closed", "blocked", 2, ("AUTH_UNREACHABLE",)),
        _plain(check_closed),
    ),
    Scenario(
        "minimal-egress",
        "ap-northeast-1",
        "endpoint reachable; the internet only on TCP and UDP 443",
        Shape(rules=ONLY_443_OUT),
        Expect("minimal-egress", "ready", 0, ("HEALTH_CHECK_BLOCKED",)),
        _plain(check_minimal_egress),
    ),
    Scenario(
        "open-egress",
        "eu-west-1",
        "endpoint and the whole internet reachable",
        Shape(),
        Expect("open-egress", "ready", 0, absent=("HEALTH_CHECK_BLOCKED", "AUTH_UNREACHABLE")),
        _plain(check_open_egress),
    ),
    Scenario(
        "home",
        "ap-northeast-1",
        "home ISP resolver, private name NXDOMAIN, VPC unroutable, internet open",
        Shape(resolver="home", rules=VPC_UNROUTABLE),
        Expect("home", "blocked", 2, ("ENDPOINT_NXDOMAIN",)),
        check_home,
    ),
    Scenario(
        "home-vpc-cidr",
        "eu-west-1",
        "at home as above, the VPC's CIDR given: its route is the default route (issue 16)",
        Shape(resolver="home", rules=VPC_UNROUTABLE, args=("--vpc-cidr", "10.20.0.0/16")),
        Expect("home", "blocked", 2, ("ENDPOINT_NXDOMAIN", "HOME_NETWORK")),
        check_home_vpc_by_default,
    ),
    Scenario(
        "home-public",
        "eu-west-1",
        "home resolver answers the private name with a public address where nothing listens",
        Shape(resolver="home-public", rules=(*VPC_UNROUTABLE, "ip daddr @public_answer drop")),
        Expect("home", "blocked", 2, ("ENDPOINT_PUBLIC_ANSWER",)),
        check_home_public,
    ),
    Scenario(
        "udp-blocked",
        "ap-northeast-1",
        "VPC path drops UDP to the endpoint (QUIC); internet open",
        Shape(rules=("ip daddr @endpoints meta l4proto udp drop",)),
        Expect("open-egress", "degraded", 1, ("ENDPOINT_QUIC_BLOCKED",)),
        _plain(check_udp_blocked),
    ),
    Scenario(
        "sg-missing-4195",
        "eu-west-1",
        "endpoint security group lacks 4195 (TCP and UDP); internet only on 443",
        Shape(rules=("ip daddr @endpoints th dport 4195 drop", *ONLY_443_OUT)),
        Expect("minimal-egress", "degraded", 1, ("ENDPOINT_4195_BLOCKED",)),
        _plain(check_sg_missing_4195),
    ),
    Scenario(
        "resolver-unreachable",
        "ap-northeast-1",
        "the configured resolver (VPC) is dropped; everything else open",
        Shape(rules=("ip daddr @vpc_resolver drop",)),
        Expect("unknown", "blocked", 2, ("DNS_RESOLVER_UNREACHABLE",)),
        check_resolver_unreachable,
    ),
    Scenario(
        "no-route",
        "eu-west-1",
        "the laptop has an address but no default route",
        Shape(default_route=False),
        Expect("offline", "blocked", 2, ("NO_ROUTE",)),
        check_no_route,
    ),
    Scenario(
        "reject",
        "ap-northeast-1",
        "like closed, but the firewall answers: TCP reset, ICMP port unreachable",
        Shape(rules=REJECT_INTERNET),
        Expect("closed", "blocked", 2, ("AUTH_UNREACHABLE",)),
        _plain(check_reject),
    ),
    Scenario(
        "one-eni-silent",
        "eu-west-1",
        "one of the endpoint's two ENIs (one AZ) is unreachable; internet open",
        Shape(rules=(f"ip daddr {ENDPOINT_ADDRS[1]} drop",)),
        Expect("open-egress", "degraded", 1, ("ENDPOINT_ADDRESS_SILENT",)),
        _plain(check_one_eni_silent),
    ),
    Scenario(
        "one-eni-no-udp",
        "ap-northeast-1",
        "one of the endpoint's two ENIs answers TCP 443/4195 but its UDP is dropped (that "
        "AZ's network ACL); the other answers everything; internet open",
        Shape(rules=(f"ip daddr {ENDPOINT_ADDRS[1]} meta l4proto udp drop",)),
        Expect(
            "open-egress",
            "degraded",
            1,
            ("ENDPOINT_QUIC_BLOCKED",),
            absent=("ENDPOINT_ADDRESS_SILENT", "ENDPOINT_TCP_BLOCKED"),
        ),
        _plain(check_one_eni_no_udp),
    ),
    Scenario(
        "no-resolver",
        "ap-northeast-1",
        "DHCP gave the laptop no DNS servers: resolv.conf names none",
        Shape(resolver="none"),
        Expect("unknown", "unknown", 3, ("DNS_NOT_CONFIGURED",)),
        _plain(check_no_resolver),
    ),
    Scenario(
        "tls-inspected",
        "eu-west-1",
        "minimal egress through a TLS-inspecting firewall: certificates the laptop does not trust",
        Shape(rules=ONLY_443_OUT, trusts_lab_ca=False),
        # Blocked on purpose since issue 8: the client rejects a chain the OS does not trust
        # on a needed sign-in domain (was: degraded, TLS_UNTRUSTED as a warning).
        Expect("minimal-egress", "blocked", 2, ("TLS_UNTRUSTED",), ("TLS_INSPECTED",)),
        _plain(check_tls_untrusted),
    ),
    Scenario(
        "lan-device",
        "eu-west-1",
        "the home LAN overlaps one endpoint subnet: a NAS holds one endpoint address and "
        "answers only TCP 443, with its own certificate",
        Shape(lan_device=True),
        Expect(
            "open-egress",
            "blocked",
            2,
            ("ENDPOINT_ADDRESS_OTHER",),
            ("ENDPOINT_ADDRESS_PARTIAL", "ENDPOINT_ISSUERS_DIFFER"),
        ),
        _plain(check_lan_device),
    ),
    Scenario(
        "tls-inspected-trusted",
        "eu-west-1",
        "a TLS-decrypting firewall whose CA the laptop trusts; UDP 443 dropped",
        Shape(rules=("udp dport 443 drop",), public_roots="other"),
        Expect("open-egress", "blocked", 2, ("TLS_INSPECTED",), ("TLS_UNTRUSTED",)),
        _plain(check_tls_deployed),
    ),
)

# Names as the OS resolves them (issue 8): the client dials getaddrinfo's answer.
SCENARIOS += (
    Scenario(
        "hosts-pin",
        "eu-west-1",
        "a VPN that pushes no DNS: the home resolver says NXDOMAIN for the private name, the "
        "hosts file pins it to the endpoint's addresses; both reachable",
        Shape(
            resolver="home", hosts=tuple((a, endpoint_host("eu-west-1")) for a in ENDPOINT_ADDRS)
        ),
        Expect(
            "open-egress",
            "ready",
            0,
            ("OS_HOSTS_FILE",),
            absent=("ENDPOINT_NXDOMAIN", "HOME_NETWORK"),
        ),
        check_hosts_pin,
    ),
    Scenario(
        "captive-portal",
        "ap-northeast-1",
        "Wi-Fi before login: the gateway answers every name with itself and serves a login "
        "page on 443 under its own certificate",
        Shape(resolver="captive"),
        Expect(
            "captive",  # issue 19 item 3: was minimal-egress, which no portal is
            "blocked",
            2,
            ("CAPTIVE_PORTAL",),
            absent=(
                "ENDPOINT_ADDRESS_PARTIAL",
                "ENDPOINT_4195_BLOCKED",
                "TLS_UNTRUSTED",
                "AUTH_UNREACHABLE",
                "ENDPOINT_PUBLIC_ANSWER",
            ),
        ),
        check_captive,
    ),
)

SCENARIOS += (
    Scenario(
        "overlay",
        "eu-west-1",
        "a zero-trust client answers the private name in shared space (100.64.0.0/10, RFC "
        "6598) and carries every endpoint path; internet open",
        Shape(resolver="overlay"),
        Expect(
            "open-egress",
            "ready",
            0,
            ("ENDPOINT_OVERLAY",),
            absent=("ENDPOINT_PUBLIC_ANSWER", "ENDPOINT_OVERLAY_SILENT"),
        ),
        _plain(check_overlay),
    ),
    Scenario(
        "ipv6-only-endpoint",
        "ap-northeast-1",
        "the endpoint's DNS record type is IPv6: AAAA only, every path answers over IPv6",
        Shape(resolver="vpc-v6"),
        Expect(
            "open-egress",
            "ready",
            0,
            absent=("ENDPOINT_AAAA_ONLY", "ENDPOINT_DUAL_STACK", "NOT_MEASURED"),
        ),
        check_ipv6_only,
    ),
)

# The laptop's own firewall (EPERM on send): never "offline"/NO_ROUTE, never a network ticket.
LOCAL_BLOCK_ABSENT = ("NO_ROUTE", "DNS_RESOLVER_UNREACHABLE", "ENDPOINT_QUIC_BLOCKED")
SCENARIOS += (
    Scenario(
        "local-firewall",
        "eu-west-1",
        "the laptop's own firewall drops every packet it sends (EPERM), DNS included",
        Shape(client_rules=('oifname != "lo" drop',)),
        Expect("unknown", "unknown", 3, ("LOCAL_FIREWALL_BLOCKS",), absent=LOCAL_BLOCK_ABSENT),
        check_local_firewall,
    ),
    Scenario(
        "local-udp-block",
        "ap-northeast-1",
        "the laptop's own firewall drops the UDP it sends but DNS; the network is open",
        Shape(client_rules=("udp dport != 53 drop",)),
        Expect(
            "open-egress",
            "unknown",
            3,
            ("LOCAL_FIREWALL_BLOCKS",),
            absent=LOCAL_BLOCK_ABSENT,
        ),
        _plain(check_local_udp_block),
    ),
)

# --- the resolver chain (issue 16) -------------------------------------------------------


def _servers(o: Observed, region: str) -> list[dict[str, Any]]:
    (a,) = o.dns(endpoint_host(region))
    return sorted(a.get("servers", []), key=lambda s: s["order"])


def _first(o: Observed, code: str) -> dict[str, Any]:
    """The finding ``code``, which must come before any other error."""
    found = o.report.get("findings", [])
    f = o.finding(code)
    assert f is not None, [x.get("code") for x in found]
    errors = [x.get("code") for x in found if x.get("severity") == "error"]
    assert not errors or errors[0] == code, errors
    return f


def check_servfail_first(o: Observed, region: str) -> None:
    first, second = _servers(o, region)
    assert (first["server"], first["outcome"]) == (SERVFAIL_RESOLVER, "servfail"), first
    assert (second["server"], second["outcome"]) == (VPC_RESOLVER, "answer"), second
    os_answer = [set(d.get("addresses", ())) for d in o.dns(endpoint_host(region), "OS")]
    assert os_answer == [set(ENDPOINT_ADDRS)], os_answer  # glibc moved past the SERVFAIL
    _endpoint_fully_open(o)
    f = o.finding("DNS_FIRST_SERVER_SERVFAIL") or {}
    assert SERVFAIL_RESOLVER in f["message"] and "SERVFAIL" in f["message"], f
    assert "not confirmed for current Windows" in f["message"], f
    assert "fix or remove" in f["remediation"].lower(), f


def check_slow(o: Observed, region: str) -> None:
    (a,) = o.dns(endpoint_host(region))
    assert a.get("late") is True and a["ms"] >= 3000, a
    _endpoint_fully_open(o)
    f = o.finding("ENDPOINT_DNS_SLOW") or {}
    assert re.search(r"took 3\.\d s", f.get("message", "")), f


def check_validating_stub(o: Observed, region: str) -> None:
    (stub,) = _servers(o, region)
    assert (stub["server"], stub["outcome"], stub["cd_outcome"]) == (
        STUB_RESOLVER,
        "servfail",
        "answer",
    ), stub
    assert any(6 <= e["code"] <= 12 for e in stub["ede"]), stub  # unbound's ede: yes
    f = _first(o, "DNSSEC_VALIDATION_FAILS")
    assert "DNSSEC validation in the local stub" in f["message"], f
    _none_open(o.probes(Role.ENDPOINT), "endpoint")


def check_dead_forwarder(o: Observed, region: str) -> None:
    (srv,) = _servers(o, region)
    assert (srv["outcome"], srv["soa_apex"], srv["answered_other"]) == ("timeout", "timeout", True)
    _auth_open(o)  # the same server answers the other names
    f = _first(o, "DNS_FORWARDER_SILENT")
    assert f"a2z.com alone fails on the resolver {DEAD_FORWARDER_RESOLVER}" in f["message"], f
    assert "inbound endpoint" in f["remediation"] and ".2 address" in f["remediation"], f


def check_hub(o: Observed, region: str) -> None:
    assert {d.get("outcome") for d in o.dns(endpoint_host(region))} == {"nxdomain"}
    f = _first(o, "DNS_PRIVATE_ZONE_NOT_VISIBLE")
    assert HUB_RESOLVER in f["message"] and "private hosted zone" in f["message"], f
    assert "inbound endpoint" in f["remediation"], f
    assert "connect the vpn" not in json.dumps(o.report).lower()


def check_dns64(o: Observed, region: str) -> None:
    (srv,) = _servers(o, region)
    assert srv["dns64_prefix"] == NAT64_PREFIX, srv  # RFC 7050: ipv4only.arpa
    aaaa = [set(d.get("addresses", ())) for d in o.dns(endpoint_host(region), "AAAA")]
    want = {"fd00:64::a14:10a", "fd00:64::a14:20a"}  # 10.20.1.10, 10.20.2.10 embedded
    assert aaaa == [want], aaaa
    _endpoint_open_at(o, tuple(sorted(want)))  # over IPv6, through the NAT64
    _auth_open(o)
    f = o.finding("NETWORK_DNS64") or {}
    assert "IPv6-only network with DNS64" in f["message"] and "10.20.1.10" in f["message"], f
    assert "security group" in f["remediation"] and "NAT64" in f["remediation"], f


# --- paths as the client takes them (issue 17) -----------------------------------------
# Squid at the laptop's gateway (tests.lab.topology: "443" = CONNECT to 443 only, as Squid's
# suggested ``http_access deny CONNECT !SSL_ports``; "open" = 443 and 4195); nftables'
# ``reject with icmpx type admin-prohibited`` as a firewall that refuses out loud. The
# router's address on the laptop's LAN (CLIENT_GW) is the firewall that answers.

DIRECT_ENDPOINT_DROPPED = ("ip daddr @endpoints drop",)
DIRECT_INTERNET_DROPPED = ("ip daddr @internet drop",)
PROHIBITED_STREAM = (
    "ip daddr @endpoints udp dport { 443, 4195 } reject with icmpx type admin-prohibited",
    "ip daddr @endpoints tcp dport 4195 reject with icmpx type admin-prohibited",
)


def _proxied(o: Observed, port: int) -> dict[str, Any]:
    got = [p for p in o.probes(Role.ENDPOINT, ["tcp"], port=port) if p.get("via") == "proxy"]
    assert len(got) == 1, f"endpoint/tcp/{port}@proxy: {got}"
    return got[0]


def _direct(o: Observed, transports: Iterable[str] | None = None) -> list[dict[str, Any]]:
    return [p for p in o.probes(Role.ENDPOINT, transports) if p.get("via") != "proxy"]


def _auth_tls_open(o: Observed) -> None:
    """The sign-in TLS probes went through the proxy and verified (their QUIC is direct)."""
    tls = o.probes(Role.AUTH, ["tls"])
    _all(tls, "open", "auth TLS")
    assert {p.get("via") for p in tls} == {"proxy"}, tls
    assert all(p.get("tls_trusted") is True for p in tls), tls


def _prohibited(probes: list[dict[str, Any]], what: str) -> None:
    assert probes, f"no {what} probes were run"
    bad = [
        (p.get("id"), p.get("status"), p.get("icmp"), p.get("offender"))
        for p in probes
        if (p.get("status"), p.get("icmp"), p.get("offender"))
        != ("unreachable", "prohibited", CLIENT_GW)
    ]
    assert not bad, f"{what}: expected ICMP prohibited from {CLIENT_GW}, got {bad}"


def check_proxy_443_only(o: Observed) -> None:
    _all(_direct(o), "filtered", "endpoint direct")
    refused, opened = _proxied(o, 4195), _proxied(o, 443)
    assert (refused["status"], refused["proxy_status"]) == ("refused", 403), refused
    assert "by its policy" in refused["detail"], refused
    assert (opened["status"], opened["proxy_status"]) == ("open", 200), opened
    _auth_tls_open(o)  # through the proxy


def check_proxy_quic_direct(o: Observed) -> None:
    _all(_direct(o, ["quic"]), "open", "endpoint QUIC direct")
    _all(_direct(o, TCPISH), "filtered", "endpoint TCP direct")
    assert _proxied(o, 4195)["proxy_status"] == 403
    assert _proxied(o, 443)["status"] == "open"


def check_private_dns_off(o: Observed, region: str) -> None:
    host = vpce_name(region)
    answers = [set(d.get("addresses", ())) for d in o.dns(host)]
    assert answers == [set(ENDPOINT_ADDRS)], f"{host} via the public resolver: {answers}"
    _all(_direct(o), "filtered", "endpoint direct")
    for port in (4195, 443):
        p = _proxied(o, port)
        assert (p["status"], p["proxy_status"], p["host"]) == ("open", 200, host), p
    _auth_tls_open(o)


def check_firewall_prohibits(o: Observed) -> None:
    _prohibited(_direct(o, ["quic"]), "endpoint QUIC 443/4195")
    _prohibited([p for p in _direct(o, TCPISH) if p.get("port") == 4195], "endpoint TCP 4195")
    _all(o.probes(Role.ENDPOINT, TCPISH, port=443), "open", "endpoint TCP 443")
    _auth_open(o)
    f = o.finding("ENDPOINT_PROHIBITED") or {}
    message = str(f.get("message", ""))
    assert f.get("owner") == "network" and f"{CLIENT_GW} refuses" in message, f
    assert all(path in message for path in ("udp/443", "udp/4195", "tcp/4195")), f
    assert "tcp/443" not in message and "security group" not in message, f


def check_host_prohibited(o: Observed) -> None:
    quic = _direct(o, ["quic"])
    assert quic and {(p["icmp"], p["offender"]) for p in quic} == {("prohibited", CLIENT_GW)}
    assert "ICMP 3/10" in quic[0]["detail"], quic[0]
    _all(o.probes(Role.ENDPOINT, TCPISH), "open", "endpoint TCP")


def check_only_the_proxy(o: Observed) -> None:
    _prohibited(_direct(o), "endpoint direct")
    for port in (4195, 443):
        assert _proxied(o, port)["status"] == "open", _proxied(o, port)
    _auth_tls_open(o)


SCENARIOS += (
    Scenario(
        "servfail-first",
        "eu-west-1",
        "resolv.conf names a company server that SERVFAILs a2z.com at once, then the VPC's "
        "resolver with the private answer: glibc moves on",
        Shape(resolver="servfail-first"),
        Expect("open-egress", "ready", 0, ("DNS_FIRST_SERVER_SERVFAIL",)),
        check_servfail_first,
    ),
    Scenario(
        "slow-forwarder",
        "ap-northeast-1",
        "a conditional forwarder answers the private name after 3 s, other names at once",
        Shape(resolver="slow"),
        Expect(
            "open-egress",
            "ready",
            0,
            ("ENDPOINT_DNS_SLOW",),
            absent=("NOT_MEASURED", "DNS_RESOLVER_UNREACHABLE", "ENDPOINT_DNS_FAILED"),
        ),
        check_slow,
    ),
    Scenario(
        "validating-stub",
        "eu-west-1",
        "a local stub (unbound on 127.0.0.53) validates DNSSEC and fails every a2z.com answer; "
        "with CD set the answer comes",
        Shape(resolver="stub"),
        Expect(
            "unknown",
            "blocked",
            2,
            ("DNSSEC_VALIDATION_FAILS",),
            absent=("HOME_NETWORK", "ENDPOINT_DNS_FAILED"),
        ),
        check_validating_stub,
    ),
    Scenario(
        "dead-forwarder",
        "ap-northeast-1",
        "the company resolver forwards a2z.com to a VPC's +2 from outside: the private name "
        "and a2z.com's SOA get no answer, other names resolve through the same server",
        Shape(resolver="dead-forwarder"),
        Expect(
            "unknown",
            "blocked",
            2,
            ("DNS_FORWARDER_SILENT",),
            absent=("HOME_NETWORK", "DNS_RESOLVER_UNREACHABLE"),
        ),
        check_dead_forwarder,
    ),
    Scenario(
        "hub-without-zone",
        "eu-west-1",
        "the company resolver forwards to a hub VPC's inbound endpoint that cannot see the "
        "endpoint's private zone: NXDOMAIN, VPC routed",
        Shape(resolver="hub"),
        Expect(
            "unknown",
            "blocked",
            2,
            ("DNS_PRIVATE_ZONE_NOT_VISIBLE",),
            absent=("HOME_NETWORK", "ENDPOINT_NXDOMAIN"),
        ),
        check_hub,
    ),
    Scenario(
        "ipv6-only-dns64",
        "ap-northeast-1",
        "an IPv6-only network (no IPv4 default route): unbound's dns64 synthesizes AAAA under "
        "a network-specific /96, tayga's NAT64 in the router reaches the VPC",
        Shape(resolver="dns64", ipv6_only=True),
        Expect(
            "open-egress",
            "ready",
            0,
            ("NETWORK_DNS64",),
            absent=("ENDPOINT_DUAL_STACK", "NO_ROUTE", "ENDPOINT_AAAA_ONLY"),
        ),
        check_dns64,
    ),
)

SCENARIOS += (
    Scenario(
        "proxy-443-only",
        "eu-west-1",
        "Squid allows CONNECT to 443 only (deny CONNECT !SSL_ports); direct TCP and UDP to "
        "the VPC and the internet dropped; the proxy reaches the VPC",
        Shape(proxy="443", rules=(*DIRECT_ENDPOINT_DROPPED, *DIRECT_INTERNET_DROPPED)),
        # No client on the lab machine: whether it streams through the proxy is not known,
        # so both outcomes are given and the verdict is unknown (a client >= 5.23 that
        # does: degraded over CONNECT :443; one that streams direct: blocked).
        Expect(
            "unknown",
            "unknown",
            3,
            ("PROXY_DENIES_CONNECT_4195", "STREAM_PATH_UNKNOWN"),
            absent=("ENDPOINT_UNREACHABLE", "ENDPOINT_TCP_BLOCKED", "NO_ROUTE"),
        ),
        _plain(check_proxy_443_only),
    ),
    Scenario(
        "proxy-443-quic-direct",
        "ap-northeast-1",
        "Squid allows CONNECT to 443 only; UDP to the endpoint passes direct (QUIC), direct "
        "TCP dropped",
        Shape(
            proxy="443",
            rules=(
                "ip daddr @endpoints meta l4proto tcp drop",
                *DIRECT_INTERNET_DROPPED,
            ),
        ),
        Expect(
            "unknown",
            "unknown",
            3,
            ("PROXY_DENIES_CONNECT_4195", "STREAM_PATH_UNKNOWN"),
            absent=("ENDPOINT_UNREACHABLE", "ENDPOINT_TCP_BLOCKED", "NO_ROUTE"),
        ),
        _plain(check_proxy_quic_direct),
    ),
    Scenario(
        "private-dns-off",
        "eu-west-1",
        "private DNS names off (AWS's advice behind a proxy): the privatelink name NXDOMAIN, "
        "the endpoint's own vpce name public; Squid (443 and 4195) reaches the VPC; direct "
        "dropped; run with --endpoint-host <vpce name>",
        Shape(
            resolver="home",
            proxy="open",
            rules=(
                *DIRECT_ENDPOINT_DROPPED,
                "ip daddr @internet udp dport != 53 drop",
                "ip daddr @internet tcp dport != 53 drop",
            ),
            args=("--endpoint-host", vpce_name("{region}")),
        ),
        Expect(
            "unknown",
            "unknown",
            3,
            ("STREAM_PATH_UNKNOWN",),
            absent=("ENDPOINT_UNREACHABLE", "ENDPOINT_NXDOMAIN", "HOME_NETWORK", "NOT_MEASURED"),
        ),
        check_private_dns_off,
    ),
    Scenario(
        "firewall-prohibits",
        "ap-northeast-1",
        f"a firewall ({CLIENT_GW}) refuses UDP 443/4195 and TCP 4195 to the endpoint with "
        "ICMP 3/13 (administratively prohibited); TCP 443 passes; internet open",
        Shape(rules=PROHIBITED_STREAM),
        Expect(
            "open-egress",
            "degraded",
            1,
            ("ENDPOINT_PROHIBITED",),
            absent=("ENDPOINT_4195_BLOCKED", "NO_ROUTE", "ENDPOINT_UNREACHABLE"),
        ),
        _plain(check_firewall_prohibits),
    ),
    Scenario(
        "firewall-host-prohibited",
        "eu-west-1",
        f"a firewall ({CLIENT_GW}) refuses UDP to the endpoint with ICMP 3/10 (host "
        "administratively prohibited); TCP passes; internet open",
        Shape(
            rules=("ip daddr @endpoints meta l4proto udp reject with icmp type host-prohibited",)
        ),
        Expect(
            "open-egress",
            "degraded",
            1,
            ("ENDPOINT_PROHIBITED",),
            absent=("ENDPOINT_QUIC_BLOCKED", "NO_ROUTE", "ENDPOINT_UNREACHABLE"),
        ),
        _plain(check_host_prohibited),
    ),
    Scenario(
        "only-the-proxy",
        "ap-northeast-1",
        "everything direct refused by policy (ICMP 3/13 from the firewall); only Squid (443 "
        "and 4195) open, and it reaches the VPC",
        Shape(
            proxy="open",
            rules=(
                "ip daddr @endpoints reject with icmpx type admin-prohibited",
                "ip daddr @internet reject with icmpx type admin-prohibited",
            ),
        ),
        Expect(
            "unknown",
            "unknown",
            3,
            ("STREAM_PATH_UNKNOWN",),
            absent=("ENDPOINT_UNREACHABLE", "NO_ROUTE"),
        ),
        _plain(check_only_the_proxy),
    ),
)


# The same shapes with the client's version given by its log (issue 17): a Windows/macOS
# client 5.24 streams TCP through the OS proxy (wsdiag.clientpaths: S1, S13) and has the 443
# fallback; 5.20 streams through it too but has no 443 fallback. The verdict then comes
# from the probes through the proxy and QUIC direct; the direct TCP probes are information.
CLIENT_LOG = "client-{}-version.log"  # in tests/fixtures/logs/


def _with_client(name: str, version: str, expect: Expect) -> Scenario:
    base = next(s for s in SCENARIOS if s.name == name)
    shape = replace(base.shape, client_log=CLIENT_LOG.format(version))
    story = f"{base.story}; the client's log says version {version}"
    return replace(base, name=f"{name}-client-{version}", story=story, shape=shape, expect=expect)


NOT_DIRECT = ("ENDPOINT_UNREACHABLE", "ENDPOINT_TCP_BLOCKED", "NO_ROUTE", "STREAM_PATH_UNKNOWN")
SCENARIOS += (
    _with_client(
        "proxy-443-only",
        "5.24",
        Expect(
            "minimal-egress",
            "degraded",
            1,
            ("PROXY_DENIES_CONNECT_4195", "STREAM_VIA_PROXY", "ENDPOINT_QUIC_BLOCKED"),
            absent=(*NOT_DIRECT, "ENDPOINT_4195_BLOCKED"),
        ),
    ),
    _with_client(
        "proxy-443-only",
        "5.20",
        Expect(
            "minimal-egress",
            "blocked",
            2,
            ("PROXY_DENIES_CONNECT_4195", "CLIENT_NO_443_FALLBACK"),
            absent=(*NOT_DIRECT, "ENDPOINT_4195_BLOCKED"),
        ),
    ),
    _with_client(
        "proxy-443-quic-direct",
        "5.24",
        Expect(
            "minimal-egress",
            "degraded",
            1,
            ("PROXY_DENIES_CONNECT_4195", "STREAM_VIA_PROXY"),
            absent=(*NOT_DIRECT, "ENDPOINT_ADDRESS_PARTIAL", "ENDPOINT_QUIC_BLOCKED"),
        ),
    ),
    _with_client(
        "private-dns-off",
        "5.24",
        Expect(
            "minimal-egress",
            "degraded",
            1,
            ("STREAM_VIA_PROXY", "ENDPOINT_QUIC_BLOCKED"),
            absent=(*NOT_DIRECT, "ENDPOINT_NXDOMAIN", "HOME_NETWORK"),
        ),
    ),
    _with_client(
        "only-the-proxy",
        "5.24",
        Expect(
            "minimal-egress",
            "degraded",
            1,
            ("STREAM_VIA_PROXY", "ENDPOINT_PROHIBITED"),
            absent=NOT_DIRECT,
        ),
    ),
)

BY_NAME = {s.name: s for s in SCENARIOS}
