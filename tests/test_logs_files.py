"""Finding and streaming log files: gzip, CRLF, --since, long lines, errors, memory."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsdiag.errors import WsdiagError
from wsdiag.logs.files import (
    LogFile,
    ProblemKind,
    discover,
    iter_blocks,
    looks_like_text,
    read_into,
)
from wsdiag.logs.parse import LogParser
from wsdiag.logs.since import parse_since

FIX = Path(__file__).parent / "fixtures" / "logs"
NOW = datetime(2025, 8, 28, 12, 0, tzinfo=UTC)


# --- --since -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", NOW - timedelta(hours=2)),
        ("3d", NOW - timedelta(days=3)),
        ("30m", NOW - timedelta(minutes=30)),
        ("45s", NOW - timedelta(seconds=45)),
        ("1w", NOW - timedelta(weeks=1)),
        (" 2H ", NOW - timedelta(hours=2)),
        ("2025-08-28", datetime(2025, 8, 28, tzinfo=UTC)),
        ("2025-08-28T04:00", datetime(2025, 8, 28, 4, tzinfo=UTC)),
        ("2025-08-28 04:00:00Z", datetime(2025, 8, 28, 4, tzinfo=UTC)),
        ("2025-08-28T13:00+09:00", datetime(2025, 8, 28, 4, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "2x", "h", "-2h", "0h", "yesterday", "2025-13-01", "1e3h"])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(WsdiagError) as info:
        parse_since(text, NOW)
    assert "\n" not in str(info.value)
    assert "--since" in str(info.value)


# --- discovery -----------------------------------------------------------------------------


def _touch(path: Path, when: float) -> Path:
    os.utime(path, (when, when))
    return path


def test_discover_directory_newest_first(tmp_path: Path) -> None:
    base = time.time() - 1000
    for i, name in enumerate(["old.log", "sub/mid.log.gz", "new.txt"]):
        target = tmp_path / name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(gzip.compress(b"x\n") if name.endswith(".gz") else b"x\n")
        _touch(target, base + i * 100)
    files, problems, searched = discover([tmp_path])
    assert [f.path.name for f in files] == ["new.txt", "mid.log.gz", "old.log"]
    assert [f.compressed for f in files] == [False, True, False]
    assert problems == []
    assert searched == [tmp_path]


def test_discover_since_skips_old_files(tmp_path: Path) -> None:
    old = tmp_path / "old.log"
    old.write_text("x\n")
    _touch(old, 1_000_000)
    (tmp_path / "new.log").write_text("x\n")
    files, _, _ = discover([tmp_path], since=datetime.now(UTC) - timedelta(hours=1))
    assert [f.path.name for f in files] == ["new.log"]


def test_binary_files_in_a_directory_are_skipped_but_named_ones_are_read(tmp_path: Path) -> None:
    dump = tmp_path / "crash.dmp"
    dump.write_bytes(b"MDMP\x00\x00\x00" * 100)
    (files, _, _) = discover([tmp_path])
    assert not looks_like_text(files[0])
    (named, _, _) = discover([dump])
    assert looks_like_text(named[0])


def test_missing_and_unreadable_paths_become_problems(tmp_path: Path) -> None:
    a_file = tmp_path / "plain.log"
    a_file.write_text("x\n")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    files, problems, _ = discover([tmp_path / "missing.log", a_file / "child.log", fifo, a_file])
    assert [f.path for f in files] == [a_file]
    kinds = {Path(p.path).name: (p.kind, p.detail) for p in problems}
    assert kinds["missing.log"] == (ProblemKind.NOT_FOUND, "no such file")
    assert kinds["child.log"][0] is ProblemKind.UNREADABLE  # its parent is a file
    assert kinds["fifo"] == (ProblemKind.NOT_REGULAR, "not a regular file (a FIFO)")


def test_default_dirs_that_do_not_exist_are_not_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wsdiag.logs.files.default_log_dirs", lambda: [tmp_path / "nope"])
    assert discover(None) == ([], [], [tmp_path / "nope"])


# --- reading -------------------------------------------------------------------------------


def _file(path: Path) -> LogFile:
    files, problems, _ = discover([path])
    assert problems == []
    return files[0]


def _parse(path: Path, **kw: int) -> LogParser:
    parser = LogParser()
    done, problem = read_into(parser, _file(path), **kw)
    assert problem is None and done is not None
    return parser


def test_gzip_copy_parses_like_the_plain_file() -> None:
    plain = _parse(FIX / "field-report-home-no-endpoint.log").summary()
    packed = _parse(FIX / "field-report-home-no-endpoint.log.gz").summary()
    assert plain.sessions and packed.sessions
    assert [s.__class__ for s in packed.sessions] == [s.__class__ for s in plain.sessions]
    assert (packed.lines, packed.client_version) == (plain.lines, plain.client_version)
    assert [(s.session_id, s.offered, s.no_endpoint_reachable_time) for s in packed.sessions] == [
        (s.session_id, s.offered, s.no_endpoint_reachable_time) for s in plain.sessions
    ]


def test_crlf_file_parses_like_lf_file() -> None:
    crlf = _parse(FIX / "field-report-vpc-session-crlf.log").summary()
    lf = _parse(FIX / "field-report-vpc-session.log").summary()
    strip = [s.__class__(**{**s.__dict__, "source": None}) for s in crlf.sessions]
    assert strip == [s.__class__(**{**s.__dict__, "source": None}) for s in lf.sessions]


def test_invalid_utf8_and_truncated_last_line(tmp_path: Path) -> None:
    data = (FIX / "field-report-vpc-session.log").read_bytes()
    cut = data[: data.rindex(b"Connecting WorkSpace") + 5]  # the last line is cut short
    path = tmp_path / "bad.log"
    path.write_bytes(b"\xff\xfe\x80 junk\n" + cut)
    summary = _parse(path).summary()
    (s,) = summary.sessions
    assert s.connect_transport is None  # "Conne" is not a message
    assert s.attempted is not None


def test_tail_read_drops_the_partial_first_line(tmp_path: Path) -> None:
    data = (FIX / "field-report-home-no-endpoint.log").read_bytes()
    path = tmp_path / "big.log"
    path.write_bytes(b"A" * 5000 + b"\n" + data)
    parser = LogParser()
    done, _ = read_into(parser, _file(path), tail_bytes=len(data) + 10)
    assert done is not None and done.tail_only
    assert done.bytes_read == len(data) + 10  # every byte read, the fragment's tail too
    assert parser.summary().sessions[0].no_endpoint_reachable_time is not None


def test_corrupt_gzip_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    good = gzip.compress((FIX / "field-report-home-no-endpoint.log").read_bytes() * 200)
    path = tmp_path / "broken.log.gz"
    path.write_bytes(good[: len(good) // 2] + b"\x00garbage" * 10)
    parser = LogParser()
    done, problem = read_into(parser, _file(path))
    assert done is None and problem is not None
    assert problem.kind is ProblemKind.UNREADABLE


def test_permission_denied_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, where chmod 000 does not stop a read: fail the open instead.
    path = tmp_path / "secret.log"
    path.write_text("x\n")
    info = _file(path)

    def denied(_: LogFile) -> io.BufferedReader:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("wsdiag.logs.files._open", denied)
    done, problem = read_into(LogParser(), info)
    assert done is None and problem is not None
    assert (problem.kind, problem.detail) == (ProblemKind.UNREADABLE, "Permission denied")


def test_a_directory_read_as_a_file_is_a_problem(tmp_path: Path) -> None:
    info = LogFile(tmp_path, 0, 0.0, False, True)
    done, problem = read_into(LogParser(), info)
    assert done is None and problem is not None and problem.kind is ProblemKind.NOT_REGULAR


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.binary(max_size=50).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    st.integers(1, 64),
    st.booleans(),
)
def test_iter_blocks_keeps_every_short_line(lines: list[bytes], block: int, final_nl: bool) -> None:
    data = b"\n".join(lines) + (b"\n" if final_nl and lines else b"")
    out = b"".join(iter_blocks(io.BytesIO(data), block_size=block, max_line=100))
    assert out == data
    for chunk in iter_blocks(io.BytesIO(data), block_size=block, max_line=100):
        assert chunk.endswith(b"\n") or chunk == out[-len(chunk) :]


def test_iter_blocks_drops_overlong_lines_in_constant_memory() -> None:
    data = b"short one\n" + b"x" * 10_000 + b"\nshort two\n" + b"y" * 10_000
    out = b"".join(iter_blocks(io.BytesIO(data), block_size=512, max_line=1000))
    assert out == b"short one\nshort two\n"


def _big_log(path: Path, megabytes: int) -> int:
    """``megabytes`` of filler with one session per ~1 MB chunk, written chunk by chunk."""
    head = '2025-08-28T04:29:38.769Z { Version: "5.29.1.5595" }: '
    filler = (head + "[DBG] Protocol new State: Connected, nothing to see here\n") * 9000
    session = (FIX / "field-report-vpc-session.log").read_text()
    sid = "7f73a8ab-a674-49a0-81e8-465b2e99c9f1"
    written = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(megabytes):
            chunk = filler + session.replace(sid, f"{i:08d}-a674-49a0-81e8-465b2e99c9f1")
            fh.write(chunk)
            written += len(chunk)
    return written


def test_large_file_streams_in_constant_memory(tmp_path: Path) -> None:
    if shutil.disk_usage(tmp_path).free < 1 << 30:
        pytest.skip("needs 1 GB free in the temporary directory")
    path = tmp_path / "big.log"
    size = _big_log(path, 200)
    assert size > 190_000_000
    parser = LogParser()
    tracemalloc.start()
    try:
        done, problem = read_into(parser, _file(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem is None and done is not None and done.bytes_read == size
    summary = parser.summary()
    assert summary.sessions_total == 200
    assert len(summary.sessions) == 64  # only the most recent are kept
    # Two 1 MiB blocks, a carried partial line and the bounded session store.
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
