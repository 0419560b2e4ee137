"""The options of ``wsdiag check``, declared once (``CheckOptions``) and shared by ``watch``
and ``bundle`` (``check_options``), and their translation into the run's inputs. Heavy
modules are imported inside the functions (start-up speed)."""

from __future__ import annotations

import inspect
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wsdiag.budgets import DEFAULT_SAMPLES, DEFAULT_TIMEOUT
from wsdiag.errors import WsdiagError

if TYPE_CHECKING:
    from datetime import datetime

    from wsdiag.cloud.source import CloudSource
    from wsdiag.render.format_names import Format
    from wsdiag.vocab.logs import LogContext
    from wsdiag.vocab.model import Inputs

RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        "-r",
        metavar="REGION",
        help="AWS region of the WorkSpaces directory (default: $WSDIAG_REGION, $AWS_REGION, "
        "or the client's logs).",
    ),
]
EndpointHostOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--endpoint-host",
        metavar="NAME",
        help="Private streaming name to test instead of "
        "privatelink.prod.<region>.highlander.aws.a2z.com.",
    ),
]
VpcCidrOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--vpc-cidr",
        metavar="CIDR",
        help="The VPC's CIDR; repeatable. Narrows 'private' from RFC 1918 to these ranges.",
    ),
]
NameserverOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--nameserver",
        metavar="IP[:PORT]",
        help="Query this resolver instead of the system's; repeatable.",
    ),
]
DirectoryIdOpt = Annotated[
    str | None,
    typer.Option(
        "--directory-id",
        metavar="ID",
        help="Directory id or alias: also test <id>.awsapps.com (the login page).",
    ),
]
ProbesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--probes",
        metavar="FILE",
        help="Extra catalog TOML: adds or overrides targets; repeatable.",
    ),
]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", metavar="SECONDS", help="Seconds each probe may take.")
]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        metavar="SECONDS",
        help="Seconds the whole run may take (default: 2 x timeout + 1).",
    ),
]


def html_file(value: Path | None) -> Path | None:
    """``--html -``: refused (the page is a file for a ticket, never mixed into stdout's
    report); without this it became a file named ``-``."""
    if value is not None and str(value) == "-":
        raise typer.BadParameter("the HTML page goes to a file: give a file name, not -")
    return value


def _output_file(value: Path | None) -> Path | None:
    """``-o -`` is stdout, as ``-`` is everywhere else (``show -``); it made a file named
    ``-``. None means stdout to check."""
    return None if value is not None and str(value) == "-" else value


JsonOutOpt = Annotated[bool, typer.Option("--json", help="Same as --format json.")]
HtmlOpt = Annotated[
    Path | None,
    typer.Option(
        "--html",
        metavar="FILE",
        help="Also write the report as one self-contained HTML page (for a ticket).",
        callback=html_file,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the report to FILE instead of stdout: whole or not at all, never through "
        "a link (for scheduled runs as root, instead of a shell redirection); - is stdout.",
        callback=_output_file,
    ),
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Show every probe, not only the failing ones.")
]
NoLogsOpt = Annotated[
    bool, typer.Option("--no-logs", help="Do not read the WorkSpaces client's logs.")
]
LogsSinceOpt = Annotated[
    str | None,
    typer.Option(
        "--logs-since",
        metavar="WHEN",
        help="Count the client's logged sessions since WHEN (30m, 2h, 3d, 1w or an ISO "
        "date/time; default: the last 7 days). Older ones are one note with their age.",
    ),
]
NoProxyOpt = Annotated[
    bool,
    typer.Option(
        "--no-proxy",
        help="Probe the sign-in domains directly even where the system has an HTTPS proxy "
        "(the client would use it).",
    ),
]
PacOpt = Annotated[
    str | None,
    typer.Option(
        "--pac",
        metavar="URL|FILE",
        help="Proxy auto-config script to use instead of the system's (PAC/WPAD).",
    ),
]
FmtOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="text | json | json-line (one line) | line (one line <= 2,048 chars, verdict "
        "first: Intune/RMM) | jamf (<result>...</result>).",
    ),
]
NoRedactOpt = Annotated[
    bool,
    typer.Option("--no-redact", help="Keep user names and home paths (redacted by default)."),
]
RedactHostOpt = Annotated[bool, typer.Option("--redact-host", help="Also hide the host name.")]
PublicRootsOpt = Annotated[
    Path | None,
    typer.Option(
        "--public-roots",
        metavar="FILE",
        help="PEM bundle of the roots that count as public, instead of the Mozilla list "
        "certifi ships (default: $WSDIAG_PUBLIC_ROOTS). A sign-in chain that ends "
        "elsewhere is TLS interception.",
    ),
]
AwsOpt = Annotated[
    bool,
    typer.Option(
        "--aws",
        help="Also read the endpoint's side with read-only AWS calls (boto3: pip install "
        "'wsdiag[aws]') and explain what this machine saw: which group, ACL or route.",
    ),
]
AwsProfileOpt = Annotated[
    str | None,
    typer.Option("--aws-profile", metavar="NAME", help="With --aws: the AWS profile to read with."),
]
ClientCidrOpt = Annotated[
    str | None,
    typer.Option(
        "--client-cidr",
        metavar="CIDR",
        help="With --aws: the range the endpoint sees this machine as, after VPN or NAT "
        "(default: this machine's own address).",
    ),
]


def cloud_source(
    aws: bool, profile: str | None, client_cidr: str | None, directory_id: str | None
) -> CloudSource | None:
    """--aws and its options -> the cloud evidence source (wsdiag.cloud.source.CloudSource),
    or None. Raises WsdiagError (one line) for an option without --aws or a bad CIDR."""
    if not aws:
        if profile is not None or client_cidr is not None:
            given = "--aws-profile" if profile is not None else "--client-cidr"
            raise WsdiagError(f"{given} needs --aws")
        return None
    import importlib.util
    import ipaddress

    if client_cidr is not None:
        try:
            client_cidr = str(ipaddress.ip_network(client_cidr, strict=False))
        except ValueError:
            raise WsdiagError(f"--client-cidr {client_cidr!r}: not an IP network") from None
    if importlib.util.find_spec("boto3") is None:
        raise WsdiagError("--aws needs boto3: pip install 'wsdiag[aws]'")
    from wsdiag.cloud.source import CloudSource

    return CloudSource(profile=profile, client_cidr=client_cidr, directory_id=directory_id)


SamplesOpt = Annotated[
    int,
    typer.Option(
        "--samples",
        metavar="N",
        help="Repeat each answered endpoint path's handshake up to N times for RTT spread, "
        "jitter and loss, only while the run waits for its other probes (0: off).",
    ),
]
QualityVerdictOpt = Annotated[
    bool,
    typer.Option(
        "--quality-verdict",
        help="Let a poor session quality (RTT, jitter, loss) make the verdict 'degraded'.",
    ),
]


@dataclass(frozen=True)
class CheckOptions:
    """The options of a run, as typer declares them (the annotations) and as the commands
    receive them: one declaration for check, watch and bundle. How check prints its report
    (--format, --json, --output, --html, --verbose) is check's own."""

    region: RegionOpt = None
    endpoint_host: EndpointHostOpt = None
    vpc_cidr: VpcCidrOpt = None
    nameserver: NameserverOpt = None
    directory_id: DirectoryIdOpt = None
    probes: ProbesOpt = None
    timeout: TimeoutOpt = DEFAULT_TIMEOUT
    deadline: DeadlineOpt = None
    no_logs: NoLogsOpt = False
    logs_since: LogsSinceOpt = None
    no_proxy: NoProxyOpt = False
    pac: PacOpt = None
    no_redact: NoRedactOpt = False
    redact_host: RedactHostOpt = False
    public_roots: PublicRootsOpt = None
    aws: AwsOpt = False
    aws_profile: AwsProfileOpt = None
    client_cidr: ClientCidrOpt = None
    samples: SamplesOpt = DEFAULT_SAMPLES
    quality_verdict: QualityVerdictOpt = False


def check_options(func: Callable[..., None]) -> Callable[..., None]:
    """``func(opts: CheckOptions, **own)`` as a typer command function that takes its own
    options, then every run option, and calls ``func`` with the run's gathered.

    typer reads a command's parameters from ``inspect.signature``, which honours
    ``__signature__`` (the standard way for a wrapper to say what it takes)."""
    own = inspect.signature(func, eval_str=True)
    hints = typing.get_type_hints(CheckOptions, include_extras=True)
    shared = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name]
        )
        for f in fields(CheckOptions)
    ]
    rest = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in list(own.parameters.values())[1:]
    ]
    names = frozenset(p.name for p in shared)

    def command(**values: Any) -> None:
        opts = CheckOptions(**{k: v for k, v in values.items() if k in names})
        func(opts, **{k: v for k, v in values.items() if k not in names})

    params = [*rest, *shared]
    command.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(command, attr, getattr(func, attr))
    return command


def output_format(fmt: str | None, json_out: bool) -> Format:
    """``--format`` (any case) and ``--json`` as one Format. Raises WsdiagError."""
    from wsdiag.render.format_names import Format

    try:
        chosen = Format(fmt.lower()) if fmt is not None else None
    except ValueError:
        raise WsdiagError(
            f"--format {fmt!r}: expected one of " + ", ".join(f.value for f in Format)
        ) from None
    if json_out and chosen not in (None, Format.JSON):
        raise WsdiagError(f"--json and --format {fmt} contradict each other")
    return Format.JSON if json_out else (chosen or Format.TEXT)


def _logs_since(text: str) -> datetime:
    """``--logs-since`` as a UTC datetime (the grammar of ``wsdiag logs --since``)."""
    from datetime import UTC
    from datetime import datetime as dt

    from wsdiag.logs.since import parse_since

    try:
        return parse_since(text, dt.now(UTC))
    except WsdiagError as exc:
        raise WsdiagError(str(exc).replace("--since", "--logs-since", 1)) from None


def check_scopes(values: list[str] | None) -> None:
    """``--nameserver`` values parse (wsdiag.check.plan.check_nameservers), and each IPv6
    scope (``fe80::1%eth0``, ``fe80::1%2``) names an interface of this machine: otherwise
    every query of the run failed at its send, a lookup per name (fresh report item 6).
    Raises WsdiagError (one line) naming the value."""
    import socket

    from wsdiag.check.plan import check_nameservers

    given = tuple(values or ())
    for text, ns in zip(given, check_nameservers(given), strict=True):
        _, _, scope = ns.ip.partition("%")
        if not scope:
            continue
        try:
            if scope.isdigit():
                socket.if_indextoname(int(scope))
            else:
                socket.if_nametoindex(scope)
        except (OSError, OverflowError, ValueError):
            raise WsdiagError(
                f"--nameserver: {text!r} names no network interface of this machine "
                f"({scope!r}, the part after %)"
            ) from None


def check_pac_file(value: str | None) -> None:
    """``--pac FILE`` (a path or a file:// URL) is a file this process can read: a missing
    or unreadable one was found only during the run, as one more unknown path behind a
    generic "could not measure" (fresh report item 17). A URL is fetched in the run, whose
    report says what went wrong. Raises WsdiagError (one line)."""
    if value is None:
        return
    from wsdiag.host.pac import PacKind, explicit_source
    from wsdiag.terminal import os_error_text

    source = explicit_source(value)
    if source.kind is not PacKind.FILE:
        return
    import errno
    import stat

    try:
        # O_NONBLOCK: a FIFO without a writer must not hold the check before it starts
        fd = os.open(source.location, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        finally:
            os.close(fd)
    except OSError as exc:
        raise WsdiagError(f"--pac {value!r}: cannot read it: {os_error_text(exc)}") from None


def prepare(opts: CheckOptions) -> tuple[Inputs, list[Path], str, LogContext]:
    """check's options -> (inputs, catalogs, region source, client-log context): shared by
    check, watch and bundle. Raises WsdiagError when no region can be found."""
    import time

    from wsdiag.budgets import LOGS_DEADLINE_SHARE, LOGS_READ_MAX
    from wsdiag.check.options import check_samples, check_timing
    from wsdiag.logs.context import choose_region, read_logs
    from wsdiag.vocab.logs import LogContext
    from wsdiag.vocab.model import Inputs

    # One clock: the logs are read inside the run deadline, for a share of it at most.
    _, run_deadline = check_timing(opts.timeout, opts.deadline)
    check_samples(opts.samples)
    check_scopes(opts.nameserver)
    check_pac_file(opts.pac)
    until = time.monotonic() + min(LOGS_DEADLINE_SHARE * run_deadline, LOGS_READ_MAX)
    since = _logs_since(opts.logs_since) if opts.logs_since is not None else None
    logs = LogContext() if opts.no_logs else read_logs(None, until, since)
    region, region_source = choose_region(opts.region, os.environ, logs.region)
    if not region:
        from wsdiag.check.catalog import load_catalog

        known = ", ".join(sorted(load_catalog(opts.probes or []).regions))
        raise WsdiagError(f"no region: give --region or set WSDIAG_REGION (known: {known})")
    inputs = Inputs(
        region=region,
        endpoint_hosts=tuple(opts.endpoint_host or ()),
        directory_id=opts.directory_id,
        vpc_cidrs=tuple(opts.vpc_cidr or ()),
        nameservers=tuple(opts.nameserver or ()),
        timeout=opts.timeout,
        deadline=opts.deadline,
        use_proxy=not opts.no_proxy,
        public_roots=str(opts.public_roots) if opts.public_roots is not None else None,
        pac=opts.pac,
        samples=opts.samples,
        quality_verdict=opts.quality_verdict,
    )
    return inputs, [Path(p) for p in opts.probes or []], region_source, logs
