"""Figures -> a 0-100 score, a grade, and which figure limits it, in words. Pure.

Each figure scores 100 at or below its good bound and 0 at or above its poor bound, linear
in between (the Omnissa Horizon client's way); the score is the lowest figure's, so it is
monotone: a figure that gets worse never raises it. Bounds: wsdiag.budgets (sources there),
overridable in the catalog's [quality] table.

A figure that was not measured (jitter below 3 answered samples on a path, loss where no
sample was judged) is never called within its bound. Since the score is the lowest
figure's, the known figures give only an upper bound of it: when that bound is already in
the poor band the grade is poor whatever the unmeasured figures are; otherwise the grade is
unknown (issue 20: "unknown when too few samples answered") and the text names what was
not measured. A known RTT alone never makes a "good".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wsdiag.budgets import QUALITY_JITTER_MS, QUALITY_LOSS, QUALITY_MIN_ANSWERED, QUALITY_RTT_MS
from wsdiag.quality.bounds import Bound, QualityBounds
from wsdiag.quality.stats import Figures


class Grade(StrEnum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    UNKNOWN = "unknown"  # fewer than QUALITY_MIN_ANSWERED samples answered


class Figure(StrEnum):
    RTT = "rtt"  # RTT p95
    JITTER = "jitter"
    LOSS = "loss"


@dataclass(frozen=True)
class Score:
    score: int | None  # 0-100; None: grade unknown
    grade: Grade
    limit: Figure | None  # the figure with the lowest score; None: every figure at 100
    parts: tuple[tuple[Figure, float], ...] = ()  # each known figure's own score
    limit_text: str = ""  # "RTT p95 310 ms: DCV works but degrades above 250 ms"
    unmeasured: tuple[Figure, ...] = ()  # figures left out: not measured, never "within"


def figure_score(value: float, bound: Bound) -> float:
    """100 at or below ``bound.good``, 0 at or above ``bound.poor``, linear in between."""
    if value <= bound.good:
        return 100.0
    if value >= bound.poor:
        return 0.0
    return 100.0 * (bound.poor - value) / (bound.poor - bound.good)


def grade_of(score: float, bounds: QualityBounds) -> Grade:
    if score >= bounds.good_score:
        return Grade.GOOD
    return Grade.FAIR if score >= bounds.fair_score else Grade.POOR


def score_of(f: Figures, bounds: QualityBounds = QualityBounds()) -> Score:
    """The score of pooled figures. Unknown when fewer than QUALITY_MIN_ANSWERED answered,
    and unknown when jitter or loss was not measured unless the known figures are already
    poor (the score is the lowest figure's: an unmeasured one could only lower it)."""
    if f.rtt_ms is None or f.answered - f.retransmitted < QUALITY_MIN_ANSWERED:
        return Score(None, Grade.UNKNOWN, None)
    parts: list[tuple[Figure, float]] = [(Figure.RTT, figure_score(f.rtt_ms.p95, bounds.rtt_ms))]
    unmeasured: list[Figure] = []
    for figure, value, bound in (
        (Figure.JITTER, f.jitter_ms, bounds.jitter_ms),
        (Figure.LOSS, f.loss, bounds.loss),
    ):
        if value is None:
            unmeasured.append(figure)
        else:
            parts.append((figure, figure_score(value, bound)))
    limit, low = min(parts, key=lambda kv: kv[1])
    # floor, not round: a score of 80 must mean every figure reached it
    value = int(low)
    limiting = limit if low < 100.0 else None
    known = tuple((k, round(v, 1)) for k, v in parts)
    text = limit_text(limiting, f, bounds)
    if not unmeasured:
        return Score(value, grade_of(value, bounds), limiting, known, text)
    missing = " and ".join(str(k) for k in unmeasured)
    if grade_of(value, bounds) is Grade.POOR:
        return Score(
            value,
            Grade.POOR,
            limiting,
            known,
            f"{text} ({missing} not measured)",
            tuple(unmeasured),
        )
    if limiting is None:
        text = (
            f"RTT p95 {f.rtt_ms.p95:.0f} ms within its good bound"
            if len(parts) == 1
            else f"RTT p95 {f.rtt_ms.p95:.0f} ms and {parts[1][0]} within their good bounds"
        )
    return Score(
        None,
        Grade.UNKNOWN,
        None,
        known,
        f"{missing} not measured, so no grade is claimed ({text})",
        tuple(unmeasured),
    )


def _ms(v: float) -> str:
    return f"{v:g} ms"


def limit_text(limit: Figure | None, f: Figures, b: QualityBounds) -> str:
    """The limiting figure and what its bound means, for a person. A bound the catalog
    changed is named as the catalog's, with its own value: AWS's and Microsoft's words
    belong to their figures only."""
    if limit is None:
        return "every figure within its good bound"
    if limit is Figure.RTT:
        assert f.rtt_ms is not None
        v = f.rtt_ms.p95
        ours = b.rtt_ms == Bound(*QUALITY_RTT_MS)
        if v >= b.rtt_ms.poor:
            if not ours:
                return (
                    f"RTT p95 {v:.0f} ms: at or above the catalog's poor bound, "
                    f"{_ms(b.rtt_ms.poor)}"
                )
            return (
                f"RTT p95 {v:.0f} ms: above {_ms(b.rtt_ms.poor)} AWS does not recommend "
                "streaming (DCV)"
            )
        if not ours:
            return f"RTT p95 {v:.0f} ms: above the catalog's good bound, {_ms(b.rtt_ms.good)}"
        return f"RTT p95 {v:.0f} ms: DCV works but degrades above {_ms(b.rtt_ms.good)}"
    if limit is Figure.JITTER:
        assert f.jitter_ms is not None
        if b.jitter_ms != Bound(*QUALITY_JITTER_MS):
            return (
                f"jitter {f.jitter_ms:.0f} ms: above the catalog's good bound, "
                f"{_ms(b.jitter_ms.good)}"
            )
        return (
            f"jitter {f.jitter_ms:.0f} ms: above the {_ms(b.jitter_ms.good)} real-time media "
            "tolerates (Microsoft's Teams guidance)"
        )
    assert f.loss is not None
    if b.loss != Bound(*QUALITY_LOSS):
        return f"loss {100 * f.loss:.1f} %: above the catalog's good bound, {100 * b.loss.good:g} %"
    return (
        f"loss {100 * f.loss:.1f} %: above the {100 * b.loss.good:g} % real-time media "
        "tolerates (Microsoft's Teams guidance)"
    )


def poor_figures(s: Score, bounds: QualityBounds) -> tuple[Figure, ...]:
    """The figures whose own score falls in the poor band."""
    return tuple(k for k, v in s.parts if v < bounds.fair_score)
