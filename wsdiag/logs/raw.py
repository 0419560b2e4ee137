"""The newest client logs read and parsed for ``wsdiag check``, before any session is judged.

Apart from the evidence they give (wsdiag.logs.evidence) because most machines a check runs
on have no client logs at all: finding none needs only the file search, and the parser, the
findings and their rows are imported where there is something to read (about 50 ms that a
check's first packet no longer waits for)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from wsdiag.logs.files import discover, looks_like_text, newest_first_by_lines, read_into
from wsdiag.vocab.logs import LogSummary, RawLogs

_MAX_FILES = 3


def read_raw(
    paths: Sequence[Path] | None = None,
    *,
    max_bytes: int = 8 * 1024 * 1024,
    until: float | None = None,
) -> RawLogs | None:
    """The newest client log(s) parsed, before any session is judged; ``None`` when there
    are no logs at all.

    Reads at most ``max_bytes`` in all, from the end of each file, newest file first (by
    the time of its newest line, its mtime where it has none: ``newest_first_by_lines``), and
    stops at the first file that records a session. A ``.gz`` file cannot be read from the
    end, so it is only read when its compressed size is a small part of the budget. Never
    raises for I/O problems: they come back as LOGS_UNREADABLE findings. ``until`` (a
    ``time.monotonic()`` value) ends the reading there: what was parsed by then counts.
    """
    found, problems, _ = discover(paths)
    if not found and not problems:
        return None
    from wsdiag.logs.findings import problem_findings
    from wsdiag.logs.parse import LogParser

    # "Newest" is by the logs' own lines, as `wsdiag logs` orders sessions: a copy of an
    # old log touched now must not stand for the client's current version or last session.
    files = newest_first_by_lines(found, until=until)
    budget = max(0, max_bytes)
    version: str | None = None
    read_paths: list[str] = []
    chosen: LogSummary | None = None
    for file in files:
        if len(read_paths) >= _MAX_FILES or budget <= 0:
            break
        if until is not None and time.monotonic() > until:
            break
        if file.compressed and file.size > budget // 8:
            continue
        if not looks_like_text(file):
            continue
        parser = LogParser()
        done, problem = read_into(parser, file, tail_bytes=budget, until=until)
        if problem is not None:
            problems.append(problem)
            continue
        assert done is not None
        budget -= done.bytes_read
        read_paths.append(str(file.path))
        summary = parser.summary()
        version = version or summary.client_version
        if summary.sessions:
            chosen = summary
            break
        if chosen is None:
            chosen = summary
    if chosen is not None and version is not None and chosen.client_version != version:
        # The newest file (by its lines) knows the client's current version best.
        chosen = replace(chosen, client_version=version)
    if chosen is None and not problems:
        return None
    mtimes = tuple((str(f.path), f.mtime) for f in files if str(f.path) in read_paths)
    return RawLogs(chosen, problem_findings(problems), tuple(read_paths), mtimes)
