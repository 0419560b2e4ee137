"""Session-quality statistics and scoring (wsdiag.quality): tables and properties. Pure."""

from __future__ import annotations

import dataclasses
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.budgets import QUALITY_JITTER_MS, QUALITY_LOSS, QUALITY_RTT_MS
from wsdiag.host.tcpinfo import TCP_INFO_OPTIONS, parse_rtt_us
from wsdiag.quality.bounds import Bound, QualityBounds
from wsdiag.quality.facts import quality_facts
from wsdiag.quality.json import quality_from_json, quality_json
from wsdiag.quality.samples import PathSamples, RttSource, Sample
from wsdiag.quality.score import Figure, Grade, figure_score, score_of
from wsdiag.quality.stats import Figures, RttSummary, jitter, path_figures, percentile, pooled
from wsdiag.vocab.model import Transport, Via


def path(
    rtts: list[float | None],
    transport: Transport = Transport.QUIC,
    via: Via = Via.DIRECT,
    pid: str = "endpoint/quic/4195@10.0.1.10",
) -> PathSamples:
    samples = tuple(Sample(r, r) for r in rtts)
    return PathSamples(pid, transport, 4195, "10.0.1.10", via, samples, via is Via.DIRECT)


@pytest.mark.parametrize(
    ("values", "q", "want"),
    [
        ([5.0], 0.5, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.95, 4.8),
        ([3.0, 1.0, 2.0], 0.0, 1.0),
        ([3.0, 1.0, 2.0], 1.0, 3.0),
    ],
)
def test_percentile_is_numpys_linear(values: list[float], q: float, want: float) -> None:
    assert percentile(values, q) == pytest.approx(want)


def test_percentile_of_nothing_raises() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.5)


@pytest.mark.parametrize(
    ("rtts", "want"),
    [
        ([], None),
        ([10.0, 20.0], None),  # below three answered: unknown
        ([10.0, 20.0, 10.0], 10.0),
        ([80.0, 100.0, 60.0, 80.0], (20 + 40 + 20) / 3),
        ([50.0, 50.0, 50.0, 50.0], 0.0),
    ],
)
def test_jitter_is_the_mean_absolute_consecutive_difference(
    rtts: list[float], want: float | None
) -> None:
    got = jitter(rtts)
    assert got == (pytest.approx(want, abs=0.05) if want is not None else None)


def test_path_figures_count_sent_answered_and_loss() -> None:
    p = path([10.0, None, 12.0, 11.0, None])
    f = path_figures(p).figures
    assert (f.sent, f.answered, f.judged, f.lost, f.loss) == (5, 3, 5, 2, 0.4)
    assert f.rtt_ms == RttSummary(10.0, 11.0, 11.9, 12.0)
    assert f.jitter_ms == 1.5  # |12-10| then |11-12|: lost samples are skipped


def test_samples_not_judged_do_not_count_for_loss() -> None:
    p = dataclasses.replace(
        path([]), samples=(Sample(10.0), Sample(None, judged=False), Sample(12.0, judged=False))
    )
    f = path_figures(p).figures
    assert (f.sent, f.answered, f.judged, f.lost, f.loss) == (3, 2, 1, 0, 0.0)


def test_a_proxy_path_has_no_loss() -> None:
    f = path_figures(path([None, 10.0, 11.0], Transport.TCP, Via.PROXY)).figures
    assert f.loss is None and f.answered == 2


def test_a_slow_tcp_sample_is_a_retransmission_not_an_rtt() -> None:
    p = dataclasses.replace(
        path([], Transport.TCP),
        samples=(Sample(20.0, 20.5), Sample(20.0, 1003.0), Sample(21.0, 21.2)),
    )
    f = path_figures(p).figures
    assert f.retransmitted == 1 and f.rtt_ms is not None and f.rtt_ms.max == 21.0
    # QUIC never retransmits here: a slow answer is a slow round trip
    q = dataclasses.replace(p, transport=Transport.QUIC)
    assert path_figures(q).figures.retransmitted == 0


def test_pooled_jitter_never_mixes_two_paths() -> None:
    a = path([10.0, 10.0, 10.0], pid="a")
    b = path([100.0, 100.0, 100.0], pid="b")
    f = pooled([a, b])
    assert f.jitter_ms == 0.0 and f.rtt_ms is not None and f.rtt_ms.max == 100.0


B = QualityBounds()


@pytest.mark.parametrize(
    ("value", "bound", "want"),
    [
        (100.0, Bound(250, 400), 100.0),
        (250.0, Bound(250, 400), 100.0),
        (325.0, Bound(250, 400), 50.0),
        (400.0, Bound(250, 400), 0.0),
        (900.0, Bound(250, 400), 0.0),
    ],
)
def test_figure_score_is_linear_between_the_bounds(value: float, bound: Bound, want: float) -> None:
    assert figure_score(value, bound) == pytest.approx(want)


def figures(p95: float, jitter_ms: float | None = 5.0, loss: float | None = 0.0) -> Figures:
    return Figures(50, 50, 0, RttSummary(p95 / 2, p95 / 2, p95, p95), jitter_ms, loss, 50, 0)


@pytest.mark.parametrize(
    ("f", "score", "grade", "limit", "text"),
    [
        (figures(80.0), 100, Grade.GOOD, None, "every figure within its good bound"),
        (figures(310.0), 60, Grade.FAIR, Figure.RTT, "RTT p95 310 ms: DCV works but degrades"),
        (figures(450.0), 0, Grade.POOR, Figure.RTT, "above 400 ms AWS does not recommend"),
        (figures(80.0, 45.0), 50, Grade.FAIR, Figure.JITTER, "jitter 45 ms: above the 30 ms"),
        (figures(80.0, 5.0, 0.02), 88, Grade.GOOD, Figure.LOSS, "loss 2.0 %: above the 1 %"),
        (figures(80.0, 5.0, 0.08), 22, Grade.POOR, Figure.LOSS, "loss 8.0 %"),
        # an unmeasured figure is never "within its bound": no grade is claimed from RTT alone
        (figures(80.0, None, None), None, Grade.UNKNOWN, None, "jitter and loss not measured"),
        (figures(80.0, None, 0.0), None, Grade.UNKNOWN, None, "jitter not measured"),
        (figures(310.0, 5.0, None), None, Grade.UNKNOWN, None, "loss not measured"),
        # ... but known figures already poor are poor whatever the others are
        (figures(450.0, None, None), 0, Grade.POOR, Figure.RTT, "(jitter and loss not measured)"),
    ],
)
def test_score_grade_and_limit(
    f: Figures, score: int | None, grade: Grade, limit: Figure | None, text: str
) -> None:
    s = score_of(f, B)
    assert (s.score, s.grade, s.limit) == (score, grade, limit)
    assert text in s.limit_text


def test_one_answer_per_path_is_never_called_good() -> None:
    """The tester's run: one answered sample on each of four paths, so jitter and loss
    unknown; the headline said 'good, 100/100: every figure within its good bound'."""
    from wsdiag.render.quality import headline

    paths = [path([20.0], pid=f"endpoint/quic/4195@10.0.1.1{i}") for i in range(4)]
    q = quality_facts(paths, samples=1)
    assert q.overall is not None and q.overall.jitter_ms is None
    assert q.score.grade is Grade.UNKNOWN and q.score.score is None
    line = headline(q)
    assert "within its good bound" not in line.split("(")[0] and "good," not in line
    assert "jitter" in line and "not measured" in line


@pytest.mark.parametrize(
    ("f", "bounds", "text", "absent"),
    [
        (
            figures(450.0),
            QualityBounds(rtt_ms=Bound(0.0, 0.4)),
            "the catalog's poor bound, 0.4 ms",
            "AWS",
        ),
        (
            figures(50.0),
            QualityBounds(rtt_ms=Bound(20.0, 400.0)),
            "the catalog's good bound, 20 ms",
            "DCV",
        ),
        (
            figures(50.0, 12.0),
            QualityBounds(jitter_ms=Bound(10.0, 60.0)),
            "catalog's good bound, 10 ms",
            "Teams",
        ),
        (
            figures(50.0, 1.0, 0.03),
            QualityBounds(loss=Bound(0.02, 0.5)),
            "catalog's good bound, 2 %",
            "Teams",
        ),
    ],
)
def test_a_catalog_bound_is_named_as_the_catalogs_with_its_own_value(
    f: Figures, bounds: QualityBounds, text: str, absent: str
) -> None:
    s = score_of(f, bounds)
    assert text in s.limit_text and absent not in s.limit_text


def test_too_few_answered_is_unknown() -> None:
    f = dataclasses.replace(figures(80.0), answered=2)
    assert score_of(f, B).grade is Grade.UNKNOWN and score_of(f, B).score is None


def test_bounds_default_to_the_budgets() -> None:
    assert (B.rtt_ms.good, B.rtt_ms.poor) == QUALITY_RTT_MS
    assert (B.jitter_ms.good, B.jitter_ms.poor) == QUALITY_JITTER_MS
    assert (B.loss.good, B.loss.poor) == QUALITY_LOSS


ms = st.floats(min_value=0.0, max_value=2000.0, allow_nan=False)
frac = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
GRADE_RANK = {Grade.GOOD: 0, Grade.FAIR: 1, Grade.POOR: 2}


@given(p95=ms, worse=ms, jit=ms, loss=frac)
def test_a_worse_rtt_never_raises_the_score(
    p95: float, worse: float, jit: float, loss: float
) -> None:
    a, b = score_of(figures(p95, jit, loss)), score_of(figures(p95 + worse, jit, loss))
    assert a.score is not None and b.score is not None and b.score <= a.score
    assert GRADE_RANK[b.grade] >= GRADE_RANK[a.grade]


@given(p95=ms, jit=ms, worse=ms, loss=frac)
def test_a_worse_jitter_never_raises_the_score(
    p95: float, jit: float, worse: float, loss: float
) -> None:
    a, b = score_of(figures(p95, jit, loss)), score_of(figures(p95, jit + worse, loss))
    assert a.score is not None and b.score is not None and b.score <= a.score


@given(p95=ms, jit=ms, loss=frac, worse=frac)
def test_a_worse_loss_never_raises_the_score(
    p95: float, jit: float, loss: float, worse: float
) -> None:
    a = score_of(figures(p95, jit, loss))
    b = score_of(figures(p95, jit, min(loss + worse, 1.0)))
    assert a.score is not None and b.score is not None and b.score <= a.score


@given(st.lists(st.one_of(st.none(), ms), max_size=40))
def test_figures_hold_their_invariants(rtts: list[float | None]) -> None:
    f = path_figures(path(rtts)).figures
    assert f.answered <= f.sent == len(rtts)
    assert f.loss is None or 0.0 <= f.loss <= 1.0
    if f.rtt_ms is not None:
        assert f.rtt_ms.min <= f.rtt_ms.p50 <= f.rtt_ms.p95 <= f.rtt_ms.max
    assert (f.jitter_ms is None) == (f.answered < 3)


@given(st.lists(st.one_of(st.none(), ms), max_size=20))
def test_the_json_block_reads_back(rtts: list[float | None]) -> None:
    q = quality_facts([path(rtts)], 20)
    back = quality_from_json(quality_json(q))
    assert quality_json(back) == quality_json(q)


def test_tcp_info_rtt_is_read_from_its_offset() -> None:
    option = TCP_INFO_OPTIONS["linux"]
    raw = bytearray(104)
    struct.pack_into("=I", raw, 68, 80_123)  # tcpi_rtt: 80.123 ms
    assert parse_rtt_us(bytes(raw), option) == 80_123
    assert parse_rtt_us(bytes(70), option) is None  # too short
    assert parse_rtt_us(bytes(104), option) is None  # no sample yet


def test_sources_are_labelled() -> None:
    p = dataclasses.replace(path([1.0, 2.0, 3.0]), samples=(Sample(1.0, source=RttSource.KERNEL),))
    assert path_figures(p).source is RttSource.KERNEL


@given(p95=ms, jit=st.one_of(st.none(), ms), loss=st.one_of(st.none(), frac))
def test_an_unmeasured_figure_never_yields_good_or_fair(
    p95: float, jit: float | None, loss: float | None
) -> None:
    s = score_of(figures(p95, jit, loss))
    if jit is None or loss is None:
        assert s.grade in (Grade.UNKNOWN, Grade.POOR)
        assert "every figure within" not in s.limit_text
