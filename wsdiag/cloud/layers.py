"""What one layer of the endpoint's side decides for one client path: the security groups,
a network ACL in one direction, the route back to the client. Pure: vocab.cloud rows in, a
Layer out (the decision, why in words, and for a denial the exact rule to add with its AWS CLI
command); ``wsdiag.cloud.correlate`` judges a path over its layers.

The layers a packet from the client meets, in order (VPC user guide, "Compare security
groups and network ACLs"): the subnet's network ACL inbound, the endpoint's security groups
(stateful: a reply needs no rule), the subnet's network ACL outbound (stateless: the reply
to the client's ephemeral port needs a rule), and the subnet's route table back to the
client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from wsdiag.vocab.cloud import AclEntry, NetworkAcl, RouteTable, SgRule

Net = ipaddress.IPv4Network | ipaddress.IPv6Network
PROTOCOL_NUMBER = {"tcp": "6", "udp": "17"}  # IANA protocol numbers, as network ACLs list them


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


def as_net(text: str | None) -> Net | None:
    """``text`` as a network ("10.0.0.0/8"; a host bit set is allowed), None for "" or
    anything that is not one."""
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
            sources = [as_net(r.cidr)]
        elif r.prefix_list:
            entries = prefix_lists.get(r.prefix_list)
            if entries is None:
                if proto_ok:
                    partial.append(f"{r.group_id} {_rule_text(r)}: the prefix list was not read")
                continue
            sources = [as_net(c) for c in entries]
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
        net = as_net(entry.cidr)
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
        net = as_net(route.destination)
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
