"""The logs package's vocabulary: what a client log tells about each session (offered and
reached endpoints, errors, outcome). Frozen dataclasses and enums, no I/O, no parsing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from wsdiag.vocab import codec
from wsdiag.vocab.results import Finding


class Protocol(StrEnum):
    """Streaming protocol of a session. The client still calls DCV "WSP" in places."""

    DCV = "dcv"
    PCOIP = "pcoip"
    UNKNOWN = "unknown"

    @staticmethod
    def parse(word: str | None) -> Protocol:
        key = (word or "").strip().upper()
        if key in ("WSP", "DCV"):
            return Protocol.DCV
        if key == "PCOIP":
            return Protocol.PCOIP
        return Protocol.UNKNOWN


class Outcome(StrEnum):
    """How far a session got, as far as the log says. The log never confirms success."""

    BROKER_ERROR = "broker-error"  # the broker refused (e.g. RESOURCE_NOT_FOUND)
    NO_ENDPOINT_REACHABLE = "no-endpoint-reachable"
    CONNECTING = "connecting"  # the client attempted an endpoint
    CLIENT_ERROR = "client-error"  # the client logged an error before it attempted an endpoint
    PROBED = "probed"  # reachability known, no attempt seen
    STARTED = "started"  # endpoints offered or request sent, nothing more seen


@dataclass(frozen=True)
class Endpoint:
    host: str
    transport: str  # as logged, upper-cased: "QUIC", "TCP"
    port: int
    gateway_type: str | None = None
    ip_version: str | None = None

    JSON_COMPUTED: ClassVar[tuple[str, ...]] = ("private",)

    @property
    def label(self) -> str:
        """Transport and port, e.g. ``QUIC/4195``."""
        return f"{self.transport}/{self.port}"

    @property
    def private(self) -> bool:
        """Named like the PrivateLink endpoint: the private DNS name
        (``privatelink.prod.<region>…``) or the endpoint's own name
        (``vpce-….prod.highlander.<region>.vpce.amazonaws.com``, S1), which a directory with
        Private DNS names off streams to."""
        host = self.host.lower()
        own = host.startswith("vpce-") and ".highlander." in host and ".vpce.amazonaws.com" in host
        return "privatelink" in host or own

    def key(self) -> tuple[str, str, int]:
        return (self.host.lower(), self.transport, self.port)


@dataclass(frozen=True)
class LogError:
    """An error the client logged, usually from the session broker."""

    time: str | None
    code: str
    message: str | None = None
    error_type: str | None = None  # e.g. com.amazonaws.wsbrokerservice#ResourceNotFoundException
    source: str | None = None  # the component that logged it
    action: str | None = None  # e.g. PerformResourceActionConnect
    request_type: str | None = None  # from the preceding PerformResourceActionRequest
    protocol: str | None = None  # as logged in that request, e.g. "PCOIP"
    # "broker": a Code:/"Error while calling" error; "client": an error-level line without
    # one (the code is then the payload's ExceptionType/ErrorCode, or CLIENT_ERROR).
    origin: str = "broker"


@dataclass(frozen=True)
class Session:
    key: str  # the session id, or "request:<Session-Id>" for broker-only sessions
    session_id: str | None  # prod-<region>-<uuid> when the log named one
    region: str | None  # lower case
    protocol: Protocol
    start_time: str | None
    client_version: str | None
    offered: tuple[Endpoint, ...] = ()
    reachable: tuple[Endpoint, ...] = ()
    probed: bool = False  # the client reported the outcome of its reachability probe
    no_endpoint_reachable_time: str | None = None
    attempted: Endpoint | None = None
    attempted_time: str | None = None
    reconnection: bool | None = None
    connect_transport: str | None = None  # "QUIC" from "Connecting WorkSpace using QUIC"
    request_type: str | None = None
    request_id: str | None = None  # the broker request's Session-Id
    errors: tuple[LogError, ...] = ()
    source: str | None = None  # the file the session started in, when the reader said

    JSON_COMPUTED: ClassVar[tuple[str, ...]] = ("outcome",)

    @property
    def outcome(self) -> Outcome:
        if any(e.origin == "broker" for e in self.errors):
            return Outcome.BROKER_ERROR
        if self.no_endpoint_reachable_time is not None:
            return Outcome.NO_ENDPOINT_REACHABLE
        if self.attempted is not None or self.connect_transport is not None:
            return Outcome.CONNECTING
        if self.errors:
            return Outcome.CLIENT_ERROR
        if self.probed or self.reachable:
            return Outcome.PROBED
        return Outcome.STARTED

    @property
    def private_hosts(self) -> tuple[str, ...]:
        return _unique(e.host for e in self.offered if e.private)


@dataclass(frozen=True)
class LogSummary:
    client_version: str | None
    sessions: tuple[Session, ...]  # oldest first; at most max_sessions of them
    sessions_total: int  # including sessions dropped to bound memory
    errors: tuple[LogError, ...]  # errors not tied to a session
    lines: int
    matched_lines: int  # lines that went past the prefilter
    unknown_lines: int = 0  # lines in no known format (not a head, not a continuation)

    @property
    def last_session(self) -> Session | None:
        return self.sessions[-1] if self.sessions else None


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class ClientLogEvidence:
    region: str | None  # from the most recent session that names one; lower case
    private_hosts: tuple[str, ...]  # PrivateLink names offered in the latest endpoint session
    last_session_time: str | None
    last_reachable: tuple[str, ...]  # e.g. ("QUIC/4195", "TCP/443")
    last_no_endpoint_reachable: bool
    client_version: str | None
    findings: tuple[Finding, ...]
    last_session_id: str | None = None
    files: tuple[str, ...] = ()  # the files read, newest first


@dataclass(frozen=True)
class RawLogs:
    """The logs as read, before a check judges which sessions count: the summary (None:
    nothing parsed), the findings about reading the files, the files read newest first, and
    their modification times (path, s since the epoch)."""

    summary: LogSummary | None
    read_findings: tuple[Finding, ...]
    files: tuple[str, ...]
    mtimes: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class LogContext:
    """What the client's own logs contributed to this check (empty: none were read).
    ``region`` is read from every session (it may choose the region); the findings and
    private names only from the sessions that count (``wsdiag.logs.context.scope_logs``)."""

    region: str | None = None
    private_hosts: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    evidence: ClientLogEvidence | None = None
    owner: str | None = None  # whose logs (run as SYSTEM/root); None: this account's own
    raw: RawLogs | None = None  # what was read, for scoping to the checked region
    since: datetime | None = None  # sessions before this do not count (None: the default)
    scoped: bool = False  # scope_logs has run


@dataclass(frozen=True)
class ClientLogFacts:
    """What the client's logs give a check (``wsdiag.evidence.logs.LogsSource.facts``):
    their own findings, shown; and the regions their sessions name, which the check's rows
    read (``wsdiag.rules.facts``: REGION_MISMATCH)."""

    findings: tuple[Finding, ...]  # the logs' own findings (``wsdiag.logs.findings``)
    # every region a logged session names, any age, sorted (``wsdiag.logs.scope``); () when
    # no logs were read or none names one
    log_regions: tuple[str, ...] = ()
    log_region_latest: str | None = None  # of the newest session that names one
    read: bool = False  # some client log was read (else the regions say nothing)


@dataclass(frozen=True)
class ClientLogs:
    """The client's logs as the check report carries them: the evidence, and one line
    comparing its last session with what this run reached (``None``: no session seen)."""

    evidence: ClientLogEvidence = field(metadata=codec.flat())  # its keys are the block's
    comparison: str | None
