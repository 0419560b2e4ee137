"""Session quality for a person: sentences (text, HTML) and a small inline SVG of each
path's RTT spread (HTML). Pure; the SVG has no script, no style sheet, no external
reference (the page's CSP stays default-src 'none')."""

from __future__ import annotations

from html import escape

from wsdiag.quality.facts import QualityFacts
from wsdiag.quality.score import Grade
from wsdiag.quality.stats import Figures

LOWER_BOUND = (
    "The RTT is a lower bound of the session's: with PrivateLink the handshake ends at the "
    "VPC endpoint, and the WorkSpace is further on."
)
NO_BANDWIDTH = "Bandwidth is not measured: nothing behind the endpoint serves a throughput test."


def _pct(loss: float | None) -> str:
    return "unknown" if loss is None else f"{100 * loss:.1f} %"


def figures_text(f: Figures) -> str:
    """'RTT p50 81 ms, p95 112 ms, jitter 22 ms, loss 2.1 % (480 sent, 470 answered)'."""
    if f.rtt_ms is None:
        return f"no answer ({f.sent} sent)"
    jitter = "unknown" if f.jitter_ms is None else f"{f.jitter_ms:.0f} ms"
    return (
        f"RTT p50 {f.rtt_ms.p50:.0f} ms, p95 {f.rtt_ms.p95:.0f} ms (min {f.rtt_ms.min:.0f}, "
        f"max {f.rtt_ms.max:.0f}), jitter {jitter}, loss {_pct(f.loss)} "
        f"({f.sent} sent, {f.answered} answered)"
    )


# Why no endpoint path was sampled where none was probed at all: what ``unprobed`` says.
NOT_PROBED = {
    "dns": "unknown: the endpoint was not probed (its name did not resolve)",
    "other": "unknown: the endpoint was not probed",
}


def headline(q: QualityFacts, unprobed: str | None = None) -> str:
    """One line: 'good, 89/100: loss 2.1 %: above ...' or why unknown. ``unprobed``: no
    endpoint probe ran at all, and why (a NOT_PROBED key: "dns" where its name did not
    resolve); None where one did, so "no endpoint path answered" is what it means."""
    if q.samples == 0:
        return "not sampled (--samples 0)"
    if not q.paths and unprobed is not None:
        return NOT_PROBED.get(unprobed, NOT_PROBED["other"])
    if not q.paths:
        return "unknown: no endpoint path answered, so none was sampled"
    if q.score.grade is Grade.UNKNOWN and q.score.unmeasured:
        return f"unknown: {q.score.limit_text}"
    if q.score.grade is Grade.UNKNOWN:
        return "unknown: fewer than 3 samples answered (the run ended first)"
    return f"{q.score.grade}, {q.score.score}/100: {q.score.limit_text}"


def sentences(q: QualityFacts, verbose: bool = False, unprobed: str | None = None) -> list[str]:
    """The block a report shows: the grade, the pooled figures, what they cannot say
    (``unprobed`` as ``headline`` takes it)."""
    out = [headline(q, unprobed)]
    if q.overall is not None:
        out.append(
            f"{len([p for p in q.paths if 'proxy' not in p.id])} path(s): "
            + figures_text(q.overall)
        )
    if verbose:
        out += [f"{p.id} ({p.source}): {figures_text(p.figures)}" for p in q.paths]
    if q.via_proxy:
        out.append(
            "Through the proxy (ids ending @proxy): the time until the proxy answered "
            "CONNECT, labelled connect-answer; not scored as the session's RTT."
        )
    if q.paths:
        out.append(LOWER_BOUND)
    out.append(NO_BANDWIDTH)
    return out


def rtt_svg(f: Figures, scale_ms: float, width: int = 160, height: int = 14) -> str:
    """One path's RTT as a bar: min to max thin, p50 to p95 thick, on 0..``scale_ms``.
    Empty when nothing answered."""
    r = f.rtt_ms
    if r is None or scale_ms <= 0:
        return ""

    def x(v: float) -> float:
        return round(min(v / scale_ms, 1.0) * (width - 2) + 1, 1)

    mid = height // 2
    title = escape(f"min {r.min} / p50 {r.p50} / p95 {r.p95} / max {r.max} ms")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        f'<line x1="{x(r.min)}" y1="{mid}" x2="{x(r.max)}" y2="{mid}" stroke="#888" '
        'stroke-width="1"/>'
        f'<rect x="{x(r.p50)}" y="{mid - 4}" width="{max(x(r.p95) - x(r.p50), 1.5)}" '
        f'height="8" fill="#4a7"/>'
        f'<line x1="{x(r.p50)}" y1="{mid - 6}" x2="{x(r.p50)}" y2="{mid + 6}" stroke="#222" '
        'stroke-width="1.5"/>'
        "</svg>"
    )
