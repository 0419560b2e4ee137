"""`wsdiag summarize PATH...`: read collected reports, print one table (text, CSV, JSON).

Parsing uses orjson when it is importable (about twice as fast as the standard library on
~15 kB reports, which is what makes the summary beat a hand-written json.loads loop; see
bench/bench_summarize.py) and falls back to the standard library's json otherwise.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from wsdiag.budgets import SUMMARIZE_MAX_UNUSABLE
from wsdiag.fleet.sources import Record, expand, records
from wsdiag.fleet.summary import FIELDS, Summary
from wsdiag.fleet.todo import OWNERS, HostTable, table_csv_rows, table_json, table_lines
from wsdiag.terminal import escape, is_terminal, to_json_text
from wsdiag.vocab.jsontext import NotJson, read_values

FORMATS = ("text", "csv", "json")
SUMMARY_SCHEMA = "wsdiag.summary/1"
EXIT_OK, EXIT_USAGE = 0, 3
TITLES = {
    "verdict": "Verdict",
    "environment": "Environment",
    "finding": "Finding code (hosts)",
    "region": "Region",
    "client_version": "Client version (from the client's logs)",
    "wsdiag_version": "wsdiag version",
    "quality_grade": "Session quality grade",
}


def _loader() -> Callable[[bytes], Any]:
    """orjson's loads: the fast path for a well-formed record; where orjson is missing, one
    that reads nothing, so that every record is read as ``show`` reads it (``_values``)."""
    try:
        import orjson
    except ImportError:  # orjson is a dependency; keep working without it
        return _no_fast_parser
    return orjson.loads


def _no_fast_parser(data: bytes) -> Any:
    raise ValueError("no fast parser")


def summarize(
    paths: list[str],
    top: int = 10,
    *,
    latest: bool = False,
    actionable: bool = False,
    owner: str | None = None,
) -> Summary:
    """Read every report under `paths` (files, folders, "-" for stdin) into a Summary.
    ``latest``: also each host's newest report as a row (``owner``: the rows that owner
    acts on, implies ``latest``); ``actionable``: info codes neither counted nor listed.

    Raises FileNotFoundError for a named path that does not exist; anything wrong inside a
    file (unreadable, not JSON, not a wsdiag report) is counted in the Summary instead."""
    loads = _loader()
    now = datetime.now(UTC)
    summary = Summary(top=top, actionable=actionable, now=now)
    if latest or owner is not None:
        summary.hosts = HostTable(owner=owner, now=now)
    for path, skip in expand(paths):
        if skip is not None:
            if skip == "not a report name":
                summary.add_skipped()
            else:
                summary.add_broken(path, skip)
            continue
        _read_file(summary, path, loads)
    return summary


def _read_file(summary: Summary, path: str, loads: Callable[[bytes], Any]) -> None:
    """One file's records into `summary`; a file whose records are mostly not reports is
    given up after SUMMARIZE_MAX_UNUSABLE of them (closing the generator closes the file)."""
    unusable = 0
    gen = records(path)
    try:
        for rec in gen:
            for value, where, host in _values(rec, loads):
                before = summary.reports
                if isinstance(value, NotJson):
                    summary.add_broken(where, str(value))
                else:
                    summary.add_document(value, where, host)
                if summary.reports == before:
                    unusable += 1
                    if unusable > SUMMARIZE_MAX_UNUSABLE and unusable > summary.reports:
                        summary.add_broken(
                            path,
                            f"stopped reading: {unusable} records in it are not reports "
                            "(broken or foreign), the rest is not read",
                        )
                        return
    finally:
        gen.close()


def _values(rec: Record, loads: Callable[[bytes], Any]) -> Iterator[tuple[Any, str, str]]:
    """The JSON values in one record, each with where it is and the host to name when it
    has none; a NotJson stands for what cannot be read. orjson first; a record it refuses
    (rare: broken, a byte order mark, several pretty reports one after another as `cat` of
    SSM outputs gives) is read as ``show`` reads it, in its words (read_values), the second
    of several values named "path#2"."""
    if rec.error is not None:
        yield NotJson(rec.error), rec.where, rec.fallback_host
        return
    try:
        doc = loads(rec.data)
    except (ValueError, RecursionError):  # orjson's JSONDecodeError is a ValueError
        pass
    else:
        yield doc, rec.where, rec.fallback_host
        return
    try:
        items = read_values(rec.data)
    except NotJson as exc:  # not UTF-8, empty: no value at all
        yield exc, rec.where, rec.fallback_host
        return
    if len(items) == 1:
        yield items[0], rec.where, rec.fallback_host
        return
    for i, item in enumerate(items, 1):
        yield item, f"{rec.where}#{i}", f"{rec.where}#{i}"


def to_dict(s: Summary) -> dict[str, Any]:
    """The JSON shape (schema wsdiag.summary/1): counts sorted by count, then name."""
    return {
        "schema": SUMMARY_SCHEMA,
        "reports": s.reports,
        "broken": {
            "count": s.broken,
            "named": [{"where": w, "reason": r} for w, r in s.named_broken],
        },
        "foreign": {
            "count": s.foreign,
            "named": [{"where": w, "reason": r} for w, r in s.named_foreign],
        },
        "skipped_files": s.skipped,
        **{name: dict(_sorted(s.counts[name])) for name in FIELDS},
        "worst_hosts": [
            {
                "host": h.host,
                "verdict": h.verdict,
                "environment": h.environment,
                "findings": list(h.findings),
                "started_at": h.started_at,
                "where": h.where,
            }
            for h in s.worst_hosts()
        ],
        "slowest_hosts": [
            {
                "host": h.host,
                "p95_ms": h.p95_ms,
                "grade": h.grade,
                "started_at": h.started_at,
                "where": h.where,
            }
            for h in s.slowest_hosts()
        ],
        # --latest/--owner: counts of hosts (their newest report), beside those of reports
        **({"hosts": table_json(s.hosts)} if s.hosts is not None else {}),
    }


def _sorted(counter: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def render_text(s: Summary) -> str:
    """For a person; every line passes terminal.escape() (no terminal escapes)."""
    return "".join(escape(line) + "\n" for line in _text_lines(s))


def _text_lines(s: Summary) -> list[str]:
    out = [
        f"{s.reports} report(s); {s.broken} broken, {s.foreign} foreign, "
        f"{s.skipped} file(s) skipped by name"
    ]
    for name in FIELDS:
        out.append("")
        out.append(TITLES[name])
        rows = _sorted(s.counts[name])
        if name == "finding":  # the info notes after what someone acts on
            rows.sort(key=lambda kv: s.info_only.get(kv[0], False))
        for key, n in rows:
            share = f"{100 * n / s.reports:5.1f}%" if s.reports else ""
            out.append(f"  {key:<40} {n:>8} {share}")
    worst = s.worst_hosts()
    out += ["", "Worst hosts"]
    out += [
        f"  {h.host}  {h.verdict}  {h.environment}  {','.join(h.findings) or '-'}  "
        f"{h.started_at}" + ("" if h.where == h.host else f"  ({h.where})")
        for h in worst
    ] or [
        "  (not listed: --top 0)"
        if s.top == 0
        else ("  (none: every report ready)" if s.reports else "  (none: no reports read)")
    ]
    out += ["", "Worst hosts by RTT p95 (session quality)"]
    out += [
        f"  {h.host}  p95 {h.p95_ms:.0f} ms  {h.grade}  {h.started_at}"
        + ("" if h.where == h.host else f"  ({h.where})")
        for h in s.slowest_hosts()
    ] or [
        "  (not listed: --top 0)"
        if s.top == 0
        else "  (none: no report has session-quality samples)"
    ]
    if s.hosts is not None:
        out += table_lines(s.hosts)
    for title, count, named in (
        ("Broken", s.broken, s.named_broken),
        ("Foreign (not a wsdiag report)", s.foreign, s.named_foreign),
    ):
        if count:
            out += ["", title] + [f"  {w}: {r}" for w, r in named]
            if count > len(named):
                out.append(f"  ... and {count - len(named)} more")
    return out


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# Injection"): `=HYPERLINK(...)` from a report field or a file name would run on the
# reader's machine. Tab and CR are on OWASP's list too (escape() already turns them into
# a space and \x0d; checked after it anyway).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell as written: numbers as they are; text with every control and bidirectional
    character escaped as the text format escapes it (terminal.escape), and a leading ``'``
    when it would start a formula, which a spreadsheet shows as text."""
    if not isinstance(value, str):
        return value
    text = escape(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _SafeWriter:
    """csv.writer whose every cell goes through :func:`csv_cell`."""

    def __init__(self, buf: io.StringIO) -> None:
        self._w = csv.writer(buf, lineterminator="\n")

    def writerow(self, row: list[object]) -> None:
        self._w.writerow([csv_cell(c) for c in row])

    def writerows(self, rows: Iterable[list[object]]) -> None:
        for row in rows:
            self.writerow(row)


def render_csv(s: Summary) -> str:
    """One table: kind,key,count,detail. Worst hosts are rows of kind worst_host (count =
    rank, 1 is worst); broken/foreign rows name the record and the reason. Every text cell
    is escaped and formula-neutralised (:func:`csv_cell`)."""
    buf = io.StringIO()
    w = _SafeWriter(buf)
    w.writerow(["kind", "key", "count", "detail"])
    w.writerow(["reports", "", s.reports, ""])
    for name in FIELDS:
        for key, n in _sorted(s.counts[name]):
            w.writerow([name, key, n, ""])
    for i, h in enumerate(s.worst_hosts(), 1):
        w.writerow(
            [
                "worst_host",
                h.host,
                i,
                f"{h.verdict} {h.environment} {' '.join(h.findings)} {h.started_at}",
            ]
        )
    for i, sh in enumerate(s.slowest_hosts(), 1):
        w.writerow(["slowest_host", sh.host, i, f"p95 {sh.p95_ms:g} ms {sh.grade} {sh.started_at}"])
    if s.hosts is not None:
        w.writerows(table_csv_rows(s.hosts))
    w.writerow(["broken", "", s.broken, ""])
    w.writerows([["broken", where, 1, why] for where, why in s.named_broken])
    w.writerow(["foreign", "", s.foreign, ""])
    w.writerows([["foreign", where, 1, why] for where, why in s.named_foreign])
    return buf.getvalue()


def summarize_command(
    paths: list[str],
    fmt: str,
    top: int,
    latest: bool = False,
    actionable: bool = False,
    owner: str | None = None,
) -> int:
    """The command: exit 0 with the summary (broken files counted), 3 on a usage error."""
    fmt = fmt.lower()
    owner = owner.lower() if owner else None
    if owner is not None and owner not in OWNERS:
        sys.stderr.write(f"wsdiag: error: --owner must be one of {'|'.join(OWNERS)}\n")
        return EXIT_USAGE
    if fmt not in FORMATS:
        sys.stderr.write(f"wsdiag: error: --format must be one of {', '.join(FORMATS)}\n")
        return EXIT_USAGE
    if top < 0:
        sys.stderr.write("wsdiag: error: --top must be 0 or more\n")
        return EXIT_USAGE
    if not paths and is_terminal(sys.stdin):  # no pipe: say why nothing happens yet
        sys.stderr.write(
            "wsdiag: reading reports from stdin (end with Ctrl-D, or Ctrl-Z then Enter on "
            "Windows); name files or folders to read those instead\n"
        )
    try:
        s = summarize(paths or ["-"], top, latest=latest, actionable=actionable, owner=owner)
    except FileNotFoundError as exc:
        sys.stderr.write(f"wsdiag: error: no such file or folder: {exc.args[0]}\n")
        return EXIT_USAGE
    if fmt == "json":
        # Strict JSON: a file name that is not UTF-8 arrives with lone surrogates
        # (surrogateescape), which json.dumps would write as "\udcXX", an escape strict
        # parsers reject. to_json_text writes each such byte as the text \xNN instead.
        sys.stdout.write(to_json_text(to_dict(s)))
    elif fmt == "csv":
        sys.stdout.write(render_csv(s))
    else:
        sys.stdout.write(render_text(s))
    return EXIT_OK
