"""``--aws``: read the streaming endpoint's side, within a budget, never raising.

Imported only when ``--aws`` is given (boto3 costs ~0.3 s and ~30 MB to import; ``--version``,
``--help`` and a plain check never pay for it). This module orders the reads: find the
endpoint (``wsdiag.cloud.find``), then read what it uses in parallel (``wsdiag.cloud.vpc``,
``wsdiag.cloud.resolver``). How each call is made, timed, classified and skipped is
``wsdiag.cloud.session``. Every call is one of the read-only IAM actions in ``ACTIONS`` (the
README's policy lists them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from wsdiag.cloud.find import directory_endpoint, find_endpoint
from wsdiag.cloud.resolver import resolver_endpoints, resolver_rules
from wsdiag.cloud.session import Session, classify, client_maker, parallel
from wsdiag.cloud.vpc import enis, inbound_rules, network_acls, prefix_lists, route_tables
from wsdiag.vocab.cloud import Call, CloudSection, Endpoint, FoundBy, SgRule

# Every call this package makes, as the IAM action a read-only policy must allow.
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
    s = Session(region, until, make)
    directory = directory_endpoint(s, directory_id)
    endpoint, found_by, other = find_endpoint(s, region, directory, resolved)
    if endpoint is None:
        return CloudSection(
            region,
            FoundBy.NONE,
            tuple(s.calls),
            directory_endpoint=directory,
            other_enis=other,
            profile=profile,
        )
    uses = _uses(s, endpoint)
    return CloudSection(
        region=region,
        found_by=found_by,
        calls=tuple(s.calls),
        endpoint=endpoint,
        directory_endpoint=directory,
        other_enis=other,
        profile=profile,
        **uses,
    )


def _uses(s: Session, endpoint: Endpoint) -> dict[str, Any]:
    """What the endpoint uses, read in parallel by ``s.until``, then the prefix lists its
    groups' rules name: CloudSection's fields (enis, rules, prefix_lists, acls, route_tables,
    resolver_endpoints, resolver_rules) by name; a read that failed or did not finish in
    time is left out (the field's default: empty)."""
    out: dict[str, Any] = {}
    parallel(
        [
            lambda: out.__setitem__("enis", enis(s, endpoint.eni_ids)),
            lambda: out.__setitem__("rules", inbound_rules(s, endpoint.group_ids)),
            lambda: out.__setitem__("acls", network_acls(s, endpoint.subnet_ids)),
            lambda: out.__setitem__("route_tables", route_tables(s, endpoint.vpc_id)),
            lambda: out.__setitem__("resolver_endpoints", resolver_endpoints(s, endpoint.vpc_id)),
            lambda: out.__setitem__("resolver_rules", resolver_rules(s)),
        ],
        s.until,
    )
    rules: tuple[SgRule, ...] = out.get("rules", ())
    listed = prefix_lists(s, sorted({r.prefix_list for r in rules if r.prefix_list}))
    # A copy in one step: a read abandoned at ``until`` may still add its key to ``out``.
    return {**out, "prefix_lists": listed}
