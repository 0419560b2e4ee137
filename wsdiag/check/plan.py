"""From catalog + inputs to the list of targets to probe. Pure: no I/O, golden-tested."""

from __future__ import annotations

import dataclasses
import ipaddress
import re

from wsdiag.check.options import check_timing
from wsdiag.errors import WsdiagError
from wsdiag.model import Catalog, Inputs, Plan, PlannedTarget, Role, Target

_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*$")
_DIRECTORY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def check_host(name: str, what: str) -> str:
    host = name.strip().rstrip(".").lower()
    if not _HOST_RE.match(host):
        raise WsdiagError(f"{what}: {name!r} is not a DNS host name")
    return host


def check_cidrs(cidrs: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for c in cidrs:
        try:
            out.append(str(ipaddress.IPv4Network(c.strip(), strict=False)))
        except ValueError:
            raise WsdiagError(
                f"--vpc-cidr: {c!r} is not an IPv4 network like 10.0.0.0/16"
            ) from None
    return tuple(out)


def check_nameservers(servers: tuple[str, ...]) -> tuple[str, ...]:
    """IP, IPv4:port or [IPv6]:port; returned as written (normalised)."""
    out = []
    for s in servers:
        try:
            ip, port = split_nameserver(s.strip())
        except ValueError:
            raise WsdiagError(
                f"--nameserver: {s!r} is not an IP address (optionally IP:port)"
            ) from None
        out.append(ip if port == 53 else (f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"))
    return tuple(out)


def split_nameserver(text: str) -> tuple[str, int]:
    port = 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = int(rest.removeprefix(":"))
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        port = int(p)
    else:
        host = text
    if not 0 < port < 65536:
        raise ValueError(text)
    return str(ipaddress.ip_address(host)), port


def make_plan(catalog: Catalog, inputs: Inputs) -> Plan:
    region_code = inputs.region.strip().lower()
    region = catalog.regions.get(region_code)
    if region is None:
        known = ", ".join(sorted(catalog.regions))
        raise WsdiagError(f"unknown region {inputs.region!r}; known regions: {known}")
    timeout, deadline = check_timing(inputs.timeout, inputs.deadline)
    directory = inputs.directory_id.strip().lower() if inputs.directory_id else None
    if directory is not None and not _DIRECTORY_RE.match(directory):
        raise WsdiagError(f"--directory-id: {inputs.directory_id!r} is not a directory id or alias")

    values = {"region": region.code, "airport": region.airport or "", "directory_id": directory}
    planned: list[PlannedTarget] = []
    for target in catalog.targets:
        if target.role is Role.ENDPOINT:
            planned.extend(_endpoint_targets(target, inputs, values))
            continue
        skip = None
        if target.requires == "directory_id" and directory is None:
            skip = "no --directory-id given"
        elif "{airport}" in target.host and not region.airport:
            skip = "no health-check host known"
        if skip:
            planned.append(PlannedTarget(target, _unfilled(target.host), skip))
        else:
            planned.append(PlannedTarget(target, target.host.format(**values)))
    return Plan(
        region=region,
        targets=tuple(planned),
        timeout=timeout,
        deadline=deadline,
        vpc_cidrs=check_cidrs(inputs.vpc_cidrs),
        nameservers=check_nameservers(inputs.nameservers),
        quic_alpn=catalog.quic_alpn,
    )


def _unfilled(template: str) -> str:
    """A host we cannot fill in, shown as '<directory_id>.awsapps.com'."""
    return template.replace("{", "<").replace("}", ">")


def _endpoint_targets(
    target: Target, inputs: Inputs, values: dict[str, str | None]
) -> list[PlannedTarget]:
    """The private name: the override if given, else the catalog's, plus any the logs named."""
    if inputs.endpoint_hosts:
        hosts = [check_host(h, "--endpoint-host") for h in inputs.endpoint_hosts]
    else:
        hosts = [target.host.format(**values)]
    for h in inputs.log_endpoint_hosts:
        try:
            hosts.append(check_host(h, "host from the client's logs"))
        except WsdiagError:
            continue  # a garbled log line must not stop the check
    unique = list(dict.fromkeys(hosts))
    out = []
    for i, host in enumerate(unique):
        tid = target.id if i == 0 else f"{target.id}-{i + 1}"
        out.append(PlannedTarget(dataclasses.replace(target, id=tid), host))
    return out
