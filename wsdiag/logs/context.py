"""What the client's own logs give ``wsdiag check``, as typed values: the context read before
the run (region, private name, findings) and the record the report carries after it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from wsdiag.vocab.logs import ClientLogs, LogContext
from wsdiag.vocab.model import Status
from wsdiag.vocab.results import ProbeResult

if TYPE_CHECKING:  # the parser is imported only when logs are read (--no-logs skips it)
    pass


def read_logs(paths: Sequence[Path] | None, until: float | None = None) -> LogContext:
    """The context from the newest client logs (``None``: this user's default log folder;
    run as SYSTEM/root, the profile whose client logged most recently). Never raises for
    I/O problems: they come back as findings. ``until``: a ``time.monotonic()`` value at
    which reading stops (check's share of its run deadline)."""
    from wsdiag.host.identity import other_users_logs
    from wsdiag.logs.evidence import client_log_evidence

    owner = None
    if not paths:
        other = other_users_logs()
        if other is not None:
            owner, paths = other
    ev = client_log_evidence(paths, until=until)
    if ev is None:
        return LogContext(owner=owner)
    # Only the name the client itself tried or reached (listed first): the session header
    # has been seen to print a variant (".WSP.") that the client never dials.
    return LogContext(ev.region, ev.private_hosts[:1], ev.findings, ev, owner)


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
