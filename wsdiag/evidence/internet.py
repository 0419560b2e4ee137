"""The internet side's facts: sign-in and registration, supporting domains, the health
check, TLS trust, each internet target as the client would use it. Pure.

Where the OS has an HTTPS proxy, the client sends its 443 traffic (sign-in, registration,
API, updates) through it, never UDP and never streaming to the private endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.evidence.basis import Basis, ids
from wsdiag.evidence.dns import DNS_DEFINITE_NO
from wsdiag.evidence.names import os_result, os_says_no
from wsdiag.vocab.evidence import TargetEvidence
from wsdiag.vocab.model import (
    DnsOutcome,
    Fault,
    Need,
    Phase,
    ProxyRoute,
    Role,
    Status,
    Transport,
    Tri,
    Via,
    all_of,
    any_of,
)
from wsdiag.vocab.observed import FAILED, Observed, any_open
from wsdiag.vocab.results import ProbeResult


@dataclass(frozen=True)
class InternetFacts:
    auth_reachable: Tri  # every needed auth domain answers on TCP/TLS 443
    internet_reachable: Tri  # any auth domain (needed or expected) answers
    optional_reachable: Tri  # every expected domain answers
    auth_quic: Tri  # the needed domains' UDP 443 (QUIC) answered
    beyond_443: Tri  # a health-check host answers on 4195
    # the values behind the facts, for messages
    health_hosts: tuple[str, ...]
    tls_untrusted: tuple[str, ...]  # hosts whose certificate chain did not verify
    targets: tuple[TargetEvidence, ...]  # internet targets, planned and not skipped
    proxy: ProxyRoute
    region: str  # the checked region's code, for messages
    basis: Basis


def target_usable(r: Observed, target_id: str) -> Tri:
    """An internet target: can this machine open TCP/TLS 443 to it (as the client would:
    through the OS proxy where one applies)?"""
    tcp = [p for p in r.probes_for([target_id]) if p.transport.is_tcp]
    if any(p.via is Via.PROXY for p in tcp):
        # The proxy resolves the name: what the local resolver says does not matter, and
        # probes skipped because the proxy is untested leave the answer unknown.
        return any_open(tcp)
    a = r.dns_for(target_id, "A")
    if os_says_no(r, target_id):
        return Tri.NO  # the OS decides what the client can resolve
    if a is not None and a.outcome in DNS_DEFINITE_NO and os_result(r, target_id) is None:
        return Tri.NO
    return any_open(tcp)


_PROXY_DOWN_PHASES = (Phase.PROXY_RESOLVE, Phase.PROXY_CONNECT)
# Causes that say more than the status (UNREACHABLE alone reads "no route").
_PROXY_DOWN_WHY = {
    Fault.PROHIBITED: "a filter rejects it",
    Fault.LOCAL_BLOCK: "this machine's firewall blocks it",
}


def _proxy_down(p: ProbeResult) -> bool:
    """The proxy itself could not be reached (its name, or its port)."""
    return p.via is Via.PROXY and p.phase in _PROXY_DOWN_PHASES and p.status in FAILED


def _proxy_auth(p: ProbeResult) -> bool:
    return p.via is Via.PROXY and p.proxy_status == 407


def _proxy_down_why(p: ProbeResult) -> str:
    if p.phase == Phase.PROXY_RESOLVE:
        return "its name does not resolve"
    if p.cause in _PROXY_DOWN_WHY:
        return _PROXY_DOWN_WHY[p.cause]
    return {
        Status.REFUSED: "connection refused",
        Status.FILTERED: "no answer",
        Status.UNREACHABLE: "no route",
    }.get(p.status, str(p.status))


def _why(p: ProbeResult) -> str:
    text = f"{p.transport}/{p.port} {p.status}"
    if p.via is Via.PROXY:
        text += f" by the proxy (HTTP {p.proxy_status})" if p.proxy_status else " via the proxy"
    return text


def target_unit(r: Observed, target_id: str, need: Need) -> TargetEvidence:
    """One internet target's facts, the proxy's part in them included."""
    mine = r.probes_for([target_id])
    tcp = [p for p in mine if p.transport.is_tcp]
    proxied = [p for p in tcp if p.via is Via.PROXY]
    a = r.dns_for(target_id, "A")
    if a is not None and a.outcome is not DnsOutcome.ANSWER and not proxied:
        why = f"DNS {a.outcome}"
    else:
        why = ", ".join(_why(p) for p in tcp)
    down = [p for p in proxied if _proxy_down(p)]
    return TargetEvidence(
        target_id,
        r.host(target_id),
        need,
        target_usable(r, target_id),
        why,
        quic=any_open(p for p in mine if p.transport is Transport.QUIC),
        proxied=bool(proxied),
        proxy_refused=any(p.proxy_status for p in proxied),
        proxy_down=ids(down),
        proxy_down_why=_proxy_down_why(down[0]) if down else "",
        proxy_auth=ids(p for p in proxied if _proxy_auth(p)),
        proxy_used=ids(
            p
            for p in proxied
            if p.status is not Status.SKIPPED and not _proxy_down(p) and not _proxy_auth(p)
        ),
        proxy_untested=ids(p for p in proxied if p.status is Status.SKIPPED),
        proxy_explains=bool(tcp) and all(_proxy_down(p) or _proxy_auth(p) for p in tcp),
        probes=ids([*mine, a]),
        dns=a.outcome if a is not None and not proxied else None,
    )


def internet_facts(r: Observed) -> InternetFacts:
    """Observed -> the internet side's facts, each with the results behind it."""
    needed = r.target_ids(Role.AUTH, [Need.NEEDED])
    expected = r.target_ids(Role.AUTH, [Need.EXPECTED])
    units = tuple(
        target_unit(r, pt.target.id, pt.target.need)
        for pt in r.plan.targets
        if pt.target.role is Role.AUTH and not pt.skip_reason
    )
    need_units = [u for u in units if u.need is Need.NEEDED]
    exp_units = [u for u in units if u.need is Need.EXPECTED]
    quic = [p for p in r.probes_for(needed) if p.transport is Transport.QUIC]
    health = r.target_ids(Role.HEALTH)
    untrusted = [p for p in r.probes if p.transport is Transport.TLS and p.tls_trusted is False]
    return InternetFacts(
        auth_reachable=all_of([u.usable for u in need_units]),
        internet_reachable=any_of([u.usable for u in units]),
        optional_reachable=all_of([u.usable for u in exp_units]),
        auth_quic=any_open(quic),
        beyond_443=any_open(r.probes_for(health)),
        health_hosts=tuple(r.host(t) for t in health),
        tls_untrusted=tuple(sorted({p.host for p in untrusted})),
        targets=units,
        proxy=r.plan.proxy,
        region=r.plan.region.code,
        basis={
            **{f"targets[{u.id}]": u.probes for u in units},
            "auth_reachable": ids(r.probes_for(needed)),
            "internet_reachable": ids(r.probes_for(needed + expected)),
            "optional_reachable": ids(r.probes_for(expected)),
            "auth_quic": ids(quic),
            "beyond_443": ids(r.probes_for(health)),
            "health_hosts": ids(r.probes_for(health)),
            "tls_untrusted": ids(untrusted),
            "proxy": ids(p for p in r.probes if p.via is Via.PROXY),
        },
    )
