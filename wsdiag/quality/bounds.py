"""The score's bounds as values a catalog may override. Pure; the defaults and their
sources are in wsdiag.budgets."""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.budgets import (
    QUALITY_FAIR_SCORE,
    QUALITY_GOOD_SCORE,
    QUALITY_JITTER_MS,
    QUALITY_LOSS,
    QUALITY_RTT_MS,
)


@dataclass(frozen=True)
class Bound:
    """One figure's bounds: score 100 at or below ``good``, 0 at or above ``poor``."""

    good: float
    poor: float


@dataclass(frozen=True)
class QualityBounds:
    """RTT and jitter in ms, loss as a fraction (0.01 = 1 %); grade bands on the score."""

    rtt_ms: Bound = Bound(*QUALITY_RTT_MS)
    jitter_ms: Bound = Bound(*QUALITY_JITTER_MS)
    loss: Bound = Bound(*QUALITY_LOSS)
    good_score: float = QUALITY_GOOD_SCORE
    fair_score: float = QUALITY_FAIR_SCORE
