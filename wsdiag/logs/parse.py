"""Parse the WorkSpaces client's own log: what it was offered, what it reached, what failed.

Pure and incremental: a :class:`LogParser` is fed lines (:meth:`LogParser.feed`) or whole
blocks of bytes (:meth:`LogParser.feed_block`, the fast path) and asked for a
:class:`LogSummary` at any time. It never sees a file.

The line format is not documented by AWS; everything here follows real lines. Three heads
are known, and the messages after them are read the same way whichever head they carry::

    2025-08-28T04:29:38.769Z { Version: "5.29.1.5595" }: [INF] Reachable endpoint: …
    2025-03-04T09:12.07Z [ Native ]: [WARN] No endpoints are reachable. …
    2025-03-04 09:12:07,123456 [ 4242:4243 ] ERROR DCV.Connection - …

(the Windows/macOS 5.x client, the Linux 2024.x client, the DCV viewer).

The Linux client joins minutes and seconds with '.'; such timestamps are normalised to ISO
8601 (``2025-03-04T09:12:07Z``), as are the viewer's (``2025-03-04T09:12:07.123456``, no
zone given: taken as UTC like the rest). Windows/macOS timestamps are kept as logged.
Lines that neither start with a known head nor continue the previous line (indented, or a
``hostname:`` line of an endpoint list) are counted as ``unknown_lines``.

Matching is linear in the line length: every quantifier in this module's patterns is
bounded (a test walks the compiled patterns to hold this), and the one search that used an
unbounded, overlapping pattern (``Code:`` with the component name before it, quadratic on
long dotted text) is done with ``str.find`` and an anchored match on the reversed text
before it instead.

Speed comes from not looking at most lines: nearly all of a real log is unrelated, so the
block path searches the bytes for a handful of literal markers (C speed) and only the lines
that contain one are decoded and matched against regular expressions. Feeding the same text
line by line gives exactly the same summary; a property test holds the two paths together.

Memory is bounded whatever the input: only the last ``max_sessions`` sessions are kept, and
each session keeps at most ``MAX_ENDPOINTS`` endpoints and ``MAX_ERRORS`` errors.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from wsdiag.logs.lines import (
    ATTEMPT,
    BKNOWN_LINE,
    BMARKERS,
    BROKER_REGION,
    BUNKNOWN_AFTER_NL,
    BVERSION_MARK,
    CONNECTING_RE,
    ENDPOINT,
    ERROR_LEVELS,
    ERROR_WHILE,
    FAIL_LEVELS,
    HEAD,
    KNOWN_LINE,
    MARKERS,
    RECONNECT,
    REQUEST,
    SESSION_ID,
    START,
    VERSION,
    VERSION_MARK,
    client_error_text,
    find_code,
    timestamp_of,
)
from wsdiag.logs.sessions import (
    DEFAULT_MAX_SESSIONS,
    MAX_ERRORS,
    MAX_ORPHAN_ERRORS,
    Block,
    SessionBuilder,
    SessionTable,
    add_endpoint,
    endpoint_of,
    parse_endpoint,
    to_datetime,
)
from wsdiag.vocab.logs import (
    LogError,
    LogSummary,
    Protocol,
)


class LogParser:
    """Incremental parser. Feed it lines in file order, oldest file first."""

    def __init__(
        self, *, since: datetime | None = None, max_sessions: int = DEFAULT_MAX_SESSIONS
    ) -> None:
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        self._since = since
        self._table = SessionTable(max_sessions)
        self._orphans: deque[LogError] = deque(maxlen=MAX_ORPHAN_ERRORS)
        self._version: str | None = None
        # Per source (file): the last line that gives the client's version, and when it was
        # fed. Lines of one file are in time order, so that line is the file's newest; which
        # file is newest is decided by the lines' own times in summary() (the feed order
        # follows mtimes, which a copy or checkout resets).
        self._version_lines: dict[str | None, tuple[int, str]] = {}
        self._fed = 0
        self._time: str | None = None
        self._block = Block.NONE
        self._skipping = False  # inside lines older than --since
        self._lines = 0
        self._matched = 0
        self._unknown = 0
        self._ts_cache: tuple[str, bool] = ("", False)
        # A label for what is being fed (a file name); recorded on sessions that start now.
        self.source: str | None = None

    # --- feeding -------------------------------------------------------------------

    def feed(self, line: str) -> None:
        """One line, with or without its line ending."""
        self._lines += 1
        if KNOWN_LINE.match(line) is None:
            self._unknown += 1
        if VERSION_MARK in line:
            if self._version is None:
                self._take_version(line)
            if VERSION.search(line):
                self._note_version_line(line)
        for marker in MARKERS:
            if marker in line:
                self._matched += 1
                self._handle(line)
                return
        self._block = Block.NONE

    def feed_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.feed(line)

    def feed_block(self, data: bytes) -> None:
        """Whole lines of raw log bytes; the block should end just after a newline.

        Equivalent to ``feed()`` on each line of ``data`` decoded as UTF-8 (invalid bytes
        replaced), split on ``\\n``. A block without a final newline counts its tail as a
        line, so callers should only pass a partial line at end of input.
        """
        if not data:
            return
        n = len(data)
        self._lines += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        # A newline ending the block starts no line: the lookahead sees the end and passes.
        self._unknown += (BKNOWN_LINE.match(data) is None) + len(BUNKNOWN_AFTER_NL.findall(data))
        i = data.find(BVERSION_MARK) if self._version is None else -1
        while i >= 0 and self._version is None:
            start = data.rfind(b"\n", 0, i) + 1
            end = data.find(b"\n", i)
            if end < 0:
                end = n
            self._take_version(data[start:end].decode("utf-8", "replace"))
            i = data.find(BVERSION_MARK, end)
        # The block's last line giving a version (what feed() would note last).
        j = data.rfind(BVERSION_MARK)
        while j >= 0:
            start = data.rfind(b"\n", 0, j) + 1
            end = data.find(b"\n", j)
            line = data[start : end if end >= 0 else n].decode("utf-8", "replace")
            if VERSION.search(line):
                self._note_version_line(line)
                break
            j = data.rfind(BVERSION_MARK, 0, start)
        spans: dict[int, int] = {}
        for marker in BMARKERS:
            i = data.find(marker)
            while i >= 0:
                start = data.rfind(b"\n", 0, i) + 1
                end = data.find(b"\n", i)
                if end < 0:
                    end = n
                spans[start] = end
                i = data.find(marker, end)
        prev_end = -1
        for start in sorted(spans):
            end = spans[start]
            # A skipped line between two matched ones ends any multi-line block, exactly
            # as feed() does for a line without a marker. The first line of a block may
            # continue the previous block's last line, so it counts as adjacent.
            if start != prev_end + 1:
                self._block = Block.NONE
            prev_end = end
            self._matched += 1
            self._handle(data[start:end].decode("utf-8", "replace"))
        last_line_end = n - 1 if data.endswith(b"\n") else n
        if prev_end != last_line_end:
            self._block = Block.NONE

    @property
    def lines_fed(self) -> int:
        return self._lines

    # --- result --------------------------------------------------------------------

    def summary(self) -> LogSummary:
        # Files arrive newest first, and their mtimes say little (a fresh copy or checkout
        # gives them all one time), so order sessions by the time the log itself gives.
        sessions = sorted(
            (b.freeze() for b in self._table.builders.values()), key=lambda s: s.start_time or ""
        )
        versions = [s.client_version for s in sessions if s.client_version]
        return LogSummary(
            client_version=self._newest_version() or (versions[-1] if versions else self._version),
            sessions=tuple(sessions),
            sessions_total=self._table.total,
            errors=tuple(self._orphans),
            lines=self._lines,
            matched_lines=self._matched,
            unknown_lines=self._unknown,
        )

    # --- internals -----------------------------------------------------------------

    def _note_version_line(self, line: str) -> None:
        self._fed += 1
        self._version_lines[self.source] = (self._fed, line)

    def _newest_version(self) -> str | None:
        """The client's version as of the newest line that gives one: by the line's own
        time (a line with a time beats one without); equal times or none, the line fed
        last. Each source's last version line is its newest (a file is in time order)."""
        best: tuple[bool, float, int] | None = None
        version: str | None = None
        for fed, line in self._version_lines.values():
            m = VERSION.search(line)
            if m is None:
                continue
            head = HEAD.match(line.rstrip("\r\n"))
            when = to_datetime(timestamp_of(head)) if head is not None else None
            key = (when is not None, when.timestamp() if when is not None else 0.0, fed)
            if best is None or key > best:
                best, version = key, m[1]
        return version

    def _take_version(self, line: str) -> None:
        m = VERSION.search(line)
        if m:
            self._version = m[1]

    def _before_since(self, ts: str) -> bool:
        if self._since is None:
            return False
        if self._ts_cache[0] == ts:
            return self._ts_cache[1]
        value = to_datetime(ts)
        result = value is not None and value < self._since
        self._ts_cache = (ts, result)
        return result

    def _session(self, key: str) -> SessionBuilder:
        return self._table.get(key, self._time, self._version, self.source)

    def _named_session(self, sid: str) -> SessionBuilder:
        return self._table.named(sid, self._time, self._version, self.source)

    def _session_from(self, msg: str) -> SessionBuilder | None:
        m = SESSION_ID.search(msg)
        if m is not None:
            return self._named_session(m["sid"])
        return self._table.current

    def _handle(self, raw: str) -> None:
        line = raw.rstrip("\r\n")
        head = HEAD.match(line)
        if head is None:
            # Untimestamped: a continuation of the previous line, or noise.
            if self._skipping or self._block is not Block.OFFERED:
                return
            text = line.strip()
            if text.startswith("hostname:") and self._table.current is not None:
                add_endpoint(self._table.current.offered, parse_endpoint(text))
            return
        ts = timestamp_of(head)
        if self._before_since(ts):
            self._skipping = True
            self._block = Block.NONE
            return
        self._skipping = False
        if head["ver"]:
            self._version = head["ver"]
        self._time = ts
        msg = line[head.end() :]
        level = (head["lvl"] or head["lvl2"] or head["lvl3"] or "").upper()

        if self._block is Block.REACHABLE and msg.startswith("hostname:"):
            if self._table.current is not None:
                add_endpoint(self._table.current.reachable, parse_endpoint(msg))
            return
        self._block = Block.NONE

        if "ndpoint" in msg:
            self._endpoint_message(msg, ts)
        if "ResourceAction" in msg and (req := REQUEST.search(msg)) is not None:
            self._request(req)
        if msg.startswith("Received stream request"):
            # Linux 2024.x: the start of a streaming attempt, before any session id.
            self._table.current = self._session(f"stream@{ts}")
        cur = self._table.current
        if (
            "ws-broker-service." in msg
            and cur is not None
            and cur.region is None
            and (bm := BROKER_REGION.search(msg))
        ):
            cur.region = bm["region"].lower()
        recorded = False
        if level in ERROR_LEVELS and ("Code: " in msg or "rror while calling" in msg):
            recorded = self._error(msg, ts)
        if not recorded and level in FAIL_LEVELS:
            self._client_error(msg, ts, head["comp"] or head["comp3"])
        if "WorkSpace using" in msg and cur is not None and (cm := CONNECTING_RE.search(msg)):
            cur.connect_transport = cm["transport"].upper()

    def _endpoint_message(self, msg: str, ts: str) -> None:
        if (start := START.search(msg)) is not None:
            s = self._named_session(start["sid"])
            s.protocol = Protocol.parse(start["proto"])
            rest = msg[start.end() :]
            for m in ENDPOINT.finditer(rest):
                add_endpoint(s.offered, endpoint_of(m))
            if rest.rstrip().endswith("endpoints:"):
                self._block = Block.OFFERED
            return
        if msg.startswith("Reachable endpoints after probing"):
            if self._table.current is not None:
                self._table.current.probed = True
                self._block = Block.REACHABLE
            return
        if msg.startswith("No endpoints are reachable"):
            if self._table.current is not None:
                self._table.current.probed = True
                self._table.current.no_endpoint_reachable_time = ts
            return
        supported = msg.startswith("Supported endpoint:")
        reachable = not supported and msg.startswith("Reachable endpoint:")
        attempt = None if supported or reachable else ATTEMPT.search(msg)
        if not (supported or reachable or attempt):
            return
        found = self._session_from(msg)
        if found is None:
            return
        if supported:
            add_endpoint(found.offered, parse_endpoint(msg))
            if found.protocol is Protocol.UNKNOWN:
                found.protocol = Protocol.DCV  # only DCV sessions list endpoints
        elif reachable:
            found.probed = True
            add_endpoint(found.reachable, parse_endpoint(msg))
        elif attempt is not None:
            found.attempted = parse_endpoint(msg)
            found.attempted_time = ts
            if found.protocol is Protocol.UNKNOWN:
                found.protocol = Protocol.parse(attempt["proto"])
            rc = RECONNECT.search(msg)
            if rc is not None:
                found.reconnection = rc["flag"].lower() == "true"

    def _request(self, m: re.Match[str]) -> None:
        sid = m["sid"]
        s = self._session(f"request:{sid}" if sid else f"request@{self._time}")
        s.request_type = m["type"].upper()
        s.request_protocol = m["proto"]
        s.request_id = sid
        s.protocol = Protocol.parse(m["proto"])
        self._table.current = s

    def _error(self, msg: str, ts: str) -> bool:
        """A broker-style error (Code: or "Error while calling"); False when there is none."""
        m = find_code(msg)
        while_m = None if m is not None else ERROR_WHILE.search(msg)
        if m is None and while_m is None:
            return False
        cur = self._table.current
        broker = "ResourceAction" in msg or "WsBroker" in msg or "wsbroker" in msg
        target = cur.errors if (cur is not None and broker) else None
        if while_m is not None:
            code, action = while_m["code"], while_m["action"]
            pool = target if target is not None else self._orphans
            last = pool[-1] if pool else None
            if last is not None and last.code == code and last.action is None:
                # The same failure, logged again by the caller: name the action on it
                # instead of counting it twice.
                pool[-1] = replace(last, action=action)
                return True
            error = LogError(time=ts, code=code, action=action)
        else:
            assert m is not None
            match, source = m
            msg_text = (match["msg"] or "").strip() or None
            error = LogError(
                time=ts,
                code=match["code"],
                message=msg_text,
                error_type=match["type"],
                source=source,
            )
        if cur is not None and target is not None:
            error = replace(error, request_type=cur.request_type, protocol=cur.request_protocol)
            if len(target) < MAX_ERRORS:
                target.append(error)
        else:
            self._orphans.append(error)
        return True

    def _client_error(self, msg: str, ts: str, component: str | None) -> None:
        """An error-level line without a broker code: kept, never dropped.

        Tied to the current session while that session has not yet attempted an endpoint
        (a failure on the way to streaming); later ones, and those with no session, go to
        the bounded list of other errors.
        """
        code, text = client_error_text(msg)
        error = LogError(time=ts, code=code, message=text, source=component, origin="client")
        cur = self._table.current
        if cur is not None and cur.attempted is None and cur.connect_transport is None:
            if len(cur.errors) < MAX_ERRORS:
                cur.errors.append(error)
        else:
            self._orphans.append(error)


def parse_lines(
    lines: Iterable[str], *, since: datetime | None = None, max_sessions: int = DEFAULT_MAX_SESSIONS
) -> LogSummary:
    """Convenience: a fresh parser over ``lines``."""
    parser = LogParser(since=since, max_sessions=max_sessions)
    parser.feed_lines(lines)
    return parser.summary()
