"""Which of the client's logged sessions count in a check (issue 19 item 1). Pure.

A log is the client's past: a session of last year, or of another region's directory, says
nothing about this network now. Only sessions of the window (the last LOGS_RECENT_S, or
``--logs-since``) and of the checked region count; the rest are one note with the newest
one's age. A session's time is its own timestamp; the file's modification time stands in
only where the log has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from wsdiag.logs.sessions import to_datetime
from wsdiag.vocab.logs import LogSummary, Session


@dataclass(frozen=True)
class Scoped:
    """The summary with only the sessions that count, and what was left out."""

    summary: LogSummary
    left_out: tuple[Session, ...]  # oldest first
    old: int  # of them, older than the window
    other_region: tuple[str, ...]  # the other regions they name, sorted


def session_time(
    s: Session, mtimes: Mapping[str, float], newest_mtime: float | None
) -> float | None:
    """Seconds since the epoch: the session's own start time; else its file's mtime; else
    the newest file's mtime (the session was read from one of them); None: no clue."""
    own = to_datetime(s.start_time) if s.start_time else None
    if own is not None:
        return own.timestamp()
    if s.source is not None and s.source in mtimes:
        return mtimes[s.source]
    return newest_mtime


def scope(
    summary: LogSummary,
    since: datetime,
    region: str | None,
    mtimes: Mapping[str, float] | None = None,
) -> Scoped:
    """Keep the sessions started at or after ``since`` whose region (where they name one)
    is ``region`` (None: any); errors not tied to a session count by their own time (the
    newest file's mtime where they have none). ``mtimes``: file path -> mtime (s)."""
    mtimes = mtimes or {}
    newest = max(mtimes.values(), default=None)
    cut = since.timestamp()
    kept: list[Session] = []
    left: list[Session] = []
    old = 0
    others: set[str] = set()
    for s in summary.sessions:
        t = session_time(s, mtimes, newest)
        too_old = t is not None and t < cut
        foreign = region is not None and s.region is not None and s.region != region.lower()
        if too_old or foreign:
            left.append(s)
            old += too_old
            if foreign and s.region:
                others.add(s.region)
        else:
            kept.append(s)
    errors = []
    for e in summary.errors:
        when = to_datetime(e.time) if e.time else None
        t = when.timestamp() if when is not None else newest
        if t is None or t >= cut:
            errors.append(e)
    out = replace(summary, sessions=tuple(kept), errors=tuple(errors))
    return Scoped(out, tuple(left), old, tuple(sorted(others)))


def regions_named(summary: LogSummary) -> tuple[str, ...]:
    """Every region the logged sessions name (``prod-<region>-<uuid>``), of any age, sorted,
    lower case: what the client has been used for on this machine (REGION_MISMATCH)."""
    return tuple(sorted({s.region.lower() for s in summary.sessions if s.region}))


def age_words(seconds: float) -> str:
    """``3 days``, ``5 weeks``, ``15 months``, ``2 years``: the unit a person would say."""
    days = max(0.0, seconds) / 86400
    if days < 1:
        hours = max(1, round(days * 24))
        return f"{hours} hour{'s' if hours != 1 else ''}"
    for limit, size, unit in ((14, 1, "day"), (61, 7, "week"), (730, 30.44, "month")):
        if days < limit:
            n = round(days / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = round(days / 365.25)
    return f"{n} year{'s' if n != 1 else ''}"


def why_left(scoped: Scoped, since: datetime) -> str:
    """``older than 2026-11-26``, ``for us-east-1``, or both."""
    parts = []
    if scoped.old:
        parts.append(f"older than {since.date().isoformat()}")
    if scoped.other_region:
        parts.append("for " + ", ".join(scoped.other_region))
    return " or ".join(parts)
