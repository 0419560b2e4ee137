"""The cloud correlation (wsdiag.cloud.layers, wsdiag.cloud.correlate, rules/cloud.py): tables
of what a group, an ACL and a route decide, and properties: cloud facts explain, never judge."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.synth import F, O, R, diagnose, results
from wsdiag.cloud.correlate import Judgement, Seen, client_paths
from wsdiag.cloud.layers import Decision, network_acl, return_route, security_groups
from wsdiag.cloud.source import CloudSource, view
from wsdiag.rules.cloud import CLOUD_RULES, cloud_findings
from wsdiag.vocab.cloud import (
    AclEntry,
    Call,
    CloudSection,
    Endpoint,
    Eni,
    FoundBy,
    NetworkAcl,
    Outcome,
    ResolverEndpoint,
    Route,
    RouteTable,
    SgRule,
)
from wsdiag.vocab.model import Owner, Status, Transport, Verdict

CLIENT = ipaddress.ip_network("192.0.2.10/32")
SG = "sg-0abc"


def rule(proto: str, lo: int, hi: int, cidr: str | None = None, **kw: str) -> SgRule:
    return SgRule(SG, f"sgr-{proto}{lo}", proto, lo, hi, cidr=cidr, **kw)


@pytest.mark.parametrize(
    ("rules", "lists", "proto", "port", "decision", "says"),
    [
        ([rule("-1", -1, -1, "0.0.0.0/0")], {}, "udp", 4195, Decision.ALLOW, "all traffic"),
        ([rule("udp", 4195, 4195, "192.0.2.0/24")], {}, "udp", 4195, Decision.ALLOW, "UDP 4195"),
        ([rule("17", 0, 65535, "0.0.0.0/0")], {}, "udp", 4195, Decision.ALLOW, "UDP"),
        (
            [rule("tcp", 4195, 4195, "10.0.0.0/8")],
            {},
            "udp",
            4195,
            Decision.DENY,
            "sg-0abc admits only TCP 4195 from 10.0.0.0/8 (sgr-tcp4195)",
        ),
        ([rule("udp", 443, 443, "0.0.0.0/0")], {}, "udp", 4195, Decision.DENY, "no inbound rule"),
        ([rule("udp", 4195, 4195, "192.0.2.8/31")], {}, "udp", 4195, Decision.DENY, "admits only"),
        (  # the rule covers only part of a client range: which part is unknown
            [rule("udp", 4195, 4195, "192.0.2.0/28")],
            {},
            "udp",
            4195,
            Decision.UNKNOWN,
            "only part",
        ),
        (
            [rule("udp", 4195, 4195, prefix_list="pl-1")],
            {"pl-1": ("192.0.2.0/24",)},
            "udp",
            4195,
            Decision.ALLOW,
            "pl-1",
        ),
        (
            [rule("udp", 4195, 4195, prefix_list="pl-1")],
            {},
            "udp",
            4195,
            Decision.UNKNOWN,
            "not read",
        ),
        (
            [rule("udp", 4195, 4195, group_ref="sg-other")],
            {},
            "udp",
            4195,
            Decision.DENY,
            "members",
        ),
        ([rule("udp", 4195, 4195, "::/0")], {}, "udp", 4195, Decision.DENY, "admits only"),
    ],
)
def test_security_groups(
    rules: list[SgRule],
    lists: dict[str, tuple[str, ...]],
    proto: str,
    port: int,
    decision: Decision,
    says: str,
) -> None:
    client = ipaddress.ip_network("192.0.2.0/24") if "part" in says else CLIENT
    layer = security_groups(rules, [SG], lists, proto, port, client, "eu-west-1")
    assert layer.decision is decision, layer
    assert says in layer.why, layer.why
    if decision is Decision.DENY:  # the exact rule to add
        assert layer.fix.endswith(
            f"`aws ec2 authorize-security-group-ingress --region eu-west-1 --group-id {SG} "
            f"--protocol {proto} --port {port} --cidr {client}`"
        ), layer.fix


def acl(*entries: AclEntry) -> NetworkAcl:
    star = (
        AclEntry(32767, False, "-1", False, "0.0.0.0/0"),
        AclEntry(32767, True, "-1", False, "0.0.0.0/0"),
    )
    return NetworkAcl("acl-1", ("subnet-1",), (*entries, *star))


@pytest.mark.parametrize(
    ("entries", "egress", "ports", "decision", "says"),
    [
        (
            [AclEntry(100, False, "-1", True, "0.0.0.0/0")],
            False,
            (4195, 4195),
            Decision.ALLOW,
            "rule 100",
        ),
        ([], False, (4195, 4195), Decision.DENY, "final * rule"),
        (  # the lower number wins
            [
                AclEntry(90, False, "17", False, "192.0.2.0/24", (4195, 4195)),
                AclEntry(100, False, "-1", True, "0.0.0.0/0"),
            ],
            False,
            (4195, 4195),
            Decision.DENY,
            "rule 90 denies",
        ),
        (
            [
                AclEntry(90, False, "6", False, "0.0.0.0/0", (4195, 4195)),
                AclEntry(100, False, "-1", True, "0.0.0.0/0"),
            ],
            False,
            (4195, 4195),
            Decision.ALLOW,
            "rule 100",
        ),
        (
            [AclEntry(100, True, "17", True, "0.0.0.0/0", (1024, 65535))],
            True,
            (1024, 65535),
            Decision.ALLOW,
            "outbound",
        ),
        (  # replies only to part of the ephemeral range
            [AclEntry(100, True, "17", True, "0.0.0.0/0", (49152, 65535))],
            True,
            (1024, 65535),
            Decision.UNKNOWN,
            "only part",
        ),
        (
            [AclEntry(100, True, "6", True, "0.0.0.0/0", (1024, 65535))],
            True,
            (1024, 65535),
            Decision.DENY,
            "outbound",
        ),
    ],
)
def test_network_acl(
    entries: list[AclEntry], egress: bool, ports: tuple[int, int], decision: Decision, says: str
) -> None:
    layer = network_acl(acl(*entries), egress, "udp", ports, CLIENT)
    assert layer.decision is decision, layer
    assert says in layer.why, layer.why
    if decision is Decision.DENY:
        assert "create-network-acl-entry --network-acl-id acl-1" in layer.fix
        assert ("--egress" if egress else "--ingress") in layer.fix


@pytest.mark.parametrize(
    ("routes", "decision", "target"),
    [
        ([Route("10.20.0.0/16", "local", True)], Decision.DENY, ""),
        (
            [Route("10.20.0.0/16", "local", True), Route("0.0.0.0/0", "tgw-1", True)],
            Decision.ALLOW,
            "tgw-1",
        ),
        (  # the longest prefix wins, and a blackhole denies
            [Route("0.0.0.0/0", "tgw-1", True), Route("192.0.2.0/24", "vgw-1", False)],
            Decision.DENY,
            "vgw-1",
        ),
        (
            [Route("10.20.0.0/16", "local", True), Route("pl-9", "tgw-1", True)],
            Decision.UNKNOWN,
            "",
        ),
    ],
)
def test_return_route(routes: list[Route], decision: Decision, target: str) -> None:
    layer, found = return_route(RouteTable("rtb-1", (), True, tuple(routes)), CLIENT)
    assert (layer.decision, found) == (decision, target), layer


ENIS = (Eni("eni-1", "subnet-1", ("10.20.1.10",)), Eni("eni-2", "subnet-2", ("10.20.2.10",)))
ALLOW_ALL_ACL = NetworkAcl(
    "acl-1",
    ("subnet-1", "subnet-2"),
    (AclEntry(100, False, "-1", True, "0.0.0.0/0"), AclEntry(100, True, "-1", True, "0.0.0.0/0")),
)
OK_CALLS = tuple(
    Call(a, Outcome.OK)
    for a in (
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeRouteTables",
        "route53resolver:ListResolverEndpoints",
    )
)


def section(rules: tuple[SgRule, ...], **kw: object) -> CloudSection:
    base = CloudSection(
        region="eu-west-1",
        found_by=FoundBy.ADDRESS,
        calls=OK_CALLS,
        endpoint=Endpoint(
            "vpce-1",
            "com.amazonaws.eu-west-1.prod.highlander",
            "available",
            False,
            "vpc-1",
            ("subnet-1", "subnet-2"),
            (SG,),
            ("eni-1", "eni-2"),
        ),
        enis=ENIS,
        rules=rules,
        acls=(ALLOW_ALL_ACL,),
        route_tables=(RouteTable("rtb-1", (), True, (Route("0.0.0.0/0", "vgw-1", True),)),),
        endpoint_targets=("endpoint",),
        local_address="10.30.0.2",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def facts_of(sec: CloudSection, r: object):  # type: ignore[no-untyped-def]
    return CloudSource().facts(sec, r)  # type: ignore[attr-defined]


def udp_silent(address: str, transport: Transport, port: int) -> Status:
    return F if transport is Transport.QUIC else O


LACKS_UDP_4195 = (
    rule("tcp", 443, 443, "0.0.0.0/0"),
    rule("tcp", 4195, 4195, "10.0.0.0/8"),
    rule("udp", 443, 443, "0.0.0.0/0"),
)


def facts_for(sec: CloudSection, endpoint: object = udp_silent, cidr: str = "192.0.2.10/32"):  # type: ignore[no-untyped-def]
    r = results(endpoint_dns=["10.20.1.10", "10.20.2.10"], endpoint=endpoint)  # type: ignore[arg-type]
    return CloudSource(client_cidr=cidr).facts(sec, r), r


def test_a_group_lacking_udp_4195_explains_it_and_names_the_rule_to_add() -> None:
    facts, _ = facts_for(section(LACKS_UDP_4195))
    by = {(p.label, p.judgement) for p in facts.paths}
    assert ("UDP 4195", Judgement.EXPLAINED) in by
    assert ("UDP 443", Judgement.CONTRADICTED) in by  # allowed, still silent: in between
    assert ("TCP 443", Judgement.CONSISTENT) in by
    found = {f.code: f for f in cloud_findings(facts)}
    denied = found["CLOUD_PATH_DENIED"]
    assert denied.owner is Owner.AWS
    assert "sg-0abc admits only TCP 4195 from 10.0.0.0/8 (sgr-tcp4195)" in denied.message
    assert "UDP 4195 to 10.20.1.10, 10.20.2.10 is silent from 192.0.2.10/32" in denied.message
    assert "--protocol udp --port 4195 --cidr 192.0.2.10/32" in denied.remediation
    assert denied.probes  # the probes behind it
    between = found["CLOUD_ALLOWS_SILENT_PATH"]
    assert between.owner is Owner.NETWORK
    assert "create-network-insights-path --region eu-west-1 --source vgw-1" in between.remediation
    assert "--destination eni-1 --protocol udp --destination-port 443" in between.remediation


def test_a_group_allowing_everything_contradicts_every_silent_path() -> None:
    facts, _ = facts_for(section((rule("-1", -1, -1, "0.0.0.0/0"),)))
    silent = [p for p in facts.paths if p.protocol == "udp"]
    assert {p.judgement for p in silent} == {Judgement.CONTRADICTED}
    assert {p.owner for p in silent} == {Owner.NETWORK}


def test_a_missing_return_route_is_explained_owner_aws() -> None:
    tables = (RouteTable("rtb-1", (), True, (Route("10.20.0.0/16", "local", True),)),)
    facts, _ = facts_for(section((rule("-1", -1, -1, "0.0.0.0/0"),), route_tables=tables))
    udp = [p for p in facts.paths if p.protocol == "udp"]
    assert {p.judgement for p in udp} == {Judgement.EXPLAINED}
    assert all("rtb-1 has no route back to 192.0.2.10/32" in p.why for p in udp)


def test_denied_rules_leave_the_path_unknown_with_the_action_named() -> None:
    calls = tuple(
        replace(c, outcome=Outcome.DENIED) if c.action == "ec2:DescribeSecurityGroupRules" else c
        for c in OK_CALLS
    )
    facts, _ = facts_for(section((), calls=calls))
    assert {p.judgement for p in facts.paths if p.protocol == "udp"} == {Judgement.UNKNOWN}
    found = {f.code: f for f in cloud_findings(facts)}
    assert "ec2:DescribeSecurityGroupRules" in found["CLOUD_CALLS_DENIED"].message
    assert "CLOUD_PATH_DENIED" not in found and "CLOUD_ALLOWS_SILENT_PATH" not in found


def test_an_answer_matching_no_interface_is_a_finding_private_dns_off_is_not() -> None:
    r = results(endpoint_dns=["10.20.1.10", "10.9.9.9"])
    facts = facts_of(section(LACKS_UDP_4195, other_enis=(("10.9.9.9", "eni-9"),)), r)
    found = {f.code: f for f in cloud_findings(facts)}
    assert "10.9.9.9, none of vpce-1's interfaces" in found["CLOUD_DNS_NOT_ENDPOINT"].message
    assert "eni-9" in found["CLOUD_DNS_NOT_ENDPOINT"].message
    good = facts_of(section(LACKS_UDP_4195), results(endpoint_dns=["10.20.1.10"]))
    assert "CLOUD_DNS_NOT_ENDPOINT" not in {f.code for f in cloud_findings(good)}


def test_a_name_that_does_not_resolve_and_the_resolver_side() -> None:
    from wsdiag.vocab.model import DnsOutcome

    r = results(endpoint_dns=DnsOutcome.NXDOMAIN)
    on = section(LACKS_UDP_4195)
    on = replace(on, endpoint=replace(on.endpoint, private_dns=True))  # type: ignore[type-var]
    codes = {f.code for f in cloud_findings(facts_of(on, r))}
    assert "CLOUD_NO_INBOUND_RESOLVER" in codes
    inbound = (ResolverEndpoint("rslvr-in-1", "INBOUND", "vpc-1", "OPERATIONAL", ("10.20.1.4",)),)
    found = {
        f.code: f for f in cloud_findings(facts_of(replace(on, resolver_endpoints=inbound), r))
    }
    assert "10.20.1.4" in found["CLOUD_FORWARDING_MISSING"].remediation
    assert found["CLOUD_FORWARDING_MISSING"].owner is Owner.NETWORK
    off = {f.code: f for f in cloud_findings(facts_of(section(LACKS_UDP_4195), r))}
    assert "10.20.1.10, 10.20.2.10" in off["CLOUD_FORWARDING_MISSING"].remediation


def test_the_assumed_source_is_this_machines_address_and_said_so() -> None:
    r = results(endpoint_dns=["10.20.1.10"])
    v = view(section(()), r.dns, r.probes, None)
    assert (v.source, v.source_basis.split(",")[0]) == (
        "10.30.0.2/32",
        "this machine's own address",
    )
    unknown = view(section((), local_address=None), r.dns, r.probes, None)
    assert (unknown.source, unknown.source_basis) == ("", "not known: give --client-cidr")
    assert view(section(()), r.dns, r.probes, "192.0.2.0/24").source == "192.0.2.0/24"


def test_client_paths_open_wins_failed_only_when_every_probe_failed() -> None:
    rows = [
        ("a", "tcp", 443, Seen.FAILED, "1"),
        ("a", "tcp", 443, Seen.OPEN, "2"),
        ("a", "udp", 443, Seen.FAILED, "3"),
        ("a", "udp", 443, Seen.UNKNOWN, "4"),
    ]
    got = {(p.protocol, p.port): p.seen for p in client_paths(rows)}
    assert got == {("tcp", 443): Seen.OPEN, ("udp", 443): Seen.UNKNOWN}


def test_rules_have_unique_codes_and_one_owner_each() -> None:
    codes = [r.code for r in CLOUD_RULES]
    assert len(codes) == len(set(codes))


# --- properties: the cloud explains, it never judges -------------------------------------

STATUSES = st.sampled_from([O, F, R, Status.ERROR])
SG_RULES = st.lists(
    st.builds(
        SgRule,
        st.just(SG),
        st.sampled_from(["sgr-1", "sgr-2"]),
        st.sampled_from(["tcp", "udp", "-1", "6", "17"]),
        st.sampled_from([0, 443, 4195]),
        st.sampled_from([443, 4195, 65535]),
        st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "192.0.2.0/24", "192.0.2.10/32", None]),
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(
    statuses=st.lists(STATUSES, min_size=8, max_size=8),
    rules=SG_RULES,
    routed=st.booleans(),
    denied=st.booleans(),
)
def test_cloud_findings_never_change_the_verdict(
    statuses: list[Status], rules: list[SgRule], routed: bool, denied: bool
) -> None:
    paths = [(t, p) for t in (Transport.TCP, Transport.QUIC) for p in (443, 4195)]

    def endpoint(address: str, transport: Transport, port: int) -> Status:
        i = paths.index((Transport.QUIC if transport is Transport.QUIC else Transport.TCP, port))
        return statuses[i + (4 if address.endswith("2.10") else 0)]

    routes = (Route("0.0.0.0/0", "vgw-1", True),) if routed else ()
    calls = tuple(
        replace(c, outcome=Outcome.DENIED) if denied and "Acls" in c.action else c for c in OK_CALLS
    )
    sec = section(tuple(rules), route_tables=(RouteTable("rtb-1", (), True, routes),), calls=calls)
    facts, r = facts_for(sec, endpoint)
    own = diagnose(r)[1]
    with_cloud = diagnose(r, extra=cloud_findings(facts))[1]
    assert with_cloud.verdict is own.verdict
    # and a path that failed here is never "consistent": the cloud allowing it is no answer
    failed = {
        (p.address, p.protocol, p.port)
        for p in view(sec, r.dns, r.probes, None).paths
        if p.seen is Seen.FAILED
    }
    for fact in facts.paths:
        if any((a, fact.protocol, fact.port) in failed for a in fact.addresses):
            assert fact.judgement not in (Judgement.CONSISTENT, Judgement.SOURCE_MISMATCH)
    if own.verdict is not Verdict.READY:
        assert with_cloud.verdict is not Verdict.READY


@pytest.mark.parametrize(
    ("cidr", "want"),
    [
        ("127.0.0.0/8", "127.0.0.1"),
        ("192.0.2.10/32", "192.0.2.10"),
        ("198.51.100.0/31", "198.51.100.0"),
        ("2001:db8::/64", "2001:db8::1"),
    ],
)
def test_the_reachability_command_starts_from_a_host_address_of_the_range(
    cidr: str, want: str
) -> None:
    from wsdiag.cloud.layers import reachability_command

    cmd = reachability_command(
        "eu-west-1", "vgw-1", ipaddress.ip_network(cidr), "eni-1", "udp", 443
    )
    assert f"--source-ip {want} " in cmd
