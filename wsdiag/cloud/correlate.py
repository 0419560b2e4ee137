"""What the endpoint's side allows, against what this machine saw: per client path
*explained* (the cloud denies it: owner aws, the exact rule to add), *contradicted* (the
cloud allows it, the path is still silent: the cause is in between, owner network) or
*unknown* (a call denied, data missing); and the endpoint's own facts (state, association,
DNS, resolvers). Pure: a CloudSection and a ClientView in, facts out.

A path is judged over the layers a packet from the client meets (``wsdiag.cloud.layers``).
Cloud facts explain; they never set the verdict (a cloud that allows everything does not
make a silent path ready).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from wsdiag.cloud.layers import (
    Decision,
    Layer,
    Net,
    as_net,
    network_acl,
    reachability_command,
    return_route,
    security_groups,
    table_for,
)
from wsdiag.vocab.cloud import EPHEMERAL, CloudSection, Endpoint, Eni, FoundBy, Outcome
from wsdiag.vocab.model import Owner, Tri


class Seen(StrEnum):
    """One path as this machine measured it."""

    OPEN = "open"
    FAILED = "failed"  # silent, refused or unreachable: measured, and not answering
    UNKNOWN = "unknown"  # not measured (error, deadline, skipped)


class Judgement(StrEnum):
    EXPLAINED = "explained"  # failed here, and the cloud denies it
    CONTRADICTED = "contradicted"  # failed here, yet the cloud allows it
    UNKNOWN = "unknown"  # failed here; the cloud side could not be judged
    CONSISTENT = "consistent"  # answered, and the cloud allows it
    SOURCE_MISMATCH = "source-mismatch"  # answered, though the cloud denies the assumed source
    NOT_MEASURED = "not-measured"  # this machine did not measure it


@dataclass(frozen=True)
class ClientPath:
    address: str  # the endpoint address probed
    protocol: str  # "tcp" | "udp" (QUIC)
    port: int
    seen: Seen
    probes: tuple[str, ...] = ()  # the probe ids behind ``seen``


@dataclass(frozen=True)
class ClientView:
    """What this machine saw, as the correlation needs it (built from the run's results)."""

    source: str  # the client's range as the endpoint sees it: a CIDR
    source_basis: str  # "--aws-client-cidr" or the assumption made, for messages
    endpoint_host: str = ""
    resolved: tuple[str, ...] = ()  # the private name's A/AAAA answers
    resolved_ids: tuple[str, ...] = ()  # the DNS result ids behind ``resolved``
    name_failed: bool = False  # the private name got no address here (NXDOMAIN, NODATA ...)
    paths: tuple[ClientPath, ...] = ()


@dataclass(frozen=True)
class PathFact:
    """One client path's judgement over the endpoint addresses that share it."""

    protocol: str
    port: int
    addresses: tuple[str, ...]
    judgement: Judgement
    owner: Owner | None  # aws (explained), network (contradicted), None otherwise
    why: str
    fix: str = ""
    command: str = ""  # the Reachability Analyzer path to create (printed, never run)
    probes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """ "UDP 4195" """
        return f"{self.protocol.upper()} {self.port}"


@dataclass(frozen=True)
class CloudFacts:
    """The cloud's facts for the rules, each with its basis (fact -> result ids)."""

    region: str
    found_by: FoundBy
    endpoint_id: str = ""
    endpoint_state: str = ""
    endpoint_available: Tri = Tri.UNKNOWN
    associated: Tri = Tri.UNKNOWN  # the directory's STREAMING_WSP endpoint is this one
    directory_endpoint: str = ""
    private_dns: Tri = Tri.UNKNOWN
    dns_matches: Tri = Tri.UNKNOWN  # every address the name resolved to is an interface of it
    unmatched: tuple[str, ...] = ()  # resolved addresses that are none of its interfaces
    unmatched_owner: tuple[tuple[str, str], ...] = ()  # (address, eni-...) of another interface
    eni_addresses: tuple[str, ...] = ()
    paths: tuple[PathFact, ...] = ()
    denied: tuple[str, ...] = ()  # IAM actions refused
    unreachable: str = ""  # "" or why no call reached the API ("unreachable", "no-credentials")
    client: str = ""
    client_basis: str = ""
    no_inbound_resolver: Tri = Tri.UNKNOWN  # the name failed here, private DNS on, no inbound
    forwarding_missing: Tri = Tri.UNKNOWN  # the name failed here, the VPC side could answer
    inbound_resolvers: tuple[str, ...] = ()  # inbound Resolver endpoint addresses of its VPC
    endpoint_host: str = ""
    # fact -> result ids: "dns_matches" (the resolved names' results), "path[UDP 4195]" ...
    basis: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def fact(self, name: str) -> object:
        """The fact ``name`` (wsdiag.vocab.rows.Facts). Raises AttributeError for a name
        CloudFacts does not have."""
        if name.startswith("_") or name in ("basis", "fact", "basis_of"):
            raise AttributeError(f"CloudFacts has no fact {name!r}")
        return getattr(self, name)

    def basis_of(self, name: str) -> tuple[str, ...]:
        """The result ids behind ``name``; () if none."""
        return dict(self.basis).get(name, ())


# --- the whole --------------------------------------------------------------------------------


def _judge(seen: Seen, layers: Sequence[Layer]) -> tuple[Judgement, Layer | None]:
    denies = [x for x in layers if x.decision is Decision.DENY]
    unknown = [x for x in layers if x.decision is Decision.UNKNOWN]
    if seen is Seen.UNKNOWN:
        return Judgement.NOT_MEASURED, None
    if seen is Seen.OPEN:
        if denies:
            return Judgement.SOURCE_MISMATCH, denies[0]
        return (Judgement.CONSISTENT, None) if not unknown else (Judgement.NOT_MEASURED, None)
    if denies:
        return Judgement.EXPLAINED, denies[0]
    if unknown:
        return Judgement.UNKNOWN, unknown[0]
    return Judgement.CONTRADICTED, None


def path_facts(section: CloudSection, view: ClientView) -> tuple[PathFact, ...]:
    """Every measured client path to an address that is one of the endpoint's interfaces,
    judged layer by layer, grouped by (path, judgement, reason) over the addresses."""
    client = as_net(view.source)
    endpoint = section.endpoint
    if client is None or endpoint is None:
        return ()
    eni_of = {a: eni for eni in section.enis for a in eni.addresses}
    groups: dict[tuple[str, int, Judgement, str, str], tuple[list[str], list[str], str]] = {}
    for p in view.paths:
        eni = eni_of.get(p.address)
        if eni is None:
            continue
        layers, target = _layers(section, endpoint, eni, p, client)
        judgement, layer = _judge(p.seen, layers)
        why = _why(judgement, layer, layers, client, view.source_basis)
        fix = layer.fix if layer is not None and judgement is Judgement.EXPLAINED else ""
        command = reachability_command(section.region, target, client, eni.id, p.protocol, p.port)
        key = (p.protocol, p.port, judgement, why, fix)
        addrs, probes, _ = groups.setdefault(key, ([], [], command))
        addrs.append(p.address)
        probes.extend(p.probes)
    owner = {Judgement.EXPLAINED: Owner.AWS, Judgement.CONTRADICTED: Owner.NETWORK}
    facts = (
        PathFact(proto, port, tuple(addrs), j, owner.get(j), why, fix, cmd, tuple(probes))
        for (proto, port, j, why, fix), (addrs, probes, cmd) in groups.items()
    )
    return tuple(sorted(facts, key=lambda f: (f.protocol, f.port)))


def _layers(
    section: CloudSection, endpoint: Endpoint, eni: Eni, path: ClientPath, client: Net
) -> tuple[list[Layer], str]:
    """(the four layers ``path`` meets on its way in and back, in the order of
    ``wsdiag.cloud.layers``, the return route's target). Groups whose rules were not all
    read are unknown, whatever the rules read say."""
    region = section.region
    acl = next((a for a in section.acls if eni.subnet_id in a.subnet_ids), None)
    route, target = return_route(table_for(section.route_tables, eni.subnet_id), client, region)
    if _ok(section, "ec2:DescribeSecurityGroupRules"):
        groups = security_groups(
            section.rules,
            endpoint.group_ids,
            dict(section.prefix_lists),
            path.protocol,
            path.port,
            client,
            region,
        )
    else:
        groups = Layer(
            Decision.UNKNOWN, "the security group rules were not read", kind="security-group"
        )
    return [
        network_acl(acl, False, path.protocol, (path.port, path.port), client, region),
        groups,
        network_acl(acl, True, path.protocol, EPHEMERAL, client, region),
        route,
    ], target


def _why(
    judgement: Judgement, layer: Layer | None, layers: Sequence[Layer], client: Net, basis: str
) -> str:
    """The reason a path's finding gives: every layer's where all allow a silent path, the
    deciding layer's otherwise (``basis``: how the client's range was chosen)."""
    if judgement is Judgement.CONTRADICTED:
        return "; ".join(x.why for x in layers)
    if judgement is Judgement.SOURCE_MISMATCH and layer is not None:
        return (
            f"{layer.why}, yet it answered: the endpoint sees this machine as another "
            f"address than {client} ({basis}); give --aws-client-cidr"
        )
    return layer.why if layer is not None else ""


def correlate(section: CloudSection, view: ClientView) -> CloudFacts:
    """The section's facts against this machine's view. Pure; never raises."""
    endpoint = section.endpoint
    unreachable = next(
        (
            str(c.outcome)
            for c in section.calls[:1]
            if c.outcome
            in (Outcome.UNREACHABLE, Outcome.NO_CREDENTIALS, Outcome.REJECTED, Outcome.TIMEOUT)
        ),
        "",
    )
    base = CloudFacts(
        region=section.region,
        found_by=section.found_by,
        denied=section.denied(),
        unreachable=unreachable,
        client=view.source,
        client_basis=view.source_basis,
        endpoint_host=view.endpoint_host,
        directory_endpoint=section.directory_endpoint or "",
    )
    if endpoint is None:
        return base
    eni_addrs = tuple(a for eni in section.enis for a in eni.addresses)
    enis_read = _ok(section, "ec2:DescribeNetworkInterfaces") and bool(section.enis)
    unmatched = tuple(a for a in view.resolved if a not in eni_addrs) if enis_read else ()
    dns_matches = Tri.UNKNOWN if not view.resolved or not enis_read else Tri.of(not unmatched)
    if section.found_by is FoundBy.DIRECTORY:
        associated = Tri.YES
    elif section.directory_endpoint is not None:
        associated = Tri.of(section.directory_endpoint == endpoint.id)
    else:
        associated = Tri.UNKNOWN
    no_inbound, forwarding, inbound = _resolver_facts(section, view, endpoint)
    paths = path_facts(section, view)
    basis = (
        ("dns_matches", view.resolved_ids),
        *((f"path[{p.label}]", p.probes) for p in paths),
    )
    return dataclasses.replace(
        base,
        endpoint_id=endpoint.id,
        endpoint_state=endpoint.state,
        endpoint_available=Tri.of(endpoint.state.lower() == "available"),
        associated=associated,
        private_dns=Tri.of(endpoint.private_dns),
        dns_matches=dns_matches,
        unmatched=unmatched,
        unmatched_owner=tuple((a, e) for a, e in section.other_enis if a in unmatched),
        eni_addresses=eni_addrs,
        paths=paths,
        no_inbound_resolver=no_inbound,
        forwarding_missing=forwarding,
        inbound_resolvers=inbound,
        basis=basis,
    )


def _resolver_facts(
    section: CloudSection, view: ClientView, endpoint: Endpoint
) -> tuple[Tri, Tri, tuple[str, ...]]:
    """(no inbound resolver endpoint, forwarding missing, the inbound addresses) for the
    endpoint's VPC: judged only where the private name failed on this machine."""
    inbound = tuple(
        a
        for r in section.resolver_endpoints
        if r.direction == "INBOUND" and r.vpc_id == endpoint.vpc_id
        for a in r.addresses
    )
    resolvers_read = _ok(section, "route53resolver:ListResolverEndpoints")
    no_inbound = forwarding = Tri.UNKNOWN
    if view.name_failed and endpoint.private_dns and resolvers_read:
        no_inbound = Tri.of(not inbound)
        forwarding = Tri.of(bool(inbound))
    elif view.name_failed and not endpoint.private_dns:
        forwarding = Tri.YES  # the organisation's own zone must answer with the interfaces
    elif not view.name_failed:
        no_inbound = forwarding = Tri.NO
    return no_inbound, forwarding, inbound


def _ok(section: CloudSection, action: str) -> bool:
    calls = [c for c in section.calls if c.action == action]
    return bool(calls) and all(c.outcome is Outcome.OK for c in calls)


def client_paths(rows: Iterable[tuple[str, str, int, Seen, str]]) -> tuple[ClientPath, ...]:
    """(address, protocol, port, seen, probe id) rows -> one ClientPath per (address,
    protocol, port): open if any probe answered, failed only if every one failed."""
    merged: dict[tuple[str, str, int], tuple[list[Seen], list[str]]] = {}
    for address, protocol, port, seen, pid in rows:
        seens, ids = merged.setdefault((address, protocol, port), ([], []))
        seens.append(seen)
        ids.append(pid)
    out = []
    for (address, protocol, port), (seens, ids) in merged.items():
        if Seen.OPEN in seens:
            seen = Seen.OPEN
        elif all(s is Seen.FAILED for s in seens):
            seen = Seen.FAILED
        else:
            seen = Seen.UNKNOWN
        out.append(ClientPath(address, protocol, port, seen, tuple(ids)))
    return tuple(out)
