"""The ``cloud`` section (``--aws``, issue 21): what the cross-check read from AWS, as plain
frozen dataclasses; no I/O, no boto3.

Only ids, names the administrator chose, addresses and rule fields are kept: never an
ARN, an account number, a credential or an error message from AWS (botocore's messages
carry the caller's ARN, often a person's name). A call's outcome is its action name and
one of the ``Outcome`` words.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The PrivateLink service of WorkSpaces streaming, tried in this order when neither the
# directory nor an address found the endpoint. The first is the AWS blog's (FACTS.md S6);
# the second is the short form some texts use, unconfirmed (FACTS.md §8 item 1).
SERVICE_NAMES = ("com.amazonaws.{region}.prod.highlander", "com.amazonaws.{region}.highlander")
STREAMING_PORTS = (443, 4195)  # TCP and UDP each (FACTS.md §5; S1)
# Return traffic goes to the client's ephemeral port, which the VPC cannot know: AWS's
# network ACL guidance is to allow 1024-65535 (VPC user guide, "Ephemeral ports").
EPHEMERAL = (1024, 65535)


class Outcome(StrEnum):
    """How one read-only call ended. The report shows ``<action>: <outcome>``."""

    OK = "ok"
    DENIED = "denied"  # AccessDenied / UnauthorizedOperation: the IAM action is missing
    NO_CREDENTIALS = "no-credentials"  # the credential chain found nothing
    REJECTED = "credentials-rejected"  # AuthFailure, expired or invalid token
    UNREACHABLE = "unreachable"  # the API endpoint could not be connected to
    TIMEOUT = "timeout"  # connected, no answer within the budget
    ERROR = "error"  # any other API error (its code is in ``Call.code``)
    SKIPPED = "skipped"  # not made: the budget ran out, or an earlier call showed it is futile


class FoundBy(StrEnum):
    """How the endpoint was found (issue 21: the report says which)."""

    DIRECTORY = "directory"  # the directory's STREAMING_WSP access endpoint
    ADDRESS = "address"  # an interface whose address this machine resolved
    SERVICE_NAME = "service-name"  # com.amazonaws.<region>.prod.highlander (or .highlander)
    NONE = "none"  # not found


@dataclass(frozen=True)
class Call:
    action: str  # the IAM action, e.g. "ec2:DescribeVpcEndpoints"
    outcome: Outcome
    code: str = ""  # the API's error code for ERROR (e.g. "InvalidParameterValue"), never text
    ms: float | None = None

    def text(self) -> str:
        """ "ec2:DescribeVpcEndpoints: denied" — the action name alone, as issue 21 asks."""
        extra = f" ({self.code})" if self.code else ""
        return f"{self.action}: {self.outcome}{extra}"


@dataclass(frozen=True)
class Endpoint:
    id: str  # vpce-...
    service_name: str
    state: str  # available | pendingAcceptance | pending | deleting | rejected | failed ...
    private_dns: bool
    vpc_id: str
    subnet_ids: tuple[str, ...]
    group_ids: tuple[str, ...]
    eni_ids: tuple[str, ...]
    dns_names: tuple[str, ...] = ()  # DnsEntries[].DnsName: vpce-…-….prod.highlander.<r>.vpce…


@dataclass(frozen=True)
class Eni:
    id: str
    subnet_id: str
    addresses: tuple[str, ...]  # private IPv4 and IPv6 addresses


@dataclass(frozen=True)
class SgRule:
    """One inbound rule of a security group (DescribeSecurityGroupRules)."""

    group_id: str
    rule_id: str
    protocol: str  # "tcp" | "udp" | "-1" (all) | a protocol number
    from_port: int  # -1 with protocol "-1"
    to_port: int
    cidr: str | None = None  # CidrIpv4 or CidrIpv6
    prefix_list: str | None = None  # pl-...
    group_ref: str | None = None  # a referenced group: a client outside the VPC is never in it


@dataclass(frozen=True)
class AclEntry:
    number: int
    egress: bool
    protocol: str  # "-1" | "6" | "17" | ...
    allow: bool
    cidr: str  # CidrBlock or Ipv6CidrBlock
    ports: tuple[int, int] | None = None  # PortRange; None: every port


@dataclass(frozen=True)
class NetworkAcl:
    id: str
    subnet_ids: tuple[str, ...]
    entries: tuple[AclEntry, ...]


@dataclass(frozen=True)
class Route:
    destination: str  # a CIDR, or a prefix list id (pl-...)
    target: str  # "local", igw-..., tgw-..., vgw-..., pcx-..., nat-..., eni-..., "core network"
    active: bool  # State "active" (False: blackhole)


@dataclass(frozen=True)
class RouteTable:
    id: str
    subnet_ids: tuple[str, ...]  # explicit associations
    main: bool  # the VPC's main table: subnets without an explicit association use it
    routes: tuple[Route, ...]


@dataclass(frozen=True)
class ResolverEndpoint:
    id: str
    direction: str  # INBOUND | OUTBOUND
    vpc_id: str
    status: str
    addresses: tuple[str, ...] = ()  # ListResolverEndpointIpAddresses


@dataclass(frozen=True)
class ResolverRule:
    id: str
    domain: str  # "a2z.com."
    rule_type: str  # FORWARD | SYSTEM | RECURSIVE
    vpc_ids: tuple[str, ...] = ()  # the VPCs it is associated with


@dataclass(frozen=True)
class CloudSection:
    """Everything ``--aws`` read, and how each call ended. ``endpoint`` None: not found (why
    is in ``calls``/``found_by``). Lists hold what the endpoint's subnets and groups use."""

    region: str
    found_by: FoundBy
    calls: tuple[Call, ...]
    endpoint: Endpoint | None = None
    enis: tuple[Eni, ...] = ()
    rules: tuple[SgRule, ...] = ()  # inbound rules of the endpoint's groups
    prefix_lists: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (pl-..., its CIDRs)
    acls: tuple[NetworkAcl, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    resolver_endpoints: tuple[ResolverEndpoint, ...] = ()
    resolver_rules: tuple[ResolverRule, ...] = ()
    directory_endpoint: str | None = None  # the directory's STREAMING_WSP VpcEndpointId
    other_enis: tuple[tuple[str, str], ...] = ()  # (address, eni-...) of resolved addresses
    # that belong to some other interface (another endpoint's, say)
    profile: str | None = None  # --aws-profile, as given (a name, never a credential)
    client_cidr: str | None = None  # --client-cidr, as given
    # this machine's own source address toward the endpoint (the OS's route, no packet
    # sent): the client's range assumed when --client-cidr is not given
    local_address: str | None = None
    # the plan's endpoint target ids: whose DNS and probe results ``facts`` correlates
    endpoint_targets: tuple[str, ...] = ()

    def call(self, action: str) -> Call | None:
        return next((c for c in self.calls if c.action == action), None)

    def denied(self) -> tuple[str, ...]:
        """The actions IAM refused, in call order."""
        return tuple(c.action for c in self.calls if c.outcome is Outcome.DENIED)
