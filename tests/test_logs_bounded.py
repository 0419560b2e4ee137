"""Hostile files: FIFOs, devices, /proc and /sys, symlinks to them, huge lines, gzip bombs,
oversized files — each a problem or a one-line error, never a hang or a crash.

Every test that could hang on a regression runs under a watchdog (SIGALRM); the watchdog's
bound is generous and is not a speed claim.
"""

from __future__ import annotations

import gzip
import os
import random
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.watchdog import watchdog
from wsdiag.check.catalog import MAX_CATALOG_BYTES, CatalogError, load_catalog
from wsdiag.errors import WsdiagError
from wsdiag.host.readfile import (
    GzipReader,
    ReadRefused,
    RefusedKind,
    open_regular,
    read_bytes,
)
from wsdiag.logs.evidence import client_log_evidence
from wsdiag.logs.files import (
    LogFile,
    ProblemKind,
    discover,
    looks_like_text,
    read_into,
)
from wsdiag.logs.parse import LogParser
from wsdiag.logs.report import collect, render_text, to_json
from wsdiag.logs.since import parse_since

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "logs"
HOME = FIX / "field-report-home-no-endpoint.log"


def _file(path: Path, named: bool = True) -> LogFile:
    st = path.stat()
    return LogFile(path, st.st_size, st.st_mtime, path.read_bytes()[:2] == b"\x1f\x8b", named)


def _bomb(path: Path, compressed_size: int) -> int:
    """A gzip file of about ``compressed_size`` bytes of log-looking text; returns its size
    when decompressed (about a thousand times larger)."""
    line = b"x" * 99 + b"\n"
    chunk = line * 100_000  # 10 MB
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    out = 0
    total = 0
    with path.open("wb") as fh:
        while out < compressed_size:
            data = comp.compress(chunk)
            fh.write(data)
            out += len(data)
            total += len(chunk)
        fh.write(comp.flush())
    return total


# --- the bounded opener ---------------------------------------------------------------------


@pytest.fixture
def specials(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    links = {
        "fifo": fifo,
        "link-to-fifo": fifo,
        "link-to-proc": Path("/proc/self/status"),
        "link-to-kmsg": Path("/proc/kmsg"),
        "link-to-zero": Path("/dev/zero"),
        "link-to-sys": Path("/sys/kernel/uevent_seqnum"),
        "dir": tmp_path,
    }
    out: dict[str, Path] = {"fifo": fifo, "dir": tmp_path}
    for name, target in links.items():
        if name.startswith("link-"):
            link = tmp_path / name
            link.symlink_to(target)
            out[name] = link
    return out


@pytest.mark.parametrize(
    "name",
    ["fifo", "link-to-fifo", "link-to-proc", "link-to-kmsg", "link-to-zero", "link-to-sys", "dir"],
)
def test_open_regular_refuses_what_is_not_a_regular_file(
    specials: dict[str, Path], name: str
) -> None:
    with watchdog(what="a read (blocking?)"), pytest.raises(ReadRefused) as info:
        open_regular(specials[name])
    assert info.value.kind is RefusedKind.NOT_REGULAR
    assert "\n" not in info.value.detail and info.value.detail.startswith("not a regular file")


@pytest.mark.parametrize(
    "path", ["/dev/zero", "/proc/self/status", "/proc/kmsg", "/sys/kernel/uevent_seqnum"]
)
def test_open_regular_refuses_system_files_directly(path: str) -> None:
    with watchdog(what="a read (blocking?)"), pytest.raises(ReadRefused) as info:
        open_regular(Path(path))
    assert info.value.kind is RefusedKind.NOT_REGULAR


def test_open_regular_reads_a_regular_file_and_a_symlink_to_one(tmp_path: Path) -> None:
    target = tmp_path / "real.log"
    target.write_bytes(b"hello\n")
    link = tmp_path / "link.log"
    link.symlink_to(target)
    for path in (target, link):
        stream, st = open_regular(path)
        with stream:
            assert stream.read() == b"hello\n" and st.st_size == 6


def test_read_bytes_caps_the_size(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"a" * 1001)
    assert read_bytes(path, max_size=1001) == b"a" * 1001
    with pytest.raises(ReadRefused) as info:
        read_bytes(path, max_size=1000)
    assert info.value.kind is RefusedKind.TOO_LARGE


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadRefused) as info:
        open_regular(tmp_path / "nope")
    assert (info.value.kind, info.value.detail) == (RefusedKind.NOT_FOUND, "no such file")


# --- log discovery and reading ------------------------------------------------------------------


def test_a_hostile_log_directory_is_read_without_hanging(specials: dict[str, Path]) -> None:
    logdir = specials["dir"]
    good = logdir / "good.log"
    good.write_bytes(HOME.read_bytes())
    with watchdog(what="a read (blocking?)"):
        result = collect([logdir], None)
    assert [r.file.path.name for r in result.files] == ["good.log"]
    problems = {Path(p.path).name: p for p in result.problems}
    for name in (
        "fifo",
        "link-to-fifo",
        "link-to-proc",
        "link-to-kmsg",
        "link-to-zero",
        "link-to-sys",
    ):
        assert problems[name].kind is ProblemKind.NOT_REGULAR, name
    assert result.summary is not None and result.summary.sessions
    assert "LOGS_NO_ENDPOINT_REACHABLE" in {f.code for f in result.findings}


def test_check_reads_a_hostile_log_directory_without_hanging(specials: dict[str, Path]) -> None:
    logdir = specials["dir"]
    (logdir / "good.log").write_bytes(HOME.read_bytes())
    _bomb(logdir / "bomb.log.gz", 100_000)
    with watchdog(what="a read (blocking?)"):
        evidence = client_log_evidence([logdir])
    assert evidence is not None and evidence.last_no_endpoint_reachable
    assert "LOGS_UNREADABLE" in {f.code for f in evidence.findings}


def test_symlinked_directories_are_skipped_quietly(tmp_path: Path) -> None:
    (tmp_path / "good.log").write_bytes(HOME.read_bytes())
    (tmp_path / "to-proc").symlink_to("/proc/self")
    (tmp_path / "loop").symlink_to(tmp_path)
    with watchdog(what="a read (blocking?)"):
        files, problems, _ = discover([tmp_path])
    assert [f.path.name for f in files] == ["good.log"] and problems == []


@pytest.mark.parametrize("path", ["/proc/self", "/proc", "/sys/kernel", "/dev"])
def test_a_system_directory_given_as_the_log_directory_is_not_walked(path: str) -> None:
    with watchdog(what="a read (blocking?)"):
        files, problems, _ = discover([Path(path)])
    assert files == []
    assert [p.kind for p in problems] == [ProblemKind.NOT_REGULAR]


def test_explicit_fifo_and_device_are_problems(specials: dict[str, Path]) -> None:
    with watchdog(what="a read (blocking?)"):
        files, problems, _ = discover(
            [specials["fifo"], specials["link-to-zero"], Path("/dev/zero")]
        )
    assert files == []
    assert {p.kind for p in problems} == {ProblemKind.NOT_REGULAR}
    assert len(problems) == 3


def test_a_100_mb_line_without_newline_is_read_and_reported_honestly(tmp_path: Path) -> None:
    path = tmp_path / "one-line.log"
    with path.open("wb") as fh:
        for _ in range(100):
            fh.write(b"a" * 1_000_000)
    parser = LogParser()
    with watchdog(what="a read (blocking?)"):
        done, problem = read_into(parser, _file(path))
    assert done is not None and problem is not None
    assert done.bytes_read == 100_000_000  # not "0 B read"
    assert done.long_lines == 1 and not done.stopped_early
    assert problem.kind is ProblemKind.LONG_LINES
    assert "1 line longer than 65.5 kB (100.0 MB) skipped" in problem.detail
    result = collect([path], None)
    text = render_text(result)
    assert "100.0 MB read" in text and "LOGS_READ_IN_PART" in text
    assert to_json(result)["files"][0]["long_lines"] == 1  # type: ignore[index]


def test_long_lines_between_good_lines_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "mixed.log"
    path.write_bytes(b"z" * 200_000 + b"\n" + HOME.read_bytes() + b"y" * 70_000 + b"\n")
    parser = LogParser()
    done, problem = read_into(parser, _file(path), block_size=4096)
    assert done is not None and problem is not None
    assert done.long_lines == 2 and done.bytes_read == path.stat().st_size
    assert parser.summary().sessions[0].no_endpoint_reachable_time is not None


def test_a_file_over_the_size_cap_is_read_from_its_end(tmp_path: Path) -> None:
    path = tmp_path / "huge.log"
    path.write_bytes(b"old filler line\n" * 10_000 + HOME.read_bytes())
    parser = LogParser()
    done, problem = read_into(parser, _file(path), max_bytes=4000)
    assert done is not None and done.tail_only and done.bytes_read <= 4000
    assert problem is not None and problem.kind is ProblemKind.TOO_LARGE
    assert "only its last" in problem.detail
    assert parser.summary().sessions  # the newest lines were read


def test_the_tail_budget_of_check_is_not_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"old filler line\n" * 10_000 + HOME.read_bytes())
    done, problem = read_into(LogParser(), _file(path), tail_bytes=4000)
    assert done is not None and done.tail_only and problem is None


def test_a_gzip_bomb_costs_next_to_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.log.gz"
    expanded = _bomb(path, 1_000_000)
    assert path.stat().st_size >= 1_000_000 and expanded > 200_000_000
    parser = LogParser()
    with watchdog(what="a read (blocking?)"):
        done, problem = read_into(parser, _file(path, named=False))
    assert done is not None and done.stopped_early
    assert done.bytes_read < 5_000_000  # stopped after a few MB of the ~1 GB
    assert problem is not None and problem.kind is ProblemKind.TOO_LARGE
    assert "expands more than" in problem.detail
    result = collect([tmp_path], None)
    assert "LOGS_READ_IN_PART" in {f.code for f in result.findings}


def test_gzip_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.log.gz"
    path.write_bytes(gzip.compress(HOME.read_bytes() * 10))
    done, problem = read_into(LogParser(), _file(path), max_bytes=3000)
    assert done is not None and done.stopped_early and done.bytes_read <= 3000
    assert problem is not None and "decompressed bytes (the limit)" in problem.detail


def test_gzip_within_a_callers_budget_is_capped_quietly(tmp_path: Path) -> None:
    path = tmp_path / "big.log.gz"
    path.write_bytes(gzip.compress(HOME.read_bytes() * 10))
    done, problem = read_into(LogParser(), _file(path), tail_bytes=3000)
    assert done is not None and done.bytes_read <= 3000 and problem is None


def test_gzip_reader_passes_an_ordinary_file_whole(tmp_path: Path) -> None:
    # ~5 MB of log-like lines whose times and ids change, as a real log's do: it compresses
    # far less than the ratio cap.
    rnd = random.Random(7)
    data = b"".join(
        f"2025-08-28T04:{i // 6000 % 60:02d}:{i // 100 % 60:02d}.{i % 1000:03d}Z [DBG] frame "
        f"{rnd.getrandbits(64):016x} took {rnd.randint(1, 99)} ms\n".encode()
        for i in range(80_000)
    )
    path = tmp_path / "ok.log.gz"
    path.write_bytes(gzip.compress(data))
    with path.open("rb") as raw:
        reader = GzipReader(raw, max_bytes=1 << 30)
        out = b"".join(iter(lambda: reader.read(1 << 16), b""))
    assert out == data and reader.stopped is None


def test_sniffing_a_bomb_reads_only_its_head(tmp_path: Path) -> None:
    path = tmp_path / "bomb.log.gz"
    _bomb(path, 200_000)
    with watchdog(what="a read (blocking?)"):
        assert looks_like_text(_file(path, named=False))


# --- --since and --probes ---------------------------------------------------------------------

NOW = datetime(2025, 8, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["999999w", "999999d", "99999999d", "9" * 5000 + "s", "0001-01-01T00:00+01:00"]
)
def test_since_too_far_back_is_a_one_line_error(text: str) -> None:
    with pytest.raises(WsdiagError) as info:
        parse_since(text, NOW)
    assert "\n" not in str(info.value)
    if not text.startswith("0001"):  # a duration, only too long: not "expected a duration"
        assert "too far back" in str(info.value)


def test_cli_since_999999w_is_a_usage_error_not_a_crash() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wsdiag", "logs", str(HOME), "--since", "999999w"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "--since" in proc.stderr


@pytest.mark.parametrize("name", ["fifo", "link-to-fifo", "link-to-zero", "link-to-proc", "dir"])
def test_probes_catalog_that_is_not_a_file_is_a_one_line_error(
    specials: dict[str, Path], name: str
) -> None:
    with watchdog(what="a read (blocking?)"), pytest.raises(CatalogError) as info:
        load_catalog([specials[name]])
    assert "not a regular file" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("path", ["/dev/zero", "/proc/self/status"])
def test_probes_catalog_system_file_is_a_one_line_error(path: str) -> None:
    with watchdog(what="a read (blocking?)"), pytest.raises(CatalogError) as info:
        load_catalog([Path(path)])
    assert "not a regular file" in str(info.value)


def test_probes_catalog_too_large_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (MAX_CATALOG_BYTES + 1))
    with pytest.raises(CatalogError) as info:
        load_catalog([path])
    assert "too large" in str(info.value)
