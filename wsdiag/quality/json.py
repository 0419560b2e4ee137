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
from wsdiag.vocab.codec import DecodeError, decode, kind


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


def _obj(value: Any, at: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DecodeError(f"{at}: expected an object, not {kind(value)}")
    return value


def _arr(value: Any, at: str) -> list[Any]:
    if not isinstance(value, list):
        raise DecodeError(f"{at}: expected an array, not {kind(value)}")
    return value


def _count(d: dict[str, Any], key: str, at: str) -> int:
    return decode(int, d.get(key, 0), at=f"{at}.{key}")


def _ms(value: Any, at: str) -> float | None:
    return decode(float | None, value, at=at)  # type: ignore[arg-type]


def _figures_from(d: dict[str, Any], at: str) -> Figures:
    r = d.get("rtt_ms")
    rtt = None
    if r is not None:
        r = _obj(r, f"{at}.rtt_ms")
        rtt = RttSummary(
            *(decode(float, r.get(k), at=f"{at}.rtt_ms.{k}") for k in ("min", "p50", "p95", "max"))
        )
    return Figures(
        sent=_count(d, "sent", at),
        answered=_count(d, "answered", at),
        retransmitted=_count(d, "retransmitted", at),
        rtt_ms=rtt,
        jitter_ms=_ms(d.get("jitter_ms"), f"{at}.jitter_ms"),
        loss=_ms(d.get("loss"), f"{at}.loss"),
        judged=_count(d, "judged", at),
        lost=_count(d, "lost", at),
    )


def _bound(bd: dict[str, Any], key: str, default: Bound) -> Bound:
    if key not in bd:
        return default
    pair = _arr(bd[key], f"quality.bounds.{key}")
    if len(pair) != 2:
        raise DecodeError(f"quality.bounds.{key}: expected [good, poor], not {len(pair)} items")
    return Bound(*(decode(float, v, at=f"quality.bounds.{key}[{i}]") for i, v in enumerate(pair)))


def quality_from_json(value: Any) -> QualityFacts:
    """A ``quality`` block back into facts. Raises DecodeError naming the field of the
    wrong shape (``quality.paths[0].rtt_ms.p95: expected a number, not a string``), never
    Python's own words: the reader of a report cannot act on those."""
    d = _obj(value, "quality")
    bd = _obj(d.get("bounds") or {}, "quality.bounds")
    defaults = QualityBounds()
    bounds = QualityBounds(
        rtt_ms=_bound(bd, "rtt_ms", defaults.rtt_ms),
        jitter_ms=_bound(bd, "jitter_ms", defaults.jitter_ms),
        loss=_bound(bd, "loss", defaults.loss),
    )
    limit = d.get("limit")
    raw_overall = d.get("overall")
    overall = (
        _figures_from(_obj(raw_overall, "quality.overall"), "quality.overall")
        if raw_overall
        else None
    )
    limit_text = decode(str, d.get("limit_text", ""), at="quality.limit_text")
    # not stored: which figures were left out reads back from the pooled figures
    unmeasured = (
        tuple(
            k
            for k, v in ((Figure.JITTER, overall.jitter_ms), (Figure.LOSS, overall.loss))
            if v is None
        )
        if overall is not None and overall.rtt_ms is not None and limit_text
        else ()
    )
    paths = []
    for i, raw in enumerate(_arr(d.get("paths", []), "quality.paths")):
        at = f"quality.paths[{i}]"
        p = _obj(raw, at)
        paths.append(
            PathFigures(
                decode(str, p.get("id"), at=f"{at}.id"),
                decode(RttSource, p.get("source", "timer"), at=f"{at}.source"),
                _figures_from(p, at),
            )
        )
    poor = _arr(d.get("poor", []), "quality.poor")
    return QualityFacts(
        samples=_count(d, "samples", "quality"),
        paths=tuple(paths),
        overall=overall,
        score=Score(
            decode(int | None, d.get("score"), at="quality.score"),  # type: ignore[arg-type]
            decode(Grade, d.get("grade", "unknown"), at="quality.grade"),
            decode(Figure, limit, at="quality.limit") if limit else None,
            limit_text=limit_text,
            unmeasured=unmeasured,
        ),
        poor=tuple(decode(Figure, f, at=f"quality.poor[{i}]") for i, f in enumerate(poor)),
        counts=decode(bool, d.get("counts_in_verdict", False), at="quality.counts_in_verdict"),
        bounds=bounds,
    )
