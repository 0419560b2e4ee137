"""Building one session's record while its lines are read, and reading endpoint lines.
Pure helpers of the parser (wsdiag.logs.parse); bounded: at most MAX_ENDPOINTS endpoints and
MAX_ERRORS errors per session."""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import UTC, datetime
from enum import StrEnum

from wsdiag.logs.lines import (
    ENDPOINT,
    REGION_IN_SID,
)
from wsdiag.vocab.logs import (
    Endpoint,
    LogError,
    Protocol,
    Session,
)

MAX_ENDPOINTS = 64
MAX_ERRORS = 32
MAX_ORPHAN_ERRORS = 64
DEFAULT_MAX_SESSIONS = 64


class Block(StrEnum):
    NONE = ""
    OFFERED = "offered"  # untimestamped "hostname: …" lines after "…, endpoints:"
    # timestamped "hostname: …" lines after "Reachable endpoints after probing:"
    REACHABLE = "reachable"


class SessionBuilder:
    """Mutable while the log is read; frozen into a :class:`Session` on demand."""

    __slots__ = (
        "attempted",
        "attempted_time",
        "client_version",
        "connect_transport",
        "errors",
        "key",
        "no_endpoint_reachable_time",
        "offered",
        "probed",
        "protocol",
        "reachable",
        "reconnection",
        "region",
        "request_id",
        "request_protocol",
        "request_type",
        "session_id",
        "source",
        "start_time",
    )

    def __init__(self, key: str, time: str | None, version: str | None, source: str | None) -> None:
        self.key = key
        self.source = source
        self.session_id: str | None = None
        self.region: str | None = None
        self.protocol = Protocol.UNKNOWN
        self.start_time = time
        self.client_version = version
        self.offered: dict[tuple[str, str, int], Endpoint] = {}
        self.reachable: dict[tuple[str, str, int], Endpoint] = {}
        self.probed = False
        self.no_endpoint_reachable_time: str | None = None
        self.attempted: Endpoint | None = None
        self.attempted_time: str | None = None
        self.reconnection: bool | None = None
        self.connect_transport: str | None = None
        self.request_type: str | None = None
        self.request_protocol: str | None = None
        self.request_id: str | None = None
        self.errors: list[LogError] = []

    def freeze(self) -> Session:
        return Session(
            key=self.key,
            session_id=self.session_id,
            region=self.region,
            protocol=self.protocol,
            start_time=self.start_time,
            client_version=self.client_version,
            offered=tuple(self.offered.values()),
            reachable=tuple(self.reachable.values()),
            probed=self.probed,
            no_endpoint_reachable_time=self.no_endpoint_reachable_time,
            attempted=self.attempted,
            attempted_time=self.attempted_time,
            reconnection=self.reconnection,
            connect_transport=self.connect_transport,
            request_type=self.request_type,
            request_id=self.request_id,
            errors=tuple(self.errors),
            source=self.source,
        )


def add_endpoint(into: dict[tuple[str, str, int], Endpoint], endpoint: Endpoint | None) -> None:
    if endpoint is not None and len(into) < MAX_ENDPOINTS:
        into.setdefault(endpoint.key(), endpoint)


def parse_endpoint(text: str) -> Endpoint | None:
    """The first ``hostname: …, transport: …, port: …`` description in ``text``."""
    m = ENDPOINT.search(text)
    return None if m is None else endpoint_of(m)


def endpoint_of(m: re.Match[str]) -> Endpoint:
    return Endpoint(
        host=m["host"],
        transport=m["transport"].upper(),
        port=int(m["port"]),
        gateway_type=m["gw"] or None,
        ip_version=m["ipv"] or None,
    )


def region_of_session_id(session_id: str) -> str | None:
    """``prod-ap-northeast-1-<uuid>`` -> ``ap-northeast-1``."""
    m = REGION_IN_SID.match(session_id)
    return m["region"].lower() if m else None


def to_datetime(ts: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(ts.replace(",", "."))
    except ValueError:
        return None
    # Client timestamps carry "Z"; one without a zone is taken as UTC like its neighbours.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SessionTable:
    """The sessions being built, keyed by Session-Id (or a stand-in key), oldest first; at
    most ``limit`` are kept, the oldest dropped. ``current`` is the one lines attach to."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.builders: OrderedDict[str, SessionBuilder] = OrderedDict()
        self.total = 0
        self.current: SessionBuilder | None = None

    def get(
        self, key: str, time: str | None, version: str | None, source: str | None
    ) -> SessionBuilder:
        """The session under ``key``, started now (at ``time``) if there is none."""
        found = self.builders.get(key)
        if found is not None:
            return found
        builder = SessionBuilder(key, time, version, source)
        self.builders[key] = builder
        self.total += 1
        while len(self.builders) > self.limit:
            self.builders.popitem(last=False)
        return builder

    def named(
        self, sid: str, time: str | None, version: str | None, source: str | None
    ) -> SessionBuilder:
        """The session a prod-… id names, adopting a broker request that preceded it; it
        becomes ``current``."""
        found = self.builders.get(sid)
        if found is None:
            cur = self.current
            if (
                cur is not None
                and cur.session_id is None
                and not cur.errors
                and cur.protocol is not Protocol.PCOIP
                and not cur.offered
            ):
                # The broker request (keyed by its own Session-Id) came first; the streaming
                # session it led to is the same attempt, so keep one record under the new id.
                del self.builders[cur.key]
                cur.key = sid
                self.builders[sid] = cur
                found = cur
            else:
                found = self.get(sid, time, version, source)
        if found.session_id is None:
            found.session_id = sid
            region = region_of_session_id(sid)
            if region is not None:
                found.region = region
        self.current = found
        return found
