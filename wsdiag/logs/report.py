"""``wsdiag logs``: read the client's logs, print a timeline and findings, return the exit code.

Two renderers of one result: JSON (``"schema": "wsdiag.logs/1"``, documented by
``wsdiag/schema/logs.schema.json``) for machines, text for a person. Log text is untrusted:
everything taken from a log passes :func:`wsdiag.terminal.escape` before it reaches a
terminal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from wsdiag import __version__
from wsdiag.logs.files import (
    FileRead,
    LogFile,
    ReadProblem,
    discover,
    newest_first_by_lines,
    read_into,
    skip_reason,
)
from wsdiag.logs.findings import log_findings, no_logs_findings
from wsdiag.logs.parse import LogParser
from wsdiag.logs.since import parse_since
from wsdiag.terminal import (
    Paint,
    escape,
    path_text,
    to_json_text,
    use_colour,
    verdict_from_findings,
    write_out,
)
from wsdiag.vocab import codec
from wsdiag.vocab.logs import Endpoint, LogSummary, Outcome, Protocol, Session
from wsdiag.vocab.model import Severity
from wsdiag.vocab.results import Finding

SCHEMA = "wsdiag.logs/1"
TEXT_SESSIONS = 10  # the text timeline shows this many; JSON has every session kept

# --- collecting ----------------------------------------------------------------------------


@dataclass
class LogsResult:
    summary: LogSummary | None
    since: datetime | None
    searched: list[Path]
    files: list[FileRead] = field(default_factory=list)  # newest first
    skipped: list[LogFile] = field(default_factory=list)  # files in a log directory not read
    skip_reasons: dict[str, str] = field(default_factory=dict)  # path -> files.skip_reason
    problems: list[ReadProblem] = field(default_factory=list)
    findings: tuple[Finding, ...] = ()

    @property
    def exit_code(self) -> int:
        """check's rule: errors block (2), warnings degrade (1); nothing read is unknown (3)."""
        judged = bool(self.files)
        return verdict_from_findings((f.severity for f in self.findings), judged).exit_code


def collect(paths: Sequence[Path], since: datetime | None) -> LogsResult:
    found, problems, searched = discover(paths or None, since=since)
    # Newest by the logs' own lines (check reads them in the same order): "newest:" and the
    # order a session straddling a rotation is read in do not follow a copy's fresh mtime.
    files = newest_first_by_lines(found)
    parser = LogParser(since=since)
    result = LogsResult(summary=None, since=since, searched=searched, problems=problems)
    # Oldest first, so that a session that straddles a rotation is read in order.
    for file in reversed(files):
        why = skip_reason(file)
        if why is not None:
            result.skipped.append(file)
            result.skip_reasons[str(file.path)] = why
            continue
        done, problem = read_into(parser, file)
        if problem is not None:
            result.problems.append(problem)
        if done is not None:
            result.files.append(done)
    result.files.reverse()
    result.summary = parser.summary() if result.files else None
    findings = list(log_findings(result.summary, result.problems))
    # A path given that could not be read (a FIFO, /dev/zero, a file not readable) has its
    # own finding: "no log files were found" beside it would name the wrong cause.
    if not files and not result.problems:
        since_text = _iso(since) if since is not None else None
        findings[:0] = no_logs_findings([str(p) for p in searched], since_text)
    result.findings = tuple(findings)
    return result


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- JSON ----------------------------------------------------------------------------------


def to_json(result: LogsResult, now: datetime | None = None) -> dict[str, object]:
    summary = result.summary
    return {
        "schema": SCHEMA,
        "tool_version": __version__,
        "generated_at": _iso(now or datetime.now(UTC)),
        "since": _iso(result.since) if result.since else None,
        "searched": [path_text(p) for p in result.searched],
        "files": [
            {
                "path": path_text(r.file.path),
                "size": r.file.size,
                "mtime": _iso(datetime.fromtimestamp(r.file.mtime, UTC)),
                "compressed": r.file.compressed,
                "bytes_read": r.bytes_read,
                "lines": r.lines,
                "tail_only": r.tail_only,
                "long_lines": r.long_lines,
                "stopped_early": r.stopped_early,
            }
            for r in result.files
        ],
        "skipped": [
            {"path": path_text(f.path), "reason": result.skip_reasons.get(str(f.path), "binary")}
            for f in result.skipped
        ],
        "problems": [
            {"path": path_text(p.path), "kind": str(p.kind), "detail": p.detail}
            for p in result.problems
        ],
        "client_version": summary.client_version if summary else None,
        "lines": summary.lines if summary else 0,
        "unknown_lines": summary.unknown_lines if summary else 0,
        "sessions_total": summary.sessions_total if summary else 0,
        "sessions": codec.encode(summary.sessions) if summary else [],
        "errors": codec.encode(summary.errors) if summary else [],
        "findings": codec.encode(result.findings),
        "exit_code": result.exit_code,
    }


# --- text ----------------------------------------------------------------------------------

_SEVERITY_STYLE = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


def _by_host(endpoints: Sequence[Endpoint]) -> list[str]:
    hosts: dict[str, list[str]] = {}
    for e in endpoints:
        hosts.setdefault(e.host, []).append(e.label)
    return [f"{escape(h)}  {' '.join(labels)}" for h, labels in hosts.items()]


_PROTOCOL_NAMES = {Protocol.DCV: "DCV", Protocol.PCOIP: "PCoIP", Protocol.UNKNOWN: "?"}


def _outcome_text(s: Session, paint: Paint) -> str:
    outcome = s.outcome
    if outcome is Outcome.BROKER_ERROR:
        return paint("refused by the broker", "error")
    if outcome is Outcome.NO_ENDPOINT_REACHABLE:
        when = escape(s.no_endpoint_reachable_time or "")
        return paint(f"no endpoint reachable ({when})", "error")
    if outcome is Outcome.CONNECTING:
        parts = ["connecting"]
        if s.attempted is not None:
            parts.append(f"to {escape(s.attempted.host)} {s.attempted.label}")
        if s.connect_transport:
            parts.append(f"using {escape(s.connect_transport)}")
        if s.reconnection:
            parts.append("(reconnection)")
        return paint(" ".join(parts), "ok")
    if outcome is Outcome.CLIENT_ERROR:
        return paint("failed in the client before any endpoint was tried", "error")
    if outcome is Outcome.PROBED:
        return "endpoints probed; no connection attempt in the log"
    return paint("started; nothing more in the log", "dim")


def _session_lines(s: Session, paint: Paint) -> list[str]:
    ident = s.session_id or (f"request {s.request_id}" if s.request_id else s.key)
    head = "  ".join(
        x
        for x in (
            paint(escape(s.start_time or "(no time)"), "bold"),
            _PROTOCOL_NAMES[s.protocol],
            escape(s.region or "?"),
            escape(ident),
        )
        if x
    )
    out = [head]

    def row(label: str, values: Sequence[str]) -> None:
        for i, value in enumerate(values):
            out.append(f"    {(label if i == 0 else ''):<10} {value}")

    if s.request_type:
        row("request", [escape(s.request_type)])
    if s.offered:
        row("offered", _by_host(s.offered))
    if s.probed or s.reachable:
        row("reachable", _by_host(s.reachable) or [paint("none", "error")])
    for e in s.errors:
        text = escape(e.code)
        if e.message:
            text += f": {escape(e.message)}"
        if e.action:
            text += f" ({escape(e.action)})"
        row("error", [paint(text, "error")])
    row("outcome", [_outcome_text(s, paint)])
    return out


def render_text(result: LogsResult, colour: bool = False) -> str:
    paint = Paint(colour)
    lines: list[str] = []
    summary = result.summary
    if result.files:
        total = sum(r.bytes_read for r in result.files)
        version = summary.client_version if summary else None
        head = f"WorkSpaces client logs: {len(result.files)} file(s), {_size(total)} read"
        if version:
            head += f", client {escape(version)}"
        if result.since:
            head += f", since {_iso(result.since)}"
        lines.append(paint(head, "bold"))
        lines.append(f"  newest: {escape(str(result.files[0].file.path))}")
        if summary is not None and summary.unknown_lines:
            n = summary.unknown_lines
            lines.append(
                f"  {n} line{'s' if n != 1 else ''} in a format wsdiag does not know "
                f"(of {summary.lines})"
            )
    else:
        lines.append(paint("WorkSpaces client logs: nothing could be read", "bold"))
    if summary is not None and summary.sessions:
        shown = summary.sessions[-TEXT_SESSIONS:]
        lines.append("")
        lines.append(
            f"Sessions: {summary.sessions_total} found, the last {len(shown)} shown, oldest first"
        )
        for s in shown:
            lines.append("")
            lines.extend(_session_lines(s, paint))
    if summary is not None and summary.errors:
        lines.append("")
        lines.append("Other errors:")
        for e in summary.errors[-TEXT_SESSIONS:]:
            text = f"  {escape(e.time or '')}  {escape(e.code)}"
            if e.message:
                text += f": {escape(e.message)}"
            lines.append(text)
    lines.append("")
    if result.findings:
        lines.append("Findings:")
        for f in result.findings:
            label = paint(f"{f.severity.upper():<8}", _SEVERITY_STYLE[f.severity])
            lines.append(f"  {label} {f.code}")
            lines.append(f"           {escape(f.message)}")
            if f.remediation:
                lines.append(f"           fix: {escape(f.remediation)}")
    else:
        lines.append("Findings: none")
    return "\n".join(lines) + "\n"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HANG = re.compile(r"( *)(?:fix: |[^ ]+ {2,})?")


def wrap_text(text: str, width: int) -> str:
    """``text`` with every line longer than ``width`` columns broken at spaces (pure).

    A continuation lines up with where the line's value starts: after a row's label and its
    column of spaces (``offered    ``, ``INFO     ``), after ``fix: ``, else under the line's
    own indent. Colour codes take no column; a word longer than the width (a host name, a
    path) is never cut. ``width`` below 20 is taken as 20."""
    width = max(width, 20)
    out: list[str] = []
    for line in text.split("\n"):
        visible = _ANSI.sub("", line)
        if len(visible) <= width:
            out.append(line)
            continue
        hang = _HANG.match(visible)
        lead = len(hang.group(1)) if hang else 0
        indent = hang.end() if hang and hang.end() <= width // 2 else lead
        current, used = line[: len(line) - len(line.lstrip(" "))], lead
        gap = ""  # the spaces before the next word, kept as written on the same line
        for m in re.finditer(r"(\S+)( *)", line.lstrip(" ")):
            word, size = m.group(1), len(_ANSI.sub("", m.group(1)))
            # a break that would not move the word left gains nothing (a label's value)
            if gap and used + len(gap) + size > width and indent < used + len(gap):
                out.append(current)
                current, used = " " * indent + word, indent + size
            else:
                current += gap + word
                used += len(gap) + size
            gap = m.group(2)
        out.append(current)
    return "\n".join(out)


# --- the command ---------------------------------------------------------------------------


def logs_command(
    paths: list[Path],
    since: str | None,
    json_out: bool,
    no_redact: bool = False,
    width: int | None = None,
) -> int:
    """``wsdiag logs [PATH…] [--since X] [--json] [--no-redact]``: print, and return the
    exit code. The text is wrapped to ``width`` columns (the terminal's; None: not at all).

    0 nothing wrong, 1 warnings, 2 errors found, 3 nothing could be read. Redacted like
    every other output: the names and homes of this account and of whoever owns the files
    read (as root: the profile they lie in), in every spelling (wsdiag.redact).
    A bad ``--since`` raises :class:`~wsdiag.errors.WsdiagError` (the CLI turns it into
    exit 3).
    """
    from wsdiag.host.identity import redaction

    now = datetime.now(UTC)
    cutoff = parse_since(since, now) if since is not None else None
    result = collect(paths, cutoff)
    read = [*result.searched, *(r.file.path for r in result.files)]
    hide = redaction(no_redact, False, read=read)
    # The values first (JSON), then the whole output: the text renderer adds paths of its own.
    if json_out:
        out = to_json_text(hide.json(to_json(result, now)))
    else:
        out = render_text(result, use_colour())
        if width is not None:
            out = wrap_text(out, width)
    # A reader that left early (a broken pipe) does not change what the logs say.
    write_out(hide.text(out))
    return result.exit_code
