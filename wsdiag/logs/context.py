"""What the client's own logs give ``wsdiag check``, as typed values: the context read before
the run (region, private name, findings) and the record the report carries after it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from wsdiag.vocab.logs import ClientLogs, LogContext
from wsdiag.vocab.model import Status
from wsdiag.vocab.results import Finding, ProbeResult

if TYPE_CHECKING:  # the parser is imported only when logs are read (--no-logs skips it)
    pass


def read_logs(
    paths: Sequence[Path] | None,
    until: float | None = None,
    since: datetime | None = None,
) -> LogContext:
    """The context from the newest client logs (``None``: this user's default log folder;
    run as SYSTEM/root, the console user's profile). Never raises for I/O problems: they
    come back as findings. ``until``: a ``time.monotonic()`` value at which reading stops
    (check's share of its run deadline). ``since`` (``--logs-since``): sessions before it
    do not count (default: the last LOGS_RECENT_S); which count is decided once the region
    is known (``scope_logs``)."""
    from wsdiag.host.identity import other_users_logs
    from wsdiag.logs.raw import read_raw

    owner = None
    if not paths:
        other = other_users_logs()
        if other is not None:
            owner, paths = other
    raw = read_raw(paths, until=until)
    if raw is None:
        return LogContext(owner=owner, since=since)
    from wsdiag.logs.evidence import evidence_from_summary

    ev = evidence_from_summary(raw.summary, (), raw.files, raw.read_findings)
    # Only the name the client itself tried or reached (listed first): the session header
    # has been seen to print a variant (".WSP.") that the client never dials.
    return LogContext(ev.region, ev.private_hosts[:1], ev.findings, ev, owner, raw, since)


def scope_logs(logs: LogContext, region: str, now: datetime) -> LogContext:
    """The context as one check of ``region`` at ``now`` counts it: only the sessions of the
    window (``logs.since``, else LOGS_RECENT_S before ``now``) and of ``region`` give
    findings and private names; the rest are one LOGS_NOT_COUNTED note with the newest
    one's age. The region read from the logs stays (it may have chosen ``region``). Pure;
    idempotent."""
    raw = logs.raw
    if logs.scoped or raw is None or raw.summary is None:
        return replace(logs, scoped=True)
    # Imported only where there is a log to scope: a run without client logs (--no-logs,
    # a machine without the client) does not pay ~20 ms for them before its first packet.
    from wsdiag.budgets import LOGS_RECENT_S
    from wsdiag.logs.evidence import evidence_from_summary
    from wsdiag.logs.findings import not_counted_findings
    from wsdiag.logs.scope import age_words, scope, session_time, why_left

    since = logs.since or now - timedelta(seconds=LOGS_RECENT_S)
    mtimes = dict(raw.mtimes)
    scoped = scope(raw.summary, since, region, mtimes)
    notes: tuple[Finding, ...] = ()
    if scoped.left_out:
        newest = scoped.left_out[-1]
        t = session_time(newest, mtimes, max(mtimes.values(), default=None))
        when = newest.start_time or (
            datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds") if t else ""
        )
        age = age_words(now.timestamp() - t) if t is not None else ""
        why = why_left(scoped, since)
        notes = not_counted_findings(len(scoped.left_out), when, age, why, region)
    ev = evidence_from_summary(scoped.summary, (), raw.files, raw.read_findings, notes)
    if notes:  # "no sessions" would be false: there are, not counted (the note says why)
        ev = replace(ev, findings=tuple(f for f in ev.findings if f.code != "LOGS_NO_SESSIONS"))
    ev = replace(ev, region=logs.region)
    return replace(
        logs, private_hosts=ev.private_hosts[:1], findings=ev.findings, evidence=ev, scoped=True
    )


def compare_with_logs(logs: LogContext, probes: Sequence[ProbeResult]) -> str | None:
    """One line: what the client reached in its last session vs what we reach now."""
    ev = logs.evidence
    if ev is None or not ev.last_session_time:
        return None
    now = sorted(
        {
            f"{'TCP' if p.transport.is_tcp else str(p.transport).upper()}/{p.port}"
            for p in probes
            if p.target_id.startswith("endpoint") and p.status is Status.OPEN
        }
    )
    version = ev.client_version or "unknown version"
    saw = ", ".join(ev.last_reachable) if ev.last_reachable else "no endpoint reachable"
    return (
        f"last client session {ev.last_session_time} (client {version}) "
        f"reached: {saw}; wsdiag now reaches: {', '.join(now) or 'nothing'}"
    )


def client_logs(logs: LogContext, probes: Sequence[ProbeResult]) -> ClientLogs | None:
    """What the report carries about the logs, ``None`` when none were read."""
    if logs.evidence is None:
        return None
    return ClientLogs(logs.evidence, compare_with_logs(logs, probes))


def choose_region(
    option: str | None, env: Mapping[str, str], log_region: str | None
) -> tuple[str | None, str]:
    """The region and where it came from, first found wins: the ``--region`` option, then
    ``WSDIAG_REGION``, then ``AWS_REGION`` (``env``), then the client's logs. Returns
    ``(region, source)`` with source ``option`` | ``env`` | ``logs``; ``(None, "none")`` when
    nothing names one. Empty values count as unset. Pure."""
    if option:
        return option, "option"
    for var in ("WSDIAG_REGION", "AWS_REGION"):
        if env.get(var):
            return env[var], "env"
    if log_region:
        return log_region, "logs"
    return None, "none"
