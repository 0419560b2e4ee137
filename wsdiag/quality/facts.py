"""The session-quality facts of a run, as the evidence carries them (``Evidence.quality``)
and the rules and renderers read them. Pure.

Kept in one dataclass so it can move with the evidence's restructuring into typed
fragments without touching the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wsdiag.quality.bounds import QualityBounds
from wsdiag.quality.samples import PathSamples, RttSource
from wsdiag.quality.score import Figure, Grade, Score, poor_figures, score_of
from wsdiag.quality.stats import Figures, PathFigures, path_figures, pooled
from wsdiag.vocab.model import Via


@dataclass(frozen=True)
class QualityFacts:
    """``samples``: the per-path count asked for (--samples; 0: off). ``overall``: the
    direct paths' figures pooled (what the score is from); a proxy's CONNECT answer times
    are shown per path, never scored as the session's. ``counts``: --quality-verdict
    given, so a poor grade's warning changes the verdict."""

    samples: int = 0
    paths: tuple[PathFigures, ...] = ()
    overall: Figures | None = None
    score: Score = Score(None, Grade.UNKNOWN, None)
    poor: tuple[Figure, ...] = ()  # the figures in the poor band (a poor grade's cause)
    counts: bool = False
    bounds: QualityBounds = QualityBounds()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.paths)

    @property
    def via_proxy(self) -> bool:
        return any(p.source is RttSource.CONNECT_ANSWER for p in self.paths)


def quality_facts(
    paths: Sequence[PathSamples],
    samples: int,
    bounds: QualityBounds = QualityBounds(),
    counts: bool = False,
) -> QualityFacts:
    """The facts of the sampled paths (in the order given; empty paths dropped)."""
    kept = [p for p in paths if p.samples]
    direct = [p for p in kept if p.via is Via.DIRECT]
    overall = pooled(direct) if direct else None
    score = score_of(overall, bounds) if overall is not None else Score(None, Grade.UNKNOWN, None)
    return QualityFacts(
        samples=samples,
        paths=tuple(path_figures(p) for p in kept),
        overall=overall,
        score=score,
        poor=poor_figures(score, bounds) if score.grade is Grade.POOR else (),
        counts=counts,
        bounds=bounds,
    )
