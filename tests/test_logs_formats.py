"""Every client log format: Windows/macOS 5.x, Linux 2024.x, the DCV viewer; client errors;
lines in no known format."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsdiag.logs.findings import log_findings
from wsdiag.logs.parse import LogParser, parse_lines
from wsdiag.logs.report import collect, render_text, to_json
from wsdiag.vocab.logs import LogSummary, Outcome, Protocol

FIX = Path(__file__).parent / "fixtures" / "logs"
LINUX = FIX / "linux-client-2024.log"
LINUX_NO_EP = FIX / "linux-client-2024-no-endpoint.log"
VIEWER = FIX / "synthetic-dcv-viewer.log"
WIN_FILES = [
    FIX / "field-report-vpc-session.log",
    FIX / "field-report-home-no-endpoint.log",
    FIX / "field-report-pcoip-resource-not-found.log",
]

_WIN_HEAD = re.compile(
    r"^(?P<d>\d{4}-\d\d-\d\d)T(?P<hm>\d\d:\d\d):(?P<s>\d\d)\.(?P<ms>\d{3})Z "
    r"\{ Version: \"[^\"]*\" \}: \[(?P<lvl>[A-Z]{3})\] "
)
_LEVELS = {"INF": "INFO", "DBG": "DEBUG", "WRN": "WARN", "ERR": "ERROR"}


def as_linux(line: str) -> str:
    """A Windows/macOS line with the Linux 2024.x head (no version, 'MM.SS' seconds)."""
    return _WIN_HEAD.sub(
        lambda m: (
            f"{m['d']}T{m['hm'][:2]}:{m['hm'][3:]}.{m['s']}Z [ Native ]: [{_LEVELS[m['lvl']]}] "
        ),
        line,
    )


def as_viewer(line: str) -> str:
    """The same line with the DCV viewer's head."""
    return _WIN_HEAD.sub(
        lambda m: (
            f"{m['d']} {m['hm']}:{m['s']},{m['ms']}000 [ 4242:4243 ] "
            f"{_LEVELS[m['lvl']]:<5} DCV.Connection - "
        ),
        line,
    )


def _shape(summary: LogSummary) -> list[tuple[object, ...]]:
    """What a session says, without its times and version (which differ by format)."""
    return [
        (
            s.session_id,
            s.region,
            s.protocol,
            s.outcome,
            s.offered,
            s.reachable,
            s.probed,
            s.attempted,
            s.connect_transport,
            s.request_type,
            tuple(replace(e, time=None, source=None) for e in s.errors),
        )
        for s in summary.sessions
    ]


@pytest.mark.parametrize("path", WIN_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("convert", [as_linux, as_viewer], ids=["linux", "viewer"])
def test_the_same_messages_are_understood_in_every_format(path: Path, convert: object) -> None:
    assert callable(convert)
    lines = path.read_text(encoding="utf-8").splitlines()
    converted = [convert(line) for line in lines]
    assert converted != lines  # the heads really changed
    win, other = parse_lines(lines), parse_lines(converted)
    assert other.unknown_lines == 0
    assert _shape(other) == _shape(win)
    assert [f.code for f in log_findings(other)] == [
        f.code for f in log_findings(win) if f.code != "LOGS_CLIENT_TOO_OLD_FOR_443_FALLBACK"
    ]


def test_linux_no_endpoint_sample_gives_the_windows_error_finding() -> None:
    summary = parse_lines(LINUX_NO_EP.read_text(encoding="utf-8").splitlines())
    (s,) = summary.sessions
    assert s.outcome is Outcome.NO_ENDPOINT_REACHABLE
    assert s.region == "ap-northeast-1" and s.protocol is Protocol.DCV
    assert len(s.offered) == 4 and s.private_hosts
    assert s.start_time == "2025-08-28T05:05:17Z"  # 05:05.17Z normalised to ISO 8601
    codes = [f.code for f in log_findings(summary)]
    assert codes[0] == "LOGS_NO_ENDPOINT_REACHABLE"
    assert "LOGS_NO_SESSIONS" not in codes


def test_linux_launch_failure_sample_gives_a_client_error_not_no_session() -> None:
    summary = parse_lines(LINUX.read_text(encoding="utf-8").splitlines())
    (s,) = summary.sessions
    assert s.outcome is Outcome.CLIENT_ERROR
    (error,) = s.errors
    assert (error.code, error.origin, error.source) == ("ProcessLaunchFailure", "client", "Web")
    assert error.message is not None and "ErrorCode 1" in error.message
    assert "launch failure text" in error.message
    (finding,) = log_findings(summary)
    assert (finding.code, finding.severity) == ("LOGS_CLIENT_ERROR", "error")
    assert "ProcessLaunchFailure" in finding.message


def test_viewer_sample() -> None:
    summary = parse_lines(VIEWER.read_text(encoding="utf-8").splitlines())
    (s,) = summary.sessions
    assert s.region == "eu-west-1" and len(s.offered) == 3
    assert s.outcome is Outcome.NO_ENDPOINT_REACHABLE
    assert s.no_endpoint_reachable_time == "2025-08-28T05:10:04.733010"
    (error,) = s.errors
    assert (error.code, error.origin, error.source) == ("TIMEOUT", "client", "DCV.Connection")
    assert log_findings(summary)[0].code == "LOGS_NO_ENDPOINT_REACHABLE"


def test_linux_and_viewer_times_work_with_since() -> None:
    lines = LINUX_NO_EP.read_text(encoding="utf-8").splitlines()
    assert parse_lines(lines, since=datetime(2025, 8, 28, 5, 5, 18, tzinfo=UTC)).sessions == ()
    assert parse_lines(lines, since=datetime(2025, 8, 28, 5, 5, 17, tzinfo=UTC)).sessions
    viewer = VIEWER.read_text(encoding="utf-8").splitlines()
    assert parse_lines(viewer, since=datetime(2025, 8, 28, 5, 11, tzinfo=UTC)).sessions == ()


# --- error lines without a Code: token ------------------------------------------------------

W = '2025-08-28T04:29:38.769Z { Version: "5.29.1.5595" }: '
SID = "prod-eu-west-1-0c4a8f2e-1b7d-4c3e-9a55-2f6d8e1a7b90"
SUPPORTED = (
    f'{W}[INF] Supported endpoint: "hostname: privatelink.prod.eu-west-1.highlander.aws.a2z.com, '
    f'transport: TCP, port: 4195, gatewayType: NLB", session ID: {SID}'
)
ATTEMPT = (
    f"{W}[INF] Attempting to establish connection to DCV WorkSpace endpoint "
    f'"hostname: privatelink.prod.eu-west-1.highlander.aws.a2z.com, transport: TCP, port: 4195, '
    f'gatewayType: NLB", session ID: {SID}, is reconnection: false'
)


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (f"{W}[ERR] Something broke", "CLIENT_ERROR", "Something broke"),
        (
            f'{W}[ERR] Launch failed {{"ExceptionType":"X","ErrorMessage":"m"}}',
            "X",
            "Launch failed: m",
        ),
        (f'{W}[ERR] Oops {{"ErrorCode":"42"}}', "42", "Oops"),
        (f'{W}[ERR] Not json {{"a":', "CLIENT_ERROR", 'Not json {"a":'),
        (f"{W}[ERR] deep {'[' * 5000}{{}}", "CLIENT_ERROR", None),  # no object at the end
        (f"{W}[FTL] crashed", "CLIENT_ERROR", "crashed"),
        ("2025-03-04T09:12.07Z [ Web    ]: [ERROR] plain failure", "CLIENT_ERROR", "plain failure"),
        # A Code: token that is not a broker code is still kept.
        (f"{W}[ERR] Code: ", "CLIENT_ERROR", "Code:"),
    ],
)
def test_error_lines_without_a_code_are_kept(line: str, code: str, message: str | None) -> None:
    summary = parse_lines([line])
    (error,) = summary.errors
    assert (error.code, error.origin) == (code, "client")
    if message is not None:
        assert error.message == message


def test_error_after_the_attempt_does_not_turn_a_session_into_a_failure() -> None:
    summary = parse_lines([SUPPORTED, ATTEMPT, f"{W}[ERR] Frame decode failed"])
    (s,) = summary.sessions
    assert s.outcome is Outcome.CONNECTING and s.errors == ()
    assert summary.errors[0].code == "CLIENT_ERROR"
    assert "LOGS_CLIENT_ERROR" not in {f.code for f in log_findings(summary)}


def test_error_before_the_attempt_is_the_session_outcome() -> None:
    summary = parse_lines([SUPPORTED, f"{W}[ERR] Could not start the stream"])
    (s,) = summary.sessions
    assert s.outcome is Outcome.CLIENT_ERROR
    assert log_findings(summary)[0].code == "LOGS_CLIENT_ERROR"


def test_broker_errors_still_win() -> None:
    summary = parse_lines(
        (FIX / "field-report-pcoip-resource-not-found.log").read_text().splitlines()
    )
    (s,) = summary.sessions
    assert s.outcome is Outcome.BROKER_ERROR
    assert {e.origin for e in s.errors} == {"broker"}


# --- lines in no known format -----------------------------------------------------------------


def test_unknown_lines_are_counted_and_never_read_as_no_session(tmp_path: Path) -> None:
    path = tmp_path / "other.log"
    path.write_text(
        "".join(f"Mar  4 09:12:{i % 60:02d} host app[1]: message {i}\n" for i in range(412))
    )
    result = collect([path], None)
    assert result.summary is not None and result.summary.unknown_lines == 412
    codes = [f.code for f in result.findings]
    assert "LOGS_UNKNOWN_FORMAT" in codes and "LOGS_NO_SESSIONS" not in codes
    assert result.exit_code == 1
    text = render_text(result)
    assert "412 lines in a format wsdiag does not know" in text
    doc = to_json(result)
    assert doc["unknown_lines"] == 412
    json.dumps(doc)


def test_continuations_and_blank_lines_are_known() -> None:
    lines = (FIX / "field-report-vpc-session.log").read_text().splitlines()
    extra = ["", "   at WorkSpaces.Foo()", "\tmore", "\r"]
    assert parse_lines([*lines, *extra]).unknown_lines == 0
    assert parse_lines([*lines, "garbage", "{json: 1}"]).unknown_lines == 2


def test_known_lines_with_sessions_give_no_unknown_finding() -> None:
    lines = (FIX / "field-report-vpc-session.log").read_text().splitlines()
    summary = parse_lines([*lines, "garbage"])
    assert summary.unknown_lines == 1
    assert "LOGS_UNKNOWN_FORMAT" not in {f.code for f in log_findings(summary)}


NEW_LINES = [
    line
    for path in (LINUX, LINUX_NO_EP, VIEWER)
    for line in path.read_text(encoding="utf-8").splitlines()
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(NEW_LINES),
            st.sampled_from(NEW_LINES).flatmap(
                lambda s: st.integers(0, len(s)).map(lambda i: s[:i])
            ),
            st.text(max_size=60),
        ),
        max_size=30,
    ),
    st.lists(st.integers(0, 4000), max_size=4),
)
def test_block_path_equals_line_path_on_new_formats(lines: list[str], cuts: list[int]) -> None:
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    text = raw.decode("utf-8", "replace")
    pieces = text.split("\n")
    if pieces[-1] == "":
        pieces.pop()  # what a reader yields: no empty piece after the last newline
    expected = parse_lines(pieces)
    parser = LogParser()
    pos = 0
    for cut in sorted(cuts):
        nl = raw.find(b"\n", max(cut, pos))
        if nl < 0:
            break
        parser.feed_block(raw[pos : nl + 1])
        pos = nl + 1
    parser.feed_block(raw[pos:])
    assert parser.summary() == expected
