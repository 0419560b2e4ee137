"""What the client's own logs say is wrong: pure rules from a LogSummary to Findings.

Rules look at the most recent session of the relevant kind, not at history: an old
failure that a later session got past is shown in the timeline, not raised as a finding.
Every finding names the rule that produced it and the session behind it (in ``probes``,
as ``logs/session/<key>``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from wsdiag.logs.files import ReadProblem
from wsdiag.logs.problems import problem_findings
from wsdiag.logs.rows import OWNERS
from wsdiag.vocab.logs import LogError, LogSummary, Outcome, Protocol, Session
from wsdiag.vocab.model import Owner, Severity
from wsdiag.vocab.results import Finding

# Minimum client versions with the TCP/UDP 443 fallback for DCV (What's New, Nov 2024).
_FALLBACK_WINMAC = (5, 23)
_FALLBACK_LINUX = (2024, 7)

_CHECK_HINT = "Run `wsdiag check` on this machine to see which step fails."


def _ref(session: Session) -> tuple[str, ...]:
    return (f"logs/session/{session.key}",)


def _when(session: Session) -> str:
    return session.start_time or "an unknown time"


def _name(session: Session) -> str:
    return session.session_id or session.request_id or session.key


def _last(summary: LogSummary, pred: Callable[[Session], bool]) -> Session | None:
    for session in reversed(summary.sessions):
        if pred(session):
            return session
    return None


def _endpoint_session(summary: LogSummary) -> Session | None:
    """The most recent session in which the client was told where to stream."""
    return _last(summary, lambda s: bool(s.offered) or s.probed)


# --- rules -------------------------------------------------------------------------------


def _rule_endpoint_kind(summary: LogSummary) -> list[Finding]:
    s = _endpoint_session(summary)
    if s is None or not s.offered:
        return []
    private = s.private_hosts
    if private:
        return [
            Finding(
                code="LOGS_VPC_ENDPOINT_IN_USE",
                severity=Severity.INFO,
                message=(
                    f"In its last DCV session ({_when(s)}) the client was given the PrivateLink "
                    f"streaming endpoint {', '.join(private)}, so this directory streams "
                    "through a VPC endpoint and this machine needs a route to it."
                ),
                remediation=(
                    "Nothing to fix. From outside the VPC (home, no VPN) streaming cannot work: "
                    "the directory does not fall back to the internet for DCV."
                ),
                probes=_ref(s),
                rule="endpoint-kind",
            )
        ]
    hosts = ", ".join(dict.fromkeys(e.host for e in s.offered))
    return [
        Finding(
            code="LOGS_INTERNET_ENDPOINT_IN_USE",
            severity=Severity.INFO,
            message=(
                f"In its last DCV session ({_when(s)}) the client was given public streaming "
                f"gateways ({hosts}), not a PrivateLink endpoint."
            ),
            remediation=(
                "If streaming should go through a VPC endpoint, associate the endpoint with "
                "the directory (directory settings, VPC Endpoints, Streaming endpoint)."
            ),
            probes=_ref(s),
            rule="endpoint-kind",
        )
    ]


def _rule_no_endpoint(summary: LogSummary) -> list[Finding]:
    s = _endpoint_session(summary)
    if s is None or s.no_endpoint_reachable_time is None or s.reachable:
        return []
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
    return [
        Finding(
            code="LOGS_NO_ENDPOINT_REACHABLE",
            severity=Severity.ERROR,
            message=(
                f"At {s.no_endpoint_reachable_time} the client found {what} reachable "
                f"(session {_name(s)}), so it could not stream."
            ),
            remediation=fix,
            probes=_ref(s),
            rule="no-endpoint-reachable",
        )
    ]


def _rule_transport(summary: LogSummary) -> list[Finding]:
    s = _endpoint_session(summary)
    if s is None or not s.reachable:
        return []
    out: list[Finding] = []
    offered_t = {e.transport for e in s.offered}
    reach_t = {e.transport for e in s.reachable}
    if "QUIC" in offered_t and "QUIC" not in reach_t and "TCP" in reach_t:
        out.append(
            Finding(
                code="LOGS_QUIC_UNREACHABLE",
                severity=Severity.WARNING,
                message=(
                    f"In its last DCV session ({_when(s)}) the client reached the streaming "
                    "endpoint over TCP only; QUIC (UDP) was offered but not reachable, so "
                    "streaming is slower and less smooth."
                ),
                remediation=(
                    "Allow UDP 4195 and 443 to the endpoint (for a VPC endpoint: inbound UDP "
                    "rules in its security group, and any firewall on the way)."
                ),
                probes=_ref(s),
                rule="transport",
            )
        )
    offered_p = {e.port for e in s.offered}
    reach_p = {e.port for e in s.reachable}
    if 4195 in offered_p and 4195 not in reach_p and 443 in reach_p:
        out.append(
            Finding(
                code="LOGS_4195_UNREACHABLE",
                severity=Severity.WARNING,
                message=(
                    f"In its last DCV session ({_when(s)}) the client reached the streaming "
                    "endpoint on port 443 only; port 4195 was offered but not reachable."
                ),
                remediation=(
                    "Allow TCP and UDP 4195 to the endpoint; until then only clients with the "
                    "443 fallback (Windows/macOS 5.23+, Linux 2024.7+) can stream."
                ),
                probes=_ref(s),
                rule="transport",
            )
        )
    return out


def _rule_pcoip(summary: LogSummary) -> list[Finding]:
    s = _last(summary, lambda x: x.protocol is Protocol.PCOIP)
    error = next((e for e in s.errors if e.code == "RESOURCE_NOT_FOUND"), None) if s else None
    if s is None or error is None:
        return []
    vpc_seen = any(x.private_hosts for x in summary.sessions)
    # The field test saw exactly this when the directory streams through a VPC endpoint with
    # the PCoIP internet fallback off; without a VPC endpoint in the logs it is only likely.
    cause = (
        "this directory streams through a VPC endpoint, which PCoIP cannot use, and its "
        "internet fallback for PCoIP is off"
        if vpc_seen
        else "most likely the directory streams through a VPC endpoint, which PCoIP cannot "
        "use, with its internet fallback for PCoIP off (or the WorkSpace no longer exists)"
    )
    return [
        Finding(
            code="LOGS_PCOIP_RESOURCE_NOT_FOUND",
            severity=Severity.ERROR,
            message=(
                f"At {error.time or _when(s)} the broker refused to connect a PCoIP WorkSpace "
                f"(RESOURCE_NOT_FOUND): {cause}."
            ),
            remediation=(
                "In the directory's VPC endpoint settings enable \"Allow users with PCoIP "
                'WorkSpaces to stream from the internet" (API: AccessEndpointConfig.'
                'InternetFallbackProtocols = ["PCOIP"]), or migrate the WorkSpace to DCV.'
            ),
            probes=_ref(s),
            rule="pcoip-resource-not-found",
        )
    ]


def _rule_broker_errors(summary: LogSummary) -> list[Finding]:
    s = summary.last_session
    if s is None:
        return []
    broker = [e for e in s.errors if e.origin == "broker"]
    codes = [
        e.code
        for e in broker
        if not (s.protocol is Protocol.PCOIP and e.code == "RESOURCE_NOT_FOUND")
    ]
    if not codes:
        return []
    first = next(e for e in broker if e.code == codes[0])
    detail = f" ({first.message.rstrip('.')})" if first.message else ""
    return [
        Finding(
            code="LOGS_BROKER_ERROR",
            severity=Severity.WARNING,
            message=(
                f"In its last session ({_when(s)}) the WorkSpaces broker returned "
                f"{', '.join(dict.fromkeys(codes))}{detail}."
            ),
            remediation=(
                "Check the WorkSpace's state and the directory settings in the WorkSpaces "
                "console; quote this code and the time to AWS Support."
            ),
            probes=_ref(s),
            rule="broker-error",
        )
    ]


def _error_text(error: LogError) -> str:
    text = error.code
    if error.message:
        text += f" ({error.message.rstrip('.')})"
    return text


def _rule_client_error(summary: LogSummary) -> list[Finding]:
    """The last session failed inside the client before it attempted an endpoint."""
    s = summary.last_session
    if s is None or s.outcome is not Outcome.CLIENT_ERROR:
        return []
    error = s.errors[-1]
    where = f" in its {error.source} component" if error.source else ""
    return [
        Finding(
            code="LOGS_CLIENT_ERROR",
            severity=Severity.ERROR,
            message=(
                f"At {error.time or _when(s)} the client logged an error{where} before it "
                f"tried any streaming endpoint, so this attempt never reached the network: "
                f"{_error_text(error)}."
            ),
            remediation=(
                "Restart the WorkSpaces client and try again; if it repeats, update or "
                "reinstall the client and give this error and its time to the help desk."
            ),
            probes=_ref(s),
            rule="client-error",
            owner=Owner.DESKTOP,
        )
    ]


def version_tuple(version: str) -> tuple[int, ...] | None:
    parts = re.findall(r"\d+", version)
    if not parts or not re.match(r"^\s*\d", version):
        return None
    return tuple(int(p) for p in parts[:4])


def _rule_client_version(summary: LogSummary) -> list[Finding]:
    version = summary.client_version
    vt = version_tuple(version) if version else None
    if version is None or vt is None:
        return []
    # The log does not name the OS. The numbering does, mostly: Windows and macOS clients are
    # 5.x, the current Linux client is <year>.x; 3.x/4.x clients predate both thresholds.
    if vt[0] >= 2000:
        threshold, platforms = _FALLBACK_LINUX, "the Linux client (2024.7 or later)"
    else:
        threshold, platforms = _FALLBACK_WINMAC, "Windows and macOS clients (5.23 or later)"
    if vt[:2] >= threshold:
        return []
    s = _endpoint_session(summary)
    failed = s is not None and s.no_endpoint_reachable_time is not None and not s.reachable
    return [
        Finding(
            code="LOGS_CLIENT_TOO_OLD_FOR_443_FALLBACK",
            severity=Severity.WARNING if failed else Severity.INFO,
            message=(
                f"The client is version {version}; only {platforms} can stream over port 443 "
                "when 4195 is blocked, so this one needs 4195 open."
            ),
            remediation="Update the WorkSpaces client, or allow TCP and UDP 4195 to the endpoint.",
            rule="client-version",
        )
    ]


_RULES: tuple[Callable[[LogSummary], list[Finding]], ...] = (
    _rule_endpoint_kind,
    _rule_no_endpoint,
    _rule_transport,
    _rule_pcoip,
    _rule_broker_errors,
    _rule_client_error,
    _rule_client_version,
)

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _no_session_findings(summary: LogSummary) -> list[Finding]:
    """No session found: say why that may be, never a bare "no session" when it may be wrong."""
    out: list[Finding] = []
    if summary.unknown_lines:
        out.append(
            Finding(
                code="LOGS_UNKNOWN_FORMAT",
                severity=Severity.WARNING,
                message=(
                    f"{summary.unknown_lines} of the {summary.lines} lines are in a format "
                    "wsdiag does not know, and it found no streaming session in the rest: a "
                    "session may be recorded in lines it cannot read."
                ),
                remediation=(
                    "Check that these are the WorkSpaces client's own logs; run `wsdiag check` "
                    "to test the network directly."
                ),
                rule="sessions",
            )
        )
    last = summary.errors[-1] if summary.errors else None
    if last is not None and last.origin == "client":
        out.append(
            Finding(
                code="LOGS_CLIENT_ERROR",
                severity=Severity.WARNING,
                message=(
                    f"No streaming session is recorded, but the client logged "
                    f"{len(summary.errors)} error(s); the last, at "
                    f"{last.time or 'an unknown time'}: {_error_text(last)}."
                ),
                remediation=(
                    "Restart the WorkSpaces client and connect once; if the error repeats, "
                    "update or reinstall the client."
                ),
                rule="client-error",
                owner=Owner.DESKTOP,
            )
        )
    if summary.unknown_lines:
        return out
    no_session = Finding(
        code="LOGS_NO_SESSIONS",
        severity=Severity.INFO,
        message=f"The logs ({summary.lines} lines) record no streaming session in the period read.",
        remediation="Connect to the WorkSpace once, then run this again.",
        rule="sessions",
    )
    return [*out, no_session]


def summary_findings(summary: LogSummary) -> list[Finding]:
    if not summary.sessions:
        return _no_session_findings(summary)
    out: list[Finding] = []
    for rule in _RULES:
        out.extend(rule(summary))
    return out


def log_findings(
    summary: LogSummary | None, problems: Sequence[ReadProblem] = ()
) -> tuple[Finding, ...]:
    """All findings, most severe first; ties keep rule order. Each names its owner."""
    found = problem_findings(problems)
    if summary is not None:
        found.extend(summary_findings(summary))
    found = [replace(f, owner=OWNERS.get(f.code)) for f in found]
    return tuple(sorted(found, key=lambda f: _SEVERITY_ORDER[f.severity]))
