"""The runner's guarantees (deadline, isolation) and the CLI's contract (exit codes, errors,
start-up imports). The runner is driven with stand-in probe functions: what is tested here is
orchestration, not the network (tests/test_probes.py does that on real sockets)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.synth import plan_for
from wsdiag.check.runner import run_plan
from wsdiag.model import DnsOutcome, DnsResult, DnsSpec, ProbeResult, Status, Transport

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

    plan = replace(plan_for(timeout=0.3), deadline=0.4)
    run = asyncio.run(run_plan(plan, silent_dns, {t: ok for t in Transport}))
    assert budgets and all(0 < b <= 0.3 for _, b in budgets)
    assert {d.outcome for d in run.dns} == {DnsOutcome.TIMEOUT}
    assert {p.status for p in run.probes} == {Status.SKIPPED}


def test_every_endpoint_address_gets_every_check() -> None:
    run = asyncio.run(run_plan(plan_for(), answer, {t: ok for t in Transport}))
    ids = {p.id for p in run.probes if p.target_id == "endpoint"}
    assert ids == {f"endpoint/{t}/{port}@{a}" for t in ("tcp", "quic") for port in (443, 4195)
                   for a in ("10.0.1.10", "10.0.2.10")}


def test_results_come_in_plan_order_not_finishing_order() -> None:
    async def slow_first(base: ProbeResult, timeout: float) -> ProbeResult:
        # the earlier in the plan (and the lower the address), the later it finishes
        await asyncio.sleep(0.05 if base.address == "10.0.1.10" else 0.0)
        return replace(base, status=Status.OPEN)

    run = asyncio.run(run_plan(plan_for(), answer, {t: slow_first for t in Transport}))
    ids = [p.id for p in run.probes]
    assert ids[:8] == [f"endpoint/{t}/{port}@{a}" for a in ("10.0.1.10", "10.0.2.10")
                       for t, port in (("tcp", 4195), ("tcp", 443), ("quic", 4195), ("quic", 443))]
    assert ids[8:11] == ["ws-broker/tls/443", "ws-broker/quic/443", "login/tls/443"]


# --- CLI ---------------------------------------------------------------------------------


def wsdiag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base_env = {k: v for k, v in os.environ.items() if k not in ("WSDIAG_REGION", "AWS_REGION")}
    return subprocess.run([sys.executable, "-m", "wsdiag", *args], capture_output=True,
                          text=True, timeout=60, env={**base_env, **(env or {})})


@pytest.mark.parametrize(("args", "message"), [
    (("check", "--region", "mars-1"), "unknown region 'mars-1'"),
    (("check", "--bogus"), "No such option: --bogus"),
    (("check", "--region", "eu-west-1", "--timeout", "soon"), "--timeout"),
    (("check", "--region", "eu-west-1", "--vpc-cidr", "10.0.0.0/33"), "--vpc-cidr"),
    (("check", "--region", "eu-west-1", "--probes", "/nonexistent.toml"), "cannot read"),
    (("check", "--no-logs"), "no region"),
    (("nonsense",), "No such command"),
])
def test_usage_errors_exit_3_with_one_line(args: tuple[str, ...], message: str) -> None:
    proc = wsdiag(*args)
    assert proc.returncode == 3
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wsdiag: error: ") and message in lines[0]


def test_region_from_environment() -> None:
    proc = wsdiag("check", "--no-logs", "--json", "--nameserver", "127.0.0.1:9",
                  "--timeout", "0.3", env={"AWS_REGION": "ap-northeast-1"})
    report = json.loads(proc.stdout)
    assert (report["region"], report["region_source"]) == ("ap-northeast-1", "env")
    assert proc.returncode == report["exit_code"]


def test_version_and_help_do_not_import_the_network_stack() -> None:
    code = ("import sys, runpy; sys.argv=['wsdiag', '{arg}']\n"
            "try:\n    runpy.run_module('wsdiag', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in ('aioquic', 'dns', 'cryptography', 'psutil', 'jinja2', 'rich')\n"
            "         if m in sys.modules]\n"
            "print(heavy, file=sys.stderr)")
    for arg in ("--version", "--help"):
        proc = subprocess.run([sys.executable, "-c", code.format(arg=arg)], capture_output=True,
                              text=True, timeout=60)
        assert proc.stderr.strip().splitlines()[-1] == "[]", (arg, proc.stderr)
    assert wsdiag("--version").stdout.startswith("wsdiag ")


def test_check_takes_region_and_private_name_from_the_client_logs(tmp_path: Path) -> None:
    logs = tmp_path / ".local/share/Amazon Web Services/Amazon WorkSpaces/logs"
    logs.mkdir(parents=True)
    shutil.copy(FIXTURES / "field-report-vpc-session.log", logs)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # a resolver that never answers
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        proc = wsdiag("check", "--json", "--nameserver", f"127.0.0.1:{port}", "--timeout", "0.3",
                      env={"HOME": str(tmp_path)})
    report = json.loads(proc.stdout)
    assert (report["region"], report["region_source"]) == ("ap-northeast-1", "logs")
    assert report["endpoint_hosts"] == ["privatelink.prod.ap-northeast-1.highlander.aws.a2z.com"]
    assert "LOGS_VPC_ENDPOINT_IN_USE" in {f["code"] for f in report["findings"]}
    assert "reached: QUIC/4195, QUIC/443, TCP/4195, TCP/443" in report["logs"]["comparison"]
    # the logs inform; the verdict is what this machine can do now
    assert report["verdict"] == "blocked" and proc.returncode == 2


def test_bare_wsdiag_shows_plain_help_and_exits_3() -> None:
    proc = wsdiag()
    assert proc.returncode == 3
    assert proc.stderr.startswith("Usage: wsdiag ")
    assert "error" not in proc.stderr and "\x1b[" not in proc.stderr
