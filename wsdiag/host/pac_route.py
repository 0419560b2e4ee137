"""A PAC's answers as the run's proxy route, before planning. ``route_from_pac`` is pure;
``pac_route`` finds and evaluates the PAC (``wsdiag.host.pac`` / ``pac_eval``).

What wsdiag does with a PAC (and says so in the report): for each planned name it asks
``FindProxyForURL("https://<name>/", name)`` and tests the *first* entry of the answer only
(``PROXY a; PROXY b; DIRECT`` is tested through ``a``); names answered ``DIRECT`` bypass the
proxy. One HTTP proxy is tested per run: a PAC that names several proxies, an HTTPS or SOCKS
proxy, or cannot be fetched or evaluated leaves the proxied paths untested (unknown), never
"closed". Assumed, not documented by AWS: the WorkSpaces client honours the PAC the OS is
configured with for its HTTPS sign-in traffic (see the README).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from wsdiag.host.pac import ChainEntry, HopKind, PacResult
from wsdiag.vocab.model import ProxyMode, ProxyRoute


def _untested(pac: str | None, reason: str, note: str = "") -> ProxyRoute:
    return ProxyRoute(
        ProxyMode.UNTESTED,
        url=f"PAC {pac}" if pac else "PAC",
        source="pac",
        reason=reason,
        pac=pac,
        pac_note=note or reason,
    )


def route_from_pac(result: PacResult, hosts: Sequence[str]) -> ProxyRoute:
    """Pure: the PAC's answers for ``hosts`` -> the proxy route the plan uses."""
    pac = result.used or (result.sources[0].location or "WPAD" if result.sources else None)
    if result.used is None:
        return _untested(pac, f"the PAC could not be fetched or evaluated ({result.problem})")
    chains = {h: result.chain_for(h) for h in dict.fromkeys(hosts)}
    broken = [a for h in chains if (a := result.answers.get(h)) is not None and a.broken]
    if broken:
        # Not "closed", not DIRECT: the proxied paths stay untested (unknown), and the
        # finding PAC_ANSWER_BROKEN names the answer for the desktop team.
        why = broken[0].problem + (
            f" (and for {len(broken) - 1} more name(s))" if len(broken) > 1 else ""
        )
        return replace(_untested(pac, f"the PAC's answer is broken: {why}"), pac_broken=why)
    unknown = [h for h, c in chains.items() if not c]
    if unknown:
        why = "; ".join(
            dict.fromkeys(
                result.answers[h].problem
                for h in unknown
                if h in result.answers and result.answers[h].problem
            )
        )
        return _untested(
            pac, f"the PAC gave no answer for {len(unknown)} name(s)" + (f" ({why})" if why else "")
        )
    first: dict[str, ChainEntry] = {h: c[0] for h, c in chains.items() if c}
    other = sorted(
        {str(e) for e in first.values() if e.kind not in (HopKind.DIRECT, HopKind.PROXY)}
    )
    if other:
        return _untested(pac, f"the PAC answers {', '.join(other)}: wsdiag tests HTTP proxies only")
    proxies = sorted(
        {(e.host or "", e.port or 0) for e in first.values() if e.kind is HopKind.PROXY}
    )
    if len(proxies) > 1:
        names = ", ".join(f"{h}:{p}" for h, p in proxies)
        return _untested(pac, f"the PAC names several proxies ({names}): not tested")
    direct = tuple(h for h, e in first.items() if e.kind is HopKind.DIRECT)
    fallbacks = sum(1 for c in chains.values() if c and len(c) > 1)
    note = (
        f"PAC {pac}: "
        + (f"PROXY {proxies[0][0]}:{proxies[0][1]}" if proxies else "DIRECT for every name")
        + (f", DIRECT for {len(direct)} name(s)" if proxies and direct else "")
        + (
            "; only the first entry of each answer was tested"
            f" ({fallbacks} answer(s) list fallbacks)"
            if fallbacks
            else ""
        )
    )
    if not proxies:
        return ProxyRoute(ProxyMode.NONE, source="pac", pac=pac, pac_note=note)
    host, port = proxies[0]
    shown = f"[{host}]" if ":" in host else host
    return ProxyRoute(
        ProxyMode.PROXY,
        url=f"http://{shown}:{port}",
        host=host,
        port=port,
        source="pac",
        bypassed=direct,
        pac=pac,
        pac_note=note,
    )


def pac_route(
    explicit: str | None,
    hosts: Sequence[str],
    budget: float,
    nameservers: Sequence[tuple[str, int]] = (),
) -> ProxyRoute | None:
    """The route a PAC decides for ``hosts``, or None where no PAC is configured (and no
    ``--pac`` given). ``budget`` seconds for fetching and evaluating (a killable child
    process); ``nameservers`` (IP, port) answer the PAC's dnsResolve() when given (the
    run's ``--nameserver``: the OS resolver is not asked); never raises."""
    from wsdiag.host.pac import discover_sources

    sources = discover_sources(explicit)
    if not sources:
        return None
    from wsdiag.host.pac_eval import evaluate_pac  # only where a PAC applies

    result = evaluate_pac(sources, hosts, time.monotonic() + budget, nameservers=nameservers)
    return route_from_pac(result, hosts)
