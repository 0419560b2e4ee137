"""The session-quality findings: a poor grade warns with its owner, and changes the verdict
only with --quality-verdict. Pure (synthetic results and samples)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from tests.synth import diagnose, results
from wsdiag.quality.samples import PathSamples, Sample
from wsdiag.quality.score import Grade
from wsdiag.render.quality import sentences
from wsdiag.vocab.model import Owner, Severity, Transport, Verdict, Via


def sampled(rtt: float, spread: float = 0.0, loss_every: int = 0, n: int = 40) -> PathSamples:
    rng = random.Random(7)
    samples = tuple(
        Sample(None)
        if loss_every and i % loss_every == 0
        else Sample(rtt + rng.uniform(-spread, spread))
        for i in range(1, n + 1)
    )
    pid = "endpoint/quic/4195@10.0.1.10"
    return PathSamples(pid, Transport.QUIC, 4195, "10.0.1.10", Via.DIRECT, samples, True)


def diagnosed(path: PathSamples, counts: bool = False):  # type: ignore[no-untyped-def]
    r = results()
    r = replace(r, plan=replace(r.plan, samples=40, quality_verdict=counts), samples=(path,))
    return diagnose(r)


CASES = [
    # (rtt, spread, loss_every) -> (grade, code or None, owner)
    ((20.0, 1.0, 0), (Grade.GOOD, None, None)),
    ((320.0, 1.0, 0), (Grade.FAIR, None, None)),
    ((450.0, 1.0, 0), (Grade.POOR, "QUALITY_POOR_DISTANCE", Owner.USER)),
    ((100.0, 100.0, 0), (Grade.POOR, "QUALITY_POOR_NETWORK", Owner.NETWORK)),
    ((20.0, 1.0, 5), (Grade.POOR, "QUALITY_POOR_NETWORK", Owner.NETWORK)),  # 20 % loss
    ((450.0, 1.0, 5), (Grade.POOR, "QUALITY_POOR_NETWORK", Owner.NETWORK)),  # loss wins
]


@pytest.mark.parametrize(("figures", "want"), CASES, ids=[str(c[0]) for c in CASES])
def test_poor_grades_warn_with_their_owner(
    figures: tuple[float, float, int], want: tuple[Grade, str | None, Owner | None]
) -> None:
    e, d = diagnosed(sampled(*figures))
    grade, code, owner = want
    assert e.quality is not None and e.quality.score.grade is grade
    found = [f for f in d.findings if f.code.startswith("QUALITY_")]
    if code is None:
        assert found == []
        return
    assert [(f.code, f.owner, f.severity) for f in found] == [(code, owner, Severity.WARNING)]
    assert dict(found[0].basis)["quality"] == ("endpoint/quic/4195@10.0.1.10",)


def test_the_verdict_moves_only_with_quality_verdict() -> None:
    poor = sampled(450.0)
    _, plain = diagnosed(poor)
    _, judged = diagnosed(poor, counts=True)
    _, good = diagnosed(sampled(20.0))
    assert good.verdict is Verdict.READY
    assert plain.verdict is Verdict.READY  # shown, not judged
    assert judged.verdict is Verdict.DEGRADED


def test_the_text_report_says_what_the_rtt_is_and_that_bandwidth_is_not_measured() -> None:
    e, _ = diagnosed(sampled(310.0, 1.0))
    assert e.quality is not None
    lines = " ".join(sentences(e.quality))
    assert "RTT p95 31" in lines and "DCV works but degrades above 250 ms" in lines
    assert "lower bound" in lines and "PrivateLink" in lines
    assert "Bandwidth is not measured" in lines


def test_the_json_block_has_the_documented_shape() -> None:
    e, _ = diagnosed(sampled(80.0, 10.0, 10))
    assert e.quality is not None
    from wsdiag.quality.json import quality_json

    q = quality_json(e.quality)
    assert {"samples", "score", "grade", "paths"} <= set(q)
    (p,) = q["paths"]
    assert {"id", "sent", "answered", "rtt_ms", "jitter_ms", "loss"} <= set(p)
    assert set(p["rtt_ms"]) == {"min", "p50", "p95", "max"}
    assert p["sent"] == 40 and p["answered"] == 36 and p["loss"] == 0.1
