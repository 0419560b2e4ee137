"""``wsdiag watch``: the check again and again, one line per run, a marked line per change.

For the laptop that fails "sometimes": Wi-Fi roaming, VPN reconnects, a firewall change.
Memory is constant however long it runs: only counters and the previous run are kept.
The schedule keeps its interval: run k starts at start + k x interval; a run that takes
longer than the interval makes the missed slots be skipped, never run back to back.

The loop takes the check, the clock and the sleep as arguments, so it is tested with real
checks against loopback servers as well as with stand-ins for the schedule arithmetic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from wsdiag.errors import WsdiagError
from wsdiag.quality.score import Grade
from wsdiag.vocab.model import Environment, Verdict
from wsdiag.vocab.report import Report

# Monitoring order: what a dashboard must show when the runs disagree.
RANK = {Verdict.READY: 0, Verdict.DEGRADED: 1, Verdict.UNKNOWN: 2, Verdict.BLOCKED: 3}
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.IGNORECASE)
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
MIN_INTERVAL = 1.0
# watch follows a session or a day of roaming; a longer schedule is cron's or an agent's
# (examples/recipes), and the platform's sleep refuses one past its time_t.
MAX_INTERVAL = 24 * 3600.0


def parse_interval(text: str) -> float:
    """``30s``, ``5m``, ``1h``, ``90`` (seconds) -> seconds. Raises WsdiagError below 1 s,
    above 24 h, or on anything else."""
    m = _INTERVAL.match(text)
    if not m:
        raise WsdiagError(f"--interval {text!r}: expected a duration like 30s, 5m or 1h")
    seconds = float(m[1]) * _UNIT[(m[2] or "s").lower()]
    if seconds < MIN_INTERVAL:
        raise WsdiagError(f"--interval {text!r}: at least {MIN_INTERVAL:g} s")
    if seconds > MAX_INTERVAL:
        raise WsdiagError(
            f"--interval {text!r}: at most {MAX_INTERVAL / 3600:g}h"
            " (for a longer schedule, run wsdiag check from cron or an agent)"
        )
    return seconds


def next_start(previous: float, interval: float, now: float) -> float:
    """The first slot previous + k x interval (k >= 1) that is not already past ``now``."""
    k = max(1, math.floor((now - previous) / interval) + 1)
    return previous + k * interval


@dataclass(frozen=True)
class Observation:
    at: datetime  # when the run started (UTC)
    verdict: Verdict
    environment: Environment
    codes: frozenset[str]
    # session quality (wsdiag.quality): grade "" when the report has none (--samples 0 too)
    grade: str = ""
    quality: str = ""  # "q 89 p50 81 p95 112 ms" for the run line

    @classmethod
    def of(cls, at: datetime, report: Report) -> Observation:
        d = report.diagnosis
        grade, quality = _quality(report)
        return cls(
            at, d.verdict, d.environment, frozenset(f.code for f in d.findings), grade, quality
        )


def _quality(report: Report) -> tuple[str, str]:
    q = report.evidence.quality
    if q is None or q.samples == 0:
        return "", ""
    f = q.overall
    rtt = f"p50 {f.rtt_ms.p50:.0f} p95 {f.rtt_ms.p95:.0f} ms" if f and f.rtt_ms else "p50 - p95 -"
    score = "-" if q.score.score is None else str(q.score.score)
    return str(q.score.grade), f"quality {q.score.grade} {score} {rtt}"


def known_grade(grade: str) -> bool:
    """A grade that was measured: not "" (no quality block, --samples 0) nor "unknown"
    (too few samples answered: a first run's loss is not measured yet)."""
    return grade not in ("", str(Grade.UNKNOWN))


def grade_changed(before: str, now: str) -> bool:
    """True when ``now`` is a measured grade other than the last measured one, ``before``.
    Unknown to good is no change: the quality was not known before, so nothing is known to
    have changed (the CHANGE line said "quality unknown -> good" on a stable network);
    good to unknown neither (not measured this time). ``before`` is the last *known*
    grade, so good, unknown, poor is still the change good -> poor."""
    return known_grade(before) and known_grade(now) and before != now


@dataclass
class WatchState:
    """Everything kept between runs: counters, the previous run, seconds per verdict."""

    runs: int = 0
    changes: int = 0
    worst: Verdict | None = None
    seconds: dict[Verdict, float] = field(default_factory=dict)
    last: Observation | None = None
    known_grade: str = ""  # the last measured session-quality grade ("": none yet)
    _last_mono: float = 0.0

    def add(self, obs: Observation, mono: float) -> bool:
        """Record one run (``mono``: monotonic seconds at its start); True if it changed
        the verdict, the environment or the finding set, or measured a session-quality
        grade other than the last one measured (``grade_changed``)."""
        changed = self.last is not None and (
            (obs.verdict, obs.environment, obs.codes)
            != (self.last.verdict, self.last.environment, self.last.codes)
            or grade_changed(self.known_grade, obs.grade)
        )
        if known_grade(obs.grade):
            self.known_grade = obs.grade
        if self.last is not None:
            self._credit(mono)
        self.runs += 1
        self.changes += changed
        if self.worst is None or RANK[obs.verdict] > RANK[self.worst]:
            self.worst = obs.verdict
        self.last, self._last_mono = obs, mono
        return changed

    def finish(self, mono: float) -> None:
        """Credit the time since the last run to its verdict (at the end of watching)."""
        if self.last is not None:
            self._credit(mono)
            self._last_mono = mono

    def _credit(self, mono: float) -> None:
        assert self.last is not None
        v = self.last.verdict
        self.seconds[v] = self.seconds.get(v, 0.0) + max(0.0, mono - self._last_mono)

    @property
    def exit_code(self) -> int:
        return (self.worst or Verdict.UNKNOWN).exit_code


def _t(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_line(obs: Observation) -> str:
    codes = ",".join(sorted(obs.codes)) or "-"
    line = f"{_t(obs.at)} {obs.verdict:<8} {obs.environment:<14} {codes}"
    return f"{line} {obs.quality}" if obs.quality else line


def change_line(before: Observation, now: Observation, before_grade: str | None = None) -> str:
    """The CHANGE line from run ``before`` to run ``now``; ``before_grade``: the last
    measured grade (``WatchState.known_grade`` before ``now`` was added; default: the
    previous run's)."""
    parts = []
    if before.verdict != now.verdict:
        parts.append(f"verdict {before.verdict} -> {now.verdict}")
    if before.environment != now.environment:
        parts.append(f"environment {before.environment} -> {now.environment}")
    was = before.grade if before_grade is None else before_grade
    if grade_changed(was, now.grade):
        parts.append(f"quality {was} -> {now.grade}")
    gone, new = sorted(before.codes - now.codes), sorted(now.codes - before.codes)
    if gone or new:
        parts.append("findings " + " ".join([f"+{c}" for c in new] + [f"-{c}" for c in gone]))
    return f"{_t(now.at)} CHANGE " + "; ".join(parts)


def share_text(part: float, total: float) -> str:
    """``part`` of ``total`` (seconds) as a whole percentage that never rounds a verdict
    that held for some time to ``0%`` (nor one that did not hold all the time to ``100%``):
    ``<1%`` and ``>99%`` instead. Pure; ``total`` > 0."""
    pct = 100 * part / total
    if 0 < pct < 1:
        return "<1%"
    if 99 < pct < 100:
        return ">99%"
    return f"{pct:.0f}%"


def summary_lines(state: WatchState) -> list[str]:
    total = sum(state.seconds.values())
    shares = (
        ", ".join(
            f"{v} {share_text(s, total)}"
            for v, s in sorted(state.seconds.items(), key=lambda kv: -RANK[kv[0]])
            if s
        )
        if total > 0
        else "-"
    )
    worst = state.worst or Verdict.UNKNOWN
    return [
        f"watched {state.runs} run(s), {state.changes} change(s); worst verdict {worst} "
        f"(exit {state.exit_code}); time per verdict: {shares}"
    ]


def watch(
    run_once: Callable[[], Report],
    interval: float,
    count: int | None,
    out: TextIO,
    *,
    monotonic: Callable[[], float],
    sleep: Callable[[float], None],
    wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    highlight: Callable[[str], str] = lambda s: s,
) -> int:
    """Run ``run_once`` every ``interval`` seconds, ``count`` times (None: until Ctrl-C),
    writing to ``out``. Returns the exit code of the worst verdict seen (3 if none). A run
    that raises counts as unknown (RUN_FAILED); Ctrl-C ends watching with the summary (a
    KeyboardInterrupt whose text names another signal, such as "SIGTERM", is said in a
    line before it)."""
    state = WatchState()
    start = monotonic()
    try:
        while count is None or state.runs < count:
            at, mono = wall(), monotonic()
            try:
                obs = Observation.of(at, run_once())
            except Exception as exc:  # one failed run must not end days of watching
                obs = Observation(
                    at, Verdict.UNKNOWN, Environment.UNKNOWN, frozenset({"RUN_FAILED"})
                )
                why = str(exc) if isinstance(exc, WsdiagError) else f"{type(exc).__name__}: {exc}"
                out.write(f"{_t(at)} run failed: {why}\n")
            before, was = state.last, state.known_grade
            if state.add(obs, mono) and before is not None:
                out.write(highlight(change_line(before, obs, was)) + "\n")
            out.write(run_line(obs) + "\n")
            out.flush()
            if count is not None and state.runs >= count:
                break
            start = next_start(start, interval, monotonic())
            sleep(max(0.0, start - monotonic()))
    except KeyboardInterrupt as stop:
        out.write(f"\n{_t(wall())} stopped by {stop}\n" if str(stop) else "\n")
    state.finish(monotonic())
    for line in summary_lines(state):
        out.write(line + "\n")
    out.flush()
    return state.exit_code
