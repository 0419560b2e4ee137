"""Session quality on the evidence: the answered endpoint paths' samples, their figures and
score (``wsdiag.quality``). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.evidence.basis import Basis
from wsdiag.quality.facts import QualityFacts, quality_facts
from wsdiag.vocab.observed import Observed


@dataclass(frozen=True)
class SessionFacts:
    quality: QualityFacts | None  # None only in reports from before session quality
    basis: Basis


def session_facts(r: Observed) -> SessionFacts:
    """``r.samples`` judged with the plan's count, bounds and --quality-verdict; the basis:
    the sampled paths' probe ids."""
    q = quality_facts(r.samples, r.plan.samples, r.plan.quality, r.plan.quality_verdict)
    return SessionFacts(quality=q, basis={"quality": q.ids})
