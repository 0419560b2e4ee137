"""A to-do list per team (issue 19): each host's newest report as one small row, and the
rows one owner acts on. Pure, bounded: at most MAX_HOSTS hosts are kept, the rest counted.

A row is the host, its report's time, verdict, environment, main code and fix: the first
action of the first owner, as ``--format line`` and the text's WHAT TO DO say it
(``wsdiag.render.formats.in_advice_order``); per owner, that owner's first code and fix.
Reports written with ``--redact-host`` name no host (``***``): they are told apart by the
file they came from, and the table says so (``by_file``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from wsdiag.budgets import MAX_HOSTS
from wsdiag.render.formats import in_advice_order
from wsdiag.vocab.model import Verdict

OWNERS = ("network", "aws", "desktop", "user")
_RANK = {str(v): v.rank for v in Verdict}  # worse first, as the summary's worst hosts


@dataclass(frozen=True, slots=True)
class Action:
    code: str
    fix: str


@dataclass(frozen=True, slots=True)
class HostRow:
    host: str
    time: str  # the report's started_at, ISO 8601 UTC
    verdict: str
    environment: str
    main: Action | None  # the first owner's first action; None: nothing to act on
    by_owner: tuple[tuple[str, Action], ...]  # each owner's first action, advice order
    by_file: bool  # the report names no host: this row stands for its file
    where: str

    def action_for(self, owner: str | None) -> Action | None:
        if owner is None:
            return self.main
        return next((a for o, a in self.by_owner if o == owner), None)


def _text(v: object, default: str = "(none)") -> str:
    return v if isinstance(v, str) and v else default


def file_of(where: str) -> str:
    """The file a record came from: ``path`` of ``path:line`` (JSON lines) or ``path[i]``."""
    head, sep, tail = where.rpartition(":")
    if sep and tail.isdigit():
        where = head
    return where.split("[", 1)[0] if where.endswith("]") else where


# A report dated more than this after the reading machine's clock was written by a host
# whose clock is wrong: its time says nothing about which of that host's reports is newest.
FUTURE_SLACK = timedelta(days=1)
_MAX_TIME_CHARS = 64  # "2026-12-04T10:00:00.123456+05:30" is 32; a longer value is no time


def time_rank(value: object, now: datetime | None = None) -> tuple[int, float]:
    """A report's ``started_at`` as a sort key, newest highest: ``(2, seconds)`` for an ISO
    8601 time with an offset, ``(1, seconds)`` for one more than FUTURE_SLACK after ``now``
    (a wrong clock: below every plausible time, still ordered), ``(0, 0.0)`` for anything
    else (no offset, not a time: "9999-99-99"), which never wins while a time is there.
    Comparing the text instead put "9999-99-99" after every real date and "10:00+05:00"
    after "06:00Z". Pure."""
    if not isinstance(value, str) or len(value) > _MAX_TIME_CHARS:
        return (0, 0.0)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return (0, 0.0)
    if when.tzinfo is None or when.utcoffset() is None:
        return (0, 0.0)  # an hour of the day with no zone is not a point in time
    seconds = when.timestamp()
    if now is not None and when > now + FUTURE_SLACK:
        return (1, seconds)
    return (2, seconds)


def row_of(doc: dict[str, Any], where: str, fallback_host: str) -> HostRow:
    """One report's row (any wsdiag.report/N: missing fields read as none)."""
    host = doc.get("host")
    name = host.get("name") if isinstance(host, dict) else None
    named = isinstance(name, str) and bool(name.strip("*"))
    findings = [f for f in doc.get("findings") or [] if isinstance(f, dict)]
    ordered = in_advice_order(findings)
    by_owner: dict[str, Action] = {}
    main = None
    for f in ordered:
        action = Action(_text(f.get("code"), "?"), _text(f.get("remediation"), ""))
        main = main or action
        owner = f.get("owner")
        if isinstance(owner, str) and owner not in by_owner:
            by_owner[owner] = action
    return HostRow(
        # --redact-host: the file stands for the host (one machine's collected runs)
        host=name if named and isinstance(name, str) else file_of(where),
        time=_text(doc.get("started_at"), ""),
        verdict=_text(doc.get("verdict"), "unknown"),
        environment=_text(doc.get("environment"), "unknown"),
        main=main,
        by_owner=tuple(by_owner.items()),
        by_file=not named,
        where=where,
    )


@dataclass
class HostTable:
    """Each host's newest report (by the time its started_at names, ``time_rank``; a tie
    keeps the later one read)."""

    owner: str | None = None  # --owner: keep only rows this owner acts on
    now: datetime | None = None  # the reading machine's clock: reports far ahead are suspect
    limit: int = MAX_HOSTS
    rows: dict[str, HostRow] = field(default_factory=dict)
    over_cap: int = 0  # reports of hosts past the cap, not kept
    _over: set[str] = field(default_factory=set)
    _ranks: dict[str, tuple[int, float]] = field(default_factory=dict)  # host -> its row's

    def add(self, doc: dict[str, Any], where: str, fallback_host: str) -> None:
        row = row_of(doc, where, fallback_host)
        old = self.rows.get(row.host)
        if old is None and len(self.rows) >= self.limit:
            # counted once per host where the memory allows, else once per report
            if len(self._over) < self.limit:
                self._over.add(row.host)
            self.over_cap += 1
            return
        rank = time_rank(row.time, self.now)
        if old is None or rank >= self._ranks[row.host]:
            self.rows[row.host] = row
            self._ranks[row.host] = rank

    @property
    def hosts_over_cap(self) -> int:
        """Distinct hosts past the cap (a lower bound once that set itself is full)."""
        return len(self._over)

    @property
    def by_file(self) -> bool:
        return any(r.by_file for r in self.rows.values())

    def listed(self) -> list[HostRow]:
        """The rows shown: with ``owner``, only the hosts whose newest report that owner
        acts on; worst verdict first, then the newest."""
        rows = [r for r in self.rows.values() if r.action_for(self.owner) or self.owner is None]
        rows.sort(key=lambda r: self._ranks[r.host], reverse=True)
        rows.sort(key=lambda r: -_RANK.get(r.verdict, Verdict.UNKNOWN.rank))
        return rows

    def counts(self, key: str) -> dict[str, int]:
        """Hosts (not reports) by ``verdict`` or ``environment`` of their newest report."""
        out: dict[str, int] = {}
        for r in self.rows.values():
            k = getattr(r, key)
            out[k] = out.get(k, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def row_json(r: HostRow, owner: str | None) -> dict[str, Any]:
    action = r.action_for(owner)
    return {
        "host": r.host,
        "time": r.time,
        "verdict": r.verdict,
        "environment": r.environment,
        "code": action.code if action else None,
        "fix": action.fix if action else None,
        "by_file": r.by_file,
        "where": r.where,
    }


def table_json(t: HostTable) -> dict[str, Any]:
    """The ``hosts`` block of wsdiag.summary/1 (new beside the report counts: ``reports``
    and the counts keep counting reports)."""
    return {
        "count": len(t.rows),
        "over_cap": t.over_cap,
        "hosts_over_cap": t.hosts_over_cap,
        "max_hosts": t.limit,
        "by_file": t.by_file,
        "owner": t.owner,
        "verdict": t.counts("verdict"),
        "environment": t.counts("environment"),
        "rows": [row_json(r, t.owner) for r in t.listed()],
    }


def table_lines(t: HostTable) -> list[str]:
    title = f"To do for {t.owner}" if t.owner else "Hosts (each host's newest report)"
    rows = t.listed()
    out = ["", f"{title}: {len(rows)} of {len(t.rows)} host(s)"]
    if t.over_cap:
        out.append(
            f"  ({t.over_cap} report(s) of hosts past the cap of {t.limit} not listed; "
            "summarize fewer folders at a time)"
        )
    if t.by_file:
        out.append("  (reports written with --redact-host name no host: one row per file)")
    for r in rows:
        a = r.action_for(t.owner)
        fix = f"{a.code}: {a.fix}" if a else "-"
        out.append(f"  {r.host}  {r.time}  {r.verdict}  {r.environment}  {fix}")
    if not rows:
        out.append("  (none)")
    return out


def table_csv_rows(t: HostTable) -> list[list[object]]:
    """Rows of kind ``host``: key = host, count = 1, detail = the row's fields."""
    out: list[list[object]] = [["hosts", "", len(t.rows), f"over_cap {t.over_cap}"]]
    for r in t.listed():
        a = r.action_for(t.owner)
        out.append(
            [
                "host",
                r.host,
                1,
                " | ".join(
                    [r.time, r.verdict, r.environment, a.code if a else "-", a.fix if a else "-"]
                ),
            ]
        )
    return out
