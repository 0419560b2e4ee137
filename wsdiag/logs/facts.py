"""What the client's logs' rows read: facts about the sessions the logs record, and about
reading the files themselves. Pure: a LogSummary (or a ReadProblem) in, a frozen value out.

The rows (``wsdiag.logs.rows``) look at the most recent session of the relevant kind, not at
history: an old failure that a later session got past is shown in the timeline, not raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wsdiag.fallback443 import client_has_443_fallback
from wsdiag.logs.files import ProblemKind, ReadProblem
from wsdiag.vocab.logs import LogError, LogSummary, Outcome, Protocol, Session
from wsdiag.vocab.model import Tri

Y, N, U = Tri.YES, Tri.NO, Tri.UNKNOWN


def _last(summary: LogSummary, pred: Callable[[Session], bool]) -> Session | None:
    for session in reversed(summary.sessions):
        if pred(session):
            return session
    return None


def _pcoip_refusal(s: Session) -> LogError | None:
    return next((e for e in s.errors if e.code == "RESOURCE_NOT_FOUND"), None)


def broker_errors(s: Session) -> list[LogError]:
    """The broker's errors in this session, but a PCoIP session's RESOURCE_NOT_FOUND (the
    PCoIP row explains that one)."""
    return [
        e
        for e in s.errors
        if e.origin == "broker"
        and not (s.protocol is Protocol.PCOIP and e.code == "RESOURCE_NOT_FOUND")
    ]


@dataclass(frozen=True)
class LogFacts:
    """The facts of one LogSummary (UNKNOWN throughout when nothing could be parsed), and the
    sessions and values their messages name."""

    sessions: Tri  # the logs record a streaming session
    offered: Tri  # the latest endpoint session was offered endpoints
    offered_private: Tri  # ... a PrivateLink endpoint among them
    none_reachable: Tri  # ... logged "No endpoints are reachable" and reached none
    tcp_only: Tri  # ... offered QUIC, reached TCP only
    only_443: Tri  # ... offered 4195, reached 443 only
    pcoip_refused: Tri  # the latest PCoIP session was refused with RESOURCE_NOT_FOUND
    broker_error: Tri  # the broker returned another error code in the last session
    client_error: Tri  # the last session failed in the client before trying an endpoint
    client_fallback_443: Tri  # the client's version has the 443 fallback
    unknown_lines: Tri  # some lines are in no known format
    client_error_alone: Tri  # no session, and the last error the client logged is its own
    # the values behind the facts, for messages
    summary: LogSummary | None = None
    endpoint_session: Session | None = None  # the latest session told where to stream
    pcoip_session: Session | None = None  # the latest PCoIP session
    last_session: Session | None = None

    @staticmethod
    def of(summary: LogSummary | None) -> LogFacts:
        if summary is None:
            return LogFacts(U, U, U, U, U, U, U, U, U, U, U, U)
        ep = _last(summary, lambda s: bool(s.offered) or s.probed)
        pcoip = _last(summary, lambda s: s.protocol is Protocol.PCOIP)
        last = summary.last_session
        offered_t = {e.transport for e in ep.offered} if ep else set()
        reach_t = {e.transport for e in ep.reachable} if ep else set()
        offered_p = {e.port for e in ep.offered} if ep else set()
        reach_p = {e.port for e in ep.reachable} if ep else set()
        last_error = summary.errors[-1] if summary.errors else None
        return LogFacts(
            sessions=Tri.of(bool(summary.sessions)),
            offered=Tri.of(ep is not None and bool(ep.offered)),
            offered_private=Tri.of(ep is not None and bool(ep.private_hosts)),
            none_reachable=Tri.of(
                ep is not None and ep.no_endpoint_reachable_time is not None and not ep.reachable
            ),
            tcp_only=Tri.of("QUIC" in offered_t - reach_t and "TCP" in reach_t),
            only_443=Tri.of(4195 in offered_p - reach_p and 443 in reach_p),
            pcoip_refused=Tri.of(pcoip is not None and _pcoip_refusal(pcoip) is not None),
            broker_error=Tri.of(last is not None and bool(broker_errors(last))),
            client_error=Tri.of(last is not None and last.outcome is Outcome.CLIENT_ERROR),
            client_fallback_443=Tri.of(client_has_443_fallback(None, summary.client_version)),
            unknown_lines=Tri.of(summary.unknown_lines > 0),
            client_error_alone=Tri.of(
                not summary.sessions and last_error is not None and last_error.origin == "client"
            ),
            summary=summary,
            endpoint_session=ep,
            pcoip_session=pcoip,
            last_session=last,
        )

    def fact(self, name: str) -> object:
        return getattr(self, name)

    def basis_of(self, name: str) -> tuple[str, ...]:
        """The session the fact was read from, as ``logs/session/<key>``; () for facts of
        the whole summary."""
        session = {
            "offered": self.endpoint_session,
            "offered_private": self.endpoint_session,
            "none_reachable": self.endpoint_session,
            "tcp_only": self.endpoint_session,
            "only_443": self.endpoint_session,
            "pcoip_refused": self.pcoip_session,
            "broker_error": self.last_session,
            "client_error": self.last_session,
        }.get(name)
        return (f"logs/session/{session.key}",) if session is not None else ()


@dataclass(frozen=True)
class ReadFacts:
    """One thing about reading the logs: a problem with one file, or no log file at all."""

    problem: ProblemKind | None  # None: no file problem (see ``found``)
    found: Tri  # NO: no client log file at all where wsdiag looked
    since_given: Tri  # --since narrowed what counted
    path: str = ""
    detail: str = ""
    searched: tuple[str, ...] = ()
    since: str = ""  # ISO 8601, when given
    # sessions left out of a check (older than its window, or of another region)
    left_out: Tri = U
    left_n: int = 0
    left_when: str = ""  # the newest left-out session's time, "2025-08-28T04:29:37Z"
    left_age: str = ""  # its age in words, "15 months"
    left_why: str = ""  # "older than 2026-11-26" and/or "for us-east-1"
    region: str = ""  # the checked region

    @staticmethod
    def of(p: ReadProblem) -> ReadFacts:
        return ReadFacts(problem=p.kind, found=U, since_given=U, path=p.path, detail=p.detail)

    @staticmethod
    def nothing_found(searched: tuple[str, ...], since: str | None) -> ReadFacts:
        return ReadFacts(
            problem=None,
            found=N,
            since_given=Tri.of(since is not None),
            searched=searched,
            since=since or "",
        )

    @staticmethod
    def left(n: int, when: str, age: str, why: str, region: str) -> ReadFacts:
        return ReadFacts(
            problem=None,
            found=Y,
            since_given=U,
            left_out=Y,
            left_n=n,
            left_when=when,
            left_age=age,
            left_why=why,
            region=region,
        )

    def fact(self, name: str) -> object:
        return getattr(self, name)

    def basis_of(self, name: str) -> tuple[str, ...]:
        return ()
