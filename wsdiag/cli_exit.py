"""How a wsdiag process ends when its command does not answer: a signal, a usage error, a
bug. Each is one line on stderr and, for ``--format line``/``jamf`` readers that keep only
stdout's last line, "unknown reason: ..." on stdout, then exit 3 (unknown). wsdiag.cli runs
the commands; this is the edge around them."""

from __future__ import annotations

import contextlib
import os
import sys

from wsdiag.terminal import EXIT_USAGE, one_line_error, write_err

EXIT_UNKNOWN = EXIT_USAGE


def command_name(argv: list[str]) -> str | None:
    """The command ``argv`` names (its first word; wsdiag's own options come alone), or None."""
    return argv[0] if argv and not argv[0].startswith("-") else None


def stdout_reason(reason: str) -> None:
    """--format line/jamf: readers that keep only stdout's last line still get "unknown"
    and why (stderr has the same error)."""
    from wsdiag.render.formats import error_output, requested_format

    text = error_output(requested_format(sys.argv[1:]), reason)
    if text:
        sys.stdout.write(text)


def terminated(signum: int, _frame: object) -> None:
    """SIGTERM (an agent's timeout, `timeout 30 wsdiag ...`, a service stop): the reason on
    stderr and, for line/jamf, on stdout, then exit 3 (unknown) at once. ``os._exit``: the
    probes' threads (a resolver call cannot be cancelled) must not keep the process alive
    past the signal that asked it to go."""
    import signal

    name = signal.Signals(signum).name
    with contextlib.suppress(Exception):
        stdout_reason(f"stopped by {name}")
        sys.stdout.flush()
    running = (
        " before the check finished" if command_name(sys.argv[1:]) in ("check", "bundle") else ""
    )
    write_err(f"wsdiag: stopped by {name}{running}")
    os._exit(EXIT_UNKNOWN)


def stop_watching_on(signum: int) -> None:
    """While watching, ``signum`` (SIGTERM: systemd's stop, an agent's timeout) ends the
    watch as Ctrl-C does: the summary and the worst verdict's exit code, since the runs
    already done have answered. Once: a second one exits at once (``terminated``)."""
    import signal

    def stop(got: int, _frame: object) -> None:
        signal.signal(got, terminated)
        raise KeyboardInterrupt(signal.Signals(got).name)

    with contextlib.suppress(ValueError, OSError):  # not the main thread (embedded): skip
        signal.signal(signum, stop)


# check's options for its output: watch takes check's other options, and not these.
_CHECK_OUTPUT_OPTIONS = frozenset({"--format", "--json", "-o", "--output", "--html"})


def watch_output_hint(exc: Exception, argv: list[str]) -> str | None:
    """For `watch --format line` (or another of check's output options): what watch writes
    instead, where the CLI library would suggest the nearest name (--no-redact)."""
    # By its name and field: typer's click is private to it (typer._click), not an API.
    name = getattr(exc, "option_name", None)
    if type(exc).__name__ != "NoSuchOption" or name not in _CHECK_OUTPUT_OPTIONS:
        return None
    if command_name(argv) != "watch":
        return None
    return (
        f"No such option: {name}: watch writes one line per run (time, verdict, environment,"
        " codes) and takes check's network options only; for a report per run, schedule"
        " wsdiag check"
    )


def internal_error(exc: Exception) -> int:
    if os.environ.get("WSDIAG_DEBUG"):
        raise exc
    # A bug must still leave a scripted caller with a one-line reason and "unknown".
    stdout_reason(f"internal error: {exc.__class__.__name__}")
    write_err(
        f"wsdiag: internal error: {exc.__class__.__name__}: "
        f"{one_line_error(str(exc), sys.argv[1:])} (set WSDIAG_DEBUG=1 for a traceback)"
    )
    return EXIT_UNKNOWN
