"""Bounded work (issue 11): one clock over logs, catalogs and probes; capped fan-out.

End to end, `wsdiag check` runs as a subprocess against a DNS server on loopback, under a
generous watchdog (the longest run deadline used here + 10 s): these tests assert that a
run completes and reports what it left out, never how fast (bench/bench_bounded.py and
bench_check.py measure the time and memory budgets)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.hostile import HostileDns, assert_reported, check_argv
from wsdiag.budgets import MAX_CONCURRENT_PROBES, MAX_ENDPOINT_ADDRESSES
from wsdiag.check.catalog import MAX_TARGETS
from wsdiag.check.plan import capped, expand
from wsdiag.host.platform import client_log_dirs
from wsdiag.logs.evidence import client_log_evidence
from wsdiag.logs.files import ProblemKind, discover, read_into
from wsdiag.logs.parse import LogParser
from wsdiag.vocab.model import DnsOutcome, Role
from wsdiag.vocab.results import DnsResult

REGION = "eu-west-1"
PRIVATE = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"
NET = random.randint(64, 250)
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT, DEADLINE = 1.0, 3.0


@pytest.fixture
def dns_server() -> Iterator[HostileDns]:
    with HostileDns(f"127.{NET}.0.53") as server:
        server.zone = {PRIVATE: ("answer", [f"127.{NET}.1.10"])}
        yield server


def run_check(server: HostileDns, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = check_argv(
        server,
        f"127.{NET}.0.0/16",
        *extra,
        region=REGION,
        timeout=TIMEOUT,
        deadline=DEADLINE,
        logs=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_DATA_HOME",)}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=DEADLINE + 15, cwd=ROOT, env=env
    )
    assert_reported(proc)
    return proc


def _bomb(path: Path, compressed_size: int) -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip container
    chunk = (b"x" * 99 + b"\n") * 100_000
    with path.open("wb") as fh:
        written = 0
        while written < compressed_size:
            data = comp.compress(chunk)
            fh.write(data)
            written += len(data)
        fh.write(comp.flush())


def hostile_log_dir(home: Path) -> Path:
    """The client's default log directory under ``home``, filled with what made runs hang
    or crawl: a FIFO, links to /proc/kmsg and /dev/zero, a gzip bomb, 8 MB of long dotted
    lines (a quadratic regular expression's worst case) and a thousand small files."""
    logs = client_log_dirs("Linux", {}, home)[0]
    logs.mkdir(parents=True)
    os.mkfifo(logs / "WorkSpaces.log")
    (logs / "kmsg.log").symlink_to("/proc/kmsg")
    (logs / "zero.log").symlink_to("/dev/zero")
    _bomb(logs / "old.log.gz", 200_000)
    line = b"2026-01-01 00:00:00.000 [INF] " + b"a." * 30_000 + b"\n"
    (logs / "dotted.log").write_bytes(line * (8_000_000 // len(line)))
    older = time.time() - 3600  # the small files are old: the big ones are read first
    for i in range(1000):
        small = logs / f"small-{i}.log"
        small.write_text("2026-01-01 00:00:00.000 [INF] hello\n")
        os.utime(small, (older, older))
    return logs


def test_a_hostile_log_directory_ends_with_a_report(dns_server: HostileDns, tmp_path: Path) -> None:
    hostile_log_dir(tmp_path)
    proc = run_check(dns_server, tmp_path)
    report = json.loads(proc.stdout)
    assert report["exit_code"] == proc.returncode
    assert report["process_ms"] is not None and report["process_ms"] >= report["duration_ms"]
    endpoint = [p for p in report["probes"] if p["target"] == "endpoint"]
    assert endpoint and all(p["address"] == f"127.{NET}.1.10" for p in endpoint)


@pytest.mark.parametrize("kind", ["too-many-targets", "too-large", "fifo", "deep"])
def test_an_oversized_catalog_is_one_line_error(
    dns_server: HostileDns, tmp_path: Path, kind: str
) -> None:
    catalog = tmp_path / "org.toml"
    if kind == "fifo":
        os.mkfifo(catalog)
    elif kind == "deep":  # tomllib recurses per level: RecursionError, not a TOMLDecodeError
        catalog.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    else:
        n = MAX_TARGETS + 1 if kind == "too-many-targets" else 40_000
        catalog.write_text(
            "".join(
                f'[[targets]]\nid = "org-{i}"\nhost = "h{i}.example.com"\nrole = "auth"\n'
                f'need = "expected"\nchecks = [{{transport = "tls", port = 443}}]\n\n'
                for i in range(n)
            )
        )
    proc = run_check(dns_server, tmp_path, "--no-logs", "--probes", str(catalog))
    assert proc.returncode == 3
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wsdiag: error:"), proc.stderr


def test_thousands_of_addresses_leave_the_rest_named_unprobed(
    dns_server: HostileDns, tmp_path: Path
) -> None:
    dns_server.zone = {PRIVATE: ("many", 4000)}
    # Building and parsing 4,000 records over TCP takes a loaded machine over a second.
    report = json.loads(
        run_check(dns_server, tmp_path, "--no-logs", "--timeout", "3", "--deadline", "8").stdout
    )
    assert report["evidence"]["endpoint_all_addresses"] != "yes"
    found = {f["code"]: f for f in report["findings"]}
    assert "3,984" in found["ENDPOINT_ADDRESSES_NOT_PROBED"]["message"]
    assert len(report["evidence"]["endpoint_addresses"]) == MAX_ENDPOINT_ADDRESSES
    assert report["verdict"] != "ready"


# --- pure: the cap in the plan, the clock in the log reader -------------------------------


def test_the_plan_caps_addresses_in_answer_order() -> None:
    from tests.synth import plan_for

    plan = plan_for()
    endpoint = next(pt for pt in plan.targets if pt.target.role is Role.ENDPOINT)
    addresses = tuple(f"10.0.{i // 250}.{i % 250 + 1}" for i in range(100))[::-1]
    answer = DnsResult(
        "endpoint/dns/A", endpoint.target.id, endpoint.host, "A", DnsOutcome.ANSWER, addresses
    )
    specs = expand(endpoint, [answer])
    assert [s.address for s in specs[:: len(endpoint.after_dns)]] == list(
        addresses[:MAX_ENDPOINT_ADDRESSES]
    )
    assert capped(addresses) == (addresses[:MAX_ENDPOINT_ADDRESSES], 100 - MAX_ENDPOINT_ADDRESSES)
    assert capped(addresses[:3]) == (addresses[:3], 0)
    # the concurrency cap fits a full endpoint and the default catalog: nothing queues
    assert len(specs) + sum(len(pt.target.checks) for pt in plan.targets) <= MAX_CONCURRENT_PROBES


def test_reading_stops_at_the_time_given(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_bytes(b"2026-01-01 00:00:00.000 [INF] hello\n" * 200_000)
    files, _, _ = discover([log])
    parser = LogParser()
    done, problem = read_into(parser, files[0], until=time.monotonic() - 1)
    assert done is not None and done.bytes_read < log.stat().st_size
    assert problem is not None and problem.kind is ProblemKind.TOO_LARGE
    assert "share of the run deadline" in problem.detail


def test_log_evidence_past_its_time_reads_no_file(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("2026-01-01 00:00:00.000 [INF] hello\n")
    evidence: Any = client_log_evidence([tmp_path], until=time.monotonic() - 1)
    assert evidence is None or evidence.files == ()


def test_dash_o_dash_is_stdout_and_html_dash_is_refused(
    dns_server: HostileDns, tmp_path: Path
) -> None:
    """``-o -`` and ``--html -`` made a file named ``-`` (in run_check's cwd, the repo)."""
    dash = ROOT / "-"
    assert not dash.exists()
    try:
        proc = run_check(dns_server, tmp_path, "--no-logs", "-o", "-")
        assert json.loads(proc.stdout)["schema"] == "wsdiag.report/1"
        assert not dash.exists()
        proc = run_check(dns_server, tmp_path, "--no-logs", "--html", "-")
        assert proc.returncode == 3 and proc.stdout == ""
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "give a file name, not -" in lines[0], proc.stderr
        assert not dash.exists()
    finally:
        dash.unlink(missing_ok=True)
