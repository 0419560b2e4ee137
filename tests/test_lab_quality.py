"""Session quality in the lab (issue 20): delay, spread and loss on the router's path to
the endpoint, made by a TUN delayer in the router namespace (tests.support.delayer; these
kernels have no sch_netem), and what ``wsdiag check --samples`` measures of it.

UDP 443 to the endpoint is dropped in these runs (a common firewall shape), so each run
waits its timeout on QUIC 443 and the samples have room: samples never extend a run, they
fill the time it waits anyway. It also keeps the lab's QUIC server (Python aioquic, a full
TLS handshake per Initial) to two sampled paths: at four, its own queue added 20-60 ms to
the QUIC samples on a busy machine, a cost of the lab's server, not of the path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.lab.delay import delayed
from tests.lab.topology import Lab, Shape, list_namespaces, unavailable_reason
from wsdiag.quality.bounds import QualityBounds
from wsdiag.quality.json import quality_from_json
from wsdiag.quality.score import score_of

pytestmark = pytest.mark.lab

REGION = "eu-west-1"
WAIT = Shape(rules=("ip daddr @endpoints udp dport 443 drop",))  # the run waits on QUIC 443


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"network lab required under CI=true but unavailable: {reason}")
        pytest.skip(reason)
    with Lab(regions=(REGION,)) as built:
        prefix = built.prefix
        built.apply(WAIT)
        yield built
    assert not [n for n in list_namespaces() if n.startswith(prefix + "-")]


def quality(lab: Lab, samples: int, timeout: float) -> tuple[dict[str, Any], dict[str, Any]]:
    run = lab.run_wsdiag(REGION, "--samples", str(samples), timeout=timeout)
    assert run.report is not None, run.stderr[-2000:]
    q = run.report.get("quality")
    assert q is not None, run.stdout[-2000:]
    print({k: v for k, v in q.items() if k != "paths"})
    for p in q["paths"]:
        print(p)
    return run.report, q


def check_score(q: dict[str, Any]) -> None:
    """The score and grade are what the bounds say of the figures reported."""
    facts = quality_from_json(q)
    assert facts.overall is not None
    want = score_of(facts.overall, QualityBounds())
    assert (q["score"], q["grade"]) == (want.score, str(want.grade))


def test_delay_spread_and_loss_are_measured(lab: Lab) -> None:
    with delayed(lab, 80.0, 20.0, 0.02):
        _, q = quality(lab, 80, 3.0)
    o = q["overall"]
    assert o["sent"] >= 50
    # The kernel's TCP RTT holds to 15 %. QUIC samples are timed in wsdiag's loop and
    # include the lab server's handshake (Python aioquic, under whatever else the machine
    # runs): at least the delay, never held to 15 % (25 % more was seen at load 7).
    kernel = sorted(p["rtt_ms"]["p50"] for p in q["paths"] if p["source"] == "kernel")
    assert len(kernel) == 4, q["paths"]
    assert all(80 * 0.85 <= v <= 80 * 1.15 for v in kernel), kernel
    assert all(p["rtt_ms"]["p50"] >= 80 * 0.85 for p in q["paths"]), q["paths"]
    # a normal spread of 20 ms: consecutive differences average 2 x 20 / sqrt(pi) = 22.6 ms
    assert 20 / 2 <= o["jitter_ms"] <= 20 * 2, o
    # 6 paths x 80: 2 % loss gives ~10 lost; fewer than 3 has odds below 0.3 %
    assert o["judged"] >= 50 and 0.005 <= o["loss"] <= 0.06, o
    check_score(q)


def test_a_distant_endpoint_warns_about_the_rtt(lab: Lab) -> None:
    with delayed(lab, 300.0):
        report, q = quality(lab, 20, 3.0)
    codes = {f["code"] for f in report["findings"]}
    assert "ENDPOINT_HIGH_RTT" in codes
    assert q["limit"] == "rtt" and "DCV works but degrades above 250 ms" in q["limit_text"]
    assert q["grade"] in ("fair", "poor")
    check_score(q)


def test_a_clean_path_is_good(lab: Lab) -> None:
    _, q = quality(lab, 20, 2.0)
    assert q["grade"] == "good" and q["score"] == 100, q
    check_score(q)
