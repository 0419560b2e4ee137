"""What the endpoint's subnets and groups use, read from EC2 through a ``Session``: its
interfaces, its groups' inbound rules and the managed prefix lists they name, the subnets'
network ACLs and the VPC's route tables. Each reader returns what it read (empty when the
call failed: its outcome is in the session's calls)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from wsdiag.budgets import AWS_MAX_PAGES
from wsdiag.cloud.session import Session
from wsdiag.vocab.cloud import AclEntry, Eni, NetworkAcl, Route, RouteTable, SgRule


def eni(raw: dict[str, Any]) -> Eni:
    addrs = [
        str(p.get("PrivateIpAddress"))
        for p in raw.get("PrivateIpAddresses", [])
        if p.get("PrivateIpAddress")
    ]
    if not addrs and raw.get("PrivateIpAddress"):
        addrs = [str(raw["PrivateIpAddress"])]
    addrs += [
        str(p.get("Ipv6Address")) for p in raw.get("Ipv6Addresses", []) if p.get("Ipv6Address")
    ]
    return Eni(str(raw.get("NetworkInterfaceId", "")), str(raw.get("SubnetId", "")), tuple(addrs))


def enis(s: Session, ids: Sequence[str]) -> tuple[Eni, ...]:
    if not ids:
        return ()
    got = s.pages(
        "ec2:DescribeNetworkInterfaces",
        lambda c, t: c.describe_network_interfaces(NetworkInterfaceIds=list(ids), **t),
        "NetworkInterfaces",
    )
    return tuple(eni(r) for r in got or [])


def inbound_rules(s: Session, groups: Sequence[str]) -> tuple[SgRule, ...]:
    if not groups:
        return ()
    got = s.pages(
        "ec2:DescribeSecurityGroupRules",
        lambda c, t: c.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": list(groups)}], **t
        ),
        "SecurityGroupRules",
    )
    out = []
    for r in got or []:
        if r.get("IsEgress"):
            continue
        ref = r.get("ReferencedGroupInfo") or {}
        out.append(
            SgRule(
                group_id=str(r.get("GroupId", "")),
                rule_id=str(r.get("SecurityGroupRuleId", "")),
                protocol=str(r.get("IpProtocol", "-1")),
                from_port=int(r.get("FromPort", -1)),
                to_port=int(r.get("ToPort", -1)),
                cidr=r.get("CidrIpv4") or r.get("CidrIpv6"),
                prefix_list=r.get("PrefixListId"),
                group_ref=ref.get("GroupId"),
            )
        )
    return tuple(out)


def prefix_lists(s: Session, ids: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for pl in ids[:AWS_MAX_PAGES]:
        got = s.pages(
            "ec2:GetManagedPrefixListEntries",
            functools.partial(_entries, pl),
            "Entries",
        )
        if got is not None:
            out.append((pl, tuple(str(e.get("Cidr", "")) for e in got)))
    return tuple(out)


def _entries(pl: str, client: Any, token: dict[str, Any]) -> dict[str, Any]:
    return dict(client.get_managed_prefix_list_entries(PrefixListId=pl, **token))


def network_acls(s: Session, subnets: Sequence[str]) -> tuple[NetworkAcl, ...]:
    if not subnets:
        return ()
    got = s.pages(
        "ec2:DescribeNetworkAcls",
        lambda c, t: c.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": list(subnets)}], **t
        ),
        "NetworkAcls",
    )
    out = []
    for a in got or []:
        entries = []
        for e in a.get("Entries", []):
            pr = e.get("PortRange")
            entries.append(
                AclEntry(
                    number=int(e.get("RuleNumber", 32767)),
                    egress=bool(e.get("Egress")),
                    protocol=str(e.get("Protocol", "-1")),
                    allow=e.get("RuleAction") == "allow",
                    cidr=str(e.get("CidrBlock") or e.get("Ipv6CidrBlock") or ""),
                    ports=(int(pr.get("From", 0)), int(pr.get("To", 65535))) if pr else None,
                )
            )
        subnet_ids = tuple(x.get("SubnetId", "") for x in a.get("Associations", []))
        out.append(NetworkAcl(str(a.get("NetworkAclId", "")), subnet_ids, tuple(entries)))
    return tuple(out)


_TARGETS = (
    "GatewayId",
    "TransitGatewayId",
    "NatGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "LocalGatewayId",
    "InstanceId",
    "CarrierGatewayId",
    "EgressOnlyInternetGatewayId",
)


def route_tables(s: Session, vpc: str) -> tuple[RouteTable, ...]:
    got = s.pages(
        "ec2:DescribeRouteTables",
        lambda c, t: c.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}], **t),
        "RouteTables",
    )
    out = []
    for t in got or []:
        routes = []
        for r in t.get("Routes", []):
            dest = (
                r.get("DestinationCidrBlock")
                or r.get("DestinationIpv6CidrBlock")
                or r.get("DestinationPrefixListId")
                or ""
            )
            target = next((str(r[k]) for k in _TARGETS if r.get(k)), "")
            if not target and r.get("CoreNetworkArn"):
                target = "core network"  # an ARN: never printed
            routes.append(Route(str(dest), target or "?", r.get("State", "active") == "active"))
        assocs = t.get("Associations", [])
        out.append(
            RouteTable(
                id=str(t.get("RouteTableId", "")),
                subnet_ids=tuple(str(a["SubnetId"]) for a in assocs if a.get("SubnetId")),
                main=any(a.get("Main") for a in assocs),
                routes=tuple(routes),
            )
        )
    return tuple(out)
