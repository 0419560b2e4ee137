"""Issue 19 item 8, the command line: any case for enumerated options, help without type
noise, SIGTERM leaves a line, an output file that cannot be written fails before the run.

Every run points the check at a loopback DNS server of this test (never the system's)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dnsserver import DROP, NXDOMAIN, DnsServer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "reports" / "home.json"
COMMANDS = ["check", "watch", "bundle", "show", "logs", "summarize"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}


def _wsdiag(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wsdiag", *args],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=ROOT,
        env=_env(),
        input=stdin,
    )


@pytest.fixture()
def silent() -> Iterator[DnsServer]:
    """A resolver that never answers: a check against it would take its whole deadline."""
    with DnsServer(f"127.{random.randint(64, 250)}.0.53", zone={"*": DROP}) as server:
        yield server


@pytest.fixture()
def nx() -> Iterator[DnsServer]:
    with DnsServer(f"127.{random.randint(64, 250)}.0.54", zone={"*": NXDOMAIN}) as server:
        yield server


def _check(dns: DnsServer, *extra: str) -> list[str]:
    return [
        "check",
        "--region",
        "eu-west-1",
        "--nameserver",
        dns.address,
        "--no-proxy",
        "--no-logs",
        *extra,
    ]


@pytest.mark.parametrize("fmt", ["LINE", "Line", "JSON-LINE"])
def test_check_format_takes_any_case(nx: DnsServer, fmt: str) -> None:
    proc = _wsdiag(*_check(nx, "--timeout", "0.5", "--format", fmt))
    assert proc.returncode == 2, proc.stderr
    first = proc.stdout.splitlines()[0]
    # the verdict first; --nameserver said right after it (the answers are that server's)
    line = first.startswith("blocked dns=nameserver-only env=")
    assert line if fmt.lower() == "line" else first.startswith("{")


def test_show_and_summarize_take_any_case() -> None:
    shown = _wsdiag("show", str(SAMPLE), "--format", "LINE")
    assert shown.stdout.split()[0] in {"ready", "degraded", "blocked", "unknown"}, shown.stderr
    todo = _wsdiag("summarize", str(SAMPLE), "--owner", "USER", "--format", "CSV")
    assert todo.returncode == 0, todo.stderr
    assert todo.stdout.startswith("kind,")


def test_a_usage_error_in_any_case_still_leaves_line_its_reason() -> None:
    proc = _wsdiag("check", "--format", "LINE", "--timeout", "abc")
    assert proc.returncode == 3
    assert proc.stdout.startswith("unknown reason: usage error")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_type_noise(command: str) -> None:
    text = _wsdiag(command, "--help").stdout
    for noise in (
        "<list[",
        "<str>",
        "<Path>",
        "<int>",
        "<float>",
        "<bool>",
        "{",
        "TEXT",
        "INTEGER",
    ):
        assert noise not in text.replace("<result>", ""), (command, noise)
    assert f"Usage: wsdiag {command}" in text


def test_sigterm_leaves_line_a_reason_and_exit_3(silent: DnsServer) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdiag", *_check(silent, "--timeout", "30", "--format", "line")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_env(),
    )
    try:
        # Ready when the run's first query reached the resolver: the check is under way.
        for _ in range(600):
            if silent.queries or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert silent.queries, "the check never queried the test resolver"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 3, err
    assert out == "unknown reason: stopped by SIGTERM\n"
    assert "stopped by SIGTERM" in err


@pytest.mark.parametrize(
    ("option", "where"),
    [
        ("--html", "missing/report.html"),
        ("-o", "missing/report.txt"),
        ("--html", "a-file/report.html"),  # its "folder" is a regular file
        ("--html", "."),  # a folder, not a file
        ("--html", "/proc/wsdiag-report.html"),  # nowhere a file can be made, even as root
    ],
)
def test_an_output_that_cannot_be_written_fails_before_the_check(
    silent: DnsServer, tmp_path: Path, option: str, where: str
) -> None:
    (tmp_path / "a-file").write_text("x")
    target = where if where.startswith("/") else str(tmp_path / where)
    proc = _wsdiag(*_check(silent, "--timeout", "30", "--format", "line", option, target))
    assert proc.returncode == 3
    (line,) = proc.stderr.splitlines()
    assert line.startswith("wsdiag: error: cannot write "), line
    assert proc.stdout.startswith("unknown reason: cannot write ")
    assert silent.queries == []  # refused before a single probe
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_bundle_output_is_checked_before_the_run(silent: DnsServer, tmp_path: Path) -> None:
    args = _check(silent, "--timeout", "30")[1:]
    proc = _wsdiag("bundle", *args, "-o", str(tmp_path / "missing" / "t.zip"))
    assert proc.returncode == 3
    assert "no folder" in proc.stderr
    assert silent.queries == []


@pytest.mark.parametrize(
    ("command", "value", "message"),
    [
        # fresh report item 6: ~30 "Task exception was never retrieved" tracebacks
        ("check", "fe80::1%nosuch0", "names no network interface of this machine ('nosuch0'"),
        ("watch", "fe80::1%nosuch0", "names no network interface of this machine ('nosuch0'"),
        ("bundle", "fe80::1%nosuch0", "names no network interface of this machine ('nosuch0'"),
        ("check", "[fe80::1%4000000]:5353", "('4000000', the part after %)"),
        ("check", "[fe80::1%nosuch0]:5353", "('nosuch0', the part after %)"),
        # item 16 (broadcast and multicast are the unit tests': nothing is sent to them)
        ("check", "0.0.0.0", "'0.0.0.0' is the unspecified address, not a resolver's address"),
        ("check", "[::]:5353", "'[::]:5353' is the unspecified address"),
    ],
)
def test_a_nameserver_that_cannot_be_asked_is_a_one_line_usage_error(
    nx: DnsServer, tmp_path: Path, command: str, value: str, message: str
) -> None:
    """Refused before the run: a loopback server is given first, and it hears nothing."""
    extra = ["--count", "1"] if command == "watch" else []
    extra += ["-o", str(tmp_path / "b.zip")] if command == "bundle" else []
    args = _check(nx, "--nameserver", value, "--timeout", "0.5", *extra)[1:]
    proc = _wsdiag(command, *args)
    assert proc.returncode == 3, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith("wsdiag: error: --nameserver: ") and message in line, line
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert nx.queries == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("command", "option"),
    [("check", "-o"), ("check", "--output"), ("check", "--html"), ("bundle", "-o")],
)
def test_an_empty_file_name_is_said_so(
    silent: DnsServer, tmp_path: Path, command: str, option: str
) -> None:
    """Fresh report item 23c: ``-o ''`` said "cannot write .: is a directory" (an empty
    path is "." once it is a Path): now it names the empty name, before the run."""
    args = _check(silent, "--timeout", "30")[1:]
    proc = subprocess.run(
        [sys.executable, "-m", "wsdiag", command, *args, option, ""],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
        env=_env(),
    )
    assert proc.returncode == 3
    (line,) = proc.stderr.splitlines()
    assert line.startswith("wsdiag: error: ") and "an empty file name" in line, line
    assert "is a directory" not in line and proc.stdout == ""
    assert silent.queries == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("{tmp}/missing.pac", "no such file or directory"),
        ("file://{tmp}/missing.pac", "no such file or directory"),
        ("{tmp}", "is a directory"),
    ],
)
def test_a_pac_file_that_cannot_be_read_is_a_usage_error(
    nx: DnsServer, tmp_path: Path, given: str, why: str
) -> None:
    """Fresh report item 17: ``--pac /nonexistent.pac`` ran the whole check and came out
    "unknown" behind a generic reason. A PAC URL is still fetched in the run."""
    value = given.format(tmp=tmp_path)
    proc = _wsdiag(*_check(nx, "--timeout", "0.5", "--pac", value))
    assert proc.returncode == 3
    (line,) = proc.stderr.splitlines()
    # (a long value is shortened in the one line, so only its start and the reason)
    assert line.startswith("wsdiag: error: --pac '") and value[:20] in line, line
    assert line.endswith(f"': cannot read it: {why}"), line
    assert proc.stdout == "" and nx.queries == []


@pytest.mark.parametrize("option", ["--format", "--json", "--html", "-o"])
def test_watch_says_what_it_writes_when_given_an_output_option(option: str) -> None:
    """`watch --format line` suggested "--no-redact", the nearest name (a fresh tester)."""
    args = ["watch", option] + ([] if option == "--json" else ["x"])
    proc = _wsdiag(*args)
    assert proc.returncode == 3
    assert "watch writes one line per run" in proc.stderr, proc.stderr
    assert "--no-redact" not in proc.stderr


def test_o_and_html_on_the_same_file_is_a_usage_error(tmp_path: Path, nx: DnsServer) -> None:
    """-o same.json --html same.json wrote the report, then the page over it (exit 2,
    no word; fresh tester 2). The test resolver: were the refusal missing, the check would
    still ask only loopback."""
    same = tmp_path / "same.json"
    proc = _wsdiag(
        *_check(nx, "--format", "json", "-o", str(same), "--html", f"{tmp_path}/./same.json")
    )
    assert proc.returncode == 3, proc.stderr
    assert "name the same file" in proc.stderr
    assert not same.exists()
