"""Findings about session quality (issue 20): a poor grade from the sampled RTT, jitter and
loss. Pure rule rows (wsdiag.vocab.rows). They are warnings, shown always; they change the verdict
only with --quality-verdict (``rules.verdict.verdict_of``).

Who acts: jitter or loss in the poor band is the network's (a congested or lossy link, Wi-Fi,
a VPN); a poor RTT alone is distance to the region: nothing is broken, the user is far from
where the WorkSpace runs, so the owner is the user (move closer, or ask for a WorkSpace in a
nearer region) rather than a network team with nothing to fix.
"""

from __future__ import annotations

from wsdiag.quality.facts import QualityFacts
from wsdiag.quality.score import Figure, Grade
from wsdiag.rules.facts import CheckFacts, CheckRule
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.model import Owner, Severity
from wsdiag.vocab.rows import FindingRule, Fire


def _params(e: Evidence, q: QualityFacts) -> dict[str, object]:
    return {"score": q.score.score, "limit": q.score.limit_text, "host": e.endpoint_host}


def _poor_network(c: CheckFacts) -> Fire | None:
    e = c.evidence
    q = e.quality
    if (
        q is None
        or q.score.grade is not Grade.POOR
        or not ({Figure.JITTER, Figure.LOSS} & set(q.poor))
    ):
        return None
    return Fire(_params(e, q))


def _poor_distance(c: CheckFacts) -> Fire | None:
    e = c.evidence
    q = e.quality
    if q is None or q.score.grade is not Grade.POOR or set(q.poor) != {Figure.RTT}:
        return None
    return Fire(_params(e, q))


QUALITY_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="quality-poor-network",
        code="QUALITY_POOR_NETWORK",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="session quality poor, jitter or loss in the poor band (verdict: only with "
        "--quality-verdict)",
        message="The path to {host} is unsteady: session quality {score}/100 ({limit}). Streaming "
        "will stutter, freeze or drop.",
        remediation="Look for the lossy or congested hop between this machine and the VPC: Wi-Fi "
        "signal, a saturated uplink, a VPN or firewall under load; give WorkSpaces traffic "
        "(UDP and TCP 4195) priority in QoS.",
        fire=_poor_network,
        basis=("quality",),
    ),
    FindingRule(
        name="quality-poor-distance",
        code="QUALITY_POOR_DISTANCE",
        severity=Severity.WARNING,
        owner=Owner.USER,
        when="session quality poor from the RTT alone: distance to the region (verdict: only "
        "with --quality-verdict)",
        message="{host} is far away in network terms: session quality {score}/100 ({limit}); the "
        "path is steady, only long.",
        remediation="Connect from closer to the WorkSpaces region, or ask the administrator for a "
        "WorkSpace in a region nearer to where you work.",
        fire=_poor_distance,
        basis=("quality",),
    ),
)
QUALITY_CODES = frozenset(r.code for r in QUALITY_RULES)
