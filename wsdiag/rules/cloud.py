"""Rows about the endpoint's side as ``--aws`` read it (issue 21). Pure.

They explain; they never judge: the composition root shows their findings beside the
verdict the client's own evidence decided, so a cloud that allows everything cannot make a
silent path ready (and a cloud that denies a path cannot make an open one blocked). They
are the one engine's rows (``wsdiag.vocab.rows.FindingRule``) over CloudFacts rather than
Evidence; a path row makes one finding per client path (``each``).
"""

from __future__ import annotations

from collections.abc import Callable

from wsdiag.cloud.correlate import CloudFacts, Judgement, PathFact
from wsdiag.vocab.cloud import FoundBy
from wsdiag.vocab.model import Owner, Severity, Tri
from wsdiag.vocab.results import Finding
from wsdiag.vocab.rows import FindingRule, Fire, apply_each

Y, N = Tri.YES, Tri.NO
# The resolved names' results: what every row but the paths' names as its basis.
DNS = ("dns_matches",)


def _addresses(p: PathFact) -> str:
    return ", ".join(p.addresses)


def _paths(j: Judgement) -> Callable[[CloudFacts], list[Fire]]:
    """One Fire per client path the correlation judged ``j``, its probes its basis."""

    def each(f: CloudFacts) -> list[Fire]:
        return [
            Fire(
                {
                    "path": p.label,
                    "at": _addresses(p),
                    "client": f.client,
                    "basis": f.client_basis,
                    "why": p.why,
                    "fix": p.fix,
                    "command": p.command,
                },
                basis=(f"path[{p.label}]",),
            )
            for p in f.paths
            if p.judgement is j
        ]

    return each


CLOUD_RULES: tuple[FindingRule[CloudFacts], ...] = (
    FindingRule(
        name="cloud-explains",
        code="CLOUD_PATH_DENIED",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="a path silent from here is denied by the endpoint's group, network ACL or route",
        message="{path} to {at} is silent from {client}; the endpoint's side denies it: {why}.",
        remediation="In AWS, {fix}. (The client's range is {basis}.)",
        each=_paths(Judgement.EXPLAINED),
        basis=(),
    ),
    FindingRule(
        name="cloud-contradicts",
        code="CLOUD_ALLOWS_SILENT_PATH",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="a path silent from here is allowed by every layer of the endpoint's side",
        message="{path} to {at} is silent from {client}, yet the endpoint's side allows it "
        "({why}): the cause is between this machine and the VPC.",
        remediation="Follow {path} from {client} through the firewalls, VPN and routes on the "
        "way. To have AWS check the VPC side from where the traffic enters: `{command}`.",
        each=_paths(Judgement.CONTRADICTED),
        basis=(),
    ),
    FindingRule(
        name="cloud-path-unknown",
        code="CLOUD_PATH_UNJUDGED",
        severity=Severity.INFO,
        owner=Owner.AWS,
        when="a path silent from here could not be judged on the endpoint's side",
        message="{path} to {at} is silent from {client}; the endpoint's side could not be "
        "judged: {why}.",
        remediation="Give --client-cidr with the range the endpoint sees, or grant the "
        "read-only actions the README lists.",
        each=_paths(Judgement.UNKNOWN),
        basis=(),
    ),
    FindingRule(
        name="cloud-source-mismatch",
        code="CLOUD_SOURCE_ASSUMED_WRONG",
        severity=Severity.INFO,
        owner=Owner.USER,
        when="a path answered although the endpoint's side denies the assumed client range",
        message="{path} to {at} answered; {why}.",
        remediation="Run again with --client-cidr set to the range your VPN or NAT presents.",
        each=_paths(Judgement.SOURCE_MISMATCH),
        basis=(),
    ),
    FindingRule(
        name="cloud-denied",
        code="CLOUD_CALLS_DENIED",
        severity=Severity.INFO,
        owner=Owner.AWS,
        when="IAM denied some of the read-only calls",
        message="AWS denied these read-only calls, so what they would show is unknown: {actions}.",
        remediation="Grant the read-only policy in the README (missing: {actions}).",
        fire=lambda f: Fire({"actions": ", ".join(f.denied)}) if f.denied else None,
        basis=DNS,
    ),
    FindingRule(
        name="cloud-not-read",
        code="CLOUD_NOT_READ",
        severity=Severity.INFO,
        owner=Owner.USER,
        when="no call reached the AWS API (unreachable, no or rejected credentials)",
        message="The AWS side was not read: {why}.",
        remediation="Check the credentials (--aws-profile NAME, `aws sts get-caller-identity`) "
        "and that this machine reaches the regional API.",
        fire=lambda f: Fire({"why": f.unreachable}) if f.unreachable else None,
        basis=DNS,
    ),
    FindingRule(
        name="cloud-no-endpoint",
        code="CLOUD_ENDPOINT_NOT_FOUND",
        severity=Severity.INFO,
        owner=Owner.AWS,
        when="no streaming endpoint was found by directory, address or service name",
        message="No WorkSpaces streaming VPC endpoint was found in {region} (by the "
        "directory, an address this machine resolved, or the service name).",
        remediation="Run with --directory-id, or the profile of the account that owns the "
        "endpoint (--aws-profile).",
        facts=(("found_by", (FoundBy.NONE,)),),
        fire=lambda f: None if f.unreachable else Fire({"region": f.region}),
        basis=DNS,
    ),
    FindingRule(
        name="cloud-endpoint-state",
        code="CLOUD_ENDPOINT_NOT_AVAILABLE",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="the endpoint's state is not available",
        message="The streaming endpoint {id} is {state}, not available.",
        remediation="Accept or recreate the endpoint {id} (VPC console, Endpoints).",
        facts=(("endpoint_available", (N,)),),
        fire=lambda f: Fire({"id": f.endpoint_id, "state": f.endpoint_state}),
        basis=DNS,
    ),
    FindingRule(
        name="cloud-not-associated",
        code="CLOUD_ENDPOINT_NOT_ASSOCIATED",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="the endpoint found is not the directory's streaming endpoint",
        message="{id} is not the directory's streaming endpoint ({directory}).",
        remediation="Associate {id} with the directory (WorkSpaces console, directory, "
        "Access endpoint), or test the one it names.",
        facts=(("associated", (N,)),),
        fire=lambda f: Fire({"id": f.endpoint_id, "directory": f.directory_endpoint or "none"}),
        basis=DNS,
    ),
    FindingRule(
        name="cloud-dns-mismatch",
        code="CLOUD_DNS_NOT_ENDPOINT",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="the private name resolved to an address that is none of the endpoint's interfaces",
        message="{host} resolves here to {addresses}, none of {id}'s interfaces ({enis}){other}.",
        remediation="Make the DNS that answers this machine return {enis} for {host} (the "
        "zone, the forwarder or the hosts file that gives the other answer).",
        facts=(("dns_matches", (N,)),),
        fire=lambda f: Fire(
            {
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
    FindingRule(
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
        facts=(("no_inbound_resolver", (Y,)),),
        fire=lambda f: Fire({"host": f.endpoint_host, "id": f.endpoint_id}),
        basis=DNS,
    ),
    FindingRule(
        name="cloud-forwarding",
        code="CLOUD_FORWARDING_MISSING",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="the private name does not resolve here, and the VPC side could answer it",
        message="{host} does not resolve here; {answer}.",
        remediation="{fix}",
        facts=(("forwarding_missing", (Y,)),),
        fire=lambda f: Fire(
            {
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
        basis=DNS,
    ),
)


def cloud_findings(facts: CloudFacts) -> tuple[Finding, ...]:
    """Every row's findings, in row order (``wsdiag.vocab.rows.apply_each``): a path row one
    per client path it judges, its basis that path's probes; the others the resolved names'
    results (``DNS``)."""
    return tuple(f for rule in CLOUD_RULES for f in apply_each(rule, facts))
