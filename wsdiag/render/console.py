"""AWS console links for the cloud section's resources (``--html``). Pure.

The console's URLs are not a documented API: the forms below are the console's current URL
scheme (the VPC console's ``#<Page>:<key>=<id>`` fragments and the Route 53 Resolver
console's ``#/inbound-endpoints`` page), kept in this one table so a change is one edit. An
id enters a URL only after its pattern below matched the whole id, and a region only in
AWS's ``xx-name-N`` form in the commercial partition (other partitions have other console
hosts: no link there rather than a wrong one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from wsdiag.vocab.cloud import CloudSection
from wsdiag.vocab.results import Finding

REGION = re.compile(r"(?:af|ap|ca|eu|il|me|mx|sa|us)-[a-z]+-[1-9]")
_VPC = "https://{region}.console.aws.amazon.com/vpcconsole/home?region={region}#"
# id prefix -> (the id's whole pattern, what the page shows, the URL with {region} and {id})
PAGES: dict[str, tuple[re.Pattern[str], str, str]] = {
    "sg": (re.compile(r"sg-[0-9a-f]{8,17}"), "security group", _VPC + "SecurityGroup:groupId={id}"),
    "vpce": (
        re.compile(r"vpce-[0-9a-f]{8,17}"),
        "endpoint",
        _VPC + "EndpointDetails:vpcEndpointId={id}",
    ),
    "rtb": (
        re.compile(r"rtb-[0-9a-f]{8,17}"),
        "route table",
        _VPC + "RouteTableDetails:RouteTableId={id}",
    ),
    "acl": (
        re.compile(r"acl-[0-9a-f]{8,17}"),
        "network ACL",
        _VPC + "NetworkAclDetails:networkAclId={id}",
    ),
    "subnet": (
        re.compile(r"subnet-[0-9a-f]{8,17}"),
        "subnet",
        _VPC + "SubnetDetails:subnetId={id}",
    ),
    "rslvr-in": (
        re.compile(r"rslvr-in-[0-9a-f]{8,17}"),
        "Resolver inbound endpoints",
        "https://{region}.console.aws.amazon.com/route53resolver/home?region={region}"
        "#/inbound-endpoints",
    ),
}
_ENDPOINTS_PAGE = _VPC + "Endpoints:"  # the region's endpoint list
_ID = re.compile(r"\b(?:sg|vpce|rtb|acl|subnet|rslvr-in)-[0-9a-f]{8,17}\b")
# Findings about the name not resolving: the VPC's inbound Resolver endpoints are the page.
_RESOLVER_CODES = ("CLOUD_NO_INBOUND_RESOLVER", "CLOUD_FORWARDING_MISSING")


@dataclass(frozen=True)
class Link:
    label: str  # "security group sg-0abc…"
    url: str


def url(region: str, resource: str) -> str | None:
    """The console page of ``resource`` (an id of the table's kinds) in ``region``; None
    for an id or region that is not of its form."""
    if not REGION.fullmatch(region):
        return None
    kind = "rslvr-in" if resource.startswith("rslvr-in-") else resource.split("-", 1)[0]
    page = PAGES.get(kind)
    if page is None or not page[0].fullmatch(resource):
        return None
    return page[2].format(region=region, id=quote(resource, safe=""))


def known_ids(section: CloudSection) -> set[str]:
    """Every id of a linkable kind the section read (the endpoint, its subnets and groups,
    the rules' groups, the ACLs, route tables and Resolver endpoints)."""
    ids: set[str] = set()
    ep = section.endpoint
    if ep is not None:
        ids |= {ep.id, *ep.subnet_ids, *ep.group_ids}
    ids |= {r.group_id for r in section.rules}
    ids |= {a.id for a in section.acls} | {t.id for t in section.route_tables}
    ids |= {r.id for r in section.resolver_endpoints}
    if section.directory_endpoint:
        ids.add(section.directory_endpoint)
    return ids


def links(finding: Finding, section: CloudSection) -> tuple[Link, ...]:
    """The console pages one cloud finding (code CLOUD_*) is about: each id of the section
    its message or fix names, in the order named; the VPC's inbound Resolver endpoints for
    the name-resolution findings; the region's endpoint list when none was found. ``()``
    for a finding of another source."""
    if not finding.code.startswith("CLOUD_"):
        return ()
    known = known_ids(section)
    named = [m for m in _ID.findall(f"{finding.message} {finding.remediation}") if m in known]
    if finding.code in _RESOLVER_CODES:
        named += [r.id for r in section.resolver_endpoints if r.direction == "INBOUND"]
    out: dict[str, Link] = {}
    for resource in dict.fromkeys(named):
        target = url(section.region, resource)
        if target is not None:
            kind = "rslvr-in" if resource.startswith("rslvr-in-") else resource.split("-")[0]
            out.setdefault(target, Link(f"{PAGES[kind][1]} {resource}", target))
    if finding.code in _RESOLVER_CODES and not out and REGION.fullmatch(section.region):
        page = PAGES["rslvr-in"][2].format(region=section.region)
        out[page] = Link("Resolver inbound endpoints", page)
    if finding.code == "CLOUD_ENDPOINT_NOT_FOUND" and REGION.fullmatch(section.region):
        page = _ENDPOINTS_PAGE.format(region=section.region)
        out[page] = Link("VPC endpoints", page)
    return tuple(out.values())
