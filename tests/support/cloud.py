"""A VPC for ``--aws`` tests, held by moto's server on loopback and built by the test.

moto (5.x) differs from AWS in ways the tests work around, each said where it matters:
- an interface endpoint's interfaces get random addresses outside their subnets, whatever
  was asked: ``pin_addresses`` sets them in moto's backend (same process as the server);
- its ``DnsEntries`` have the wrong shape and any service name is accepted: name checks use
  botocore's Stubber with the real shape (tests/test_cloud_gather.py);
- it has no directory access endpoints (``AccessEndpointConfig``): the Stubber again;
- a resolver rule without a port fails: the fixture always passes one.

``python -m tests.support.cloud SPEC.json`` serves one fixture from another network
namespace (the lab's client), prints one JSON line (the URL and the fixture's ids), and
stops when its stdin closes.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def aws_env(url: str, tmp: str = "/nonexistent") -> dict[str, str]:
    """The environment a wsdiag subprocess needs to read moto: its URL, fake keys, and no
    config or credentials file of the developer's."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": f"{tmp}/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": f"{tmp}/aws-credentials",
    }


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's server on 127.0.0.1 (a free port), its state reset; yields its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
        yield url
    finally:
        server.stop()


def client(url: str, service: str, region: str) -> Any:
    import boto3

    return boto3.client(service, region_name=region, endpoint_url=url, **CREDENTIALS)


@dataclass(frozen=True)
class Spec:
    """What to build. ``ingress``: the endpoint group's inbound rules as (protocol, from
    port, to port, CIDR) — protocol "-1" for all; ``acl_in``/``acl_out``: extra network ACL
    entries (number, protocol number, allow, CIDR, from, to) on a fresh ACL, None: the
    default ACL (allows all); ``return_route``: a CIDR routed to a VPN gateway, or None."""

    region: str = "eu-west-1"
    vpc: str = "10.20.0.0/16"
    subnets: tuple[str, ...] = ("10.20.1.0/24", "10.20.2.0/24")
    addresses: tuple[str, ...] = ("10.20.1.10", "10.20.2.10")
    ingress: tuple[tuple[str, int, int, str], ...] = (("-1", -1, -1, "0.0.0.0/0"),)
    prefix_list: tuple[str, ...] = ()  # CIDRs of a managed prefix list admitting UDP 4195
    acl_in: tuple[tuple[int, str, bool, str, int, int], ...] | None = None
    acl_out: tuple[tuple[int, str, bool, str, int, int], ...] | None = None
    return_route: str | None = "0.0.0.0/0"
    private_dns: bool = False
    service: str = "com.amazonaws.{region}.prod.highlander"
    inbound_resolver: bool = True


@dataclass(frozen=True)
class Fixture:
    url: str
    region: str
    vpc: str
    subnets: tuple[str, ...]
    group: str
    endpoint: str
    enis: tuple[str, ...]
    addresses: tuple[str, ...]
    acl: str
    route_table: str
    rule_ids: tuple[str, ...] = field(default_factory=tuple)


def build(url: str, spec: Spec) -> Fixture:
    """The VPC of ``spec`` in moto at ``url``, the endpoint's interfaces pinned to
    ``spec.addresses`` (in this process's moto backend)."""
    ec2 = client(url, "ec2", spec.region)
    vpc = ec2.create_vpc(CidrBlock=spec.vpc)["Vpc"]["VpcId"]
    subnets = tuple(
        ec2.create_subnet(VpcId=vpc, CidrBlock=c)["Subnet"]["SubnetId"] for c in spec.subnets
    )
    group = ec2.create_security_group(GroupName="workspaces-endpoint", Description="ws", VpcId=vpc)[
        "GroupId"
    ]
    perms: list[dict[str, Any]] = []
    for proto, lo, hi, cidr in spec.ingress:
        perm: dict[str, Any] = {"IpProtocol": proto, "IpRanges": [{"CidrIp": cidr}]}
        if proto != "-1":
            perm |= {"FromPort": lo, "ToPort": hi}
        perms.append(perm)
    if spec.prefix_list:
        pl = ec2.create_managed_prefix_list(
            PrefixListName="corp",
            MaxEntries=10,
            AddressFamily="IPv4",
            Entries=[{"Cidr": c} for c in spec.prefix_list],
        )["PrefixList"]["PrefixListId"]
        perms.append(
            {
                "IpProtocol": "udp",
                "FromPort": 4195,
                "ToPort": 4195,
                "PrefixListIds": [{"PrefixListId": pl}],
            }
        )
    if perms:
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=perms)
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    rule_ids = tuple(r["SecurityGroupRuleId"] for r in rules["SecurityGroupRules"])
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=spec.service.format(region=spec.region),
        VpcEndpointType="Interface",
        SubnetIds=list(subnets),
        SecurityGroupIds=[group],
        PrivateDnsEnabled=spec.private_dns,
    )["VpcEndpoint"]
    enis = tuple(endpoint["NetworkInterfaceIds"])
    pin_addresses(spec.region, enis, spec.addresses)
    acl = _acl(ec2, vpc, subnets, spec)
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][
        0
    ]["RouteTableId"]
    if spec.return_route:
        vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
        ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
        ec2.create_route(RouteTableId=table, DestinationCidrBlock=spec.return_route, GatewayId=vgw)
    if spec.inbound_resolver:
        r53 = client(url, "route53resolver", spec.region)
        ips = [{"SubnetId": s} for s in subnets]
        r53.create_resolver_endpoint(
            CreatorRequestId="in",
            Name="in",
            SecurityGroupIds=[group],
            Direction="INBOUND",
            IpAddresses=ips,
        )
        out = r53.create_resolver_endpoint(
            CreatorRequestId="out",
            Name="out",
            SecurityGroupIds=[group],
            Direction="OUTBOUND",
            IpAddresses=ips,
        )["ResolverEndpoint"]["Id"]
        rule = r53.create_resolver_rule(
            CreatorRequestId="fwd",
            RuleType="FORWARD",
            DomainName="corp.example",
            TargetIps=[{"Ip": "10.30.0.53", "Port": 53}],  # moto fails a rule without a port
            ResolverEndpointId=out,
        )["ResolverRule"]["Id"]
        r53.associate_resolver_rule(ResolverRuleId=rule, VPCId=vpc)
    return Fixture(
        url,
        spec.region,
        vpc,
        subnets,
        group,
        endpoint["VpcEndpointId"],
        enis,
        spec.addresses,
        acl,
        table,
        rule_ids,
    )


def _acl(ec2: Any, vpc: str, subnets: Sequence[str], spec: Spec) -> str:
    default = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "NetworkAcls"
    ][0]
    if spec.acl_in is None and spec.acl_out is None:
        return str(default["NetworkAclId"])
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for egress, entries in ((False, spec.acl_in or ()), (True, spec.acl_out or ())):
        for number, proto, allow, cidr, lo, hi in entries:
            ec2.create_network_acl_entry(
                NetworkAclId=acl,
                RuleNumber=number,
                Protocol=proto,
                RuleAction="allow" if allow else "deny",
                Egress=egress,
                CidrBlock=cidr,
                PortRange={"From": lo, "To": hi},
            )
    for assoc in default["Associations"]:
        if assoc["SubnetId"] in subnets:
            ec2.replace_network_acl_association(
                AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl
            )
    return str(acl)


def pin_addresses(region: str, enis: Sequence[str], addresses: Sequence[str]) -> None:
    """moto ignores requested addresses and picks random ones outside the subnet: set the
    interfaces' addresses in its backend, so they match what the test's DNS answers."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ACCOUNT][region]
    for eni_id, address in zip(enis, addresses, strict=False):
        eni = backend.enis[eni_id]
        eni.private_ip_address = address
        eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": address}]


def _serve(spec_path: str) -> None:
    with open(spec_path) as fh:
        raw = json.load(fh)
    spec = Spec(
        **{
            k: tuple(map(tuple, v))
            if k in ("ingress", "acl_in", "acl_out") and v is not None
            else tuple(v)
            if isinstance(v, list)
            else v
            for k, v in raw.items()
        }
    )
    with moto_server() as url:
        fixture = build(url, spec)
        print(json.dumps(asdict(fixture)), flush=True)
        sys.stdin.read()  # until the test closes our stdin


if __name__ == "__main__":
    _serve(sys.argv[1])
