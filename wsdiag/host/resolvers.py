"""How this OS would resolve a name, read from its own configuration. Pure parsers.

The WorkSpaces client resolves through the operating system (getaddrinfo and its hosts
file, per-domain resolvers, search rules); wsdiag's DNS probe asks one resolver directly.
When the two disagree, these parsers name the reason a person can act on:

- a hosts-file entry for the name (``/etc/hosts``, ``C:\\Windows\\System32\\drivers\\etc\\hosts``);
- a per-domain resolver: macOS ``scutil --dns`` (``/etc/resolver/<domain>`` files and VPN
  split DNS show there), systemd-resolved per-link routing domains (``resolvectl status``),
  Windows NRPT rules (``Get-DnsClientNrptPolicy``);
- a link-local IPv6 nameserver written without its scope (``nameserver fe80::1``, as macOS
  writes resolv.conf): the OS sends on the right interface; dnspython's replies then carry a
  scope id and do not match the query, so they are dropped.

Each parser takes the text the OS gives and is tested on recorded inputs of that OS.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class HostsEntry:
    address: str
    names: tuple[str, ...]  # lower case, without a trailing dot


def parse_hosts(text: str) -> tuple[HostsEntry, ...]:
    """Entries of a hosts file (the same format on every OS: address, then names; '#' starts
    a comment). Lines whose first field is not an IP address are ignored, as the OS does."""
    out = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            address = str(ipaddress.ip_address(fields[0].split("%", 1)[0]))
        except ValueError:
            continue
        out.append(HostsEntry(address, tuple(n.lower().rstrip(".") for n in fields[1:])))
    return tuple(out)


def hosts_addresses(entries: Iterable[HostsEntry], name: str) -> tuple[str, ...]:
    """Addresses a hosts file pins ``name`` to, in file order."""
    want = name.lower().rstrip(".")
    return tuple(dict.fromkeys(e.address for e in entries if want in e.names))


class ScopeSource(StrEnum):
    SCUTIL = "scutil"  # macOS: /etc/resolver/ files, VPN split DNS
    RESOLVED = "systemd-resolved"  # Linux: per-link routing domains
    NRPT = "nrpt"  # Windows: Name Resolution Policy Table
    ADAPTER = "windows-adapter"  # Windows: an adapter's own server list (no domain)


@dataclass(frozen=True)
class ScopedResolver:
    """Queries for names under ``domain`` go to ``servers`` (not the default resolver)."""

    domain: str  # "a2z.com"; "" for a link's default route
    servers: tuple[str, ...]
    source: ScopeSource
    interface: str | None = None


_SCUTIL_KV = re.compile(r"^\s*(\w+)(?:\[\d+\])?\s*:\s*(.*?)\s*$")


def parse_scutil_dns(text: str) -> tuple[ScopedResolver, ...]:
    """macOS ``scutil --dns``: every resolver block of the first section ("DNS
    configuration") that names a domain. The second section, "for scoped queries", lists
    per-interface resolvers that only apps binding to an interface use, so it is skipped."""
    body = text.split("DNS configuration (for scoped queries)", 1)[0]
    out = []
    for block in re.split(r"^resolver #\d+\s*$", body, flags=re.MULTILINE)[1:]:
        domain, servers, iface = "", [], None
        for line in block.splitlines():
            m = _SCUTIL_KV.match(line)
            if not m:
                continue
            key, value = m.groups()
            if key == "domain":
                domain = value.lower().rstrip(".")
            elif key == "nameserver":
                servers.append(value)
            elif key == "if_index":
                found = re.search(r"\((.+)\)", value)
                iface = found.group(1) if found else None
        if domain and servers:
            out.append(ScopedResolver(domain, tuple(servers), ScopeSource.SCUTIL, iface))
    return tuple(out)


def parse_resolvectl_status(text: str) -> tuple[ScopedResolver, ...]:
    """Linux ``resolvectl status`` (systemd-resolved): for each link, its DNS servers and its
    domains; ``~domain`` is a routing-only domain, ``~.`` the link's default route."""
    out = []
    for block in re.split(r"^(?=Link \d+ \()", text, flags=re.MULTILINE):
        head = re.match(r"Link \d+ \(([^)]+)\)", block)
        if not head:
            continue
        servers = _resolvectl_list(block, r"(?:Current )?DNS Servers?")
        domains = _resolvectl_list(block, r"DNS Domains?")
        for d in domains:
            domain = d.removeprefix("~").rstrip(".").lower()
            if servers:
                out.append(
                    ScopedResolver(
                        "" if domain in ("", ".") else domain,
                        servers,
                        ScopeSource.RESOLVED,
                        head.group(1),
                    )
                )
    return tuple(out)


def _resolvectl_list(block: str, label: str) -> tuple[str, ...]:
    """Values of a 'Label: a b' field and its indented continuation lines."""
    values: list[str] = []
    lines = block.splitlines()
    for i, line in enumerate(lines):
        m = re.match(rf"^\s*{label}:\s*(.*)$", line)
        if not m:
            continue
        values += m.group(1).split()
        for more in lines[i + 1 :]:
            if ":" in more or not more.strip():
                break
            values += more.split()
    return tuple(dict.fromkeys(values))


def nrpt_rules(rules: Iterable[tuple[object, object]]) -> tuple[ScopedResolver, ...]:
    """Windows NRPT rules as the registry holds them (``DnsPolicyConfig\\<rule>``): each
    rule's ``Name`` (REG_MULTI_SZ of suffixes like ``.a2z.com``) and ``GenericDNSServers``
    (REG_SZ, servers separated by ';'). Rules without servers (e.g. DirectAccess exemptions)
    do not redirect a name and are left out."""
    out = []
    for names, servers in rules:
        suffixes = (
            [names]
            if isinstance(names, str)
            else list(names)
            if isinstance(names, list | tuple)
            else []
        )
        found = (
            tuple(x for x in re.split(r"[;,\s]+", servers) if x) if isinstance(servers, str) else ()
        )
        for suffix in suffixes:
            if isinstance(suffix, str) and suffix.strip(". ") and found:
                out.append(ScopedResolver(suffix.strip(". ").lower(), found, ScopeSource.NRPT))
    return tuple(out)


def windows_adapter_servers(
    values: Iterable[tuple[str, object, object]],
) -> tuple[ScopedResolver, ...]:
    """Windows adapters' DNS servers as the registry holds them: (interface GUID,
    ``NameServer``, ``DhcpNameServer``) per ``Tcpip\\Parameters\\Interfaces\\{guid}``; a
    static ``NameServer`` (REG_SZ, servers separated by spaces or commas) wins over DHCP's,
    as the DNS client uses it. Adapters with neither are left out. Pure."""
    out = []
    for guid, static, dhcp in values:
        chosen = static if isinstance(static, str) and static.strip() else dhcp
        if not isinstance(chosen, str):
            continue
        found = tuple(x for x in re.split(r"[;,\s]+", chosen) if x)
        if found:
            out.append(ScopedResolver("", found, ScopeSource.ADAPTER, guid))
    return tuple(out)


def scope_for(name: str, scoped: Iterable[ScopedResolver]) -> ScopedResolver | None:
    """The per-domain resolver the OS would use for ``name``: the longest matching domain."""
    want = name.lower().rstrip(".")
    best: ScopedResolver | None = None
    for s in scoped:
        if (
            s.domain
            and (want == s.domain or want.endswith("." + s.domain))
            and (best is None or len(s.domain) > len(best.domain))
        ):
            best = s
    return best


@dataclass(frozen=True)
class ResolvConf:
    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    unscoped_link_local: tuple[str, ...]  # fe80::/10 servers written without "%iface"
    # ``options timeout:n attempts:n`` as written (None: the default, resolv.conf(5))
    timeout: int | None = None
    attempts: int | None = None


def parse_resolv_conf(text: str) -> ResolvConf:
    """``/etc/resolv.conf`` (Linux, macOS): nameservers, search list, and link-local IPv6
    servers that carry no scope — dnspython cannot match their replies."""
    servers: list[str] = []
    search: list[str] = []
    knobs: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            servers.append(fields[1])
        elif fields and fields[0] in ("search", "domain"):
            search = fields[1:]
        elif fields and fields[0] == "options":
            for opt in fields[1:]:
                key, _, value = opt.partition(":")
                if key in ("timeout", "attempts") and value.isdigit():
                    knobs[key] = int(value)  # the last one wins, as in glibc's res_init
    unscoped = []
    for s in servers:
        if "%" in s:
            continue  # "fe80::1%en0" carries its scope (ipaddress accepts it since 3.9)
        try:
            ip = ipaddress.ip_address(s)
        except ValueError:
            continue  # garbage: not the case we name
        if ip.version == 6 and ip.is_link_local:
            unscoped.append(s)
    return ResolvConf(
        tuple(servers),
        tuple(search),
        tuple(unscoped),
        knobs.get("timeout"),
        knobs.get("attempts"),
    )


class Divergence(StrEnum):
    """Why the OS's answer for a name differs from the DNS probe's."""

    HOSTS_FILE = "hosts-file"
    PER_DOMAIN_RESOLVER = "per-domain-resolver"
    LINK_LOCAL_RESOLVER = "link-local-resolver"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OsView:
    """What wsdiag read of this OS's name resolution (each part may be empty)."""

    hosts: tuple[HostsEntry, ...] = ()
    scoped: tuple[ScopedResolver, ...] = ()
    resolv_conf: ResolvConf | None = None
    problems: tuple[str, ...] = ()  # what could not be read, one line each
    # Windows: each adapter's DNS servers, in the order the DNS client asks the adapters
    # (Tcpip\Parameters\Interfaces\{guid}: NameServer, else DhcpNameServer)
    adapters: tuple[ScopedResolver, ...] = ()


def explain(name: str, os_addresses: Iterable[str], view: OsView) -> tuple[Divergence, str]:
    """(reason, one-line detail) for an OS answer that differs from the DNS probe's; the
    caller decides whether they differ. Order: a hosts entry is read before any resolver."""
    pinned = hosts_addresses(view.hosts, name)
    if pinned and set(pinned) & set(os_addresses):
        return Divergence.HOSTS_FILE, f"the hosts file pins {name} to {', '.join(pinned)}"
    scope = scope_for(name, view.scoped)
    if scope is not None:
        where = f" on {scope.interface}" if scope.interface else ""
        return (
            Divergence.PER_DOMAIN_RESOLVER,
            f"{scope.source} sends *.{scope.domain} to {', '.join(scope.servers)}{where}",
        )
    if view.resolv_conf and view.resolv_conf.unscoped_link_local:
        servers = ", ".join(view.resolv_conf.unscoped_link_local)
        return (
            Divergence.LINK_LOCAL_RESOLVER,
            f"the resolver {servers} is link-local without a scope (%interface)",
        )
    return Divergence.UNKNOWN, "the OS resolver answers differently (reason not known)"


def read_os_view(system: str) -> OsView:
    """This machine's name-resolution configuration, read at the edge (wsdiag.host.system)
    and parsed here. ``system`` is platform.system(). Never raises."""
    from wsdiag.host import system as osread

    problems: list[str] = []
    text, problem = osread.read_small_text(osread.hosts_file_path())
    hosts = parse_hosts(text) if text is not None else ()
    if problem:
        problems.append(problem)
    scoped: tuple[ScopedResolver, ...] = ()
    adapters: tuple[ScopedResolver, ...] = ()
    resolv: ResolvConf | None = None
    if system == "Darwin":
        scoped = parse_scutil_dns(osread.scutil_dns() or "")
    elif system == "Windows":
        scoped = nrpt_rules(osread.windows_nrpt_values())
        adapters = windows_adapter_servers(osread.windows_interface_dns_values())
    else:
        scoped = parse_resolvectl_status(osread.resolvectl_status() or "")
    if system != "Windows":
        conf, problem = osread.read_small_text("/etc/resolv.conf")
        resolv = parse_resolv_conf(conf) if conf is not None else None
        if problem:
            problems.append(problem)
    return OsView(hosts, scoped, resolv, tuple(problems), adapters)
