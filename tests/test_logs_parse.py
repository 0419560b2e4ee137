"""The client-log parser against the field report's real lines, and against anything at all."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsdiag.logs.parse import LogParser, parse_lines
from wsdiag.logs.sessions import parse_endpoint, region_of_session_id
from wsdiag.vocab.logs import Endpoint, LogError, LogSummary, Outcome, Protocol

FIX = Path(__file__).parent / "fixtures" / "logs"
VPC = FIX / "field-report-vpc-session.log"
HOME = FIX / "field-report-home-no-endpoint.log"
PCOIP = FIX / "field-report-pcoip-resource-not-found.log"
CRLF = FIX / "field-report-vpc-session-crlf.log"

HL = "privatelink.prod.ap-northeast-1.highlander.aws.a2z.com"
WSP = "privatelink.prod.ap-northeast-1.WSP.aws.a2z.com"
VPC_SID = "prod-ap-northeast-1-7f73a8ab-a674-49a0-81e8-465b2e99c9f1"
HOME_SID = "prod-ap-northeast-1-af1a279d-fefe-4a61-ad99-ae0c5534d9ad"
PORTS = (("QUIC", 4195), ("QUIC", 443), ("TCP", 4195), ("TCP", 443))


def eps(host: str) -> tuple[Endpoint, ...]:
    return tuple(Endpoint(host, t, p, "NLB", "IPv4") for t, p in PORTS)


def parse_file(*paths: Path) -> LogSummary:
    parser = LogParser()
    for path in paths:
        parser.feed_block(path.read_bytes())
    return parser.summary()


def split_lines(text: str) -> list[str]:
    """What a reader yields: the pieces between newlines, no empty piece after the last."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# --- the field report --------------------------------------------------------------------


def test_vpc_session_exactly() -> None:
    summary = parse_file(VPC)
    assert summary.client_version == "5.29.1.5595"
    assert summary.lines == 25
    assert summary.sessions_total == 1
    (s,) = summary.sessions
    assert s.key == VPC_SID
    assert s.session_id == VPC_SID
    assert s.region == "ap-northeast-1"
    assert s.protocol is Protocol.DCV
    assert s.start_time == "2025-08-28T04:29:37.292Z"
    assert s.client_version == "5.29.1.5595"
    # The block names the host once as "…WSP…"; the per-endpoint lines say "highlander".
    # Both are kept as logged.
    assert s.offered == eps(WSP) + eps(HL)
    assert s.reachable == eps(HL)
    assert s.probed
    assert s.no_endpoint_reachable_time is None
    assert s.attempted == Endpoint(HL, "QUIC", 4195, "NLB", "IPv4")
    assert s.attempted_time == "2025-08-28T04:29:38.780Z"
    assert s.reconnection is False
    assert s.connect_transport == "QUIC"
    assert s.errors == ()
    assert s.outcome is Outcome.CONNECTING
    assert s.private_hosts == (WSP, HL)
    assert summary.errors == ()


def test_home_no_endpoint_reachable_exactly() -> None:
    (s,) = parse_file(HOME).sessions
    assert s.session_id == HOME_SID
    assert s.region == "ap-northeast-1"
    assert s.protocol is Protocol.DCV
    assert s.start_time == "2025-08-28T05:05:17.129Z"
    assert s.offered == eps(HL)
    assert s.reachable == ()
    assert s.probed
    assert s.no_endpoint_reachable_time == "2025-08-28T05:05:17.238Z"
    assert s.attempted is None
    assert s.outcome is Outcome.NO_ENDPOINT_REACHABLE


def test_pcoip_resource_not_found_exactly() -> None:
    summary = parse_file(PCOIP)
    (s,) = summary.sessions
    assert s.key == "request:d6df764d-65e9-4abd-8882-98d2bfd6cbbc"
    assert s.session_id is None
    assert s.request_id == "d6df764d-65e9-4abd-8882-98d2bfd6cbbc"
    assert s.request_type == "CONNECT"
    assert s.protocol is Protocol.PCOIP
    assert s.region == "ap-northeast-1"  # from the broker URL: there is no prod-… id
    assert s.offered == ()
    # The second [ERR] line repeats the first failure; it names the action, not a new error.
    assert s.errors == (
        LogError(
            time="2025-08-28T05:29:49.308Z",
            code="RESOURCE_NOT_FOUND",
            message="Resource was not found.",
            error_type="com.amazonaws.wsbrokerservice#ResourceNotFoundException",
            source=(
                "WorkSpacesClient.Common.UseCases.CommonGateways.WsBroker."
                "PerformResourceAction.AllocateResourceResponse"
            ),
            action="PerformResourceActionConnect",
            request_type="CONNECT",
            protocol="PCOIP",
        ),
    )
    assert s.outcome is Outcome.BROKER_ERROR
    assert summary.errors == ()


def test_crlf_copy_parses_identically() -> None:
    assert parse_file(CRLF) == parse_file(VPC)


def test_three_excerpts_in_order_make_a_timeline() -> None:
    summary = parse_file(VPC, HOME, PCOIP)
    assert [s.outcome for s in summary.sessions] == [
        Outcome.CONNECTING,
        Outcome.NO_ENDPOINT_REACHABLE,
        Outcome.BROKER_ERROR,
    ]
    assert summary.last_session is not None
    assert summary.last_session.protocol is Protocol.PCOIP


def test_line_path_equals_block_path_on_fixtures() -> None:
    for path in (VPC, HOME, PCOIP, CRLF):
        data = path.read_bytes()
        assert parse_lines(split_lines(data.decode())) == parse_file(path)


# --- table-driven pieces -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "hostname: a.example, transport: QUIC, port: 4195, gatewayType: NLB, "
            "ipVersion: IPv4, additionalEndpointAttributes: ",
            Endpoint("a.example", "QUIC", 4195, "NLB", "IPv4"),
        ),
        ('"hostname: b, transport: tcp, port: 443"', Endpoint("b", "TCP", 443)),
        (
            "hostname: b, transport: TCP, port: 443, ipVersion: IPv6",
            Endpoint("b", "TCP", 443, None, "IPv6"),
        ),
        ("hostname: cut, transport: TCP, port: 41", None),  # cut mid-number: not trusted
        ("hostname: , transport: TCP, port: 443,", None),
        ("transport: TCP, port: 443,", None),
    ],
)
def test_parse_endpoint(text: str, expected: Endpoint | None) -> None:
    assert parse_endpoint(text) == expected


@pytest.mark.parametrize(
    ("sid", "region"),
    [
        (VPC_SID, "ap-northeast-1"),
        ("prod-us-gov-west-1-7f73a8ab-a674-49a0-81e8-465b2e99c9f1", "us-gov-west-1"),
        ("prod-EU-WEST-1-12345678-a674-49a0-81e8-465b2e99c9f1", "eu-west-1"),
        ("prod-cn-northwest-1-x", "cn-northwest-1"),
        ("d6df764d-65e9-4abd-8882-98d2bfd6cbbc", None),
        ("prod--1-x", None),
    ],
)
def test_region_of_session_id(sid: str, region: str | None) -> None:
    assert region_of_session_id(sid) == region


H = '2025-08-28T06:00:00.000Z { Version: "5.30.0.1" }: '


@pytest.mark.parametrize(
    ("lines", "check"),
    [
        # A session named only by its Supported endpoint lines (the block was rotated away).
        (
            [
                f'{H}[INF] Supported endpoint: "hostname: h, transport: TCP, port: 4195, '
                f'gatewayType: NLB", session ID: prod-eu-west-1-abc'
            ],
            lambda s: (
                s.sessions[0].region == "eu-west-1" and s.sessions[0].protocol is Protocol.DCV
            ),
        ),
        # An endpoint list on the header line itself.
        (
            [
                f"{H}[INF] Starting WSP session using SessionId: prod-eu-west-1-abc, endpoints: "
                "hostname: h, transport: TCP, port: 443, gatewayType: NLB"
            ],
            lambda s: s.sessions[0].offered == (Endpoint("h", "TCP", 443, "NLB"),),
        ),
        # A DCV broker request adopted by the streaming session that follows it.
        (
            [
                f"{H}[DBG] PerformResourceActionRequest Type: CONNECT, Protocol: WSP, "
                "Session-Id: r1, Amzn-id: x",
                f"{H}[INF] Starting WSP session using SessionId: prod-eu-west-1-abc, endpoints:",
            ],
            lambda s: (
                s.sessions_total == 1
                and s.sessions[0].session_id == "prod-eu-west-1-abc"
                and s.sessions[0].request_id == "r1"
            ),
        ),
        # Other broker codes become errors of the session; other Code: lines are orphans.
        (
            [
                f"{H}[DBG] PerformResourceActionRequest Type: CONNECT, Protocol: WSP, "
                "Session-Id: r1",
                f"{H}[ERR] X.WsBroker.Y Error. Code: UNHEALTHY; Message: no.; Type: t",
                f"{H}[ERR] Auth Error. Code: USER_AUTH_FAILURE; Message: bad",
            ],
            lambda s: (
                [e.code for e in s.sessions[0].errors] == ["UNHEALTHY"]
                and [e.code for e in s.errors] == ["USER_AUTH_FAILURE"]
            ),
        ),
        # "Status Code: 200" at debug level is not an error.
        ([f"{H}[DBG] HTTP Status Code: 200"], lambda s: s.errors == ()),
        # A "hostname:" line after an unrelated line is not part of the earlier block.
        (
            [
                f"{H}[INF] Starting WSP session using SessionId: prod-eu-west-1-abc, endpoints:",
                f"{H}[DBG] something else",
                "hostname: stray, transport: TCP, port: 443, gatewayType: NLB",
            ],
            lambda s: s.sessions[0].offered == (),
        ),
        # A probe list ends at the first timestamped line that is not an endpoint.
        (
            [
                f"{H}[INF] Starting WSP session using SessionId: prod-eu-west-1-abc, endpoints:",
                f"{H}[DBG] Reachable endpoints after probing:",
                f"{H}[DBG] hostname: a, transport: TCP, port: 443, x",
                f"{H}[DBG] Session window deactivated",
                f"{H}[DBG] hostname: b, transport: TCP, port: 443, x",
            ],
            lambda s: [e.host for e in s.sessions[0].reachable] == ["a"],
        ),
        # Unknown lines and no timestamp at all: nothing, and no crash.
        (["", "garbage", "\x00\x1b[31m", "[ERR] Code: X"], lambda s: s.sessions == ()),
    ],
)
def test_message_table(lines: list[str], check: object) -> None:
    summary = parse_lines(lines)
    assert callable(check)
    assert check(summary), summary


def test_since_drops_older_lines_and_their_continuations() -> None:
    text = VPC.read_text() + HOME.read_text()
    since = datetime(2025, 8, 28, 5, 0, tzinfo=UTC)
    summary = parse_lines(split_lines(text), since=since)
    assert [s.session_id for s in summary.sessions] == [HOME_SID]


def test_sessions_are_bounded() -> None:
    lines = [
        f"{H}[INF] Starting WSP session using SessionId: prod-eu-west-1-{i}, endpoints:"
        for i in range(500)
    ]
    summary = parse_lines(lines, max_sessions=10)
    assert summary.sessions_total == 500
    assert [s.session_id for s in summary.sessions] == [
        f"prod-eu-west-1-{i}" for i in range(490, 500)
    ]


# --- properties --------------------------------------------------------------------------

REAL_LINES = [
    line for path in (VPC, HOME, PCOIP) for line in path.read_text(encoding="utf-8").splitlines()
]


@st.composite
def log_like_text(draw: st.DrawFn) -> str:
    """Real lines, cut anywhere, shuffled with junk: the parser's paths all get exercised."""
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(REAL_LINES),
                st.sampled_from(REAL_LINES).flatmap(
                    lambda s: st.integers(0, len(s)).map(lambda i: s[:i])
                ),
                st.text(max_size=80),
                st.just(""),
            ),
            max_size=40,
        )
    )
    sep = draw(st.sampled_from(["\n", "\r\n"]))
    return sep.join(pieces) + draw(st.sampled_from(["", sep]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    parser = LogParser(since=datetime(2025, 1, 1, tzinfo=UTC))
    parser.feed_block(data)
    parser.summary()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=30))
def test_arbitrary_lines_never_crash(lines: list[str]) -> None:
    parse_lines(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_like_text(), st.data())
def test_block_path_equals_line_path(text: str, data: st.DataObject) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    expected = parse_lines(split_lines(raw.decode("utf-8", "replace")))
    assert _blocks(raw, [len(raw)]) == expected
    # Cut into blocks at arbitrary line boundaries, as the reader does.
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=5))
    assert _blocks(raw, cuts) == expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_block_path_equals_line_path_on_bytes(raw: bytes) -> None:
    assert _blocks(raw, [len(raw)]) == parse_lines(split_lines(raw.decode("utf-8", "replace")))


def _blocks(raw: bytes, cuts: list[int]) -> LogSummary:
    """Feed ``raw`` in blocks ending just after a newline at or after each cut."""
    parser = LogParser()
    pos = 0
    for cut in sorted(cuts):
        nl = raw.find(b"\n", max(cut, pos))
        if nl < 0:
            break
        parser.feed_block(raw[pos : nl + 1])
        pos = nl + 1
    parser.feed_block(raw[pos:])
    return parser.summary()


# --- the client's version: the newest line that gives one (FRESH-REPORT item 3) -------------


def _version_line(when: str, version: str) -> str:
    return f'{when} {{ Version: "{version}" }}: [DBG] Protocol new State: Initializing'


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # Fed oldest file first by mtime, newest lines last: the common case.
        (
            [["2025-11-01T08:00:00.000Z/5.20.0.1"], ["2025-11-03T08:00:00.000Z/5.24.0.1"]],
            "5.24.0.1",
        ),
        # A fresh copy of an old log fed last (its mtime is now): its lines are older.
        (
            [["2025-11-03T08:00:00.000Z/5.24.0.1"], ["2025-10-31T08:00:00.000Z/5.20.0.1"]],
            "5.24.0.1",
        ),
        # The client was updated in the middle of one file.
        ([["2025-11-01T08:00:00.000Z/5.20.0.1", "2025-11-03T08:00:00.000Z/5.24.0.1"]], "5.24.0.1"),
        # A line with no time says less than one with a time.
        ([["2025-11-01T08:00:00.000Z/5.20.0.1"], ["no-time/5.24.0.1"]], "5.20.0.1"),
        ([["no-time/5.20.0.1"], ["no-time/5.24.0.1"]], "5.24.0.1"),  # then the later fed
        # Equal times: the later fed (the newer file by mtime) wins.
        (
            [["2025-11-03T08:00:00.000Z/5.20.0.1"], ["2025-11-03T08:00:00.000Z/5.24.0.1"]],
            "5.24.0.1",
        ),
        # Offsets count: 09:00+02:00 is 07:00Z, before 08:00Z.
        (
            [["2025-11-03T08:00:00.000Z/5.24.0.1"], ["2025-11-03T09:00:00.000+02:00/5.20.0.1"]],
            "5.24.0.1",
        ),
    ],
)
def test_client_version_is_the_newest_lines(files: list[list[str]], expected: str) -> None:
    for path in ("lines", "blocks"):
        parser = LogParser()
        for i, lines in enumerate(files):
            parser.source = f"f{i}.log"
            text = [
                _version_line(w, v) if w != "no-time" else f'x {{ Version: "{v}" }}'
                for w, v in (item.split("/") for item in lines)
            ]
            if path == "lines":
                parser.feed_lines(text)
            else:
                parser.feed_block("\n".join(text).encode() + b"\n")
        assert parser.summary().client_version == expected, path


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**6), st.from_regex(r"5\.[0-9]{1,2}\.0\.[0-9]{1,4}", fullmatch=True)
        ),
        min_size=1,
        max_size=6,
        unique_by=lambda t: t[0],
    ),
    st.randoms(use_true_random=False),
)
def test_client_version_does_not_depend_on_the_order_files_are_fed(
    logs: list[tuple[int, str]], rnd: object
) -> None:
    """One file per (time, version); whatever the feed order (the files' mtimes), the
    version is the one of the newest line."""
    base = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    order = list(range(len(logs)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    parser = LogParser()
    for i in order:
        t, v = logs[i]
        when = datetime.fromtimestamp(base + t, UTC).isoformat(timespec="milliseconds")
        parser.source = f"f{i}.log"
        parser.feed_block((_version_line(when.replace("+00:00", "Z"), v) + "\n").encode())
    assert parser.summary().client_version == max(logs)[1]
