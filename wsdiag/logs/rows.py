"""The LOGS_* findings as rows (``wsdiag.vocab.rows``): over the facts of the client's logs
(``LOG_RULES``, one LogFacts per summary) and of reading them (``READ_RULES``, one ReadFacts
per file problem, or for no file at all). Pure. The README's findings table is generated from
these, with the check's rows."""

from __future__ import annotations

from collections.abc import Callable

from wsdiag.fallback443 import FALLBACK_FROM, version_numbers
from wsdiag.logs.facts import LogFacts, ReadFacts, broker_errors
from wsdiag.logs.files import ProblemKind
from wsdiag.vocab.logs import LogError, Session
from wsdiag.vocab.model import Owner, Severity
from wsdiag.vocab.rows import FindingRule, Fire, N, Y

LogRule = FindingRule[LogFacts]
ReadRule = FindingRule[ReadFacts]

_CHECK_HINT = "Run `wsdiag check` on this machine to see which step fails."


def _when(session: Session) -> str:
    return session.start_time or "an unknown time"


def _name(session: Session) -> str:
    return session.session_id or session.request_id or session.key


def _error_text(error: LogError) -> str:
    text = error.code
    if error.message:
        text += f" ({error.message.rstrip('.')})"
    return text


def _in(pick: Callable[[LogFacts], Session | None]) -> Callable[[LogFacts], Fire]:
    """Only the session's time."""

    def fire(f: LogFacts) -> Fire:
        s = pick(f)
        assert s is not None  # the row's facts say there is one
        return Fire({"when": _when(s)})

    return fire


def _endpoint(f: LogFacts) -> Session:
    assert f.endpoint_session is not None  # the row's facts say there is one
    return f.endpoint_session


def _last(f: LogFacts) -> Session:
    assert f.last_session is not None  # the row's facts say there is one
    return f.last_session


def _vpc(f: LogFacts) -> Fire:
    s = _endpoint(f)
    return Fire({"when": _when(s), "private": ", ".join(s.private_hosts)})


def _internet(f: LogFacts) -> Fire:
    s = _endpoint(f)
    hosts = ", ".join(dict.fromkeys(e.host for e in s.offered))
    return Fire({"when": _when(s), "hosts": hosts})


def _no_endpoint(f: LogFacts) -> Fire:
    s = _endpoint(f)
    offered = len({e.key() for e in s.offered})
    what = f"none of the {offered} endpoints it was offered" if offered else "no endpoint"
    if s.private_hosts:
        fix = (
            "Connect from a network with a route to the VPC endpoint (inside the VPC, VPN or "
            "Direct Connect); make sure the endpoint's security group allows TCP and UDP 443 "
            "and 4195 from this client and that the private name resolves to the endpoint's "
            f"private addresses. {_CHECK_HINT}"
        )
    else:
        fix = "Allow outbound TCP and UDP 4195 (and 443) to the streaming gateways. " + _CHECK_HINT
    return Fire(
        {"at": s.no_endpoint_reachable_time, "what": what, "name": _name(s), "fix": fix},
    )


def _pcoip(f: LogFacts) -> Fire:
    s = f.pcoip_session
    assert s is not None and f.summary is not None  # the row's facts say there is one
    error = next(e for e in s.errors if e.code == "RESOURCE_NOT_FOUND")
    # The field test saw exactly this when the directory streams through a VPC endpoint with
    # the PCoIP internet fallback off; without a VPC endpoint in the logs it is only likely.
    cause = (
        "this directory streams through a VPC endpoint, which PCoIP cannot use, and its "
        "internet fallback for PCoIP is off"
        if any(x.private_hosts for x in f.summary.sessions)
        else "most likely the directory streams through a VPC endpoint, which PCoIP cannot "
        "use, with its internet fallback for PCoIP off (or the WorkSpace no longer exists)"
    )
    return Fire({"at": error.time or _when(s), "cause": cause})


def _broker(f: LogFacts) -> Fire:
    s = _last(f)
    errors = broker_errors(s)
    detail = f" ({errors[0].message.rstrip('.')})" if errors[0].message else ""
    codes = ", ".join(dict.fromkeys(e.code for e in errors))
    return Fire({"when": _when(s), "codes": codes, "detail": detail})


def _client_error(f: LogFacts) -> Fire:
    s = _last(f)
    error = s.errors[-1]
    return Fire(
        {
            "at": error.time or _when(s),
            "where": f" in its {error.source} component" if error.source else "",
            "error": _error_text(error),
        },
    )


def _too_old(f: LogFacts) -> Fire:
    assert f.summary is not None and f.summary.client_version is not None  # a fact says so
    version = f.summary.client_version
    numbers = version_numbers(version) or (0,)
    # The log does not name the OS; the numbering does, mostly (wsdiag.fallback443).
    os = "Linux" if numbers[0] >= 2000 else "Windows"
    platforms = (
        "the Linux client ({}.{} or later)"
        if os == "Linux"
        else "Windows and macOS clients ({}.{} or later)"
    ).format(*FALLBACK_FROM[os])
    return Fire(
        {"version": version, "platforms": platforms},
        # The missing fallback may be why its last session found no endpoint: then it warns.
        severity=None if f.none_reachable is Y else Severity.INFO,
    )


def _client_error_alone(f: LogFacts) -> Fire:
    assert f.summary is not None  # a fact says so
    last = f.summary.errors[-1]
    return Fire(
        {
            "n": len(f.summary.errors),
            "at": last.time or "an unknown time",
            "error": _error_text(last),
        }
    )


def _lines(f: LogFacts) -> Fire:
    assert f.summary is not None  # a fact says so
    return Fire({"unknown": f.summary.unknown_lines, "lines": f.summary.lines})


LOG_RULES: tuple[LogRule, ...] = (
    FindingRule(
        name="endpoint-kind",
        code="LOGS_VPC_ENDPOINT_IN_USE",
        severity=Severity.INFO,
        owner=Owner.USER,
        when="the client was given a PrivateLink endpoint: streaming needs a route to the VPC",
        message="In its last DCV session ({when}) the client was given the PrivateLink "
        "streaming endpoint {private}, so this directory streams through a VPC endpoint and "
        "this machine needs a route to it.",
        remediation="Nothing to fix. From outside the VPC (home, no VPN) streaming cannot "
        "work: the directory does not fall back to the internet for DCV.",
        facts=(("offered", (Y,)), ("offered_private", (Y,))),
        fire=_vpc,
    ),
    FindingRule(
        name="endpoint-kind",
        code="LOGS_INTERNET_ENDPOINT_IN_USE",
        severity=Severity.INFO,
        owner=Owner.AWS,
        when="the client was given public streaming gateways, not a PrivateLink endpoint",
        message="In its last DCV session ({when}) the client was given public streaming "
        "gateways ({hosts}), not a PrivateLink endpoint.",
        remediation="If streaming should go through a VPC endpoint, associate the endpoint "
        "with the directory (directory settings, VPC Endpoints, Streaming endpoint).",
        facts=(("offered", (Y,)), ("offered_private", (N,))),
        fire=_internet,
    ),
    FindingRule(
        name="no-endpoint-reachable",
        code="LOGS_NO_ENDPOINT_REACHABLE",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when='the last session logged "No endpoints are reachable"',
        message="At {at} the client found {what} reachable (session {name}), so it could not "
        "stream.",
        remediation="{fix}",
        facts=(("none_reachable", (Y,)),),
        fire=_no_endpoint,
    ),
    FindingRule(
        name="transport",
        code="LOGS_QUIC_UNREACHABLE",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="the last session reached the endpoint over TCP only; QUIC was offered",
        message="In its last DCV session ({when}) the client reached the streaming endpoint "
        "over TCP only; QUIC (UDP) was offered but not reachable, so streaming is slower and "
        "less smooth.",
        remediation="Allow UDP 4195 and 443 to the endpoint (for a VPC endpoint: inbound UDP "
        "rules in its security group, and any firewall on the way).",
        facts=(("tcp_only", (Y,)),),
        fire=_in(_endpoint),
    ),
    FindingRule(
        name="transport",
        code="LOGS_4195_UNREACHABLE",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="the last session reached the endpoint on 443 only; 4195 was offered",
        message="In its last DCV session ({when}) the client reached the streaming endpoint "
        "on port 443 only; port 4195 was offered but not reachable.",
        remediation="Allow TCP and UDP 4195 to the endpoint; until then only clients with the "
        "443 fallback (Windows/macOS 5.23+, Linux 2024.7+) can stream.",
        facts=(("only_443", (Y,)),),
        fire=_in(_endpoint),
    ),
    FindingRule(
        name="pcoip-resource-not-found",
        code="LOGS_PCOIP_RESOURCE_NOT_FOUND",
        severity=Severity.ERROR,
        owner=Owner.AWS,
        when="the broker refused a PCoIP WorkSpace (RESOURCE_NOT_FOUND): PCoIP cannot use the "
        "VPC endpoint and its internet fallback is off",
        message="At {at} the broker refused to connect a PCoIP WorkSpace (RESOURCE_NOT_FOUND): "
        "{cause}.",
        remediation="In the directory's VPC endpoint settings enable \"Allow users with PCoIP "
        'WorkSpaces to stream from the internet" (API: AccessEndpointConfig.'
        'InternetFallbackProtocols = ["PCOIP"]), or migrate the WorkSpace to DCV.',
        facts=(("pcoip_refused", (Y,)),),
        fire=_pcoip,
    ),
    FindingRule(
        name="broker-error",
        code="LOGS_BROKER_ERROR",
        severity=Severity.WARNING,
        owner=Owner.AWS,
        when="the broker returned an error code in the last session",
        message="In its last session ({when}) the WorkSpaces broker returned {codes}{detail}.",
        remediation="Check the WorkSpace's state and the directory settings in the WorkSpaces "
        "console; quote this code and the time to AWS Support.",
        facts=(("broker_error", (Y,)),),
        fire=_broker,
    ),
    FindingRule(
        name="client-error",
        code="LOGS_CLIENT_ERROR",
        severity=Severity.ERROR,
        owner=Owner.DESKTOP,
        when="the last session failed inside the client (no broker code) before it tried any "
        "endpoint",
        message="At {at} the client logged an error{where} before it tried any streaming "
        "endpoint, so this attempt never reached the network: {error}.",
        remediation="Restart the WorkSpaces client and try again; if it repeats, update or "
        "reinstall the client and give this error and its time to the help desk.",
        facts=(("client_error", (Y,)),),
        fire=_client_error,
    ),
    FindingRule(
        name="client-version",
        code="LOGS_CLIENT_TOO_OLD_FOR_443_FALLBACK",
        severity=Severity.WARNING,
        owner=Owner.DESKTOP,
        when="the client predates the 443 fallback (Windows/macOS < 5.23, Linux < 2024.7); "
        "info unless its last session found no endpoint",
        message="The client is version {version}; only {platforms} can stream over port 443 "
        "when 4195 is blocked, so this one needs 4195 open.",
        remediation="Update the WorkSpaces client, or allow TCP and UDP 4195 to the endpoint.",
        facts=(("sessions", (Y,)), ("client_fallback_443", (N,))),
        fire=_too_old,
    ),
    # No session recorded: say why that may be, never a bare "no session" when it may be wrong.
    FindingRule(
        name="sessions",
        code="LOGS_UNKNOWN_FORMAT",
        severity=Severity.WARNING,
        owner=Owner.USER,
        when="lines in no known format, and no session found in the rest",
        message="{unknown} of the {lines} lines are in a format wsdiag does not know, and it "
        "found no streaming session in the rest: a session may be recorded in lines it cannot "
        "read.",
        remediation="Check that these are the WorkSpaces client's own logs; run `wsdiag check` "
        "to test the network directly.",
        facts=(("sessions", (N,)), ("unknown_lines", (Y,))),
        fire=_lines,
    ),
    FindingRule(
        name="client-error",
        code="LOGS_CLIENT_ERROR",
        severity=Severity.WARNING,
        owner=Owner.DESKTOP,
        when="no session at all, and the last error logged is the client's own",
        message="No streaming session is recorded, but the client logged {n} error(s); the "
        "last, at {at}: {error}.",
        remediation="Restart the WorkSpaces client and connect once; if the error repeats, "
        "update or reinstall the client.",
        facts=(("client_error_alone", (Y,)),),
        fire=_client_error_alone,
    ),
    FindingRule(
        name="sessions",
        code="LOGS_NO_SESSIONS",
        severity=Severity.INFO,
        owner=Owner.USER,
        when="the logs record no streaming session in the period read",
        message="The logs ({lines} lines) record no streaming session in the period read.",
        remediation="Connect to the WorkSpace once, then run this again.",
        facts=(("sessions", (N,)), ("unknown_lines", (N,))),
        fire=_lines,
    ),
)


def _file(f: ReadFacts) -> Fire:
    return Fire({"path": f.path, "detail": f.detail})


def _part(f: ReadFacts) -> Fire:
    # Skipped long lines lose nothing the rows read: no client message is that long.
    long_lines = f.problem is ProblemKind.LONG_LINES
    return Fire(
        {"path": f.path, "detail": f.detail}, severity=Severity.INFO if long_lines else None
    )


def _searched(f: ReadFacts) -> Fire:
    where = "; ".join(f.searched)
    return Fire(
        {
            "where": where or "no known location on this OS",
            "anywhere": where or "nowhere",
            "since": f.since,
        }
    )


READ_RULES: tuple[ReadRule, ...] = (
    FindingRule(
        name="files",
        code="LOGS_NOT_FOUND",
        severity=Severity.WARNING,
        owner=Owner.USER,
        when="a log file given does not exist",
        message="{path}: {detail}.",
        remediation="Check the path; give the client's log file or directory.",
        facts=(("problem", (ProblemKind.NOT_FOUND,)),),
        fire=_file,
    ),
    FindingRule(
        name="files",
        code="LOGS_READ_IN_PART",
        severity=Severity.WARNING,
        owner=Owner.USER,
        when="a log file read only in part: size or gzip-expansion cap (warning), or lines "
        "over 64 kB that span read blocks skipped (info)",
        message="Read {path} only in part: {detail}.",
        remediation="Nothing to do for skipped long lines (no client message is that long). "
        "For a file over the size cap, pass a smaller copy of its relevant part.",
        facts=(("problem", (ProblemKind.TOO_LARGE, ProblemKind.LONG_LINES)),),
        fire=_part,
    ),
    FindingRule(
        name="files",
        code="LOGS_UNREADABLE",
        severity=Severity.WARNING,
        owner=Owner.USER,
        when="not a regular file (a FIFO, a device): never opened",
        message="Did not read {path}: {detail}.",
        remediation="Give the client's log files or their directory, nothing else.",
        facts=(("problem", (ProblemKind.NOT_REGULAR,)),),
        fire=_file,
    ),
    FindingRule(
        name="files",
        code="LOGS_UNREADABLE",
        severity=Severity.WARNING,
        owner=Owner.USER,
        when="a log file could not be read",
        message="Could not read {path}: {detail}.",
        remediation="Run wsdiag as the user who runs the WorkSpaces client, or copy the logs "
        "somewhere readable and pass that path.",
        facts=(("problem", (ProblemKind.UNREADABLE,)),),
        fire=_file,
    ),
    FindingRule(
        name="files",
        code="LOGS_NOT_FOUND",
        severity=Severity.WARNING,
        owner=Owner.USER,
        when="no client log files found",
        message="No WorkSpaces client log files were found (looked in: {where}).",
        remediation="Start the WorkSpaces client and connect once, or pass the log file or "
        "directory as an argument.",
        facts=(("found", (N,)), ("since_given", (N,))),
        fire=_searched,
    ),
    FindingRule(
        name="files",
        code="LOGS_NOT_FOUND",
        severity=Severity.WARNING,
        owner=Owner.USER,
        when="no client log file modified since --since",
        message="No WorkSpaces client log file was modified since {since} (looked in: {anywhere}).",
        remediation="Widen --since, or connect with the client and run this again.",
        facts=(("found", (N,)), ("since_given", (Y,))),
        fire=_searched,
    ),
    FindingRule(
        name="scope",
        code="LOGS_NOT_COUNTED",
        severity=Severity.INFO,
        owner=Owner.DESKTOP,
        when="client-log sessions older than the window (7 days, `--logs-since`) or of another "
        "region than the one checked: a note with their age, never a finding",
        message="Not counted: {n} client session(s) {why} (the newest {when}, {age} ago); they "
        "tell about another time or directory, not this check of {region}.",
        remediation="Nothing to do for this check. To read them anyway: wsdiag logs (or "
        "--logs-since with an older date).",
        facts=(("left_out", (Y,)),),
        fire=lambda f: Fire(
            {
                "n": f.left_n,
                "why": f.left_why,
                "when": f.left_when or "at an unknown time",
                "age": f.left_age or "an unknown time",
                "region": f.region or "this region",
            }
        ),
    ),
)
