"""``wsdiag show REPORT``: a report collected elsewhere rendered again, here.

The report is a ``json`` or ``json-line`` document of schema wsdiag.report/1 (SSM Run
Command output, an upload, a bundle's ``report.json``): a file (gzip-compressed or not, UTF-8
with or without a byte order mark), ``-`` for stdin, or a bundle's .zip: what ``summarize``
reads, read by the same reader (wsdiag.vocab.jsontext). What json-line leaves out and can be
rebuilt (ids, a probe's host) is rebuilt (``render.formats.expand``); the text says whose
report it is and when it was made ("report from <host> at <time>"), never this machine's.
Names redacted in the document stay redacted: nothing here can bring them back, and this
machine's names are not the report's.

One line on stderr and exit 3 for what is not a whole report: a document cut short ("report
cut at N characters", as SSM's 24,000-character limit cuts one), a broken or foreign file.
Otherwise the exit code is the report's verdict's, as ``wsdiag check`` gave it.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from wsdiag.budgets import (
    MAX_REPORT_BYTES,
    SHOW_MAX_BYTES,
    SUMMARIZE_GZIP_MAX_RATIO,
    SUMMARIZE_RATIO_AFTER,
)
from wsdiag.errors import WsdiagError
from wsdiag.fleet.summary import MAX_ARRAY_DEPTH, invalid_report, schema_problem
from wsdiag.host.readfile import ZIP_MAGIC, is_gzip
from wsdiag.render.formats import Format, compact, dumps, expand, render_jamf, render_line
from wsdiag.render.report import SCHEMA, report_from_json, to_json
from wsdiag.vocab.codec import DecodeError, kind
from wsdiag.vocab.jsontext import NotJson, read_values
from wsdiag.vocab.report import Report

BUNDLE_REPORT = "report.json"  # the check's JSON inside a `wsdiag bundle` zip


class NotAReport(WsdiagError):
    """The input is not a whole wsdiag.report/1 document; the message is one line."""


def read_source(source: str, stdin: io.BufferedIOBase | None = None) -> bytes:
    """The raw bytes of ``source`` (a path, or ``-`` for ``stdin``), at most SHOW_MAX_BYTES;
    a zip's ``report.json``. Raises NotAReport for what cannot be read (a FIFO, a directory,
    a file too large, a zip without a report)."""
    from wsdiag.host.readfile import ReadRefused, open_regular

    if not source:  # Path("") is the current folder: say what was given
        raise NotAReport("an empty file name: name a report file, or - for stdin")
    if source == "-":
        data = (stdin or sys.stdin.buffer).read(SHOW_MAX_BYTES + 1)
    else:
        try:
            raw, _ = open_regular(Path(source), max_size=SHOW_MAX_BYTES)
        except ReadRefused as exc:
            raise NotAReport(f"{source}: {exc.detail}") from None
        with raw:
            data = raw.read(SHOW_MAX_BYTES + 1)
    if len(data) > SHOW_MAX_BYTES:
        raise NotAReport(f"{source}: larger than {SHOW_MAX_BYTES >> 20} MiB: not a report")
    if data.startswith(ZIP_MAGIC):
        return _from_zip(source, data)
    if is_gzip(data):  # summarize reads .gz: the same files
        return _from_gzip(source, data)
    return data


def _from_gzip(source: str, data: bytes) -> bytes:
    from wsdiag.host.readfile import GzipReader, ReadRefused

    gz = GzipReader(
        io.BytesIO(data),
        max_bytes=SHOW_MAX_BYTES,
        max_ratio=SUMMARIZE_GZIP_MAX_RATIO,
        ratio_after=SUMMARIZE_RATIO_AFTER,
    )
    out = bytearray()
    try:
        while chunk := gz.read():
            out += chunk
    except ReadRefused as exc:
        raise NotAReport(f"{source}: {exc.detail}") from None
    if gz.stopped is not None:
        raise NotAReport(f"{source}: {gz.stopped.detail}: not a report")
    return bytes(out)


def _from_zip(source: str, data: bytes) -> bytes:
    from wsdiag.host.readfile import ReadRefused, RefusedKind, zip_member

    try:
        return zip_member(io.BytesIO(data), BUNDLE_REPORT, SHOW_MAX_BYTES)
    except ReadRefused as exc:
        if exc.kind is RefusedKind.NOT_FOUND:
            raise NotAReport(
                f"{source}: a zip without {BUNDLE_REPORT}: not a wsdiag bundle"
            ) from None
        raise NotAReport(f"{source}: {exc.detail}") from None


def parse(data: bytes) -> dict[str, Any]:
    """The report's JSON object from raw bytes (UTF-8, a BOM allowed). Raises NotAReport:
    "report cut at N characters" for a document that ends before it closes, else why it is
    not a wsdiag.report/1 report."""
    from wsdiag.fleet.sources import TEXT_SNIFF, not_text, too_large

    if (why := not_text(data[:TEXT_SNIFF])) is not None:  # UTF-16, NUL bytes: as summarize
        raise NotAReport(f"not a report: {why}")
    if len(data) > MAX_REPORT_BYTES:  # summarize parses no more than this as one report
        raise NotAReport(f"not a report: {too_large()}")
    try:
        items = read_values(data)  # summarize's reader: the same records and reasons
    except NotJson as exc:  # not UTF-8, empty
        raise NotAReport(f"not a report: {exc}") from None
    values = _reports_in(items)
    stop = next((x for x in items if isinstance(x, NotJson)), None)
    if stop is not None and not values:
        raise NotAReport(str(stop) if stop.cut else f"not a report: {stop}")
    if len(values) > 1:
        raise NotAReport(
            "more than one document: wsdiag show takes one report (wsdiag summarize reads many)"
        )
    if stop is not None:
        raise NotAReport(f"not a report: other text beside it: {stop}")
    if not values:
        raise NotAReport("not a report: an empty JSON array: no report in it")
    doc = values[0]
    if not isinstance(doc, dict):
        raise NotAReport(f"not a report: {kind(doc)} in JSON, not a report object")
    why = schema_problem(doc.get("schema"))  # summarize's words for the same documents
    if why is not None:
        raise NotAReport(why)
    return doc


def _reports_in(items: list[Any]) -> list[Any]:
    """The values read, arrays of objects opened as summarize opens them (nested too), at
    most MAX_ARRAY_DEPTH deep; NotJson items left out."""
    out: list[Any] = []
    stack = [(x, 0) for x in reversed(items) if not isinstance(x, NotJson)]
    while stack:
        value, depth = stack.pop()
        if (
            isinstance(value, list)
            and depth < MAX_ARRAY_DEPTH
            and all(isinstance(v, dict | list) for v in value)
        ):
            stack.extend((v, depth + 1) for v in reversed(value))
        else:
            out.append(value)
    return out


def load(doc: dict[str, Any]) -> Report:
    """The Report from a parsed json or json-line object. Raises NotAReport: first for
    what ``summarize`` would not count (``invalid_report``: the two read the same records),
    then for any other field of the wrong shape."""
    try:
        whole = expand(doc)
        why = invalid_report(whole)
        if why is not None:
            raise NotAReport(f"not a {SCHEMA} report: {why}")
        return report_from_json(whole)
    except DecodeError as exc:
        raise NotAReport(f"not a {SCHEMA} report: {exc}") from None
    except (AttributeError, TypeError, ValueError, KeyError):
        # The last boundary: a shape no decoder names yet. Python's words ("'NoneType'
        # object has no attribute 'get'") are no reason a reader can act on.
        raise NotAReport(
            f"not a {SCHEMA} report: a field holds a value of the wrong kind"
        ) from None


def label(doc: dict[str, Any]) -> str:
    """ "report from <host> at <time>": whose report it is, in the document's own words."""
    host = doc.get("host") if isinstance(doc.get("host"), dict) else {}
    name = host.get("name") if isinstance(host, dict) else None
    when = doc.get("started_at") or "an unknown time"
    return f"report from {name or 'an unnamed host'} at {when}"


def render(
    report: Report,
    doc: dict[str, Any],
    fmt: Format,
    *,
    color: bool = False,
    width: int = 80,
    verbose: bool = False,
    ascii_only: bool = False,
) -> str:
    """The whole output of ``wsdiag show`` in ``fmt``, newline-terminated. JSON comes from the
    rebuilt report, its host block saying what was redacted where it was made."""
    from wsdiag.terminal import escape

    if fmt is Format.TEXT:
        from wsdiag.render.text import render_text

        text = render_text(report, width=width, color=color, verbose=verbose, ascii_only=ascii_only)
        return f"{escape(label(doc))}\n{text}"
    obj = json_of(report, doc)
    if fmt is Format.JSON:
        return dumps(obj)
    if fmt is Format.JSON_LINE:
        return dumps(compact(obj), one_line=True)
    if fmt is Format.LINE:
        return render_line(obj) + "\n"
    return render_jamf(obj) + "\n"


def json_of(report: Report, doc: dict[str, Any]) -> dict[str, Any]:
    """The rebuilt report's JSON, with the document's own record of what was redacted."""
    obj = to_json(report)
    host = doc.get("host")
    redacted = host.get("redacted") if isinstance(host, dict) else None
    if isinstance(obj.get("host"), dict) and isinstance(redacted, list):
        obj["host"]["redacted"] = [x for x in redacted if isinstance(x, str)]
    return obj


def write_html(report: Report, doc: dict[str, Any], path: Path) -> None:
    """The report as one HTML page at ``path``. Raises WsdiagError when it cannot be written."""
    from wsdiag.outfile import error_text, write_file
    from wsdiag.render.html import render_html

    try:  # whole or not at all, never through a link (wsdiag.outfile), as check --html
        write_file(path, render_html(report, json_of(report, doc)).encode("utf-8"))
    except OSError as exc:
        raise WsdiagError(error_text(path, exc)) from None
