"""Finding the streaming endpoint (read-only AWS calls through a ``Session``): by the
directory's STREAMING_WSP association, else by an interface holding an address this
machine resolved, else by the WorkSpaces streaming service name (``SERVICE_NAMES``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from wsdiag.cloud.session import Session
from wsdiag.cloud.vpc import eni
from wsdiag.vocab.cloud import SERVICE_NAMES, Endpoint, FoundBy

_DIRECTORY_ID = re.compile(r"^(d-[0-9a-f]{8,63}|wsd-[0-9a-z]{8,63})$")
_VPCE = re.compile(r"\bvpce-[0-9a-f]{8,17}\b")


def directory_endpoint(s: Session, directory_id: str | None) -> str | None:
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


def _describe_endpoints(s: Session, **kwargs: Any) -> list[dict[str, Any]]:
    got = s.pages(
        "ec2:DescribeVpcEndpoints",
        lambda c, t: c.describe_vpc_endpoints(**kwargs, **t),
        "VpcEndpoints",
    )
    return got or []


def find_endpoint(
    s: Session, region: str, directory_endpoint: str | None, resolved: Sequence[str]
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
            interface = eni(raw)
            for a in interface.addresses:
                if a in resolved:
                    holders[a] = interface.id
            hint = _VPCE.search(str(raw.get("Description", "")))
            by_eni[interface.id] = hint.group(0) if hint else ""
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
