"""The command line. It only translates: options in, report out, exit code.

Heavy modules (aioquic, dnspython, cryptography, psutil) are imported inside the commands
so that `wsdiag --version` and `--help` start fast. Everything written goes through
wsdiag.terminal: escaped, encoding-safe, and checked (a full disk is exit 3, a reader that
left early is the verdict's own code).
"""

from __future__ import annotations

import contextlib
import copy
import errno
import gc
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer import Abort

from wsdiag import __version__, cli_read
from wsdiag.cli_exit import (
    EXIT_UNKNOWN,
    command_name,
    internal_error,
    stdout_reason,
    stop_watching_on,
    terminated,
    watch_output_hint,
)
from wsdiag.cli_options import (
    CheckOptions,
    FmtOpt,
    HtmlOpt,
    JsonOutOpt,
    OutputOpt,
    VerboseOpt,
    check_options,
    cloud_source,
    output_format,
    prepare,
)
from wsdiag.errors import WsdiagError
from wsdiag.terminal import (
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_OUTPUT,
    EXIT_USAGE,
    LOGS_EXIT_CODES_HELP,
    OutputError,
    finish_stdout,
    one_line_error,
    os_error_text,
    setup_streams,
    stdout_utf8,
    terminal_width,
    use_colour,
    write_err,
    write_out,
)

if TYPE_CHECKING:
    from datetime import datetime

    from wsdiag.desktop import Outcome
    from wsdiag.redact import Redaction
    from wsdiag.vocab.report import Report

# Errors of the output itself (the file or pipe stdout points at), not of wsdiag's work.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EBADF, errno.EIO, errno.EFBIG, errno.EDQUOT})

app = typer.Typer(
    name="wsdiag",
    help="Can this machine stream Amazon WorkSpaces over the PrivateLink (VPC) endpoint?",
    epilog=EXIT_CODES_HELP,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        write_out(f"wsdiag {__version__}\n")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Exit codes: see EXIT_CODES_HELP (the help's epilog)."""
    if ctx.invoked_subcommand is None:
        import platform

        from wsdiag.desktop import console_processes, launched_by_double_click, own_process

        pid, ppid = own_process()
        double_click = launched_by_double_click(platform.system(), pid, ppid, console_processes())
        raise typer.Exit(
            bare_start(double_click, ctx.get_help, CheckOptions(), ask=input, say=write_out)
        )


def bare_start(
    double_click: bool,
    help_text: Callable[[], str],
    opts: CheckOptions,
    *,
    ask: Callable[[str], str],
    say: Callable[[str], object],
    folder: Path | None = None,
    now: datetime | None = None,
) -> int:
    """A bare ``wsdiag``; returns the exit code. From a shell (``double_click`` False): the
    help, on stderr, exit 3. Double-clicked (wsdiag.desktop.launched_by_double_click): the
    desktop start: the region the client's logs name (else asked once, ``ask``), the check
    with ``opts``, the headline and the one action (``say``, one line per call), a bundle
    (report.html, report.json, report.txt ...) written to ``folder`` (default: the Desktop
    known folder) as ``bundle_name(host, verdict, now)``, then ``ask`` again to keep the
    window open. Exit code: the verdict's; 3 when no check ran."""
    from wsdiag.desktop import desktop_start, wait_for_key

    if not double_click:
        write_err(help_text())
        return EXIT_USAGE
    verdict_code = [EXIT_UNKNOWN]

    def run(region: str | None) -> Outcome:
        outcome, code = _desktop_check(opts, region, folder, now)
        verdict_code[0] = code
        return outcome

    def line(text: str) -> None:
        say(text + "\n")

    desktop_start(_found_region(opts), ask, run, line)
    wait_for_key(ask)
    return verdict_code[0]


def _found_region(opts: CheckOptions) -> str | None:
    """The region a desktop start would use without asking: --region, $WSDIAG_REGION,
    $AWS_REGION or the client's logs (wsdiag.logs.context.choose_region)."""
    import time

    from wsdiag.budgets import LOGS_READ_MAX
    from wsdiag.logs.context import choose_region, read_logs

    logged = None if opts.no_logs else read_logs(None, time.monotonic() + LOGS_READ_MAX).region
    return choose_region(opts.region, os.environ, logged)[0]


def _desktop_check(
    opts: CheckOptions, region: str | None, folder: Path | None, now: datetime | None
) -> tuple[Outcome, int]:
    """The check and its bundle for the desktop start: (what to tell the user, exit code).
    Never raises for what the user can do nothing about: a failure is the outcome's line."""
    import dataclasses
    from datetime import UTC
    from datetime import datetime as dt

    from wsdiag.bundle import write_bundle
    from wsdiag.desktop import Outcome, bundle_name, desktop_folder
    from wsdiag.outfile import error_text
    from wsdiag.render.advice import advise
    from wsdiag.render.formats import report_json
    from wsdiag.render.text import HEADLINE
    from wsdiag.run import run_check

    try:
        chosen = dataclasses.replace(opts, region=region or opts.region)
        inputs, catalogs, region_source, logs_ctx = prepare(chosen)
        report = run_check(inputs, catalogs, region_source, logs_ctx)
    except WsdiagError as exc:
        why = one_line_error(str(exc), [])
        return Outcome("The check could not run.", why, None, why), EXIT_UNKNOWN
    parts, hide = _ticket(opts, report, bool(logs_ctx.owner))
    verdict = report.diagnosis.verdict
    host = (report_json(report, hide).get("host") or {}).get("name") or "host"
    name = bundle_name(str(host), str(verdict), now or dt.now(UTC))
    path = (folder or desktop_folder()) / name
    headline = hide.text(HEADLINE[verdict])
    action = hide.text(advise(report).first)
    try:
        write_bundle(path, parts, hide)
    except OSError as exc:
        return Outcome(headline, action, None, error_text(path, exc)), verdict.exit_code
    return Outcome(headline, action, path), verdict.exit_code


def _write_file(path: Path, data: bytes) -> None:
    """One file through wsdiag.outfile (temporary file, rename, never a link); any
    failure is one line and exit 3."""
    from wsdiag.outfile import error_text, write_file

    try:
        write_file(path, data)
    except OSError as exc:
        raise WsdiagError(error_text(path, exc)) from None


def _write_html(report: Report, path: Path, hide: Redaction) -> None:
    """Jinja2 is imported here only: the page is the one thing that needs it. The page is
    meant to be attached to a ticket, so it is redacted like every other format."""
    from wsdiag.render.html import render_page

    _write_file(path, render_page(report, hide).encode("utf-8"))


@app.command(epilog=EXIT_CODES_HELP)
@check_options
def check(
    opts: CheckOptions,
    fmt: FmtOpt = None,
    json_out: JsonOutOpt = False,
    output: OutputOpt = None,
    html: HtmlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Probe DNS, the private endpoint and the sign-in services; print a verdict."""
    from wsdiag import clock
    from wsdiag.outfile import check_target
    from wsdiag.run import run_check

    out_format = output_format(fmt, json_out)
    if output is not None and html is not None and output.resolve() == html.resolve():
        # the page would be renamed over the report just written
        raise WsdiagError(f"-o and --html name the same file ({output}): give two names")
    for target in (output, html):
        if target is not None:
            check_target(target)
    cloud = cloud_source(opts.aws, opts.aws_profile, opts.client_cidr, opts.directory_id)
    inputs, catalogs, region_source, logs_ctx = prepare(opts)
    with _spinner("probing DNS, the endpoint and the sign-in services"):
        report = run_check(
            inputs, catalogs, region_source, logs_ctx, since=clock.STARTED, cloud=cloud
        )
    from wsdiag.host.identity import redaction  # (imported while the run waited on DNS)
    from wsdiag.render.formats import render

    hide = redaction(opts.no_redact, opts.redact_host, report.host)
    text = render(
        report,
        out_format,
        hide,
        color=use_colour(),
        width=terminal_width(),
        verbose=verbose,
        ascii_only=not stdout_utf8(),
    )
    if output is not None:
        _write_file(output, text.encode("utf-8"))
    else:  # a reader that left early (`| head -1`) does not change the verdict's exit code
        write_out(text)
    if html is not None:  # after the report, so a bad path still leaves the answer on screen
        _write_html(report, html, hide)
    raise typer.Exit(report.diagnosis.verdict.exit_code)


@app.command(epilog=EXIT_CODES_HELP)
@check_options
def watch(
    opts: CheckOptions,
    interval: Annotated[
        str,
        typer.Option(
            "--interval", metavar="DURATION", help="Time between run starts: 30s, 5m, 1h."
        ),
    ] = "30s",
    count: Annotated[
        int | None,
        typer.Option(
            "--count", metavar="N", min=1, help="Stop after N runs (default: until Ctrl-C)."
        ),
    ] = None,
) -> None:
    """Run the check repeatedly: one line per run, a CHANGE line when the verdict, the
    environment or the findings change; Ctrl-C prints a summary. Takes `check`'s network
    options (--region, --nameserver, ...). Exit code: the worst verdict seen (blocked 2 > unknown 3
    > degraded 1 > ready 0)."""
    import signal
    import time

    from wsdiag.run import run_check
    from wsdiag.watch import parse_interval
    from wsdiag.watch import watch as watch_loop

    seconds = parse_interval(interval)
    cloud = cloud_source(opts.aws, opts.aws_profile, opts.client_cidr, opts.directory_id)
    inputs, catalogs, region_source, logs_ctx = prepare(opts)
    color = use_colour()
    stop_watching_on(signal.SIGTERM)
    code = watch_loop(
        lambda: run_check(inputs, catalogs, region_source, logs_ctx, cloud=cloud),
        seconds,
        count,
        sys.stdout,
        monotonic=time.monotonic,
        sleep=time.sleep,
        highlight=(lambda s: f"\x1b[1;33m{s}\x1b[0m") if color else (lambda s: s),
    )
    raise typer.Exit(code)


@app.command()
@check_options
def bundle(
    opts: CheckOptions,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.zip",
            help="Where to write (default: wsdiag-bundle-<UTC time>.zip here).",
        ),
    ] = None,
) -> None:
    """Write one zip for a support ticket: the check (text and JSON), the client-logs summary
    and newest log's tail, host facts, proxy/DNS settings, versions, and a manifest. User
    names and home paths are redacted (--no-redact keeps them; --redact-host hides the host
    name). Takes every `check` option. Exit code 0 when written, 3 when not."""
    from wsdiag.bundle import default_name, write_bundle
    from wsdiag.outfile import check_target, error_text
    from wsdiag.render.formats import Format, render
    from wsdiag.run import run_check

    if output is not None:
        check_target(output)
    cloud = cloud_source(opts.aws, opts.aws_profile, opts.client_cidr, opts.directory_id)
    inputs, catalogs, region_source, logs_ctx = prepare(opts)
    with _spinner("probing DNS, the endpoint and the sign-in services"):
        report = run_check(inputs, catalogs, region_source, logs_ctx, cloud=cloud)
    parts, hide = _ticket(opts, report, bool(logs_ctx.owner))
    path = output or default_name()
    try:
        write_bundle(path, parts, hide)
    except OSError as exc:
        raise WsdiagError(error_text(path, exc)) from None
    # The verdict line first (what a person or a script reads), then where the file is.
    write_out(render(report, Format.LINE, hide) + f"{path}\n")
    raise typer.Exit(0)


def _ticket(opts: CheckOptions, report: Report, as_other: bool) -> tuple[list[Any], Redaction]:
    """The bundle's parts for ``report`` and the redaction they went through (``as_other``:
    the logs were read from another account's profile, which is hidden too)."""
    from wsdiag.bundle import build_parts
    from wsdiag.host.identity import other_users_logs, redaction
    from wsdiag.render.formats import Format, render

    other = other_users_logs() if as_other else None
    hide = redaction(opts.no_redact, opts.redact_host, report.host, other[1] if other else ())
    parts = build_parts(
        report,
        render(report, Format.TEXT, hide),
        opts.nameserver or (),
        other[1] if other else None,
        not opts.no_logs,
        hide,
    )
    return parts, hide


# The commands that read what was collected elsewhere (reports, the client's logs).
app.command(epilog=EXIT_CODES_HELP)(cli_read.show)
app.command(epilog=LOGS_EXIT_CODES_HELP)(cli_read.logs)
app.command()(cli_read.summarize)


@contextlib.contextmanager
def _spinner(text: str) -> Iterator[None]:
    """A progress spinner on stderr, only when a person is watching it."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(text):
        yield


def main() -> None:
    import signal

    setup_streams()
    with contextlib.suppress(ValueError, OSError):  # not the main thread (embedded): skip
        signal.signal(signal.SIGTERM, terminated)
    if sys.stdout is None:  # started with stdout closed (`>&-`): nowhere to answer
        write_err("wsdiag: error: stdout is closed")
        sys.exit(EXIT_OUTPUT)
    code = _run_app()
    # Help and version text may still sit in the buffer: a full disk shows up only here.
    problem = finish_stdout()
    if problem is not None:
        write_err(f"wsdiag: error: cannot write to stdout: {problem}")
        code = EXIT_OUTPUT
    # Everything is written and every file closed. The interpreter's teardown would now
    # free every module and object one by one, ~70 ms of every run (measured with the
    # modules a check imports, after gc.freeze: 734 against 666 ms whole process), and
    # nothing wsdiag leaves needs it: no atexit work, temporary files are renamed or
    # removed by their own context managers, the lane's thread is a daemon and the
    # resolver threads a cancelled lookup left behind must not hold up the exit anyway.
    # The frozen heap keeps any collection that could still run from scanning it.
    gc.freeze()
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(code)


def _command(argv: list[str]) -> Any:
    """The click command typer builds from ``app`` (``_app_for(argv)``), its plain options
    converted without pydantic (wsdiag.cli_values: ~0.1 s and ~13 MB of every run) and its
    arguments' help without type noise."""
    from wsdiag.cli_values import plain_values, readable_arguments

    command = typer.main.get_command(_app_for(argv))
    commands = [command, *getattr(command, "commands", {}).values()]
    plain_values(commands)
    readable_arguments(commands)
    return command


def _app_for(argv: list[str]) -> typer.Typer:
    """``app`` with only the command ``argv`` names first, when it names one: typer makes a
    click command of every registered command at each start (about 15 ms for the six),
    before a check can send its first packet. The whole app where ``argv`` starts with an
    option (``--help``, ``--version``), names no command of it (its error lists them),
    and for shell completion (typer's completion variable set), which may offer any."""
    name = command_name(argv)
    if name is None or any(k.endswith("_COMPLETE") for k in os.environ):
        return app
    chosen = [
        c
        for c in app.registered_commands
        if c.callback is not None
        and (c.name or typer.main.get_command_name(c.callback.__name__)) == name
    ]
    if len(chosen) != 1:
        return app
    one = copy.copy(app)  # the same settings and callback; the list is replaced, not changed
    one.registered_commands = chosen
    return one


def _run_app() -> int:
    """Run the command; every failure becomes one line on stderr and an exit code."""
    argv = sys.argv[1:]
    try:
        code = _command(argv)(args=argv, prog_name="wsdiag", standalone_mode=False)
    except WsdiagError as exc:
        write_err(f"wsdiag: error: {one_line_error(str(exc), argv)}")
        stdout_reason(str(exc))
        return EXIT_UNKNOWN
    except typer.TyperException as exc:  # a usage error (typer's own, and its click's)
        message = watch_output_hint(exc, argv) or exc.format_message()
        if message:
            write_err(f"wsdiag: error: {one_line_error(message, argv)} (see wsdiag --help)")
            stdout_reason(f"usage error: {one_line_error(message, argv)}")
        return EXIT_UNKNOWN
    except OutputError as exc:
        write_err(f"wsdiag: error: {exc}")
        return EXIT_OUTPUT
    except (Abort, KeyboardInterrupt):
        code = EXIT_INTERRUPTED
    except SystemExit as exc:
        # The CLI library exits 1 after a broken pipe while printing help (the exit raised
        # while handling it): the reader left, nothing failed.
        if isinstance(exc.__context__, BrokenPipeError):
            return 0
        return exc.code if isinstance(exc.code, int) else EXIT_UNKNOWN
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            return internal_error(exc)
        write_err(f"wsdiag: error: cannot write to stdout: {os_error_text(exc)}")
        return EXIT_OUTPUT
    except Exception as exc:
        return internal_error(exc)
    if code == EXIT_INTERRUPTED:  # the CLI library turns Ctrl-C into a silent exit 130
        write_err("wsdiag: interrupted")
    return code if isinstance(code, int) else 0
