"""The commands that read what was collected elsewhere: ``show`` (a report again),
``logs`` (the WorkSpaces client's own logs) and ``summarize`` (many reports, a to-do list
per team). Plain functions with typer's annotations; ``wsdiag.cli`` registers them on the
app. Each imports its work inside, so `wsdiag --help` stays fast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wsdiag.cli_options import NoRedactOpt, html_file, output_format
from wsdiag.terminal import stdout_utf8, terminal_width, use_colour, write_out


def show(
    report: Annotated[
        str,
        typer.Argument(
            metavar="REPORT",
            help="A report as `check --format json` or `json-line` wrote it (SSM output, an "
            "upload, a bundle's report.json or the bundle's .zip), or - for stdin.",
        ),
    ],
    fmt: Annotated[
        str,
        typer.Option("--format", metavar="FORMAT", help="text | json | json-line | line | jamf."),
    ] = "text",
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Also write the report as one HTML page.",
            callback=html_file,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show every probe, not only the failing ones.")
    ] = False,
) -> None:
    """Render a report collected elsewhere again: as text (labelled with the host and time it
    comes from), another format, or an HTML page. Redacted names stay redacted. Exit code: the
    report's verdict; 3 for a report cut short, a broken or a foreign file."""
    from wsdiag import show as shown
    from wsdiag.outfile import check_target

    out_format = output_format(fmt, False)
    if html is not None:  # before the report is read and printed: one line, nothing else
        check_target(html)
    doc = shown.parse(shown.read_source(report))
    loaded = shown.load(doc)
    text = shown.render(
        loaded,
        doc,
        out_format,
        color=use_colour(),
        width=terminal_width(),
        verbose=verbose,
        ascii_only=not stdout_utf8(),
    )
    write_out(text)
    if html is not None:
        shown.write_html(loaded, doc, html)
    raise typer.Exit(loaded.diagnosis.verdict.exit_code)


def logs(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Log files or directories (default: the client's log directory for this user).",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only entries newer than this: 2h, 3d, 30m or an ISO date/time.",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    no_redact: NoRedactOpt = False,
) -> None:
    """Summarise the WorkSpaces client's own logs: sessions, endpoints, errors. User names
    and home paths are redacted (--no-redact keeps them)."""
    from wsdiag.logs.report import logs_command

    raise typer.Exit(logs_command(list(paths or []), since, json_out, no_redact, terminal_width()))


def summarize(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PATH",
            help="Reports (JSON or JSON lines, .gz too), folders (read recursively) or - for "
            "stdin (the default).",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="text|csv|json", help="Output format.")
    ] = "text",
    top: Annotated[
        int, typer.Option("--top", metavar="N", help="How many worst hosts to list.")
    ] = 10,
    latest: Annotated[
        bool,
        typer.Option(
            "--latest",
            help="Also one row per host from its newest report (host, time, verdict, "
            "environment, main code, fix), and counts of hosts beside those of reports.",
        ),
    ] = False,
    actionable: Annotated[
        bool,
        typer.Option("--actionable", help="Leave out info codes (ENDPOINT_CERTIFICATE ...)."),
    ] = False,
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner",
            metavar="network|aws|desktop|user",
            help="A to-do list: the hosts whose newest report this team acts on, with its "
            "first code and fix (implies --latest).",
        ),
    ] = None,
) -> None:
    """Summarise collected reports: counts by verdict, environment, finding, region,
    client version, and the worst hosts. Broken or foreign files are counted, not fatal."""
    from wsdiag.fleet.summarize import summarize_command

    raise typer.Exit(summarize_command(list(paths or []), fmt, top, latest, actionable, owner))
