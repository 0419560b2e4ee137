"""Figures of a path's samples: sent, answered, RTT min/p50/p95/max, jitter and loss. Pure.

Jitter is the mean absolute difference of consecutive answered RTTs, in send order: the
round-trip analogue of RFC 3550's D(i-1, i) (section 6.4.1), unsmoothed (not RFC 3550's
running J, which weights the last 16 and depends on where the series starts).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from wsdiag.budgets import QUALITY_MIN_ANSWERED, SAMPLE_RETRANSMIT_MS
from wsdiag.quality.samples import PathSamples, RttSource, Sample
from wsdiag.vocab.model import Transport


@dataclass(frozen=True)
class RttSummary:
    """Milliseconds, rounded to 0.1."""

    min: float
    p50: float
    p95: float
    max: float


@dataclass(frozen=True)
class Figures:
    """What the samples say. ``loss`` is a fraction of the judged samples (None: the probe
    does not own retransmission, or nothing was judged); ``jitter_ms`` None below
    QUALITY_MIN_ANSWERED answered samples; ``rtt_ms`` None when nothing answered."""

    sent: int
    answered: int
    retransmitted: int  # TCP samples slower than SAMPLE_RETRANSMIT_MS: not in the RTTs
    rtt_ms: RttSummary | None
    jitter_ms: float | None
    loss: float | None
    judged: int = 0  # samples whose whole timeout fell inside the run
    lost: int = 0  # judged samples with no answer, where the probe owns retransmission


@dataclass(frozen=True)
class PathFigures:
    id: str
    source: RttSource
    figures: Figures


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation between closest
    ranks (Hyndman and Fan's type 7, numpy's default). Raises ValueError when empty."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * min(max(q, 0.0), 1.0)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(rtts: Sequence[float]) -> RttSummary | None:
    if not rtts:
        return None
    return RttSummary(
        round(min(rtts), 1),
        round(percentile(rtts, 0.5), 1),
        round(percentile(rtts, 0.95), 1),
        round(max(rtts), 1),
    )


def differences(rtts: Sequence[float]) -> list[float]:
    """|RTT(i) - RTT(i-1)| for consecutive answered samples, in send order (ms)."""
    return [abs(b - a) for a, b in itertools.pairwise(rtts)]


def jitter(rtts: Sequence[float]) -> float | None:
    """Mean absolute difference of consecutive RTTs (ms); None below QUALITY_MIN_ANSWERED."""
    if len(rtts) < QUALITY_MIN_ANSWERED:
        return None
    d = differences(rtts)
    return round(sum(d) / len(d), 1)


def retransmitted(transport: Transport, s: Sample) -> bool:
    """A TCP sample that took longer than SAMPLE_RETRANSMIT_MS: a retransmitted SYN or
    SYN-ACK, not a round trip."""
    return (
        transport is not Transport.QUIC
        and s.elapsed_ms is not None
        and s.rtt_ms is not None
        and s.elapsed_ms > SAMPLE_RETRANSMIT_MS
    )


def rtts_of(p: PathSamples) -> list[float]:
    """The answered round trips (ms) in send order, retransmissions left out."""
    return [
        s.rtt_ms for s in p.samples if s.rtt_ms is not None and not retransmitted(p.transport, s)
    ]


def path_figures(p: PathSamples) -> PathFigures:
    rtts = rtts_of(p)
    judged = [s for s in p.samples if s.judged]
    lost = sum(1 for s in judged if s.rtt_ms is None) if p.owns_loss else 0
    loss = round(lost / len(judged), 4) if p.owns_loss and judged else None
    source = p.samples[0].source if p.samples else RttSource.TIMER
    return PathFigures(
        p.id,
        source,
        Figures(
            sent=len(p.samples),
            answered=sum(1 for s in p.samples if s.rtt_ms is not None),
            retransmitted=sum(1 for s in p.samples if retransmitted(p.transport, s)),
            rtt_ms=summary(rtts),
            jitter_ms=jitter(rtts),
            loss=loss,
            judged=len(judged) if p.owns_loss else 0,
            lost=lost,
        ),
    )


def pooled(paths: Sequence[PathSamples]) -> Figures:
    """The figures of every path together: RTTs pooled; jitter the mean of every path's
    consecutive differences (never a difference across two paths); loss lost / judged over
    the paths that own their retransmission."""
    rtts: list[float] = []
    diffs: list[float] = []
    judged = lost = 0
    for p in paths:
        mine = rtts_of(p)
        rtts += mine
        diffs += differences(mine)
        if p.owns_loss:
            j = [s for s in p.samples if s.judged]
            judged += len(j)
            lost += sum(1 for s in j if s.rtt_ms is None)
    return Figures(
        sent=sum(len(p.samples) for p in paths),
        answered=sum(1 for p in paths for s in p.samples if s.rtt_ms is not None),
        retransmitted=sum(1 for p in paths for s in p.samples if retransmitted(p.transport, s)),
        rtt_ms=summary(rtts),
        jitter_ms=round(sum(diffs) / len(diffs), 1)
        if len(rtts) >= QUALITY_MIN_ANSWERED and diffs
        else None,
        loss=round(lost / judged, 4) if judged else None,
        judged=judged,
        lost=lost,
    )
