"""The command line. It only translates: options in, report out, exit code.

Heavy modules (aioquic, dnspython, cryptography, psutil) are imported inside the commands
so that `wsdiag --version` and `--help` start fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from typer import Abort

from wsdiag import __version__
from wsdiag.errors import WsdiagError

try:  # typer >= 0.2x vendors click; older typer depends on click itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException  # type: ignore[no-redef,import-not-found,assignment,unused-ignore]

EXIT_UNKNOWN = 3

app = typer.Typer(
    name="wsdiag",
    help="Can this machine stream Amazon WorkSpaces over the PrivateLink (VPC) endpoint?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"wsdiag {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Exit codes: 0 ready, 1 degraded, 2 blocked, 3 unknown or usage error."""


def _use_color() -> bool:
    plain = os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb"
    return sys.stdout.isatty() and not plain


@app.command()
def check(
    region: Annotated[str | None, typer.Option(
        "--region", "-r", metavar="REGION",
        help="AWS region of the WorkSpaces directory (default: $WSDIAG_REGION, $AWS_REGION, "
             "or the client's logs).")] = None,
    endpoint_host: Annotated[list[str] | None, typer.Option(
        "--endpoint-host", metavar="NAME",
        help="Private streaming name to test instead of "
             "privatelink.prod.<region>.highlander.aws.a2z.com.")] = None,
    vpc_cidr: Annotated[list[str] | None, typer.Option(
        "--vpc-cidr", metavar="CIDR",
        help="The VPC's CIDR; repeatable. Narrows 'private' from RFC 1918 to these "
             "ranges.")] = None,
    nameserver: Annotated[list[str] | None, typer.Option(
        "--nameserver", metavar="IP[:PORT]",
        help="Query this resolver instead of the system's; repeatable.")] = None,
    directory_id: Annotated[str | None, typer.Option(
        "--directory-id", metavar="ID",
        help="Directory id or alias: also test <id>.awsapps.com (the login page).")] = None,
    probes: Annotated[list[Path] | None, typer.Option(
        "--probes", metavar="FILE",
        help="Extra catalog TOML: adds or overrides targets; repeatable.")] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", metavar="SECONDS", help="Seconds each probe may take.")] = 2.0,
    deadline: Annotated[float | None, typer.Option(
        "--deadline", metavar="SECONDS",
        help="Seconds the whole run may take (default: 2 x timeout + 1).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    no_logs: Annotated[bool, typer.Option(
        "--no-logs", help="Do not read the WorkSpaces client's logs.")] = False,
    no_proxy: Annotated[bool, typer.Option(
        "--no-proxy",
        help="Probe the sign-in domains directly even where the system has an HTTPS proxy "
             "(the client would use it).")] = False,
    public_roots: Annotated[Path | None, typer.Option(
        "--public-roots", metavar="FILE",
        help="PEM bundle of the roots that count as public, instead of the Mozilla list "
             "certifi ships (default: $WSDIAG_PUBLIC_ROOTS). A sign-in chain that ends "
             "elsewhere is TLS interception.")] = None,
) -> None:
    """Probe DNS, the private endpoint and the sign-in services; print a verdict."""
    import json

    from wsdiag.check.diagnose import LogContext, read_logs, run_check
    from wsdiag.model import Inputs
    from wsdiag.render.report import render_text, to_json

    logs = LogContext() if no_logs else read_logs(None)
    region_source = "option"
    if not region:
        for var in ("WSDIAG_REGION", "AWS_REGION"):
            if os.environ.get(var):
                region, region_source = os.environ[var], "env"
                break
        else:
            if logs.region:
                region, region_source = logs.region, "logs"
    if not region:
        from wsdiag.check.catalog import load_catalog

        known = ", ".join(sorted(load_catalog(probes or []).regions))
        raise WsdiagError(f"no region: give --region or set WSDIAG_REGION (known: {known})")
    inputs = Inputs(
        region=region,
        endpoint_hosts=tuple(endpoint_host or ()),
        directory_id=directory_id,
        vpc_cidrs=tuple(vpc_cidr or ()),
        nameservers=tuple(nameserver or ()),
        timeout=timeout,
        deadline=deadline,
        use_proxy=not no_proxy,
        public_roots=str(public_roots) if public_roots else None,
    )
    with _spinner("probing DNS, the endpoint and the sign-in services"):
        report = run_check(inputs, probes or [], region_source, logs)
    if json_out:
        sys.stdout.write(json.dumps(to_json(report), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(report, _use_color()))
    raise typer.Exit(report.diagnosis.verdict.exit_code)


@app.command()
def logs(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH",
        help="Log files or directories (default: the client's log directory for this "
             "user).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="WHEN",
        help="Only entries newer than this: 2h, 3d, 30m or an ISO date/time.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Summarise the WorkSpaces client's own logs: sessions, endpoints, errors."""
    from wsdiag.logs.report import logs_command

    raise typer.Exit(logs_command(list(paths or []), since, json_out))


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
    try:
        code = app(prog_name="wsdiag", standalone_mode=False)
    except WsdiagError as exc:
        sys.stderr.write(f"wsdiag: error: {exc}\n")
        code = EXIT_UNKNOWN
    except ClickException as exc:
        message = exc.format_message()
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare `wsdiag`: the help is the answer
            sys.stderr.write(message + "\n")
        elif message:
            sys.stderr.write(f"wsdiag: error: {message} (see wsdiag --help)\n")
        code = EXIT_UNKNOWN
    except (Abort, KeyboardInterrupt):
        sys.stderr.write("wsdiag: interrupted\n")
        code = 130
    except Exception as exc:
        if os.environ.get("WSDIAG_DEBUG"):
            raise
        # A bug must still leave a scripted caller with a one-line reason and "unknown".
        sys.stderr.write(f"wsdiag: internal error: {exc.__class__.__name__}: {exc} "
                         "(set WSDIAG_DEBUG=1 for a traceback)\n")
        code = EXIT_UNKNOWN
    sys.exit(code if isinstance(code, int) else 0)
