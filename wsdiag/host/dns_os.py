"""How each OS's resolver walks its list of DNS servers, and how long it waits: a sourced
table, and the servers this OS would ask for one name. Pure.

The WorkSpaces client asks the OS (getaddrinfo, DnsQuery, mDNSResponder); the OS asks its
servers in its own order and gives up on its own schedule. wsdiag asks every one of those
servers alone (wsdiag.probes.dns_servers) and reads the answers with this table: what the
OS does after a SERVFAIL from the first server decides whether the client gets the second
server's answer. A row without a source says so ("unknown on <OS>"), and then nothing is
concluded from it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from wsdiag.budgets import DNS_OS_BUDGET_MAX
from wsdiag.host.resolvers import OsView, ScopeSource, scope_for
from wsdiag.vocab.model import DnsOutcome, Nameserver


class Next(StrEnum):
    """What the OS resolver does after one server's reply."""

    NEXT_SERVER = "next-server"  # asks the next server in its list
    FINAL = "final"  # the reply is the lookup's answer: the client gets it
    UNKNOWN = "unknown"  # no source says


@dataclass(frozen=True)
class Semantics:
    os: str  # platform.system(): Linux | Windows | Darwin
    resolver: str  # the OS component that walks the list
    outcome: DnsOutcome
    then: Next
    source: str  # where this is written; "" only with Next.UNKNOWN


SEMANTICS: tuple[Semantics, ...] = (
    Semantics(
        "Linux",
        "glibc",
        DnsOutcome.SERVFAIL,
        Next.NEXT_SERVER,
        "glibc resolv/res_send.c (send_dg): SERVFAIL, NOTIMP and REFUSED go to next_ns",
    ),
    Semantics(
        "Linux",
        "glibc",
        DnsOutcome.REFUSED,
        Next.NEXT_SERVER,
        "glibc resolv/res_send.c (send_dg): SERVFAIL, NOTIMP and REFUSED go to next_ns",
    ),
    Semantics(
        "Linux",
        "glibc",
        DnsOutcome.NXDOMAIN,
        Next.FINAL,
        "glibc resolv/res_send.c: any other rcode, NXDOMAIN included, is the answer",
    ),
    Semantics(
        "Linux",
        "glibc",
        DnsOutcome.TIMEOUT,
        Next.NEXT_SERVER,
        "resolv.conf(5) timeout: wait this long before retrying via a different name server",
    ),
    # systemd-resolved behind 127.0.0.53: its per-link server choice is its own; no
    # documentation states what it does after one server's SERVFAIL or REFUSED.
    Semantics("Linux", "systemd-resolved", DnsOutcome.SERVFAIL, Next.UNKNOWN, ""),
    Semantics("Linux", "systemd-resolved", DnsOutcome.REFUSED, Next.UNKNOWN, ""),
    Semantics(
        "Windows",
        "DNS Client",
        DnsOutcome.SERVFAIL,
        Next.FINAL,
        "Microsoft KB 2834226 (older documentation, tested on Windows XP-8): any Name "
        "Error or Server Failure response stops the process; not confirmed for current "
        "Windows",
    ),
    Semantics(
        "Windows",
        "DNS Client",
        DnsOutcome.NXDOMAIN,
        Next.FINAL,
        "Microsoft KB 2834226: any Name Error response stops the process",
    ),
    Semantics("Windows", "DNS Client", DnsOutcome.REFUSED, Next.UNKNOWN, ""),
    Semantics(
        "Windows",
        "DNS Client",
        DnsOutcome.TIMEOUT,
        Next.NEXT_SERVER,
        "Microsoft KB 2834226: after 1 s without an answer the query goes to the next server",
    ),
    Semantics("Darwin", "mDNSResponder", DnsOutcome.SERVFAIL, Next.UNKNOWN, ""),
    Semantics("Darwin", "mDNSResponder", DnsOutcome.REFUSED, Next.UNKNOWN, ""),
    Semantics("Darwin", "mDNSResponder", DnsOutcome.NXDOMAIN, Next.UNKNOWN, ""),
)


def semantics(system: str, outcome: DnsOutcome, stub: bool = False) -> Semantics:
    """The row for ``outcome`` on ``system`` (``stub``: Linux behind systemd-resolved's
    127.0.0.53, whose own rows apply); a made-up UNKNOWN row when there is none."""
    resolver = "systemd-resolved" if system == "Linux" and stub else None
    for row in SEMANTICS:
        if (
            row.os == system
            and row.outcome is outcome
            and (resolver is None or row.resolver == resolver)
        ):
            return row
    return Semantics(system, "", outcome, Next.UNKNOWN, "")


def unknown_on(system: str) -> str:
    """'unknown on macOS': how a row without a source reads."""
    return f"unknown on {_OS_NAMES.get(system, system or 'this OS')}"


_OS_NAMES = {"Darwin": "macOS", "Linux": "Linux", "Windows": "Windows"}

# --- how long the OS waits for one name ----------------------------------------------------

GLIBC_TIMEOUT = 5  # resolv.conf(5): RES_TIMEOUT, the default "timeout", seconds
GLIBC_TIMEOUT_MAX = 30  # resolv.conf(5): "silently capped to 30"
GLIBC_ATTEMPTS = 2  # resolv.conf(5): RES_DFLRETRY, the default "attempts"
GLIBC_ATTEMPTS_MAX = 5  # resolv.conf(5): "capped to 5"
# Microsoft KB 2834226: one server asked at 0, 1, 2, 4 and 8 s; the client stops at 10 s.
WINDOWS_BUDGET = 10.0


def os_budget(system: str, view: OsView | None) -> tuple[float, str]:
    """(seconds the OS resolver waits for one server's answer to a name, where that comes
    from), capped at DNS_OS_BUDGET_MAX; (0.0, why) when no source gives the schedule (macOS:
    mDNSResponder documents none), so wsdiag waits no longer than --timeout there."""
    if system == "Windows":
        return min(WINDOWS_BUDGET, DNS_OS_BUDGET_MAX), "Microsoft KB 2834226 (10 s)"
    if system == "Linux":
        conf = view.resolv_conf if view is not None else None
        timeout = min(conf.timeout, GLIBC_TIMEOUT_MAX) if conf and conf.timeout else None
        attempts = min(conf.attempts, GLIBC_ATTEMPTS_MAX) if conf and conf.attempts else None
        t, a = max(timeout or GLIBC_TIMEOUT, 1), max(attempts or GLIBC_ATTEMPTS, 1)
        return min(float(t * a), DNS_OS_BUDGET_MAX), f"resolv.conf timeout {t} s x attempts {a}"
    return 0.0, unknown_on(system)


# --- which servers the OS asks for a name ---------------------------------------------------

STUBS = ("127.0.0.53", "127.0.0.54")  # systemd-resolved's stub listeners (resolved.conf(5))


def is_local_stub(server: str) -> bool:
    """A resolver on this machine (loopback): a stub that forwards to the real servers."""
    try:
        return ipaddress.ip_address(server.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _nameservers(texts: Sequence[str]) -> list[Nameserver]:
    out = []
    for t in texts:
        try:
            ip = ipaddress.ip_address(t.split("%", 1)[0])
        except ValueError:
            continue  # "fe80::1%en0" keeps working below; garbage is left to dnspython
        out.append(Nameserver(str(ip) if "%" not in t else t, 53))
    return out


def servers_for(name: str, system: str, view: OsView) -> tuple[tuple[Nameserver, str], ...]:
    """The servers this OS would ask for ``name``, in its order, each with where it is kept:
    a per-domain resolver for the name (scutil, NRPT, a systemd-resolved routing domain)
    first; else systemd-resolved's links with servers (behind the 127.0.0.53 stub), or the
    Windows adapters' lists; else resolv.conf's servers, the local stub itself when nothing
    behind it can be read. () when nothing names a server. Pure."""
    scope = scope_for(name, view.scoped)
    if scope is not None:
        where = f"{scope.source} {scope.interface}" if scope.interface else str(scope.source)
        return tuple((ns, where) for ns in _nameservers(scope.servers))
    conf = view.resolv_conf
    stubbed = (
        conf is not None
        and bool(conf.nameservers)
        and all(is_local_stub(s) for s in conf.nameservers)
    )
    if system == "Windows" and view.adapters:
        return tuple(
            (ns, f"adapter {a.interface}" if a.interface else "adapter")
            for a in view.adapters
            for ns in _nameservers(a.servers)
        )
    linked = [s for s in view.scoped if s.source is ScopeSource.RESOLVED and not s.domain]
    if system == "Linux" and linked and (conf is None or stubbed):
        return tuple(
            dict.fromkeys(
                (ns, f"systemd-resolved {s.interface}" if s.interface else "systemd-resolved")
                for s in linked
                for ns in _nameservers(s.servers)
            )
        )
    if conf is not None:
        return tuple((ns, "resolv.conf") for ns in _nameservers(conf.nameservers))
    return ()
