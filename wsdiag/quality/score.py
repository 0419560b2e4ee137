"""Figures -> a 0-100 score, a grade, and which figure limits it, in words. Pure.

Each figure scores 100 at or below its good bound and 0 at or above its poor bound, linear
in between (the Omnissa Horizon client's way); the score is the lowest figure's, so it is
monotone: a figure that gets worse never raises it. Bounds: wsdiag.budgets (sources there),
overridable in the catalog's [quality] table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wsdiag.budgets import QUALITY_MIN_ANSWERED
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
    """The score of pooled figures. Unknown when fewer than QUALITY_MIN_ANSWERED answered;
    an unknown jitter or loss is left out (never scored as good)."""
    if f.rtt_ms is None or f.answered - f.retransmitted < QUALITY_MIN_ANSWERED:
        return Score(None, Grade.UNKNOWN, None)
    parts: list[tuple[Figure, float]] = [(Figure.RTT, figure_score(f.rtt_ms.p95, bounds.rtt_ms))]
    if f.jitter_ms is not None:
        parts.append((Figure.JITTER, figure_score(f.jitter_ms, bounds.jitter_ms)))
    if f.loss is not None:
        parts.append((Figure.LOSS, figure_score(f.loss, bounds.loss)))
    limit, low = min(parts, key=lambda kv: kv[1])
    # floor, not round: a score of 80 must mean every figure reached it
    value = int(low)
    return Score(
        value,
        grade_of(value, bounds),
        limit if low < 100.0 else None,
        tuple((k, round(v, 1)) for k, v in parts),
        limit_text(limit if low < 100.0 else None, f, bounds),
    )


def limit_text(limit: Figure | None, f: Figures, b: QualityBounds) -> str:
    """The limiting figure and what its bound means, for a person."""
    if limit is None:
        return "every figure within its good bound"
    if limit is Figure.RTT:
        assert f.rtt_ms is not None
        v = f.rtt_ms.p95
        if v >= b.rtt_ms.poor:
            return (
                f"RTT p95 {v:.0f} ms: above {b.rtt_ms.poor:.0f} ms AWS does not recommend "
                "streaming (DCV)"
            )
        return f"RTT p95 {v:.0f} ms: DCV works but degrades above {b.rtt_ms.good:.0f} ms"
    if limit is Figure.JITTER:
        assert f.jitter_ms is not None
        return (
            f"jitter {f.jitter_ms:.0f} ms: above the {b.jitter_ms.good:.0f} ms real-time media "
            "tolerates (Microsoft's Teams guidance)"
        )
    assert f.loss is not None
    return (
        f"loss {100 * f.loss:.1f} %: above the {100 * b.loss.good:.0f} % real-time media "
        "tolerates (Microsoft's Teams guidance)"
    )


def poor_figures(s: Score, bounds: QualityBounds) -> tuple[Figure, ...]:
    """The figures whose own score falls in the poor band."""
    return tuple(k for k, v in s.parts if v < bounds.fair_score)
