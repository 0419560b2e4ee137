"""What the endpoint's side allows, against what this machine saw: per client path
*explained* (the cloud denies it: owner aws, the exact rule to add), *contradicted* (the
cloud allows it, the path is still silent: the cause is in between, owner network) or
*unknown* (a call denied, data missing). Pure: a CloudSection and a ClientView in, facts out.

The layers a packet from the client meets, in order (VPC user guide, "Compare security
groups and network ACLs"): the subnet's network ACL inbound, the endpoint's security groups
(stateful: a reply needs no rule), the subnet's network ACL outbound (stateless: the reply
to the client's ephemeral port needs a rule), and the subnet's route table back to the
client. Cloud facts explain; they never set the verdict (a cloud that allows everything
does not make a silent path ready).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from wsdiag.vocab.cloud import (
    EPHEMERAL,
    AclEntry,
    CloudSection,
    Endpoint,
    FoundBy,
    NetworkAcl,
    Outcome,
    RouteTable,
    SgRule,
)
from wsdiag.vocab.model import Owner, Tri

Net = ipaddress.IPv4Network | ipaddress.IPv6Network
PROTOCOL_NUMBER = {"tcp": "6", "udp": "17"}  # IANA protocol numbers, as network ACLs list them


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


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Layer:
    """One layer's decision about one path: what it is and, for a denial, the fix."""

    decision: Decision
    why: str  # "sg-0abc admits only TCP 4195 from 10.0.0.0/8 (sgr-1)"
    fix: str = ""  # the exact rule to add, as a sentence with its AWS CLI command
    kind: str = ""  # "security-group" | "network-acl" | "route"


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
    basis: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _net(text: str | None) -> Net | None:
    if not text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _covers(outer: Net, inner: Net) -> bool:
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _overlaps(a: Net, b: Net) -> bool:
    return a.version == b.version and a.overlaps(b)


def _proto_text(protocol: str) -> str:
    return {"-1": "all traffic", "tcp": "TCP", "udp": "UDP", "6": "TCP", "17": "UDP"}.get(
        protocol, f"protocol {protocol}"
    )


def _rule_text(r: SgRule) -> str:
    source = r.cidr or r.prefix_list or (f"members of {r.group_ref}" if r.group_ref else "?")
    if r.protocol == "-1":
        return f"all traffic from {source} ({r.rule_id})"
    ports = str(r.from_port) if r.from_port == r.to_port else f"{r.from_port}-{r.to_port}"
    return f"{_proto_text(r.protocol)} {ports} from {source} ({r.rule_id})"


# --- security groups ----------------------------------------------------------------------


def security_groups(
    rules: Sequence[SgRule],
    group_ids: Sequence[str],
    prefix_lists: dict[str, tuple[str, ...]],
    protocol: str,
    port: int,
    client: Net,
    region: str = "",
) -> Layer:
    """Do the endpoint's groups admit ``protocol``/``port`` from ``client``? Any one rule of
    any group admitting the whole range allows it (groups are a union; VPC user guide,
    "Security group rules"). A referenced group never admits a client outside the VPC."""
    kind = "security-group"
    ours = [r for r in rules if r.group_id in group_ids]
    partial: list[str] = []
    near: list[SgRule] = []  # rules for this port with another protocol or source
    for r in ours:
        proto_ok = r.protocol in ("-1", protocol, PROTOCOL_NUMBER.get(protocol))
        port_ok = r.protocol == "-1" or r.from_port <= port <= r.to_port
        if not port_ok:
            continue
        sources: list[Net | None] = []
        if r.cidr:
            sources = [_net(r.cidr)]
        elif r.prefix_list:
            entries = prefix_lists.get(r.prefix_list)
            if entries is None:
                if proto_ok:
                    partial.append(f"{r.group_id} {_rule_text(r)}: the prefix list was not read")
                continue
            sources = [_net(c) for c in entries]
        nets = [n for n in sources if n is not None]
        if proto_ok and any(_covers(n, client) for n in nets):
            return Layer(Decision.ALLOW, f"{r.group_id} admits {_rule_text(r)}", kind=kind)
        if proto_ok and any(_overlaps(n, client) for n in nets):
            partial.append(f"{r.group_id} admits only part of {client}: {_rule_text(r)}")
        near.append(r)
    if partial:
        return Layer(Decision.UNKNOWN, "; ".join(partial), kind=kind)
    if not group_ids:
        return Layer(Decision.UNKNOWN, "the endpoint's security groups are not known", kind=kind)
    label = f"{protocol.upper()} {port}"
    if near:
        by_group: dict[str, list[str]] = {}
        for r in near:
            by_group.setdefault(r.group_id, []).append(_rule_text(r))
        why = "; ".join(f"{g} admits only {', '.join(t)}" for g, t in by_group.items())
    else:
        verb = "has" if len(group_ids) == 1 else "have"
        why = f"{', '.join(group_ids)} {verb} no inbound rule for port {port}"
    group = group_ids[0]
    fix = (
        f"add to {group} the inbound rule {label} from {client}: `aws ec2 "
        f"authorize-security-group-ingress{_region(region)} --group-id {group} --protocol "
        f"{protocol} --port {port} --cidr {client}`"
    )
    return Layer(Decision.DENY, why, fix, kind)


def _region(region: str) -> str:
    return f" --region {region}" if region else ""


# --- network ACLs ---------------------------------------------------------------------------


def network_acl(
    acl: NetworkAcl | None,
    egress: bool,
    protocol: str,
    ports: tuple[int, int],
    peer: Net,
    region: str = "",
) -> Layer:
    """The ACL's decision for ``protocol`` to ``ports`` from (inbound) or to (egress)
    ``peer``: entries in rule-number order, the first that matches decides; none matching is
    the implicit deny (VPC user guide, "Network ACL rules"). An entry that matches only part
    of the ports or the range leaves the whole unknown: which part the client uses is not
    known here."""
    kind = "network-acl"
    direction = "outbound" if egress else "inbound"
    if acl is None:
        return Layer(
            Decision.UNKNOWN, f"the subnet's network ACL ({direction}) is not known", kind=kind
        )
    number = PROTOCOL_NUMBER.get(protocol, protocol)
    span = str(ports[0]) if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"
    what = f"{protocol.upper()} {span} {'to' if egress else 'from'} {peer}"
    denier: AclEntry | None = None
    for entry in sorted((e for e in acl.entries if e.egress == egress), key=lambda e: e.number):
        if entry.protocol not in ("-1", number):
            continue
        net = _net(entry.cidr)
        if net is None or not _overlaps(net, peer):
            continue
        lo, hi = entry.ports or (0, 65535)
        if entry.protocol != "-1" and (hi < ports[0] or lo > ports[1]):
            continue
        whole = _covers(net, peer) and (
            entry.protocol == "-1" or (lo <= ports[0] and hi >= ports[1])
        )
        action = "allows" if entry.allow else "denies"
        rule = f"{acl.id} {direction} rule {entry.number} {action} {_proto_text(entry.protocol)}"
        if not whole:
            return Layer(Decision.UNKNOWN, f"{rule} for only part of {what}", kind=kind)
        if entry.allow:
            ports_text = "" if entry.protocol == "-1" else f" {span}"
            return Layer(Decision.ALLOW, f"{rule}{ports_text} ({entry.cidr})", kind=kind)
        denier = entry
        break
    if denier is not None and denier.number < 32767:
        why = f"{acl.id} {direction} rule {denier.number} denies {what}"
        number_free = max(denier.number - 1, 1)
    else:
        why = f"{acl.id} has no {direction} rule allowing {what} (the final * rule denies it)"
        number_free = 100 if denier is None else 99
    purpose = "the replies to the client's ephemeral ports" if egress else what
    fix = (
        f"add to {acl.id} an {direction} rule allowing {purpose} numbered below any rule that "
        f"denies it: `aws ec2 create-network-acl-entry{_region(region)} --network-acl-id "
        f"{acl.id} {'--egress' if egress else '--ingress'} --rule-number {number_free} "
        f"--protocol {number} --port-range From={ports[0]},To={ports[1]} --cidr-block {peer} "
        "--rule-action allow`"
    )
    return Layer(Decision.DENY, why, fix, kind)


# --- routes ---------------------------------------------------------------------------------


def table_for(tables: Sequence[RouteTable], subnet: str) -> RouteTable | None:
    """The subnet's explicit table, else the VPC's main one (VPC user guide, "Route tables")."""
    return next((t for t in tables if subnet in t.subnet_ids), None) or next(
        (t for t in tables if t.main), None
    )


def return_route(table: RouteTable | None, client: Net, region: str = "") -> tuple[Layer, str]:
    """(the layer, the route's target) for the replies to ``client``: the longest-prefix
    route covering the whole range. No such route, or a blackhole, denies; a prefix-list
    route that might cover it leaves it unknown."""
    kind = "route"
    if table is None:
        return Layer(Decision.UNKNOWN, "the subnet's route table is not known", kind=kind), ""
    best = None
    for route in table.routes:
        net = _net(route.destination)
        covers = net is not None and _covers(net, client)
        if net is not None and covers and (best is None or net.prefixlen > best[0].prefixlen):
            best = (net, route)
    if best is None:
        if any(r.destination.startswith("pl-") for r in table.routes):
            why = f"{table.id} has no CIDR route covering {client} (a prefix-list route may)"
            return Layer(Decision.UNKNOWN, why, kind=kind), ""
        why = f"{table.id} has no route back to {client}, so the endpoint's replies are dropped"
        fix = (
            f"add to {table.id} a route for {client} through the gateway the client's traffic "
            f"arrives by (VPN gateway, transit gateway, Direct Connect): `aws ec2 create-route"
            f"{_region(region)} --route-table-id {table.id} --destination-cidr-block {client} "
            "--transit-gateway-id tgw-…` (or --gateway-id vgw-…)"
        )
        return Layer(Decision.DENY, why, fix, kind), ""
    net, route = best
    if not route.active:
        why = f"{table.id}'s route {route.destination} → {route.target} is a blackhole"
        fix = f"replace the route {route.destination} in {table.id} with one through a live gateway"
        return Layer(Decision.DENY, why, fix, kind), route.target
    return Layer(Decision.ALLOW, f"{table.id} routes {net} → {route.target}", kind=kind), (
        route.target
    )


def source_ip(client: Net) -> str:
    """A host address of ``client`` (the first usable one: 127.0.0.1 for 127.0.0.0/8, the
    address itself for a /32 or /128): the network address of a range is no client's."""
    first = next(iter(client.hosts()), client.network_address)
    return str(first)


def reachability_command(
    region: str, source: str, client: Net, eni: str, protocol: str, port: int
) -> str:
    """The Reachability Analyzer path that checks the VPC side from where the client's
    traffic enters (EC2 API CreateNetworkInsightsPath: Source, SourceIp, Destination,
    Protocol, DestinationPort). Printed for a person; creating it makes a resource, so
    wsdiag never runs it."""
    gateway = source if source and source != "local" else "<igw-/vgw-/tgw- the client enters by>"
    return (
        f"aws ec2 create-network-insights-path{_region(region)} --source {gateway} "
        f"--source-ip {source_ip(client)} --destination {eni} --protocol {protocol} "
        f"--destination-port {port}   # then: aws ec2 start-network-insights-analysis "
        "--network-insights-path-id nip-…"
    )


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
    client = _net(view.source)
    endpoint = section.endpoint
    if client is None or endpoint is None:
        return ()
    eni_of = {a: eni for eni in section.enis for a in eni.addresses}
    prefix_lists = dict(section.prefix_lists)
    groups: dict[tuple[str, int, Judgement, str, str], tuple[list[str], list[str], str]] = {}
    for p in view.paths:
        eni = eni_of.get(p.address)
        if eni is None:
            continue
        acl = next((a for a in section.acls if eni.subnet_id in a.subnet_ids), None)
        route, target = return_route(
            table_for(section.route_tables, eni.subnet_id), client, section.region
        )
        port_range = (p.port, p.port)
        layers = [
            network_acl(acl, False, p.protocol, port_range, client, section.region),
            security_groups(
                section.rules,
                endpoint.group_ids,
                prefix_lists,
                p.protocol,
                p.port,
                client,
                section.region,
            ),
            network_acl(acl, True, p.protocol, EPHEMERAL, client, section.region),
            route,
        ]
        if section.call("ec2:DescribeSecurityGroupRules") is None or any(
            c.outcome is not Outcome.OK
            for c in section.calls
            if c.action == "ec2:DescribeSecurityGroupRules"
        ):
            layers[1] = Layer(
                Decision.UNKNOWN, "the security group rules were not read", kind="security-group"
            )
        judgement, layer = _judge(p.seen, layers)
        if judgement is Judgement.CONTRADICTED:
            why = "; ".join(x.why for x in layers)
        elif judgement is Judgement.SOURCE_MISMATCH and layer is not None:
            why = (
                f"{layer.why}, yet it answered: the endpoint sees this machine as another "
                f"address than {client} ({view.source_basis}); give --aws-client-cidr"
            )
        else:
            why = layer.why if layer is not None else ""
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
        ("cloud.dns_matches", view.resolved_ids),
        *((f"cloud.path[{p.label}]", p.probes) for p in paths),
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
