"""Who refused, read into a probe's result: the ICMP errors its socket queued
(``wsdiag.host.errqueue``). Pure: no sockets.

Linux turns ICMP 3/10 and 3/13 (administratively prohibited) into EHOSTUNREACH and ICMPv6 1/1
into EACCES (``icmp_err_convert``, net/ipv4/icmp.c), so the errno the probe saw says "no route"
or "blocked on this machine" where a firewall elsewhere refused. The queued error names the
ICMP type, code and sender: that reading replaces the errno's words. A sender that is this
machine's own address (the socket's local address), or an error of local origin, is this
machine's own firewall or stack.

One ICMP decides: Linux rate-limits the ICMP errors it sends per destination (the
``icmp_ratelimit`` sysctl, ip-sysctl.rst; RFC 1812 §4.3.2.8), so a firewall answers the first
datagrams of a burst and is silent for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from wsdiag.host.errqueue import IcmpKind, IcmpReport
from wsdiag.vocab.model import Fault, Status
from wsdiag.vocab.results import ProbeResult

# The kinds that decide a probe at once; any other ICMP (time exceeded, protocol
# unreachable, parameter problem) is noted and the probe waits on for an answer: a QUIC
# client retransmits through them (RFC 9000 §14.2.1: ICMP is unauthenticated, never fatal
# on its own), so only silence or a real answer ends it.
FINAL = frozenset(
    {
        IcmpKind.PROHIBITED,
        IcmpKind.PORT_UNREACHABLE,
        IcmpKind.HOST_UNREACHABLE,
        IcmpKind.NET_UNREACHABLE,
        IcmpKind.TOO_BIG,
        IcmpKind.LOCAL,
    }
)
# Most telling first: a firewall's refusal explains the silence of the rest.
_RANK = (
    IcmpKind.PROHIBITED,
    IcmpKind.LOCAL,
    IcmpKind.PORT_UNREACHABLE,
    IcmpKind.HOST_UNREACHABLE,
    IcmpKind.NET_UNREACHABLE,
    IcmpKind.TOO_BIG,
    IcmpKind.OTHER,
)
_WORDS = {
    IcmpKind.PROHIBITED: "administratively prohibited",
    IcmpKind.PORT_UNREACHABLE: "port unreachable",
    IcmpKind.HOST_UNREACHABLE: "host unreachable",
    IcmpKind.NET_UNREACHABLE: "network unreachable",
    IcmpKind.TOO_BIG: "too big for the path",
    IcmpKind.OTHER: "an ICMP error",
}
# The cause a final kind gives the result (vocab Fault): only here, with the sender read from
# the queue, does "administratively prohibited" become its own cause; from this machine's
# own address it is the local firewall.
_CAUSE = {
    IcmpKind.PROHIBITED: Fault.PROHIBITED,
    IcmpKind.LOCAL: Fault.LOCAL_BLOCK,
    IcmpKind.PORT_UNREACHABLE: Fault.REFUSED,
    IcmpKind.HOST_UNREACHABLE: Fault.HOST_UNREACHABLE,
    IcmpKind.NET_UNREACHABLE: Fault.NO_ROUTE,
    IcmpKind.TOO_BIG: Fault.TOO_BIG,
}
_STATUS = {
    IcmpKind.PROHIBITED: Status.UNREACHABLE,
    IcmpKind.LOCAL: Status.UNREACHABLE,
    IcmpKind.PORT_UNREACHABLE: Status.REFUSED,
    IcmpKind.HOST_UNREACHABLE: Status.UNREACHABLE,
    IcmpKind.NET_UNREACHABLE: Status.UNREACHABLE,
    IcmpKind.TOO_BIG: Status.UNREACHABLE,
}


def telling(reports: Iterable[IcmpReport]) -> IcmpReport | None:
    """The most telling of the queued errors (a prohibited one first), None for none."""
    best: IcmpReport | None = None
    for r in reports:
        if best is None or _RANK.index(r.kind) < _RANK.index(best.kind):
            best = r
    return best


def kind_here(report: IcmpReport, local: str | None, destination: str | None) -> IcmpKind:
    """The report's kind, LOCAL where this machine sent it: a local error, or an ICMP from
    this machine's own address (``local``) about another host (a probe of a local address
    hears its own stack as the peer: port unreachable from 127.0.0.1 is the peer's)."""
    if report.kind is IcmpKind.LOCAL:
        return IcmpKind.LOCAL
    own = report.offender is not None and report.offender == local
    if own and report.offender != destination:
        return IcmpKind.LOCAL
    return report.kind


def describe(report: IcmpReport, kind: IcmpKind) -> str:
    """One clause for a report: "administratively prohibited (ICMP 3/13) by 10.30.0.1"."""
    family = "ICMPv6" if ":" in (report.offender or "") else "ICMP"
    code = f"{family} {report.type}/{report.code}"
    if kind is IcmpKind.LOCAL:
        if report.offender:
            return (
                f"refused by this machine's own firewall ({code} from its own address "
                f"{report.offender})"
            )
        return "refused by this machine's own stack or firewall (a local error)"
    by = f" by {report.offender}" if report.offender else ""
    return f"{_WORDS[kind]} ({code}){by}"


def refine(result: ProbeResult, reports: Iterable[IcmpReport], local: str | None) -> ProbeResult:
    """``result`` with what its socket's queued ICMP errors say: ``icmp`` (an IcmpKind value),
    ``offender`` (the sender's address) and the detail in those words; for a final kind the
    status and cause are the ones the ICMP means (3/13 is UNREACHABLE, port unreachable REFUSED). An
    open result and a result without reports are returned unchanged; a non-final ICMP on a
    probe that timed out keeps its status and adds the ICMP to the detail."""
    best = telling(reports)
    if best is None or result.status is Status.OPEN:
        return result
    kind = kind_here(best, local, result.address)
    said = describe(best, kind)
    if kind in FINAL:
        return replace(
            result,
            status=_STATUS[kind],
            cause=_CAUSE[kind],
            icmp=kind.value,
            offender=best.offender,
            detail=said,
        )
    detail = f"{result.detail}; {said}" if result.detail else said
    return replace(result, icmp=kind.value, offender=best.offender, detail=detail)
