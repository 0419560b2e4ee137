"""Session quality as JSON (the report's additive ``quality`` block) and back. Pure.

``{samples, score, grade, limit, counts_in_verdict, overall, paths: [{id, sent, answered,
rtt_ms: {min, p50, p95, max}, jitter_ms, loss, ...}]}``; ms to 0.1, ``loss`` a fraction.
"""

from __future__ import annotations

from typing import Any

from wsdiag.quality.bounds import Bound, QualityBounds
from wsdiag.quality.facts import QualityFacts
from wsdiag.quality.samples import RttSource
from wsdiag.quality.score import Figure, Grade, Score
from wsdiag.quality.stats import Figures, PathFigures, RttSummary


def _figures(f: Figures) -> dict[str, Any]:
    r = f.rtt_ms
    return {
        "sent": f.sent,
        "answered": f.answered,
        "rtt_ms": {"min": r.min, "p50": r.p50, "p95": r.p95, "max": r.max} if r else None,
        "jitter_ms": f.jitter_ms,
        "loss": f.loss,
        "judged": f.judged,
        "lost": f.lost,
        "retransmitted": f.retransmitted,
    }


def quality_json(q: QualityFacts) -> dict[str, Any]:
    b = q.bounds
    return {
        "samples": q.samples,
        "score": q.score.score,
        "grade": str(q.score.grade),
        "limit": str(q.score.limit) if q.score.limit else None,
        "limit_text": q.score.limit_text,
        "poor": [str(f) for f in q.poor],
        "counts_in_verdict": q.counts,
        "overall": _figures(q.overall) if q.overall else None,
        "paths": [{"id": p.id, "source": str(p.source), **_figures(p.figures)} for p in q.paths],
        "bounds": {
            "rtt_ms": [b.rtt_ms.good, b.rtt_ms.poor],
            "jitter_ms": [b.jitter_ms.good, b.jitter_ms.poor],
            "loss": [b.loss.good, b.loss.poor],
        },
    }


def _figures_from(d: dict[str, Any]) -> Figures:
    r = d.get("rtt_ms")
    return Figures(
        sent=int(d.get("sent", 0)),
        answered=int(d.get("answered", 0)),
        retransmitted=int(d.get("retransmitted", 0)),
        rtt_ms=RttSummary(float(r["min"]), float(r["p50"]), float(r["p95"]), float(r["max"]))
        if r
        else None,
        jitter_ms=d.get("jitter_ms"),
        loss=d.get("loss"),
        judged=int(d.get("judged", 0)),
        lost=int(d.get("lost", 0)),
    )


def quality_from_json(d: dict[str, Any]) -> QualityFacts:
    """A ``quality`` block back into facts. Raises KeyError or ValueError on a malformed
    block."""
    bd = d.get("bounds") or {}
    defaults = QualityBounds()
    bounds = QualityBounds(
        rtt_ms=Bound(*bd["rtt_ms"]) if "rtt_ms" in bd else defaults.rtt_ms,
        jitter_ms=Bound(*bd["jitter_ms"]) if "jitter_ms" in bd else defaults.jitter_ms,
        loss=Bound(*bd["loss"]) if "loss" in bd else defaults.loss,
    )
    limit = d.get("limit")
    overall = _figures_from(d["overall"]) if d.get("overall") else None
    # not stored: which figures were left out reads back from the pooled figures
    unmeasured = (
        tuple(
            k
            for k, v in ((Figure.JITTER, overall.jitter_ms), (Figure.LOSS, overall.loss))
            if v is None
        )
        if overall is not None and overall.rtt_ms is not None and d.get("limit_text")
        else ()
    )
    return QualityFacts(
        samples=int(d.get("samples", 0)),
        paths=tuple(
            PathFigures(p["id"], RttSource(p.get("source", "timer")), _figures_from(p))
            for p in d.get("paths", ())
        ),
        overall=overall,
        score=Score(
            d.get("score"),
            Grade(d.get("grade", "unknown")),
            Figure(limit) if limit else None,
            limit_text=str(d.get("limit_text", "")),
            unmeasured=unmeasured,
        ),
        poor=tuple(Figure(f) for f in d.get("poor", ())),
        counts=bool(d.get("counts_in_verdict", False)),
        bounds=bounds,
    )
