"""The report's ``cloud`` section as JSON and back (``wsdiag show``), part by part: each
part's writer beside its reader, so the two stay one shape. Ids, addresses and rule fields
only: no ARN, account or message. The shape is wsdiag/schema/report.schema.json's ``cloud``
block; its keys are the report's own words, not the dataclasses' field names, so it is
written here rather than by ``wsdiag.vocab.codec``. Pure."""

from __future__ import annotations

import typing
from enum import StrEnum
from typing import Any, TypeVar

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


def section_json(section: CloudSection) -> dict[str, Any]:
    """The ``cloud`` section: how the endpoint was found, every call and its outcome, and
    what was read. Ids, addresses and rule fields only: no ARN, account or message."""
    return {
        "region": section.region,
        "found_by": str(section.found_by),
        "profile": section.profile,
        "client_cidr": section.client_cidr,
        "calls": [_call_json(c) for c in section.calls],
        "denied": list(section.denied()),
        "endpoint": _endpoint_json(section.endpoint, section.enis),
        "directory_endpoint": section.directory_endpoint,
        "other_interfaces": [{"address": a, "id": e} for a, e in section.other_enis],
        "inbound_rules": [_rule_json(r) for r in section.rules],
        "prefix_lists": {pl: list(cidrs) for pl, cidrs in section.prefix_lists},
        "network_acls": [_acl_json(a) for a in section.acls],
        "route_tables": [_table_json(t) for t in section.route_tables],
        "resolver_endpoints": [_resolver_endpoint_json(r) for r in section.resolver_endpoints],
        "resolver_rules": [_resolver_rule_json(r) for r in section.resolver_rules],
    }


def section_from_json(doc: Any) -> CloudSection:
    """The CloudSection ``section_json`` wrote (``wsdiag show``). What the section does not
    write (the endpoint targets, this machine's source address, a resolver endpoint's VPC)
    reads empty, so writing it again gives the same JSON. Raises codec.DecodeError naming
    the place ("cloud.calls[0].outcome: ...") for a block of another shape."""
    r = _Reader(doc, "cloud")
    endpoint, enis = _endpoint(r.opt_obj("endpoint"))
    calls = tuple(_call(c) for c in r.objs("calls"))
    section = CloudSection(
        region=r.text("region"),
        found_by=r.enum("found_by", FoundBy),
        calls=calls,
        endpoint=endpoint,
        enis=enis,
        rules=tuple(_rule(x) for x in r.objs("inbound_rules")),
        prefix_lists=tuple(
            (pl, _Reader(cidrs, f"cloud.prefix_lists.{pl}").items_str())
            for pl, cidrs in r.obj("prefix_lists").items()
        ),
        acls=tuple(_acl(a) for a in r.objs("network_acls")),
        route_tables=tuple(_table(t) for t in r.objs("route_tables")),
        resolver_endpoints=tuple(_resolver_endpoint(x) for x in r.objs("resolver_endpoints")),
        resolver_rules=tuple(_resolver_rule(x) for x in r.objs("resolver_rules")),
        directory_endpoint=r.opt_str("directory_endpoint"),
        other_enis=tuple((o.text("address"), o.text("id")) for o in r.objs("other_interfaces")),
        profile=r.opt_str("profile"),
        client_cidr=r.opt_str("client_cidr"),
    )
    if list(section.denied()) != list(r.strs("denied")):
        raise DecodeError("cloud.denied: not the calls' denied actions")
    return section


# --- the calls ---------------------------------------------------------------------------


def _call_json(c: Call) -> dict[str, Any]:
    return {"action": c.action, "outcome": str(c.outcome), "code": c.code or None, "ms": c.ms}


def _call(c: _Reader) -> Call:
    return Call(
        action=c.text("action"),
        outcome=c.enum("outcome", Outcome),
        code=c.opt_str("code") or "",
        ms=c.opt_num("ms"),
    )


# --- the endpoint and its interfaces ---------------------------------------------------------


def _endpoint_json(ep: Endpoint | None, enis: tuple[Eni, ...]) -> dict[str, Any] | None:
    """The endpoint, its interfaces (the section's ``enis``) inside it; None: not found."""
    if ep is None:
        return None
    return {
        "id": ep.id,
        "service_name": ep.service_name,
        "state": ep.state,
        "private_dns": ep.private_dns,
        "vpc": ep.vpc_id,
        "subnets": list(ep.subnet_ids),
        "security_groups": list(ep.group_ids),
        "dns_names": list(ep.dns_names),
        "interfaces": [
            {"id": e.id, "subnet": e.subnet_id, "addresses": list(e.addresses)} for e in enis
        ],
    }


def _endpoint(ep: _Reader | None) -> tuple[Endpoint | None, tuple[Eni, ...]]:
    """(the endpoint, its interfaces); the endpoint's eni ids are its interfaces' ids."""
    if ep is None:
        return None, ()
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
    return endpoint, enis


# --- the groups' inbound rules ---------------------------------------------------------------


def _rule_json(r: SgRule) -> dict[str, Any]:
    return {
        "group": r.group_id,
        "rule": r.rule_id,
        "protocol": r.protocol,
        "from_port": r.from_port,
        "to_port": r.to_port,
        "source": r.cidr or r.prefix_list or r.group_ref,
    }


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


# --- the subnets' network ACLs ---------------------------------------------------------------


def _acl_json(a: NetworkAcl) -> dict[str, Any]:
    return {
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


def _acl(a: _Reader) -> NetworkAcl:
    return NetworkAcl(
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


# --- the VPC's route tables ------------------------------------------------------------------


def _table_json(t: RouteTable) -> dict[str, Any]:
    return {
        "id": t.id,
        "subnets": list(t.subnet_ids),
        "main": t.main,
        "routes": [
            {"destination": r.destination, "target": r.target, "active": r.active} for r in t.routes
        ],
    }


def _table(t: _Reader) -> RouteTable:
    return RouteTable(
        t.text("id"),
        t.strs("subnets"),
        t.flag("main"),
        tuple(
            Route(x.text("destination"), x.text("target"), x.flag("active"))
            for x in t.objs("routes")
        ),
    )


# --- the Route 53 Resolver -------------------------------------------------------------------


def _resolver_endpoint_json(r: ResolverEndpoint) -> dict[str, Any]:
    """An endpoint of the endpoint's VPC: its ``vpc_id`` is not written."""
    return {
        "id": r.id,
        "direction": r.direction,
        "status": r.status,
        "addresses": list(r.addresses),
    }


def _resolver_endpoint(x: _Reader) -> ResolverEndpoint:
    return ResolverEndpoint(
        x.text("id"), x.text("direction"), "", x.text("status"), x.strs("addresses")
    )


def _resolver_rule_json(r: ResolverRule) -> dict[str, Any]:
    return {"id": r.id, "domain": r.domain, "type": r.rule_type, "vpcs": list(r.vpc_ids)}


def _resolver_rule(x: _Reader) -> ResolverRule:
    return ResolverRule(x.text("id"), x.text("domain"), x.text("type"), x.strs("vpcs"))


# --- reading one JSON object -----------------------------------------------------------------


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
