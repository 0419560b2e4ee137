"""The report's paths grouped for a person: which targets are the streaming endpoint, which
the sign-in domains, which the health-check host; which of them all work, which fail and
which were not planned. Pure, shared by the terminal and HTML renderers.
"""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.vocab.model import (
    DnsOutcome,
    Environment,
    Phase,
    Role,
    Status,
    Transport,
    Verdict,
    Via,
)
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import DnsResult, ProbeResult

GROUP_TITLE = {
    Role.ENDPOINT: ("streaming endpoint", "streaming endpoints"),
    Role.AUTH: ("sign-in domain", "sign-in domains"),
    Role.HEALTH: ("health-check host", "health-check hosts"),
}
# A health-check host the report calls expected to fail: what it means, in the words every
# renderer shows beside it (FACTS: only the client's own network dialog uses drp-<apt>).
EXPECTED_WHY = "blocked, as expected here: only the client's own network check uses it"


def cut(p: ProbeResult) -> bool:
    """The run deadline cut this probe short: it was not measured, it did not fail."""
    return p.status is Status.ERROR and p.phase == Phase.DEADLINE


def unmeasured_why(probes: tuple[ProbeResult, ...] | list[ProbeResult]) -> str:
    """'not measured: the run deadline cut quic/4195 short (run again with a longer
    --deadline)' over the cut probes' kinds."""
    what = ", ".join(kinds([p for p in probes if cut(p)]))
    return f"not measured: the run deadline cut {what} short (run again with a longer --deadline)"


@dataclass(frozen=True)
class TargetView:
    """One target's results: ``state`` is ok | fail | dns (lookup failed, not probed) |
    skipped (not planned, ``reason`` says why) | expected (a health-check host whose failure
    the report itself calls expected, ``health_expected``: neither ok nor fail, ``reason``
    is EXPECTED_WHY) | unmeasured (the run deadline cut its probes short, ``cut``: every
    probe that did not work was cut, or, for a health-check host, which is reached when any
    of its probes answers, none answered and one was cut; neither ok nor fail, ``reason``
    says which were cut)."""

    target_id: str
    host: str
    role: Role
    probes: tuple[ProbeResult, ...]
    dns: DnsResult | None
    state: str
    reason: str = ""

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(p.address for p in self.probes if p.address and p.via is Via.DIRECT)
        )

    @property
    def proxied(self) -> bool:
        return any(p.via is Via.PROXY and p.status is not Status.SKIPPED for p in self.probes)


def role_of(report: Report, target_id: str, probes: tuple[ProbeResult, ...]) -> Role:
    """The JSON does not carry a target's role: the endpoint is the report's endpoint host
    (or the catalog's id "endpoint"); a target probed only on 4195 is a health-check host
    (the sign-in domains are all on 443); every other target is a sign-in domain."""
    if target_id == "endpoint" or (probes and probes[0].host in report.endpoint_hosts):
        return Role.ENDPOINT
    if probes and all(p.port == 4195 for p in probes):
        return Role.HEALTH
    return Role.AUTH


def _ok(p: ProbeResult) -> bool:
    return p.status is Status.OPEN and p.tls_trusted is not False


def held(report: Report) -> bool:
    """A captive portal (or DNS hijack) answered: no open path seen is the real service, so
    no renderer may show one as working (CAPTIVE_PORTAL's "nothing else seen is real")."""
    return report.diagnosis.environment is Environment.CAPTIVE


def health_expected(report: Report) -> bool:
    """The report calls the health-check host's failure expected: HEALTH_CHECK_BLOCKED in a
    minimal-egress network (the row's own condition, ``wsdiag.rules.internet._health``)
    where streaming will work, the verdict ready or degraded. In a blocked (or unknown)
    report "as expected here" would read as all being well: a blocked health check stays a
    failure there, as everywhere else."""
    d = report.diagnosis
    return (
        d.environment is Environment.MINIMAL_EGRESS
        and d.verdict in (Verdict.READY, Verdict.DEGRADED)
        and any(f.code == "HEALTH_CHECK_BLOCKED" for f in d.findings)
    )


def _unmeasured(role: Role, ran: list[ProbeResult]) -> bool:
    """No measured failure to draw: every probe that did not work was cut by the deadline,
    or (a health-check host: one answering probe is enough, ``beyond_443``) none answered
    and one was cut, so whether it answers is not known."""
    failed = [p for p in ran if not _ok(p)]
    if failed and all(cut(p) for p in failed):
        return True
    return role is Role.HEALTH and any(cut(p) for p in ran) and not any(_ok(p) for p in ran)


def endpoint_unprobed(report: Report) -> str | None:
    """Why no probe of the streaming endpoint ran at all: "dns" (its name did not resolve),
    "other" (planned, all skipped); None where one ran (render.quality.headline's words)."""
    views = [v for v in target_views(report) if v.role is Role.ENDPOINT]
    if any(p.status is not Status.SKIPPED for v in views for p in v.probes):
        return None
    return "dns" if any(v.state == "dns" for v in views) else "other"


def target_views(report: Report) -> list[TargetView]:
    """Every target of the report, in the report's order; under a captive portal none is
    ``ok``; a failing health-check host is ``expected`` where the report says so."""
    portal = held(report)
    calm = health_expected(report)
    by_target: dict[str, list[ProbeResult]] = {}
    for p in report.probes:
        by_target.setdefault(p.target_id, []).append(p)
    dns_a = {r.target_id: r for r in report.dns if r.rdtype == "A"}
    views = []
    for tid, plist in by_target.items():
        probes = tuple(plist)
        a = dns_a.get(tid)
        role = role_of(report, tid, probes)
        ran = [p for p in probes if p.status is not Status.SKIPPED]
        if not ran:
            if a is not None and a.outcome not in (DnsOutcome.ANSWER, DnsOutcome.SKIPPED):
                state, reason = "dns", f"DNS {a.outcome}" + (f": {a.detail}" if a.detail else "")
            else:
                state, reason = "skipped", probes[0].detail or "not planned"
        else:
            works = all(_ok(p) for p in ran) and not portal
            state, reason = ("ok" if works else "fail"), ""
            if state == "fail" and not portal and _unmeasured(role, ran):
                state, reason = "unmeasured", unmeasured_why(ran)
            elif state == "fail" and role is Role.HEALTH and calm:
                state, reason = "expected", EXPECTED_WHY
        views.append(TargetView(tid, probes[0].host, role, probes, a, state, reason))
    return views


EN_DASH = "\u2013"  # a range, as in "14-47 ms" typeset


def ms_range(probes: list[ProbeResult] | tuple[ProbeResult, ...], dash: str = EN_DASH) -> str:
    """'14<dash>47 ms' over the open probes' times, '' when none has one."""
    times = [p.ms for p in probes if p.status is Status.OPEN and p.ms is not None]
    if not times:
        return ""
    lo, hi = round(min(times)), round(max(times))
    return f"{lo} ms" if lo == hi else f"{lo}{dash}{hi} ms"


def kinds(probes: list[ProbeResult] | tuple[ProbeResult, ...]) -> list[str]:
    """The distinct transport/port pairs, in order of first appearance."""
    return list(dict.fromkeys(f"{p.transport}/{p.port}" for p in probes))


def probe_note(p: ProbeResult) -> str:
    """What a person needs beside the status: the proxy's part, an untrusted certificate.
    QUIC never goes through an HTTP proxy: its note never names one."""
    note = ""
    if p.via is Via.PROXY and p.status is not Status.SKIPPED and p.transport is not Transport.QUIC:
        if p.phase in (Phase.PROXY_RESOLVE, Phase.PROXY_CONNECT):
            note = "proxy unreachable"
        elif p.proxy_status and p.status is not Status.OPEN:
            note = f"proxy: HTTP {p.proxy_status}"
        else:
            note = "via proxy"
    if p.tls_trusted is False:
        note = (note + ", " if note else "") + "untrusted certificate"
    return note
