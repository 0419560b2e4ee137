"""`wsdiag watch`: schedule arithmetic and bookkeeping (pure), and the real command against a
loopback DNS server whose answers change between runs, ended by --count or by SIGINT."""

from __future__ import annotations

import io
import itertools
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.dnsserver import NXDOMAIN, DnsServer
from tests.support.processes import stop_process
from wsdiag.errors import WsdiagError
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.model import Environment, Severity, Tri, Verdict
from wsdiag.vocab.report import Diagnosis, Report
from wsdiag.vocab.results import Finding
from wsdiag.watch import (
    Observation,
    WatchState,
    change_line,
    next_start,
    parse_interval,
    share_text,
    watch,
)

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"
PRIVATE = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"
NET = random.randint(64, 250)  # one 127.NET.0.0/16 per run; --vpc-cidr makes 127.NET.1/24 "VPC"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("30", 30.0), ("5m", 300.0), ("1h", 3600.0), ("1.5s", 1.5), ("1500ms", 1.5)],
)
def test_parse_interval(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "500ms", "-1s", "5 minutes", "1d", "25h", "99999999h"])
def test_parse_interval_rejects(text: str) -> None:
    with pytest.raises(WsdiagError):
        parse_interval(text)


@pytest.mark.parametrize(
    ("previous", "interval", "now", "expected"),
    [
        (0.0, 30.0, 1.0, 30.0),  # a quick run: the next slot
        (0.0, 30.0, 29.9, 30.0),
        (0.0, 30.0, 30.0, 60.0),  # exactly at the slot: that one is gone
        (0.0, 30.0, 75.0, 90.0),  # a run of 75 s skips the slots at 30 and 60
    ],
)
def test_next_start_keeps_the_grid(
    previous: float, interval: float, now: float, expected: float
) -> None:
    assert next_start(previous, interval, now) == expected


@given(st.floats(0, 1e6), st.floats(1, 3600), st.floats(0, 1e5))
def test_next_start_is_future_and_on_the_grid(
    previous: float, interval: float, elapsed: float
) -> None:
    now = previous + elapsed
    nxt = next_start(previous, interval, now)
    k = round((nxt - previous) / interval)
    assert k >= 1 and abs(previous + k * interval - nxt) < 1e-6 * max(1.0, nxt)
    assert nxt > now - 1e-6 * max(1.0, now) and nxt - interval <= now + 1e-6 * max(1.0, now)


def _report(verdict: Verdict, env: Environment, *codes: str) -> Report:
    unknown = Evidence(*([Tri.UNKNOWN] * 15))
    findings = tuple(Finding(c, Severity.ERROR, c.lower()) for c in codes)
    return Report(
        "wsdiag.report/1",
        "0",
        REGION,
        (PRIVATE,),
        Diagnosis(env, verdict, findings, "r"),
        unknown,
        (),
        (),
        1.0,
        "",
    )


class FakeClock:
    """Monotonic time that only moves when the loop sleeps or a run takes time."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s

    def wall(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.t)


def test_loop_lines_changes_summary_and_worst_verdict() -> None:
    clock = FakeClock()
    runs = iter(
        [
            (1.0, _report(Verdict.READY, Environment.MINIMAL_EGRESS)),
            (25.0, _report(Verdict.BLOCKED, Environment.CLOSED, "AUTH_UNREACHABLE")),  # slow run
            (1.0, _report(Verdict.DEGRADED, Environment.MINIMAL_EGRESS, "ENDPOINT_QUIC_BLOCKED")),
            (1.0, _report(Verdict.DEGRADED, Environment.MINIMAL_EGRESS, "ENDPOINT_QUIC_BLOCKED")),
        ]
    )

    def run_once() -> Report:
        took, report = next(runs)
        clock.t += took
        return report

    out = io.StringIO()
    code = watch(
        run_once, 10.0, 4, out, monotonic=clock.monotonic, sleep=clock.sleep, wall=clock.wall
    )
    lines = out.getvalue().splitlines()
    assert code == 2  # blocked was seen: worst, whatever came after
    changes = [ln for ln in lines if " CHANGE " in ln]
    assert len(changes) == 2
    assert changes[0] == (
        "2026-01-01T00:00:10Z CHANGE verdict ready -> blocked; environment "
        "minimal-egress -> closed; findings +AUTH_UNREACHABLE"
    )
    # the slow run (10 s -> 35 s) skipped the slot at 20 and 30: the next start is at 40
    assert clock.sleeps == [9.0, 5.0, 9.0]
    assert lines[-1].startswith("watched 4 run(s), 2 change(s); worst verdict blocked (exit 2)")
    # ready 0-10 s, blocked 10-40 s, degraded 40-51 s (the end of the last run)
    assert lines[-1].endswith("time per verdict: blocked 59%, degraded 22%, ready 20%")


def test_no_run_at_all_is_unknown_and_failed_runs_count_as_unknown() -> None:
    clock = FakeClock()

    def fails() -> Report:
        raise WsdiagError("the run did not finish")

    out = io.StringIO()
    code = watch(fails, 5.0, 2, out, monotonic=clock.monotonic, sleep=clock.sleep)
    assert code == 3 and "run failed: the run did not finish" in out.getvalue()
    assert WatchState().exit_code == 3


def test_state_is_constant_size() -> None:
    state = WatchState()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(10_000):
        v = (Verdict.READY, Verdict.DEGRADED)[i % 2]
        state.add(Observation(at, v, Environment.HOME, frozenset({str(i % 3)})), float(i))
    assert state.runs == 10_000 and state.changes == 9_999
    assert len(state.seconds) == 2 and state.worst is Verdict.DEGRADED


# --- the real command, against a loopback DNS server ---------------------------------------


def _watch(dns: DnsServer, *extra: str) -> subprocess.Popen[str]:
    cmd = [
        sys.executable,
        "-m",
        "wsdiag",
        "watch",
        "--region",
        REGION,
        "--nameserver",
        dns.address,
        "--timeout",
        "0.5",
        "--no-logs",
        "--no-proxy",
        "--vpc-cidr",
        f"127.{NET}.1.0/24",
        *extra,
    ]
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _readline(proc: subprocess.Popen[str], deadline: float) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"watch ended early: {proc.stderr.read() if proc.stderr else ''}"
    assert time.monotonic() < deadline
    return line


@pytest.fixture()
def dns() -> object:
    with DnsServer(f"127.{NET}.0.53") as server:
        yield server


def test_watch_shows_a_change_when_dns_answers_change(dns: DnsServer) -> None:
    dns.zone = {PRIVATE: NXDOMAIN}
    proc = _watch(dns, "--interval", "2s", "--count", "2")
    try:
        deadline = time.monotonic() + 60
        first = _readline(proc, deadline)
        assert " blocked " in first and "ENDPOINT_NXDOMAIN" in first
        # the endpoint now resolves to a "VPC" (loopback) address where nothing listens
        dns.zone = {PRIVATE: [f"127.{NET}.1.10"], "*": NXDOMAIN}
        rest = proc.communicate(timeout=60)[0]
    finally:
        stop_process(proc)
    assert proc.returncode == 2
    change = next(ln for ln in rest.splitlines() if " CHANGE " in ln)
    assert "-ENDPOINT_NXDOMAIN" in change, rest
    assert rest.splitlines()[-1].startswith("watched 2 run(s), 1 change(s); worst verdict blocked")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_ends_watch_with_a_summary_and_the_worst_exit_code(
    dns: DnsServer, sig: signal.Signals
) -> None:
    """Ctrl-C, and SIGTERM (systemd's stop, an agent's timeout): the runs done have answered,
    so watch ends with the summary and the worst verdict's code (SIGTERM exited 3 saying the
    check had not finished, after ten had: a fresh tester, stop 27)."""
    dns.zone = {PRIVATE: NXDOMAIN}
    proc = _watch(dns, "--interval", "1h")
    try:
        _readline(proc, time.monotonic() + 60)
        proc.send_signal(sig)  # while it sleeps towards the next slot
        out, err = proc.communicate(timeout=30)
    finally:
        stop_process(proc)
    assert proc.returncode == 2, err
    lines = out.splitlines()
    assert lines[-1].startswith("watched 1 run(s), 0 change(s); worst verdict blocked")
    if sig is signal.SIGTERM:
        assert lines[-2].endswith("stopped by SIGTERM"), out
    assert "Traceback" not in err and "before the check finished" not in err


@pytest.mark.parametrize(
    ("part", "total", "text"),
    [
        (0.4, 600.4, "<1%"),  # a last run of 0.4 s after 10 minutes of another verdict
        (600.0, 600.4, ">99%"),
        (3.0, 300.0, "1%"),
        (150.0, 300.0, "50%"),
        (300.0, 300.0, "100%"),
        (0.0, 300.0, "0%"),  # only a verdict that held no time at all reads 0%
    ],
)
def test_a_share_that_held_time_never_reads_0_or_100(part: float, total: float, text: str) -> None:
    assert share_text(part, total) == text


@given(st.floats(0.001, 1e6), st.floats(0.001, 1e6))
def test_share_text_is_never_zero_for_time_held(part: float, other: float) -> None:
    assert share_text(part, part + other) not in ("0%", "100%")


def test_the_last_run_of_a_long_watch_is_not_0_percent() -> None:
    clock = FakeClock()
    runs = iter(
        [
            (0.5, _report(Verdict.READY, Environment.MINIMAL_EGRESS)),
            (0.5, _report(Verdict.BLOCKED, Environment.CLOSED, "AUTH_UNREACHABLE")),
        ]
    )

    def run_once() -> Report:
        took, report = next(runs)
        clock.t += took
        return report

    out = io.StringIO()
    watch(run_once, 300.0, 2, out, monotonic=clock.monotonic, sleep=clock.sleep, wall=clock.wall)
    assert out.getvalue().splitlines()[-1].endswith("time per verdict: blocked <1%, ready >99%")


# --- a quality that was not known is no change (FRESH-REPORT item 18) ------------------------


def _obs(grade: str, i: int = 0) -> Observation:
    at = datetime(2026, 12, 4, 0, 0, i, tzinfo=UTC)
    return Observation(at, Verdict.READY, Environment.OPEN_EGRESS, frozenset(), grade)


@pytest.mark.parametrize(
    ("grades", "changes"),
    [
        (["unknown", "good"], []),  # the first run's loss was not measured: not known before
        (["", "good"], []),  # no quality block at all (--samples 0), then one
        (["good", "unknown"], []),  # not measured this time: not known to differ
        (["good", "unknown", "good"], []),
        (["good", "poor"], ["quality good -> poor"]),
        # a grade lost for a run and back changed: compared with the last known grade
        (["good", "unknown", "poor"], ["quality good -> poor"]),
        (["unknown", "fair", "fair", "poor", ""], ["quality fair -> poor"]),
    ],
)
def test_quality_changes_only_between_known_grades(grades: list[str], changes: list[str]) -> None:
    state = WatchState()
    lines = []
    for i, g in enumerate(grades):
        obs = _obs(g, i)
        before_grade = state.known_grade
        before = state.last
        if state.add(obs, float(i)) and before is not None:
            lines.append(change_line(before, obs, before_grade))
    assert [ln.split(" CHANGE ", 1)[1] for ln in lines] == changes
    assert state.changes == len(changes)


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["", "unknown", "good", "fair", "poor"]), max_size=12))
def test_a_quality_change_is_a_known_grade_after_a_different_known_one(grades: list[str]) -> None:
    state = WatchState()
    known = [g for g in grades if g not in ("", "unknown")]
    expected = sum(1 for a, b in itertools.pairwise(known) if a != b)
    for i, g in enumerate(grades):
        state.add(_obs(g, i), float(i))
    assert state.changes == expected
