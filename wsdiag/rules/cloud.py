"""Rows about the endpoint's side as ``--aws`` read it (issue 21). Pure.

They explain; they never judge: the composition root shows their findings beside the
verdict the client's own evidence decided, so a cloud that allows everything cannot make a
silent path ready (and a cloud that denies a path cannot make an open one blocked). A row
may make one finding per client path, so rows here select from CloudFacts rather than
from Evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from wsdiag.cloud.correlate import CloudFacts, Judgement, PathFact
from wsdiag.vocab.model import Owner, Severity, Tri
from wsdiag.vocab.results import Finding

Params = Mapping[str, object]


@dataclass(frozen=True)
class CloudRule:
    name: str
    code: str
    severity: Severity
    owner: Owner
    when: str  # for the docs
    message: str  # str.format template over the params ``select`` gives
    remediation: str
    select: Callable[[CloudFacts], list[tuple[Params, tuple[str, ...]]]]  # (params, basis ids)


def _addresses(p: PathFact) -> str:
    return ", ".join(p.addresses)


def _paths(j: Judgement) -> Callable[[CloudFacts], list[tuple[Params, tuple[str, ...]]]]:
    def select(f: CloudFacts) -> list[tuple[Params, tuple[str, ...]]]:
        return [
            (
                {
                    "path": p.label,
                    "at": _addresses(p),
                    "client": f.client,
                    "basis": f.client_basis,
                    "why": p.why,
                    "fix": p.fix,
                    "command": p.command,
                },
                p.probes,
            )
            for p in f.paths
            if p.judgement is j
        ]

    return select


def _one(
    test: Callable[[CloudFacts], bool], params: Callable[[CloudFacts], Params]
) -> Callable[[CloudFacts], list[tuple[Params, tuple[str, ...]]]]:
    def select(f: CloudFacts) -> list[tuple[Params, tuple[str, ...]]]:
        return [(params(f), dict(f.basis).get("cloud.dns_matches", ()))] if test(f) else []

    return select


CLOUD_RULES: tuple[CloudRule, ...] = (
    CloudRule(
        name="cloud-explains",
        code="CLOUD_PATH_DENIED",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="a path silent from here is denied by the endpoint's group, network ACL or route",
        message="{path} to {at} is silent from {client}; the endpoint's side denies it: {why}.",
        remediation="In AWS, {fix}. (The client's range is {basis}.)",
        select=_paths(Judgement.EXPLAINED),
    ),
    CloudRule(
        name="cloud-contradicts",
        code="CLOUD_ALLOWS_SILENT_PATH",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="a path silent from here is allowed by every layer of the endpoint's side",
        message="{path} to {at} is silent from {client}, yet the endpoint's side allows it "
        "({why}): the cause is between this machine and the VPC.",
        remediation="Follow {path} from {client} through the firewalls, VPN and routes on the "
        "way. To have AWS check the VPC side from where the traffic enters: `{command}`.",
        select=_paths(Judgement.CONTRADICTED),
    ),
    CloudRule(
        name="cloud-path-unknown",
        code="CLOUD_PATH_UNJUDGED",
        severity=Severity.INFO,
        owner=Owner.AWS,
        when="a path silent from here could not be judged on the endpoint's side",
        message="{path} to {at} is silent from {client}; the endpoint's side could not be "
        "judged: {why}.",
        remediation="Give --client-cidr with the range the endpoint sees, or grant the "
        "read-only actions the README lists.",
        select=_paths(Judgement.UNKNOWN),
    ),
    CloudRule(
        name="cloud-source-mismatch",
        code="CLOUD_SOURCE_ASSUMED_WRONG",
        severity=Severity.INFO,
        owner=Owner.USER,
        when="a path answered although the endpoint's side denies the assumed client range",
        message="{path} to {at} answered; {why}.",
        remediation="Run again with --client-cidr set to the range your VPN or NAT presents.",
        select=_paths(Judgement.SOURCE_MISMATCH),
    ),
    CloudRule(
        name="cloud-denied",
        code="CLOUD_CALLS_DENIED",
        severity=Severity.INFO,
        owner=Owner.AWS,
        when="IAM denied some of the read-only calls",
        message="AWS denied these read-only calls, so what they would show is unknown: {actions}.",
        remediation="Grant the read-only policy in the README (missing: {actions}).",
        select=_one(lambda f: bool(f.denied), lambda f: {"actions": ", ".join(f.denied)}),
    ),
    CloudRule(
        name="cloud-not-read",
        code="CLOUD_NOT_READ",
        severity=Severity.INFO,
        owner=Owner.USER,
        when="no call reached the AWS API (unreachable, no or rejected credentials)",
        message="The AWS side was not read: {why}.",
        remediation="Check the credentials (--aws-profile NAME, `aws sts get-caller-identity`) "
        "and that this machine reaches the regional API.",
        select=_one(lambda f: bool(f.unreachable), lambda f: {"why": f.unreachable}),
    ),
    CloudRule(
        name="cloud-no-endpoint",
        code="CLOUD_ENDPOINT_NOT_FOUND",
        severity=Severity.INFO,
        owner=Owner.AWS,
        when="no streaming endpoint was found by directory, address or service name",
        message="No WorkSpaces streaming VPC endpoint was found in {region} (by the "
        "directory, an address this machine resolved, or the service name).",
        remediation="Run with --directory-id, or the profile of the account that owns the "
        "endpoint (--aws-profile).",
        select=_one(
            lambda f: not f.unreachable and f.found_by.value == "none",
            lambda f: {"region": f.region},
        ),
    ),
    CloudRule(
        name="cloud-endpoint-state",
        code="CLOUD_ENDPOINT_NOT_AVAILABLE",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="the endpoint's state is not available",
        message="The streaming endpoint {id} is {state}, not available.",
        remediation="Accept or recreate the endpoint {id} (VPC console, Endpoints).",
        select=_one(
            lambda f: f.endpoint_available is Tri.NO,
            lambda f: {"id": f.endpoint_id, "state": f.endpoint_state},
        ),
    ),
    CloudRule(
        name="cloud-not-associated",
        code="CLOUD_ENDPOINT_NOT_ASSOCIATED",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="the endpoint found is not the directory's streaming endpoint",
        message="{id} is not the directory's streaming endpoint ({directory}).",
        remediation="Associate {id} with the directory (WorkSpaces console, directory, "
        "Access endpoint), or test the one it names.",
        select=_one(
            lambda f: f.associated is Tri.NO,
            lambda f: {"id": f.endpoint_id, "directory": f.directory_endpoint or "none"},
        ),
    ),
    CloudRule(
        name="cloud-dns-mismatch",
        code="CLOUD_DNS_NOT_ENDPOINT",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="the private name resolved to an address that is none of the endpoint's interfaces",
        message="{host} resolves here to {addresses}, none of {id}'s interfaces ({enis}){other}.",
        remediation="Make the DNS that answers this machine return {enis} for {host} (the "
        "zone, the forwarder or the hosts file that gives the other answer).",
        select=_one(
            lambda f: f.dns_matches is Tri.NO,
            lambda f: {
                "host": f.endpoint_host,
                "addresses": ", ".join(f.unmatched),
                "id": f.endpoint_id,
                "enis": ", ".join(f.eni_addresses),
                "other": "; it is "
                + ", ".join(f"{a}: {e}" for a, e in f.unmatched_owner)
                + " (another interface)"
                if f.unmatched_owner
                else "",
            },
        ),
    ),
    CloudRule(
        name="cloud-no-inbound-resolver",
        code="CLOUD_NO_INBOUND_RESOLVER",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="the private name does not resolve here, private DNS is on and the VPC has no "
        "Route 53 Resolver inbound endpoint",
        message="{host} does not resolve here and only the VPC's own resolver answers it: "
        "{id} has private DNS on, and the VPC has no Route 53 Resolver inbound endpoint.",
        remediation="Create a Route 53 Resolver inbound endpoint in the VPC, then have the "
        "network team forward {host} to its addresses.",
        select=_one(
            lambda f: f.no_inbound_resolver is Tri.YES,
            lambda f: {"host": f.endpoint_host, "id": f.endpoint_id},
        ),
    ),
    CloudRule(
        name="cloud-forwarding",
        code="CLOUD_FORWARDING_MISSING",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="the private name does not resolve here, and the VPC side could answer it",
        message="{host} does not resolve here; {answer}.",
        remediation="{fix}",
        select=_one(
            lambda f: f.forwarding_missing is Tri.YES,
            lambda f: {
                "host": f.endpoint_host,
                "answer": "the VPC's Resolver inbound endpoint "
                f"({', '.join(f.inbound_resolvers)}) answers it"
                if f.private_dns is Tri.YES
                else f"{f.endpoint_id} has private DNS off, so your own zone must answer it "
                f"with its interfaces ({', '.join(f.eni_addresses) or 'not read'})",
                "fix": f"Forward {f.endpoint_host} (or a2z.com) from your resolvers to "
                f"{', '.join(f.inbound_resolvers)}."
                if f.private_dns is Tri.YES
                else f"Add {f.endpoint_host} to your DNS zone with "
                f"{', '.join(f.eni_addresses) or 'the endpoint interfaces addresses'}.",
            },
        ),
    ),
)


def cloud_findings(facts: CloudFacts) -> tuple[Finding, ...]:
    """Every row's findings, in row order. ``basis``: cloud fact -> result ids."""
    out = []
    for rule in CLOUD_RULES:
        for params, ids in rule.select(facts):
            out.append(
                Finding(
                    code=rule.code,
                    severity=rule.severity,
                    message=rule.message.format(**params),
                    remediation=rule.remediation.format(**params),
                    probes=tuple(dict.fromkeys(ids)),
                    rule=rule.name,
                    owner=rule.owner,
                    basis=(("cloud." + rule.name, tuple(dict.fromkeys(ids))),),
                )
            )
    return tuple(out)
