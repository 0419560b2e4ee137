"""The VPC's Route 53 Resolver, read through a ``Session``: its endpoints (an inbound
one's addresses) and every resolver rule with the VPCs it is associated with."""

from __future__ import annotations

import functools
from typing import Any

from wsdiag.cloud.session import Session
from wsdiag.vocab.cloud import ResolverEndpoint, ResolverRule


def _endpoint_ips(rid: str, client: Any, token: dict[str, Any]) -> dict[str, Any]:
    return dict(client.list_resolver_endpoint_ip_addresses(ResolverEndpointId=rid, **token))


def resolver_endpoints(s: Session, vpc: str) -> tuple[ResolverEndpoint, ...]:
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


def resolver_rules(s: Session) -> tuple[ResolverRule, ...]:
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
