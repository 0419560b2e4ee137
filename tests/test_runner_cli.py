"""The runner's guarantees (deadline, isolation) and the CLI's contract (exit codes, errors,
start-up imports). The runner is driven with stand-in probe functions: what is tested here is
orchestration, not the network (tests/test_probes.py does that on real sockets)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest

from tests.support.dnsserver import DROP, DnsServer
from tests.support.processes import stop_process
from tests.synth import plan_for
from wsdiag.check.plan import expand
from wsdiag.check.runner import run_plan
from wsdiag.vocab.model import DnsOutcome, DnsSpec, Plan, Status, Transport
from wsdiag.vocab.results import DnsResult, ProbeResult, planned

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"


async def answer(spec: DnsSpec, budget: float) -> DnsResult:
    addrs = ("10.0.1.10", "10.0.2.10") if spec.rdtype == "A" else ()
    outcome = DnsOutcome.ANSWER if addrs else DnsOutcome.NO_ANSWER
    return DnsResult(spec.id, spec.target_id, spec.host, spec.rdtype, outcome, addrs)


async def hang(base: ProbeResult, timeout: float) -> ProbeResult:
    await asyncio.sleep(3600)  # a probe that ignores its own timeout
    raise AssertionError("unreachable")


async def crash(base: ProbeResult, timeout: float) -> ProbeResult:
    raise RuntimeError("bug in a probe")


async def ok(base: ProbeResult, timeout: float) -> ProbeResult:
    return replace(base, status=Status.OPEN)


def test_deadline_turns_hung_probes_into_errors_never_success() -> None:
    plan = replace(plan_for(), deadline=0.3, timeout=0.2)
    probes = {Transport.TCP: ok, Transport.TLS: ok, Transport.QUIC: hang}
    run = asyncio.run(run_plan(plan, answer, probes))
    quic = [p for p in run.probes if p.transport is Transport.QUIC]
    assert quic and {(p.status, p.phase) for p in quic} == {(Status.ERROR, "deadline")}
    assert {p.status for p in run.probes if p.transport is Transport.TCP} == {Status.OPEN}


def test_a_crashing_probe_does_not_cancel_its_siblings() -> None:
    probes = {Transport.TCP: crash, Transport.TLS: ok, Transport.QUIC: ok}
    run = asyncio.run(run_plan(plan_for(), answer, probes))
    tcp = [p for p in run.probes if p.transport is Transport.TCP]
    assert {(p.status, p.phase) for p in tcp} == {(Status.ERROR, "internal")}
    assert "bug in a probe" in tcp[0].detail
    tls = {p.status for p in run.probes if p.transport is Transport.TLS}
    assert tls == {Status.OPEN, Status.SKIPPED}  # skipped: login, no --directory-id


def test_hung_dns_is_an_error_at_the_deadline() -> None:
    async def slow(spec: DnsSpec, budget: float) -> DnsResult:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    plan = replace(plan_for(), deadline=0.2)
    run = asyncio.run(run_plan(plan, slow, {t: ok for t in Transport}))
    assert run.dns and {d.outcome for d in run.dns} == {DnsOutcome.ERROR}
    assert not any(p.status is Status.OPEN for p in run.probes)


def test_lookups_and_probes_get_their_timeout_within_the_deadline() -> None:
    """A lookup's budget is its timeout, never more, and shrinks to what the deadline leaves:
    a silent network costs one timeout for DNS, not one per server or per try."""
    budgets: list[tuple[str, float]] = []

    async def silent_dns(spec: DnsSpec, budget: float) -> DnsResult:
        budgets.append((spec.id, budget))
        await asyncio.sleep(budget)
        return DnsResult(spec.id, spec.target_id, spec.host, spec.rdtype, DnsOutcome.TIMEOUT)

    plan = replace(plan_for(timeout=0.5), deadline=0.6)
    run = asyncio.run(run_plan(plan, silent_dns, {t: ok for t in Transport}))
    assert budgets and all(0 < b <= 0.5 for _, b in budgets)
    assert {d.outcome for d in run.dns} == {DnsOutcome.TIMEOUT}
    assert {p.status for p in run.probes} == {Status.SKIPPED}


def test_every_endpoint_address_gets_every_check() -> None:
    run = asyncio.run(run_plan(plan_for(), answer, {t: ok for t in Transport}))
    ids = {p.id for p in run.probes if p.target_id == "endpoint"}
    assert ids == {
        f"endpoint/{t}/{port}@{a}"
        for t in ("tcp", "quic")
        for port in (443, 4195)
        for a in ("10.0.1.10", "10.0.2.10")
    }


def test_results_come_in_plan_order_not_finishing_order() -> None:
    async def slow_first(base: ProbeResult, timeout: float) -> ProbeResult:
        # the earlier in the plan (and the lower the address), the later it finishes
        await asyncio.sleep(0.05 if base.address == "10.0.1.10" else 0.0)
        return replace(base, status=Status.OPEN)

    run = asyncio.run(run_plan(plan_for(), answer, {t: slow_first for t in Transport}))
    ids = [p.id for p in run.probes]
    assert ids[:8] == [
        f"endpoint/{t}/{port}@{a}"
        for a in ("10.0.1.10", "10.0.2.10")
        for t, port in (("tcp", 4195), ("tcp", 443), ("quic", 4195), ("quic", 443))
    ]
    assert ids[8:11] == ["ws-broker/tls/443", "ws-broker/quic/443", "login/tls/443"]


# --- CLI ---------------------------------------------------------------------------------


def wsdiag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base_env = {k: v for k, v in os.environ.items() if k not in ("WSDIAG_REGION", "AWS_REGION")}
    return subprocess.run(
        [sys.executable, "-m", "wsdiag", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base_env, **(env or {})},
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "--region", "mars-1"), "unknown region 'mars-1'"),
        (("check", "--bogus"), "No such option: --bogus"),
        (("check", "--region", "eu-west-1", "--timeout", "soon"), "--timeout"),
        # fresh report item 4: too short to measure a LAN answer honestly (false "blocked")
        (
            ("check", "--region", "eu-west-1", "--timeout", "0.05"),
            "--timeout must be between 0.5 and 60 seconds",
        ),
        (("check", "--region", "eu-west-1", "--vpc-cidr", "10.0.0.0/33"), "--vpc-cidr"),
        (("check", "--region", "eu-west-1", "--probes", "/nonexistent.toml"), "cannot read"),
        (("check", "--no-logs"), "no region"),
        (("nonsense",), "No such command"),
    ],
)
def test_usage_errors_exit_3_with_one_line(args: tuple[str, ...], message: str) -> None:
    proc = wsdiag(*args)
    assert proc.returncode == 3
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wsdiag: error: ") and message in lines[0]


def test_region_from_environment() -> None:
    proc = wsdiag(
        "check",
        "--no-logs",
        "--json",
        "--nameserver",
        "127.0.0.1:9",
        "--timeout",
        "0.5",
        env={"AWS_REGION": "ap-northeast-1"},
    )
    report = json.loads(proc.stdout)
    assert (report["region"], report["region_source"]) == ("ap-northeast-1", "env")
    assert proc.returncode == report["exit_code"]


def _modules_at_exit(argv: str, modules: str) -> str:
    """Python that runs wsdiag with ``argv`` in-process and prints, on stderr as its last
    line, which of ``modules`` (a tuple literal) it had imported when it exited. wsdiag
    ends with os._exit (the teardown skipped), so the list is printed from there."""
    return (
        "import os, sys, runpy\n"
        f"sys.argv = {argv}\n"
        "def at_exit(code=0):\n"
        f"    print([m for m in {modules} if m in sys.modules], file=sys.stderr)\n"
        "    sys.stderr.flush()\n"
        "    real_exit(code)\n"
        "real_exit, os._exit = os._exit, at_exit\n"
        "try:\n    runpy.run_module('wsdiag', run_name='__main__')\n"
        "except SystemExit:\n    at_exit()\n"
    )


def test_version_and_help_do_not_import_the_network_stack() -> None:
    code = _modules_at_exit(
        "['wsdiag', '{arg}']",
        "('aioquic', 'dns', 'cryptography', 'psutil', 'jinja2', 'rich', 'boto3', 'botocore')",
    )
    for arg in ("--version", "--help"):
        proc = subprocess.run(
            [sys.executable, "-c", code.format(arg=arg)], capture_output=True, text=True, timeout=60
        )
        assert proc.stderr.strip().splitlines()[-1] == "[]", (arg, proc.stderr)
    assert wsdiag("--version").stdout.startswith("wsdiag ")


def test_a_check_without_aws_does_not_import_boto3() -> None:
    """boto3 costs ~0.3 s and ~30 MB: only --aws pays for it (issue 21)."""
    code = _modules_at_exit(
        "['wsdiag', 'check', '--no-logs', '--region', 'eu-west-1', '--nameserver',"
        " '127.0.0.1:9', '--timeout', '0.5', '--format', 'json-line']",
        "('boto3', 'botocore')",
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr


def test_check_takes_region_and_private_name_from_the_client_logs(tmp_path: Path) -> None:
    logs = tmp_path / ".local/share/Amazon Web Services/Amazon WorkSpaces/logs"
    logs.mkdir(parents=True)
    # The field report's session, dated yesterday: only the last week's sessions count.
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    text = (FIXTURES / "field-report-vpc-session.log").read_text()
    (logs / "client.log").write_text(text.replace("2025-08-28", yesterday))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # a resolver that never answers
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        proc = wsdiag(
            "check",
            "--json",
            "--nameserver",
            f"127.0.0.1:{port}",
            "--timeout",
            "0.5",
            env={"HOME": str(tmp_path)},
        )
    report = json.loads(proc.stdout)
    assert (report["region"], report["region_source"]) == ("ap-northeast-1", "logs")
    assert report["endpoint_hosts"] == ["privatelink.prod.ap-northeast-1.highlander.aws.a2z.com"]
    assert "LOGS_VPC_ENDPOINT_IN_USE" in {f["code"] for f in report["findings"]}
    assert "reached: QUIC/4195, QUIC/443, TCP/4195, TCP/443" in report["logs"]["comparison"]
    # the logs inform; the verdict is what this machine can do now
    assert report["verdict"] == "blocked" and proc.returncode == 2


def test_check_counts_no_session_of_last_year_but_names_its_age(tmp_path: Path) -> None:
    logs = tmp_path / ".local/share/Amazon Web Services/Amazon WorkSpaces/logs"
    logs.mkdir(parents=True)
    shutil.copy(FIXTURES / "field-report-home-no-endpoint.log", logs)  # 2025-08-28
    proc = wsdiag(
        "check",
        "--json",
        "--region",
        "eu-west-1",
        "--nameserver",
        "127.0.0.1:9",
        "--timeout",
        "0.5",
        env={"HOME": str(tmp_path)},
    )
    report = json.loads(proc.stdout)
    codes = {f["code"] for f in report["findings"]}
    assert "LOGS_NO_ENDPOINT_REACHABLE" not in codes and "LOGS_NO_SESSIONS" not in codes
    note = next(f for f in report["findings"] if f["code"] == "LOGS_NOT_COUNTED")
    assert note["severity"] == "info" and "ap-northeast-1" in note["message"]
    assert report["logs"]["comparison"] is None
    # --logs-since widens the window; the other region still does not count
    wider = wsdiag(
        "check",
        "--json",
        "--region",
        "ap-northeast-1",
        "--nameserver",
        "127.0.0.1:9",
        "--timeout",
        "0.5",
        "--logs-since",
        "2025-08-01",
        env={"HOME": str(tmp_path)},
    )
    codes = {f["code"] for f in json.loads(wider.stdout)["findings"]}
    assert "LOGS_NO_ENDPOINT_REACHABLE" in codes and "LOGS_NOT_COUNTED" not in codes


def test_bare_wsdiag_shows_plain_help_and_exits_3() -> None:
    proc = wsdiag()
    assert proc.returncode == 3
    assert proc.stderr.startswith("Usage: wsdiag ")
    assert "error" not in proc.stderr and "\x1b[" not in proc.stderr


# --- terminal: exit codes in help, completion, output that cannot lie ----------------------


@pytest.fixture
def silent_dns() -> Iterator[DnsServer]:
    """A loopback DNS server that never answers: `check` runs its full timeout."""
    with DnsServer("127.0.0.1", {"*": DROP}) as dns:
        yield dns


def check_args(dns: DnsServer, *extra: str) -> list[str]:
    return [
        "check",
        "--region",
        "eu-west-1",
        "--no-logs",
        "--nameserver",
        dns.address,
        "--timeout",
        "0.5",
        *extra,
    ]


def test_help_lists_the_exit_codes_and_completion() -> None:
    top, check = wsdiag("--help"), wsdiag("check", "--help")
    for proc in (top, check):
        assert proc.returncode == 0
        text = " ".join(proc.stdout.split())
        assert "0 ready, 1 degraded, 2 blocked, 3 unknown" in text and "130 interrupted" in text
    assert "--install-completion" in top.stdout and "--show-completion" in top.stdout
    completion = wsdiag(
        env={"_WSDIAG_COMPLETE": "complete_bash", "COMP_WORDS": "wsdiag ch", "COMP_CWORD": "1"}
    )
    assert (completion.returncode, completion.stdout.split()) == (0, ["check"])


@pytest.mark.parametrize("encoding", ["cp932", "cp949", "ascii"])
def test_text_output_survives_any_console_encoding(
    silent_dns: DnsServer, tmp_path: Path, encoding: str
) -> None:
    # The report holds "·", the log's name is Japanese: neither exists in all of these.
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONIOENCODING": encoding, "NO_COLOR": "1"}
        env.pop("AWS_REGION", None)
        return subprocess.run(
            [sys.executable, "-m", "wsdiag", *args],
            capture_output=True,
            encoding=encoding,
            errors="strict",
            timeout=60,
            env=env,
        )

    proc = run(*check_args(silent_dns))
    assert (proc.returncode, proc.stderr) == (2, "")
    assert proc.stdout.startswith("BLOCKED") and "region eu-west-1 " in proc.stdout
    log = tmp_path / "クライアント©.log"
    shutil.copy(FIXTURES / "field-report-vpc-session.log", log)
    proc = run("logs", str(log))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert (
        "newest:" in proc.stdout
    )  # a long path wraps to its own line and "Findings:" in proc.stdout


def run_with_stdout(args: list[str], stdout: int | IO[Any]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WSDIAG_REGION", "AWS_REGION")}
    return subprocess.run(
        [sys.executable, "-m", "wsdiag", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        env=env,
    )


def test_a_full_disk_is_one_line_and_exit_3(silent_dns: DnsServer) -> None:
    vpc = str(FIXTURES / "field-report-vpc-session.log")
    for args in (
        check_args(silent_dns, "--json"),
        check_args(silent_dns),
        ["logs", vpc],
        ["--version"],
        ["--help"],
    ):
        with open("/dev/full", "w") as full:
            proc = run_with_stdout(args, full)
        assert proc.returncode == 3, (args, proc.stderr)
        assert proc.stderr == "wsdiag: error: cannot write to stdout: no space left on device\n"


def test_a_closed_stdout_is_one_line_and_exit_3() -> None:
    for args in (["--version"], ["logs", str(FIXTURES / "field-report-vpc-session.log")]):
        proc = subprocess.run(
            ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "wsdiag", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (proc.returncode, proc.stderr) == (3, "wsdiag: error: stdout is closed\n")


def test_a_reader_that_left_keeps_the_verdicts_exit_code(silent_dns: DnsServer) -> None:
    vpc = str(FIXTURES / "field-report-vpc-session.log")
    for args in (
        check_args(silent_dns, "--json"),
        check_args(silent_dns),
        ["logs", vpc],
        ["--help"],
        ["--version"],
    ):
        expected = run_with_stdout(args, subprocess.DEVNULL).returncode
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader has gone before the first byte: EPIPE, every time
        try:
            proc = run_with_stdout(args, write_end)
        finally:
            os.close(write_end)
        assert (proc.returncode, proc.stderr) == (expected, ""), args
    # and as a shell runs it, with a reader that takes one line
    cmd = " ".join(
        shlex.quote(a) for a in [sys.executable, "-m", "wsdiag", *check_args(silent_dns)]
    )
    proc = subprocess.run(
        ["bash", "-c", f"{cmd} | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2,
        "BLOCKED: WorkSpaces cannot stream from this network as it is\n",
        "",
    )


def _interrupt_check(dns: DnsServer, started: Callable[[], bool]) -> tuple[int, str, str]:
    """Start `check` (timeout 20 s), wait until ``started()``, send SIGINT; its outcome."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdiag", *check_args(dns)[:-2], "--timeout", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        seen = False  # asked once per turn: started() may consume what it saw (a datagram)
        while not (seen := started()) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert seen, "check never reached the phase to interrupt"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        stop_process(proc)
    return proc.returncode, out, err


def test_ctrl_c_while_dns_is_silent_is_one_line_and_exit_130(silent_dns: DnsServer) -> None:
    # until the run is under way: its first DNS query arrived
    outcome = _interrupt_check(silent_dns, lambda: bool(silent_dns.queries))
    assert outcome == (130, "", "wsdiag: interrupted\n")


def test_ctrl_c_while_probes_wait_is_one_line_and_exit_130() -> None:
    # Every name resolves to a loopback address whose UDP 443/4195 take datagrams and never
    # answer: the QUIC probes wait out their 20 s timeout unless interrupted.
    address = f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.1"
    with contextlib.ExitStack() as stack:
        sinks = []
        for port in (443, 4195):
            sink = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            sink.bind((address, port))
            sink.setblocking(False)
            sinks.append(sink)

        def quic_sent() -> bool:
            for sink in sinks:
                with contextlib.suppress(BlockingIOError):
                    if sink.recv(2048):
                        return True
            return False

        dns = stack.enter_context(DnsServer("127.0.0.1", {"*": [address]}))
        assert _interrupt_check(dns, quic_sent) == (130, "", "wsdiag: interrupted\n")


@pytest.mark.parametrize("option", ["--region", "--timeout", "--vpc-cidr"])
def test_long_option_values_are_shortened_in_errors(option: str) -> None:
    value = "a" * 10_000
    proc = wsdiag("check", "--region", "eu-west-1", option, value)
    assert proc.returncode == 3 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and len(lines[0]) < 400 and "a" * 81 not in lines[0], lines


def test_undecodable_file_names_are_escaped_in_the_json(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/client-\xff\xfe.log"
    with open(raw, "wb") as f:
        f.write((FIXTURES / "field-report-vpc-session.log").read_bytes())
    proc = wsdiag("logs", "--json", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert "\\udc" not in proc.stdout.lower()
    doc = json.loads(proc.stdout)
    assert doc["files"][0]["path"].endswith("client-\\xff\\xfe.log")
    text = wsdiag("logs", str(folder), env={"NO_COLOR": "1"}).stdout
    assert "client-\\xff\\xfe.log" in text


def test_informational_probes_listen_on_their_own_clock_and_say_so() -> None:
    """The health-check host (and the broker's QUIC, which serves only an info finding's
    fact) gets INFO_TIMEOUT (1.0 s of a 2 s run), its silence is still "filtered" (read as
    any silence within its timeout) and says how long it listened."""
    budgets: dict[str, float] = {}

    async def silent(base: ProbeResult, budget: float) -> ProbeResult:
        budgets[base.id] = budget
        return replace(base, status=Status.FILTERED, detail="no answer before the timeout")

    plan = plan_for(timeout=2.0)
    run = asyncio.run(run_plan(plan, answer, {t: silent for t in Transport}))
    health = [
        p for p in run.probes if p.target_id == "health-check" or p.id == "ws-broker/quic/443"
    ]
    assert health and {(p.status, p.detail) for p in health} == {
        (Status.FILTERED, "no answer within 1.0 s")
    }
    assert {budgets[p.id] for p in health} == {1.0}
    verdict_bearing = [
        p for p in run.probes if p.target_id == "endpoint" or p.id == "ws-broker/tls/443"
    ]
    assert {budgets[p.id] for p in verdict_bearing} == {2.0}
    assert {p.detail for p in verdict_bearing} == {"no answer before the timeout"}


def _with_second_quic_signin(plan: Plan) -> Plan:
    """The plan with an organisation's second needed sign-in host that also speaks QUIC."""
    broker = next(pt for pt in plan.targets if pt.target.id == "ws-broker")
    quic = tuple(c for c in broker.target.checks if c.transport is Transport.QUIC)
    second = replace(
        broker,
        target=replace(broker.target, id="idp", host="sso.corp.example", checks=quic),
        host="sso.corp.example",
        dns=tuple(
            replace(d, id=d.id.replace("ws-broker", "idp"), target_id="idp") for d in broker.dns
        ),
        after_dns=quic,
    )
    return replace(plan, targets=(*plan.targets, second))


def test_a_decided_fact_ends_the_probes_that_serve_it() -> None:
    """Once the broker answered QUIC on UDP 443, the other sign-in host's silence cannot
    change "UDP 443 open": it ends early, as skipped, naming the probe that decided."""
    cancelled: list[str] = []

    async def quic(base: ProbeResult, budget: float) -> ProbeResult:
        if base.target_id == "ws-broker":
            return replace(base, status=Status.OPEN)
        if base.target_id != "idp":
            return replace(base, status=Status.FILTERED)
        try:
            await asyncio.sleep(budget)
        except asyncio.CancelledError:
            cancelled.append(base.id)
            raise
        return replace(base, status=Status.FILTERED)

    # A timeout far beyond the test's run: only ending early lets the idp probe finish.
    plan = _with_second_quic_signin(replace(plan_for(timeout=30.0), deadline=60.0))
    probes = {Transport.TCP: ok, Transport.TLS: ok, Transport.QUIC: quic}
    run = asyncio.run(run_plan(plan, answer, probes))
    idp = next(p for p in run.probes if p.target_id == "idp")
    assert cancelled == [idp.id]
    assert idp.status is Status.SKIPPED
    assert idp.detail == "ended early: ws-broker/quic/443 answered, which decides auth_quic"
    # The endpoint's per-address QUIC and the health check serve no any-of fact: they run.
    others = [p for p in run.probes if p.transport is Transport.QUIC and p.target_id != "ws-broker"]
    assert {p.status for p in others if p.target_id != "idp"} == {Status.FILTERED}


def test_without_an_answer_every_probe_of_the_fact_runs_to_its_end() -> None:
    async def quic(base: ProbeResult, budget: float) -> ProbeResult:
        return replace(base, status=Status.FILTERED)

    plan = _with_second_quic_signin(plan_for())
    probes = {Transport.TCP: ok, Transport.TLS: ok, Transport.QUIC: quic}
    run = asyncio.run(run_plan(plan, answer, probes))
    signin = [
        p
        for p in run.probes
        if p.target_id in ("ws-broker", "idp") and p.transport is Transport.QUIC
    ]
    assert len(signin) == 2 and {p.status for p in signin} == {Status.FILTERED}


def test_what_the_deadline_cuts_short_after_a_late_start_says_the_machine_was_busy() -> None:
    plan = replace(plan_for(), deadline=0.3, timeout=0.2)
    probes = {Transport.TCP: ok, Transport.TLS: ok, Transport.QUIC: hang}
    run = asyncio.run(run_plan(plan, answer, probes, late=1.5))
    quic = [p for p in run.probes if p.transport is Transport.QUIC]
    assert quic and {p.status for p in quic} == {Status.ERROR}
    assert {p.detail for p in quic} == {
        "cut short by the run deadline: this machine was too busy (started 1.5 s late)"
    }
    on_time = asyncio.run(run_plan(plan, answer, probes))
    assert {p.detail for p in on_time.probes if p.transport is Transport.QUIC} == {
        "cut short by the run deadline"
    }


def test_a_check_parses_the_catalog_once_and_starts_no_pac_child_without_a_pac(
    silent_dns: DnsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lean start: the catalog's TOML is parsed once per run, and where no PAC applies
    (the OS names none, no --pac) no PAC child process is started."""
    import wsdiag.check.catalog as catalog
    import wsdiag.host.pac as pac
    import wsdiag.host.pac_eval as pac_eval
    from wsdiag.run import run_check
    from wsdiag.vocab.model import Inputs

    parsed: list[str] = []
    real_toml = catalog._toml
    monkeypatch.setattr(
        catalog, "_toml", lambda name, text: parsed.append(name) or real_toml(name, text)
    )
    monkeypatch.setattr(pac, "discover_sources", lambda explicit=None, reads=None: [])

    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("a PAC child was started without a PAC")

    monkeypatch.setattr(pac_eval, "evaluate_pac", no_child)
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    report = run_check(Inputs(region="eu-west-1", nameservers=(silent_dns.address,), timeout=0.5))
    assert len(parsed) == 1
    assert report.proxy.source != "pac"


def test_on_dns_hears_every_lookup_once_while_the_probes_still_wait() -> None:
    """The runner's hook for work beside the probes: called once, when the last lookup has
    ended, with every lookup's result, before any probe is over; its exception is ignored."""
    heard: list[tuple[int, int]] = []  # (lookups heard, probes finished by then)
    finished: list[str] = []

    async def slow_ok(base: ProbeResult, budget: float) -> ProbeResult:
        await asyncio.sleep(0.05)
        finished.append(base.id)
        return replace(base, status=Status.OPEN)

    def on_dns(dns: tuple[DnsResult, ...]) -> None:
        heard.append((len(dns), len(finished)))
        raise RuntimeError("a bug in the caller's hook")

    plan = plan_for()
    run = asyncio.run(run_plan(plan, answer, {t: slow_ok for t in Transport}, on_dns=on_dns))
    lookups = sum(len(pt.dns) for pt in plan.targets)
    assert heard == [(lookups, 0)]
    assert len(run.dns) == lookups and any(p.status is Status.OPEN for p in run.probes)


def test_paths_gathered_beside_the_probes_are_cut_to_the_endpoint_the_facts_describe() -> None:
    """Gathered while the probes wait, the routes cover every endpoint name's addresses; once
    the probes are in, only the name the facts describe (the first that answered) is kept,
    as a run that gathered afterwards would have named them. Pure."""
    from wsdiag.evidence.machine import PathsSource
    from wsdiag.vocab.machine import HostFacts, HostPaths, PathFact, RouteFact
    from wsdiag.vocab.model import Tri
    from wsdiag.vocab.observed import Observed

    plan = plan_for(endpoint_hosts=("a.example", "b.example"))
    first, second = (pt.target.id for pt in plan.targets if pt.target.role.value == "endpoint")

    def a_record(tid: str, addr: str) -> DnsResult:
        host = next(pt.host for pt in plan.targets if pt.target.id == tid)
        return DnsResult(f"{tid}/dns/A", tid, host, "A", DnsOutcome.ANSWER, (addr,))

    dns = (a_record(first, "10.0.1.10"), a_record(second, "10.0.9.10"))
    probes = tuple(
        replace(planned(s), status=Status.OPEN if s.target_id == second else Status.FILTERED)
        for pt in plan.targets
        if pt.target.id in (first, second)
        for s in expand(pt, [d for d in dns if d.target_id == pt.target.id])
    )

    def path(role: str, ip: str) -> PathFact:
        return PathFact(role, ip, RouteFact(ip, None, "eth0", Tri.NO), "via eth0")

    gathered = HostPaths(
        HostFacts("Linux", ()), (path("endpoint", "10.0.1.10"), path("endpoint", "10.0.9.10"))
    )
    cut = PathsSource().described(gathered, Observed(plan, dns, probes))
    assert [(p.role, p.destination) for p in cut.paths] == [("endpoint", "10.0.9.10")]


def test_the_runner_tells_quiet_once_every_lookup_has_ended() -> None:
    """``quiet`` (what aioquic's import waits for) is over once the last lookup has ended,
    before any probe of the run has finished, and stays over; a run that ends some other
    way (here: no targets) says so too."""
    from wsdiag.lane import Quiet

    quiet = Quiet()
    lookups: list[str] = []
    over_at_probe: list[bool] = []

    async def counted(spec: DnsSpec, budget: float) -> DnsResult:
        assert not quiet.wait(0.0)  # a lookup still runs: not over
        lookups.append(spec.id)
        return await answer(spec, budget)

    async def probe(base: ProbeResult, timeout: float) -> ProbeResult:
        over_at_probe.append(quiet.wait(0.0))
        return replace(base, status=Status.OPEN)

    plan = plan_for()
    asyncio.run(run_plan(plan, counted, dict.fromkeys(Transport, probe), quiet=quiet))
    expanded = [p for pt in plan.targets for p in pt.dns]
    assert len(lookups) == len(expanded) and quiet.wait(0.0)
    # a target's probes start once its own lookups ended: the last target's see it over
    assert any(over_at_probe)
    empty = Quiet()
    asyncio.run(run_plan(replace(plan, targets=()), counted, {}, quiet=empty))
    assert empty.wait(0.0)
