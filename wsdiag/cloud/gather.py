"""The boto3 I/O of ``--aws``: read-only calls, within a budget, never raising.

Imported only when ``--aws`` is given (boto3 costs ~0.3 s and ~30 MB to import; ``--version``,
``--help`` and a plain check never pay for it). Every call:
- is one of the read-only IAM actions in ``ACTIONS`` (the README's policy lists them);
- has connect and read timeouts from the budget and at most 2 attempts (botocore's standard
  retry mode), and runs in a daemon thread the caller stops waiting for at ``until``;
- ends as a ``Call`` holding its action and outcome only. An error's message is never
  kept: botocore's text carries the caller's ARN (often a person's name), so a denied call
  is reported by its action name alone, whatever ``--no-redact`` says.

Credentials come from the standard chain (profile, SSO, environment, container role),
except the instance-metadata lookup, which is removed from this session's chain (on a
laptop it costs a second of silence): a profile that asks for the instance role
(``credential_source = Ec2InstanceMetadata``) still gets it through botocore's own
source-profile path. The user's environment is never modified.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wsdiag.budgets import (
    AWS_MAX_CALL_TIMEOUT,
    AWS_MAX_PAGES,
    AWS_MIN_CALL_TIMEOUT,
    AWS_THREADS,
)
from wsdiag.vocab.cloud import (
    SERVICE_NAMES,
    AclEntry,
    Call,
    CloudSection,
    Endpoint,
    Eni,
    FoundBy,
    NetworkAcl,
    Outcome,
    ResolverEndpoint,
    ResolverRule,
    Route,
    RouteTable,
    SgRule,
)

# Every call this module makes, as the IAM action a read-only policy must allow.
ACTIONS = (
    "workspaces:DescribeWorkspaceDirectories",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroupRules",
    "ec2:GetManagedPrefixListEntries",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeRouteTables",
    "route53resolver:ListResolverEndpoints",
    "route53resolver:ListResolverEndpointIpAddresses",
    "route53resolver:ListResolverRules",
    "route53resolver:ListResolverRuleAssociations",
)
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "Forbidden",
}
_REJECTED = {
    "AuthFailure",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidToken",
}
# Outcomes after which every further call would end the same way: the rest are skipped.
_FUTILE = {Outcome.UNREACHABLE, Outcome.NO_CREDENTIALS, Outcome.REJECTED, Outcome.TIMEOUT}
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,63}$")  # an error code; anything else is dropped
_DIRECTORY_ID = re.compile(r"^(d-[0-9a-f]{8,63}|wsd-[0-9a-z]{8,63})$")
_VPCE = re.compile(r"\bvpce-[0-9a-f]{8,17}\b")


def classify(exc: BaseException) -> tuple[Outcome, str]:
    """An exception from botocore -> (outcome, error code). The code is kept only if it
    looks like one (letters, digits, dots): no message text, ever."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
        TokenRetrievalError,
    )

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        code = code if _CODE.match(code) else ""
        if code in _DENIED:
            return Outcome.DENIED, ""
        if code in _REJECTED:
            return Outcome.REJECTED, code
        return Outcome.ERROR, code
    if isinstance(exc, ReadTimeoutError):
        return Outcome.TIMEOUT, ""
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError)):
        return Outcome.UNREACHABLE, ""
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, ProfileNotFound)):
        return Outcome.NO_CREDENTIALS, type(exc).__name__
    if isinstance(exc, TokenRetrievalError):
        return Outcome.REJECTED, type(exc).__name__
    return Outcome.ERROR, type(exc).__name__


@dataclass
class _Session:
    """The calls of one gather: the clients, the clock and the record of outcomes."""

    region: str
    until: float
    make: Callable[[str, float], Any]  # (service, per-call timeout s) -> a boto3 client
    calls: list[Call] = field(default_factory=list)
    clients: dict[str, Any] = field(default_factory=dict)
    stop: Outcome | None = None  # set by a futile outcome: the rest are skipped
    lock: threading.Lock = field(default_factory=threading.Lock)

    def left(self) -> float:
        return self.until - time.monotonic()

    def client(self, service: str) -> Any:
        with self.lock:
            if service not in self.clients:
                # Two attempts of connect + read must fit in what is left.
                t = min(max(self.left() / 4, AWS_MIN_CALL_TIMEOUT), AWS_MAX_CALL_TIMEOUT)
                self.clients[service] = self.make(service, t)
            return self.clients[service]

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)
            if call.outcome in _FUTILE and self.stop is None:
                self.stop = call.outcome

    def run(self, action: str, fn: Callable[[Any], Any]) -> Any | None:
        """``fn(client)`` for ``action`` ("ec2:DescribeVpcEndpoints"), within the budget:
        its result, or None with the outcome recorded."""
        if self.stop is not None or self.left() < AWS_MIN_CALL_TIMEOUT:
            self.record(Call(action, Outcome.SKIPPED))
            return None
        box: dict[str, Any] = {}
        t0 = time.monotonic()

        def work() -> None:
            try:
                box["value"] = fn(self.client(action.split(":")[0]))
            except BaseException as exc:
                box["error"] = exc

        worker = threading.Thread(target=work, name=f"wsdiag-aws-{action}", daemon=True)
        worker.start()
        worker.join(max(self.left(), 0.0))
        ms = round((time.monotonic() - t0) * 1000, 1)
        if worker.is_alive():  # abandoned: a daemon thread, ended by its own timeouts
            self.record(Call(action, Outcome.TIMEOUT, ms=ms))
            return None
        if "error" in box:
            outcome, code = classify(box["error"])
            self.record(Call(action, outcome, code, ms))
            return None
        self.record(Call(action, Outcome.OK, ms=ms))
        return box.get("value")

    def pages(
        self, action: str, fn: Callable[[Any, dict[str, Any]], dict[str, Any]], key: str
    ) -> list[Any] | None:
        """A NextToken listing, AWS_MAX_PAGES pages at most: the items under ``key``."""

        def every(client: Any) -> list[Any]:
            items: list[Any] = []
            token: dict[str, Any] = {}
            for _ in range(AWS_MAX_PAGES):
                page = fn(client, token)
                items.extend(page.get(key, []))
                if not page.get("NextToken"):
                    break
                token = {"NextToken": page["NextToken"]}
            return items

        return self.run(action, every)


def _parallel(jobs: Sequence[Callable[[], None]], until: float) -> None:
    """Run independent reads AWS_THREADS at a time, waiting no later than ``until``."""
    pending = list(jobs)
    while pending:
        batch, pending = pending[:AWS_THREADS], pending[AWS_THREADS:]
        threads = [threading.Thread(target=j, daemon=True) for j in batch]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(until - time.monotonic(), 0.0))


def client_maker(profile: str | None, region: str) -> Callable[[str, float], Any]:
    """(service, timeout s) -> a boto3 client of one botocore session without the
    instance-metadata credential lookup. Raises botocore's ProfileNotFound for an unknown
    profile (the caller records it as a call outcome)."""
    import boto3
    import botocore.session
    from botocore.config import Config

    core = botocore.session.Session(profile=profile)
    # Read the profile now: an unknown name fails here, once, not in every call.
    core.get_scoped_config()
    resolver = core.get_component("credential_provider")
    resolver.remove("iam-role")  # IMDS: ~1 s of silence off EC2 (see the module docstring)
    session = boto3.session.Session(botocore_session=core, region_name=region)

    def make(service: str, timeout: float) -> Any:
        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "max_attempts": 2},
        )
        return session.client(service, config=config)

    return make


def gather(
    region: str,
    until: float,
    directory_id: str | None = None,
    resolved: Sequence[str] = (),
    profile: str | None = None,
    make: Callable[[str, float], Any] | None = None,
) -> CloudSection:
    """Read the streaming endpoint's side: found by the directory's association, else by an
    interface holding an address this machine resolved (``resolved``), else by service
    name; then its interfaces, groups' inbound rules (and prefix lists), subnets' ACLs and
    route tables, and the VPC's Route 53 Resolver endpoints and rules. Returns by ``until``
    (a time.monotonic() value); never raises: failures are outcomes in ``calls``.
    ``make`` stands in for ``client_maker`` (tests: botocore's Stubber)."""
    if make is None:
        try:
            make = client_maker(profile, region)
        except Exception as exc:
            outcome, code = classify(exc)
            call = Call("credentials", outcome, code)
            return CloudSection(region, FoundBy.NONE, (call,), profile=profile)
    s = _Session(region, until, make)
    directory_endpoint = _directory_endpoint(s, directory_id)
    endpoint, found_by, other = _find_endpoint(s, region, directory_endpoint, resolved)
    if endpoint is None:
        return CloudSection(
            region,
            FoundBy.NONE,
            tuple(s.calls),
            directory_endpoint=directory_endpoint,
            other_enis=other,
            profile=profile,
        )
    out: dict[str, Any] = {}
    _parallel(
        [
            lambda: out.__setitem__("enis", _enis(s, endpoint.eni_ids)),
            lambda: out.__setitem__("rules", _rules(s, endpoint.group_ids)),
            lambda: out.__setitem__("acls", _acls(s, endpoint.subnet_ids)),
            lambda: out.__setitem__("tables", _tables(s, endpoint.vpc_id)),
            lambda: out.__setitem__("resolvers", _resolver_endpoints(s, endpoint.vpc_id)),
            lambda: out.__setitem__("resolver_rules", _resolver_rules(s)),
        ],
        until,
    )
    rules: tuple[SgRule, ...] = out.get("rules", ())
    prefix_lists = _prefix_lists(s, sorted({r.prefix_list for r in rules if r.prefix_list}))
    return CloudSection(
        region=region,
        found_by=found_by,
        calls=tuple(s.calls),
        endpoint=endpoint,
        enis=out.get("enis", ()),
        rules=rules,
        prefix_lists=prefix_lists,
        acls=out.get("acls", ()),
        route_tables=out.get("tables", ()),
        resolver_endpoints=out.get("resolvers", ()),
        resolver_rules=out.get("resolver_rules", ()),
        directory_endpoint=directory_endpoint,
        other_enis=other,
        profile=profile,
    )


# --- finding the endpoint ----------------------------------------------------------------


def _directory_endpoint(s: _Session, directory_id: str | None) -> str | None:
    """The directory's STREAMING_WSP VpcEndpointId (WorkspaceAccessProperties.
    AccessEndpointConfig.AccessEndpoints[], WorkSpaces API DescribeWorkspaceDirectories);
    None without --directory-id, for an alias, or when not read."""
    if not directory_id or not _DIRECTORY_ID.match(directory_id):
        return None
    got = s.run(
        "workspaces:DescribeWorkspaceDirectories",
        lambda c: c.describe_workspace_directories(DirectoryIds=[directory_id]),
    )
    for d in (got or {}).get("Directories", []):
        config = d.get("WorkspaceAccessProperties", {}).get("AccessEndpointConfig", {})
        for ae in config.get("AccessEndpoints", []):
            if ae.get("AccessEndpointType") == "STREAMING_WSP" and ae.get("VpcEndpointId"):
                return str(ae["VpcEndpointId"])
    return None


def _endpoint(raw: dict[str, Any]) -> Endpoint:
    return Endpoint(
        id=str(raw.get("VpcEndpointId", "")),
        service_name=str(raw.get("ServiceName", "")),
        state=str(raw.get("State", "")),
        private_dns=bool(raw.get("PrivateDnsEnabled", False)),
        vpc_id=str(raw.get("VpcId", "")),
        subnet_ids=tuple(raw.get("SubnetIds", [])),
        group_ids=tuple(g.get("GroupId", "") for g in raw.get("Groups", [])),
        eni_ids=tuple(raw.get("NetworkInterfaceIds", [])),
        dns_names=tuple(str(e.get("DnsName", "")) for e in raw.get("DnsEntries", [])),
    )


def _describe_endpoints(s: _Session, **kwargs: Any) -> list[dict[str, Any]]:
    got = s.pages(
        "ec2:DescribeVpcEndpoints",
        lambda c, t: c.describe_vpc_endpoints(**kwargs, **t),
        "VpcEndpoints",
    )
    return got or []


def _find_endpoint(
    s: _Session, region: str, directory_endpoint: str | None, resolved: Sequence[str]
) -> tuple[Endpoint | None, FoundBy, tuple[tuple[str, str], ...]]:
    """(the endpoint, how it was found, (address, eni) of resolved addresses held by
    interfaces that are not its own)."""
    if directory_endpoint:
        found = _describe_endpoints(s, VpcEndpointIds=[directory_endpoint])
        if found:
            return _endpoint(found[0]), FoundBy.DIRECTORY, ()
    holders: dict[str, str] = {}  # address -> eni
    if resolved:
        enis = s.pages(
            "ec2:DescribeNetworkInterfaces",
            lambda c, t: c.describe_network_interfaces(
                Filters=[{"Name": "addresses.private-ip-address", "Values": list(resolved)[:16]}],
                **t,
            ),
            "NetworkInterfaces",
        )
        by_eni: dict[str, str] = {}
        for raw in enis or []:
            eni = _eni(raw)
            for a in eni.addresses:
                if a in resolved:
                    holders[a] = eni.id
            hint = _VPCE.search(str(raw.get("Description", "")))
            by_eni[eni.id] = hint.group(0) if hint else ""
        hinted = sorted({v for v in by_eni.values() if v})
        candidates = (
            _describe_endpoints(s, VpcEndpointIds=hinted)
            if hinted
            else _describe_endpoints(
                s, Filters=[{"Name": "vpc-endpoint-type", "Values": ["Interface"]}]
            )
            if by_eni
            else []
        )
        for raw in candidates:
            ep = _endpoint(raw)
            if set(ep.eni_ids) & set(by_eni):
                other = tuple((a, e) for a, e in holders.items() if e not in ep.eni_ids)
                return ep, FoundBy.ADDRESS, other
    names = [n.format(region=region) for n in SERVICE_NAMES]
    found = _describe_endpoints(s, Filters=[{"Name": "service-name", "Values": names}])
    found.sort(
        key=lambda r: (
            names.index(str(r.get("ServiceName"))) if r.get("ServiceName") in names else 9,
            r.get("State") != "available",
        )
    )
    other = tuple(holders.items())
    if found:
        ep = _endpoint(found[0])
        return ep, FoundBy.SERVICE_NAME, tuple((a, e) for a, e in other if e not in ep.eni_ids)
    return None, FoundBy.NONE, other


# --- what the endpoint's subnets and groups use ----------------------------------------------


def _eni(raw: dict[str, Any]) -> Eni:
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


def _enis(s: _Session, ids: Sequence[str]) -> tuple[Eni, ...]:
    if not ids:
        return ()
    got = s.pages(
        "ec2:DescribeNetworkInterfaces",
        lambda c, t: c.describe_network_interfaces(NetworkInterfaceIds=list(ids), **t),
        "NetworkInterfaces",
    )
    return tuple(_eni(r) for r in got or [])


def _rules(s: _Session, groups: Sequence[str]) -> tuple[SgRule, ...]:
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


def _prefix_lists(s: _Session, ids: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
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


def _endpoint_ips(rid: str, client: Any, token: dict[str, Any]) -> dict[str, Any]:
    return dict(client.list_resolver_endpoint_ip_addresses(ResolverEndpointId=rid, **token))


def _acls(s: _Session, subnets: Sequence[str]) -> tuple[NetworkAcl, ...]:
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


def _tables(s: _Session, vpc: str) -> tuple[RouteTable, ...]:
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


def _resolver_endpoints(s: _Session, vpc: str) -> tuple[ResolverEndpoint, ...]:
    got = s.pages(
        "route53resolver:ListResolverEndpoints",
        lambda c, t: c.list_resolver_endpoints(**t),
        "ResolverEndpoints",
    )
    out = []
    for r in got or []:
        if r.get("HostVPCId") != vpc:
            continue
        rid = str(r.get("Id", ""))
        addrs: tuple[str, ...] = ()
        if r.get("Direction") == "INBOUND":
            ips = s.pages(
                "route53resolver:ListResolverEndpointIpAddresses",
                functools.partial(_endpoint_ips, rid),
                "IpAddresses",
            )
            addrs = tuple(str(i.get("Ip") or i.get("Ipv6") or "") for i in ips or [])
        out.append(
            ResolverEndpoint(rid, str(r.get("Direction", "")), vpc, str(r.get("Status", "")), addrs)
        )
    return tuple(out)


def _resolver_rules(s: _Session) -> tuple[ResolverRule, ...]:
    rules = s.pages(
        "route53resolver:ListResolverRules",
        lambda c, t: c.list_resolver_rules(**t),
        "ResolverRules",
    )
    assocs = s.pages(
        "route53resolver:ListResolverRuleAssociations",
        lambda c, t: c.list_resolver_rule_associations(**t),
        "ResolverRuleAssociations",
    )
    vpcs: dict[str, list[str]] = {}
    for a in assocs or []:
        vpcs.setdefault(str(a.get("ResolverRuleId", "")), []).append(str(a.get("VPCId", "")))
    return tuple(
        ResolverRule(
            str(r.get("Id", "")),
            str(r.get("DomainName", "")),
            str(r.get("RuleType", "")),
            tuple(vpcs.get(str(r.get("Id", "")), [])),
        )
        for r in rules or []
    )
