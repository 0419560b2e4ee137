"""The cloud cross-check as an evidence source (issue 15 item 3): ``gather`` reads AWS
within its budget (boto3 imported there, only with ``--aws``), ``facts`` correlates what
was read with the run's DNS and probe results (pure), ``to_json`` is the report's additive
``cloud`` section."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from wsdiag.cloud.correlate import (
    ClientView,
    CloudFacts,
    Seen,
    client_paths,
    correlate,
)
from wsdiag.vocab.cloud import (
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
from wsdiag.vocab.codec import DecodeError, one_of, shown
from wsdiag.vocab.model import DnsOutcome, Plan, Role, Status, Transport, Via
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.results import DnsResult, ProbeResult

_FAILED = (Status.FILTERED, Status.REFUSED, Status.UNREACHABLE)
_NAME_FAILED = (DnsOutcome.NXDOMAIN, DnsOutcome.NO_ANSWER)
# The run's own results, as the seam (wsdiag.vocab.sources.EvidenceSource) passes them.
Dns = tuple[DnsResult, ...]
Probes = tuple[ProbeResult, ...]


@dataclass  # not frozen: the seam's Protocol declares ``name`` a settable attribute
class CloudSource:
    """``--aws`` [``--aws-profile NAME``] [``--client-cidr CIDR``] [``--directory-id ID``];
    an ``EvidenceSource[CloudSection, CloudFacts]``."""

    profile: str | None = None
    client_cidr: str | None = None
    directory_id: str | None = None
    name: str = "cloud"

    def gather(self, plan: Plan, dns: Dns, probes: Probes, until: float) -> CloudSection:
        """Read the endpoint's side by ``until`` (time.monotonic() s); never raises."""
        from dataclasses import replace

        from wsdiag.cloud.gather import gather  # boto3: only with --aws

        ids = tuple(pt.target.id for pt in plan.targets if pt.target.role is Role.ENDPOINT)
        resolved = endpoint_answers(ids, dns)
        section = gather(plan.region.code, until, self.directory_id, resolved, self.profile)
        return replace(
            section,
            profile=self.profile,
            client_cidr=self.client_cidr,
            local_address=_source_address(resolved[0]) if resolved else None,
            endpoint_targets=ids,
        )

    def facts(self, section: CloudSection, observed: Observed) -> CloudFacts:
        """Pure: the section against this machine's view of the same endpoint (the results
        of the section's ``endpoint_targets``)."""
        view_ = view(section, observed.dns, observed.probes, self.client_cidr)
        return correlate(section, view_)

    def to_json(self, section: CloudSection) -> dict[str, object]:
        return section_json(section)


def _source_address(address: str) -> str | None:
    """The address this machine would send from to ``address``: a connected UDP socket's
    own name (the OS picks the route; connect() on UDP sends nothing)."""
    import socket

    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.connect((address, 4195))
            return str(s.getsockname()[0])
    except OSError:
        return None


def endpoint_answers(ids: tuple[str, ...], dns: Dns) -> tuple[str, ...]:
    """The private name's A/AAAA (and OS) answers, in order, without repeats."""
    out: dict[str, None] = {}
    for d in dns:
        if d.target_id in ids and d.outcome is DnsOutcome.ANSWER:
            out.update(dict.fromkeys(d.addresses))
    return tuple(out)


def view(section: CloudSection, dns: Dns, probes: Probes, client_cidr: str | None) -> ClientView:
    """This machine's view: the private name's answers, each endpoint path as measured, and
    the client's range: ``--client-cidr``, else this machine's own source address toward
    the endpoint (assuming no NAT or VPN translation on the way, and saying so)."""
    ids = section.endpoint_targets
    mine = [d for d in dns if d.target_id in ids]
    resolved = endpoint_answers(ids, dns)
    rows = []
    for p in probes:
        if p.target_id not in ids or p.address is None or p.via is not Via.DIRECT:
            continue
        seen = (
            Seen.OPEN
            if p.status is Status.OPEN
            else Seen.FAILED
            if p.status in _FAILED
            else Seen.UNKNOWN
        )
        protocol = "udp" if p.transport is Transport.QUIC else "tcp"
        rows.append((p.address, protocol, p.port, seen, p.id))
    local = section.local_address
    if client_cidr:
        source, basis = client_cidr, "--client-cidr"
    elif local:
        source = f"{local}/{128 if ':' in local else 32}"
        basis = "this machine's own address, assuming no NAT or VPN translation on the way"
    else:
        source, basis = "", "not known: give --client-cidr"
    return ClientView(
        source=source,
        source_basis=basis,
        endpoint_host=mine[0].host if mine else "",
        resolved=resolved,
        resolved_ids=tuple(d.id for d in mine),
        name_failed=bool(mine) and not resolved and any(d.outcome in _NAME_FAILED for d in mine),
        paths=client_paths(rows),
    )


def section_json(section: CloudSection) -> dict[str, Any]:
    """The ``cloud`` section: how the endpoint was found, every call and its outcome, and
    what was read. Ids, addresses and rule fields only: no ARN, account or message."""
    ep = section.endpoint
    return {
        "region": section.region,
        "found_by": str(section.found_by),
        "profile": section.profile,
        "client_cidr": section.client_cidr,
        "calls": [
            {"action": c.action, "outcome": str(c.outcome), "code": c.code or None, "ms": c.ms}
            for c in section.calls
        ],
        "denied": list(section.denied()),
        "endpoint": None
        if ep is None
        else {
            "id": ep.id,
            "service_name": ep.service_name,
            "state": ep.state,
            "private_dns": ep.private_dns,
            "vpc": ep.vpc_id,
            "subnets": list(ep.subnet_ids),
            "security_groups": list(ep.group_ids),
            "dns_names": list(ep.dns_names),
            "interfaces": [
                {"id": e.id, "subnet": e.subnet_id, "addresses": list(e.addresses)}
                for e in section.enis
            ],
        },
        "directory_endpoint": section.directory_endpoint,
        "other_interfaces": [{"address": a, "id": e} for a, e in section.other_enis],
        "inbound_rules": [
            {
                "group": r.group_id,
                "rule": r.rule_id,
                "protocol": r.protocol,
                "from_port": r.from_port,
                "to_port": r.to_port,
                "source": r.cidr or r.prefix_list or r.group_ref,
            }
            for r in section.rules
        ],
        "prefix_lists": {pl: list(cidrs) for pl, cidrs in section.prefix_lists},
        "network_acls": [
            {
                "id": a.id,
                "subnets": list(a.subnet_ids),
                "entries": [
                    {
                        "number": e.number,
                        "egress": e.egress,
                        "protocol": e.protocol,
                        "action": "allow" if e.allow else "deny",
                        "cidr": e.cidr,
                        "ports": list(e.ports) if e.ports else None,
                    }
                    for e in a.entries
                ],
            }
            for a in section.acls
        ],
        "route_tables": [
            {
                "id": t.id,
                "subnets": list(t.subnet_ids),
                "main": t.main,
                "routes": [
                    {"destination": r.destination, "target": r.target, "active": r.active}
                    for r in t.routes
                ],
            }
            for t in section.route_tables
        ],
        "resolver_endpoints": [
            {
                "id": r.id,
                "direction": r.direction,
                "status": r.status,
                "addresses": list(r.addresses),
            }
            for r in section.resolver_endpoints
        ],
        "resolver_rules": [
            {"id": r.id, "domain": r.domain, "type": r.rule_type, "vpcs": list(r.vpc_ids)}
            for r in section.resolver_rules
        ],
    }


def section_from_json(doc: Any) -> CloudSection:
    """The CloudSection ``section_json`` wrote (``wsdiag show``). What the section does not
    write (the endpoint targets, this machine's source address, a resolver endpoint's VPC)
    reads empty, so writing it again gives the same JSON. Raises codec.DecodeError naming
    the place ("cloud.calls[0].outcome: ...") for a block of another shape."""
    r = _Reader(doc, "cloud")
    ep = r.opt_obj("endpoint")
    endpoint = enis = None
    if ep is not None:
        enis = tuple(
            Eni(i.text("id"), i.text("subnet"), i.strs("addresses")) for i in ep.objs("interfaces")
        )
        endpoint = Endpoint(
            id=ep.text("id"),
            service_name=ep.text("service_name"),
            state=ep.text("state"),
            private_dns=ep.flag("private_dns"),
            vpc_id=ep.text("vpc"),
            subnet_ids=ep.strs("subnets"),
            group_ids=ep.strs("security_groups"),
            eni_ids=tuple(e.id for e in enis),
            dns_names=ep.strs("dns_names"),
        )
    calls = tuple(
        Call(
            action=c.text("action"),
            outcome=c.enum("outcome", Outcome),
            code=c.opt_str("code") or "",
            ms=c.opt_num("ms"),
        )
        for c in r.objs("calls")
    )
    section = CloudSection(
        region=r.text("region"),
        found_by=r.enum("found_by", FoundBy),
        calls=calls,
        endpoint=endpoint,
        enis=enis or (),
        rules=tuple(_rule(x) for x in r.objs("inbound_rules")),
        prefix_lists=tuple(
            (pl, _Reader(cidrs, f"cloud.prefix_lists.{pl}").items_str())
            for pl, cidrs in r.obj("prefix_lists").items()
        ),
        acls=tuple(
            NetworkAcl(
                a.text("id"),
                a.strs("subnets"),
                tuple(
                    AclEntry(
                        number=e.integer("number"),
                        egress=e.flag("egress"),
                        protocol=e.text("protocol"),
                        allow=e.choice("action", ("allow", "deny")) == "allow",
                        cidr=e.text("cidr"),
                        ports=e.opt_pair("ports"),
                    )
                    for e in a.objs("entries")
                ),
            )
            for a in r.objs("network_acls")
        ),
        route_tables=tuple(
            RouteTable(
                t.text("id"),
                t.strs("subnets"),
                t.flag("main"),
                tuple(
                    Route(x.text("destination"), x.text("target"), x.flag("active"))
                    for x in t.objs("routes")
                ),
            )
            for t in r.objs("route_tables")
        ),
        resolver_endpoints=tuple(
            ResolverEndpoint(
                x.text("id"), x.text("direction"), "", x.text("status"), x.strs("addresses")
            )
            for x in r.objs("resolver_endpoints")
        ),
        resolver_rules=tuple(
            ResolverRule(x.text("id"), x.text("domain"), x.text("type"), x.strs("vpcs"))
            for x in r.objs("resolver_rules")
        ),
        directory_endpoint=r.opt_str("directory_endpoint"),
        other_enis=tuple((o.text("address"), o.text("id")) for o in r.objs("other_interfaces")),
        profile=r.opt_str("profile"),
        client_cidr=r.opt_str("client_cidr"),
    )
    if list(section.denied()) != list(r.strs("denied")):
        raise DecodeError("cloud.denied: not the calls' denied actions")
    return section


def _rule(x: _Reader) -> SgRule:
    """An inbound rule; its one ``source`` is a prefix list (pl-), a group (sg-) or a CIDR."""
    source = x.opt_str("source")
    pl = source if source and source.startswith("pl-") else None
    group = source if source and source.startswith("sg-") else None
    return SgRule(
        group_id=x.text("group"),
        rule_id=x.text("rule"),
        protocol=x.text("protocol"),
        from_port=x.integer("from_port"),
        to_port=x.integer("to_port"),
        cidr=None if pl or group else source,
        prefix_list=pl,
        group_ref=group,
    )


_E = TypeVar("_E", bound=StrEnum)


class _Reader:
    """One JSON object of the section, read field by field; each error names its place."""

    def __init__(self, data: Any, at: str) -> None:
        self.data, self.at = data, at

    def _get(self, key: str, kind: type | tuple[type, ...], null: bool = False) -> Any:
        if not isinstance(self.data, dict):
            raise DecodeError(f"{self.at}: expected an object")
        if key not in self.data:
            if null:
                return None
            raise DecodeError(f"{self.at}.{key}: missing")
        value = self.data[key]
        if value is None and null:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            raise DecodeError(f"{self.at}.{key}: expected {_name(kind)}")
        return value

    def text(self, key: str) -> str:
        return typing.cast(str, self._get(key, str))

    def opt_str(self, key: str) -> str | None:
        return typing.cast("str | None", self._get(key, str, null=True))

    def flag(self, key: str) -> bool:
        return typing.cast(bool, self._get(key, bool))

    def integer(self, key: str) -> int:
        return typing.cast(int, self._get(key, int))

    def opt_num(self, key: str) -> float | None:
        value = self._get(key, (int, float), null=True)
        return None if value is None else float(value)

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            choices = ", ".join(shown(a) for a in allowed)
            raise DecodeError(f"{self.at}.{key}: {shown(value)} is not one of {choices}")
        return value

    def enum(self, key: str, cls: type[_E]) -> _E:
        value = self.text(key)
        try:
            return cls(value)
        except ValueError:
            raise DecodeError(f"{self.at}.{key}: {shown(value)} is not {one_of(cls)}") from None

    def obj(self, key: str) -> dict[str, Any]:
        return typing.cast("dict[str, Any]", self._get(key, dict))

    def opt_obj(self, key: str) -> _Reader | None:
        value = self._get(key, dict, null=True)
        return None if value is None else _Reader(value, f"{self.at}.{key}")

    def objs(self, key: str) -> list[_Reader]:
        items = self._get(key, list)
        return [_Reader(v, f"{self.at}.{key}[{i}]") for i, v in enumerate(items)]

    def strs(self, key: str) -> tuple[str, ...]:
        return _Reader(self._get(key, list), f"{self.at}.{key}").items_str()

    def items_str(self) -> tuple[str, ...]:
        if not isinstance(self.data, list) or not all(isinstance(v, str) for v in self.data):
            raise DecodeError(f"{self.at}: expected an array of strings")
        return tuple(self.data)

    def opt_pair(self, key: str) -> tuple[int, int] | None:
        value = self._get(key, list, null=True)
        if value is None:
            return None
        if len(value) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise DecodeError(f"{self.at}.{key}: expected [from, to]")
        return (value[0], value[1])


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    names |= {dict: "an object", list: "an array"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in _tuple(kind)))


def summary(section: CloudSection) -> str:
    """One line for the text report: "vpce-0abc (found by the directory's association; 11
    calls, 1 denied)" or why nothing was read."""
    first = section.calls[0] if section.calls else None
    if first is not None and first.outcome in (
        Outcome.UNREACHABLE,
        Outcome.NO_CREDENTIALS,
        Outcome.REJECTED,
        Outcome.TIMEOUT,
    ):
        return f"AWS not read: {first.text()}; the rest skipped"
    denied = section.denied()
    tail = f"{len(section.calls)} read-only calls" + (f", {len(denied)} denied" if denied else "")
    if section.endpoint is None:
        return f"no streaming endpoint found in {section.region} ({tail})"
    how = {
        FoundBy.DIRECTORY: "the directory's association",
        FoundBy.ADDRESS: "an interface holding an address this machine resolved",
        FoundBy.SERVICE_NAME: f"its service name {section.endpoint.service_name}",
    }.get(section.found_by, "?")
    dns = "private DNS on" if section.endpoint.private_dns else "private DNS off"
    return f"{section.endpoint.id} ({section.endpoint.state}, {dns}; found by {how}; {tail})"


if TYPE_CHECKING:  # the seam's contract, checked by mypy
    from wsdiag.vocab.sources import EvidenceSource

    def _conforms(source: CloudSource) -> EvidenceSource[CloudSection, CloudFacts]:
        return source
