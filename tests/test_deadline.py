"""The run deadline under load (issue 18, item 11): pure arithmetic on an injected clock,
and a real loopback run beside two busy loops whose verdict does not change."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.certs import make_ca
from tests.support.dnsserver import DnsServer
from tests.support.processes import stop_process
from tests.support.servers import answering_options, serving
from wsdiag.budgets import MAX_START_LAG, START_ALLOWANCE
from wsdiag.check.catalog import load_catalog
from wsdiag.check.plan import make_plan
from wsdiag.clock import run_budget
from wsdiag.vocab.model import Inputs, Role

ROOT = Path(__file__).resolve().parent.parent

T0 = 1000.0  # an arbitrary monotonic reading: the process start


@pytest.mark.parametrize(
    ("started_after", "explicit", "budget", "lag"),
    [
        (0.3, False, 4.7, 0.0),  # a normal start: the deadline as configured
        (0.5, False, 4.5, 0.0),  # START_ALLOWANCE exactly: still on time
        (1.5, False, 4.5, 1.0),  # 1 s late: the default deadline moves by 1 s
        (3.0, False, 4.0, 2.5),  # 2.5 s late: moved by MAX_START_LAG (2 s) only
        (9.0, False, 0.0, 8.5),  # later than deadline + lag: nothing left, never negative
        (1.5, True, 3.5, 1.0),  # --deadline given: the caller's wall never moves
    ],
)
def test_run_budget_table(started_after: float, explicit: bool, budget: float, lag: float) -> None:
    got_budget, got_lag = run_budget(5.0, explicit, T0, T0 + started_after)
    assert (round(got_budget, 9), round(got_lag, 9)) == (budget, lag)


@given(
    deadline=st.floats(0.05, 300.0),
    started_after=st.floats(0.0, 600.0),
    explicit=st.booleans(),
)
def test_the_wall_moves_only_for_a_default_deadline_and_at_most_max_start_lag(
    deadline: float, started_after: float, explicit: bool
) -> None:
    budget, lag = run_budget(deadline, explicit, T0, T0 + started_after)
    end = started_after + budget  # seconds after the process start the runner must end
    assert budget >= 0.0 and lag >= 0.0
    assert lag == pytest.approx(max(started_after - START_ALLOWANCE, 0.0))
    wall = deadline + (0.0 if explicit else MAX_START_LAG)
    assert end <= wall + 1e-9 or budget == 0.0
    if not explicit and started_after >= START_ALLOWANCE and lag <= MAX_START_LAG:
        # Late, but within MAX_START_LAG: the probes keep what an on-time start leaves.
        assert budget == pytest.approx(max(deadline - START_ALLOWANCE, 0.0))


# --- a loopback run beside two busy loops ---------------------------------------------------

NET = random.randint(64, 250)  # one 127.NET.0.0/16 per run: parallel runs don't collide
REGION = "eu-west-1"
ENDPOINT, AUTH, HEALTH = f"127.{NET}.1.10", f"127.{NET}.2.10", f"127.{NET}.3.10"


def _hosts(role: Role) -> list[str]:
    plan = make_plan(load_catalog(), Inputs(region=REGION))
    return [pt.host for pt in plan.targets if pt.target.role is role]


@pytest.fixture(scope="module")
def answering(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """Every target answering on loopback (TLS+QUIC on the endpoint and sign-in, TCP+QUIC on
    the health check); yields the DNS server's address and the environment trusting the CA."""
    probe = socket.socket()
    try:
        probe.bind((f"127.{NET}.250.1", 443))
    except PermissionError:
        pytest.skip("binding port 443 on loopback needs root")
    finally:
        probe.close()
    pki = make_ca(tmp_path_factory.mktemp("pki"))
    private = _hosts(Role.ENDPOINT)
    leaf = pki.issue("server", _hosts(Role.AUTH) + _hosts(Role.HEALTH) + private)
    with serving(answering_options((ENDPOINT,), AUTH, HEALTH), leaf.cert_path, leaf.key_path):
        zone: dict[str, object] = {h: [AUTH] for h in _hosts(Role.AUTH)}
        zone.update({h: [HEALTH] for h in _hosts(Role.HEALTH)})
        zone.update({h: [ENDPOINT] for h in private})
        with DnsServer(f"127.{NET}.0.53") as dns:
            dns.zone = zone  # type: ignore[assignment]
            yield dns.address, {**os.environ, **pki.env()}


def _check(nameserver: str, env: dict[str, str]) -> dict[str, Any]:
    cmd = [
        sys.executable, "-m", "wsdiag", "check", "--region", REGION, "--json", "--no-logs",
        "--nameserver", nameserver, "--vpc-cidr", f"127.{NET}.1.0/24",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, check=False)
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def _answer(report: dict[str, Any]) -> tuple[str, str, int, list[str]]:
    codes = sorted(f["code"] for f in report["findings"])
    return report["environment"], report["verdict"], report["exit_code"], codes


# `while 1: pass`, which also ends itself once this test's process is gone (killed, say):
# a stopped test must never leave the machine's cores busy.
BUSY_LOOP = (
    "import os, sys\nwhile os.getppid() == int(sys.argv[1]):\n    for _ in range(100_000): pass\n"
)


@contextlib.contextmanager
def _busy_loops(n: int = 2) -> Iterator[None]:
    """``n`` processes spinning on the CPU (both cores of the CI machine), killed after."""
    me = str(os.getpid())
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP, me]) for _ in range(n)]
    try:
        yield
    finally:
        for p in loops:
            stop_process(p, grace=1)


def test_two_busy_loops_do_not_change_the_verdict(answering: tuple[str, dict[str, str]]) -> None:
    """The answer on a loaded machine is the answer on an idle one: a slow start moves the
    default deadline (up to MAX_START_LAG) instead of turning answers into "unknown"."""
    nameserver, env = answering
    idle = _check(nameserver, env)
    assert _answer(idle)[:3] == ("open-egress", "ready", 0), _answer(idle)
    with _busy_loops():
        loaded = _check(nameserver, env)
    assert _answer(loaded) == _answer(idle)
    cut = [p["id"] for p in loaded["probes"] if p.get("phase") == "deadline"]
    assert not cut, cut


def test_a_connects_round_trip_is_the_kernels_not_the_schedulers() -> None:
    """On Linux the connect's ms is the kernel's SYN to SYN-ACK time (TCP_INFO), never more
    than wsdiag's timer: a loaded machine's scheduling delay (the timer's) must not make a
    LAN endpoint "high RTT"."""
    from wsdiag.host.tcpinfo import kernel_rtt_ms
    from wsdiag.probes.tcp import _on_the_wire

    async def main() -> tuple[float | None, float, float]:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                kernel = kernel_rtt_ms(writer.get_extra_info("socket"))
                return kernel, _on_the_wire(writer, 10_000.0), _on_the_wire(writer, 0.0)
            finally:
                writer.close()

    kernel, slow_timer, fast_timer = asyncio.run(main())
    if not sys.platform.startswith("linux"):
        assert (slow_timer, fast_timer) == (10_000.0, 0.0)  # no kernel figure: the timer's
        return
    assert kernel is not None and 0 < kernel < 10_000.0
    assert (slow_timer, fast_timer) == (kernel, 0.0)
