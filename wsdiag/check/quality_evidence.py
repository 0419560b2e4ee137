"""The session-quality facts on the evidence: the samples' figures and score. Pure."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from wsdiag.quality.facts import quality_facts

if TYPE_CHECKING:
    from wsdiag.check.observed import Observed
    from wsdiag.vocab.results import Evidence


def with_quality(e: Evidence, r: Observed) -> Evidence:
    """``e`` with ``quality`` from ``r.samples`` (the plan's count, bounds and
    --quality-verdict) and its basis: the sampled paths' probe ids."""
    q = quality_facts(r.samples, r.plan.samples, r.plan.quality, r.plan.quality_verdict)
    return replace(e, quality=q, basis={**e.basis, "quality": q.ids})
